// The case lifecycle of ../shared/DESIGN.md as one table of transitions (from, event, to, roles, fields,
// preconditions, articles, notices owed, deadlines opened). apply_event() is the only way a case changes
// state: it checks the table, writes the event, the deadlines and the notices with the audit row in one
// transaction, or refuses with an error naming the state, the event and the article, writing nothing.
#pragma once

#include <optional>
#include <string>
#include <vector>

#include <nlohmann/json.hpp>

#include "netsample/core/error.h"
#include "netsample/store/store.h"
#include "netsample/workflow/calendar.h"
#include "netsample/workflow/platforms.h"
#include "netsample/workflow/roster.h"

namespace netsample::workflow {

enum class FieldType { text, date, boolean, choice };

struct FieldSpec {
  std::string name;
  FieldType type = FieldType::text;
  bool required = true;
  std::vector<std::string> choices;  // for FieldType::choice
  std::string label;                 // Chinese, for people
};

// A rule checked against the case's history before an event is accepted.
enum class Precondition {
  none,
  publication_approved,         // Art 62: publish only after the organizer approved
  objection_in_time,            // Art 52, 55(1): an objection received after the period is refused
  objection_period_over,        // Art 52: the window closes only after its last day
  retest_procedures_overdue,    // Art 55(2): only after the 7 days passed
  in_second_reinspection_window,  // Art 68: between 60 and 90 days after the announcement
};

struct NoticeSpec {
  std::string kind;                     // sampling_document, result_conforming, ...
  int article = 0;
  std::vector<std::string> recipients;  // operator, platform, producer, network_supervision, applicant, producer_region_bureau
  std::string only_if_field;            // enqueue only when this boolean field is true (Art 74)
};

struct DeadlineSpec {
  std::string kind;
  int article = 0;
  int amount = 0;
  std::string unit = "days";
  std::string from_field;   // date field of the event that starts it; empty: the event's own day
  int window_start = 0;     // days before which the act is too early (Art 68: 60)
};

struct Transition {
  std::vector<std::string> from;
  std::string event;
  std::string to;
  std::vector<std::string> roles;  // sampler, tester, organizer, district, system
  std::vector<FieldSpec> fields;
  std::vector<int> articles;
  std::string label;
  Precondition precondition = Precondition::none;
  std::vector<NoticeSpec> notices;
  std::vector<DeadlineSpec> deadlines;
};

struct StateInfo {
  std::string id;
  std::string label;      // Chinese
  std::vector<int> articles;
  bool terminal = false;
};

const std::vector<StateInfo>& lifecycle_states();
const std::vector<Transition>& lifecycle_transitions();
// A choice field's value as a person reads it (with the article's item where the regulation lists it).
std::string choice_label(const std::string& choice);
const StateInfo* find_state(const std::string& id);
// The table as JSON, for clients that build their forms from it: {"states": [...], "transitions": [...]}.
nlohmann::json transition_json(const Transition& row);
nlohmann::json lifecycle_table_json();

// Deadlines stay open while the case is in one of these states; leaving them closes the deadline.
const std::vector<std::string>& deadline_live_states(const std::string& kind);

struct DeadlineView {
  std::int64_t id = 0;
  std::string case_number;
  std::string kind;
  int article = 0;
  std::string from_date;
  int amount = 0;
  std::string unit;
  std::string rule;
  std::optional<std::string> earliest;
  // The last day. While provisional (the year's holiday notice not loaded yet) the earliest it can be, with
  // due_latest the latest; nullopt only past the statutory-holiday table (see problem).
  std::optional<std::string> due;
  std::optional<std::string> due_latest;  // set while provisional
  std::string problem;                    // why the deadline is provisional or unknown
  std::string status;
  bool overdue = false;  // open, a duty, and the given day is after due (the earliest, while provisional)
  bool provisional() const { return due_latest.has_value() || !due.has_value(); }
  // The day after which the period has surely run out (due_latest while provisional); nullopt while unknown.
  std::optional<std::string> surely_over_after() const { return due_latest ? due_latest : due; }
  // What `overdue` says on `today` (YYYY-MM-DD, Beijing). Windows (Art 22, 47) are not duties: never overdue.
  bool overdue_on(const std::string& today) const { return status == "open" && unit == "days" && due && today > *due; }
  nlohmann::json to_json() const;
  // The form kept in the case record and hashed into its audit snapshot: no id, case or overdue.
  nlohmann::json record_json() const;
  // Back from that form (a station's case as its documents show it, at the centre); nullopt when it is not one.
  static std::optional<DeadlineView> from_record_json(const nlohmann::json& record, const std::string& case_number);
};

struct NoticeView {
  std::int64_t id = 0;
  std::string case_number;
  std::string kind;
  int article = 0;
  std::vector<std::string> recipients;
  nlohmann::json payload;
  std::string state;
  UtcTime created;
  nlohmann::json to_json() const;
  nlohmann::json record_json() const;  // as for DeadlineView
};

struct EventView {
  std::string event, from, to, actor;
  nlohmann::json fields;
  std::string articles;
  UtcTime at;

