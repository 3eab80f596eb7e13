#include "netsample/review/review.h"

#include <map>

#include "netsample/core/json_fields.h"

namespace netsample::review {
namespace {

using nlohmann::json;

Result<std::int64_t> case_id(store::Store& store, const std::string& number) {
  NETSAMPLE_ASSIGN(store::Statement stmt, store.db().prepare("SELECT id FROM cases WHERE number = ?1"));
  stmt.bind(1, number);
  NETSAMPLE_ASSIGN(bool found, stmt.step());
  if (!found) return make_error(ErrorCode::not_found, "case", "没有编号为 \"" + number + "\" 的抽样任务");
  return stmt.int64(0);
}

template <class Enum>
Result<Enum> parse_choice(const std::string& text, const std::string& field, std::initializer_list<Enum> all, const std::string& meaning) {
  std::string list;
  for (Enum value : all) {
    if (to_string(value) == text) return value;
    list += (list.empty() ? "" : "、") + std::string(to_string(value));
  }
  return make_error(ErrorCode::invalid_input, field, "\"" + text + "\" 不是有效的" + meaning + "，取值：" + list);
}

}  // namespace

std::string_view to_string(Severity severity) {
  switch (severity) {
    case Severity::info: return "info";
    case Severity::minor: return "minor";
    case Severity::major: return "major";
  }
  return "info";
}

std::string_view to_string(Verdict verdict) {
  switch (verdict) {
    case Verdict::no_doubts: return "no_doubts";
    case Verdict::doubts: return "doubts";
    case Verdict::rejected: return "rejected";
  }
  return "doubts";
}

std::string label(Severity severity) {
  switch (severity) {
    case Severity::info: return "提示";
    case Severity::minor: return "一般问题";
    case Severity::major: return "严重问题";
  }
  return "";
}

std::string label(Verdict verdict) {
  switch (verdict) {
    case Verdict::no_doubts: return "无疑问";
    case Verdict::doubts: return "有疑问";
    case Verdict::rejected: return "不予认可";
  }
  return "";
}

json Finding::to_json() const {
  return {{"id", id},
          {"case", case_number},
          {"recording", recording},
          {"media_ms", media_ms},
          {"severity", to_string(severity)},
          {"severity_label", label(severity)},
          {"note", note},
          {"reviewer", reviewer},
          {"at", format_iso8601_beijing(at)}};
}

json VerdictRecord::to_json() const {
  return {{"id", id},
          {"case", case_number},
          {"recording", recording},
          {"verdict", to_string(verdict)},
          {"verdict_label", label(verdict)},
          {"reasons", reasons},
          {"reviewer", reviewer},
          {"at", format_iso8601_beijing(at)},
          {"current", current}};
}

Result<FindingRequest> parse_finding(const json& body, const std::string& recording) {
  NETSAMPLE_ASSIGN(JsonFields fields, JsonFields::of(body, ""));
  FindingRequest request;
  request.recording = recording;
  NETSAMPLE_ASSIGN(request.media_ms, fields.integer("media_ms", 0, 24LL * 3600 * 1000));
  NETSAMPLE_ASSIGN(std::string severity, fields.text("severity"));
  NETSAMPLE_ASSIGN(request.severity, parse_choice(severity, "severity", {Severity::info, Severity::minor, Severity::major}, "严重程度"));
  NETSAMPLE_ASSIGN(request.note, fields.text("note"));
  if (request.note.size() > 4000) return make_error(ErrorCode::invalid_input, "note", "说明不能超过 4000 字节");
  NETSAMPLE_TRY(fields.reject_unknown_keys());
  return request;
}

Result<VerdictRequest> parse_verdict(const json& body, const std::string& recording) {
  NETSAMPLE_ASSIGN(JsonFields fields, JsonFields::of(body, ""));
  VerdictRequest request;
  request.recording = recording;
  NETSAMPLE_ASSIGN(std::string verdict, fields.text("verdict"));
  NETSAMPLE_ASSIGN(request.verdict, parse_choice(verdict, "verdict", {Verdict::no_doubts, Verdict::doubts, Verdict::rejected}, "审看结论"));
  if (body.contains("reasons")) {
    const json& reasons = body["reasons"];
    if (!reasons.is_array()) return make_error(ErrorCode::wrong_type, "reasons", "须为字符串数组");
    for (size_t i = 0; i < reasons.size(); ++i) {
      if (!reasons[i].is_string() || reasons[i].get<std::string>().empty())
        return make_error(ErrorCode::wrong_type, "reasons[" + std::to_string(i) + "]", "须为非空字符串");
      request.reasons.push_back(reasons[i].get<std::string>());
    }
  }
  if (request.verdict != Verdict::no_doubts && request.reasons.empty())
    return make_error(ErrorCode::missing_field, "reasons", "结论为「" + label(request.verdict) + "」时须写明理由");
  for (const auto& [key, value] : body.items())
    if (key != "verdict" && key != "reasons") return make_error(ErrorCode::invalid_input, key, "未知字段");
  return request;
}

Status Reviews::require_reviewer(const std::string& case_number, const std::string& reviewer) {
  NETSAMPLE_ASSIGN(bool holds, lifecycle_->holds_role(case_number, reviewer, workflow::CaseRole::reviewer));
  if (!holds) return make_error(ErrorCode::refused_by_rule, "as", reviewer + " 不是本任务指派的审看人员，不能记录审看意见");
  return {};
}

Result<Finding> Reviews::add_finding(const std::string& case_number, const FindingRequest& request, const std::string& reviewer) {
  NETSAMPLE_TRY(require_reviewer(case_number, reviewer));
  Finding finding{0, case_number, request.recording, request.media_ms, request.severity, request.note, reviewer, store_->clock().now()};
  NETSAMPLE_TRY(store_->write([&]() -> Status {
    NETSAMPLE_ASSIGN(std::int64_t id, case_id(*store_, case_number));
    NETSAMPLE_ASSIGN(store::Statement insert, store_->db().prepare("INSERT INTO review_findings (case_id, recording, media_ms, severity, "
                                                                   "note, reviewer, utc_us) VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7) RETURNING id"));
    insert.bind(1, id).bind(2, finding.recording).bind(3, finding.media_ms).bind(4, to_string(finding.severity)).bind(5, finding.note);
    insert.bind(6, reviewer).bind(7, to_utc_us(finding.at));
    NETSAMPLE_ASSIGN(finding.id, insert.insert_id());
    json payload = finding.to_json();
    payload.erase("severity_label");
    return status_of(store_->audit().append({reviewer, "review.finding_added", case_number, payload}, finding.at));
  }));
  return finding;
}

Result<VerdictRecord> Reviews::set_verdict(const std::string& case_number, const VerdictRequest& request, const std::string& reviewer) {
  NETSAMPLE_TRY(require_reviewer(case_number, reviewer));
  VerdictRecord record{0, case_number, request.recording, request.verdict, request.reasons, reviewer, store_->clock().now(), true};
  NETSAMPLE_TRY(store_->write([&]() -> Status {
    NETSAMPLE_ASSIGN(std::int64_t id, case_id(*store_, case_number));
    NETSAMPLE_ASSIGN(store::Statement insert, store_->db().prepare("INSERT INTO review_verdicts (case_id, recording, verdict, reasons, "
                                                                   "reviewer, utc_us) VALUES (?1, ?2, ?3, ?4, ?5, ?6) RETURNING id"));
    insert.bind(1, id).bind(2, record.recording).bind(3, to_string(record.verdict)).bind(4, json(record.reasons).dump());
    insert.bind(5, reviewer).bind(6, to_utc_us(record.at));
    NETSAMPLE_ASSIGN(record.id, insert.insert_id());
    json payload = record.to_json();
    payload.erase("verdict_label");
    payload.erase("current");
    return status_of(store_->audit().append({reviewer, "review.verdict_given", case_number, payload}, record.at));
  }));
  return record;
}

Result<std::vector<Finding>> Reviews::findings(const std::string& case_number) {
  NETSAMPLE_ASSIGN(std::int64_t id, case_id(*store_, case_number));
  NETSAMPLE_ASSIGN(store::Statement stmt, store_->db().prepare("SELECT id, recording, media_ms, severity, note, reviewer, utc_us FROM "
                                                               "review_findings WHERE case_id = ?1 ORDER BY recording, media_ms, id"));
  stmt.bind(1, id);
  std::vector<Finding> out;
  for (;;) {
    NETSAMPLE_ASSIGN(bool row, stmt.step());
    if (!row) return out;
    NETSAMPLE_ASSIGN(Severity severity, parse_choice(stmt.text(3), "review_findings.severity", {Severity::info, Severity::minor, Severity::major}, "严重程度"));
    out.push_back({stmt.int64(0), case_number, stmt.text(1), stmt.int64(2), severity, stmt.text(4), stmt.text(5), from_utc_us(stmt.int64(6))});
  }
}

Result<std::vector<VerdictRecord>> Reviews::verdicts(const std::string& case_number) {
  NETSAMPLE_ASSIGN(std::int64_t id, case_id(*store_, case_number));
  NETSAMPLE_ASSIGN(store::Statement stmt, store_->db().prepare("SELECT v.id, v.recording, v.verdict, v.reasons, v.reviewer, v.utc_us, "
                                                               "v.id = (SELECT MAX(w.id) FROM review_verdicts w WHERE w.case_id = v.case_id AND "
                                                               "w.recording = v.recording AND w.reviewer = v.reviewer) FROM review_verdicts v "
                                                               "WHERE v.case_id = ?1 ORDER BY v.recording, v.id"));
  stmt.bind(1, id);
  std::vector<VerdictRecord> out;
  for (;;) {
    NETSAMPLE_ASSIGN(bool row, stmt.step());
    if (!row) return out;
    NETSAMPLE_ASSIGN(Verdict verdict, parse_choice(stmt.text(2), "review_verdicts.verdict", {Verdict::no_doubts, Verdict::doubts, Verdict::rejected}, "审看结论"));
    const json reasons = json::parse(stmt.text(3), nullptr, false);
    VerdictRecord record{stmt.int64(0), case_number, stmt.text(1), verdict, {}, stmt.text(4), from_utc_us(stmt.int64(5)), stmt.int64(6) != 0};
    if (reasons.is_array())
      for (const auto& r : reasons)
        if (r.is_string()) record.reasons.push_back(r.get<std::string>());
    out.push_back(std::move(record));
  }
}

Result<json> Reviews::case_json(const std::string& case_number) {
  NETSAMPLE_ASSIGN(std::vector<Finding> all_findings, findings(case_number));
  NETSAMPLE_ASSIGN(std::vector<VerdictRecord> all_verdicts, verdicts(case_number));
  json out = {{"findings", json::array()}, {"verdicts", json::array()}};
  for (const auto& f : all_findings) out["findings"].push_back(f.to_json());
  for (const auto& v : all_verdicts) out["verdicts"].push_back(v.to_json());
  return out;
}

Result<std::vector<std::string>> Reviews::verify_records() {
  auto finding_name = [](std::int64_t id) { return "审看意见 #" + std::to_string(id); };
  auto verdict_name = [](std::int64_t id) { return "审看结论 #" + std::to_string(id); };
  std::map<std::string, store::AuditedRow> audited;
  NETSAMPLE_ASSIGN(std::vector<store::AuditRecord> records, store_->audit().records());
  for (const auto& record : records) {
    if (record.action != "review.finding_added" && record.action != "review.verdict_given") continue;
    json payload = json::parse(record.payload, nullptr, false);
    if (!payload.is_object()) continue;  // the chain check reports corrupt rows
    const std::int64_t id = payload.value("id", std::int64_t{0});
    audited[record.action == "review.finding_added" ? finding_name(id) : verdict_name(id)] = {record.seq, std::move(payload)};
  }
  std::map<std::string, json> stored;
  NETSAMPLE_ASSIGN(store::Statement cases, store_->db().prepare("SELECT number FROM cases ORDER BY id"));
  for (;;) {
    NETSAMPLE_ASSIGN(bool more, cases.step());
    if (!more) break;
    const std::string number = cases.text(0);
    NETSAMPLE_ASSIGN(std::vector<Finding> found, findings(number));
    for (const auto& f : found) {
      json row = f.to_json();  // as audited: without the label
      row.erase("severity_label");
      stored[finding_name(f.id)] = std::move(row);
    }
    NETSAMPLE_ASSIGN(std::vector<VerdictRecord> given, verdicts(number));
    for (const auto& v : given) {
      json row = v.to_json();
      row.erase("verdict_label");
      row.erase("current");
      stored[verdict_name(v.id)] = std::move(row);
    }
  }
  return store::compare_rows_with_audit(stored, audited);
}

}  // namespace netsample::review
