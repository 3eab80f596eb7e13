// The frame the encoder gets (internal to recorder/): the stamp strip on top, the captured screen below it,
// as YUV 4:2:0. The frame is kept from one capture to the next and only the macroblocks whose pixels changed are
// converted again (libyuv, exact: a 2x2 block's chroma depends on those four pixels alone, and every macroblock
// boundary is even), so the frame is always identical to a full conversion of the capture. The same comparison
// tells x264 which macroblocks are unchanged. Screens arrive as 32-bit BGR (x11grab, gdigrab); any other
// format (a file, a camera) is converted whole with swscale and counts as changed everywhere.
#pragma once

#include <cstdint>
#include <vector>

#include "av.h"
#include "netsample/core/error.h"
#include "stamp_strip.h"

namespace netsample::recorder {

struct ComposerSettings {
  int width = 0, height = 0;  // of the captured frames; an odd last column or row is dropped (4:2:0)
  AVPixelFormat pixel_format = AV_PIX_FMT_NONE;
  int strip_height = 0;       // a multiple of 16, above the picture
  bool track_changes = true;  // false: convert every frame whole (the tests' reference)
};

class FrameComposer {
 public:
  static Result<FrameComposer> create(const ComposerSettings& settings);

  int width() const { return width_; }
  int height() const { return strip_height_ + picture_height_; }
  int macroblock_columns() const { return (width_ + 15) / 16; }
  int macroblock_rows() const { return (height() + 15) / 16; }

  // Converts what the strip drew and the captured frame into the frame. Valid until the next call.
  Result<const AVFrame*> compose(const StampStrip::Image& strip, const AVFrame& captured);
  // After `compose`: one byte per macroblock, row by row, 1 where the frame is identical to the previous one.
  const std::vector<std::uint8_t>& unchanged() const { return unchanged_; }
  // The share of the picture's macroblocks converted for the last frame (0 to 1); the tests check it.
  double converted_share() const { return converted_share_; }

 private:
  FrameComposer() = default;
  void convert_strip(const StampStrip::Image& strip);
  void convert_tracked(const AVFrame& captured);
  // Compares rows [top, bottom) and macroblock columns [first_column, end_column) of `now` with `before` (32-bit BGR),
  // converts each run of changed macroblocks into the frame `frame_offset` rows lower and records in `unchanged_`
  // which stayed. Returns how many changed. The strip and the screen both go through it.
  int convert_changed(const std::uint8_t* now, int now_stride, const std::uint8_t* before, int before_stride, int top, int bottom,
                      int first_column, int end_column, int frame_offset);
  Status convert_whole(const AVFrame& captured);
  // Converts the 32-bit BGR block [x, x+w) x [y, y+h) of `source` into the frame at picture row y.
  void convert_block(const std::uint8_t* source, int stride, int x, int y, int w, int h, int frame_y);

  int width_ = 0, picture_height_ = 0, strip_height_ = 0;
  bool packed_bgr_ = false, track_changes_ = true;
  AVPixelFormat pixel_format_ = AV_PIX_FMT_NONE;
  av::Frame frame_;
  av::Frame previous_;                    // the previous capture (a reference, not a copy)
  std::vector<std::uint8_t> previous_strip_;
  std::vector<std::uint8_t> unchanged_;
  std::vector<std::uint8_t> changed_row_;  // scratch: the changed macroblocks of one macroblock row
  av::Sws sws_;
  double converted_share_ = 1;
};

}  // namespace netsample::recorder
