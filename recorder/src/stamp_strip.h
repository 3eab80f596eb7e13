// The stamp strip (internal to recorder/): a band added above the captured picture, so that nothing the sampler
// saw is covered (the picture below it is the screen, every pixel). Line one: the trusted Beijing time to the
// millisecond, the frame number and the case number, and in red on the right 「时间未经网络校验」 while no time
// server has answered. Line two: a caption (the time check, the environment check), its lines shown in turn.
// Drawn with Pango and cairo into the strip's own pixels only; the encoder converts those into the frame.
#pragma once

#include <cstdint>
#include <memory>
#include <string>
#include <vector>

#include "netsample/core/error.h"
#include "netsample/core/pango_cairo.h"

namespace netsample::recorder {

class StampStrip {
 public:
  // For a picture `width` wide and `picture_height` tall; the font scales with the picture.
  static Result<std::unique_ptr<StampStrip>> create(int width, int picture_height, const std::string& case_number);

  int width() const { return width_; }
  int height() const { return height_; }  // a multiple of 16: the picture starts on a macroblock row
  int line_height() const { return line_height_; }  // line one: the stamp and the mark; line two is below it

  void show_unverified_mark(bool shown) { mark_shown_ = shown; }
  // Shows `text` on line two, one line of it at a time for `kCaptionLineSeconds` each, once; "" clears it.
  void set_caption(const std::string& text);
  static constexpr int kCaptionLineSeconds = 2;

  // Draws the strip for one frame: `utc_us` is its trusted time, `steady_ms` its place on the file's timeline
  // (captions turn on it). Only what changed is drawn again: mostly the time and frame number on line one.
  struct Image {
    const std::uint8_t* pixels;  // 32-bit B,G,R,x rows of `stride` bytes, valid until the next call
    int stride;
    int dirty_x, dirty_y, dirty_width, dirty_height;  // what this call drew; the rest is as before
  };
  Image render(std::int64_t frame, std::int64_t utc_us, std::int64_t steady_ms);

  // "北京时间 2026-12-05 23:10:10.123   帧 42   案件 …", as drawn for that frame.
  std::string stamp_text(std::int64_t frame, std::int64_t utc_us) const;

 private:
  StampStrip() = default;
  void draw_text(PangoLayout* layout, const std::string& text, double x, double y);

  int width_ = 0, height_ = 0, font_pixels_ = 0, line_height_ = 0, stride_ = 0;
  std::string case_number_;
  bool mark_shown_ = false;
  std::vector<std::string> caption_lines_;
  std::int64_t caption_start_ms_ = -1;  // the first frame it is drawn on
  // What the last render drew, to know what must be drawn again.
  bool drawn_ = false, drawn_mark_ = false;
  long drawn_caption_line_ = -1;
  int stamp_right_ = 0;  // the widest stamp text drawn so far ends here
  pango_cairo::Surface surface_;
  pango_cairo::Cairo cairo_;
  pango_cairo::Layout stamp_layout_, mark_layout_, caption_layout_;
};

}  // namespace netsample::recorder