  nlohmann::json to_json() const;  // as the command line, the service and an export show it (at in Beijing time)
};

// The roles a person holds in one case, as the transition table's roles name them.
enum class CaseRole {
  sampler,    // drawn at random for the case (Art 20)
  tester,     // assigned to test its sample (Art 16)
  organizer,  // of the unit that organizes it (Art 4, 5)
  district,   // of the district bureau that handles its result (Art 63-68; the case's `district`)
  reviewer,   // given its recordings to review by the organizer
};
std::string_view to_string(CaseRole role);

struct LifecycleOptions {
  PeriodRule rule = PeriodRule::rest_days_move;
};

class Lifecycle {
 public:
  // REQUIRES: store, calendar and platforms outlive this object.
  Lifecycle(store::Store& store, const Calendar& calendar, LifecycleOptions options = {})
      : store_(&store), calendar_(&calendar), options_(options) {}

  // Applies `event` to case `number` as `actor` (a roster id, or "system:<module>"). Fields are the
  // event's JSON object. Returns the new state.
  Result<std::string> apply_event(const std::string& number, const std::string& event, const nlohmann::json& fields,
                                  const std::string& actor);

  // Whether `person` (a roster id) holds `role` in the case: active in the roster with that role, and drawn
  // (sampler) or assigned (tester) for this case, or of its organizing unit (organizer). Someone not in the
  // roster holds no role; not_found only for an unknown case.
  Result<bool> holds_role(const std::string& number, const std::string& person, CaseRole role);

  // Whether `person` may see the case at all: they hold one of its roles (holds_role, any role). The
  // service answers 404 for a case outside this scope. not_found only for an unknown case.
  Result<bool> may_see(const std::string& number, const std::string& person);

  // The events a person could apply to the case now (state and role permitting).
  Result<std::vector<const Transition*>> available_events(const std::string& number, const std::string& actor);

  Result<std::vector<EventView>> history(const std::string& number);
  // Every case's history (case_events) against its case.event audit rows, in order: an event inserted, deleted or
  // edited in the database by hand is named (its case, its place, the field). One line per case that differs.
  Result<std::vector<std::string>> verify_event_records();
  // Open deadlines (all cases, or one), overdue judged on `today` (Beijing date).
  Result<std::vector<DeadlineView>> deadlines(const std::optional<std::string>& number, CivilDate today, bool include_closed = false);
  Result<std::vector<NoticeView>> notices(const std::optional<std::string>& number);

  // Recomputes every open deadline in days with the current calendar (a year added, a correction
  // published); each change is written with an audit row. Returns the deadlines that changed.
  Result<std::vector<DeadlineView>> recompute_deadlines();

 private:
  store::Store* store_;
  const Calendar* calendar_;
  LifecycleOptions options_;
};

// The one reader of each table: deadlines (open only unless include_closed; ordered by due, then id;
// overdue left false) and notices owed (ordered by id), of one case or of all.
Result<std::vector<DeadlineView>> read_deadlines(store::Database& db, const std::optional<std::string>& case_number, bool include_closed);
Result<std::vector<NoticeView>> read_notices(store::Database& db, const std::optional<std::string>& case_number);
Result<std::optional<NoticeView>> read_notice(store::Database& db, std::int64_t id);

// may_see as an SQL condition on `cases c` (for lists and counts), with parameters ?first .. ?first+5;
// bind_case_scope binds them for the viewer. An inactive viewer must be refused before (they see nothing).
std::string case_scope_sql(int first);
void bind_case_scope(store::Statement& stmt, int first, const Person& viewer);
// The same rule on a case as its JSON shows it (CaseView::to_json: organizer, district, people): a case a station
// sent, which the centre holds as that station's documents, not as rows of its own.
bool in_case_scope(const nlohmann::json& shown, const Person& viewer);
// Whether that case names `person` as its `role` ("sampler", "tester", "reviewer"), the person active and holding the
// role in the roster: Lifecycle::holds_role's test on a station's case.
bool assigned_in_case(const nlohmann::json& shown, const Person& person, std::string_view role);

// Opens the windows every case has from its creation: Art 22 (6 months) and Art 47 retention (6 years).
// REQUIRES: inside store.write(), right after the case row is inserted.
Status open_creation_deadlines(store::Database& db, std::int64_t case_id, UtcTime created);

// Chinese names for people, the id itself when unknown: states ("planned" -> "计划"), deadline kinds
// ("objection" -> "异议期"), notice kinds and recipient roles.
std::string state_label(const std::string& id);
std::string deadline_label(const std::string& kind);
std::string notice_label(const std::string& kind);
std::string recipient_label(const std::string& role);

}  // namespace netsample::workflow
