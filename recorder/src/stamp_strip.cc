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
  strip->line_height_ = strip->font_pixels_ * 3 / 2;
  strip->height_ = (2 * strip->line_height_ + strip->font_pixels_ / 2 + 15) / 16 * 16;
  strip->case_number_ = case_number;
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

const std::uint8_t* StampStrip::render(std::int64_t frame, std::int64_t utc_us, std::int64_t steady_ms) {
  cairo_t* cr = cairo_.get();
  const double pad = font_pixels_ / 2.0;
  const double text_offset = (line_height_ - font_pixels_ * 1.45) / 2 + pad / 2;  // Noto's line box is ~1.45 em
  cairo_set_source_rgb(cr, 0.08, 0.08, 0.08);
  cairo_paint(cr);

  cairo_set_source_rgb(cr, 1, 1, 1);
  draw_text(stamp_layout_.get(), stamp_text(frame, utc_us), pad, text_offset);
  if (mark_shown_) {  // right-aligned, so it does not move as the time's width changes
    int mark_width = 0, mark_height = 0;
    pango_layout_get_pixel_size(mark_layout_.get(), &mark_width, &mark_height);
    const double x = width_ - pad - mark_width;
    cairo_set_source_rgb(cr, 0.80, 0.06, 0.06);
    cairo_rectangle(cr, x - pad / 2, pad / 4, mark_width + pad, line_height_);
    cairo_fill(cr);
    cairo_set_source_rgb(cr, 1, 1, 1);
    draw_text(mark_layout_.get(), "", x, text_offset);
  }

  if (!caption_lines_.empty()) {
    if (caption_start_ms_ < 0) caption_start_ms_ = steady_ms;
    const auto line = static_cast<size_t>((steady_ms - caption_start_ms_) / (kCaptionLineSeconds * 1000));
    if (line < caption_lines_.size()) {
      const double top = line_height_ + pad / 2;
      cairo_set_source_rgb(cr, 0.04, 0.24, 0.57);
      cairo_rectangle(cr, 0, top, width_, height_ - top);
      cairo_fill(cr);
      cairo_set_source_rgb(cr, 1, 1, 1);
      draw_text(caption_layout_.get(), caption_lines_[line], pad, top + (height_ - top - font_pixels_ * 5 / 6 * 1.45) / 2);
    } else {
      caption_lines_.clear();
    }
  }
  cairo_surface_flush(surface_.get());
  return cairo_image_surface_get_data(surface_.get());
}

}  // namespace netsample::recorder
