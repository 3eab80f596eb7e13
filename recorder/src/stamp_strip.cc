#include "stamp_strip.h"

#include <algorithm>
#include <ctime>
#include <filesystem>
#include <sstream>

namespace netsample::recorder {
namespace {

constexpr std::int64_t kBeijingOffsetUs = 8LL * 3600 * 1'000'000;
constexpr const char* kUnverifiedMark = "时间未经网络校验 TIME NOT VERIFIED";

pango_cairo::Layout make_layout(cairo_t* cr, int pixels) {
  pango_cairo::Layout layout(pango_cairo_create_layout(cr));
  pango_cairo::Font font(pango_font_description_from_string("Noto Sans CJK SC"));
  pango_font_description_set_absolute_size(font.get(), pixels * PANGO_SCALE);
  pango_layout_set_font_description(layout.get(), font.get());
  pango_layout_set_single_paragraph_mode(layout.get(), TRUE);
  return layout;
}

}  // namespace

Result<std::unique_ptr<StampStrip>> StampStrip::create(int width, int picture_height, const std::string& case_number) {
  // The CJK font: an error names the Debian package when it is missing.
  bool font_found = false;
  for (const char* file : {"/usr/share/fonts/opentype/noto/NotoSansCJK-Regular.ttc", "/usr/share/fonts/noto-cjk/NotoSansCJK-Regular.ttc"})
    font_found = font_found || std::filesystem::exists(file);
  if (!font_found)
    return make_error(ErrorCode::not_found, "overlay", "画面时间条需要中文字体 Noto Sans CJK（Debian 软件包 fonts-noto-cjk），这台机器上没有");
  std::unique_ptr<StampStrip> strip(new StampStrip());
  strip->width_ = width;
  // Readable at a glance on a 1280x720 screen (18 px), a band of about a tenth of the picture's height at 1080p.
  strip->font_pixels_ = std::max(18, picture_height / 40);
  strip->case_number_ = case_number;
  // Line one is as tall as the font's line box (ascent to descent), line two below it; the strip ends on a
  // macroblock boundary. Measured on a scratch surface, then the strip's own is made.
  pango_cairo::Surface scratch(cairo_image_surface_create(CAIRO_FORMAT_RGB24, 16, 16));
  pango_cairo::Cairo scratch_cairo(cairo_create(scratch.get()));
  int text_width = 0, stamp_height = 0, caption_height = 0;
  pango_cairo::Layout probe = make_layout(scratch_cairo.get(), strip->font_pixels_);
  pango_layout_set_text(probe.get(), strip->stamp_text(0, 0).c_str(), -1);
  pango_layout_get_pixel_size(probe.get(), &text_width, &stamp_height);
  probe = make_layout(scratch_cairo.get(), strip->font_pixels_ * 5 / 6);
  pango_layout_set_text(probe.get(), "网络校时", -1);
  pango_layout_get_pixel_size(probe.get(), &text_width, &caption_height);
  const int pad = strip->font_pixels_ / 4;
  strip->line_height_ = pad + stamp_height + pad;
  strip->height_ = (strip->line_height_ + caption_height + 2 * pad + 15) / 16 * 16;

  strip->surface_.reset(cairo_image_surface_create(CAIRO_FORMAT_RGB24, width, strip->height_));
  if (cairo_surface_status(strip->surface_.get()) != CAIRO_STATUS_SUCCESS)
    return make_error(ErrorCode::internal, "overlay", "无法建立画面时间条");
  strip->stride_ = cairo_image_surface_get_stride(strip->surface_.get());
  strip->cairo_.reset(cairo_create(strip->surface_.get()));
  strip->stamp_layout_ = make_layout(strip->cairo_.get(), strip->font_pixels_);
  strip->mark_layout_ = make_layout(strip->cairo_.get(), strip->font_pixels_);
  strip->caption_layout_ = make_layout(strip->cairo_.get(), strip->font_pixels_ * 5 / 6);
  pango_layout_set_text(strip->mark_layout_.get(), kUnverifiedMark, -1);
  pango_layout_set_width(strip->caption_layout_.get(), (width - strip->font_pixels_) * PANGO_SCALE);
  pango_layout_set_ellipsize(strip->caption_layout_.get(), PANGO_ELLIPSIZE_END);
  return strip;
}

void StampStrip::set_caption(const std::string& text) {
  caption_lines_.clear();
  std::istringstream in(text);
  for (std::string line; std::getline(in, line);)
    if (line.find_first_not_of(' ') != std::string::npos) caption_lines_.push_back(line);
  caption_start_ms_ = -1;
}

std::string StampStrip::stamp_text(std::int64_t frame, std::int64_t utc_us) const {
  const std::int64_t beijing_ms = (utc_us + kBeijingOffsetUs) / 1000;
  const std::time_t seconds = static_cast<std::time_t>(beijing_ms / 1000);
  std::tm parts{};
  gmtime_r(&seconds, &parts);
  char when[48];
  std::strftime(when, sizeof when, "%Y-%m-%d %H:%M:%S", &parts);
  char millis[8];
  std::snprintf(millis, sizeof millis, ".%03d", static_cast<int>(beijing_ms % 1000));
  return "北京时间 " + std::string(when) + millis + "   帧 " + std::to_string(frame) + "   案件 " +
         (case_number_.empty() ? "（未指定）" : case_number_);
}

void StampStrip::draw_text(PangoLayout* layout, const std::string& text, double x, double y) {
  if (!text.empty()) pango_layout_set_text(layout, text.c_str(), -1);
  cairo_move_to(cairo_.get(), x, y);
  pango_cairo_show_layout(cairo_.get(), layout);
}

StampStrip::Image StampStrip::render(std::int64_t frame, std::int64_t utc_us, std::int64_t steady_ms) {
  cairo_t* cr = cairo_.get();
  const int pad = font_pixels_ / 4;

  long caption_line = -1;
  if (!caption_lines_.empty()) {
    if (caption_start_ms_ < 0) caption_start_ms_ = steady_ms;
    caption_line = static_cast<long>((steady_ms - caption_start_ms_) / (kCaptionLineSeconds * 1000));
    if (caption_line >= static_cast<long>(caption_lines_.size())) {
      caption_lines_.clear();
      caption_line = -1;
    }
  }
  // The whole strip when the mark or the caption changed; else only the stamp's text, on line one's left.
  const bool whole = !drawn_ || mark_shown_ != drawn_mark_ || caption_line != drawn_caption_line_;
  Image image{nullptr, stride_, 0, 0, width_, height_};
  cairo_set_source_rgb(cr, 0.08, 0.08, 0.08);
  if (whole) {
    cairo_paint(cr);
  } else {
    image.dirty_width = std::min(width_, stamp_right_);
    image.dirty_height = line_height_;
    cairo_rectangle(cr, 0, 0, image.dirty_width, image.dirty_height);
    cairo_fill(cr);
  }

  cairo_set_source_rgb(cr, 1, 1, 1);
  draw_text(stamp_layout_.get(), stamp_text(frame, utc_us), 2 * pad, pad);
  int stamp_width = 0, stamp_height = 0;
  pango_layout_get_pixel_size(stamp_layout_.get(), &stamp_width, &stamp_height);
  stamp_right_ = std::max(stamp_right_, 2 * pad + stamp_width + 2);
  image.dirty_width = std::max(image.dirty_width, std::min(width_, stamp_right_));

  if (whole && mark_shown_) {  // right-aligned, so it does not move as the time's width changes
    int mark_width = 0, mark_height = 0;
    pango_layout_get_pixel_size(mark_layout_.get(), &mark_width, &mark_height);
    const int x = width_ - 2 * pad - mark_width;
    cairo_set_source_rgb(cr, 0.80, 0.06, 0.06);
    cairo_rectangle(cr, x - pad, 0, mark_width + 2 * pad, line_height_);
    cairo_fill(cr);
    cairo_set_source_rgb(cr, 1, 1, 1);
    draw_text(mark_layout_.get(), "", x, pad);
  }
  if (whole && caption_line >= 0) {
    int caption_width = 0, caption_height = 0;
    pango_layout_set_text(caption_layout_.get(), caption_lines_[static_cast<size_t>(caption_line)].c_str(), -1);
    pango_layout_get_pixel_size(caption_layout_.get(), &caption_width, &caption_height);
    cairo_set_source_rgb(cr, 0.04, 0.24, 0.57);
    cairo_rectangle(cr, 0, line_height_, width_, height_ - line_height_);
    cairo_fill(cr);
    cairo_set_source_rgb(cr, 1, 1, 1);
    draw_text(caption_layout_.get(), "", 2 * pad, line_height_ + (height_ - line_height_ - caption_height) / 2);
  }
  drawn_ = true;
  drawn_mark_ = mark_shown_;
  drawn_caption_line_ = caption_line;
  cairo_surface_flush(surface_.get());
  image.pixels = cairo_image_surface_get_data(surface_.get());
  return image;
}

}  // namespace netsample::recorder
