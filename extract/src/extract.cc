#include <libxml/HTMLparser.h>
#include <libxml/uri.h>
#include <libxml/xpath.h>

#include <algorithm>
#include <cctype>
#include <charconv>
#include <memory>
#include <optional>
#include <sstream>
#include <regex>

#include "netsample/extract/extract.h"

namespace netsample::extract {
namespace {

using nlohmann::json;

// std::regex (libstdc++) matches by recursion, a few frames per character a repeat takes: the texts it is given
// are capped, and the adapters' repeats bounded ({1,32}), so that a page cannot overflow the stack.
constexpr size_t kRegexTextLimit = 4u << 20;  // of a page's text, for regex rules
constexpr size_t kRegexPathLimit = 2048;      // of a URL's path and query, for the page patterns

struct DocFree {
  void operator()(xmlDoc* d) const { xmlFreeDoc(d); }
};
struct ContextFree {
  void operator()(xmlXPathContext* c) const { xmlXPathFreeContext(c); }
};
struct ObjectFree {
  void operator()(xmlXPathObject* o) const { xmlXPathFreeObject(o); }
};

// The string value of an XPath expression, whitespace collapsed; "" when it finds nothing or is invalid.
std::string xpath_string(xmlXPathContext* context, const std::string& expression) {
  const std::string wrapped = "normalize-space(string(" + expression + "))";
  std::unique_ptr<xmlXPathObject, ObjectFree> result(xmlXPathEvalExpression(reinterpret_cast<const xmlChar*>(wrapped.c_str()), context));
  if (!result || result->type != XPATH_STRING || !result->stringval) return "";
  return reinterpret_cast<const char*>(result->stringval);
}

// Every inline script's text.
std::vector<std::string> scripts(xmlXPathContext* context) {
  std::vector<std::string> out;
  std::unique_ptr<xmlXPathObject, ObjectFree> result(xmlXPathEvalExpression(reinterpret_cast<const xmlChar*>("//script"), context));
  if (!result || !result->nodesetval) return out;
  for (int i = 0; i < result->nodesetval->nodeNr; ++i) {
    xmlChar* text = xmlNodeGetContent(result->nodesetval->nodeTab[i]);
    if (text) out.emplace_back(reinterpret_cast<const char*>(text));
    xmlFree(text);
  }
  return out;
}

// The object literal assigned to `variable` in a script: from the '{' after "variable =" to its matching '}'.
std::optional<std::string> assigned_object(const std::string& script, const std::string& variable) {
  for (size_t at = script.find(variable); at != std::string::npos; at = script.find(variable, at + 1)) {
    size_t i = at + variable.size();
    while (i < script.size() && std::isspace(static_cast<unsigned char>(script[i]))) ++i;
    if (i >= script.size() || script[i] != '=') continue;
    ++i;
    while (i < script.size() && std::isspace(static_cast<unsigned char>(script[i]))) ++i;
    if (i >= script.size() || script[i] != '{') continue;
    int depth = 0;
    char quote = 0;
    for (size_t j = i; j < script.size(); ++j) {
      const char c = script[j];
      if (quote) {
        if (c == '\\') ++j;
        else if (c == quote) quote = 0;
      } else if (c == '"' || c == '\'') {
        quote = c;
      } else if (c == '{') {
        ++depth;
      } else if (c == '}' && --depth == 0) {
        return script.substr(i, j - i + 1);
      }
    }
  }
  return std::nullopt;
}

std::string json_text(const json& v) {
  if (v.is_string()) return v.get<std::string>();
  if (v.is_number() || v.is_boolean()) return v.dump();
  return "";
}

std::string path_and_query(const std::string& url) {
  const size_t scheme = url.find("://");
  const size_t slash = url.find('/', scheme == std::string::npos ? 0 : scheme + 3);
  if (slash == std::string::npos) return "/";
  std::string out = url.substr(slash);
  if (const size_t hash = out.find('#'); hash != std::string::npos) out.resize(hash);
  return out;
}

// RFC 3986 reference resolution (libxml2's): an image's src against the page's address.
std::string resolve(const std::string& base, const std::string& reference) {
  xmlChar* built = xmlBuildURI(reinterpret_cast<const xmlChar*>(reference.c_str()), reinterpret_cast<const xmlChar*>(base.c_str()));
  if (!built) return "";
  std::string out(reinterpret_cast<const char*>(built));
  xmlFree(built);
  return out;
}

// RFC 3986 percent-encoding of a query's UTF-8 bytes (unreserved characters kept).
std::string percent_encode(const std::string& text) {
  static const char* hex = "0123456789ABCDEF";
  std::string out;
  for (unsigned char c : text) {
    if (std::isalnum(c) || c == '-' || c == '.' || c == '_' || c == '~') out += static_cast<char>(c);
    else out += {'%', hex[c >> 4], hex[c & 15]};
  }
  return out;
}

// A path segment that is an array index ("0", "12"); nullopt for anything else, digits past size_t included.
std::optional<size_t> array_index(const std::string& segment) {
  size_t index = 0;
  const char* last = segment.data() + segment.size();
  const auto [end, error] = std::from_chars(segment.data(), last, index);  // digits only: no sign, no space
  if (segment.empty() || error != std::errc() || end != last) return std::nullopt;
  return index;
}

const json* at_path(const json& root, const std::string& path) {
  const json* at = &root;
  std::string segment;
  std::istringstream steps(path);
  while (at && std::getline(steps, segment, '.')) {
    if (at->is_object() && at->contains(segment)) at = &(*at)[segment];
    else if (auto index = array_index(segment); at->is_array() && index && *index < at->size())
      at = &(*at)[*index];
    else at = nullptr;
  }
  return at;
}

}  // namespace

json Candidate::to_json() const {
  json out = json::object();
  for (const auto& [k, v] : fields) out[k] = v;
  return out;
}

Result<std::string> search_url(const Adapter& adapter, const std::string& base, const std::string& query) {
  if (!adapter.search) return make_error(ErrorCode::not_found, "platform", "平台 " + adapter.platform + " 的适配规则没有搜索页（search）");
  std::string url = adapter.search->url;
  url.replace(url.find("{query}"), 7, percent_encode(query));
  if (url.starts_with("http://") || url.starts_with("https://")) return url;
  if (base.empty()) return make_error(ErrorCode::missing_field, "base", "平台 " + adapter.platform + " 的搜索页是相对网址：须给出站点地址");
  return resolve(base, url);
}

Result<std::vector<Candidate>> read_search(const Adapter& adapter, const std::string& page_url, const DecodedPage& page) {
  if (!adapter.search) return make_error(ErrorCode::not_found, "platform", "平台 " + adapter.platform + " 的适配规则没有搜索页（search）");
  const SearchRules& rules = *adapter.search;
  std::unique_ptr<xmlDoc, DocFree> doc(htmlReadMemory(page.text.data(), static_cast<int>(page.text.size()), page_url.c_str(), "UTF-8",
                                                      HTML_PARSE_RECOVER | HTML_PARSE_NOERROR | HTML_PARSE_NOWARNING | HTML_PARSE_NONET));
  std::vector<Candidate> out;
  if (!doc) return out;
  std::unique_ptr<xmlXPathContext, ContextFree> context(xmlXPathNewContext(doc.get()));
  auto finish = [&](Candidate& c) {
    for (auto& [name, value] : c.fields)
      if (name == "url" && !value.empty()) value = resolve(page_url, value);
    std::erase_if(c.fields, [](const auto& f) { return f.second.empty(); });
    if (!c.fields.empty()) out.push_back(std::move(c));
  };
  if (!rules.items.empty()) {
    std::unique_ptr<xmlXPathObject, ObjectFree> items(xmlXPathEvalExpression(reinterpret_cast<const xmlChar*>(rules.items.c_str()), context.get()));
    if (!items || items->type != XPATH_NODESET || !items->nodesetval) return out;
    for (int i = 0; i < items->nodesetval->nodeNr; ++i) {
      context->node = items->nodesetval->nodeTab[i];  // the fields' XPaths are relative to the result
      Candidate c;
      for (const auto& [name, xpath] : rules.fields) c.fields.push_back({name, xpath_string(context.get(), xpath)});
      finish(c);
    }
    return out;
  }
  for (const auto& script : scripts(context.get())) {
    const auto object = assigned_object(script, rules.script);
    if (!object) continue;
    const auto data = parse_js_object(*object);
    if (!data) continue;
    const json* list = at_path(*data, rules.path);
    if (!list || !list->is_array()) continue;
    for (const auto& entry : *list) {
      Candidate c;
      for (const auto& [name, path] : rules.fields) {
        const json* v = at_path(entry, path);
        c.fields.push_back({name, v ? json_text(*v) : ""});
      }
      finish(c);
    }
    break;
  }
  return out;
}

bool credit_code_valid(std::string_view code) {
  static const std::string_view chars = "0123456789ABCDEFGHJKLMNPQRTUWXY";
  static const int weights[17] = {1, 3, 9, 27, 19, 26, 16, 17, 20, 29, 25, 13, 8, 24, 10, 30, 28};
  if (code.size() != 18) return false;
  int sum = 0;
  for (size_t i = 0; i < 17; ++i) {
    const size_t v = chars.find(code[i]);
    if (v == std::string_view::npos) return false;
    sum += static_cast<int>(v) * weights[i];
  }
  const size_t check = (31 - sum % 31) % 31;
  return code[17] == chars[check];
}

std::optional<json> parse_js_object(std::string_view in) {
  std::string out;
  for (size_t i = 0; i < in.size(); ++i) {
    const char c = in[i];
    if (c == '/' && i + 1 < in.size() && in[i + 1] == '/') {  // a line comment
      while (i < in.size() && in[i] != '\n') ++i;
    } else if (c == '/' && i + 1 < in.size() && in[i + 1] == '*') {
      const size_t end = in.find("*/", i + 2);
      if (end == std::string_view::npos) return std::nullopt;
      i = end + 1;
    } else if (c == '"' || c == '\'') {  // a string, re-written with double quotes
      out += '"';
      for (++i; i < in.size() && in[i] != c; ++i) {
        if (in[i] == '\\' && i + 1 < in.size()) {
          if (in[i + 1] == '\'') out += '\'';
          else out += in.substr(i, 2);
          ++i;
        } else if (in[i] == '"') {
          out += "\\\"";
        } else {
          out += in[i];
        }
      }
      if (i >= in.size()) return std::nullopt;
      out += '"';
    } else if (std::isalpha(static_cast<unsigned char>(c)) || c == '_' || c == '$') {  // a key or a literal
      size_t j = i;
      while (j < in.size() && (std::isalnum(static_cast<unsigned char>(in[j])) || in[j] == '_' || in[j] == '$')) ++j;
      const std::string word(in.substr(i, j - i));
      size_t k = j;
      while (k < in.size() && std::isspace(static_cast<unsigned char>(in[k]))) ++k;
      if (k < in.size() && in[k] == ':') out += "\"" + word + "\"";
      else if (word == "true" || word == "false" || word == "null") out += word;
      else out += "null";  // undefined, a function name, a variable: not data
      i = j - 1;
    } else if (c == ',') {  // a trailing comma before } or ] is dropped
      size_t k = i + 1;
      while (k < in.size() && std::isspace(static_cast<unsigned char>(in[k]))) ++k;
      if (k < in.size() && (in[k] == '}' || in[k] == ']')) continue;
      out += c;
    } else {
      out += c;
    }
  }
  json parsed = json::parse(out, nullptr, false);
  if (parsed.is_discarded()) return std::nullopt;
  return parsed;
}

json Extraction::to_json() const {
  json found = json::object();
  for (const auto& [name, v] : fields) found[name] = {{"value", v.value}, {"rule", v.rule}};
  json out = {{"platform", platform}, {"page", page_kind}, {"fields", found}, {"missing", missing}, {"problems", problems}};
  for (const auto& image : images) out["images"].push_back({{"url", image.url}, {"read", image.read}, {"fields", image.fields}});
  return out;
}

namespace {

// A page as the rules read it: the parsed document and, once asked for, its inline scripts.
struct PageReader {
  const std::string& url;
  const DecodedPage& page;
  std::unique_ptr<xmlDoc, DocFree> doc;
  std::unique_ptr<xmlXPathContext, ContextFree> context;
  std::optional<std::vector<std::string>> script_texts;

