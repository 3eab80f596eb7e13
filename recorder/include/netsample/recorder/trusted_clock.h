// Trusted time for a recording: frame capture instants are taken on the steady (monotonic) clock and
// mapped to UTC through the SNTP samples, never through the machine's adjustable wall clock once a
// server has answered. The reference is the sample with the smallest round-trip delay among the
// recent ones (the most precise: its error is at most half its delay). A new sample that disagrees with
// the current mapping by more than the threshold is a clock jump: the recorder reports it as a gap.
#pragma once

#include <chrono>
#include <cstdint>
#include <optional>
#include <vector>

#include "netsample/core/sntp.h"
#include "netsample/core/time.h"

namespace netsample::recorder {

struct ClockJump {
  std::int64_t monotonic_ns = 0;  // when the disagreeing sample arrived
  std::int64_t jump_us = 0;       // new mapping minus old mapping
  std::string server;
};

class TrustedClock {
 public:
  // `fallback_*` is one reading of the wall and steady clocks, used (and reported as unverified)
  // until a server answers.
  TrustedClock(UtcTime fallback_wall, std::int64_t fallback_monotonic_ns,
               std::chrono::microseconds jump_threshold = std::chrono::milliseconds(100));

  // Adds a sample; returns the jump if it disagrees with the mapping in force before it.
  std::optional<ClockJump> add_sample(const TimeSample& sample);

  bool verified() const { return reference_.has_value(); }
  // UTC of a steady-clock instant.
  UtcTime at(std::int64_t monotonic_ns) const;
  // Half the reference's round-trip delay: how far `at` can be off; nullopt while unverified.
  std::optional<std::int64_t> uncertainty_us() const;
  const std::vector<TimeSample>& samples() const { return samples_; }

 private:
  static constexpr size_t kWindow = 8;  // the reference is chosen among the most recent samples
  UtcTime fallback_wall_;
  std::int64_t fallback_monotonic_ns_;
  std::chrono::microseconds jump_threshold_;
  std::vector<TimeSample> samples_;
  std::optional<TimeSample> reference_;
};

}  // namespace netsample::recorder
