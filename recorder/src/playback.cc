#include "netsample/recorder/playback.h"

#include <system_error>

#include "av.h"

namespace netsample::recorder {
namespace {

namespace fs = std::filesystem;

// An output file opened by FFmpeg itself: closed before the context is freed.
struct FileOutputDeleter {
  void operator()(AVFormatContext* c) const {
    if (c->pb) avio_closep(&c->pb);
    avformat_free_context(c);
  }
};
using FileOutput = std::unique_ptr<AVFormatContext, FileOutputDeleter>;

struct VideoInput {
  av::Input input;
  int stream = -1;
};

Result<VideoInput> open_video(const fs::path& file) {
  AVFormatContext* raw = avformat_alloc_context();
  if (!raw) return make_error(ErrorCode::internal, "playback", "内存不足");
  // Each packet's keyframe flag as the container has it. A parser would also call a scene-cut I-frame (not an IDR:
  // no random access point, so the recording's trun says non-sync) a keyframe, and the copy would differ from it.
  raw->flags |= AVFMT_FLAG_NOPARSE | AVFMT_FLAG_NOFILLIN;
  int rc = avformat_open_input(&raw, file.c_str(), nullptr, nullptr);  // frees the context when it fails
  if (rc < 0) return av::failure(ErrorCode::integrity, file.filename().string(), "不是可读的视频文件", rc);
  VideoInput v{av::Input(raw), -1};
  if ((rc = avformat_find_stream_info(v.input.get(), nullptr)) < 0)
    return av::failure(ErrorCode::integrity, file.filename().string(), "读不出视频流", rc);
  v.stream = av_find_best_stream(v.input.get(), AVMEDIA_TYPE_VIDEO, -1, -1, nullptr, 0);
  if (v.stream < 0) return make_error(ErrorCode::integrity, file.filename().string(), "文件中没有视频");
  return v;
}

// The next packet of the video stream; false at the end.
Result<bool> next_packet(VideoInput& v, AVPacket* packet, const fs::path& file) {
  for (;;) {
    av_packet_unref(packet);
    const int rc = av_read_frame(v.input.get(), packet);
    if (rc == AVERROR_EOF) return false;
    if (rc < 0) return av::failure(ErrorCode::integrity, file.filename().string(), "视频读到一半出错", rc);
    if (packet->stream_index == v.stream) return true;
  }
}

}  // namespace

Result<PlaybackCopy> write_playback_copy(const fs::path& media, const fs::path& copy) {
  NETSAMPLE_ASSIGN(VideoInput in, open_video(media));
  const AVStream* source = in.input->streams[in.stream];
  const fs::path part = copy.string() + ".part";

  AVFormatContext* raw = nullptr;
  int rc = avformat_alloc_output_context2(&raw, nullptr, "mp4", part.c_str());
  if (rc < 0 || !raw) return av::failure(ErrorCode::internal, "playback", "FFmpeg 没有 MP4 封装", rc);
  FileOutput out(raw);
  AVStream* target = avformat_new_stream(out.get(), nullptr);
  if (!target) return make_error(ErrorCode::internal, "playback", "无法建立视频流");
  if ((rc = avcodec_parameters_copy(target->codecpar, source->codecpar)) < 0)
    return av::failure(ErrorCode::internal, "playback", "无法复制视频参数", rc);
  target->codecpar->codec_tag = 0;
  target->time_base = source->time_base;  // the same clock: times copy over without rounding
  if ((rc = avio_open(&out->pb, part.c_str(), AVIO_FLAG_WRITE)) < 0)
    return av::failure(ErrorCode::io, part.string(), "无法写入", rc);
  av::Options options;
  options.set("movflags", "+faststart");  // the index in front: a player knows every frame's place at once
  if ((rc = avformat_write_header(out.get(), options.get())) < 0)
    return av::failure(ErrorCode::io, part.string(), "无法写入文件头", rc);

  PlaybackCopy made;
  av::Packet packet = av::make_packet();
  for (;;) {
    NETSAMPLE_ASSIGN(bool more, next_packet(in, packet.get(), media));
    if (!more) break;
    packet->stream_index = 0;
    packet->pos = -1;
    av_packet_rescale_ts(packet.get(), source->time_base, target->time_base);
    if ((rc = av_write_frame(out.get(), packet.get())) < 0) return av::failure(ErrorCode::io, part.string(), "写入失败", rc);
    ++made.packets;
  }
  if ((rc = av_write_trailer(out.get())) < 0) return av::failure(ErrorCode::io, part.string(), "无法写完索引", rc);
  out.reset();  // closed before it takes the final name
  std::error_code ec;
  made.bytes = fs::file_size(part, ec);
  fs::rename(part, copy, ec);
  if (ec) {
    fs::remove(part, ec);
    return make_error(ErrorCode::io, copy.string(), "无法保存回放副本");
  }
  return made;
}

}  // namespace netsample::recorder
