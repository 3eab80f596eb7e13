// Reading frames from the source (internal to recorder/): libavdevice for screens, libavformat for
// files, decoded to raw frames and stamped with the steady-clock instant they were taken.
#pragma once

#include <atomic>
#include <cstdint>
#include <optional>

#include "av.h"
#include "netsample/core/error.h"
#include "netsample/recorder/source.h"

namespace netsample::recorder {

struct CapturedFrame {
  av::Frame frame;
  std::int64_t monotonic_ns = 0;  // steady clock when the frame was taken
  bool after_source_loss = false;  // the source had to be reopened before this frame
};

class Capture {
 public:
  static Result<Capture> open(const SourceSpec& source, const std::optional<Region>& region, int fps);

  // The next frame; nullopt when a file source has ended or `stop` was set. A live source that fails is
  // reopened every 0.5 s until it answers again or `stop` is set (the watchdog sees the silence).
  Result<std::optional<CapturedFrame>> next(const std::atomic<bool>& stop);

  // As first opened (a reopened source is asked for the same size).
  int width() const { return width_; }
  int height() const { return height_; }
  AVPixelFormat pixel_format() const { return pixel_format_; }
  AVRational sample_aspect_ratio() const { return sample_aspect_ratio_; }
  std::string describe() const;  // device, size and format, for the manifest

 private:
  Capture() = default;
  Status open_input();

  SourceSpec source_;
  std::optional<Region> region_;
  int fps_ = 15;
  av::Input input_;
  av::Codec decoder_;
  int stream_ = -1;
  int width_ = 0, height_ = 0;
  AVPixelFormat pixel_format_ = AV_PIX_FMT_NONE;
  AVRational sample_aspect_ratio_{1, 1};
  av::Packet packet_ = av::make_packet();
  bool draining_ = false;
  // File sources are paced at their own speed: the first frame's pts and steady time.
  std::optional<std::int64_t> first_pts_;
  std::int64_t first_monotonic_ns_ = 0;
};

std::int64_t steady_now_ns();

}  // namespace netsample::recorder
