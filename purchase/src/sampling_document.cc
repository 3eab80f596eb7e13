#include "netsample/purchase/sampling_document.h"


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


}  // namespace

namespace {
// "批号 B20261101；生产日期 2026-11-01", as the sample's labels show them.
std::string batch_and_date(const json& sealing) {
  std::string out;
  if (sealing.contains("batch")) out += "批号 " + sealing["batch"].get<std::string>();
  if (sealing.contains("production_date")) out += (out.empty() ? "" : "；") + std::string("生产日期 ") + sealing["production_date"].get<std::string>();
  return out.empty() ? "以样品标识为准" : out;
}
}  // namespace

Result<SamplingDocument> sampling_document(const workflow::CaseView& view, const SessionView& session, const json& sealing,
                                           const workflow::PlatformRegistry& platforms, const documents::Organization& organization,
                                           UtcTime generated) {
  if (session.state != PurchaseState::complete)
    return make_error(ErrorCode::refused_by_rule, "purchase",
                      "任务 " + view.record.number + " 没有完整的买样记录（第 " + std::to_string(session.seq) + " 次买样：" + std::string(to_string(session.state)) + "），不能填写网络抽样文书",
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

  using documents::Row;
  std::vector<Row> rows = {
      Row{"任务编号", r.number},
      Row{"产品名称", r.product_name},
      Row{"商标", r.trademark},
      Row{"型号规格", r.model + (product && product->fields.contains("model") ? "（网页所示：" + text_of(product->fields["model"]) + "）" : "")},
      Row{"批号或生产日期", draft ? pending : batch_and_date(sealing)},
      Row{"标称生产者", r.producer.name + "，" + r.producer.address},
      Row{"被抽样电子商务经营者", r.operator_party.name + "，" + r.operator_party.address},
      Row{"统一社会信用代码", licence ? text_of(licence->fields["licence_number"]) + "（证照页所示：" + text_of(licence->fields["operator_name"]) + "）" : "—"},
      Row{"电子商务平台", platform ? platform->name : r.platform},
      Row{"店铺", r.shop_name + (r.shop_url ? "  " + *r.shop_url : "")},
      Row{"商品链接", product ? text_of(product->fields["url"]) : r.listing_url.value_or("—")},
      Row{"订单号", text_of(order->fields["order_number"])},
      Row{"订单金额", text_of(order->fields["amount"]) + " 元"},
      Row{"样品数量", "检验样品 " + text_of(order->fields["inspection_qty"]) + "，备用样品 " + text_of(order->fields["backup_qty"]) +
                          "（任务要求：检验样品 " + std::to_string(r.inspection_qty) + "，备用样品 " + std::to_string(r.backup_qty) + "）"},
      Row{"购买时间（北京时间）", payment ? shown_time(payment->fields["time"]) : format_beijing(order->at)},
      Row{"支付方式", payment ? text_of(payment->fields["method"]) + "，账户 " + text_of(payment->fields["account"]) : "—"},
      Row{"买样录像", session.recording_dir.filename().string() + "（连续录像，第三十五条），开始 " + format_beijing(session.started) +
                          (session.verify.is_object() ? "，时长 " + std::to_string(static_cast<int>(session.verify.value("duration_s", 0.0))) + " 秒" : "")},
      Row{"录像清单 SHA-256", session.manifest_sha256},
      Row{"样品封存", draft ? pending
                            : "检验样品封条 " + text_of(sealing.value("inspection_seal", json())) + "，备用样品封条 " + text_of(sealing.value("backup_seal", json())) +
                                  "，封样日期 " + text_of(sealing.value("sealed_date", json())) + "；备用样品暂存于 " + text_of(sealing.value("backup_storage", json())) +
                                  "，保管人 " + text_of(sealing.value("backup_keeper", json()))},
      Row{"抽样人员", sampler_text},
      Row{"抽样单位", unit},
  };
  std::string signatures;
  for (const auto& s : samplers) signatures += (signatures.empty() ? "" : "        ") + s.name + " ________";
  documents::Document page;
  page.title = "网络抽样文书";
  page.subtitle = "（重庆市产品质量监督抽查实施办法 第三十九条）";
  page.case_number = r.number;
  page.rows = std::move(rows);
  page.signatures = "抽样人员签字：" + signatures;
  page.seal_label = "抽样单位（盖章）";
  page.organization = unit;
  page.draft = draft;
  page.draft_reason = draft ? "样品尚未收样确认和封样：批号或生产日期、封条由收样封样后补全" : "";
  page.generated = generated;
  json record = {{"title", page.title},
                 {"subtitle", page.subtitle},
                 {"signatures", page.signatures},
                 {"seal_label", page.seal_label},
                 {"article", 39},
                 {"draft", draft},
                 {"draft_reason", page.draft_reason},
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
                 {"rows", documents::rows_json(page.rows)}};
  return SamplingDocument{std::move(page), std::move(record)};
}

Result<SamplingDocumentFiles> write_sampling_document(store::Store& store, workflow::Lifecycle& lifecycle, const workflow::PlatformRegistry& platforms,
                                                      const std::string& case_number, const std::string& actor, const fs::path& out_dir) {
  NETSAMPLE_ASSIGN(workflow::CaseView view, workflow::CaseRegistry(store).show(case_number));
  NETSAMPLE_ASSIGN(auto list, PurchaseSessions(store, lifecycle).of_case(case_number));
  const SessionView* complete = nullptr;
  for (const auto& s : list)
    if (s.state == PurchaseState::complete) complete = &s;
  if (!complete)
    return make_error(ErrorCode::refused_by_rule, "case", "任务 " + case_number + " 没有完整的买样记录，不能填写网络抽样文书（先完成 purchase start … purchase finish）", 39);
  NETSAMPLE_ASSIGN(auto history, lifecycle.history(case_number));
  json sealing;
  for (const auto& e : history)
    if (e.event == "seal") sealing = e.fields;
  NETSAMPLE_ASSIGN(documents::Organization organization, documents::load_organization(store.data_dir()));
  NETSAMPLE_ASSIGN(SamplingDocument document, sampling_document(view, *complete, sealing, platforms, organization, store.clock().now()));

  const fs::path dir = out_dir.empty() ? store.data_dir() / "documents" : out_dir;
  std::error_code ec;
  fs::create_directories(dir, ec);
  if (ec) return make_error(ErrorCode::io, dir.string(), "无法创建文书目录：" + ec.message());
  const std::string base = case_number + "-网络抽样文书" + (document.page.draft ? "-草稿" : "");
  SamplingDocumentFiles files{dir / (base + ".pdf"), dir / (base + ".json"), document.page.draft, {}};
  NETSAMPLE_TRY(write_file_atomic(files.json, document.record.dump(2) + "\n"));
  NETSAMPLE_TRY(documents::render_pdf(document.page, organization.seal_image, files.pdf));
  for (const fs::path& file : {files.pdf, files.json}) {
    NETSAMPLE_ASSIGN(store::EvidenceItem item, store.add_evidence(view.id, case_number, file, "sampling_document", actor));
    files.evidence.push_back(item);
  }
  return files;
}

}  // namespace netsample::purchase
