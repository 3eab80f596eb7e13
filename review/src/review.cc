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

// The rows each table holds, as their audit rows carry them (without the labels and `current`).
json as_audited(const Finding& f) {
  json row = f.to_json();
  row.erase("severity_label");
  return row;
}
json as_audited(const VerdictRecord& v) {
  json row = v.to_json();
  row.erase("verdict_label");
  row.erase("current");
  return row;
}

// Findings from `stmt` (id, recording, media_ms, severity, note, reviewer, utc_us, station), bound and ready; `table`
// names a stored value that is not one of ours.
Result<std::vector<Finding>> read_findings(store::Statement& stmt, const std::string& case_number, const std::string& table) {
  std::vector<Finding> out;
  for (;;) {
    NETSAMPLE_ASSIGN(bool row, stmt.step());
    if (!row) return out;
    NETSAMPLE_ASSIGN(Severity severity, parse_choice(stmt.text(3), table + ".severity", {Severity::info, Severity::minor, Severity::major}, "严重程度"));
    out.push_back({stmt.int64(0), stmt.text(7), case_number, stmt.text(1), stmt.int64(2), severity, stmt.text(4), stmt.text(5), from_utc_us(stmt.int64(6))});
  }
}

// Verdicts from `stmt` (id, recording, verdict, reasons, reviewer, utc_us, current, station).
Result<std::vector<VerdictRecord>> read_verdicts(store::Statement& stmt, const std::string& case_number, const std::string& table) {
  std::vector<VerdictRecord> out;
  for (;;) {
    NETSAMPLE_ASSIGN(bool row, stmt.step());
    if (!row) return out;
    NETSAMPLE_ASSIGN(Verdict verdict, parse_choice(stmt.text(2), table + ".verdict", {Verdict::no_doubts, Verdict::doubts, Verdict::rejected}, "审看结论"));
    const json reasons = json::parse(stmt.text(3), nullptr, false);
    VerdictRecord record{stmt.int64(0), stmt.text(7), case_number, stmt.text(1), verdict, {}, stmt.text(4), from_utc_us(stmt.int64(5)), stmt.int64(6) != 0};
    if (reasons.is_array())
      for (const auto& r : reasons)
        if (r.is_string()) record.reasons.push_back(r.get<std::string>());
    out.push_back(std::move(record));
  }
}

// The latest verdict of each reviewer on each recording counts (`current`); `key` names the case in `table`.
std::string verdicts_sql(const std::string& table, const std::string& key, const std::string& station) {
  return "SELECT v.id, v.recording, v.verdict, v.reasons, v.reviewer, v.utc_us, v.id = (SELECT MAX(w.id) FROM " + table + " w WHERE w." + key +
         " = v." + key + " AND w.recording = v.recording AND w.reviewer = v.reviewer), " + station + " FROM " + table + " v WHERE v." + key +
         " = ?1 ORDER BY v.recording, v.id";
}

json review_json(const std::vector<Finding>& findings, const std::vector<VerdictRecord>& verdicts) {
  json out = {{"findings", json::array()}, {"verdicts", json::array()}};
  for (const auto& f : findings) out["findings"].push_back(f.to_json());
  for (const auto& v : verdicts) out["verdicts"].push_back(v.to_json());
  return out;
}

Result<std::vector<Finding>> station_findings(store::Store& store, const std::string& case_number) {
  NETSAMPLE_ASSIGN(store::Statement stmt, store.db().prepare("SELECT id, recording, media_ms, severity, note, reviewer, utc_us, station FROM "
                                                             "review_station_findings WHERE case_number = ?1 ORDER BY recording, media_ms, id"));
  stmt.bind(1, case_number);
  return read_findings(stmt, case_number, "review_station_findings");
}

Result<std::vector<VerdictRecord>> station_verdicts(store::Store& store, const std::string& case_number) {
  NETSAMPLE_ASSIGN(store::Statement stmt, store.db().prepare(verdicts_sql("review_station_verdicts", "case_number", "v.station")));
  stmt.bind(1, case_number);
  return read_verdicts(stmt, case_number, "review_station_verdicts");
}

Status require_station_reviewer(const StationCaseRef& sent, const workflow::Person& reviewer) {
  if (!workflow::assigned_in_case(sent.shown, reviewer, "reviewer"))
    return make_error(ErrorCode::refused_by_rule, "as", reviewer.id + " 不是本任务指派的审看人员（以工作站送来的任务文书为准），不能记录审看意见");
  return {};
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
  json out = {{"id", id},
          {"case", case_number},
          {"recording", recording},
          {"media_ms", media_ms},
          {"severity", to_string(severity)},
          {"severity_label", label(severity)},
          {"note", note},
          {"reviewer", reviewer},
          {"at", format_iso8601_beijing(at)}};
  if (!station.empty()) out["station"] = station;  // absent on a case's own (as its audit rows have it)
  return out;
}

