#include "licence_image.h"

#include <cmath>
#include <memory>

#include "netsample/core/pango_cairo.h"

namespace netsample::demo {
namespace {

using pango_cairo::Cairo;
using pango_cairo::Font;
using pango_cairo::Layout;
using pango_cairo::Surface;

constexpr int kWidth = 1100, kHeight = 760;

void text(cairo_t* cr, const std::string& s, double x, double y, double width, const char* font, PangoAlignment align = PANGO_ALIGN_LEFT) {
  Layout layout(pango_cairo_create_layout(cr));
  Font description(pango_font_description_from_string(font));
  pango_layout_set_font_description(layout.get(), description.get());
  pango_layout_set_width(layout.get(), static_cast<int>(width * PANGO_SCALE));
  pango_layout_set_wrap(layout.get(), PANGO_WRAP_WORD_CHAR);
  pango_layout_set_alignment(layout.get(), align);
  pango_layout_set_text(layout.get(), s.c_str(), -1);
  cairo_move_to(cr, x, y);
  pango_cairo_show_layout(cr, layout.get());
}

cairo_status_t append(void* closure, const unsigned char* data, unsigned int length) {
  static_cast<std::string*>(closure)->append(reinterpret_cast<const char*>(data), length);
  return CAIRO_STATUS_SUCCESS;
}

}  // namespace

std::string licence_png(const nlohmann::json& op) {
  Surface surface(cairo_image_surface_create(CAIRO_FORMAT_RGB24, kWidth, kHeight));
  Cairo holder(cairo_create(surface.get()));
  cairo_t* cr = holder.get();
  // Paper, and the licence's double border in its red-brown.
  cairo_set_source_rgb(cr, 0.99, 0.97, 0.92);
  cairo_paint(cr);
  cairo_set_source_rgb(cr, 0.62, 0.18, 0.12);
  cairo_set_line_width(cr, 6);
  cairo_rectangle(cr, 18, 18, kWidth - 36, kHeight - 36);
  cairo_stroke(cr);
  cairo_set_line_width(cr, 2);
  cairo_rectangle(cr, 30, 30, kWidth - 60, kHeight - 60);
  cairo_stroke(cr);

  auto field = [&](const char* key) { return op.value(key, std::string()); };
  cairo_set_source_rgb(cr, 0.12, 0.12, 0.12);
  text(cr, "统一社会信用代码\n" + field("licence_number"), 70, 60, 420, "Noto Sans CJK SC 15");
  cairo_set_source_rgb(cr, 0.62, 0.18, 0.12);
  text(cr, "营 业 执 照", 0, 120, kWidth, "Noto Serif CJK SC Bold 44", PANGO_ALIGN_CENTER);
  text(cr, "（副　本）", 0, 190, kWidth, "Noto Serif CJK SC 18", PANGO_ALIGN_CENTER);

  const std::pair<std::string, std::string> rows[] = {
      {"名　　称", field("name")},
      {"类　　型", "有限责任公司（自然人投资或控股）"},
      {"住　　所", field("address")},
      {"法定代表人", field("legal_representative")},
      {"注册资本", field("registered_capital")},
      {"成立日期", field("established")},
      {"经营范围", field("scope")},
  };
  double y = 270;
  for (const auto& [label, value] : rows) {
    cairo_set_source_rgb(cr, 0.12, 0.12, 0.12);
    text(cr, label, 90, y, 150, "Noto Serif CJK SC Bold 17");
    text(cr, value, 260, y, 720, "Noto Serif CJK SC 17");
    y += 50;
  }
  // The registration authority and its seal, bottom right, clear of the text.
  text(cr, "登记机关　（演示数据，并非真实执照）", 600, kHeight - 120, 420, "Noto Sans CJK SC 13");
  cairo_set_source_rgb(cr, 0.85, 0.1, 0.1);
  cairo_set_line_width(cr, 4);
  cairo_arc(cr, kWidth - 160, kHeight - 170, 62, 0, 2 * M_PI);
  cairo_stroke(cr);
  text(cr, "★", kWidth - 222, kHeight - 200, 124, "Noto Sans CJK SC 30", PANGO_ALIGN_CENTER);

  std::string png;
  cairo_surface_flush(surface.get());
  cairo_surface_write_to_png_stream(surface.get(), append, &png);
  return png;
}

}  // namespace netsample::demo
