#include "netsample/notices/deliveries.h"

#include <unistd.h>

#include <algorithm>
#include <fstream>
#include <map>
#include <random>
#include <sstream>
#include <thread>

#include "netsample/core/sha256.h"
#include "netsample/workflow/cases.h"

namespace netsample::notices {
namespace {

using nlohmann::json;

std::string random_hex(int bytes) {
  std::random_device device;
  std::string out;
  static const char* digits = "0123456789abcdef";
  for (int i = 0; i < bytes; ++i) {
    const unsigned v = device() & 0xff;
    out += digits[v >> 4];
    out += digits[v & 0xf];
  }
  return out;
}

// A process's start time in clock ticks since boot (/proc/PID/stat field 22): with the pid, it names one process
// even after the pid is reused. Empty when there is no such process.
std::string process_start(long pid) {
  std::ifstream stat("/proc/" + std::to_string(pid) + "/stat");
  std::string text((std::istreambuf_iterator<char>(stat)), std::istreambuf_iterator<char>());
  const auto close = text.rfind(')');  // the command name may hold spaces and parentheses
  if (close == std::string::npos) return {};
  std::istringstream fields(text.substr(close + 2));
  std::string field;
  for (int i = 3; i <= 22 && fields >> field; ++i)
    if (i == 22) return field;
  return {};
}

std::string host_name() {
  char name[256] = {};
  ::gethostname(name, sizeof name - 1);
  return name;
}

// This worker, as a lease names it: host:pid:start.
const std::string& this_worker() {
  static const std::string identity = host_name() + ":" + std::to_string(::getpid()) + ":" + process_start(::getpid());
  return identity;
}

// Whether the lease's holder may still be sending: on another host it cannot be told (the lease's time decides);
// on this one, whether that process still runs.
bool holder_running(const std::string& holder) {
  const auto first = holder.find(':'), last = holder.rfind(':');
  if (first == std::string::npos || last == first) return false;
  if (holder.substr(0, first) != host_name()) return true;
  const long pid = std::strtol(holder.c_str() + first + 1, nullptr, 10);
  return pid > 0 && process_start(pid) == holder.substr(last + 1) && !holder.substr(last + 1).empty();
}

bool published_approved(workflow::Lifecycle& lifecycle, const std::string& case_number) {
  auto history = lifecycle.history(case_number);
  if (!history.ok()) return false;
  return std::any_of(history->begin(), history->end(), [](const workflow::EventView& e) { return e.event == "approve_publication"; });
}

}  // namespace

json Delivery::to_json() const {
  return {{"id", id},          {"notice", notice_id},         {"case", case_number},          {"kind", kind},
          {"article", article}, {"role", role},               {"party", party_id},            {"channel", channel},
          {"idempotency_key", idempotency_key},               {"state", state},               {"attempts", attempts},
          {"next_attempt", format_iso8601_beijing(next_attempt)}, {"last_error", last_error.empty() ? json() : json(last_error)},
          {"receipt", receipt}};
}

json NoticeStatus::to_json() const {
  json out = notice.to_json();
  out["delivery_state"] = state;
  out["addressees"] = json::array();
  for (const auto& a : addressees) out["addressees"].push_back(a.to_json());
  out["deliveries"] = json::array();
  for (const auto& d : deliveries) out["deliveries"].push_back(d.to_json());
  out["problems"] = problems;
  return out;
}

Result<std::vector<Delivery>> Deliveries::query(const std::string& where, std::int64_t key) {
  NETSAMPLE_ASSIGN(store::Statement q,
                   store_->db().prepare("SELECT d.id, d.notice_id, c.number, o.kind, o.article, d.role, d.party_id, d.channel, d.idempotency_key, d.state, "
                                        "d.attempts, d.next_attempt_utc_us, d.last_error, d.receipt FROM notice_deliveries d JOIN outbox o ON o.id = d.notice_id "
                                        "JOIN cases c ON c.id = o.case_id WHERE " + where + " ORDER BY d.id"));
  q.bind(1, key);
  std::vector<Delivery> out;
  for (;;) {
    NETSAMPLE_ASSIGN(bool row, q.step());
    if (!row) return out;
    Delivery d;
    d.id = q.int64(0);
    d.notice_id = q.int64(1);
    d.case_number = q.text(2);
    d.kind = q.text(3);
    d.article = static_cast<int>(q.int64(4));
    d.role = q.text(5);
    d.party_id = q.text(6);
    d.channel = q.text(7);
    d.idempotency_key = q.text(8);
    d.state = q.text(9);
    d.attempts = static_cast<int>(q.int64(10));
    d.next_attempt = from_utc_us(q.int64(11));
    d.last_error = q.optional_text(12).value_or("");
    d.receipt = q.is_null(13) ? json() : json::parse(q.text(13), nullptr, false);
    out.push_back(std::move(d));
  }
}

Result<Delivery> Deliveries::get(std::int64_t delivery_id) {
  NETSAMPLE_ASSIGN(std::vector<Delivery> found, query("d.id = ?1", delivery_id));
  if (found.empty()) return make_error(ErrorCode::not_found, "delivery", "没有编号为 " + std::to_string(delivery_id) + " 的送达记录");
  return std::move(found.front());
}

Result<workflow::NoticeView> Deliveries::notice(std::int64_t notice_id) {
  NETSAMPLE_ASSIGN(std::optional<workflow::NoticeView> found, workflow::read_notice(store_->db(), notice_id));
  if (found) return std::move(*found);
  return make_error(ErrorCode::not_found, "notice", "没有编号为 " + std::to_string(notice_id) + " 的通知");
}

Status Deliveries::plan() {
  NETSAMPLE_ASSIGN(std::vector<workflow::NoticeView> owed, workflow::read_notices(store_->db(), std::nullopt));
  workflow::CaseRegistry cases(*store_);
  std::map<std::string, workflow::CaseView> views;
  for (const auto& n : owed) {
    if (n.kind == "publication" && !published_approved(*lifecycle_, n.case_number)) continue;  // Art 62: never before approval
    if (!views.contains(n.case_number)) {
      NETSAMPLE_ASSIGN(views[n.case_number], cases.show(n.case_number));
    }
    NETSAMPLE_ASSIGN(std::vector<Addressee> addressees, parties_->resolve(n, views[n.case_number]));
    if (std::none_of(addressees.begin(), addressees.end(), [](const Addressee& a) { return a.party.has_value(); })) continue;
    NETSAMPLE_TRY(status_of(notice_files(*store_, n, views[n.case_number], addressees)));  // what every channel carries
    NETSAMPLE_ASSIGN(std::vector<Delivery> existing, query("d.notice_id = ?1", n.id));
    for (const auto& a : addressees) {
      if (!a.party) continue;
      for (const std::string channel : {"webhook", "email"}) {
        if ((channel == "webhook" ? a.party->webhook_url : a.party->email).empty()) continue;
        if (channel == "email" && !email_) continue;
        if (std::any_of(existing.begin(), existing.end(), [&](const Delivery& d) { return d.party_id == a.party->id && d.channel == channel; })) continue;
        const std::string key = "ns-" + std::to_string(n.id) + "-" + a.party->id + "-" + channel + "-" + random_hex(8);
        NETSAMPLE_TRY(store_->write([&]() -> Status {
          // Looked for again inside the write: another worker may have planned it since `existing` was read.
          NETSAMPLE_ASSIGN(store::Statement planned_meanwhile, store_->db().prepare("SELECT 1 FROM notice_deliveries WHERE notice_id = ?1 "
                                                                                    "AND party_id = ?2 AND channel = ?3"));
          NETSAMPLE_ASSIGN(bool found, planned_meanwhile.bind(1, n.id).bind(2, a.party->id).bind(3, channel).step());
          if (found) return Status{};
          const std::int64_t now = to_utc_us(store_->clock().now());
          NETSAMPLE_ASSIGN(store::Statement insert,
                           store_->db().prepare("INSERT INTO notice_deliveries (notice_id, role, party_id, channel, idempotency_key, state, "
                                                "next_attempt_utc_us, created_utc_us, updated_utc_us) VALUES (?1, ?2, ?3, ?4, ?5, 'pending', ?6, ?6, ?6) RETURNING id"));
          NETSAMPLE_ASSIGN(const std::int64_t delivery, insert.bind(1, n.id).bind(2, a.role).bind(3, a.party->id).bind(4, channel).bind(5, key).bind(6, now).insert_id());
          return status_of(store_->audit().append(
              {"system:notices", "notice.delivery_planned", n.case_number,
               {{"delivery", delivery}, {"notice", n.id}, {"kind", n.kind}, {"role", a.role}, {"party", a.party->id},
                {"channel", channel}, {"idempotency_key", key}}},
              store_->clock().now()));
        }));
        Delivery planned;  // two roles of one notice can name the same party: plan its channel once
        planned.party_id = a.party->id;
        planned.channel = channel;
        existing.push_back(planned);
      }
    }
  }
  return {};
}

Result<std::vector<NoticeStatus>> Deliveries::statuses(const std::optional<std::string>& case_number) {
  NETSAMPLE_ASSIGN(std::vector<workflow::NoticeView> owed, workflow::read_notices(store_->db(), case_number));
  workflow::CaseRegistry cases(*store_);
  std::vector<NoticeStatus> out;
  for (const auto& n : owed) {
    NoticeStatus s{n, {}, {}, "owed", {}};
    NETSAMPLE_ASSIGN(workflow::CaseView view, cases.show(n.case_number));
    NETSAMPLE_ASSIGN(s.addressees, parties_->resolve(n, view));
    NETSAMPLE_ASSIGN(s.deliveries, query("d.notice_id = ?1", n.id));
    if (n.kind == "publication" && !published_approved(*lifecycle_, n.case_number)) {
      s.state = "refused";
      s.problems.push_back("组织监督抽查的部门尚未批准公开，不得通报（第62条）");
      out.push_back(std::move(s));
      continue;
    }
    bool all_delivered = !s.addressees.empty(), any_dead = false;
    for (const auto& a : s.addressees) {
      if (!a.problem.empty()) s.problems.push_back(a.role + "：" + a.problem);
      bool delivered = false, dead_only = true, has = false;
      for (const auto& d : s.deliveries) {
        if (!a.party || d.party_id != a.party->id) continue;
        has = true;
        delivered = delivered || d.state == "delivered" || d.state == "received";
        dead_only = dead_only && d.state == "dead";
      }
      if (a.party && a.problem.empty() && !has && !a.party->electronic())
        s.problems.push_back(a.role + "：" + a.party->id + " 只有邮寄地址，须书面送达后登记（notices mark-posted）");
      if (a.party && !a.party->email.empty() && !email_)
        s.problems.push_back(a.role + "：" + a.party->id + " 登记了电子邮件，但没有配置发信服务器（数据目录的 notices.json：smtp）");
      all_delivered = all_delivered && delivered;
      any_dead = any_dead || (has && dead_only && !delivered);
    }
    const bool returned = std::any_of(s.deliveries.begin(), s.deliveries.end(), [](const Delivery& d) { return d.state == "returned"; });
    if (returned) s.problems.push_back("挂号信被退回：被抽样对象无法联系的，移交执法（第73条）");
    if (all_delivered) s.state = "delivered";
    else if (!s.problems.empty() && std::any_of(s.addressees.begin(), s.addressees.end(), [](const Addressee& a) { return !a.problem.empty(); }))
      s.state = "unaddressed";
    else if (any_dead) s.state = "dead";
    else if (!s.deliveries.empty()) s.state = "sending";
    out.push_back(std::move(s));
  }
  return out;
}

Result<std::vector<Delivery>> Deliveries::due(UtcTime now) {
  // 'sending' is due again when its worker died mid-attempt: its lease ran out, or its process is gone.
  return query("d.state IN ('pending', 'sending', 'retrying') AND d.next_attempt_utc_us <= ?1", to_utc_us(now));
}

Result<bool> Deliveries::begin_attempt(std::int64_t delivery_id) {
  bool claimed = false;
  NETSAMPLE_TRY(store_->write([&]() -> Status {
    // Read and claimed in one write transaction (BEGIN IMMEDIATE): no other worker claims in between.
    const UtcTime now = store_->clock().now();
    NETSAMPLE_ASSIGN(Delivery d, get(delivery_id));
    NETSAMPLE_ASSIGN(store::Statement lease, store_->db().prepare("SELECT lease_holder, lease_until_utc_us FROM notice_deliveries WHERE id = ?1"));
    lease.bind(1, delivery_id);
    NETSAMPLE_TRY(lease.step());
    const std::string holder = lease.optional_text(0).value_or("");
    const bool lease_running = !lease.is_null(1) && lease.int64(1) > to_utc_us(now);
    const bool due = d.state == "pending" || d.state == "retrying" || d.state == "sending";
    if (!due || d.next_attempt > now) return Status{};
    if (d.state == "sending" && lease_running && holder != this_worker() && holder_running(holder)) return Status{};
    NETSAMPLE_ASSIGN(store::Statement update, store_->db().prepare("UPDATE notice_deliveries SET state = 'sending', attempts = attempts + 1, "
                                                                   "updated_utc_us = ?2, lease_holder = ?3, lease_until_utc_us = ?4 WHERE id = ?1"));
    NETSAMPLE_TRY(update.bind(1, delivery_id).bind(2, to_utc_us(now)).bind(3, this_worker()).bind(4, to_utc_us(now + policy_.lease)).run());
    claimed = true;
    json payload = {{"delivery", delivery_id}, {"attempt", d.attempts + 1}, {"idempotency_key", d.idempotency_key}, {"worker", this_worker()}};
    if (d.state == "sending") payload["taken_over_from"] = holder;  // its worker died or its lease ran out mid-attempt
    return status_of(store_->audit().append({"system:notices", "notice.attempt", d.case_number, payload}, now));
  }));
  return claimed;
}

Result<Delivery> Deliveries::finish_attempt(std::int64_t delivery_id, const AttemptOutcome& outcome) {
  NETSAMPLE_ASSIGN(Delivery d, get(delivery_id));
  const UtcTime now = store_->clock().now();
  std::string state = "delivered";
  json receipt;
  UtcTime next = now;
  if (outcome.delivered) {
    receipt = {{"status", outcome.status}, {"time", format_iso8601_beijing(now)}, {"response_sha256", outcome.response_sha256}, {"attempts", d.attempts}};
    if (d.channel == "email") {
      // SMTP servers do not deduplicate by Message-ID: a resend after a crash can reach the mailbox twice.
      receipt["semantics"] = "at_least_once";
      receipt["server_reply"] = outcome.server_reply;
      receipt["queue_id"] = outcome.queue_id.empty() ? json(nullptr) : json(outcome.queue_id);
    } else {
      receipt["semantics"] = "exactly_once_by_idempotency_key";
    }
  } else if (d.attempts >= policy_.max_attempts) {
    state = "dead";
  } else {
    state = "retrying";
    // Doubling backoff with ±20 % jitter, so that receivers coming back are not hit all at once.
    auto backoff = policy_.first_backoff * (1LL << std::min(d.attempts - 1, 20));
    backoff = std::min<std::chrono::seconds>(backoff, policy_.max_backoff);
    std::mt19937_64 random(std::random_device{}());
    const double jitter = std::uniform_real_distribution<double>(0.8, 1.2)(random);
    next = now + std::chrono::duration_cast<std::chrono::microseconds>(std::chrono::duration<double>(backoff) * jitter);
  }
  NETSAMPLE_TRY(store_->write([&]() -> Status {
    NETSAMPLE_ASSIGN(store::Statement update, store_->db().prepare("UPDATE notice_deliveries SET state = ?2, next_attempt_utc_us = ?3, last_error = ?4, "
                                                                   "receipt = ?5, updated_utc_us = ?6, lease_holder = NULL, lease_until_utc_us = NULL "
                                                                   "WHERE id = ?1"));
    update.bind(1, delivery_id).bind(2, state).bind(3, to_utc_us(next));
    if (outcome.error.empty()) update.bind_null(4);
    else update.bind(4, outcome.error);
    if (receipt.is_null()) update.bind_null(5);
    else update.bind(5, receipt.dump());
    NETSAMPLE_TRY(update.bind(6, to_utc_us(now)).run());
    return status_of(store_->audit().append({"system:notices", "notice." + state, d.case_number,
                                             {{"delivery", delivery_id}, {"attempt", d.attempts}, {"status", outcome.status},
                                              {"error", outcome.error}, {"receipt", receipt}}},
                                            now));
  }));
  return get(delivery_id);
}

Result<Delivery> Deliveries::mark_posted(std::int64_t notice_id, const std::string& party_id, const std::string& registered_number, const std::string& actor) {
  NETSAMPLE_ASSIGN(workflow::NoticeView n, notice(notice_id));
  NETSAMPLE_ASSIGN(workflow::CaseView view, workflow::CaseRegistry(*store_).show(n.case_number));
  NETSAMPLE_ASSIGN(std::vector<Addressee> addressees, parties_->resolve(n, view));
  auto a = std::find_if(addressees.begin(), addressees.end(), [&](const Addressee& x) { return x.party && x.party->id == party_id; });
  if (a == addressees.end()) return make_error(ErrorCode::invalid_input, "--party", party_id + " 不是通知 #" + std::to_string(notice_id) + " 的收件方");
  if (registered_number.empty()) return make_error(ErrorCode::missing_field, "--number", "须填写挂号信（EMS）编号");
  NETSAMPLE_ASSIGN(std::vector<Delivery> existing, query("d.notice_id = ?1", notice_id));
  for (const auto& d : existing)
    if (d.party_id == party_id && d.channel == "post")
      return make_error(ErrorCode::duplicate, "--party", "通知 #" + std::to_string(notice_id) + " 已登记寄给 " + party_id + "（" + d.receipt.value("registered_number", "") + "）");
  const UtcTime now = store_->clock().now();
  const json receipt = {{"registered_number", registered_number}, {"posted", format_iso8601_beijing(now)}};
  NETSAMPLE_TRY(store_->write([&]() -> Status {
    NETSAMPLE_ASSIGN(store::Statement insert,
                     store_->db().prepare("INSERT INTO notice_deliveries (notice_id, role, party_id, channel, idempotency_key, state, attempts, "
                                          "next_attempt_utc_us, receipt, created_utc_us, updated_utc_us) VALUES (?1, ?2, ?3, 'post', ?4, 'posted', 1, ?5, ?6, ?5, ?5)"));
    NETSAMPLE_TRY(insert.bind(1, notice_id).bind(2, a->role).bind(3, party_id).bind(4, "ns-" + std::to_string(notice_id) + "-" + party_id + "-post-" + random_hex(8))
                      .bind(5, to_utc_us(now)).bind(6, receipt.dump()).run());
    return status_of(store_->audit().append({actor, "notice.posted", n.case_number, {{"notice", notice_id}, {"party", party_id}, {"receipt", receipt}}}, now));
  }));
  NETSAMPLE_ASSIGN(std::vector<Delivery> after, query("d.notice_id = ?1", notice_id));
  for (auto& d : after)
    if (d.party_id == party_id && d.channel == "post") return d;
  return make_error(ErrorCode::internal, "post", "登记后找不到邮寄记录");
}

Result<Delivery> Deliveries::mark_received(std::int64_t notice_id, const std::string& party_id, const std::string& date, const std::string& actor) {
  NETSAMPLE_ASSIGN(workflow::NoticeView n, notice(notice_id));
  NETSAMPLE_ASSIGN(CivilDate day, parse_date(date, "--date"));
  NETSAMPLE_ASSIGN(std::vector<Delivery> existing, query("d.notice_id = ?1", notice_id));
  auto post = std::find_if(existing.begin(), existing.end(), [&](const Delivery& d) {
    return d.channel == "post" && (party_id.empty() || d.party_id == party_id);
  });
  if (post == existing.end())
    return make_error(ErrorCode::refused_by_rule, "--party", "通知 #" + std::to_string(notice_id) + " 没有登记邮寄" + (party_id.empty() ? "" : "给 " + party_id) +
                                                               "：先 notices mark-posted");
  if (post->state != "posted") return make_error(ErrorCode::refused_by_rule, "--date", "这份邮寄已是「" + post->state + "」");
  if (day > beijing_date(store_->clock().now())) return make_error(ErrorCode::invalid_input, "--date", "收到日期不能晚于今天");
  if (format_date(day) < post->receipt.value("posted", "").substr(0, 10))
    return make_error(ErrorCode::invalid_input, "--date", "收到日期早于寄出日期 " + post->receipt.value("posted", "").substr(0, 10));
  json receipt = post->receipt;
  receipt["received_date"] = format_date(day);
  NETSAMPLE_TRY(store_->write([&]() -> Status {
    NETSAMPLE_ASSIGN(store::Statement update, store_->db().prepare("UPDATE notice_deliveries SET state = 'received', receipt = ?2, updated_utc_us = ?3 WHERE id = ?1"));
    NETSAMPLE_TRY(update.bind(1, post->id).bind(2, receipt.dump()).bind(3, to_utc_us(store_->clock().now())).run());
    NETSAMPLE_TRY(status_of(store_->audit().append({actor, "notice.received", n.case_number, {{"notice", notice_id}, {"party", post->party_id}, {"receipt", receipt}}},
                                                   store_->clock().now())));
    // Art 52: the objection period runs from the day the operator or producer received the written notice.
    // Recorded on the case by the notices module; who entered the receipt is in the row above.
    if (n.kind == "result_nonconforming" && (post->role == "operator" || post->role == "producer"))
      return status_of(lifecycle_->apply_event(n.case_number, "notice_received", {{"recipient", post->role}, {"received_date", format_date(day)}},
                                               "system:notices"));
    return Status{};
  }));
  return get(post->id);
}

Result<Delivery> Deliveries::mark_returned(std::int64_t notice_id, const std::string& party_id, const std::string& reason, const std::string& actor) {
  NETSAMPLE_ASSIGN(workflow::NoticeView n, notice(notice_id));
  NETSAMPLE_ASSIGN(std::vector<Delivery> existing, query("d.notice_id = ?1", notice_id));
  auto post = std::find_if(existing.begin(), existing.end(), [&](const Delivery& d) { return d.channel == "post" && d.party_id == party_id; });
  if (post == existing.end() || post->state != "posted")
    return make_error(ErrorCode::refused_by_rule, "--party", "通知 #" + std::to_string(notice_id) + " 没有寄给 " + party_id + " 且在途的挂号信");
  if (reason.empty()) return make_error(ErrorCode::missing_field, "--reason", "须写明退回原因（如 查无此单位、拒收、地址不详）");
  json receipt = post->receipt;
  receipt["returned"] = format_iso8601_beijing(store_->clock().now());
  receipt["returned_reason"] = reason;
  NETSAMPLE_TRY(store_->write([&]() -> Status {
    NETSAMPLE_ASSIGN(store::Statement update, store_->db().prepare("UPDATE notice_deliveries SET state = 'returned', receipt = ?2, updated_utc_us = ?3 WHERE id = ?1"));
    NETSAMPLE_TRY(update.bind(1, post->id).bind(2, receipt.dump()).bind(3, to_utc_us(store_->clock().now())).run());
    return status_of(store_->audit().append({actor, "notice.returned", n.case_number, {{"notice", notice_id}, {"party", party_id}, {"receipt", receipt}}},
                                            store_->clock().now()));
  }));
  return get(post->id);
}

Result<std::vector<std::string>> Deliveries::hand_over_unreachable() {
  NETSAMPLE_ASSIGN(std::vector<NoticeStatus> all, statuses());
  std::vector<std::string> handed;
  for (const auto& s : all) {
    if (s.notice.kind != "result_nonconforming") continue;
    for (const auto& a : s.addressees) {
      if (a.role != "operator" || !a.party) continue;
      std::vector<const Delivery*> mine;
      for (const auto& d : s.deliveries)
        if (d.party_id == a.party->id) mine.push_back(&d);
      const bool returned = std::any_of(mine.begin(), mine.end(), [](const Delivery* d) { return d->state == "returned"; });
      const bool reached = std::any_of(mine.begin(), mine.end(), [](const Delivery* d) { return d->state == "delivered" || d->state == "received"; });
      const bool all_dead = !mine.empty() && std::all_of(mine.begin(), mine.end(), [](const Delivery* d) { return d->state == "dead"; });
      if (reached || !(returned || (all_dead && a.party->postal_address.empty()))) continue;
      NETSAMPLE_ASSIGN(workflow::CaseView view, workflow::CaseRegistry(*store_).show(s.notice.case_number));
      if (view.state != "objection_window" && view.state != "result_handling" && view.state != "rectification") continue;
      std::string attempts;
      for (const Delivery* d : mine)
        attempts += (attempts.empty() ? "" : "；") + d->channel + " " + d->state + " " + std::to_string(d->attempts) + " 次" +
                    (d->last_error.empty() ? "" : "（" + d->last_error + "）") +
                    (d->receipt.is_object() && d->receipt.contains("returned_reason") ? "（退回：" + d->receipt["returned_reason"].get<std::string>() + "）" : "");
      NETSAMPLE_TRY(status_of(lifecycle_->apply_event(s.notice.case_number, "operator_unreachable",
                                                      {{"attempts", attempts}, {"note", "通知 #" + std::to_string(s.notice.id) + " 无法送达 " + a.party->name}},
                                                      "system:notices")));
      handed.push_back(s.notice.case_number);
    }
  }
  return handed;
}

Result<DeliverReport> Deliveries::deliver(const Sender& send, UtcTime now) {
  NETSAMPLE_TRY(plan());
  // What was planned just now is due in this round too (planning renders documents: seconds).
  NETSAMPLE_ASSIGN(std::vector<Delivery> due_now, due(std::max(now, store_->clock().now())));
  DeliverReport report;
  for (const Delivery& d : due_now) {
    NETSAMPLE_ASSIGN(Party party, parties_->get(d.party_id));
    NETSAMPLE_ASSIGN(workflow::NoticeView n, notice(d.notice_id));
    NETSAMPLE_ASSIGN(workflow::CaseView view, workflow::CaseRegistry(*store_).show(n.case_number));
    NETSAMPLE_ASSIGN(std::vector<Addressee> addressees, parties_->resolve(n, view));
    NETSAMPLE_ASSIGN(NoticeFiles files, notice_files(*store_, n, view, addressees));
    NETSAMPLE_ASSIGN(bool claimed, begin_attempt(d.id));
    if (!claimed) {
      ++report.skipped;  // another worker is sending it
      continue;
    }
    Delivery attempt = d;
    attempt.attempts = d.attempts + 1;
    const AttemptOutcome outcome = send(attempt, party, n, files);
    ++report.sent;
    NETSAMPLE_ASSIGN(Delivery after, finish_attempt(d.id, outcome));
    std::string line = d.case_number + " 通知 #" + std::to_string(d.notice_id) + " " + d.kind + "（第" + std::to_string(d.article) + "条）→ " + party.name +
                       "（" + d.channel + "）第 " + std::to_string(after.attempts) + " 次：";
    if (after.state == "delivered") {
      ++report.delivered;
      line += "已送达，回执 " + std::to_string(outcome.status) + "，应答摘要 " + outcome.response_sha256.substr(0, 16) + "…";
    } else if (after.state == "dead") {
      ++report.dead;
      line += "失败（" + outcome.error + "），已达 " + std::to_string(after.attempts) + " 次，停止重试，须人工处理";
    } else {
      ++report.retrying;
      line += "失败（" + outcome.error + "），" + format_beijing(after.next_attempt).substr(11, 8) + " 重试";
    }
    report.lines.push_back(line);
  }
  NETSAMPLE_ASSIGN(report.handed_over, hand_over_unreachable());
  for (const auto& c : report.handed_over) report.lines.push_back(c + "：被抽样对象无法联系，已移交区县局企业监管和执法机构（第73条）");
  return report;
}

Result<std::vector<std::string>> verify_delivery_records(store::Store& store) {
  auto delivery_name = [](std::int64_t notice, const std::string& party, const std::string& channel) {
    const char* how = channel == "post" ? "邮寄" : channel == "email" ? "电子邮件" : "webhook";
    return "通知 #" + std::to_string(notice) + " 给 " + party + " 的" + how + "送达";
  };
  auto document_name = [](std::int64_t notice) { return "通知 #" + std::to_string(notice) + " 的文书"; };
  std::map<std::string, store::AuditedRow> deliveries, documents;
  std::map<std::int64_t, std::string> by_id;  // delivery id -> its name, from the row that planned it
  NETSAMPLE_ASSIGN(std::vector<store::AuditRecord> records, store.audit().records());
  for (const auto& record : records) {
    if (record.action.rfind("notice.", 0) != 0) continue;
    const json payload = json::parse(record.payload, nullptr, false);
    if (!payload.is_object()) continue;  // the chain check reports corrupt rows
    const std::string state = record.action.substr(7);
    const json receipt = payload.contains("receipt") ? payload["receipt"] : json();
    if (state == "document_written") {
      documents[document_name(payload.value("notice", std::int64_t{0}))] = {
          record.seq, {{"pdf", payload.value("pdf", "")}, {"pdf_sha256", payload.value("pdf_sha256", "")}, {"json_sha256", payload.value("json_sha256", "")}}};
    } else if (state == "delivery_planned") {
      const std::string name = delivery_name(payload.value("notice", std::int64_t{0}), payload.value("party", ""), payload.value("channel", ""));
      by_id[payload.value("delivery", std::int64_t{0})] = name;
      deliveries[name] = {record.seq, {{"state", "pending"}, {"receipt", nullptr}}};
    } else if (state == "attempt" || state == "delivered" || state == "retrying" || state == "dead") {
      const auto name = by_id.find(payload.value("delivery", std::int64_t{0}));
      if (name == by_id.end() || !deliveries[name->second].row.is_object()) continue;
      store::AuditedRow& row = deliveries[name->second];
      row.seq = record.seq;
      row.row["state"] = state == "attempt" ? "sending" : state;
      if (state != "attempt") row.row["receipt"] = receipt;
    } else if (state == "posted" || state == "received" || state == "returned") {
      deliveries[delivery_name(payload.value("notice", std::int64_t{0}), payload.value("party", ""), "post")] = {
          record.seq, {{"state", state}, {"receipt", receipt}}};
    }
  }
  std::map<std::string, json> stored_deliveries, stored_documents;
  NETSAMPLE_ASSIGN(store::Statement d, store.db().prepare("SELECT notice_id, party_id, channel, state, receipt FROM notice_deliveries"));
  for (;;) {
    NETSAMPLE_ASSIGN(bool more, d.step());
    if (!more) break;
    const json receipt = d.is_null(4) ? json() : json::parse(d.text(4), nullptr, false);
    stored_deliveries[delivery_name(d.int64(0), d.text(1), d.text(2))] = {{"state", d.text(3)}, {"receipt", receipt}};
  }
  NETSAMPLE_ASSIGN(store::Statement n, store.db().prepare("SELECT notice_id, pdf, pdf_sha256, json_sha256 FROM notice_documents"));
  for (;;) {
    NETSAMPLE_ASSIGN(bool more, n.step());
    if (!more) break;
    stored_documents[document_name(n.int64(0))] = {{"pdf", n.text(1)}, {"pdf_sha256", n.text(2)}, {"json_sha256", n.text(3)}};
  }
  std::vector<std::string> problems = store::compare_rows_with_audit(stored_deliveries, deliveries);
  for (auto& line : store::compare_rows_with_audit(stored_documents, documents)) problems.push_back(std::move(line));
  return problems;
}

Status run_delivery_worker(Deliveries& deliveries, const Sender& send, const Clock& clock, bool once, const std::function<bool()>& stop,
                           const std::function<void(const std::string&)>& on_line) {
  for (;;) {
    NETSAMPLE_ASSIGN(DeliverReport report, deliveries.deliver(send, clock.now()));
    for (const auto& line : report.lines) on_line(line);
    if (once || stop()) return {};
    NETSAMPLE_ASSIGN(std::vector<NoticeStatus> all, deliveries.statuses());
    bool waiting = false;
    for (const auto& s : all)
      for (const auto& d : s.deliveries) waiting = waiting || d.state == "pending" || d.state == "retrying" || d.state == "sending";
    if (!waiting) return {};
    for (int i = 0; i < 10 && !stop(); ++i) std::this_thread::sleep_for(std::chrono::milliseconds(100));
  }
}

}  // namespace netsample::notices
