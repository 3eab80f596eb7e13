// Stamp, encode and write (internal to recorder/): each captured frame gets a strip above it with the trusted
// Beijing time (ms), the frame counter and the case number (stamp_strip.h), is converted where it changed
// (frame_composer.h), encoded with libx264 (h264_encoder.h) and written as fragmented MP4 through our own AVIO
// sink, which hashes the bytes as they pass. A fragment is cut at a keyframe about every second, fdatasync'd,
// and handed to `on_fragment` for the journal.
#pragma once

#include <cstdint>
#include <deque>
#include <filesystem>
#include <functional>
#include <memory>
#include <string>

#include "av.h"
#include "frame_composer.h"
#include "h264_encoder.h"
#include "stamp_strip.h"
#include "netsample/core/error.h"
#include "netsample/core/file_io.h"
#include "netsample/core/sha256.h"
#include "netsample/recorder/journal.h"

namespace netsample::recorder {

struct EncoderSettings {
  int width = 0, height = 0;  // of the captured frames
  AVPixelFormat pixel_format = AV_PIX_FMT_NONE;
  AVRational sample_aspect_ratio{1, 1};
  int fps = 15;
  std::string case_number;
  std::string preset = "veryfast";
  int crf = 23;
  std::string creation_time;  // ISO 8601, the container's creation_time
  bool track_changes = true;  // convert and analyse only what changed (frame_composer.h); false: every frame whole
};

struct FrameStamp {
  std::int64_t index = 0;
  std::int64_t utc_us = 0;       // trusted capture time
  std::int64_t relative_ms = 0;  // since the first frame, on the steady clock: the frame's pts in the file
  bool starts_fragment = false;  // encode as a keyframe and begin a new fragment with it
};

class FragmentedEncoder {
 public:
  using FragmentSink = std::function<Status(const FragmentInput&)>;

  // Creates `media` (never overwrites) and writes the init segment, which is fragment 0.
  static Result<std::unique_ptr<FragmentedEncoder>> open(const EncoderSettings& settings, const std::filesystem::path& media,
                                                         std::function<void()> on_write, FragmentSink on_fragment);
  ~FragmentedEncoder();

  // Stamps, encodes and writes one frame. Returns the frame as encoded (valid until the next call), for stills.
  Result<const AVFrame*> add(const AVFrame& captured, const FrameStamp& stamp);
  // Shows or hides the "time not verified" mark from the next frame on.
  void show_unverified_mark(bool shown);
  // Shows a caption on the strip's second line from the next frame on, a line at a time; empty hides it.
  Status set_caption(const std::string& text);
  // Drains the encoder, writes the last fragment and closes the file (fsync'd).
  Status finish();

  std::uint64_t bytes_written() const { return bytes_written_; }
  int output_width() const { return composer_->width(); }
  int output_height() const { return composer_->height(); }
  int strip_height() const { return strip_->height(); }
  std::string codec_description() const;

 private:
  FragmentedEncoder() = default;
  Status open_muxer(const EncoderSettings& settings, const std::filesystem::path& media);
  Status write_packet(av::Packet packet);  // one the encoder gave
  Status write_held();         // the held packet, whose duration is now known
  Status cut_fragment();       // flush the muxer's open fragment to the file and journal it
  static int write_callback(void* opaque, std::uint8_t* data, int size);

  std::unique_ptr<StampStrip> strip_;
  std::unique_ptr<FrameComposer> composer_;
  std::unique_ptr<H264Encoder> encoder_;
  int fps_ = 15;
  av::Output muxer_;
  av::Io io_;
  av::Packet held_;  // the newest packet, written when the next one gives its duration
  FrameStamp held_stamp_;
  UniqueFd fd_;
  std::filesystem::path media_;
  std::function<void()> on_write_;
  FragmentSink on_fragment_;
  Status write_error_;
  int preset_crf_ = 23;
  std::string preset_;

  std::deque<FrameStamp> in_encoder_;  // frames sent, packets not yet out (in order: no B-frames)
  // The open fragment.
  std::uint64_t bytes_written_ = 0;
  std::uint64_t fragment_offset_ = 0;
  Sha256 fragment_hash_;
  std::int64_t fragment_first_ = -1, fragment_last_ = -1, fragment_start_us_ = 0, fragment_end_us_ = 0;
  bool finished_ = false;
};

}  // namespace netsample::recorder
