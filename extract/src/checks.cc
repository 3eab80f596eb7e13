#include <optional>
#include <regex>

#include "netsample/core/file_io.h"
#include "netsample/core/json_fields.h"
#include "netsample/extract/extract.h"

namespace netsample::embedded {
extern const std::string_view regulated_categories_json;
}

namespace netsample::extract {
namespace {

bool has_cjk(const std::string& s) {
  // A UTF-8 lead byte of U+4E00..U+9FFF is 0xE4..0xE9.
  for (unsigned char c : s)
    if (c >= 0xE4 && c <= 0xE9) return true;
  return false;
}

// "500000" → "50", "500100" → "5001", "500112" → "500112": the code's significant prefix.
std::string division_prefix(const std::string& code) {
  std::string p = code;
  while (p.size() > 2 && p.ends_with("00")) p.resize(p.size() - 2);
  return p;
}

Result<std::vector<RegulatedCategory>> parse_categories(std::string_view text, const std::string& source) {
  NETSAMPLE_ASSIGN(nlohmann::json root, parse_json(text, source));
  if (!root.is_object() || !root.contains("categories") || !root["categories"].is_array())
    return make_error(ErrorCode::invalid_input, source + ":categories", "须为数组：每项 {name, needs, keywords}", 24);
  std::vector<RegulatedCategory> out;
  for (size_t i = 0; i < root["categories"].size(); ++i) {
    const auto& c = root["categories"][i];
    const std::string at = source + ":categories[" + std::to_string(i) + "]";
    RegulatedCategory category;
    if (!c.is_object() || !c.contains("name") || !c["name"].is_string() || !c.contains("keywords") || !c["keywords"].is_array() || c["keywords"].empty())
      return make_error(ErrorCode::invalid_input, at, "须有 name（类别名称）和非空的 keywords（关键词数组）", 24);
    category.name = c["name"];
    if (c.contains("needs") && !c["needs"].is_string()) return make_error(ErrorCode::wrong_type, at + ".needs", "须为字符串：ccc、licence 或 ccc_or_licence", 24);
    category.needs = c.value("needs", "");
    if (category.needs != "ccc" && category.needs != "licence" && category.needs != "ccc_or_licence")
      return make_error(ErrorCode::invalid_input, at + ".needs", "取值：ccc（强制性认证）、licence（工业产品生产许可证）或 ccc_or_licence", 24);
    for (const auto& k : c["keywords"]) {
      if (!k.is_string() || k.get<std::string>().empty()) return make_error(ErrorCode::invalid_input, at + ".keywords", "关键词须为非空字符串", 24);
      category.keywords.push_back(k);
    }
    out.push_back(std::move(category));
  }
  return out;
}

}  // namespace

Result<std::vector<RegulatedCategory>> load_regulated_categories(const std::optional<std::filesystem::path>& data_dir) {
  if (data_dir) {
    const auto file = *data_dir / "regulated_categories.json";
    NETSAMPLE_ASSIGN(std::optional<std::string> text, read_file_if_exists(file));
    if (text) return parse_categories(*text, file.string());
  }
  return parse_categories(embedded::regulated_categories_json, "regulated_categories.json");
}

std::optional<Check> check_licence_page(const Extraction& extraction) {
  if (extraction.page_kind != "licence") return std::nullopt;
  for (const auto& [name, value] : extraction.fields)
    if (name == "operator_company" || (name == "credit_code" && credit_code_valid(value.value))) return std::nullopt;
  return Check{24, "sign", "证照页未能读出营业执照（经营者名称、统一社会信用代码）：请人工核对店铺是否公示营业执照（第二十四条第（五）项，由抽样人员判断）"};
}

nlohmann::json Check::to_json() const { return {{"article", article}, {"result", result}, {"reason", reason}}; }

std::vector<Check> check_fields(const std::vector<std::pair<std::string, FieldValue>>& fields, const Region& region,
                                const std::vector<RegulatedCategory>& regulated) {
  auto get = [&](const std::string& name) -> std::string {
    for (const auto& [n, v] : fields)
      if (n == name) return v.value;
    return "";
  };
  std::vector<Check> out;

  // Art 34: the operator by its credit code's division (authoritative), else by its address; the producer by its
  // address. In scope when either is in the region; out when both are known and neither is.
  const std::string code = get("credit_code"), operator_address = get("operator_address"), producer_address = get("producer_address");
  const std::string prefix = division_prefix(region.code);
  std::optional<bool> operator_in, producer_in;
  std::string operator_said;
  if (!code.empty() && credit_code_valid(code)) {
    operator_in = code.substr(2, 6).starts_with(prefix);
    operator_said = "经营者统一社会信用代码第 3–8 位（登记机关行政区划 " + code.substr(2, 6) + "）";
  } else if (!operator_address.empty()) {
    operator_in = operator_address.find(region.name) != std::string::npos;
    operator_said = "经营者住所“" + operator_address + "”";
  }
  if (!producer_address.empty()) producer_in = producer_address.find(region.name) != std::string::npos;
  if (operator_in == true)
    out.push_back({34, "pass", operator_said + "在本行政区域（" + region.name + "，" + region.code + "）：第三十四条第（二）项"});
  else if (producer_in == true)
    out.push_back({34, "pass", "标称生产者地址“" + producer_address + "”在" + region.name + "：第三十四条第（一）项"});
  else if (operator_in == false && producer_in == false)
    out.push_back({34, "fail", operator_said + "和标称生产者地址“" + producer_address + "”都不在" + region.name + "：不属第三十四条第（一）（二）项的范围"});
  else
    out.push_back({34, "unknown", "还不能判断：需要经营者的信用代码或住所（证照页）和标称生产者地址（商品页）"});

  // Art 25(5)
  const std::string text = get("title") + " " + get("description");
  for (const char* word : {"试制", "处理", "样品"})
    if (text.find(word) != std::string::npos) {
      out.push_back({25, "sign", std::string("商品标题或描述中有“") + word + "”字样：第二十五条第（五）项（该项适用于在生产者处抽样，网络抽样由组织部门判断）"});
      break;
    }

  // Art 24(2)
  const std::string producer = get("producer");
  if (!producer.empty() || !producer_address.empty()) {
    if (!has_cjk(producer) || !has_cjk(producer_address))
      out.push_back({24, "sign", "页面未以中文标明生产企业厂名或厂址：收到样品后请核对标签（第二十四条第（二）项，由抽样人员判断）"});
  }

  // Art 24(3): a regulated product (a listing: it has a title) and the numbers it shows.
  const std::string described = get("title") + " " + get("category") + " " + get("description");
  const RegulatedCategory* category = nullptr;
  std::string keyword;
  for (const auto& c : regulated) {
    for (const auto& k : c.keywords)
      if (described.find(k) != std::string::npos) {
        category = &c, keyword = k;
        break;
      }
    if (category) break;
  }
  if (category && !get("title").empty()) {
    const std::string shown = get("certificate");
    std::smatch m;
    const std::string ccc = std::regex_search(shown, m, std::regex(R"((^|[^0-9])([0-9]{16})([^0-9]|$))")) ? m[2].str() : "";
    const std::string licence = std::regex_search(shown, m, std::regex(R"(XK[0-9]{2}-[0-9]{3}-[0-9]{5})")) ? m[0].str() : "";
    const bool ccc_needed = category->needs != "licence", licence_needed = category->needs != "ccc";
    const std::string wanted = category->needs == "ccc" ? "强制性产品认证（CCC）证书编号" : category->needs == "licence" ? "工业产品生产许可证编号" : "CCC 证书编号或生产许可证编号";
    const std::string which = "“" + keyword + "”属" + category->name;
    if ((ccc_needed && !ccc.empty()) || (licence_needed && !licence.empty()))
      out.push_back({24, "pass", which + "，页面标有" + (ccc_needed && !ccc.empty() ? "CCC 证书编号 " + ccc : "生产许可证编号 " + licence) +
                                     "（是否在有效期内，收样时核对证书）：第二十四条第（三）项"});
    else
      out.push_back({24, "sign", which + "，页面未见" + wanted + "：收到样品后请核对标签（第二十四条第（三）项，由抽样人员判断）"});
  }

  return out;
}

}  // namespace netsample::extract