json VerdictRecord::to_json() const {
  json out = {{"id", id},
          {"case", case_number},
          {"recording", recording},
          {"verdict", to_string(verdict)},
          {"verdict_label", label(verdict)},
          {"reasons", reasons},
          {"reviewer", reviewer},
          {"at", format_iso8601_beijing(at)},
          {"current", current}};
  if (!station.empty()) out["station"] = station;
  return out;
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
  Finding finding{0, "", case_number, request.recording, request.media_ms, request.severity, request.note, reviewer, store_->clock().now()};
  NETSAMPLE_TRY(store_->write([&]() -> Status {
    NETSAMPLE_ASSIGN(std::int64_t id, case_id(*store_, case_number));
    NETSAMPLE_ASSIGN(store::Statement insert, store_->db().prepare("INSERT INTO review_findings (case_id, recording, media_ms, severity, "
                                                                   "note, reviewer, utc_us) VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7) RETURNING id"));
    insert.bind(1, id).bind(2, finding.recording).bind(3, finding.media_ms).bind(4, to_string(finding.severity)).bind(5, finding.note);
    insert.bind(6, reviewer).bind(7, to_utc_us(finding.at));
    NETSAMPLE_ASSIGN(finding.id, insert.insert_id());
    return status_of(store_->audit().append({reviewer, "review.finding_added", case_number, as_audited(finding)}, finding.at));
  }));
  return finding;
}

Result<VerdictRecord> Reviews::set_verdict(const std::string& case_number, const VerdictRequest& request, const std::string& reviewer) {
  NETSAMPLE_TRY(require_reviewer(case_number, reviewer));
  VerdictRecord record{0, "", case_number, request.recording, request.verdict, request.reasons, reviewer, store_->clock().now(), true};
  NETSAMPLE_TRY(store_->write([&]() -> Status {
    NETSAMPLE_ASSIGN(std::int64_t id, case_id(*store_, case_number));
    NETSAMPLE_ASSIGN(store::Statement insert, store_->db().prepare("INSERT INTO review_verdicts (case_id, recording, verdict, reasons, "
                                                                   "reviewer, utc_us) VALUES (?1, ?2, ?3, ?4, ?5, ?6) RETURNING id"));
    insert.bind(1, id).bind(2, record.recording).bind(3, to_string(record.verdict)).bind(4, json(record.reasons).dump());
    insert.bind(5, reviewer).bind(6, to_utc_us(record.at));
    NETSAMPLE_ASSIGN(record.id, insert.insert_id());
    return status_of(store_->audit().append({reviewer, "review.verdict_given", case_number, as_audited(record)}, record.at));
  }));
  return record;
}

Result<Finding> Reviews::add_finding(const StationCaseRef& sent, const FindingRequest& request, const workflow::Person& reviewer) {
  NETSAMPLE_TRY(require_station_reviewer(sent, reviewer));
  Finding finding{0, sent.station, sent.number, request.recording, request.media_ms, request.severity, request.note, reviewer.id, store_->clock().now()};
  NETSAMPLE_TRY(store_->write([&]() -> Status {
    NETSAMPLE_ASSIGN(store::Statement insert, store_->db().prepare("INSERT INTO review_station_findings (station, case_number, recording, media_ms, "
                                                                   "severity, note, reviewer, utc_us) VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7, ?8) RETURNING id"));
    insert.bind(1, finding.station).bind(2, finding.case_number).bind(3, finding.recording).bind(4, finding.media_ms);
    insert.bind(5, to_string(finding.severity)).bind(6, finding.note).bind(7, finding.reviewer).bind(8, to_utc_us(finding.at));
    NETSAMPLE_ASSIGN(finding.id, insert.insert_id());
    return status_of(store_->audit().append({reviewer.id, "review.station_finding_added", sent.number, as_audited(finding)}, finding.at));
  }));
  return finding;
}

Result<VerdictRecord> Reviews::set_verdict(const StationCaseRef& sent, const VerdictRequest& request, const workflow::Person& reviewer) {
  NETSAMPLE_TRY(require_station_reviewer(sent, reviewer));
  VerdictRecord record{0, sent.station, sent.number, request.recording, request.verdict, request.reasons, reviewer.id, store_->clock().now(), true};
  NETSAMPLE_TRY(store_->write([&]() -> Status {
    NETSAMPLE_ASSIGN(store::Statement insert, store_->db().prepare("INSERT INTO review_station_verdicts (station, case_number, recording, verdict, "
                                                                   "reasons, reviewer, utc_us) VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7) RETURNING id"));
    insert.bind(1, record.station).bind(2, record.case_number).bind(3, record.recording).bind(4, to_string(record.verdict));
    insert.bind(5, json(record.reasons).dump()).bind(6, record.reviewer).bind(7, to_utc_us(record.at));
    NETSAMPLE_ASSIGN(record.id, insert.insert_id());
    return status_of(store_->audit().append({reviewer.id, "review.station_verdict_given", sent.number, as_audited(record)}, record.at));
  }));
  return record;
}

