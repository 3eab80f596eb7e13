#include "netsample/purchase/sampling_document.h"

#include "netsample/purchase/document_pdf.h"

#include <memory>

#include "netsample/core/file_io.h"
#include "netsample/core/json_fields.h"

namespace netsample::purchase {
namespace {

using nlohmann::json;
namespace fs = std::filesystem;

// An instant stored as ISO 8601, as people read it ("2026-11-24 10:05:31.000 +08:00").
std::string shown_time(const json& value) {
  if (!value.is_string()) return "—";
  auto parsed = parse_iso8601(value.get<std::string>(), "time");
  return parsed.ok() ? format_beijing(*parsed) : value.get<std::string>();
}

std::string text_of(const json& value) {
  if (value.is_null()) return "—";
  return value.is_string() ? value.get<std::string>() : value.dump();
}

json row(const std::string& label, const std::string& value) { return {{"label", label}, {"value", value}}; }

}  // namespace

Result<Organization> load_organization(const fs::path& data_dir) {
  Organization organization;
  const fs::path file = data_dir / "organization.json";
  if (!fs::exists(file)) return organization;
  NETSAMPLE_ASSIGN(std::string text, read_file(file));
  NETSAMPLE_ASSIGN(json parsed, parse_json(text, file.string()));
  if (!parsed.is_object()) return make_error(ErrorCode::wrong_type, file.string(), "应为 JSON 对象：{\"name\": \"…\", \"seal_image\": \"seal.png\"}");
  for (const auto& [key, value] : parsed.items()) {
    if (key != "name" && key != "seal_image" && !key.starts_with("_"))
      return make_error(ErrorCode::invalid_input, file.string() + ": " + key, "未知字段；可用 name、seal_image");
    if (!key.starts_with("_") && !value.is_string()) return make_error(ErrorCode::wrong_type, file.string() + ": " + key, "应为文字");
  }
  organization.name = parsed.value("name", "");
  if (parsed.contains("seal_image")) {
    fs::path seal = parsed["seal_image"].get<std::string>();
    if (seal.is_relative()) seal = data_dir / seal;
    if (!fs::exists(seal)) return make_error(ErrorCode::not_found, file.string() + ": seal_image", "印章图片 " + seal.string() + " 不存在");
    organization.seal_image = seal;
  }
  return organization;
}

namespace {
// "批号 B20261101；生产日期 2026-11-01", as the sample's labels show them.
std::string batch_and_date(const json& sealing) {
  std::string out;
  if (sealing.contains("batch")) out += "批号 " + sealing["batch"].get<std::string>();
  if (sealing.contains("production_date")) out += (out.empty() ? "" : "；") + std::string("生产日期 ") + sealing["production_date"].get<std::string>();
  return out.empty() ? "以样品标识为准" : out;
}
}  // namespace

Result<json> sampling_document(const workflow::CaseView& view, const SessionView& session, const json& sealing,
                               const workflow::PlatformRegistry& platforms, const Organization& organization, UtcTime generated) {
  if (session.state != "complete")
    return make_error(ErrorCode::refused_by_rule, "purchase",
                      "任务 " + view.record.number + " 没有完整的买样记录（第 " + std::to_string(session.seq) + " 次买样：" + session.state + "），不能填写网络抽样文书",
                      39);
  std::vector<workflow::Assignment> samplers;
  for (const auto& a : view.people)
    if (a.role == "sampler") samplers.push_back(a);
  if (samplers.size() < 2)
    return make_error(ErrorCode::refused_by_rule, "samplers", "抽样人员不得少于 2 人，本任务只有 " + std::to_string(samplers.size()) + " 人", 20);

  const workflow::CaseRecord& r = view.record;
  const StepRecord* order = session.last("order");
  const StepRecord* payment = session.last("payment");
  const StepRecord* licence = session.last("licence");
  const StepRecord* product = session.last("product_page");
  const workflow::Platform* platform = platforms.find(r.platform);
  const bool draft = sealing.is_null();
  json sampler_list = json::array();
  std::string sampler_text;
  for (const auto& s : samplers) {
    sampler_list.push_back({{"id", s.person_id}, {"name", s.name}});
    sampler_text += (sampler_text.empty() ? "" : "、") + s.name + "（" + s.person_id + "）";
  }
  const std::string unit = organization.name.empty() ? r.organizer : organization.name;
  const std::string pending = "待收样确认、封样后填写（第三十六、三十七、三十九条）";

  json rows = json::array({
      row("任务编号", r.number),
      row("产品名称", r.product_name),
      row("商标", r.trademark),
      row("型号规格", r.model + (product && product->fields.contains("model") ? "（网页所示：" + text_of(product->fields["model"]) + "）" : "")),
      row("批号或生产日期", draft ? pending : batch_and_date(sealing)),
      row("标称生产者", r.producer.name + "，" + r.producer.address),
      row("被抽样电子商务经营者", r.operator_party.name + "，" + r.operator_party.address),
      row("统一社会信用代码", licence ? text_of(licence->fields["licence_number"]) + "（证照页所示：" + text_of(licence->fields["operator_name"]) + "）" : "—"),
      row("电子商务平台", platform ? platform->name : r.platform),
      row("店铺", r.shop_name + (r.shop_url ? "  " + *r.shop_url : "")),
      row("商品链接", product ? text_of(product->fields["url"]) : r.listing_url.value_or("—")),
      row("订单号", text_of(order->fields["order_number"])),
      row("订单金额", text_of(order->fields["amount"]) + " 元"),
      row("样品数量", "检验样品 " + text_of(order->fields["inspection_qty"]) + "，备用样品 " + text_of(order->fields["backup_qty"]) +
                          "（任务要求：检验样品 " + std::to_string(r.inspection_qty) + "，备用样品 " + std::to_string(r.backup_qty) + "）"),
      row("购买时间（北京时间）", payment ? shown_time(payment->fields["time"]) : format_beijing(order->at)),
      row("支付方式", payment ? text_of(payment->fields["method"]) + "，账户 " + text_of(payment->fields["account"]) : "—"),
      row("买样录像", session.recording_dir.filename().string() + "（连续录像，第三十五条），开始 " + format_beijing(session.started) +
                          (session.verify.is_object() ? "，时长 " + std::to_string(static_cast<int>(session.verify.value("duration_s", 0.0))) + " 秒" : "")),
      row("录像清单 SHA-256", session.manifest_sha256),
      row("样品封存", draft ? pending
                            : "检验样品封条 " + text_of(sealing.value("inspection_seal", json())) + "，备用样品封条 " + text_of(sealing.value("backup_seal", json())) +
                                  "，封样日期 " + text_of(sealing.value("sealed_date", json())) + "；备用样品暂存于 " + text_of(sealing.value("backup_storage", json())) +
                                  "，保管人 " + text_of(sealing.value("backup_keeper", json()))),
      row("抽样人员", sampler_text),
      row("抽样单位", unit),
  });
  std::string signatures;
  for (const auto& s : samplers) signatures += (signatures.empty() ? "" : "        ") + s.name + " ________";
  return json{{"title", "网络抽样文书"},
              {"subtitle", "（重庆市产品质量监督抽查实施办法 第三十九条）"},
              {"signatures", "抽样人员签字：" + signatures},
              {"seal_label", "抽样单位（盖章）"},
              {"article", 39},
              {"draft", draft},
              {"draft_reason", draft ? "样品尚未收样确认和封样：批号或生产日期、封条由收样封样后补全" : ""},
              {"case_number", r.number},
              {"generated", format_iso8601_beijing(generated)},
              {"generated_shown", format_beijing(generated)},
              {"product", {{"name", r.product_name}, {"trademark", r.trademark}, {"model", r.model}}},
              {"producer", {{"name", r.producer.name}, {"address", r.producer.address}}},
              {"operator", {{"name", r.operator_party.name}, {"address", r.operator_party.address},
                            {"licence_number", licence ? licence->fields["licence_number"] : json()}}},
              {"platform", platform ? platform->name : r.platform},
              {"shop_url", r.shop_url ? json(*r.shop_url) : json()},
              {"order", order->fields},
              {"payment", payment ? payment->fields : json()},
              {"recording", {{"session", session.id}, {"dir", session.recording_dir.string()}, {"manifest_sha256", session.manifest_sha256}}},
              {"sealing", sealing},
              {"samplers", sampler_list},
              {"organization", unit},
              {"rows", rows}};
}

Status render_sampling_document(const json& document, const std::optional<fs::path>& seal_image, const fs::path& pdf) {
  return render_document_pdf(document, seal_image, pdf);
}

}  // namespace netsample::purchase