  PageReader(const std::string& u, const DecodedPage& p)
      : url(u), page(p),
        doc(htmlReadMemory(p.text.data(), static_cast<int>(p.text.size()), u.c_str(), "UTF-8",
                           HTML_PARSE_RECOVER | HTML_PARSE_NOERROR | HTML_PARSE_NOWARNING | HTML_PARSE_NONET)),
        context(doc ? xmlXPathNewContext(doc.get()) : nullptr) {}

  std::string from_script(const Rule& rule) {
    if (!script_texts) script_texts = scripts(context.get());
    for (const auto& script : *script_texts) {
      const auto object = assigned_object(script, rule.script);
      if (!object) continue;
      const auto data = parse_js_object(*object);
      if (!data) continue;
      if (const json* at = at_path(*data, rule.path)) {
        if (std::string value = json_text(*at); !value.empty()) return value;
      }
    }
    return "";
  }

  // What a value rule (xpath, script, regex) finds: the value ("" for nothing) and the rule's name.
  std::pair<std::string, std::string> read(const Rule& rule) {
    if (!rule.xpath.empty()) return {context ? xpath_string(context.get(), rule.xpath) : "", "xpath:" + rule.xpath};
    if (!rule.script.empty()) return {context ? from_script(rule) : "", "script:" + rule.script + (rule.path.empty() ? "" : "." + rule.path)};
    std::smatch m;
    std::string value;
    const auto end = page.text.begin() + static_cast<std::ptrdiff_t>(std::min(page.text.size(), kRegexTextLimit));
    if (std::regex_search(page.text.begin(), end, m, std::regex(rule.regex))) value = m.size() > 1 ? m[1].str() : m[0].str();
    return {value, "regex:" + rule.regex};
  }

