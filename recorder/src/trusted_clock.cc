#include "netsample/recorder/trusted_clock.h"

#include <algorithm>
#include <cstdlib>

namespace netsample::recorder {

TrustedClock::TrustedClock(UtcTime fallback_wall, std::int64_t fallback_monotonic_ns, std::chrono::microseconds jump_threshold)
    : fallback_wall_(fallback_wall), fallback_monotonic_ns_(fallback_monotonic_ns), jump_threshold_(jump_threshold) {}

UtcTime TrustedClock::at(std::int64_t monotonic_ns) const {
  if (!reference_) return fallback_wall_ + std::chrono::microseconds((monotonic_ns - fallback_monotonic_ns_) / 1000);
  return reference_->trusted_receive() + std::chrono::microseconds((monotonic_ns - reference_->local_monotonic_ns) / 1000);
}

std::optional<std::int64_t> TrustedClock::uncertainty_us() const {
  if (!reference_) return std::nullopt;
  return reference_->delay_us / 2;
}

std::optional<ClockJump> TrustedClock::add_sample(const TimeSample& sample) {
  std::optional<ClockJump> jump;
  if (reference_) {
    const std::int64_t predicted = to_utc_us(at(sample.local_monotonic_ns));
    const std::int64_t measured = to_utc_us(sample.trusted_receive());
    // Both readings carry up to half a round trip of error; only a disagreement beyond that is a jump.
    const std::int64_t tolerance = jump_threshold_.count() + (reference_->delay_us + sample.delay_us) / 2;
    if (std::llabs(measured - predicted) > tolerance) jump = ClockJump{sample.local_monotonic_ns, measured - predicted, sample.server};
  }
  samples_.push_back(sample);
  // After a jump the new time is the truth: start the window afresh from it.
  const auto first = jump ? samples_.end() - 1 : samples_.end() - static_cast<long>(std::min(samples_.size(), kWindow));
  reference_ = *std::min_element(first, samples_.end(), [](const TimeSample& a, const TimeSample& b) { return a.delay_us < b.delay_us; });
  return jump;
}

}  // namespace netsample::recorder