Result<std::vector<Finding>> Reviews::findings(const std::string& case_number) {
  NETSAMPLE_ASSIGN(std::int64_t id, case_id(*store_, case_number));
  NETSAMPLE_ASSIGN(store::Statement stmt, store_->db().prepare("SELECT id, recording, media_ms, severity, note, reviewer, utc_us, '' FROM "
                                                               "review_findings WHERE case_id = ?1 ORDER BY recording, media_ms, id"));
  stmt.bind(1, id);
  return read_findings(stmt, case_number, "review_findings");
}

Result<std::vector<VerdictRecord>> Reviews::verdicts(const std::string& case_number) {
  NETSAMPLE_ASSIGN(std::int64_t id, case_id(*store_, case_number));
  NETSAMPLE_ASSIGN(store::Statement stmt, store_->db().prepare(verdicts_sql("review_verdicts", "case_id", "''")));
  stmt.bind(1, id);
  return read_verdicts(stmt, case_number, "review_verdicts");
}

Result<json> Reviews::case_json(const std::string& case_number) {
  NETSAMPLE_ASSIGN(std::vector<Finding> all_findings, findings(case_number));
  NETSAMPLE_ASSIGN(std::vector<VerdictRecord> all_verdicts, verdicts(case_number));
  return review_json(all_findings, all_verdicts);
}

Result<json> Reviews::station_case_json(const std::string& case_number) {
  NETSAMPLE_ASSIGN(std::vector<Finding> all_findings, station_findings(*store_, case_number));
  NETSAMPLE_ASSIGN(std::vector<VerdictRecord> all_verdicts, station_verdicts(*store_, case_number));
  return review_json(all_findings, all_verdicts);
}

Result<std::vector<std::string>> Reviews::verify_records() {
  // Each table has its own ids: a row is named by its table and id, the audit row by its action and payload id.
  const std::map<std::string, std::string> names = {{"review.finding_added", "审看意见 #"},
                                                    {"review.verdict_given", "审看结论 #"},
                                                    {"review.station_finding_added", "工作站任务的审看意见 #"},
                                                    {"review.station_verdict_given", "工作站任务的审看结论 #"}};
  std::map<std::string, store::AuditedRow> audited;
  NETSAMPLE_ASSIGN(std::vector<store::AuditRecord> records, store_->audit().records());
  for (const auto& record : records) {
    const auto name = names.find(record.action);
    if (name == names.end()) continue;
    json payload = json::parse(record.payload, nullptr, false);
    if (!payload.is_object()) continue;  // the chain check reports corrupt rows
    const std::int64_t id = payload.value("id", std::int64_t{0});
    audited[name->second + std::to_string(id)] = {record.seq, std::move(payload)};
  }
  std::map<std::string, json> stored;
  auto keep = [&](const std::string& action, const auto& rows) {
    for (const auto& row : rows) stored[names.at(action) + std::to_string(row.id)] = as_audited(row);
  };
  NETSAMPLE_ASSIGN(store::Statement cases, store_->db().prepare("SELECT number FROM cases ORDER BY id"));
  for (;;) {
    NETSAMPLE_ASSIGN(bool more, cases.step());
    if (!more) break;
    const std::string number = cases.text(0);
    NETSAMPLE_ASSIGN(std::vector<Finding> found, findings(number));
    keep("review.finding_added", found);
    NETSAMPLE_ASSIGN(std::vector<VerdictRecord> given, verdicts(number));
    keep("review.verdict_given", given);
  }
  NETSAMPLE_ASSIGN(store::Statement station_cases, store_->db().prepare("SELECT case_number FROM review_station_findings UNION "
                                                                        "SELECT case_number FROM review_station_verdicts"));
  std::vector<std::string> numbers;
  for (;;) {
    NETSAMPLE_ASSIGN(bool more, station_cases.step());
    if (!more) break;
    numbers.push_back(station_cases.text(0));
  }
  for (const auto& number : numbers) {
    NETSAMPLE_ASSIGN(std::vector<Finding> found, station_findings(*store_, number));
    keep("review.station_finding_added", found);
    NETSAMPLE_ASSIGN(std::vector<VerdictRecord> given, station_verdicts(*store_, number));
    keep("review.station_verdict_given", given);
  }
  return store::compare_rows_with_audit(stored, audited);
}

}  // namespace netsample::review
