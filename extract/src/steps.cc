// A purchase step's fields read from the page on screen: the adapter's page kind for the step, its fields renamed to
// the step's.
#include <algorithm>
#include <utility>
#include <vector>

#include "netsample/extract/extract.h"

namespace netsample::extract {
namespace {

struct StepSource {
  const char* step;
  const char* kind;   // the adapter's page kind that shows the step
  const char* label;  // that page, in words
  std::vector<std::pair<std::string, std::string>> renames;  // the page kind's field → the step's
  const char* url_field;  // the step field the page's own address fills, or nullptr
};

const std::vector<StepSource>& step_sources() {
  static const std::vector<StepSource> sources = {
      {"search", "search_results", "搜索结果页", {}, "results_url"},
      {"licence", "licence", "证照信息页", {{"operator_company", "operator_name"}, {"credit_code", "licence_number"}, {"operator_address", "address"}}, "url"},
      {"product_page", "listing", "商品页", {}, "url"},
      {"order", "order", "订单页", {}, nullptr},
      {"payment", "payment", "付款结果页", {}, nullptr},
      {"chat", "chat", "客服聊天页", {}, nullptr},
  };
  return sources;
}

std::string renamed(const StepSource& source, const std::string& field) {
  for (const auto& [from, to] : source.renames)
    if (from == field) return to;
  return field;
}

}  // namespace

Result<Extraction> read_step(const Adapter& adapter, const std::string& step, const std::string& url, const DecodedPage& page) {
  const auto& sources = step_sources();
  const auto source = std::find_if(sources.begin(), sources.end(), [&](const StepSource& s) { return step == s.step; });
  if (source == sources.end()) return make_error(ErrorCode::invalid_input, "step", "「" + step + "」不从网页读取字段", 35);
  auto read = extract(adapter, url, page);
  if (!read.ok())
    return make_error(ErrorCode::not_found, "page", "屏幕上的页面 " + url + " 不是" + adapter.name + "的" + source->label + "（" + read.error().message + "）");
  Extraction out = std::move(read).value();
  if (out.page_kind != source->kind) {
    std::string shown = out.page_kind;
    for (const auto& s : sources)
      if (s.kind == out.page_kind) shown = s.label;
    return make_error(ErrorCode::invalid_input, "page", "屏幕上是" + shown + "（" + url + "），「" + step + "」要从" + source->label + "读取", 35);
  }
  return out;
}

void name_as_step(const std::string& step, const std::string& url, Extraction& extraction) {
  const auto& sources = step_sources();
  const auto source = std::find_if(sources.begin(), sources.end(), [&](const StepSource& s) { return step == s.step; });
  if (source == sources.end()) return;
  for (auto& [field, value] : extraction.fields) field = renamed(*source, field);
  for (auto& field : extraction.missing) field = renamed(*source, field);
  if (source->url_field) extraction.fields.push_back({source->url_field, FieldValue{url, "page:url"}});
}

}  // namespace netsample::extract
