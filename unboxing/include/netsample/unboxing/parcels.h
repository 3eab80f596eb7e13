// The parcels of cases and their timelines (Art 32, 36): added with the courier and number once the shop
// has shipped (the case moves to 「运输中」), polled until delivered or gone back, every event stored once,
// problems raised as alerts, and delivery moving the case to 「已收样待确认」, ready for unboxing.
#pragma once

#include <chrono>
#include <cstdint>
#include <functional>
#include <optional>
#include <string>
#include <vector>

#include <nlohmann/json.hpp>

#include "netsample/core/error.h"
#include "netsample/store/store.h"
#include "netsample/unboxing/poller.h"
#include "netsample/unboxing/tracking.h"
#include "netsample/workflow/lifecycle.h"

namespace netsample::unboxing {

struct ParcelView {
  std::int64_t id = 0;
  std::string case_number;
  Parcel parcel;
  ParcelStatus status = ParcelStatus::pending;
  bool final = false;
  std::string alert;
  int failures = 0;
  std::string last_error;
  std::optional<UtcTime> last_polled;
  UtcTime next_poll;
  std::vector<TrackingEvent> events;  // oldest first
  nlohmann::json to_json() const;
};

struct TrackerOptions {
  std::chrono::minutes interval{30};           // between queries of a parcel in transit
  std::chrono::seconds first_backoff{60};      // after a failed query, doubling
  std::chrono::seconds max_backoff{6 * 3600};
  int alert_after_failures = 3;                // consecutive failures before the reviewer is told
  PollerOptions poller;
};

struct PollReport {
  int polled = 0, changed = 0, failed = 0, delivered = 0;
  std::vector<std::string> lines;  // for people, one per notable thing
};

class ParcelTracker {
 public:
  // REQUIRES: all outlive the tracker.
  ParcelTracker(store::Store& store, workflow::Lifecycle& lifecycle, const TrackingConfig& config, TrackerOptions options = {})
      : store_(&store), lifecycle_(&lifecycle), config_(&config), options_(options) {}

  // Refused unless the case is 「已下单」 or 「运输中」, the courier has a configured provider and the
  // number is new. A case still 「已下单」 moves to 「运输中」 ("shipped").
  Result<ParcelView> add(const std::string& case_number, const Parcel& parcel, const std::string& actor);
  // One round over the parcels due at `now` (all not final, when `all`).
  Result<PollReport> poll(UtcTime now, bool all = false);
  Result<std::vector<ParcelView>> of_case(const std::string& case_number);
  // When the next parcel is due; nullopt when none is left to poll.
  Result<std::optional<UtcTime>> next_due();

 private:
  Result<std::vector<ParcelView>> query(const std::string& where, const std::string& key);
  Status apply(const ParcelView& before, const PollResult& result, UtcTime now, PollReport& report);

  store::Store* store_;
  workflow::Lifecycle* lifecycle_;
  const TrackingConfig* config_;
  TrackerOptions options_;
};

// Every parcel (case, courier, number, status) and every tracking event against the parcel.added / parcel.updated
// audit rows: a parcel or an event inserted, deleted or edited by hand is named. One line per problem.
Result<std::vector<std::string>> verify_parcel_records(store::Store& store);

// The tracking worker (`track poll`, the service's background job): a round of poll() whenever a parcel is
// due, until no parcel is in transit any more, after one round when `once`, or as soon as `stop` says so
// (checked every second while waiting). Each round goes to `on_round`.
Status run_tracking_worker(ParcelTracker& tracker, const Clock& clock, bool once, const std::function<bool()>& stop,
                           const std::function<void(const PollReport&)>& on_round);

}  // namespace netsample::unboxing
