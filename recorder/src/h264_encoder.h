// H.264 with libx264 called directly (internal to recorder/). FFmpeg 5.1's libx264 wrapper cannot pass x264 the
// macroblocks that did not change since the previous frame (x264's mb_info; libavcodec learned it only in FFmpeg 7):
// told, x264 skips them without analysing them, which is most of its work on a still page. The settings are the
// ones the wrapper used (preset, tune zerolatency, CRF, keyframe cap, no B-frames, x264's own thread count), and
// the bitstream goes to libavformat's MP4 muxer as before.
#pragma once

#include <cstdint>
#include <memory>
#include <optional>
#include <string>
#include <vector>

#include "av.h"
#include "netsample/core/error.h"

struct x264_t;

namespace netsample::recorder {

struct H264Settings {
  int width = 0, height = 0;  // even
  int fps = 15;
  std::string preset = "veryfast";
  int crf = 23;
  AVRational sample_aspect_ratio{1, 1};
};

class H264Encoder {
 public:
  static Result<std::unique_ptr<H264Encoder>> open(const H264Settings& settings);
  ~H264Encoder();
  H264Encoder(const H264Encoder&) = delete;
  H264Encoder& operator=(const H264Encoder&) = delete;

  // SPS and PPS (Annex B), the codec configuration the muxer writes into the init segment.
  const std::string& extradata() const { return extradata_; }

  // Encodes one YUV 4:2:0 picture; `pts_ms` is its time in the file. `constant` has one byte per macroblock
  // (row by row), non-zero where the picture is identical to the previous one; nullptr: all may have changed.
  // Returns the packet x264 has ready (with zerolatency, this picture's), or nullptr.
  Result<av::Packet> encode(const AVFrame& picture, std::int64_t pts_ms, bool keyframe, const std::uint8_t* constant);
  // What x264 still holds, one packet at a time; nullptr when drained.
  Result<av::Packet> flush();

  int macroblock_columns() const { return (width_ + 15) / 16; }
  int macroblock_rows() const { return (height_ + 15) / 16; }

 private:
  H264Encoder() = default;
  Result<av::Packet> packet_from(int size, void* nals, const void* picture_out);

  struct Close {
    void operator()(x264_t* encoder) const;
  };
  std::unique_ptr<x264_t, Close> x264_;
  int width_ = 0, height_ = 0;
  std::string extradata_;
  std::string sei_;  // x264's settings message, in front of the first packet (as libavcodec does)
};

}  // namespace netsample::recorder
