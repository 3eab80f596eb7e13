// The rest of a case's procedure: parcel tracking, the labels read off the unboxing, the notices owed with
// their deliveries and documents, the case's evidence, and what was published to a platform or a network
// supervision unit (Art 62).
#include <filesystem>
#include <iostream>
#include <set>

#include "api.h"
#include "netsample/bundle/bundle.h"
#include "netsample/core/json_fields.h"
#include "netsample/notices/document.h"
#include "netsample/server/server.h"

namespace netsample::server {
namespace {

namespace fs = std::filesystem;
using nlohmann::json;
using workflow::CaseRole;

Result<Response> tracking(Call& call) {
  const std::string& number = call.param("number");
  NETSAMPLE_TRY(require_case(call, number));
  NETSAMPLE_ASSIGN(unboxing::ParcelTracker * tracker, call.runtime.tracker());
  NETSAMPLE_ASSIGN(std::vector<unboxing::ParcelView> parcels, tracker->of_case(number));
  json out = json::array();
  for (const auto& p : parcels) out.push_back(p.to_json());
  return Response::json(200, {{"case", number}, {"parcels", out}});
}

Result<Response> add_parcel(Call& call) {
  const std::string& number = call.param("number");
  NETSAMPLE_TRY(require_case(call, number));
  NETSAMPLE_TRY(require_role(call, number, CaseRole::sampler, "登记运单"));
  NETSAMPLE_ASSIGN(json body, json_body(call));
  NETSAMPLE_ASSIGN(JsonFields fields, JsonFields::of(body, ""));
  unboxing::Parcel parcel;
  NETSAMPLE_ASSIGN(parcel.courier, fields.text("courier"));
  NETSAMPLE_ASSIGN(parcel.number, fields.text("number"));
  NETSAMPLE_ASSIGN(std::optional<std::string> phone, fields.optional_text("phone"));
  NETSAMPLE_TRY(fields.reject_unknown_keys());
  parcel.phone = phone.value_or("");
  NETSAMPLE_ASSIGN(unboxing::ParcelTracker * tracker, call.runtime.tracker());
  NETSAMPLE_ASSIGN(unboxing::ParcelView view, tracker->add(number, parcel, call.who().account.person->id));
  return Response::json(201, view.to_json());
}

Result<Response> labels(Call& call) {
  const std::string& number = call.param("number");
  NETSAMPLE_TRY(require_case(call, number));
  NETSAMPLE_ASSIGN(std::vector<unboxing::UnboxingView> sessions, call.runtime.unboxings().of_case(number));
  json out = json::array();
  for (const auto& u : sessions)
    out.push_back({{"recording", "unboxing-" + std::to_string(u.id)}, {"labels", u.labels}, {"waybill", u.waybill}});
  return Response::json(200, {{"case", number}, {"unboxings", out}});
}

Result<std::unique_ptr<notices::Deliveries>> deliveries(Call& call) { return call.runtime.deliveries(); }

Result<Response> case_notices(Call& call) {
  const std::string& number = call.param("number");
  NETSAMPLE_TRY(require_case(call, number));
  NETSAMPLE_ASSIGN(auto d, deliveries(call));
  NETSAMPLE_ASSIGN(std::vector<notices::NoticeStatus> statuses, d->statuses(number));
  json out = json::array();
  for (const auto& s : statuses) {
    json item = s.to_json();
    item["document"] = "/api/notices/" + std::to_string(s.notice.id) + "/document";
    out.push_back(item);
  }
  return Response::json(200, {{"case", number}, {"notices", out}});
}

// The notice, if the caller may act on or read its case.
Result<workflow::NoticeView> find_notice(Call& call, notices::Deliveries& d) {
  const std::string& id = call.param("notice");
  const Error unknown = make_error(ErrorCode::not_found, "notice", "没有编号为 " + id + " 的通知");
  const std::optional<std::int64_t> notice_id = positive_id(id);
  if (!notice_id) return unknown;
  auto notice = d.notice(*notice_id);
  if (!notice.ok()) return notice.error().code == ErrorCode::not_found ? unknown : notice.error();
  if (!require_case(call, notice->case_number).ok()) return unknown;
  return std::move(notice).value();
}

// Registered mail is entered by the organizing unit or the case's district bureau (Art 51, 52, 73).
Status require_notice_clerk(Call& call, const std::string& case_number) {
  if (require_role(call, case_number, CaseRole::organizer, "登记书面送达").ok()) return {};
  return require_role(call, case_number, CaseRole::district, "登记书面送达");
}

Result<Response> mark_mail(Call& call, const std::string& what) {
  NETSAMPLE_ASSIGN(auto d, deliveries(call));
  NETSAMPLE_ASSIGN(workflow::NoticeView notice, find_notice(call, *d));
  NETSAMPLE_TRY(require_notice_clerk(call, notice.case_number));
  NETSAMPLE_ASSIGN(json body, json_body(call));
  NETSAMPLE_ASSIGN(JsonFields fields, JsonFields::of(body, ""));
  NETSAMPLE_ASSIGN(std::optional<std::string> party, fields.optional_text("party"));
  const std::string actor = call.who().actor();
  json out;
  if (what == "posted") {
    if (!party) return make_error(ErrorCode::missing_field, "party", "须给出收件方编号");
    NETSAMPLE_ASSIGN(std::string registered, fields.text("registered_number"));
    NETSAMPLE_TRY(fields.reject_unknown_keys());
    NETSAMPLE_ASSIGN(notices::Delivery delivery, d->mark_posted(notice.id, *party, registered, actor));
    out = delivery.to_json();
  } else if (what == "received") {
    NETSAMPLE_ASSIGN(std::string date, fields.text("date"));
    NETSAMPLE_TRY(fields.reject_unknown_keys());
    NETSAMPLE_ASSIGN(notices::Delivery delivery, d->mark_received(notice.id, party.value_or(""), date, actor));
    out = delivery.to_json();
  } else {
    if (!party) return make_error(ErrorCode::missing_field, "party", "须给出收件方编号");
    NETSAMPLE_ASSIGN(std::string reason, fields.text("reason"));
    NETSAMPLE_TRY(fields.reject_unknown_keys());
    NETSAMPLE_ASSIGN(notices::Delivery delivery, d->mark_returned(notice.id, *party, reason, actor));
    NETSAMPLE_ASSIGN(std::vector<std::string> handed, d->hand_over_unreachable());
    out = {{"delivery", delivery.to_json()}, {"handed_over", handed}};
  }
  return Response::json(200, out);
}

// A downloadable piece of evidence, its read audited with its id. `?inline=1` shows a PDF or an image in place
// (the web UI's document viewer frames it) instead of offering it as a download.
Result<Response> serve_download(Call& call, const store::EvidenceItem& item, const std::string& what) {
  const std::string type = content_type_for(item.name);
  const bool in_place = call.request.param_query("inline") == "1" && (type == "application/pdf" || type.starts_with("image/"));
  return serve_evidence(call, item, {{"evidence_id", item.id}, {"what", what}}, /*attachment=*/!in_place);
}

// The stored PDF of a notice's document; nullopt before its first delivery wrote it.
Result<std::optional<store::EvidenceItem>> notice_pdf(Call& call, const workflow::NoticeView& notice) {
  NETSAMPLE_ASSIGN(std::optional<notices::NoticeFiles> files, notices::stored_notice_files(call.runtime.store(), notice.id));
  if (!files) return std::optional<store::EvidenceItem>();
  return call.runtime.store().find_evidence(notice.case_number, files->pdf);
}

Result<Response> notice_document(Call& call, const workflow::NoticeView& notice) {
  NETSAMPLE_ASSIGN(std::optional<store::EvidenceItem> item, notice_pdf(call, notice));
  if (!item) return make_error(ErrorCode::not_found, "notice", "通知 #" + std::to_string(notice.id) + " 的文书尚未生成（送达时生成）");
  return serve_download(call, *item, "notice_document");
}

Result<Response> document(Call& call) {
  NETSAMPLE_ASSIGN(auto d, deliveries(call));
  NETSAMPLE_ASSIGN(workflow::NoticeView notice, find_notice(call, *d));
  return notice_document(call, notice);
}

Result<Response> case_evidence(Call& call) {
  const std::string& number = call.param("number");
  NETSAMPLE_TRY(require_case(call, number));
  NETSAMPLE_ASSIGN(std::vector<store::EvidenceItem> items, call.runtime.store().list_evidence(number));
  json out = json::array();
  for (const auto& e : items)
    out.push_back({{"id", e.id}, {"kind", e.kind}, {"name", e.name}, {"sha256", e.sha256}, {"size", e.size},
                   {"added", format_iso8601_beijing(e.added)}, {"url", "/api/evidence/" + std::to_string(e.id)}});
  return Response::json(200, {{"case", number}, {"items", out}});
}

Result<Response> evidence_file(Call& call) {
  const std::string& id = call.param("id");
  const Error unknown = make_error(ErrorCode::not_found, "id", "没有编号为 " + id + " 的证据");
  const std::optional<std::int64_t> evidence_id = positive_id(id);
  if (!evidence_id) return unknown;
  NETSAMPLE_ASSIGN(std::optional<store::EvidenceItem> item, call.runtime.store().evidence_item(*evidence_id));
  if (!item || !require_case(call, item->case_number).ok()) return unknown;
  return serve_download(call, *item, "evidence");
}

// The evidence bundle, made for this request and sent from an unlinked file (nothing is left behind).
Result<Response> export_bundle(Call& call) {
  const std::string& number = call.param("number");
  if (Status visible = require_case(call, number); !visible.ok()) {
    // At the centre, a case a station sent (not one of the centre's own) is exported for those who may see it.
    NETSAMPLE_ASSIGN(bool station_case, may_see_station_case(call, number));
    if (!station_case) return visible.error();
  }
  NETSAMPLE_TRY(require_person(call));
  const fs::path dir = call.runtime.data_dir() / "exports";
  std::error_code ec;
  fs::create_directories(dir, ec);
  const fs::path file = dir / (number + "-" + accounts::random_hex(8) + ".zip");
  // The chain's head stamped at every export (serve --tsa); a TSA that fails is said in the log, the export goes on.
  if (!call.options.tsa.empty()) {
    NETSAMPLE_ASSIGN(auto outcomes, call.runtime.stamp_audit_head(call.options.tsa, call.who().actor()));
    for (const auto& o : outcomes)
      if (!o.ok) std::cerr << "netsample serve: 导出 " << number << " 时审计链头未能由 " << o.tsa_url << " 盖章（" << o.error << "）\n";
  }
  NETSAMPLE_ASSIGN(bundle::ExportResult made, bundle::export_case(call.runtime, number, file, call.who().actor()));
  auto response = file_response(call.request, file.string(), made.size, made.sha256, "application/zip", number + "-证据包.zip");
  fs::remove(file, ec);  // the open descriptor keeps the bytes until they are sent
  if (response.ok()) response->evidence_bytes = response->file ? response->file->length : 0;
  return response;
}

// A party's account: the notices addressed to it, and nothing else (Art 62).
Result<std::vector<notices::NoticeStatus>> published_to(Call& call) {
  if (!call.who().account.party_id) return make_error(ErrorCode::not_found, "path", "只有收件方（平台、网络监管部门）的账号有此列表");
  const std::string party = *call.who().account.party_id;
  NETSAMPLE_ASSIGN(auto d, deliveries(call));
  NETSAMPLE_ASSIGN(std::vector<notices::NoticeStatus> all, d->statuses());
  std::vector<notices::NoticeStatus> mine;
  for (auto& s : all)
    for (const auto& delivery : s.deliveries)
      if (delivery.party_id == party) {
        mine.push_back(std::move(s));
        break;
      }
  return mine;
}

json published_json(const notices::NoticeStatus& s, const std::string& party) {
  json deliveries = json::array();
  for (const auto& d : s.deliveries)
    if (d.party_id == party) deliveries.push_back(d.to_json());
  return {{"notice", s.notice.id},
          {"case", s.notice.case_number},
          {"kind", s.notice.kind},
          {"label", workflow::notice_label(s.notice.kind)},
          {"article", s.notice.article},
          {"payload", s.notice.payload},
          {"created", format_iso8601_beijing(s.notice.created)},
          {"deliveries", deliveries},
          {"document", "/api/published/" + std::to_string(s.notice.id) + "/document"}};
}

Result<Response> published(Call& call) {
  NETSAMPLE_ASSIGN(std::vector<notices::NoticeStatus> mine, published_to(call));
  json out = json::array();
  for (const auto& s : mine) out.push_back(published_json(s, *call.who().account.party_id));
  return Response::json(200, {{"party", *call.who().account.party_id}, {"notices", out}});
}

Result<Response> published_document(Call& call) {
  NETSAMPLE_ASSIGN(std::vector<notices::NoticeStatus> mine, published_to(call));
  const std::string& id = call.param("notice");
  for (const auto& s : mine)
    if (std::to_string(s.notice.id) == id) {
      NETSAMPLE_ASSIGN(std::optional<store::EvidenceItem> item, notice_pdf(call, s.notice));
      if (!item) break;
      return serve_download(call, *item, "published_notice");
    }
  return make_error(ErrorCode::not_found, "notice", "没有编号为 " + id + " 的通知");
}

}  // namespace

void add_process_routes(std::vector<Route>& out) {
  out.push_back({"GET", "/api/cases/{number}/tracking", Access::signed_in, tracking});
  out.push_back({"POST", "/api/cases/{number}/tracking", Access::signed_in, add_parcel});
  out.push_back({"GET", "/api/cases/{number}/labels", Access::signed_in, labels});
  out.push_back({"GET", "/api/cases/{number}/notices", Access::signed_in, case_notices});
  out.push_back({"GET", "/api/cases/{number}/evidence", Access::signed_in, case_evidence});
  out.push_back({"GET", "/api/evidence/{id}", Access::signed_in, evidence_file});
  out.push_back({"GET", "/api/notices/{notice}/document", Access::signed_in, document});
  out.push_back({"POST", "/api/notices/{notice}/posted", Access::signed_in, [](Call& call) { return mark_mail(call, "posted"); }});
  out.push_back({"POST", "/api/notices/{notice}/received", Access::signed_in, [](Call& call) { return mark_mail(call, "received"); }});
  out.push_back({"POST", "/api/notices/{notice}/returned", Access::signed_in, [](Call& call) { return mark_mail(call, "returned"); }});
  out.push_back({.method = "GET", .pattern = "/api/cases/{number}/export", .access = Access::signed_in, .handler = export_bundle, .slow = true});
  out.push_back({"GET", "/api/published", Access::signed_in, published});
  out.push_back({"GET", "/api/published/{notice}/document", Access::signed_in, published_document});
}

}  // namespace netsample::server
