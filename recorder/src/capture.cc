#include "capture.h"

#include <chrono>
#include <thread>

extern "C" {
#include <libavdevice/avdevice.h>
}

namespace netsample::recorder {

std::int64_t steady_now_ns() {
  return std::chrono::duration_cast<std::chrono::nanoseconds>(std::chrono::steady_clock::now().time_since_epoch()).count();
}

Result<Capture> Capture::open(const SourceSpec& source, const std::optional<Region>& region, int fps) {
  Capture capture;
  capture.source_ = source;
  capture.region_ = region;
  capture.fps_ = fps;
  NETSAMPLE_TRY(capture.open_input());
  capture.width_ = capture.decoder_->width;
  capture.height_ = capture.decoder_->height;
  capture.pixel_format_ = capture.decoder_->pix_fmt;
  capture.sample_aspect_ratio_ = capture.decoder_->sample_aspect_ratio;
  if (capture.width_ <= 0 || capture.height_ <= 0 || capture.pixel_format_ == AV_PIX_FMT_NONE)
    return make_error(ErrorCode::invalid_input, "--source", "录制来源没有给出画面尺寸或像素格式：" + source.text);
  return capture;
}

Status Capture::open_input() {
  static const int registered = (avdevice_register_all(), 0);
  (void)registered;
  const AVInputFormat* format = nullptr;
  av::Options options;
  if (!source_.device.empty()) {
    format = av_find_input_format(source_.device.c_str());
    if (!format) {
      const char* where = source_.kind == SourceKind::gdigrab        ? "Windows"
                          : source_.kind == SourceKind::avfoundation ? "macOS"
                          : source_.kind == SourceKind::v4l2         ? "Linux（摄像头）"
                                                                     : "Linux（X11）";
      return make_error(ErrorCode::invalid_input, "--source",
                        "这台机器的 FFmpeg（libavdevice）没有 " + source_.device + " 输入；它只在 " + where + " 上可用");
    }
    options.set("framerate", std::to_string(fps_));
    if (!region_ && width_ > 0) options.set("video_size", std::to_string(width_) + "x" + std::to_string(height_));  // a reopen
    if (region_) {
      options.set("video_size", std::to_string(region_->width) + "x" + std::to_string(region_->height));
      if (source_.kind == SourceKind::x11 || source_.kind == SourceKind::gdigrab) {
        options.set(source_.kind == SourceKind::x11 ? "grab_x" : "offset_x", std::to_string(region_->x));
        options.set(source_.kind == SourceKind::x11 ? "grab_y" : "offset_y", std::to_string(region_->y));
      }
    }
    if (source_.kind != SourceKind::v4l2) options.set("draw_mouse", "1");  // screens; a camera has no pointer
    if (source_.kind == SourceKind::avfoundation) options.set("capture_cursor", "1");
  }
  AVFormatContext* raw = nullptr;
  int rc = avformat_open_input(&raw, source_.url.c_str(), format, options.get());
  if (rc < 0) return av::failure(source_.live() ? ErrorCode::not_found : ErrorCode::invalid_input, "--source", "无法打开录制来源 " + source_.text, rc);
  input_.reset(raw);
  if ((rc = avformat_find_stream_info(input_.get(), nullptr)) < 0)
    return av::failure(ErrorCode::invalid_input, "--source", "读不出录制来源的视频流", rc);
  const AVCodec* codec = nullptr;
  stream_ = av_find_best_stream(input_.get(), AVMEDIA_TYPE_VIDEO, -1, -1, &codec, 0);
  if (stream_ < 0 || !codec) return av::failure(ErrorCode::invalid_input, "--source", "录制来源中没有可解码的视频", stream_);
  decoder_.reset(avcodec_alloc_context3(codec));
  avcodec_parameters_to_context(decoder_.get(), input_->streams[stream_]->codecpar);
  decoder_->pkt_timebase = input_->streams[stream_]->time_base;
  if ((rc = avcodec_open2(decoder_.get(), codec, nullptr)) < 0)
    return av::failure(ErrorCode::internal, "--source", "无法打开解码器", rc);
  draining_ = false;
  return {};
}

std::string Capture::describe() const {
  return (source_.device.empty() ? std::string("file") : source_.device) + " " + std::to_string(width()) + "x" +
         std::to_string(height()) + " " + (av_get_pix_fmt_name(pixel_format()) ? av_get_pix_fmt_name(pixel_format()) : "?");
}

Result<std::optional<CapturedFrame>> Capture::next(const std::atomic<bool>& stop) {
  bool lost = false;
  while (!stop.load()) {
    av::Frame frame = av::make_frame();
    int rc = avcodec_receive_frame(decoder_.get(), frame.get());
    if (rc == 0) {
      if (width_ > 0 && (frame->width != width_ || frame->height != height_ || frame->format != pixel_format_))
        return make_error(ErrorCode::invalid_input, "--source", "录制来源的画面尺寸或格式在录制中变了（" + std::to_string(frame->width) + "x" +
                                                                   std::to_string(frame->height) + "），不能接续同一段录像");
      CapturedFrame captured{std::move(frame), steady_now_ns(), lost};
      if (!source_.live()) {  // a file plays at its own speed, as if it were being captured now
        const std::int64_t pts = captured.frame->best_effort_timestamp;
        const AVRational tb = input_->streams[stream_]->time_base;
        if (!first_pts_) {
          first_pts_ = pts;
          first_monotonic_ns_ = captured.monotonic_ns;
        }
        const std::int64_t due = first_monotonic_ns_ + av_rescale_q(pts - *first_pts_, tb, AVRational{1, 1000000000});
        while (!stop.load() && steady_now_ns() < due)
          std::this_thread::sleep_for(std::chrono::nanoseconds(std::min<std::int64_t>(due - steady_now_ns(), 50'000'000)));
        captured.monotonic_ns = std::max(due, captured.monotonic_ns);
      }
      return std::optional<CapturedFrame>(std::move(captured));
    }
    if (rc == AVERROR_EOF) return std::optional<CapturedFrame>();
    if (rc != AVERROR(EAGAIN)) return av::failure(ErrorCode::invalid_input, "--source", "视频解码失败", rc);
    if (draining_) return std::optional<CapturedFrame>();

    rc = av_read_frame(input_.get(), packet_.get());
    if (rc == AVERROR_EOF && !source_.live()) {
      draining_ = true;
      avcodec_send_packet(decoder_.get(), nullptr);
      continue;
    }
    if (rc < 0) {
      // A live source that stops answering (X server gone, device unplugged): reopen until it is back.
      lost = true;
      input_.reset();
      decoder_.reset();
      while (!stop.load()) {
        std::this_thread::sleep_for(std::chrono::milliseconds(500));
        if (open_input().ok()) break;
      }
      if (!input_) return std::optional<CapturedFrame>();
      continue;
    }
    if (packet_->stream_index == stream_) rc = avcodec_send_packet(decoder_.get(), packet_.get());
    av_packet_unref(packet_.get());
    if (rc < 0 && rc != AVERROR(EAGAIN)) return av::failure(ErrorCode::invalid_input, "--source", "视频解码失败", rc);
  }
  return std::optional<CapturedFrame>();
}

}  // namespace netsample::recorder
