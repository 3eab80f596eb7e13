#include "netsample/workflow/lifecycle.h"

#include <algorithm>
#include <map>
#include <set>

#include "netsample/core/json_fields.h"
#include "netsample/workflow/cases.h"
#include "netsample/workflow/roster.h"

namespace netsample::workflow {
namespace {

using nlohmann::json;
using namespace std::chrono;

std::string articles_text(const std::vector<int>& articles) {
  std::string text;
  for (int a : articles) text += (text.empty() ? "" : ", ") + std::to_string(a);
  return text;
}

bool contains(const std::vector<std::string>& list, const std::string& item) {
  return std::find(list.begin(), list.end(), item) != list.end();
}

std::string role_label(const std::string& role) {
  if (role == "sampler") return "本任务的抽样人员";
  if (role == "tester") return "本任务的检验人员";
  if (role == "organizer") return "组织监督抽查部门的人员";
  if (role == "district") return "负责结果处理的区县局人员";
  if (role == "system") return "netsample 自动处理";
  return role;
}

// Validates the event's fields against the row; returns the canonical field object.
// Dates must lie between the case's creation and today: a typo must not become a wrong deadline.
Result<json> check_fields(const Transition& row, const json& fields, CivilDate created, CivilDate today) {
  const json empty = json::object();
  NETSAMPLE_ASSIGN(JsonFields reader, JsonFields::of(fields.is_null() ? empty : fields, ""));
  json clean = json::object();
  for (const FieldSpec& spec : row.fields) {
    const std::string suffix = spec.label.empty() ? "" : "（" + spec.label + "）";
    if (spec.type == FieldType::boolean) {
      NETSAMPLE_ASSIGN(bool value, reader.optional_boolean(spec.name, false));
      clean[spec.name] = value;
      continue;
    }
    NETSAMPLE_ASSIGN(std::optional<std::string> value, reader.optional_text(spec.name));
    if (!value) {
      if (!spec.required) continue;
      return make_error(ErrorCode::missing_field, spec.name, "事件 " + row.event + " 须填写此字段" + suffix, row.articles.front());
    }
    if (spec.type == FieldType::date) {
      NETSAMPLE_ASSIGN(CivilDate day, parse_date(*value, spec.name));
      if (day > today)
        return make_error(ErrorCode::invalid_input, spec.name, *value + " 晚于今天（" + format_date(today) + "），不能记录将来的事" + suffix);
      if (day < created)
        return make_error(ErrorCode::invalid_input, spec.name, *value + " 早于任务创建日（" + format_date(created) + "）" + suffix);
    }
    if (spec.type == FieldType::choice && !contains(spec.choices, *value)) {
      std::string list;
      for (const auto& c : spec.choices) list += (list.empty() ? "" : "、") + c;
      return make_error(ErrorCode::invalid_input, spec.name, "\"" + *value + "\" 不是可选值" + suffix + "，取值：" + list, row.articles.front());
    }
    clean[spec.name] = *value;
  }
  NETSAMPLE_TRY(reader.reject_unknown_keys());
  return clean;
}

CivilDate add_months(CivilDate date, int months) {
  year_month_day moved{(year_month{date.year(), date.month()} + std::chrono::months{months}) / date.day()};
  if (!moved.ok()) moved = moved.year() / moved.month() / last;
  return moved;
}

struct CaseRow {
  std::int64_t id = 0;
  std::string state;
  std::string organizer;
  CivilDate created;
  std::optional<std::string> district;
};

Result<CaseRow> load_case_row(store::Database& db, const std::string& number) {
  NETSAMPLE_ASSIGN(store::Statement stmt, db.prepare("SELECT id, state, organizer, created_utc_us, district FROM cases WHERE number = ?1"));
  stmt.bind(1, number);
  NETSAMPLE_ASSIGN(bool found, stmt.step());
  if (!found) return make_error(ErrorCode::not_found, "case", "没有编号为 \"" + number + "\" 的抽样任务");
  return CaseRow{stmt.int64(0), stmt.text(1), stmt.text(2), beijing_date(from_utc_us(stmt.int64(3))), stmt.optional_text(4)};
}

Result<bool> has_assignment(store::Database& db, std::int64_t case_id, const std::string& person, const std::string& role) {
  NETSAMPLE_ASSIGN(store::Statement stmt, db.prepare("SELECT 1 FROM case_people WHERE case_id = ?1 AND person_id = ?2 AND role = ?3"));
  stmt.bind(1, case_id).bind(2, person).bind(3, role);
  return stmt.step();
}

// Whether an active person holds `role` (a table role other than "system") in this case.
Result<bool> person_holds(store::Store& store, const CaseRow& c, const Person& person, const std::string& role) {
  if (!person.has_role(role)) return false;
  if (role == "sampler" || role == "tester" || role == "reviewer") return has_assignment(store.db(), c.id, person.id, role);
  if (role == "organizer") return person.org == c.organizer;
  if (role == "district") return c.district && person.org == *c.district;  // Art 63: the case's own district bureau
  return false;
}

// A station whose case the centre handed to another station (its `case.handed_away` row, written when its sync
// learned it: design/central.md) moves it no further: the other station continues it.
Status refuse_if_handed_away(store::Store& store, const std::string& number) {
  NETSAMPLE_ASSIGN(std::optional<store::AuditRecord> handed, store.audit().last_of(number, "case.handed_away"));
  if (!handed) return {};
  const json payload = json::parse(handed->payload, nullptr, false);
  const std::string to = payload.is_object() && payload.contains("to") && payload["to"].is_string() ? payload["to"].get<std::string>() : "?";
  return make_error(ErrorCode::refused_by_rule, "case",
                    "任务 " + number + " 已由中心移交工作站 " + to + "（本站于 " + format_iso8601_beijing(handed->at) + " 获知）：本站不再办理，请在该站继续");
}

// Which of the row's roles the actor holds for this case; empty when none.
Result<std::string> acting_role(store::Store& store, const CaseRow& c, const Transition& row, const std::string& actor) {
  if (actor.starts_with("system:")) return std::string(contains(row.roles, "system") ? "system" : "");
  Roster roster(store);
  NETSAMPLE_ASSIGN(std::optional<Person> person, roster.find(actor));
  if (!person) return make_error(ErrorCode::not_found, "as", "名册中没有编号为 \"" + actor + "\" 的人员（用 --as 指明操作人员的名册编号）");
  if (!person->active) return make_error(ErrorCode::refused_by_rule, "as", person->name + "（" + actor + "）已不在岗");
  for (const auto& role : row.roles) {
    NETSAMPLE_ASSIGN(bool holds, person_holds(store, c, *person, role));
    if (holds) return role;
  }
  return std::string();
}

// Every deadline query selects these columns, in this order, and reads them with deadline_from_row.
constexpr const char* kSelectDeadlines =
    "SELECT d.id, c.number, d.kind, d.article, d.from_date, d.amount, d.unit, d.rule, d.earliest, d.due, d.status, d.problem, d.due_latest "
    "FROM deadlines d JOIN cases c ON c.id = d.case_id ";

DeadlineView deadline_from_row(const store::Statement& row) {
  DeadlineView d;
  d.id = row.int64(0);
  d.case_number = row.text(1);
  d.kind = row.text(2);
  d.article = static_cast<int>(row.int64(3));
  d.from_date = row.text(4);
  d.amount = static_cast<int>(row.int64(5));
  d.unit = row.text(6);
  d.rule = row.text(7);
  d.earliest = row.optional_text(8);
  d.due = row.optional_text(9);
  d.status = row.text(10);
  d.problem = row.optional_text(11).value_or("");
  d.due_latest = row.optional_text(12);
  return d;
}

Result<std::optional<DeadlineView>> latest_deadline(store::Database& db, std::int64_t case_id, const std::string& kind,
                                                    const std::optional<std::string>& status = std::nullopt) {
  NETSAMPLE_ASSIGN(store::Statement stmt,
                   db.prepare(std::string(kSelectDeadlines) +
                              "WHERE d.case_id = ?1 AND d.kind = ?2 AND (CAST(?3 AS TEXT) IS NULL OR d.status = ?3) ORDER BY d.id DESC LIMIT 1"));
  stmt.bind(1, case_id).bind(2, kind).bind(3, status);
  NETSAMPLE_ASSIGN(bool found, stmt.step());
  if (!found) return std::optional<DeadlineView>{};
  return std::optional<DeadlineView>(deadline_from_row(stmt));
}

// A deadline whose last day the calendar cannot tell at all (past the statutory-holiday table) blocks any claim
// that it has passed.
Status require_due(const std::optional<DeadlineView>& d, int article) {
  if (d && !d->due) return make_error(ErrorCode::refused_by_rule, d->kind, "期限届满日尚无法确定：" + d->problem, article);
  return {};
}

// "至 2027-01-04 届满" or, while provisional, "届满日暂定为 2027-01-04 至 2027-01-07（2027 年节假日安排公布后确定）".
std::string due_phrase(const DeadlineView& d) {
  if (!d.due) return "届满日尚无法确定";
  if (!d.due_latest) return "至 " + *d.due + " 届满";
  return "届满日暂定为 " + *d.due + (*d.due_latest == *d.due ? "" : " 至 " + *d.due_latest) + "（节假日安排公布后确定）";
}

// The columns a computed period sets.
struct StoredDue {
  std::optional<std::string> due, due_latest, problem;
};

Result<StoredDue> stored_due(const Calendar& calendar, CivilDate from, int amount, PeriodRule rule) {
  StoredDue out;
  auto period = compute_period(calendar, from, amount, rule);
  if (period.ok()) {
    out.due = format_date(period->due);
    if (period->provisional) {
      out.due_latest = format_date(period->due_latest);
      out.problem = period->provisional_reason;
    }
  } else if (period.error().article == 75) {
    out.problem = period.error().message;  // past the statutory table: recorded, filled in once a notice is added
  } else {
    return period.error();
  }
  return out;
}

}  // namespace

json DeadlineView::to_json() const {
  json out = {{"id", id},     {"case", case_number}, {"kind", kind},     {"article", article}, {"from", from_date},
              {"amount", amount}, {"unit", unit}, {"rule", rule}, {"status", status}, {"overdue", overdue}};
  out["due"] = due ? json(*due) : json(nullptr);
  out["due_latest"] = due_latest ? json(*due_latest) : json(nullptr);
  out["provisional"] = provisional();
  out["earliest"] = earliest ? json(*earliest) : json(nullptr);
  if (!problem.empty()) out["problem"] = problem;
  return out;
}

json DeadlineView::record_json() const {
  json out = {{"kind", kind},   {"article", article}, {"from", from_date},
          {"amount", amount}, {"unit", unit},     {"rule", rule},
          {"earliest", earliest ? json(*earliest) : json(nullptr)},
          {"due", due ? json(*due) : json(nullptr)},
          {"status", status}, {"problem", problem.empty() ? json(nullptr) : json(problem)}};
  // Only while provisional, so that the snapshots of deadlines stored before the column existed stay the same.
  if (due_latest) out["due_latest"] = *due_latest;
  return out;
}

std::optional<DeadlineView> DeadlineView::from_record_json(const json& record, const std::string& case_number) {
  if (!record.is_object()) return std::nullopt;
  auto text = [&](const char* key) -> std::optional<std::string> {
    const auto found = record.find(key);
    return found != record.end() && found->is_string() ? std::optional<std::string>(found->get<std::string>()) : std::nullopt;
  };
  auto number = [&](const char* key) {
    const auto found = record.find(key);
    return found != record.end() && found->is_number_integer() ? found->get<int>() : 0;
  };
  DeadlineView d;
  d.case_number = case_number;
  d.kind = text("kind").value_or("");
  d.status = text("status").value_or("");
  d.unit = text("unit").value_or("");
  if (d.kind.empty() || d.status.empty() || d.unit.empty()) return std::nullopt;
  d.article = number("article");
  d.amount = number("amount");
  d.from_date = text("from").value_or("");
  d.rule = text("rule").value_or("");
  d.earliest = text("earliest");
  d.due = text("due");
  d.due_latest = text("due_latest");
  d.problem = text("problem").value_or("");
  return d;
}

json NoticeView::record_json() const {
  return {{"kind", kind}, {"article", article}, {"recipients", recipients}, {"payload", payload}, {"state", state}};
}

json NoticeView::to_json() const {
  return {{"id", id},         {"case", case_number}, {"kind", kind}, {"article", article}, {"recipients", recipients},
          {"payload", payload}, {"state", state},    {"created", format_iso8601_beijing(created)}};
}

Status open_creation_deadlines(store::Database& db, std::int64_t case_id, UtcTime created) {
  const CivilDate day = beijing_date(created);
  struct Window {
    const char* kind;
    int article;
    int amount;
    const char* unit;
    CivilDate due;
  };
  const Window windows[] = {
      {"duplicate_window", 22, 6, "months", add_months(day, 6)},  // Art 22: no lower-level repeat within 6 months
      {"retention", 47, 6, "years", add_years(day, 6)},           // Art 47: records kept 6 years
  };
  NETSAMPLE_ASSIGN(store::Statement insert,
                   db.prepare("INSERT INTO deadlines (case_id, kind, article, from_date, amount, unit, rule, due, status, created_utc_us) "
                              "VALUES (?1, ?2, ?3, ?4, ?5, ?6, 'calendar', ?7, 'open', ?8)"));
  for (const Window& w : windows) {
    insert.reset();
    insert.bind(1, case_id).bind(2, w.kind).bind(3, std::int64_t{w.article}).bind(4, format_date(day)).bind(5, std::int64_t{w.amount});
    insert.bind(6, w.unit).bind(7, format_date(w.due)).bind(8, to_utc_us(created));
    NETSAMPLE_TRY(insert.run());
  }
  return {};
}

Result<std::string> Lifecycle::apply_event(const std::string& number, const std::string& event, const json& fields,
                                           const std::string& actor) {
  const auto& table = lifecycle_transitions();
  std::vector<const Transition*> rows;
  for (const auto& row : table)
    if (row.event == event) rows.push_back(&row);
  if (rows.empty()) {
    std::set<std::string> names;
    for (const auto& row : table) names.insert(row.event);
    std::string list;
    for (const auto& n : names) list += (list.empty() ? "" : "、") + n;
    return make_error(ErrorCode::invalid_input, "event", "未知事件 \"" + event + "\"，可用：" + list);
  }
  if (!actor.starts_with("system:") && actor.starts_with("os:"))
    return make_error(ErrorCode::missing_field, "as", "状态变更须注明操作人员：用 --as 加名册编号");

  std::string new_state;
  NETSAMPLE_TRY(store_->write([&]() -> Status {
    store::Database& db = store_->db();
    NETSAMPLE_ASSIGN(CaseRow c, load_case_row(db, number));
    NETSAMPLE_TRY(refuse_if_handed_away(*store_, number));
    const Transition* row = nullptr;
    for (const Transition* candidate : rows)
      if (contains(candidate->from, c.state)) row = candidate;
    if (!row) {
      std::string allowed;
      for (const auto& t : table)
        if (contains(t.from, c.state)) allowed += (allowed.empty() ? "" : "、") + t.event;
      return make_error(ErrorCode::refused_by_rule, "event",
                        "任务 " + number + " 处于「" + c.state + " " + state_label(c.state) + "」，不能执行事件「" + event + " " +
                            rows.front()->label + "」；此状态可执行：" + (allowed.empty() ? "（无，已终结）" : allowed),
                        rows.front()->articles.front());
    }
    NETSAMPLE_ASSIGN(std::string role, acting_role(*store_, c, *row, actor));
    if (role.empty()) {
      std::string who;
      for (const auto& r : row->roles) who += (who.empty() ? "" : "或") + role_label(r);
      return make_error(ErrorCode::refused_by_rule, "as",
                        actor + " 无权在「" + state_label(c.state) + "」执行「" + row->label + "」：须为" + who, row->articles.front());
    }
    const UtcTime now = store_->clock().now();
    const CivilDate today = beijing_date(now);
    NETSAMPLE_ASSIGN(json clean, check_fields(*row, fields, c.created, today));

    // Preconditions read the case's own history.
    switch (row->precondition) {
      case Precondition::none:
        break;
      case Precondition::publication_approved: {
        NETSAMPLE_ASSIGN(store::Statement approved,
                         db.prepare("SELECT 1 FROM case_events WHERE case_id = ?1 AND event = 'approve_publication'"));
        NETSAMPLE_ASSIGN(bool found, approved.bind(1, c.id).step());
        if (!found)
          return make_error(ErrorCode::refused_by_rule, "event", "未经组织监督抽查的部门批准，不得公开抽查结果（先执行 approve_publication）", 62);
        break;
      }
      case Precondition::objection_in_time: {
        NETSAMPLE_ASSIGN(std::optional<DeadlineView> d, latest_deadline(db, c.id, "objection", std::string("open")));
        // While the last day is provisional the applicant keeps the right to object up to its latest day.
        if (d && d->surely_over_after() && clean["received_date"].get<std::string>() > *d->surely_over_after())
          return make_error(ErrorCode::refused_by_rule, "received_date",
                            "异议申请于 " + clean["received_date"].get<std::string>() + " 收到，已超过异议期（" + due_phrase(*d) +
                                "），应不予复检（第55条第一项）",
                            52);
        break;
      }
      case Precondition::objection_period_over: {
        NETSAMPLE_ASSIGN(std::optional<DeadlineView> d, latest_deadline(db, c.id, "objection", std::string("open")));
        if (!d) return make_error(ErrorCode::refused_by_rule, "event", "尚未记录书面告知的收到日期（notice_received），异议期未开始", 52);
        NETSAMPLE_TRY(require_due(d, 52));
        // Closed only once surely over: a provisional window runs to its latest day.
        if (format_date(today) <= *d->surely_over_after())
          return make_error(ErrorCode::refused_by_rule, "event", "异议期" + due_phrase(*d) + "，尚未结束", 52);
        break;
      }
      case Precondition::retest_procedures_overdue: {
        NETSAMPLE_ASSIGN(std::optional<DeadlineView> d, latest_deadline(db, c.id, "retest_procedures", std::string("open")));
        NETSAMPLE_TRY(require_due(d, 54));
        if (!d || format_date(today) <= *d->surely_over_after())
          return make_error(ErrorCode::refused_by_rule, "event",
                            "办理复检手续的期限" + (d ? due_phrase(*d) + "，" : std::string()) + "尚未逾期", 54);
        break;
      }
      case Precondition::in_second_reinspection_window: {
        NETSAMPLE_ASSIGN(std::optional<DeadlineView> d, latest_deadline(db, c.id, "second_reinspection", std::string("open")));
        NETSAMPLE_TRY(require_due(d, 68));
        const std::string when = clean["reinspection_date"].get<std::string>();
        // The bureau's own duty: while provisional, before the earliest the 90 days can end.
        if (d && (when <= d->earliest.value_or("") || when > *d->due))
          return make_error(ErrorCode::refused_by_rule, "reinspection_date",
                            "再次复查须在公告之日起 60 日之后、90 日之前（" + d->earliest.value_or("?") + " 之后，" + *d->due + " 之前" +
                                (d->due_latest ? "；届满日暂定，按最早可能的一日" : "") + "）",
                            68);
        break;
      }
    }

    const std::string to = row->to.empty() ? c.state : row->to;
    NETSAMPLE_ASSIGN(store::Statement insert_event,
                     db.prepare("INSERT INTO case_events (case_id, event, from_state, to_state, actor, fields, articles, utc_us) "
                                "VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7, ?8)"));
    insert_event.bind(1, c.id).bind(2, event).bind(3, c.state).bind(4, to).bind(5, actor).bind(6, clean.dump());
    NETSAMPLE_TRY(insert_event.bind(7, articles_text(row->articles)).bind(8, to_utc_us(now)).run());
    NETSAMPLE_ASSIGN(store::Statement update, db.prepare("UPDATE cases SET state = ?2, updated_utc_us = ?3 WHERE id = ?1"));
    NETSAMPLE_TRY(update.bind(1, c.id).bind(2, to).bind(3, to_utc_us(now)).run());

    // Deadlines bound to states the case has now left are closed.
    NETSAMPLE_ASSIGN(store::Statement open_deadlines, db.prepare("SELECT id, kind FROM deadlines WHERE case_id = ?1 AND status = 'open'"));
    open_deadlines.bind(1, c.id);
    std::vector<std::int64_t> to_close;
    for (;;) {
      NETSAMPLE_ASSIGN(bool more, open_deadlines.step());
      if (!more) break;
      const auto& live = deadline_live_states(open_deadlines.text(1));
      if (!live.empty() && !contains(live, to)) to_close.push_back(open_deadlines.int64(0));
    }
    for (std::int64_t id : to_close) {
      NETSAMPLE_ASSIGN(store::Statement close, db.prepare("UPDATE deadlines SET status = 'closed', closed_utc_us = ?2 WHERE id = ?1"));
      NETSAMPLE_TRY(close.bind(1, id).bind(2, to_utc_us(now)).run());
    }

    json opened = json::array();
    for (const DeadlineSpec& spec : row->deadlines) {
      NETSAMPLE_ASSIGN(CivilDate from, parse_date(clean[spec.from_field].get<std::string>(), spec.from_field));
      // A last day the loaded notices do not fix yet is stored as a provisional range with the reason, and fixed
      // by recompute_deadlines() once the year's notice is added: the event itself is recorded either way.
      NETSAMPLE_ASSIGN(StoredDue computed, stored_due(*calendar_, from, spec.amount, options_.rule));
      std::optional<std::string> earliest;
      if (spec.window_start > 0) earliest = format_date(CivilDate{sys_days{from} + days{spec.window_start}});
      NETSAMPLE_ASSIGN(store::Statement insert,
                       db.prepare("INSERT INTO deadlines (case_id, kind, article, from_date, amount, unit, rule, earliest, due, problem, "
                                  "status, created_utc_us, due_latest) VALUES (?1, ?2, ?3, ?4, ?5, 'days', ?6, ?7, ?8, ?9, 'open', ?10, ?11)"));
      insert.bind(1, c.id).bind(2, spec.kind).bind(3, std::int64_t{spec.article}).bind(4, format_date(from));
      insert.bind(5, std::int64_t{spec.amount}).bind(6, options_.rule == PeriodRule::rest_days_move ? "default" : "strict");
      insert.bind(7, earliest).bind(8, computed.due).bind(9, computed.problem).bind(10, to_utc_us(now)).bind(11, computed.due_latest);
      NETSAMPLE_TRY(insert.run());
      opened.push_back({{"kind", spec.kind},
                        {"article", spec.article},
                        {"due", computed.due ? json(*computed.due) : json(nullptr)},
                        {"due_latest", computed.due_latest ? json(*computed.due_latest) : json(nullptr)}});
    }

    json enqueued = json::array();
    for (const NoticeSpec& notice : row->notices) {
      if (!notice.only_if_field.empty() && !clean.value(notice.only_if_field, false)) continue;
      json payload = {{"case", number}, {"event", event}, {"event_label", row->label}, {"fields", clean}, {"article", notice.article}};
      if (notice.kind == "result_nonconforming")
        payload["rights"] = "对检验结论有异议的，可自收到本告知之日起 15 日内向组织监督抽查的市场监督管理部门提出书面异议处理申请（第52条）";
      if (notice.kind == "retest_notice") payload["rights"] = "应自收到复检通知之日起 7 日内办理复检手续（第54条），逾期不予复检（第55条）";
      if (notice.kind == "rectification_order") payload["rights"] = "自下达之日起 60 日内改正并提交整改报告（第65条）；整改期间停止生产、销售同一产品（第70条）";
      NETSAMPLE_ASSIGN(store::Statement insert,
                       db.prepare("INSERT INTO outbox (case_id, kind, article, recipients, payload, created_utc_us) VALUES (?1, ?2, ?3, ?4, ?5, ?6)"));
      insert.bind(1, c.id).bind(2, notice.kind).bind(3, std::int64_t{notice.article}).bind(4, json(notice.recipients).dump());
      NETSAMPLE_TRY(insert.bind(5, payload.dump()).bind(6, to_utc_us(now)).run());
      enqueued.push_back({{"kind", notice.kind}, {"article", notice.article}, {"recipients", notice.recipients}});
    }

    CaseRegistry registry(*store_);
    new_state = to;
    return registry.record_change(number, "case.event",
                                  {{"event", event}, {"from", c.state}, {"to", to}, {"role", role}, {"fields", clean},
                                   {"articles", row->articles}, {"deadlines_opened", opened}, {"deadlines_closed", to_close.size()},
                                   {"notices", enqueued}},
                                  actor);
  }));
  return new_state;
}

nlohmann::json transition_json(const Transition& t) {
  auto type_name = [](FieldType type) {
    switch (type) {
      case FieldType::text: return "text";
      case FieldType::date: return "date";
      case FieldType::boolean: return "boolean";
      case FieldType::choice: return "choice";
    }
    return "text";
  };
  json fields = json::array();
  for (const auto& f : t.fields) {
    json labels = json::object();
    for (const auto& c : f.choices) labels[c] = choice_label(c);
    fields.push_back({{"name", f.name}, {"label", f.label}, {"type", type_name(f.type)}, {"required", f.required}, {"choices", f.choices},
                      {"choice_labels", labels}});
  }
  json notices = json::array();
  for (const auto& n : t.notices) notices.push_back({{"kind", n.kind}, {"article", n.article}, {"recipients", n.recipients}});
  json deadlines = json::array();
  for (const auto& d : t.deadlines) deadlines.push_back({{"kind", d.kind}, {"article", d.article}, {"days", d.amount}, {"from_field", d.from_field}});
  return {{"from", t.from}, {"event", t.event}, {"to", t.to.empty() ? "(same)" : t.to}, {"roles", t.roles}, {"fields", fields},
          {"articles", t.articles}, {"label", t.label}, {"notices", notices}, {"deadlines", deadlines}};
}

nlohmann::json lifecycle_table_json() {
  json out = {{"states", json::array()}, {"transitions", json::array()}};
  for (const auto& s : lifecycle_states())
    out["states"].push_back({{"id", s.id}, {"label", s.label}, {"articles", s.articles}, {"terminal", s.terminal}});
  for (const auto& t : lifecycle_transitions()) out["transitions"].push_back(transition_json(t));
  return out;
}

std::string_view to_string(CaseRole role) {
  switch (role) {
    case CaseRole::sampler: return "sampler";
    case CaseRole::tester: return "tester";
    case CaseRole::organizer: return "organizer";
    case CaseRole::district: return "district";
    case CaseRole::reviewer: return "reviewer";
  }
  return "";
}

Result<bool> Lifecycle::holds_role(const std::string& number, const std::string& person, CaseRole role) {
  NETSAMPLE_ASSIGN(CaseRow c, load_case_row(store_->db(), number));
  NETSAMPLE_ASSIGN(std::optional<Person> found, Roster(*store_).find(person));
  if (!found || !found->active) return false;
  return person_holds(*store_, c, *found, std::string(to_string(role)));
}

Result<bool> Lifecycle::may_see(const std::string& number, const std::string& person) {
  NETSAMPLE_ASSIGN(std::optional<Person> found, Roster(*store_).find(person));
  NETSAMPLE_ASSIGN(store::Statement stmt, store_->db().prepare("SELECT c.id, (" + case_scope_sql(2) + ") FROM cases c WHERE c.number = ?1"));
  stmt.bind(1, number);
  if (found) bind_case_scope(stmt, 2, *found);
  NETSAMPLE_ASSIGN(bool exists, stmt.step());
  if (!exists) return make_error(ErrorCode::not_found, "case", "没有编号为 \"" + number + "\" 的抽样任务");
  return found && found->active && stmt.int64(1) != 0;
}

std::string case_scope_sql(int first) {
  auto p = [&](int offset) {
    std::string placeholder = "?";  // built in two steps: "?" + std::to_string() trips GCC 12's -Wrestrict at -O2
    placeholder += std::to_string(first + offset);
    return placeholder;
  };
  // The same rule as person_holds, role by role: assigned people by their assignment, the organizing unit by
  // the case's organizer, the district bureau by the case's district. A role the roster no longer gives binds 0/NULL.
  return "(EXISTS (SELECT 1 FROM case_people cp WHERE cp.case_id = c.id AND cp.person_id = " + p(0) + " AND ((cp.role = 'sampler' AND " +
         p(1) + ") OR (cp.role = 'tester' AND " + p(2) + ") OR (cp.role = 'reviewer' AND " + p(3) + "))) OR c.organizer = " + p(4) +
         " OR c.district = " + p(5) + ")";
}

void bind_case_scope(store::Statement& stmt, int first, const Person& viewer) {
  stmt.bind(first, viewer.id);
  stmt.bind(first + 1, std::int64_t{viewer.has_role("sampler")});
  stmt.bind(first + 2, std::int64_t{viewer.has_role("tester")});
  stmt.bind(first + 3, std::int64_t{viewer.has_role("reviewer")});
  if (viewer.has_role("organizer")) stmt.bind(first + 4, viewer.org); else stmt.bind_null(first + 4);
  if (viewer.has_role("district")) stmt.bind(first + 5, viewer.org); else stmt.bind_null(first + 5);
}

bool in_case_scope(const nlohmann::json& shown, const Person& viewer) {
  if (!viewer.active || !shown.is_object()) return false;
  auto text = [&](const nlohmann::json& object, const char* key) {
    const auto found = object.find(key);
    return found != object.end() && found->is_string() ? found->get<std::string>() : std::string();
  };
  if (viewer.has_role("organizer") && text(shown, "organizer") == viewer.org) return true;
  if (viewer.has_role("district") && text(shown, "district") == viewer.org) return true;
  for (const char* role : {"sampler", "tester", "reviewer"})
    if (assigned_in_case(shown, viewer, role)) return true;
  return false;
}

bool assigned_in_case(const nlohmann::json& shown, const Person& person, std::string_view role) {
  if (!person.active || !person.has_role(role) || !shown.is_object()) return false;
  const auto people = shown.find("people");
  if (people == shown.end() || !people->is_array()) return false;
  auto is = [](const nlohmann::json& object, const char* key, std::string_view value) {
    const auto found = object.find(key);
    return found != object.end() && found->is_string() && found->get_ref<const std::string&>() == value;
  };
  for (const auto& assigned : *people)
    if (assigned.is_object() && is(assigned, "id", person.id) && is(assigned, "role", role)) return true;
  return false;
}

Result<std::vector<const Transition*>> Lifecycle::available_events(const std::string& number, const std::string& actor) {
  NETSAMPLE_ASSIGN(CaseRow c, load_case_row(store_->db(), number));
  std::vector<const Transition*> out;
  // A case handed away offers nothing; a failure to read the chain is an error, not "nothing".
  if (Status handed = refuse_if_handed_away(*store_, number); !handed.ok())
    return handed.error().code == ErrorCode::refused_by_rule ? Result<std::vector<const Transition*>>(out) : handed.error();
  for (const auto& row : lifecycle_transitions()) {
    if (!contains(row.from, c.state)) continue;
    auto role = acting_role(*store_, c, row, actor);
    if (role.ok() && !role->empty()) out.push_back(&row);
  }
  return out;
}

Result<std::vector<EventView>> Lifecycle::history(const std::string& number) {
  NETSAMPLE_ASSIGN(store::Statement stmt,
                   store_->db().prepare("SELECT e.event, e.from_state, e.to_state, e.actor, e.fields, e.articles, e.utc_us FROM case_events e "
                                        "JOIN cases c ON c.id = e.case_id WHERE c.number = ?1 ORDER BY e.id"));
  stmt.bind(1, number);
  std::vector<EventView> out;
  for (;;) {
    NETSAMPLE_ASSIGN(bool row, stmt.step());
    if (!row) return out;
    out.push_back({stmt.text(0), stmt.text(1), stmt.text(2), stmt.text(3), json::parse(stmt.text(4), nullptr, false), stmt.text(5),
                   from_utc_us(stmt.int64(6))});
  }
}

Result<std::vector<std::string>> Lifecycle::verify_event_records() {
  struct Row {
    std::int64_t seq = 0;  // the audit row; 0 for a stored event
    UtcTime at;
    json row;
  };
  auto event_row = [](const std::string& event, const std::string& from, const std::string& to, const std::string& actor, json fields,
                      const std::string& articles) {
    return json{{"event", event}, {"from_state", from}, {"to_state", to}, {"actor", actor}, {"fields", std::move(fields)}, {"articles", articles}};
  };
  std::map<std::string, std::vector<Row>> audited, stored;
  NETSAMPLE_ASSIGN(std::vector<store::AuditRecord> records, store_->audit().records());
  for (const auto& record : records) {
    if (!record.case_number) continue;
    if (record.action == "case.deleted") audited.erase(*record.case_number);  // its events went with it
    if (record.action != "case.event") continue;
    const json payload = json::parse(record.payload, nullptr, false);
    if (!payload.is_object()) continue;  // the chain check reports corrupt rows
    std::vector<int> articles;
    if (payload.contains("articles") && payload["articles"].is_array())
      for (const auto& a : payload["articles"]) articles.push_back(a.is_number_integer() ? a.get<int>() : 0);
    audited[*record.case_number].push_back({record.seq, record.at,
                                            event_row(payload.value("event", ""), payload.value("from", ""), payload.value("to", ""), record.actor,
                                                      payload.value("fields", json::object()), articles_text(articles))});
  }
  NETSAMPLE_ASSIGN(store::Statement stmt,
                   store_->db().prepare("SELECT c.number, e.event, e.from_state, e.to_state, e.actor, e.fields, e.articles, e.utc_us "
                                        "FROM case_events e JOIN cases c ON c.id = e.case_id ORDER BY e.id"));
  for (;;) {
    NETSAMPLE_ASSIGN(bool more, stmt.step());
    if (!more) break;
    stored[stmt.text(0)].push_back({0, from_utc_us(stmt.int64(7)),
                                    event_row(stmt.text(1), stmt.text(2), stmt.text(3), stmt.text(4), json::parse(stmt.text(5), nullptr, false),
                                              stmt.text(6))});
  }
  std::set<std::string> numbers;
  for (const auto& [number, rows] : audited) numbers.insert(number);
  for (const auto& [number, rows] : stored) numbers.insert(number);
  std::vector<std::string> problems;
  for (const std::string& number : numbers) {
    const std::vector<Row>& a = audited[number];
    const std::vector<Row>& s = stored[number];
    // The time is written twice a few microseconds apart (the event, then its audit row): a second apart is an edit.
    auto time_of = [](const Row& row, const Row& other) {
      return format_iso8601_beijing(std::chrono::abs(row.at - other.at) < std::chrono::seconds(1) ? other.at : row.at);
    };
    size_t i = 0;
    while (i < a.size() && i < s.size() && s[i].row == a[i].row && time_of(s[i], a[i]) == format_iso8601_beijing(a[i].at)) ++i;
    if (i == a.size() && i == s.size()) continue;
    // The first place they part: one event more, one fewer, or the same count with one changed.
    std::map<std::string, json> one_stored;
    std::map<std::string, store::AuditedRow> one_audited;
    const bool inserted = s.size() > a.size(), deleted = s.size() < a.size();
    const Row& shown = deleted ? a[i] : s[i];
    const std::string name = "案件 " + number + " 的第 " + std::to_string(i + 1) + " 个事件「" + shown.row.value("event", "") + "」";
    if (!deleted) {
      json row = s[i].row;
      row["time"] = inserted ? format_iso8601_beijing(s[i].at) : time_of(s[i], a[i]);
      one_stored[name] = std::move(row);
    }
    if (!inserted) {
      json row = a[i].row;
      row["time"] = format_iso8601_beijing(a[i].at);
      one_audited[name] = {a[i].seq, std::move(row)};
    }
    for (auto& line : store::compare_rows_with_audit(one_stored, one_audited)) problems.push_back(std::move(line));
  }
  return problems;
}

Result<std::vector<DeadlineView>> read_deadlines(store::Database& db, const std::optional<std::string>& case_number, bool include_closed) {
  NETSAMPLE_ASSIGN(store::Statement stmt,
                   db.prepare(std::string(kSelectDeadlines) +
                              // One case by its number's index; "?1 IS NULL OR" would make SQLite scan every deadline.
                              (case_number ? "WHERE c.number = ?1 " : "WHERE CAST(?1 AS TEXT) IS NULL ") +
                              "AND (?2 = 1 OR d.status = 'open') ORDER BY d.due, d.id"));
  stmt.bind(1, case_number).bind(2, std::int64_t{include_closed});
  std::vector<DeadlineView> out;
  for (;;) {
    NETSAMPLE_ASSIGN(bool row, stmt.step());
    if (!row) return out;
    out.push_back(deadline_from_row(stmt));
  }
}

namespace {

constexpr const char* kNoticeColumns =
    "SELECT o.id, c.number, o.kind, o.article, o.recipients, o.payload, o.state, o.created_utc_us FROM outbox o JOIN cases c ON c.id = o.case_id ";

NoticeView notice_from_row(store::Statement& stmt) {
  NoticeView n;
  n.id = stmt.int64(0);
  n.case_number = stmt.text(1);
  n.kind = stmt.text(2);
  n.article = static_cast<int>(stmt.int64(3));
  // Every element is kept, a malformed one as its text, so a hand edit still changes the audited snapshot.
  const json recipients = json::parse(stmt.text(4), nullptr, false);
  if (!recipients.is_array()) n.recipients.push_back(stmt.text(4));
  else
    for (const auto& r : recipients) n.recipients.push_back(r.is_string() ? r.get<std::string>() : r.dump());
  n.payload = json::parse(stmt.text(5), nullptr, false);
  n.state = stmt.text(6);
  n.created = from_utc_us(stmt.int64(7));
  return n;
}

}  // namespace

Result<std::vector<NoticeView>> read_notices(store::Database& db, const std::optional<std::string>& case_number) {
  NETSAMPLE_ASSIGN(store::Statement stmt,
                   db.prepare(std::string(kNoticeColumns) + (case_number ? "WHERE c.number = ?1 " : "WHERE CAST(?1 AS TEXT) IS NULL ") + "ORDER BY o.id"));
  stmt.bind(1, case_number);
  std::vector<NoticeView> out;
  for (;;) {
    NETSAMPLE_ASSIGN(bool row, stmt.step());
    if (!row) return out;
    out.push_back(notice_from_row(stmt));
  }
}

Result<std::optional<NoticeView>> read_notice(store::Database& db, std::int64_t id) {
  NETSAMPLE_ASSIGN(store::Statement stmt, db.prepare(std::string(kNoticeColumns) + "WHERE o.id = ?1"));
  stmt.bind(1, id);
  NETSAMPLE_ASSIGN(bool row, stmt.step());
  if (!row) return std::optional<NoticeView>();
  return std::optional<NoticeView>(notice_from_row(stmt));
}

Result<std::vector<DeadlineView>> Lifecycle::deadlines(const std::optional<std::string>& number, CivilDate today, bool include_closed) {
  NETSAMPLE_ASSIGN(std::vector<DeadlineView> out, read_deadlines(store_->db(), number, include_closed));
  const std::string today_text = format_date(today);
  for (auto& d : out) d.overdue = d.overdue_on(today_text);
  return out;
}

Result<std::vector<NoticeView>> Lifecycle::notices(const std::optional<std::string>& number) { return read_notices(store_->db(), number); }

Result<std::vector<DeadlineView>> Lifecycle::recompute_deadlines() {
  std::vector<DeadlineView> changed;
  NETSAMPLE_TRY(store_->write([&]() -> Status {
    changed.clear();
    store::Database& db = store_->db();
    NETSAMPLE_ASSIGN(store::Statement open,
                     db.prepare(std::string(kSelectDeadlines) + "WHERE d.status = 'open' AND d.unit = 'days' ORDER BY d.id"));
    std::vector<DeadlineView> candidates;
    for (;;) {
      NETSAMPLE_ASSIGN(bool row, open.step());
      if (!row) break;
      candidates.push_back(deadline_from_row(open));
    }
    for (DeadlineView& d : candidates) {
      NETSAMPLE_ASSIGN(CivilDate from, parse_date(d.from_date, "from_date"));
      NETSAMPLE_ASSIGN(StoredDue now,
                       stored_due(*calendar_, from, d.amount, d.rule == "strict" ? PeriodRule::holidays_only : PeriodRule::rest_days_move));
      if (now.due == d.due && now.due_latest == d.due_latest && now.problem.value_or("") == d.problem) continue;
      const DeadlineView before = d;
      NETSAMPLE_ASSIGN(store::Statement update, db.prepare("UPDATE deadlines SET due = ?2, problem = ?3, due_latest = ?4 WHERE id = ?1"));
      NETSAMPLE_TRY(update.bind(1, d.id).bind(2, now.due).bind(3, now.problem).bind(4, now.due_latest).run());
      d.due = now.due;
      d.due_latest = now.due_latest;
      d.problem = now.problem.value_or("");
      auto day = [](const std::optional<std::string>& v) { return v ? json(*v) : json(nullptr); };
      NETSAMPLE_TRY(CaseRegistry(*store_).record_change(
          d.case_number, "case.deadline_recomputed",
          {{"deadline", d.id}, {"kind", d.kind}, {"article", d.article}, {"before", day(before.due)},
           {"before_latest", day(before.due_latest)}, {"after", day(d.due)}, {"after_latest", day(d.due_latest)}},
          "system:calendar"));
      changed.push_back(d);
    }
    return {};
  }));
  return changed;
}

nlohmann::json EventView::to_json() const {
  std::string label = event;
  for (const auto& t : lifecycle_transitions())
    if (t.event == event) label = t.label;
  return {{"event", event}, {"event_label", label}, {"from", from}, {"from_label", state_label(from)}, {"to", to},
          {"to_label", state_label(to)}, {"actor", actor}, {"fields", fields}, {"articles", articles}, {"at", format_iso8601_beijing(at)}};
}

}  // namespace netsample::workflow
