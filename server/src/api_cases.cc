// Cases, their lifecycle events and deadlines, the lifecycle table, the roster and the audit log.
#include <set>

#include "api.h"
#include "netsample/core/json_fields.h"

namespace netsample::server {
namespace {

using nlohmann::json;
using workflow::CaseRole;

Result<Response> lifecycle_table(Call&) { return Response::json(200, workflow::lifecycle_table_json()); }

Result<Response> list_cases(Call& call) {
  workflow::CaseQuery query;
  Status bad;
  query.offset = query_int(call, "offset", 0, 0, 1'000'000'000, bad);
  query.limit = query_int(call, "limit", 50, 1, 500, bad);
  NETSAMPLE_TRY(bad);
  query.state = call.request.param_query("state");
  query.platform = call.request.param_query("platform");
  query.organizer = call.request.param_query("organizer");
  query.district = call.request.param_query("district");
  query.text = call.request.param_query("q");
  // ?deadline=overdue | week: an open duty past its last day, or falling due within seven days (Beijing dates).
  if (const auto deadline = call.request.param_query("deadline")) {
    const CivilDate today = beijing_date(call.runtime.clock().now());
    if (*deadline == "overdue") query.overdue_before = format_date(today);
    else if (*deadline == "week") query.due_by = format_date(CivilDate(std::chrono::sys_days(today) + std::chrono::days(7)));
    else return make_error(ErrorCode::invalid_input, "deadline", "须为 overdue（已逾期）或 week（七日内到期）");
  }
  if (query.state && !workflow::find_state(*query.state))
    return make_error(ErrorCode::invalid_input, "state", "未知状态 \"" + *query.state + "\"（GET /api/lifecycle 列出全部状态）");
  workflow::CasePage page;
  if (call.who().admin()) {
    NETSAMPLE_ASSIGN(page, call.runtime.cases().search(query));
  } else if (call.who().account.person) {
    query.viewer.person_id = call.who().account.person->id;
    NETSAMPLE_ASSIGN(page, call.runtime.cases().search(query));
  }  // a party's account sees no case list (Art 62: only what was published to it)
  json items = json::array();
  for (const auto& item : page.items) items.push_back(item.to_json());
  return Response::json(200, {{"total", page.total}, {"offset", query.offset}, {"limit", query.limit}, {"items", items}});
}

Result<Response> show_case(Call& call) {
  const std::string& number = call.param("number");
  NETSAMPLE_TRY(require_case(call, number));
  NETSAMPLE_ASSIGN(workflow::CaseView view, call.runtime.cases().show(number));
  json out = view.to_json();
  NETSAMPLE_ASSIGN(std::vector<workflow::EventView> history, call.runtime.lifecycle().history(number));
  out["history"] = json::array();
  for (const auto& e : history)
    out["history"].push_back(e.to_json());
  // What this caller could do now: a client builds its buttons and forms from this and the lifecycle table.
  out["available_events"] = json::array();
  if (call.who().account.person) {
    NETSAMPLE_ASSIGN(auto events, call.runtime.lifecycle().available_events(number, call.who().account.person->id));
    for (const auto* t : events) out["available_events"].push_back(workflow::transition_json(*t));
  }
  out["state_label"] = workflow::state_label(view.state);
  return Response::json(200, out);
}

// Refused while the retention period runs (Art 47); the deletion stays in the audit log.
Result<Response> delete_case(Call& call) {
  const std::string& number = call.param("number");
  NETSAMPLE_TRY(call.runtime.cases().remove(number, call.who().actor()));
  return Response::json(200, {{"deleted", number}});
}

Result<Response> assign(Call& call) {
  const std::string& number = call.param("number");
  NETSAMPLE_TRY(require_case(call, number));
  NETSAMPLE_ASSIGN(json body, json_body(call));
  NETSAMPLE_ASSIGN(JsonFields fields, JsonFields::of(body, ""));
  NETSAMPLE_ASSIGN(std::optional<std::string> tester, fields.optional_text("tester"));
  NETSAMPLE_ASSIGN(std::optional<std::string> reviewer, fields.optional_text("reviewer"));
  NETSAMPLE_ASSIGN(std::optional<std::string> district, fields.optional_text("district"));
  NETSAMPLE_TRY(fields.reject_unknown_keys());
  if (int(tester.has_value()) + int(reviewer.has_value()) + int(district.has_value()) != 1)
    return make_error(ErrorCode::invalid_input, "body", "须给出 tester、reviewer、district 之一");
  if (!call.who().admin()) NETSAMPLE_TRY(require_role(call, number, CaseRole::organizer, "指派人员"));
  workflow::CaseRegistry& cases = call.runtime.cases();
  if (tester) NETSAMPLE_TRY(cases.assign_tester(number, *tester, call.who().actor()));
  if (reviewer) NETSAMPLE_TRY(cases.assign_reviewer(number, *reviewer, call.who().actor()));
  if (district) NETSAMPLE_TRY(cases.assign_district(number, *district, call.who().actor()));
  NETSAMPLE_ASSIGN(workflow::CaseView view, cases.show(number));
  return Response::json(200, view.to_json());
}

Result<Response> apply_event(Call& call) {
  const std::string& number = call.param("number");
  NETSAMPLE_TRY(require_case(call, number));
  NETSAMPLE_TRY(require_person(call));
  NETSAMPLE_ASSIGN(json fields, json_body(call));
  // The lifecycle checks the state, the caller's role in this case, the fields and the article: the same
  // call as `netsample case event`.
  NETSAMPLE_ASSIGN(std::string state, call.runtime.lifecycle().apply_event(number, call.param("event"), fields, call.who().account.person->id));
  return Response::json(200, {{"case", number}, {"event", call.param("event")}, {"state", state}, {"state_label", workflow::state_label(state)}});
}

Result<Response> case_events(Call& call) {
  const std::string& number = call.param("number");
  NETSAMPLE_TRY(require_case(call, number));
  NETSAMPLE_ASSIGN(std::vector<workflow::EventView> history, call.runtime.lifecycle().history(number));
  json out = json::array();
  for (const auto& e : history)
    out.push_back(e.to_json());
  return Response::json(200, {{"events", out}});
}

json deadline_item(const workflow::DeadlineView& d) {
  json item = d.to_json();
  item["label"] = workflow::deadline_label(d.kind);
  // A deadline the calendar cannot fix yet is shown as provisional, never hidden (Art 75).
  item["provisional"] = d.provisional();
  return item;
}

json deadlines_json(const std::vector<workflow::DeadlineView>& list, CivilDate today) {
  json out = json::array();
  for (const auto& d : list) out.push_back(deadline_item(d));
  return {{"today", format_date(today)}, {"deadlines", out}};
}

// At the centre, the open deadlines of the cases stations sent that the caller may see, as the station computed
// them when it read the documents (`station`, `as_of`): overdue judged on today here. A station's case moves on the
// station, so one closed there since its last sync still shows here until the next.
Result<json> station_deadlines(Call& call, const std::string& today) {
  json out = json::array();
  NETSAMPLE_ASSIGN(std::vector<sync::StationCase> sent, sync::StationCases(call.runtime.store()).list());
  for (const auto& c : sent) {
    const json shown = station_case_json(c);
    if (!may_see_station_case(call.who(), shown)) continue;
    for (const auto& record : shown.value("deadlines", json::array())) {
      std::optional<workflow::DeadlineView> d = workflow::DeadlineView::from_record_json(record, c.case_number);
      if (!d || d->status != "open") continue;
      d->overdue = d->overdue_on(today);
      json item = deadline_item(*d);
      item["station"] = c.station;
      item["as_of"] = c.documents.value("read", "");
      out.push_back(std::move(item));
    }
  }
  return out;
}

Result<Response> case_deadlines(Call& call) {
  const std::string& number = call.param("number");
  NETSAMPLE_TRY(require_case(call, number));
  const CivilDate today = beijing_date(call.runtime.clock().now());
  NETSAMPLE_ASSIGN(auto list, call.runtime.lifecycle().deadlines(number, today, /*include_closed=*/true));
  return Response::json(200, deadlines_json(list, today));
}

Result<Response> all_deadlines(Call& call) {
  const CivilDate today = beijing_date(call.runtime.clock().now());
  NETSAMPLE_ASSIGN(auto list, call.runtime.lifecycle().deadlines(std::nullopt, today));
  std::vector<workflow::DeadlineView> visible;
  std::map<std::string, bool> seen;
  for (auto& d : list) {
    auto it = seen.find(d.case_number);
    if (it == seen.end()) it = seen.emplace(d.case_number, require_case(call, d.case_number).ok()).first;
    if (it->second) visible.push_back(std::move(d));
  }
  json out = deadlines_json(visible, today);
  NETSAMPLE_ASSIGN(json from_stations, station_deadlines(call, format_date(today)));
  for (auto& item : from_stations) out["deadlines"].push_back(std::move(item));
  return Response::json(200, out);
}

Result<Response> list_roster(Call& call) {
  if (!call.who().admin() && !call.who().has_role("organizer"))
    return make_error(ErrorCode::forbidden, "authorization", "名册只对组织人员和管理员开放");
  NETSAMPLE_ASSIGN(std::vector<workflow::Person> people, call.runtime.roster().list());
  json out = json::array();
  for (const auto& p : people)
    if (call.who().admin() || p.org == call.who().account.person->org) out.push_back(p.to_json());
  return Response::json(200, {{"people", out}});
}

Result<Response> add_roster(Call& call) {
  NETSAMPLE_ASSIGN(json body, json_body(call));
  NETSAMPLE_ASSIGN(std::vector<workflow::Person> people, workflow::parse_people(body));
  NETSAMPLE_ASSIGN(workflow::RosterChange change, call.runtime.roster().add(people, call.who().actor()));
  return Response::json(200, {{"added", change.added}, {"updated", change.updated}, {"unchanged", change.unchanged}});
}

Result<Response> case_audit(Call& call) {
  const std::string& number = call.param("number");
  NETSAMPLE_TRY(require_case(call, number));
  NETSAMPLE_ASSIGN(std::vector<store::AuditRecord> rows, call.runtime.store().audit().records(number));
  json out = json::array();
  for (const auto& row : rows) out.push_back(store::to_json(row));
  return Response::json(200, {{"case", number}, {"rows", out}});
}

Result<Response> audit_verify(Call& call) {
  NETSAMPLE_ASSIGN(runtime::AuditReport report, call.runtime.verify_audit());
  return Response::json(200, report.to_json());
}

}  // namespace

void add_case_routes(std::vector<Route>& out) {
  const bool snapshot = true;  // the reading routes of this file write nothing
  out.push_back({"GET", "/api/lifecycle", Access::signed_in, lifecycle_table});
  out.push_back({"GET", "/api/cases", Access::signed_in, list_cases, snapshot});
  out.push_back({"GET", "/api/cases/{number}", Access::signed_in, show_case, snapshot});
  out.push_back({"DELETE", "/api/cases/{number}", Access::admin, delete_case});
  out.push_back({"POST", "/api/cases/{number}/assign", Access::signed_in, assign});
  out.push_back({"GET", "/api/cases/{number}/events", Access::signed_in, case_events, snapshot});
  out.push_back({"POST", "/api/cases/{number}/events/{event}", Access::signed_in, apply_event});
  out.push_back({"GET", "/api/cases/{number}/deadlines", Access::signed_in, case_deadlines, snapshot});
  out.push_back({"GET", "/api/cases/{number}/audit", Access::signed_in, case_audit, snapshot});
  out.push_back({"GET", "/api/deadlines", Access::signed_in, all_deadlines, snapshot});
  out.push_back({"GET", "/api/roster", Access::signed_in, list_roster, snapshot});
  out.push_back({"POST", "/api/roster", Access::admin, add_roster});
  out.push_back({.method = "GET", .pattern = "/api/audit/verify", .access = Access::admin, .handler = audit_verify, .slow = true});
}

}  // namespace netsample::server
