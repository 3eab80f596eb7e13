#include "encoder.h"

#include <fcntl.h>
#include <unistd.h>

#include <cstring>

extern "C" {
#include <libavfilter/buffersink.h>
#include <libavfilter/buffersrc.h>
#include <libavutil/opt.h>
}

namespace netsample::recorder {
namespace fs = std::filesystem;

namespace {

constexpr AVRational kMillisecond{1, 1000};
constexpr std::int64_t kBeijingOffsetMs = 8 * 3600 * 1000;

// drawtext expands %{...} and backslash escapes in its text; a case number is shown literally.
std::string literal_text(std::string_view text) {
  std::string out;
  for (char c : text) {
    if (c == '\\' || c == '%' || c == '{' || c == '}' || c == ':') out += '\\';
    out += c;
  }
  return out;
}

Status set_options(AVFilterContext* filter, const std::vector<std::pair<const char*, std::string>>& options) {
  for (const auto& [key, value] : options) {
    const int rc = av_opt_set(filter, key, value.c_str(), AV_OPT_SEARCH_CHILDREN);
    if (rc < 0) return av::failure(ErrorCode::internal, "overlay", std::string("叠加层参数 ") + key + " 无效", rc);
  }
  return {};
}

}  // namespace

Result<std::string> find_overlay_font() {
  // Noto Sans CJK through fontconfig, so the Simplified Chinese face of the collection is chosen.
  for (const char* file : {"/usr/share/fonts/opentype/noto/NotoSansCJK-Regular.ttc", "/usr/share/fonts/noto-cjk/NotoSansCJK-Regular.ttc"})
    if (fs::exists(file)) return std::string("Noto Sans CJK SC");
  return make_error(ErrorCode::not_found, "overlay",
                    "画面叠加需要中文字体 Noto Sans CJK（Debian 软件包 fonts-noto-cjk），这台机器上没有");
}

Result<std::unique_ptr<FragmentedEncoder>> FragmentedEncoder::open(const EncoderSettings& settings, const fs::path& media,
                                                                   std::function<void()> on_write, FragmentSink on_fragment) {
  NETSAMPLE_ASSIGN(std::string font, find_overlay_font());
  std::unique_ptr<FragmentedEncoder> encoder(new FragmentedEncoder());
  encoder->on_write_ = std::move(on_write);
  encoder->on_fragment_ = std::move(on_fragment);
  encoder->preset_ = settings.preset;
  encoder->preset_crf_ = settings.crf;
  NETSAMPLE_TRY(encoder->build_filters(settings, font));
  NETSAMPLE_TRY(encoder->open_encoder(settings));
  NETSAMPLE_TRY(encoder->open_muxer(settings, media));
  return encoder;
}

FragmentedEncoder::~FragmentedEncoder() {
  if (caption_file_.empty()) return;
  std::error_code ec;
  fs::remove_all(caption_file_.parent_path(), ec);
}

Status FragmentedEncoder::build_filters(const EncoderSettings& settings, const std::string& font) {
  graph_.reset(avfilter_graph_alloc());
  // Same size, only RGB -> YUV 4:2:0: luma is exact whatever the flags; fast_bilinear only simplifies the
  // chroma filter (cheaper; the benchmark measures the whole pipeline against the ffmpeg program).
  graph_->scale_sws_opts = av_strdup("flags=fast_bilinear");
  const std::string source_args = "video_size=" + std::to_string(settings.width) + "x" + std::to_string(settings.height) +
                                  ":pix_fmt=" + std::to_string(settings.pixel_format) + ":time_base=1/1000:pixel_aspect=" +
                                  std::to_string(std::max(1, settings.sample_aspect_ratio.num)) + "/" +
                                  std::to_string(std::max(1, settings.sample_aspect_ratio.den));
  int rc = avfilter_graph_create_filter(&source_, avfilter_get_by_name("buffer"), "in", source_args.c_str(), nullptr, graph_.get());
  if (rc < 0) return av::failure(ErrorCode::internal, "overlay", "无法建立滤镜输入", rc);

  // Large enough to read on a 1280x720 screen at a glance, small enough to leave the page visible.
  const int font_size = std::max(18, settings.height / 30);
  // The frame's pts is the trusted Beijing time in ms; +0.5 ms keeps float rounding off the second boundary.
  const std::string stamp_text = "北京时间 %{pts:gmtime:0.0005:%Y-%m-%d %H\\:%M\\:%S}.%{eif:mod(t*1000+0.5,1000):d:3}   帧 %{frame_num}\n" +
                                 std::string("案件 ") + (settings.case_number.empty() ? "（未指定）" : literal_text(settings.case_number));
  AVFilterContext* stamp = avfilter_graph_alloc_filter(graph_.get(), avfilter_get_by_name("drawtext"), "stamp");
  AVFilterContext* mark = avfilter_graph_alloc_filter(graph_.get(), avfilter_get_by_name("drawtext"), "mark");
  AVFilterContext* caption = avfilter_graph_alloc_filter(graph_.get(), avfilter_get_by_name("drawtext"), "caption");
  if (!stamp || !mark || !caption) return make_error(ErrorCode::internal, "overlay", "FFmpeg 没有 drawtext 滤镜（需要 libfreetype 支持）");
  NETSAMPLE_TRY(set_options(stamp, {{"font", font}, {"text", stamp_text}, {"fontsize", std::to_string(font_size)},
                                    {"fontcolor", "white"}, {"box", "1"}, {"boxcolor", "black@0.65"}, {"boxborderw", "8"},
                                    {"line_spacing", "6"}, {"x", "12"}, {"y", "12"}}));
  NETSAMPLE_TRY(set_options(mark, {{"font", font}, {"text", "时间未经网络校验 TIME NOT VERIFIED"}, {"fontsize", std::to_string(font_size)},
                                   {"fontcolor", "white"}, {"box", "1"}, {"boxcolor", "red@0.85"}, {"boxborderw", "8"},
                                   {"x", "12"}, {"y", std::to_string(12 + font_size * 3)}, {"enable", "0"}}));
  // The caption is read from a file of ours on every frame while shown (reload=1), literally (expansion
  // none). Not drawtext's "reinit" command: FFmpeg 5.1 leaks the old context's strings on each reinit.
  char caption_dir[] = "/tmp/netsample-caption-XXXXXX";
  if (!::mkdtemp(caption_dir)) return make_error(ErrorCode::io, "caption", "无法建立画面说明文字的临时目录");
  caption_file_ = fs::path(caption_dir) / "caption.txt";
  NETSAMPLE_TRY(write_file_atomic(caption_file_, " "));
  NETSAMPLE_TRY(set_options(caption, {{"font", font}, {"textfile", caption_file_.string()}, {"reload", "1"}, {"expansion", "none"}, {"fontsize", std::to_string(std::max(16, font_size * 4 / 5))},
                                      {"fontcolor", "white"}, {"box", "1"}, {"boxcolor", "0x0b3d91@0.85"}, {"boxborderw", "10"},
                                      {"line_spacing", "4"}, {"x", "12"}, {"y", "h-text_h-24"}, {"enable", "0"}}));
  if ((rc = avfilter_init_str(stamp, nullptr)) < 0 || (rc = avfilter_init_str(mark, nullptr)) < 0 ||
      (rc = avfilter_init_str(caption, nullptr)) < 0)
    return av::failure(ErrorCode::internal, "overlay", "无法初始化画面叠加（字体 " + font + "）", rc);

  // H.264 4:2:0 needs even sizes: drop a last odd row or column.
  const std::string crop_args = "w=" + std::to_string(settings.width & ~1) + ":h=" + std::to_string(settings.height & ~1) + ":x=0:y=0";
  AVFilterContext* crop = nullptr;
  AVFilterContext* format = nullptr;
  if ((rc = avfilter_graph_create_filter(&crop, avfilter_get_by_name("crop"), "even", crop_args.c_str(), nullptr, graph_.get())) < 0 ||
      (rc = avfilter_graph_create_filter(&format, avfilter_get_by_name("format"), "yuv", "pix_fmts=yuv420p", nullptr, graph_.get())) < 0 ||
      (rc = avfilter_graph_create_filter(&sink_, avfilter_get_by_name("buffersink"), "out", nullptr, nullptr, graph_.get())) < 0)
    return av::failure(ErrorCode::internal, "overlay", "无法建立滤镜", rc);
  // Text is drawn on the converted frame: it is new and writable, so drawtext does not copy the captured one.
  AVFilterContext* chain[] = {source_, crop, format, stamp, mark, caption, sink_};
  for (size_t i = 0; i + 1 < std::size(chain); ++i)
    if ((rc = avfilter_link(chain[i], 0, chain[i + 1], 0)) < 0) return av::failure(ErrorCode::internal, "overlay", "无法连接滤镜", rc);
  if ((rc = avfilter_graph_config(graph_.get(), nullptr)) < 0) return av::failure(ErrorCode::internal, "overlay", "滤镜配置失败", rc);
  return {};
}

Status FragmentedEncoder::open_encoder(const EncoderSettings& settings) {
  const AVCodec* codec = avcodec_find_encoder_by_name("libx264");
  if (!codec) return make_error(ErrorCode::not_found, "encoder", "FFmpeg 没有 libx264 编码器");
  encoder_.reset(avcodec_alloc_context3(codec));
  encoder_->width = av_buffersink_get_w(sink_);
  encoder_->height = av_buffersink_get_h(sink_);
  encoder_->pix_fmt = AV_PIX_FMT_YUV420P;
  encoder_->sample_aspect_ratio = av_buffersink_get_sample_aspect_ratio(sink_);
  encoder_->time_base = kMillisecond;
  encoder_->framerate = AVRational{settings.fps, 1};
  encoder_->gop_size = settings.fps * 10;  // keyframes are forced at every fragment start; this is only the cap
  encoder_->max_b_frames = 0;
  encoder_->flags |= AV_CODEC_FLAG_GLOBAL_HEADER;  // SPS/PPS in the init segment (MP4)
  av::Options options;
  options.set("preset", settings.preset);
  options.set("tune", "zerolatency");  // no lookahead, no B-frames: a frame is on disk one fragment after capture
  options.set("crf", std::to_string(settings.crf));
  options.set("forced-idr", "1");
  const int rc = avcodec_open2(encoder_.get(), codec, options.get());
  if (rc < 0) return av::failure(ErrorCode::internal, "encoder", "无法打开 H.264 编码器", rc);
  return {};
}

int FragmentedEncoder::write_callback(void* opaque, std::uint8_t* data, int size) {
  auto* self = static_cast<FragmentedEncoder*>(opaque);
  if (!self->write_error_.ok()) return AVERROR(EIO);
  Status written = write_all(self->fd_.get(), std::string_view(reinterpret_cast<const char*>(data), static_cast<size_t>(size)), self->media_);
  if (!written.ok()) {
    self->write_error_ = written;
    return AVERROR(EIO);
  }
  self->fragment_hash_.update(data, static_cast<size_t>(size));
  self->bytes_written_ += static_cast<std::uint64_t>(size);
  if (self->on_write_) self->on_write_();
  return size;
}

Status FragmentedEncoder::open_muxer(const EncoderSettings& settings, const fs::path& media) {
  media_ = media;
  fd_ = UniqueFd(::open(media.c_str(), O_WRONLY | O_CREAT | O_EXCL | O_CLOEXEC, 0644));
  if (!fd_.valid()) return io_error(media, "无法新建录像文件（已存在的录像不会被覆盖或续写）");
  AVFormatContext* raw = nullptr;
  int rc = avformat_alloc_output_context2(&raw, nullptr, "mp4", nullptr);
  if (rc < 0) return av::failure(ErrorCode::internal, "muxer", "无法建立 MP4 封装", rc);
  muxer_.reset(raw);
  constexpr int kBufferSize = 1 << 16;
  auto* buffer = static_cast<unsigned char*>(av_malloc(kBufferSize));
  io_.reset(avio_alloc_context(buffer, kBufferSize, 1, this, nullptr, &FragmentedEncoder::write_callback, nullptr));
  muxer_->pb = io_.get();
  muxer_->flags |= AVFMT_FLAG_CUSTOM_IO;
  AVStream* stream = avformat_new_stream(muxer_.get(), nullptr);
  avcodec_parameters_from_context(stream->codecpar, encoder_.get());
  stream->time_base = kMillisecond;
  stream->avg_frame_rate = encoder_->framerate;
  if (!settings.creation_time.empty()) av_dict_set(&muxer_->metadata, "creation_time", settings.creation_time.c_str(), 0);
  if (!settings.case_number.empty()) av_dict_set(&muxer_->metadata, "title", settings.case_number.c_str(), 0);
  av_dict_set(&muxer_->metadata, "encoder", "netsample", 0);
  av::Options options;
  // Fragments are cut by us (frag_custom) at the keyframe we force about every second; the init segment
  // has an empty moov, so every fragment written is playable without a trailer (none is written).
  options.set("movflags", "frag_custom+empty_moov+default_base_moof+skip_trailer");
  if ((rc = avformat_write_header(muxer_.get(), options.get())) < 0)
    return write_error_.ok() ? av::failure(ErrorCode::internal, "muxer", "无法写入 MP4 文件头", rc) : write_error_.error();
  avio_flush(io_.get());
  NETSAMPLE_TRY(write_error_);
  return cut_fragment();  // the init segment (ftyp + moov) is fragment 0
}

Status FragmentedEncoder::cut_fragment() {
  if (fragment_first_ >= 0) {
    const int rc = av_write_frame(muxer_.get(), nullptr);  // frag_custom: write the buffered moof + mdat now
    if (rc < 0) return write_error_.ok() ? av::failure(ErrorCode::io, media_.string(), "写入片段失败", rc) : write_error_.error();
  }
  avio_flush(io_.get());
  NETSAMPLE_TRY(write_error_);
  if (bytes_written_ == fragment_offset_) return {};
  if (::fdatasync(fd_.get()) != 0) return io_error(media_, "录像文件同步（fsync）失败");
  FragmentInput fragment{fragment_offset_, bytes_written_ - fragment_offset_, fragment_hash_.finish(),
                         fragment_first_, fragment_last_, fragment_start_us_, fragment_end_us_};
  fragment_hash_ = Sha256();
  fragment_offset_ = bytes_written_;
  fragment_first_ = fragment_last_ = -1;
  fragment_start_us_ = fragment_end_us_ = 0;
  return on_fragment_(fragment);
}

Status FragmentedEncoder::write_packets() {
  for (;;) {
    av::Packet packet = av::make_packet();
    int rc = avcodec_receive_packet(encoder_.get(), packet.get());
    if (rc == AVERROR(EAGAIN) || rc == AVERROR_EOF) return {};
    if (rc < 0) return av::failure(ErrorCode::internal, "encoder", "H.264 编码失败", rc);
    if (in_encoder_.empty()) return make_error(ErrorCode::internal, "encoder", "编码器输出了未送入的帧");
    const FrameStamp stamp = in_encoder_.front();
    in_encoder_.pop_front();
    // A sample's duration in the file is the time to the next frame, so the container's frame times are
    // the capture times even across a gap at a fragment boundary: hold each packet until the next arrives.
    if (held_) {
      held_->duration = packet->pts - held_->pts;
      NETSAMPLE_TRY(write_held());
    }
    if (stamp.starts_fragment && (packet->flags & AV_PKT_FLAG_KEY) && fragment_first_ >= 0) NETSAMPLE_TRY(cut_fragment());
    held_ = std::move(packet);
    held_stamp_ = stamp;
  }
}

Status FragmentedEncoder::write_held() {
  const FrameStamp& stamp = held_stamp_;
  if (fragment_first_ < 0) {
    fragment_first_ = stamp.index;
    fragment_start_us_ = stamp.utc_us;
  }
  fragment_last_ = stamp.index;
  fragment_end_us_ = stamp.utc_us;
  held_->stream_index = 0;
  av_packet_rescale_ts(held_.get(), encoder_->time_base, muxer_->streams[0]->time_base);
  const int rc = av_write_frame(muxer_.get(), held_.get());
  held_.reset();
  if (rc < 0) return write_error_.ok() ? av::failure(ErrorCode::io, media_.string(), "写入录像失败", rc) : write_error_.error();
  return {};
}

void FragmentedEncoder::show_unverified_mark(bool shown) {
  if (shown == mark_shown_) return;
  mark_shown_ = shown;
  avfilter_graph_send_command(graph_.get(), "mark", "enable", shown ? "1" : "0", nullptr, 0, 0);
}

Status FragmentedEncoder::set_caption(const std::string& text) {
  if (text.empty()) {
    avfilter_graph_send_command(graph_.get(), "caption", "enable", "0", nullptr, 0, 0);
    return {};
  }
  // Replaced by rename: drawtext reads either the old text or the new, never half of one.
  NETSAMPLE_TRY(write_file_atomic(caption_file_, text));
  avfilter_graph_send_command(graph_.get(), "caption", "enable", "1", nullptr, 0, 0);
  return {};
}

Result<const AVFrame*> FragmentedEncoder::add(const AVFrame& captured, const FrameStamp& stamp) {
  av::Frame input(av_frame_clone(&captured));
  input->pts = stamp.utc_us / 1000 + kBeijingOffsetMs;  // what drawtext shows
  int rc = av_buffersrc_add_frame_flags(source_, input.get(), 0);
  if (rc < 0) return av::failure(ErrorCode::internal, "overlay", "画面叠加失败", rc);
  av_frame_unref(filtered_.get());
  if ((rc = av_buffersink_get_frame(sink_, filtered_.get())) < 0) return av::failure(ErrorCode::internal, "overlay", "画面叠加失败", rc);
  filtered_->pts = stamp.relative_ms;  // the file's timeline: steady-clock capture times
  filtered_->pict_type = stamp.starts_fragment ? AV_PICTURE_TYPE_I : AV_PICTURE_TYPE_NONE;
  in_encoder_.push_back(stamp);
  if ((rc = avcodec_send_frame(encoder_.get(), filtered_.get())) < 0) return av::failure(ErrorCode::internal, "encoder", "H.264 编码失败", rc);
  NETSAMPLE_TRY(write_packets());
  return static_cast<const AVFrame*>(filtered_.get());
}

Status FragmentedEncoder::finish() {
  if (finished_) return {};
  finished_ = true;
  avcodec_send_frame(encoder_.get(), nullptr);
  NETSAMPLE_TRY(write_packets());
  if (held_) {  // the last frame lasts one frame interval
    held_->duration = av_rescale_q(1, av_inv_q(encoder_->framerate), encoder_->time_base);
    NETSAMPLE_TRY(write_held());
  }
  NETSAMPLE_TRY(cut_fragment());
  const int rc = av_write_trailer(muxer_.get());
  if (rc < 0) return av::failure(ErrorCode::io, media_.string(), "结束录像文件失败", rc);
  NETSAMPLE_TRY(cut_fragment());  // anything the trailer wrote (nothing, with skip_trailer) is journaled too
  if (::fsync(fd_.get()) != 0) return io_error(media_, "录像文件同步（fsync）失败");
  return {};
}

std::string FragmentedEncoder::codec_description() const {
  return "H.264 (libx264 preset " + preset_ + ", tune zerolatency, crf " + std::to_string(preset_crf_) + ") " +
         std::to_string(encoder_->width) + "x" + std::to_string(encoder_->height) + " yuv420p, fragmented MP4";
}

}  // namespace netsample::recorder
