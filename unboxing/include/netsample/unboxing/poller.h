// Sends the tracking queries of many parcels over libcurl's multi interface: at most `max_concurrent`
// transfers at once, each provider's requests spaced by its min_interval (its rate limit). One round:
// every job gets exactly one result; retries and backoff are the tracker's scheduling (parcels.h).
#pragma once

#include <chrono>
#include <cstdint>
#include <string>
#include <variant>
#include <vector>

#include "netsample/unboxing/tracking.h"

namespace netsample::unboxing {

struct PollJob {
  std::int64_t id = 0;
  Parcel parcel;
  const TrackingProvider* provider = nullptr;
};

struct PollResult {
  std::int64_t id = 0;
  std::variant<TrackingAnswer, TrackingFailure> outcome;
};

struct PollerOptions {
  int max_concurrent = 4;
  std::chrono::milliseconds timeout{20'000};
  std::string user_agent = "netsample/0.1";
};

// Results in job order.
std::vector<PollResult> poll_parcels(const std::vector<PollJob>& jobs, const PollerOptions& options = {});

}  // namespace netsample::unboxing
