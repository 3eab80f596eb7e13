#include "netsample/documents/document.h"

#include <cairo-pdf.h>

#include <memory>

#include "netsample/core/pango_cairo.h"

namespace netsample::documents {
namespace {

using nlohmann::json;
namespace fs = std::filesystem;

using pango_cairo::Cairo;
using pango_cairo::Font;
using pango_cairo::Layout;
using pango_cairo::Surface;

constexpr double kPageWidth = 595.28, kPageHeight = 841.89;  // A4 in points
constexpr double kMargin = 56;
constexpr double kLabelWidth = 130;
constexpr double kPadding = 6;

class Page {
 public:
  Page(cairo_t* cr) : cr_(cr) {}
  // Text at (x, y) within `width`; returns its height.
  double text(const std::string& text, double x, double y, double width, const char* font, PangoAlignment align = PANGO_ALIGN_LEFT) {
    return lay_out(text, x, y, width, font, align, true);
  }
  double measure(const std::string& t, double width, const char* font) { return lay_out(t, 0, 0, width, font, PANGO_ALIGN_LEFT, false); }

 private:
  double lay_out(const std::string& text, double x, double y, double width, const char* font, PangoAlignment align, bool draw) {
    Layout layout(pango_cairo_create_layout(cr_));
    Font description(pango_font_description_from_string(font));
    pango_layout_set_font_description(layout.get(), description.get());
    pango_layout_set_width(layout.get(), static_cast<int>(width * PANGO_SCALE));
    pango_layout_set_wrap(layout.get(), PANGO_WRAP_WORD_CHAR);
    pango_layout_set_alignment(layout.get(), align);
    pango_layout_set_text(layout.get(), text.c_str(), -1);
    int w = 0, h = 0;
    pango_layout_get_size(layout.get(), &w, &h);
    if (draw) {
      cairo_move_to(cr_, x, y);
      pango_cairo_show_layout(cr_, layout.get());
    }
    return static_cast<double>(h) / PANGO_SCALE;
  }
  cairo_t* cr_;
};

void draft_mark(cairo_t* cr, Page& page) {
  cairo_save(cr);
  cairo_translate(cr, kPageWidth / 2, kPageHeight / 2);
  cairo_rotate(cr, -0.6);
  cairo_set_source_rgba(cr, 0.85, 0.1, 0.1, 0.18);
  page.text("草稿 DRAFT", -260, -60, 520, "Noto Sans CJK SC Bold 72", PANGO_ALIGN_CENTER);
  cairo_restore(cr);
}

}  // namespace

json rows_json(const std::vector<Row>& rows) {
  json out = json::array();
  for (const auto& r : rows) out.push_back({{"label", r.label}, {"value", r.value}});
  return out;
}

Status render_pdf(const Document& document, const std::optional<fs::path>& seal_image, const fs::path& pdf) {
  const fs::path temp = pdf.string() + ".part";
  {
    Surface surface(cairo_pdf_surface_create(temp.c_str(), kPageWidth, kPageHeight));
    if (cairo_surface_status(surface.get()) != CAIRO_STATUS_SUCCESS)
      return make_error(ErrorCode::io, pdf.string(), std::string("无法创建 PDF：") + cairo_status_to_string(cairo_surface_status(surface.get())));
    cairo_pdf_surface_set_metadata(surface.get(), CAIRO_PDF_METADATA_TITLE, (document.title + " " + document.case_number).c_str());
    cairo_pdf_surface_set_metadata(surface.get(), CAIRO_PDF_METADATA_CREATOR, "netsample");
    Cairo cr(cairo_create(surface.get()));
    Page page(cr.get());
    const bool draft = document.draft;
    const double width = kPageWidth - 2 * kMargin;
    const char* body = "Noto Sans CJK SC 10";

    auto new_page = [&] {
      if (draft) draft_mark(cr.get(), page);
      cairo_show_page(cr.get());
    };
    cairo_set_source_rgb(cr.get(), 0, 0, 0);
    double y = kMargin;
    y += page.text(document.title, kMargin, y, width, "Noto Sans CJK SC Bold 20", PANGO_ALIGN_CENTER) + 4;
    y += page.text(document.subtitle + (draft ? "  草稿" : ""), kMargin, y, width, "Noto Sans CJK SC 9", PANGO_ALIGN_CENTER) + 14;
    if (draft) {
      cairo_set_source_rgb(cr.get(), 0.75, 0.05, 0.05);
      y += page.text("草稿：" + document.draft_reason, kMargin, y, width, "Noto Sans CJK SC Bold 10") + 8;
      cairo_set_source_rgb(cr.get(), 0, 0, 0);
    }
    cairo_set_line_width(cr.get(), 0.6);
    for (const auto& [label, value] : document.rows) {
      const double value_width = width - kLabelWidth - 2 * kPadding;
      const double height = std::max(page.measure(label, kLabelWidth - 2 * kPadding, "Noto Sans CJK SC Bold 10"), page.measure(value, value_width, body)) +
                            2 * kPadding;
      if (y + height > kPageHeight - kMargin - 60) {
        new_page();
        y = kMargin;
      }
      cairo_rectangle(cr.get(), kMargin, y, kLabelWidth, height);
      cairo_set_source_rgb(cr.get(), 0.94, 0.94, 0.94);
      cairo_fill_preserve(cr.get());
      cairo_set_source_rgb(cr.get(), 0, 0, 0);
      cairo_stroke(cr.get());
      cairo_rectangle(cr.get(), kMargin + kLabelWidth, y, width - kLabelWidth, height);
      cairo_stroke(cr.get());
      page.text(label, kMargin + kPadding, y + kPadding, kLabelWidth - 2 * kPadding, "Noto Sans CJK SC Bold 10");
      page.text(value, kMargin + kLabelWidth + kPadding, y + kPadding, value_width, body);
      y += height;
    }
    // Signatures and the unit's seal (Art 39: signed by the samplers, stamped by the sampling unit).
    if (y + 120 > kPageHeight - kMargin) {
      new_page();
      y = kMargin;
    }
    y += 24;
    page.text(document.signatures, kMargin, y, width, body);
    page.text(document.seal_label + "：" + document.organization, kMargin + width / 2, y + 36, width / 2, body);
    if (seal_image) {
      Surface seal(cairo_image_surface_create_from_png(seal_image->c_str()));
      if (cairo_surface_status(seal.get()) != CAIRO_STATUS_SUCCESS)
        return make_error(ErrorCode::invalid_input, "seal_image", "印章图片 " + seal_image->string() + " 不是可读的 PNG");
      const double side = 90, scale = side / std::max(cairo_image_surface_get_width(seal.get()), cairo_image_surface_get_height(seal.get()));
      cairo_save(cr.get());
      cairo_translate(cr.get(), kMargin + width * 0.75 - side / 2, y + 36 - side / 3);
      cairo_scale(cr.get(), scale, scale);
      cairo_set_source_surface(cr.get(), seal.get(), 0, 0);
      cairo_paint_with_alpha(cr.get(), 0.85);
      cairo_restore(cr.get());
    }
    page.text("生成时间 " + format_beijing(document.generated) + "（netsample）", kMargin, kPageHeight - kMargin - 10, width, "Noto Sans CJK SC 8");
    new_page();
    cairo_surface_finish(surface.get());
    if (cairo_surface_status(surface.get()) != CAIRO_STATUS_SUCCESS)
      return make_error(ErrorCode::io, pdf.string(), std::string("写 PDF 失败：") + cairo_status_to_string(cairo_surface_status(surface.get())));
  }
  std::error_code ec;
  fs::rename(temp, pdf, ec);
  if (ec) return make_error(ErrorCode::io, pdf.string(), "无法保存 PDF：" + ec.message());
  return {};
}

}  // namespace netsample::documents
