#include <libxml/xpath.h>

#include <algorithm>
#include <fstream>
#include <memory>
#include <regex>

#include "netsample/core/file_io.h"
#include "netsample/extract/extract.h"

namespace netsample::embedded {
extern const std::string_view adapter_demo_shop_json, adapter_jd_json, adapter_pinduoduo_json;
}

namespace netsample::extract {
namespace {

using ordered = nlohmann::ordered_json;

Error bad(std::string_view source, const std::string& field, const std::string& rule) {
  return make_error(ErrorCode::invalid_input, std::string(source) + ":" + field, rule);
}

// A text member of an object: `fallback` when absent, an error naming it when it is not text.
Result<std::string> text_of(const ordered& object, const char* key, std::string_view source, const std::string& at, std::string fallback = "") {
  if (!object.contains(key)) return fallback;
  if (!object[key].is_string())
    return make_error(ErrorCode::wrong_type, std::string(source) + ":" + (at.empty() ? "" : at + ".") + key, "须为字符串");
  return object[key].get<std::string>();
}

struct ContextFree {
  void operator()(xmlXPathContext* c) const { xmlXPathFreeContext(c); }
};
struct CompiledFree {
  void operator()(xmlXPathCompExpr* c) const { xmlXPathFreeCompExpr(c); }
};
void quiet(void*, xmlErrorPtr) {}  // the mistake is said in our error, not on standard error

// An XPath compiled at load: a mistake is named here, not silently "missing" on every page.
Status check_xpath(const std::string& expression, std::string_view source, const std::string& at) {
  std::unique_ptr<xmlXPathContext, ContextFree> context(xmlXPathNewContext(nullptr));
  if (!context) return make_error(ErrorCode::internal, "libxml2", "XPath 上下文无法创建");
  context->error = quiet;
  std::unique_ptr<xmlXPathCompExpr, CompiledFree> compiled(xmlXPathCtxtCompile(context.get(), reinterpret_cast<const xmlChar*>(expression.c_str())));
  if (!compiled) return bad(source, at, "不是有效的 XPath：" + expression);
  return {};
}

Status check_regex(const std::string& pattern, std::string_view source, const std::string& at) {
  try {
    (void)std::regex(pattern);
  } catch (const std::regex_error&) {
    return bad(source, at, "不是有效的正则表达式");
  }
  return {};
}

// Whether an ECMAScript pattern repeats without an upper bound (*, +, {n,}). std::regex recurses once per
// character such a repeat takes: over a page's long line (a minified script) it overflows the stack.
bool unbounded_repeat(std::string_view pattern) {
  bool in_class = false;
  for (size_t i = 0; i < pattern.size(); ++i) {
    const char c = pattern[i];
    if (c == '\\') ++i;  // an escaped character is itself
    else if (in_class) in_class = c != ']';
    else if (c == '[') in_class = true;
    else if (c == '*' || c == '+') return true;
    else if (const size_t close = c == '{' ? pattern.find('}', i) : std::string_view::npos; close != std::string_view::npos && pattern[close - 1] == ',')
      return true;  // {n,}
  }
  return false;
}

// One rule of a field (`at`: pages[0].fields.title[0]).
Result<Rule> parse_rule(const ordered& r, std::string_view source, const std::string& at) {
  if (!r.is_object()) return bad(source, at, "每条规则须为对象：{\"xpath\": …}、{\"script\": …, \"path\": …}、{\"regex\": …} 或 {\"image\": …}");
  Rule rule;
  NETSAMPLE_ASSIGN(rule.xpath, text_of(r, "xpath", source, at));
  NETSAMPLE_ASSIGN(rule.script, text_of(r, "script", source, at));
  NETSAMPLE_ASSIGN(rule.path, text_of(r, "path", source, at));
  NETSAMPLE_ASSIGN(rule.regex, text_of(r, "regex", source, at));
  NETSAMPLE_ASSIGN(rule.image, text_of(r, "image", source, at));
  NETSAMPLE_ASSIGN(rule.read, text_of(r, "read", source, at, "licence"));
  const int kinds = !rule.xpath.empty() + !rule.script.empty() + !rule.regex.empty() + !rule.image.empty();
  if (kinds != 1) return bad(source, at, "每条规则须且只须有 xpath、script、regex 或 image 之一");
  if (!rule.image.empty() && rule.read != "licence") return bad(source, at + ".read", "image 规则的 read 只能是 licence（营业执照图片）");
  if (!rule.xpath.empty()) NETSAMPLE_TRY(check_xpath(rule.xpath, source, at + ".xpath"));
  if (!rule.image.empty()) NETSAMPLE_TRY(check_xpath(rule.image, source, at + ".image"));
  if (!rule.regex.empty()) NETSAMPLE_TRY(check_regex(rule.regex, source, at + ".regex"));
  if (unbounded_repeat(rule.regex))
    return bad(source, at + ".regex", "重复须有上限（如 [0-9.]{1,32}、\\s{0,8}，不用 *、+ 或 {n,}）：规则在整页文字上匹配，无上限的重复遇到很长的一行会耗尽栈");
  return rule;
}

Result<PageRules> parse_page(const ordered& p, std::string_view source, const std::string& at) {
  if (!p.is_object() || !p.contains("kind") || !p["kind"].is_string() || !p.contains("url") || !p["url"].is_string())
    return bad(source, at, "每页须有 kind（页面种类）和 url（匹配网址路径的正则表达式）");
  PageRules page{p["kind"], p["url"], {}};
  NETSAMPLE_TRY(check_regex(page.url_pattern, source, at + ".url"));
  if (!p.contains("fields") || !p["fields"].is_object()) return bad(source, at + ".fields", "须为对象：字段名 → 规则数组");
  for (const auto& [field, rules] : p["fields"].items()) {
    const std::string field_at = at + ".fields." + field;
    if (!rules.is_array() || rules.empty()) return bad(source, field_at, "须为非空的规则数组");
    std::vector<Rule> list;
    for (size_t i = 0; i < rules.size(); ++i) {
      NETSAMPLE_ASSIGN(Rule rule, parse_rule(rules[i], source, field_at + "[" + std::to_string(i) + "]"));
      list.push_back(std::move(rule));
    }
    page.fields.push_back({field, std::move(list)});
  }
  return page;
}

Result<SearchRules> parse_search(const ordered& q, std::string_view source) {
  SearchRules rules;
  if (!q.is_object() || !q.contains("url") || !q["url"].is_string() || q["url"].get<std::string>().find("{query}") == std::string::npos)
    return bad(source, "search.url", "须为含 {query} 的搜索页网址");
  rules.url = q["url"];
  NETSAMPLE_ASSIGN(rules.items, text_of(q, "items", source, "search"));
  NETSAMPLE_ASSIGN(rules.script, text_of(q, "script", source, "search"));
  NETSAMPLE_ASSIGN(rules.path, text_of(q, "path", source, "search"));
  if (rules.items.empty() == rules.script.empty()) return bad(source, "search", "须且只须有 items（XPath）或 script + path 之一");
  if (!rules.items.empty()) NETSAMPLE_TRY(check_xpath(rules.items, source, "search.items"));
  if (!q.contains("fields") || !q["fields"].is_object() || q["fields"].empty()) return bad(source, "search.fields", "须为对象：字段名 → XPath 或路径");
  for (const auto& [field, rule] : q["fields"].items()) {
    if (!rule.is_string() || rule.get<std::string>().empty()) return bad(source, "search.fields." + field, "须为非空字符串");
    if (!rules.items.empty()) NETSAMPLE_TRY(check_xpath(rule.get<std::string>(), source, "search.fields." + field));  // relative to each item
    rules.fields.push_back({field, rule.get<std::string>()});
  }
  return rules;
}

}  // namespace

Result<Adapter> Adapters::parse(std::string_view json_text, std::string_view source) {
  const ordered root = ordered::parse(json_text, nullptr, false);
  if (!root.is_object()) return bad(source, "(根)", "不是 JSON 对象");
  Adapter a;
  if (!root.contains("platform") || !root["platform"].is_string()) return bad(source, "platform", "须为平台代码（platforms.json）");
  a.platform = root["platform"];
  NETSAMPLE_ASSIGN(a.name, text_of(root, "name", source, "", a.platform));
  if (!root.contains("pages") || !root["pages"].is_array()) return bad(source, "pages", "须为数组");
  for (size_t i = 0; i < root["pages"].size(); ++i) {
    NETSAMPLE_ASSIGN(PageRules page, parse_page(root["pages"][i], source, "pages[" + std::to_string(i) + "]"));
    a.pages.push_back(std::move(page));
  }
  if (root.contains("search")) {
    NETSAMPLE_ASSIGN(SearchRules rules, parse_search(root["search"], source));
    a.search = std::move(rules);
  }
  return a;
}

Result<Adapters> Adapters::load(const std::optional<std::filesystem::path>& data_dir) {
  Adapters out;
  for (const auto& [name, text] : {std::pair{"adapters/demo-shop.json", embedded::adapter_demo_shop_json}, std::pair{"adapters/jd.json", embedded::adapter_jd_json},
                                   std::pair{"adapters/pinduoduo.json", embedded::adapter_pinduoduo_json}}) {
    NETSAMPLE_ASSIGN(Adapter a, parse(text, name));
    out.adapters_.push_back(std::move(a));
  }
  if (!data_dir || !std::filesystem::is_directory(*data_dir / "adapters")) return out;
  std::vector<std::filesystem::path> files;
  for (const auto& entry : std::filesystem::directory_iterator(*data_dir / "adapters"))
    if (entry.path().extension() == ".json") files.push_back(entry.path());
  std::sort(files.begin(), files.end());
  for (const auto& file : files) {
    NETSAMPLE_ASSIGN(std::string text, read_file(file));
    NETSAMPLE_ASSIGN(Adapter a, parse(text, file.string()));
    auto same = std::find_if(out.adapters_.begin(), out.adapters_.end(), [&](const Adapter& x) { return x.platform == a.platform; });
    if (same != out.adapters_.end()) *same = std::move(a);
    else out.adapters_.push_back(std::move(a));
  }
  return out;
}

const Adapter* Adapters::find(std::string_view platform) const {
  for (const auto& a : adapters_)
    if (a.platform == platform) return &a;
  return nullptr;
}

}  // namespace netsample::extract
