// A purchase session (Art 35): one case, one continuous recording, the seven steps the article lists
// marked on it with what each showed. The session is the record; the recording is the proof. A new
// product is a new purchase, so a new session with a new recording: a session is never resumed.
//
// States: recording → complete (all seven steps, the recording verifies, is continuous and sealed;
// the case moves to "ordered") or incomplete (what is missing is listed; the case stays "purchasing").
#pragma once

#include <cstdint>
#include <filesystem>
#include <functional>
#include <optional>
#include <string>
#include <vector>

#include <nlohmann/json.hpp>

#include "netsample/core/error.h"
#include "netsample/core/time.h"
#include "netsample/store/store.h"
#include "netsample/workflow/lifecycle.h"

namespace netsample::purchase {

enum class StepFieldType { text, amount, quantity, time, url };

struct StepField {
  std::string name;   // "order_number"
  std::string label;  // "订单号"
  StepFieldType type = StepFieldType::text;
  bool required = true;
};

struct StepSpec {
  std::string id;     // "order"
  std::string label;  // "订单信息"
  std::vector<StepField> fields;
};

// The seven steps of Art 35, in the article's order (网络校时 first: the video begins with it).
const std::vector<StepSpec>& purchase_steps();
const StepSpec* find_step(const std::string& id);

// Checks a step's fields: unknown names, missing required ones and badly formed values are errors naming
// the field and the rule. Returns them normalised (amounts "199.00", quantities as numbers, times ISO 8601
// in Beijing time; a time without a zone is read as Beijing time, as shops show it).
// `require_all` false: only the names and values given are checked (the rest may still come from the page on screen).
Result<nlohmann::json> check_step_fields(const std::string& step, const nlohmann::json& fields, bool require_all = true);

struct StepRecord {
  std::string step;
  nlohmann::json fields;
  int marker_index = 0;
  std::int64_t frame = 0;
  UtcTime at;                 // trusted time of the marked frame
  std::string still;          // relative to the recording directory
  std::string still_sha256;
  std::string marked_by;
  // What the page on screen said, when netsample's browser showed it: {url, read: {field: value}, rules, missing,
  // problems, corrections: [{field, page, entered}]} — a field the sampler corrected keeps both values. Null else.
  nlohmann::json page;
  nlohmann::json to_json() const;
};

enum class PurchaseState {
  recording,   // the recorder is running; steps may be marked
  complete,    // all seven steps, the recording verified, continuous and stamped: the case is "ordered"
  incomplete,  // concluded with what is missing listed; the case stays "purchasing"
};
std::string_view to_string(PurchaseState state);  // "recording", "complete", "incomplete" (stored and in JSON)

struct SessionView {
  std::int64_t id = 0;
  std::string case_number;
  int seq = 0;
  PurchaseState state = PurchaseState::recording;
  std::filesystem::path recording_dir;
  std::string started_by;
  UtcTime started;
  std::optional<UtcTime> finished;
  nlohmann::json environment;                         // null until checked
  nlohmann::json environment_acceptance;              // null, or {by, reason, at, findings}: the organizer's
  nlohmann::json problems = nlohmann::json::array();  // each {item, text}
  nlohmann::json verify;                              // null until finished
  std::string manifest_sha256;
  std::vector<StepRecord> steps;  // in marking order; a step marked twice appears twice, the last counts
  const StepRecord* last(const std::string& step) const;
  std::vector<std::string> missing_steps() const;
  nlohmann::json to_json() const;
};

// What the recording came to, handed over by whoever ran it.
struct RecordingResult {
  bool finished = false;           // sealed (manifest written); false when the recorder failed or was lost
  std::string failure;             // why not, for a person
  nlohmann::json verify;           // recorder::VerifyReport::to_json()
  std::string manifest_sha256;
};

class PurchaseSessions {
 public:
  // REQUIRES: store and lifecycle outlive this object.
  PurchaseSessions(store::Store& store, workflow::Lifecycle& lifecycle) : store_(&store), lifecycle_(&lifecycle) {}

  // Opens a session for the case, recording into `recording_dir` (empty: <data>/recordings/<case>-purchase-<seq>).
  // Refused unless the case is planned (then "start_purchase" is applied as `actor`) or purchasing with the
  // actor a sampler of the case; refused while another session of the case is recording and
  // `recorder_running` says so (a session whose recorder is gone is closed as incomplete first); refused
  // after an earlier session unless `new_purchase` (Art 35: a recording cannot be continued).
  Result<SessionView> begin(const std::string& case_number, const std::filesystem::path& recording_dir, const std::string& actor,
                            bool new_purchase, const std::function<bool(const std::filesystem::path&)>& recorder_running);
  Status set_environment(std::int64_t session_id, const nlohmann::json& report, const std::string& actor);
  // The organizer accepts, with a reason, environment findings that could fake a page (an added CA, a proxy, a hosts
  // override, a redirect rule: EnvironmentReport::could_fake). Audited. A purchase concluded incomplete for those
  // findings alone is then complete (and the case ordered). Refused: not an organizer of the case's unit, no
  // reason, nothing to accept.
  Result<SessionView> accept_environment(std::int64_t session_id, const std::string& reason, const std::string& actor);
  // Checks that the step may be marked now (session recording; time_check first) and its fields.
  Result<nlohmann::json> check_step(std::int64_t session_id, const std::string& step, const nlohmann::json& fields, bool require_all = true);
  // Records a step marked on the recording; fields as returned by check_step.
  Result<StepRecord> add_step(std::int64_t session_id, StepRecord step, const std::string& actor);
  // Concludes the session: complete when all seven steps are there and the recording verified, is
  // continuous and has a trusted timestamp; the case then moves on ("order_placed"). Otherwise incomplete
  // with every problem listed.
  Result<SessionView> conclude(std::int64_t session_id, const RecordingResult& recording);
  // Closes a session whose recorder is gone without finishing, as incomplete.
  Result<SessionView> abandon(std::int64_t session_id, const std::string& reason);

  Result<SessionView> get(std::int64_t session_id);
  Result<std::vector<SessionView>> of_case(const std::string& case_number);
  // Sessions now recording (of one case, or all).
  Result<std::vector<SessionView>> recording(const std::optional<std::string>& case_number);

  // Every stored step matches its audit row and every concluded session its closing row, so a step edited,
  // added or deleted in the database by hand is named (the audit chain itself is AuditLog::verify's).
  // Returns one line per problem; empty when all match.
  Result<std::vector<std::string>> verify_records();

 private:
  Result<std::vector<SessionView>> query(const std::string& where, const std::string& key);
  Status close(std::int64_t session_id, PurchaseState state, const nlohmann::json& problems, const RecordingResult& recording);

  store::Store* store_;
  workflow::Lifecycle* lifecycle_;
};

// The state of the case that a purchase may start from, and the one it is in while purchasing.
inline constexpr const char* kPurchaseStartState = "planned";
inline constexpr const char* kPurchasingState = "purchasing";

}  // namespace netsample::purchase
