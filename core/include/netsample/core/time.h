// Time vocabulary. We store UTC (microseconds since the Unix epoch, `utc_us`) and show Beijing time
// (fixed UTC+8, China has no daylight saving) with the zone written out. Parsing is strict: an instant
// without an explicit zone is ambiguous and refused. Civil dates (deadlines, holidays) are plain
// year-month-day values in Beijing.
#pragma once

#include <chrono>
#include <cstdint>
#include <string>
#include <string_view>

#include "netsample/core/error.h"

namespace netsample {

using UtcTime = std::chrono::sys_time<std::chrono::microseconds>;
using CivilDate = std::chrono::year_month_day;

inline constexpr std::chrono::minutes kBeijingOffset{8 * 60};

std::int64_t to_utc_us(UtcTime t);
UtcTime from_utc_us(std::int64_t utc_us);

// "2026-11-24 09:30:00.123 +08:00": for people (CLI, documents).
std::string format_beijing(UtcTime t);
// "2026-11-24T09:30:00.123456+08:00": ISO-8601 for JSON output; parse_iso8601 reads it back exactly.
std::string format_iso8601_beijing(UtcTime t);

// Parses an ISO-8601 date-time in extended format with seconds and an explicit zone:
// "2026-11-24T01:30:00Z", "2026-11-24T09:30:00.5+08:00" (a space may stand for the T).
// Refuses: no zone (ambiguous), date only, missing seconds, leap second 60, impossible dates,
// more than 6 fractional digits (would silently lose precision). `field` names the input in errors.
Result<UtcTime> parse_iso8601(std::string_view text, std::string_view field);

// Strict "YYYY-MM-DD" (a real calendar day).
Result<CivilDate> parse_date(std::string_view text, std::string_view field);
std::string format_date(CivilDate date);

// The Beijing calendar day an instant falls on, and the instant Beijing midnight of a day begins.
CivilDate beijing_date(UtcTime t);
UtcTime beijing_midnight(CivilDate date);

// Adds whole calendar years; 29 February becomes 28 February in a year without it.
CivilDate add_years(CivilDate date, int years);

// The source of "now", injected so tests can move time (Moonfire's and LevelDB's Env idea).
class Clock {
 public:
  virtual ~Clock() = default;
  virtual UtcTime now() const = 0;
};

class SystemClock final : public Clock {
 public:
  UtcTime now() const override;
};

// A clock that stands still until set or advanced. Thread-compatible, not thread-safe.
class ManualClock final : public Clock {
 public:
  explicit ManualClock(UtcTime start) : now_(start) {}
  UtcTime now() const override { return now_; }
  void set(UtcTime t) { now_ = t; }
  void advance(std::chrono::microseconds d) { now_ += d; }

 private:
  UtcTime now_;
};

}  // namespace netsample
