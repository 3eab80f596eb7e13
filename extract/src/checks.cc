#include <optional>

#include "netsample/extract/extract.h"

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

}  // namespace

nlohmann::json Check::to_json() const { return {{"article", article}, {"result", result}, {"reason", reason}}; }

std::vector<Check> check_fields(const std::vector<std::pair<std::string, FieldValue>>& fields, const Region& region) {
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
  return out;
}

}  // namespace netsample::extract
