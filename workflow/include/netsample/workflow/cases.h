// Cases (抽样任务): one product bought from one online shop. Creating a case draws its samplers at
// random from the organizer's roster (Art 20) and refuses a repeat of a higher level's sampling within
// 6 months (Art 22); lab testers are checked against the samplers (Art 16);
// a case is kept at least 6 years (Art 47). Every change writes the case's new snapshot hash into the
// audit log, so verify_records() can tell a hand-edited case row from an audited change.
#pragma once

#include <cstdint>
#include <optional>
#include <string>
#include <vector>

#include <nlohmann/json.hpp>

#include "netsample/core/error.h"
#include "netsample/core/time.h"
#include "netsample/store/store.h"
#include "netsample/workflow/platforms.h"

namespace netsample::workflow {

// Art 20: at least two samplers, chosen at random.
inline constexpr int kMinSamplers = 2;

struct Party {
  std::string name;
  std::string address;
};

struct CaseRecord {
  std::string number;     // organizer-defined, unique
  std::string organizer;  // whose roster supplies the samplers
  std::string level;      // "city" | "district" (Art 5)
  std::string plan_kind;  // "routine" | "special" (Art 4)
  std::string product_name, trademark, model, category, standard;
  std::string platform;   // a PlatformRegistry code
  std::string shop_name;
  std::optional<std::string> shop_url, listing_url;  // at least one
  Party operator_party;   // the seller (电子商务经营者)
  Party producer;         // the nominal producer (标称生产者)
  int inspection_qty = 0, backup_qty = 0;
  bool onsite_testing = false;  // Art 16 exception: on-site testing by the samplers
  // Art 22 exceptions to the 6-month rule: "follow_up" (跟踪抽查 of a nonconforming product) or "emergency".
  std::optional<std::string> art22_exception;
  // Art 63: the district bureau (an org code of the roster) that handles the result; its district people see
  // and act on the case. Set in the case file or later by the organizer.
  std::optional<std::string> district;
};

struct CaseRequest {
  CaseRecord record;
  int sampler_count = kMinSamplers;
};

// Validates a case file. Errors name the field ("product.name", "samples.backup") and the rule.
Result<CaseRequest> parse_case(const nlohmann::json& root, const PlatformRegistry& platforms);
// The same checks, every bad field reported (a form marks them all, a plan's row names each bad cell).
struct CaseCheck {
  CaseRequest request;        // meaningful only when errors is empty
  std::vector<Error> errors;  // in the order of the case file's fields
};
CaseCheck check_case(const nlohmann::json& root, const PlatformRegistry& platforms);
nlohmann::json to_json(const CaseRecord& record);

// The draw of Art 20, reproducible by anyone from the recorded seed and candidates: candidates sorted
// by id, mt19937_64 seeded with `seed` (its output is fixed by the C++ standard), a partial Fisher-Yates
// shuffle using rejection sampling for unbiased indexes; the first `count` are drawn.
struct SamplerDraw {
  std::uint64_t seed = 0;
  std::vector<std::string> candidates;
  std::vector<std::string> drawn;
  nlohmann::json to_json() const;
};
SamplerDraw draw_samplers(std::vector<std::string> candidates, int count, std::uint64_t seed);

struct Assignment {
  std::string person_id;
  std::string name;
  std::string role;  // "sampler" | "tester" | "reviewer"
  UtcTime assigned;
};

struct CaseView {
  std::int64_t id = 0;
  CaseRecord record;
  std::string state;
  UtcTime created, updated;
  std::vector<Assignment> people;
  std::optional<SamplerDraw> draw;
  std::int64_t audit_rows = 0;
  nlohmann::json deadlines = nlohmann::json::array();  // every deadline of the case, open and closed
  nlohmann::json notices = nlohmann::json::array();    // every notice owed (outbox rows)
  nlohmann::json to_json() const;
};

// What verify_records found: every case and person row matched its last audited snapshot, and every
// recorded sampler draw recomputes to the same people.
struct RecordCheck {
  bool intact = true;
  int cases_checked = 0;
  int people_checked = 0;
  std::vector<std::string> problems;  // one line each, naming the case or person
};

// Who is looking: a person of the roster (sees what their roles in each case give them, the rule of
// Lifecycle::may_see), or everything (an administrator, the command line).
struct CaseViewer {
  std::optional<std::string> person_id;  // nullopt: every case
};

struct CaseQuery {
  CaseViewer viewer;
  std::optional<std::string> state, platform, organizer, district;
  std::optional<std::string> text;  // in the number, product, shop, operator or producer name
  // Cases with an open duty (a period in days; the Art 22/47 windows are not duties) due before `today`
  // (overdue) or on or before `due_by`; both Beijing dates, YYYY-MM-DD.
  std::optional<std::string> overdue_before, due_by;
  int offset = 0;
  int limit = 50;  // 1..500
};

// The open duty that falls due first: what a case list shows beside the state.
struct NextDeadline {
  std::string kind;
  int article = 0;
  std::optional<std::string> due;         // while provisional the earliest; nullopt past the statutory table (Art 75)
  std::optional<std::string> due_latest;  // set while provisional
};

struct CaseSummary {
  std::string number, state, organizer, level, product_name, shop_name, platform;
  std::optional<std::string> district;
  UtcTime created, updated;
  std::optional<NextDeadline> next_deadline;
  nlohmann::json to_json() const;
};

// Art 22: a city-level sampling of the same producer, standard, trademark and model whose six months are still
// running: a district may not repeat it (except follow-up and emergency sampling).
struct EarlierSampling {
  std::string number;  // the city's case
  std::string from;    // the window's first day (Beijing date)
  std::string until;   // its last day
};

struct CasePage {
  std::int64_t total = 0;
  std::vector<CaseSummary> items;
};

class CaseRegistry {
 public:
  explicit CaseRegistry(store::Store& store) : store_(&store) {}

