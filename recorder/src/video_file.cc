#include "netsample/recorder/video_file.h"

#include <algorithm>
#include <cmath>

#include "av.h"

namespace netsample::recorder {

nlohmann::json VideoFileInfo::to_json() const {
  nlohmann::json gap_list = nlohmann::json::array();
  for (const auto& g : gaps) gap_list.push_back({{"frame", g.frame}, {"at_s", g.at_s}, {"duration_s", g.duration_s}});
  return {{"container", container}, {"codec", codec},       {"width", width},
          {"height", height},       {"fps", fps},           {"duration_s", duration_s},
          {"frames", frames},       {"creation_time", creation_time ? nlohmann::json(*creation_time) : nlohmann::json(nullptr)},
          {"gaps", gap_list},       {"continuous", gaps.empty() && times_monotonic}, {"times_monotonic", times_monotonic}};
}

Result<VideoFileInfo> probe_video_file(const std::filesystem::path& file) {
  std::error_code ec;
  if (!std::filesystem::is_regular_file(file, ec)) return make_error(ErrorCode::not_found, file.string(), "视频文件不存在");
  AVFormatContext* raw = nullptr;
  int rc = avformat_open_input(&raw, file.c_str(), nullptr, nullptr);
  if (rc < 0) return av::failure(ErrorCode::invalid_input, file.string(), "不是可读的视频文件", rc);
  av::Input input(raw);
  if ((rc = avformat_find_stream_info(input.get(), nullptr)) < 0) return av::failure(ErrorCode::invalid_input, file.string(), "读不出视频流", rc);
  const int index = av_find_best_stream(input.get(), AVMEDIA_TYPE_VIDEO, -1, -1, nullptr, 0);
  if (index < 0) return make_error(ErrorCode::invalid_input, file.string(), "文件中没有视频");
  const AVStream* stream = input->streams[index];

  VideoFileInfo info;
  info.container = input->iformat->name;
  info.codec = avcodec_get_name(stream->codecpar->codec_id);
  info.width = stream->codecpar->width;
  info.height = stream->codecpar->height;
  if (stream->avg_frame_rate.num > 0 && stream->avg_frame_rate.den > 0) info.fps = av_q2d(stream->avg_frame_rate);
  for (const AVDictionary* tags : {static_cast<const AVDictionary*>(input->metadata), static_cast<const AVDictionary*>(stream->metadata)}) {
    if (const AVDictionaryEntry* e = av_dict_get(tags, "creation_time", nullptr, 0); e && !info.creation_time) info.creation_time = e->value;
  }

  // Presentation times of every video packet, in stream order; sorted they are the frames' times.
  std::vector<std::int64_t> pts;
  std::int64_t decode_order_backwards = 0, last_dts = AV_NOPTS_VALUE;
  av::Packet packet = av::make_packet();
  while ((rc = av_read_frame(input.get(), packet.get())) >= 0) {
    if (packet->stream_index == index) {
      const std::int64_t t = packet->pts != AV_NOPTS_VALUE ? packet->pts : packet->dts;
      if (t != AV_NOPTS_VALUE) pts.push_back(t);
      if (packet->dts != AV_NOPTS_VALUE) {
        if (last_dts != AV_NOPTS_VALUE && packet->dts <= last_dts) ++decode_order_backwards;
        last_dts = packet->dts;
      }
    }
    av_packet_unref(packet.get());
  }
  if (rc != AVERROR_EOF) return av::failure(ErrorCode::invalid_input, file.string(), "视频读到一半出错（文件可能不完整）", rc);
  if (pts.empty()) return make_error(ErrorCode::invalid_input, file.string(), "视频中没有帧");
  std::sort(pts.begin(), pts.end());
  info.times_monotonic = decode_order_backwards == 0 && std::adjacent_find(pts.begin(), pts.end()) == pts.end();
  info.frames = static_cast<std::int64_t>(pts.size());
  const double unit = av_q2d(stream->time_base);
  const double interval = info.fps > 0 ? 1.0 / info.fps : (pts.size() > 1 ? (pts.back() - pts.front()) * unit / (pts.size() - 1) : 0);
  const double threshold = std::max(3 * interval, 0.5);  // as for our own recordings (DESIGN.md, Continuity)
  for (size_t i = 1; i < pts.size(); ++i) {
    const double step = (pts[i] - pts[i - 1]) * unit;
    if (step > threshold) info.gaps.push_back({static_cast<std::int64_t>(i), (pts[i] - pts.front()) * unit, step});
  }
  info.duration_s = (pts.back() - pts.front()) * unit + interval;
  return info;
}

}  // namespace netsample::recorder
