#include "netsample/unboxing/parcels.h"

#include <thread>

#include <algorithm>
#include <map>
#include <set>

#include "netsample/workflow/cases.h"

namespace netsample::unboxing {
namespace {

using nlohmann::json;

const char* const kActor = "system:tracking";

json event_json(std::int64_t utc_us, const std::string& context, const std::string& location) {
  return {{"utc_us", utc_us}, {"context", context}, {"location", location}};
}

}  // namespace

json ParcelView::to_json() const {
  json list = json::array();
  for (const auto& e : events) list.push_back(e.to_json());
  return {{"id", id},
          {"case_number", case_number},
          {"courier", parcel.courier},
          {"number", parcel.number},
          {"status", to_string(status)},
          {"status_label", status_label(status)},
          {"final", final},
          {"alert", alert.empty() ? json() : json(alert)},
          {"failures", failures},
          {"last_error", last_error.empty() ? json() : json(last_error)},
          {"last_polled", last_polled ? json(format_iso8601_beijing(*last_polled)) : json()},
          {"next_poll", final ? json() : json(format_iso8601_beijing(next_poll))},
          {"events", list}};
}

Result<std::vector<ParcelView>> ParcelTracker::query(const std::string& where, const std::string& key) {
  store::Database& db = store_->db();
  NETSAMPLE_ASSIGN(store::Statement q, db.prepare("SELECT p.id, c.number, p.courier, p.number, p.phone, p.status, p.final, p.alert, p.failures, "
                                                  "p.last_error, p.last_polled_utc_us, p.next_poll_utc_us FROM parcels p JOIN cases c ON c.id = "
                                                  "p.case_id WHERE " + where + " ORDER BY p.id"));
  if (!key.empty()) q.bind(1, key);
  std::vector<ParcelView> parcels;
  for (;;) {
    NETSAMPLE_ASSIGN(bool row, q.step());
    if (!row) break;
    ParcelView v;
    v.id = q.int64(0);
    v.case_number = q.text(1);
    v.parcel = {q.text(2), q.text(3), q.optional_text(4).value_or("")};
    v.status = parse_parcel_status(q.text(5)).value_or(ParcelStatus::problem);
    v.final = q.int64(6) != 0;
    v.alert = q.optional_text(7).value_or("");
    v.failures = static_cast<int>(q.int64(8));
    v.last_error = q.optional_text(9).value_or("");
    if (!q.is_null(10)) v.last_polled = from_utc_us(q.int64(10));
    v.next_poll = from_utc_us(q.int64(11));
    parcels.push_back(std::move(v));
  }
  NETSAMPLE_ASSIGN(store::Statement events, db.prepare("SELECT utc_us, context, location FROM parcel_events WHERE parcel_id = ?1 ORDER BY utc_us, id"));
  for (auto& v : parcels) {
    events.reset();
    events.bind(1, v.id);
    for (;;) {
      NETSAMPLE_ASSIGN(bool row, events.step());
      if (!row) break;
      v.events.push_back({from_utc_us(events.int64(0)), events.text(1), events.text(2)});
    }
  }
  return parcels;
}

Result<std::vector<ParcelView>> ParcelTracker::of_case(const std::string& case_number) { return query("c.number = ?1", case_number); }

Result<ParcelView> ParcelTracker::add(const std::string& case_number, const Parcel& parcel, const std::string& actor) {
  if (parcel.courier.empty() || parcel.courier.find_first_not_of("abcdefghijklmnopqrstuvwxyz0123456789_") != std::string::npos)
    return make_error(ErrorCode::invalid_input, "courier", "快递公司编码应为小写字母和数字（快递100 编码，如 shunfeng、zhongtong、ems）");
  if (parcel.number.empty() || parcel.number.size() > 32 || parcel.number.find_first_of(" \t\r\n") != std::string::npos)
    return make_error(ErrorCode::invalid_input, "number", "运单号不能为空、不含空白、不超过 32 个字符");
  NETSAMPLE_TRY(status_of(config_->provider_for(parcel.courier)));
  NETSAMPLE_ASSIGN(workflow::CaseView c, workflow::CaseRegistry(*store_).show(case_number));
  if (c.state != "ordered" && c.state != "in_transit")
    return make_error(ErrorCode::refused_by_rule, "case",
                      "任务 " + case_number + " 处于「" + workflow::state_label(c.state) + "」：只有「已下单」或「运输中」的任务才跟踪快递", 32);
  std::int64_t id = 0;
  NETSAMPLE_TRY(store_->write([&]() -> Status {
    NETSAMPLE_ASSIGN(store::Statement taken, store_->db().prepare("SELECT 1 FROM parcels WHERE courier = ?1 AND number = ?2"));
    taken.bind(1, parcel.courier).bind(2, parcel.number);
    NETSAMPLE_ASSIGN(bool used, taken.step());
    if (used) return make_error(ErrorCode::duplicate, "number", parcel.courier + " 运单 " + parcel.number + " 已在跟踪");
    const std::int64_t now = to_utc_us(store_->clock().now());
    NETSAMPLE_ASSIGN(store::Statement insert, store_->db().prepare("INSERT INTO parcels (case_id, courier, number, phone, next_poll_utc_us, added_utc_us) "
                                                                   "VALUES (?1, ?2, ?3, ?4, ?5, ?5) RETURNING id"));
    NETSAMPLE_ASSIGN(id, insert.bind(1, c.id).bind(2, parcel.courier).bind(3, parcel.number)
                             .bind(4, parcel.phone.empty() ? std::optional<std::string>() : std::optional(parcel.phone)).bind(5, now).insert_id());
    return status_of(store_->audit().append({actor, "parcel.added", case_number, {{"parcel", id}, {"courier", parcel.courier}, {"number", parcel.number}}},
                                            store_->clock().now()));
  }));
  if (c.state == "ordered")
    NETSAMPLE_TRY(status_of(lifecycle_->apply_event(case_number, "shipped", {{"courier", parcel.courier}, {"tracking_number", parcel.number}}, kActor)));
  NETSAMPLE_ASSIGN(auto added, query("p.id = ?1", std::to_string(id)));
  return added.front();
}

Result<std::optional<UtcTime>> ParcelTracker::next_due() {
  NETSAMPLE_ASSIGN(store::Statement q, store_->db().prepare("SELECT MIN(next_poll_utc_us) FROM parcels WHERE final = 0"));
  NETSAMPLE_ASSIGN(bool row, q.step());
  if (!row || q.is_null(0)) return std::optional<UtcTime>();
  return std::optional(from_utc_us(q.int64(0)));
}

Result<PollReport> ParcelTracker::poll(UtcTime now, bool all) {
  NETSAMPLE_ASSIGN(std::vector<ParcelView> due,
                   query(all ? "p.final = 0" : "p.final = 0 AND p.next_poll_utc_us <= ?1", all ? "" : std::to_string(to_utc_us(now))));
  PollReport report;
  std::vector<PollJob> jobs;
  for (const auto& p : due) {
    auto provider = config_->provider_for(p.parcel.courier);
    if (!provider.ok()) {
      report.lines.push_back(p.case_number + " " + p.parcel.number + "：" + provider.error().message);
      continue;
    }
    jobs.push_back({p.id, p.parcel, *provider});
  }
  const std::vector<PollResult> results = poll_parcels(jobs, options_.poller);
  for (const auto& result : results) {
    const auto before = std::find_if(due.begin(), due.end(), [&](const ParcelView& p) { return p.id == result.id; });
    ++report.polled;
    NETSAMPLE_TRY(apply(*before, result, now, report));
  }
  return report;
}

Status ParcelTracker::apply(const ParcelView& before, const PollResult& result, UtcTime now, PollReport& report) {
  const std::string who = before.case_number + " " + before.parcel.courier + " " + before.parcel.number;
  if (const auto* failure = std::get_if<TrackingFailure>(&result.outcome)) {
    ++report.failed;
    const int failures = before.failures + 1;
    auto backoff = options_.first_backoff * (1LL << std::min(failures - 1, 20));
    if (backoff > options_.max_backoff || !failure->retry) backoff = options_.max_backoff;
    const std::string error = "[" + failure->code + "] " + failure->message;
    const bool alert = failures >= options_.alert_after_failures || !failure->retry;
    const std::string alert_text = alert ? "查询连续失败 " + std::to_string(failures) + " 次：" + error : before.alert;
    report.lines.push_back(who + "：查询失败 " + error + (alert ? "（已提醒审看）" : "，稍后重试"));
    return store_->write([&]() -> Status {
      NETSAMPLE_ASSIGN(store::Statement update,
                       store_->db().prepare("UPDATE parcels SET failures = ?2, last_error = ?3, alert = ?4, last_polled_utc_us = ?5, "
                                            "next_poll_utc_us = ?6 WHERE id = ?1"));
      NETSAMPLE_TRY(update.bind(1, before.id).bind(2, failures).bind(3, error)
                        .bind(4, alert_text.empty() ? std::optional<std::string>() : std::optional(alert_text)).bind(5, to_utc_us(now))
                        .bind(6, to_utc_us(now + std::chrono::duration_cast<std::chrono::microseconds>(backoff))).run());
      if (!alert || before.alert == alert_text) return {};
      return status_of(store_->audit().append({kActor, "parcel.alert", before.case_number, {{"parcel", before.id}, {"alert", alert_text}}}, now));
    });
  }
  const TrackingAnswer& answer = std::get<TrackingAnswer>(result.outcome);
  int added = 0;
  json added_events = json::array();  // the events themselves are audited: a hand edit of a timeline is then named
  const bool final = is_final(answer.status);
  std::string alert;
  if (is_alert(answer.status))
    alert = status_label(answer.status) + (answer.events.empty() ? "" : "：" + answer.events.back().context);
  NETSAMPLE_TRY(store_->write([&]() -> Status {
    store::Database& db = store_->db();
    // An event seen before is skipped; RETURNING gives a row only for one stored now.
    NETSAMPLE_ASSIGN(store::Statement insert, db.prepare("INSERT INTO parcel_events (parcel_id, utc_us, context, location, seen_utc_us) "
                                                         "VALUES (?1, ?2, ?3, ?4, ?5) ON CONFLICT DO NOTHING RETURNING parcel_id"));
    for (const auto& e : answer.events) {
      insert.reset();
      NETSAMPLE_ASSIGN(bool stored, insert.bind(1, before.id).bind(2, to_utc_us(e.time)).bind(3, e.context).bind(4, e.location).bind(5, to_utc_us(now)).step());
      if (stored) {
        NETSAMPLE_TRY(insert.run());  // to its end, so the statement is done before the next reset
        ++added;
        added_events.push_back(event_json(to_utc_us(e.time), e.context, e.location));
      }
    }
    NETSAMPLE_ASSIGN(store::Statement update,
                     db.prepare("UPDATE parcels SET status = ?2, final = ?3, alert = ?4, failures = 0, last_error = NULL, last_polled_utc_us = ?5, "
                                "next_poll_utc_us = ?6 WHERE id = ?1"));
    NETSAMPLE_TRY(update.bind(1, before.id).bind(2, to_string(answer.status)).bind(3, final ? 1 : 0)
                      .bind(4, alert.empty() ? std::optional<std::string>() : std::optional(alert)).bind(5, to_utc_us(now))
                      .bind(6, to_utc_us(now + std::chrono::duration_cast<std::chrono::microseconds>(options_.interval))).run());
    if (added == 0 && answer.status == before.status) return {};
    return status_of(store_->audit().append(
        {kActor, "parcel.updated", before.case_number, {{"parcel", before.id}, {"status", to_string(answer.status)}, {"new_events", added}, {"events", added_events}, {"alert", alert}}},
        now));
  }));
  if (added > 0 || answer.status != before.status) {
    ++report.changed;
    report.lines.push_back(who + "：" + status_label(answer.status) + (added ? "，新增 " + std::to_string(added) + " 条轨迹" : "") +
                           (answer.events.empty() ? "" : "（" + answer.events.back().context + "）") + (alert.empty() ? "" : "  ⚠ " + alert));
  }
  if (answer.status == ParcelStatus::delivered && !answer.events.empty()) {
    NETSAMPLE_ASSIGN(workflow::CaseView c, workflow::CaseRegistry(*store_).show(before.case_number));
    if (c.state == "ordered" || c.state == "in_transit") {
      // Art 36: the samples are received; the case waits for the unboxing and its confirmation.
      NETSAMPLE_TRY(status_of(lifecycle_->apply_event(before.case_number, "delivered",
                                                      {{"delivered_date", format_date(beijing_date(answer.events.back().time))}}, kActor)));
      ++report.delivered;
      report.lines.push_back(before.case_number + "：样品已签收，任务进入「已收样待确认」，可以拆封录像（第三十六条）");
    }
  }
  return {};
}

Result<std::vector<std::string>> verify_parcel_records(store::Store& store) {
  auto parcel_name = [](std::int64_t id) { return "包裹 #" + std::to_string(id); };
  auto event_name = [](std::int64_t parcel, std::int64_t utc_us, const std::string& context) {
    return "包裹 #" + std::to_string(parcel) + " 的轨迹 " + format_iso8601_beijing(from_utc_us(utc_us)) + "「" + context + "」";
  };
  std::map<std::string, store::AuditedRow> parcels, events;
  std::map<std::int64_t, std::map<std::string, store::AuditedRow>> audited_events;
  std::map<std::int64_t, std::int64_t> counts;  // events audited per parcel
  std::set<std::int64_t> counted_only;          // parcels audited before the events themselves were: only their count compares
  NETSAMPLE_ASSIGN(std::vector<store::AuditRecord> records, store.audit().records());
  for (const auto& record : records) {
    if (record.action != "parcel.added" && record.action != "parcel.updated") continue;
    const json payload = json::parse(record.payload, nullptr, false);
    if (!payload.is_object() || !payload.contains("parcel") || !payload["parcel"].is_number_integer()) continue;  // the chain check reports it
    const std::int64_t id = payload["parcel"].get<std::int64_t>();
    store::AuditedRow& parcel = parcels[parcel_name(id)];
    if (record.action == "parcel.added")
      parcel = {record.seq, {{"case", record.case_number.value_or("")}, {"courier", payload.value("courier", "")},
                             {"number", payload.value("number", "")}, {"status", "pending"}}};
    else if (parcel.row.is_object()) {
      parcel.seq = record.seq;
      parcel.row["status"] = payload.value("status", "");
    }
    if (record.action != "parcel.updated") continue;
    counts[id] += payload.value("new_events", std::int64_t{0});
    if (payload.contains("events") && payload["events"].is_array()) {
      for (const auto& e : payload["events"])
        audited_events[id][event_name(id, e.value("utc_us", std::int64_t{0}), e.value("context", ""))] = {record.seq, {{"location", e.value("location", "")}}};
    } else if (payload.value("new_events", 0) > 0) {
      counted_only.insert(id);
    }
  }
  for (auto& [id, list] : audited_events)
    if (!counted_only.contains(id)) events.merge(list);

  std::map<std::string, json> stored_parcels, stored_events;
  std::map<std::int64_t, std::int64_t> stored_counts;
  NETSAMPLE_ASSIGN(store::Statement p, store.db().prepare("SELECT p.id, c.number, p.courier, p.number, p.status FROM parcels p JOIN cases c ON c.id = p.case_id"));
  for (;;) {
    NETSAMPLE_ASSIGN(bool more, p.step());
    if (!more) break;
    stored_parcels[parcel_name(p.int64(0))] = {{"case", p.text(1)}, {"courier", p.text(2)}, {"number", p.text(3)}, {"status", p.text(4)}};
  }
  NETSAMPLE_ASSIGN(store::Statement e, store.db().prepare("SELECT parcel_id, utc_us, context, location FROM parcel_events ORDER BY id"));
  for (;;) {
    NETSAMPLE_ASSIGN(bool more, e.step());
    if (!more) break;
    ++stored_counts[e.int64(0)];
    if (counted_only.contains(e.int64(0))) continue;
    stored_events[event_name(e.int64(0), e.int64(1), e.text(2))] = {{"location", e.text(3)}};
  }
  std::vector<std::string> problems = store::compare_rows_with_audit(stored_parcels, parcels);
  for (auto& line : store::compare_rows_with_audit(stored_events, events)) problems.push_back(std::move(line));
  for (const std::int64_t id : counted_only)
    if (const std::int64_t count = counts[id]; stored_counts[id] != count)  // audited as a count only: the number of events is what can be compared
      problems.push_back(parcel_name(id) + " 的轨迹：数据库中 " + std::to_string(stored_counts[id]) + " 条，审计记录 " + std::to_string(count) +
                         " 条（被直接插入或删除）");
  return problems;
}

Status run_tracking_worker(ParcelTracker& tracker, const Clock& clock, bool once, const std::function<bool()>& stop,
                           const std::function<void(const PollReport&)>& on_round) {
  while (!stop()) {
    NETSAMPLE_ASSIGN(PollReport report, tracker.poll(clock.now()));
    on_round(report);
    if (once) return {};
    NETSAMPLE_ASSIGN(std::optional<UtcTime> due, tracker.next_due());
    if (!due) return {};
    // Sleep until the next parcel is due, waking each second for a stop.
    while (!stop() && clock.now() < *due) std::this_thread::sleep_for(std::chrono::seconds(1));
  }
  return {};
}

}  // namespace netsample::unboxing
