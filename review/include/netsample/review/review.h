// Review of the recordings (审看): a reviewer the organizer gave the case to records findings on a recording at
// a media time (what they saw, how grave) and a verdict per recording (no doubts, doubts, rejected — with the
// reasons). Everything is audited; the latest verdict of each reviewer counts and earlier ones stay. Reviewers
// change no evidence: this module writes only its own tables. At the centre its reviewers review the cases stations
// sent the same way (design/central.md), in tables of their own: such a case is the station's documents there.
#pragma once

#include <cstdint>
#include <string>
#include <vector>

#include <nlohmann/json.hpp>

#include "netsample/core/error.h"
#include "netsample/core/time.h"
#include "netsample/store/store.h"
#include "netsample/workflow/lifecycle.h"

namespace netsample::review {

enum class Severity { info, minor, major };
enum class Verdict { no_doubts, doubts, rejected };
std::string_view to_string(Severity severity);  // "info", "minor", "major" (stored and in JSON)
std::string_view to_string(Verdict verdict);    // "no_doubts", "doubts", "rejected"
std::string label(Severity severity);           // 提示 / 一般问题 / 严重问题
std::string label(Verdict verdict);             // 无疑问 / 有疑问 / 不予认可

struct Finding {
  std::int64_t id = 0;
  std::string station;  // a station's case reviewed at the centre; empty for this installation's own
  std::string case_number;
  std::string recording;  // "purchase-<session>" | "unboxing-<session>"
  std::int64_t media_ms = 0;
  Severity severity = Severity::info;
  std::string note;
  std::string reviewer;
  UtcTime at;
  nlohmann::json to_json() const;
};

struct VerdictRecord {
  std::int64_t id = 0;
  std::string station;  // as in Finding
  std::string case_number;
  std::string recording;
  Verdict verdict = Verdict::no_doubts;
  std::vector<std::string> reasons;
  std::string reviewer;
  UtcTime at;
  bool current = false;  // the reviewer's latest for this recording
  nlohmann::json to_json() const;
};

struct FindingRequest {
  std::string recording;
  std::int64_t media_ms = 0;
  Severity severity = Severity::info;
  std::string note;
};
struct VerdictRequest {
  std::string recording;
  Verdict verdict = Verdict::no_doubts;
  std::vector<std::string> reasons;  // required for doubts and rejected
};
// {"media_ms": 12000, "severity": "major", "note": "..."}; errors name the field.
Result<FindingRequest> parse_finding(const nlohmann::json& body, const std::string& recording);
// {"verdict": "doubts", "reasons": ["..."]}
Result<VerdictRequest> parse_verdict(const nlohmann::json& body, const std::string& recording);

// A case a station sent, as the centre holds it: the station whose documents these are, and the case as they show it
// (case/case.json: CaseView::to_json).
struct StationCaseRef {
  std::string station;
  std::string number;
  nlohmann::json shown;
};

class Reviews {
 public:
  Reviews(store::Store& store, workflow::Lifecycle& lifecycle) : store_(&store), lifecycle_(&lifecycle) {}

  // REQUIRES: the recording belongs to the case and media_ms lies within it (the caller knows its length).
  // refused_by_rule unless `reviewer` is a reviewer assigned to the case.
  Result<Finding> add_finding(const std::string& case_number, const FindingRequest& request, const std::string& reviewer);
  Result<VerdictRecord> set_verdict(const std::string& case_number, const VerdictRequest& request, const std::string& reviewer);
  // The same on a station's case at the centre: refused_by_rule unless `reviewer` is, in the centre's roster, a
  // reviewer the case's documents name as its reviewer (workflow::assigned_in_case). Audited in the centre's chain
  // (review.station_finding_added, review.station_verdict_given).
  Result<Finding> add_finding(const StationCaseRef& sent, const FindingRequest& request, const workflow::Person& reviewer);
  Result<VerdictRecord> set_verdict(const StationCaseRef& sent, const VerdictRequest& request, const workflow::Person& reviewer);
  // Findings and verdicts given at the centre on a station's case, as case_json shows a case's own.
  Result<nlohmann::json> station_case_json(const std::string& case_number);

  Result<std::vector<Finding>> findings(const std::string& case_number);
  Result<std::vector<VerdictRecord>> verdicts(const std::string& case_number);
  // Findings and verdicts of a case as one JSON object (shown with the case, carried in the export).
  Result<nlohmann::json> case_json(const std::string& case_number);
  // Every finding and verdict of every case, and of every station's case reviewed here, against its audit row: one
  // inserted, deleted or edited by hand is named. One line per problem.
  Result<std::vector<std::string>> verify_records();

 private:
  Status require_reviewer(const std::string& case_number, const std::string& reviewer);
  store::Store* store_;
  workflow::Lifecycle* lifecycle_;
};

}  // namespace netsample::review