  // An image rule: the field waits on the picture (listed in `out.images`); false when the page shows none.
  bool wait_on_image(const Rule& rule, const std::string& field, Extraction& out) {
    const std::string src = context ? xpath_string(context.get(), rule.image) : "";
    const std::string image_url = src.empty() ? "" : resolve(url, src);
    if (image_url.empty()) return false;
    auto same = std::find_if(out.images.begin(), out.images.end(), [&](const ImageToRead& i) { return i.url == image_url && i.read == rule.read; });
    if (same == out.images.end()) same = out.images.insert(out.images.end(), ImageToRead{image_url, rule.read, {}});
    same->fields.push_back(field);
    return true;
  }

  // The field by its rules in order: the first that finds a value wins. A credit code is taken only when its check
  // digit holds (GB 32100-2015): a misread is a problem, not a finding, and the next rule (a picture) still may.
  std::optional<FieldValue> field(const std::string& name, const std::vector<Rule>& rules, Extraction& out) {
    for (const Rule& rule : rules) {
      if (!rule.image.empty()) {
        if (wait_on_image(rule, name, out)) return std::nullopt;
        continue;
      }
      auto [value, rule_name] = read(rule);
      if (value.empty()) continue;
      if (name == "credit_code" && !credit_code_valid(value)) {
        out.problems.push_back("统一社会信用代码 " + value + " 的校验码不符（GB 32100-2015），视为未读出");
        continue;
      }
      return FieldValue{value, rule_name};
    }
    return std::nullopt;
  }
};

}  // namespace

Result<Extraction> extract(const Adapter& adapter, const std::string& url, const DecodedPage& page) {
  // The path as the page patterns see it, capped like every text given to std::regex.
  const std::string path = path_and_query(url).substr(0, kRegexPathLimit);
  const PageRules* rules = nullptr;
  for (const auto& p : adapter.pages)
    if (std::regex_search(path, std::regex(p.url_pattern))) {
      rules = &p;
      break;
    }
  if (!rules) return make_error(ErrorCode::not_found, "url", "平台 " + adapter.platform + " 的适配规则里没有与 " + path + " 相符的页面");

  PageReader reader(url, page);
  Extraction out;
  out.platform = adapter.platform;
  out.page_kind = rules->kind;
  for (const auto& [field, list] : rules->fields) {
    if (auto found = reader.field(field, list, out)) out.fields.push_back({field, *found});
    else out.missing.push_back(field);
  }
  return out;
}

}  // namespace netsample::extract