  // Checks, draws samplers, stores the case and its draw in one transaction. `seed` only for tests:
  // from the command line the seed always comes from the system's entropy source.
  Result<CaseView> create(const CaseRequest& request, const std::string& actor, std::optional<std::uint64_t> seed = {});
  // Creates every request or none (one transaction): each one's result, in order. `keep` false: a dry run that
  // checks them all against the database (and each other) and undoes them. Only a failing database is an error.
  Result<std::vector<Result<CaseView>>> create_all(const std::vector<CaseRequest>& requests, const std::string& actor, bool keep);
  Result<std::vector<CaseView>> list();
  Result<CaseView> show(const std::string& number);
  // Art 16: a sampler of the case can never be its tester, except for declared on-site testing.
  Status assign_tester(const std::string& number, const std::string& person_id, const std::string& actor);
  // A reviewer (名册角色 reviewer) of the organizer's roster who reviews the case's recordings.
  Status assign_reviewer(const std::string& number, const std::string& person_id, const std::string& actor);
  // Art 63: the district bureau that handles the result (an org of the roster with district people).
  Status assign_district(const std::string& number, const std::string& district, const std::string& actor);
  // One page of cases a viewer may see, newest first, with the total that matched.
  Result<CasePage> search(const CaseQuery& query);
  // The Art 22 window running today for this producer, standard, trademark and model, if any.
  Result<std::optional<EarlierSampling>> earlier_city_sampling(const std::string& producer, const std::string& standard,
                                                               const std::string& trademark, const std::string& model);
  // Art 47: refused while the case is younger than the retention period or still has evidence.
  Status remove(const std::string& number, const std::string& actor);

  Result<RecordCheck> verify_records();

  // REQUIRES: inside store.write(), after the change. Appends an audit row for the case carrying the
  // hash of its snapshot after the change (what verify_records compares against).
  Status record_change(const std::string& number, const std::string& action, nlohmann::json payload, const std::string& actor);

 private:
  Result<CaseView> load(const std::string& number);
  Status check_district(const std::string& district);

  store::Store* store_;
};

// The snapshot that audit rows hash: record, state and assigned people (not timestamps of reads).
std::string case_snapshot_sha256(const CaseView& view);

}  // namespace netsample::workflow
