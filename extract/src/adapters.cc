#include <algorithm>
#include <fstream>
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

}  // namespace

Result<Adapter> Adapters::parse(std::string_view json_text, std::string_view source) {
  const ordered root = ordered::parse(json_text, nullptr, false);
  if (!root.is_object()) return bad(source, "(根)", "不是 JSON 对象");
  Adapter a;
  if (!root.contains("platform") || !root["platform"].is_string()) return bad(source, "platform", "须为平台代码（platforms.json）");
  a.platform = root["platform"];
  a.name = root.value("name", a.platform);
  if (!root.contains("pages") || !root["pages"].is_array()) return bad(source, "pages", "须为数组");
  for (size_t i = 0; i < root["pages"].size(); ++i) {
    const ordered& p = root["pages"][i];
    const std::string at = "pages[" + std::to_string(i) + "]";
    if (!p.is_object() || !p.contains("kind") || !p["kind"].is_string() || !p.contains("url") || !p["url"].is_string())
      return bad(source, at, "每页须有 kind（页面种类）和 url（匹配网址路径的正则表达式）");
    PageRules page{p["kind"], p["url"], {}};
    try {
      (void)std::regex(page.url_pattern);
    } catch (const std::regex_error&) {
      return bad(source, at + ".url", "不是有效的正则表达式");
    }
    if (!p.contains("fields") || !p["fields"].is_object()) return bad(source, at + ".fields", "须为对象：字段名 → 规则数组");
    for (const auto& [field, rules] : p["fields"].items()) {
      if (!rules.is_array() || rules.empty()) return bad(source, at + ".fields." + field, "须为非空的规则数组");
      std::vector<Rule> list;
      for (const auto& r : rules) {
        Rule rule;
        rule.xpath = r.value("xpath", "");
        rule.script = r.value("script", "");
        rule.path = r.value("path", "");
        rule.regex = r.value("regex", "");
        rule.image = r.value("image", "");
        rule.read = r.value("read", "licence");
        const int kinds = !rule.xpath.empty() + !rule.script.empty() + !rule.regex.empty() + !rule.image.empty();
        if (kinds != 1) return bad(source, at + ".fields." + field, "每条规则须且只须有 xpath、script、regex 或 image 之一");
        if (!rule.image.empty() && rule.read != "licence")
          return bad(source, at + ".fields." + field, "image 规则的 read 只能是 licence（营业执照图片）");
        if (!rule.regex.empty()) {
          try {
            (void)std::regex(rule.regex);
          } catch (const std::regex_error&) {
            return bad(source, at + ".fields." + field, "regex 不是有效的正则表达式");
          }
        }
        list.push_back(rule);
      }
      page.fields.push_back({field, list});
    }
    a.pages.push_back(std::move(page));
  }
  if (root.contains("search")) {
    const ordered& q = root["search"];
    SearchRules rules;
    if (!q.is_object() || !q.contains("url") || !q["url"].is_string() || q["url"].get<std::string>().find("{query}") == std::string::npos)
      return bad(source, "search.url", "须为含 {query} 的搜索页网址");
    rules.url = q["url"];
    rules.items = q.value("items", "");
    rules.script = q.value("script", "");
    rules.path = q.value("path", "");
    if (rules.items.empty() == rules.script.empty()) return bad(source, "search", "须且只须有 items（XPath）或 script + path 之一");
    if (!q.contains("fields") || !q["fields"].is_object() || q["fields"].empty()) return bad(source, "search.fields", "须为对象：字段名 → XPath 或路径");
    for (const auto& [field, rule] : q["fields"].items()) {
      if (!rule.is_string() || rule.get<std::string>().empty()) return bad(source, "search.fields." + field, "须为非空字符串");
      rules.fields.push_back({field, rule});
    }
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
