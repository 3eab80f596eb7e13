// Official non-working days and the period rule of Art 75 (with Civil Code art. 201).
// The calendar is data: data/calendar.json is compiled in, and <data dir>/calendar.json adds or replaces
// years without a rebuild. A day in a year the calendar does not cover is an error, never a guess.
#pragma once

#include <filesystem>
#include <map>
#include <set>
#include <string>
#include <string_view>
#include <vector>

#include <nlohmann/json.hpp>

#include "netsample/core/error.h"
#include "netsample/core/time.h"

namespace netsample::workflow {

enum class PeriodRule {
  // Default, as in administrative practice: a last day on an official holiday or an ordinary rest day
  // (a weekend day that is not a make-up working day) moves to the next working day.
  rest_days_move,
  // Strict reading of Art 75: only official holidays move the last day.
  holidays_only,
};

class Calendar {
 public:
  static Result<Calendar> built_in();
  // built_in() overlaid with <data_dir>/calendar.json when that file exists.
  static Result<Calendar> load(const std::filesystem::path& data_dir);
  // Adds the years of a calendar.json text; a year already present is replaced whole.
  Status merge(std::string_view json_text, std::string_view source);

  // Why the day is not a working day under the rule ("国庆节", "周六"), or empty if it is one.
  // Error (refused_by_rule, Art 75) when the day's year is not covered.
  Result<std::string> non_working_reason(CivilDate day, PeriodRule rule) const;

  std::vector<int> years() const;
  const std::string& source(int year) const { return years_.at(year).source; }

 private:
  struct Year {
    std::string source;
    std::map<CivilDate, std::string> holidays;  // day -> holiday name
    std::set<CivilDate> workdays;                // make-up working days
  };
  std::map<int, Year> years_;
  // Holidays listed under a neighbouring year's notice (2023's 元旦 begins 2022-12-31).
  std::map<CivilDate, std::string> all_holidays_;
  std::set<CivilDate> all_workdays_;
};

struct SkippedDay {
  CivilDate day;
  std::string reason;
};

struct Period {
  CivilDate from;       // the triggering day (not counted)
  int days = 0;
  CivilDate nominal_end;  // from + days
  CivilDate due;          // the last day, after moving over non-working days
  PeriodRule rule = PeriodRule::rest_days_move;
  std::vector<SkippedDay> skipped;
  nlohmann::json to_json() const;
};

// Art 75: "N 日" are natural days; the start day is not counted (Civil Code art. 201); a last day that is
// not a working day (per rule) moves to the next working day.
Result<Period> compute_period(const Calendar& calendar, CivilDate from, int days, PeriodRule rule);

}  // namespace netsample::workflow
