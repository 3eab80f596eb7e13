// Official non-working days and the period rule of Art 75 (with Civil Code art. 201).
// The calendar is data: data/calendar.json (the State Council's yearly notices) is compiled in, and
// <data dir>/calendar.json adds or replaces years without a rebuild (`netsample calendar add`).
// A day no loaded notice fixes yet — a year without its notice, or late December of the last year loaded, which
// the next year's notice may still arrange — is never guessed: from the statutory holidays of that year
// (data/statutory_holidays.json) and the weekends, a period ending there gets the earliest and the latest day it
// can end on, marked provisional, until the year's notice is added.
#pragma once

#include <filesystem>
#include <map>
#include <optional>
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

// What the calendar knows of one day under a rule.
struct DayStatus {
  bool fixed = true;          // a loaded notice fixes the day; false: only the law and the weekday are known
  bool surely_off = false;    // the last day of a period moves past it whatever the notice says
  bool possibly_off = false;  // it may move past it (a weekend that may become a make-up working day, a weekday
                              // that may be bridged into a holiday); equal to surely_off when fixed
  std::string reason;         // "国庆节", "周六", "周六（2027 年安排未公布：可能调休上班）"; empty for a working day
  int notice_year = 0;        // when not fixed: the year whose notice will fix it
};

// One year as a notice gives it, for `calendar add`'s checks and the audit.
struct CalendarYear {
  int year = 0;
  std::string source;
  std::string notice;     // the notice's title or number (required for a year added by an operator)
  std::string published;  // its date, YYYY-MM-DD
  std::map<CivilDate, std::string> holidays;  // day -> holiday name
  std::set<CivilDate> workdays;                // make-up working days
};

class Calendar {
 public:
  static Result<Calendar> built_in();
  // built_in() overlaid with <data_dir>/calendar.json when that file exists.
  static Result<Calendar> load(const std::filesystem::path& data_dir);
  // Adds the years of a calendar.json text; a year already present is replaced whole.
  Status merge(std::string_view json_text, std::string_view source);
  // The calendar as it stood before the notices of `year` and later were loaded.
  Calendar before_year(int year) const;
  // Reads the years of a calendar.json text without adding them (field errors named after `source`).
  static Result<std::vector<CalendarYear>> parse(std::string_view json_text, std::string_view source);
  // A year as an operator imports it: its notice and date given, every statutory holiday of the year a day off,
  // the notice published before `today`. Names the field and the rule.
  Status check_notice(const CalendarYear& year, CivilDate today, std::string_view source) const;

  Result<DayStatus> day_status(CivilDate day, PeriodRule rule) const;

  std::vector<int> years() const;
  const std::string& source(int year) const { return years_.at(year).source; }
  // The last day the loaded notices fix (the day before late December of the last year loaded, when the next
  // year's notice is not loaded): deadlines after it are provisional. nullopt when nothing is loaded.
  std::optional<CivilDate> fixed_until() const;
  // From 60 days before fixed_until(): says which year's notice to import and how; nullopt before.
  std::optional<std::string> running_out(CivilDate today) const;
  // The statutory holidays of a year under the 2024 revision (data/statutory_holidays.json), empty when the
  // table has no such year.
  std::map<CivilDate, std::string> statutory_holidays(int year) const;
  int last_statutory_year() const;

 private:
  bool fixed(CivilDate day) const;
  void index();
  std::map<int, CalendarYear> years_;
  // Holidays listed under a neighbouring year's notice (2023's 元旦 begins 2022-12-31).
  std::map<CivilDate, std::string> all_holidays_;
  std::set<CivilDate> all_workdays_;
  std::map<int, std::map<CivilDate, std::string>> statutory_;  // year -> statutory holidays
};

struct SkippedDay {
  CivilDate day;
  std::string reason;
};

struct Period {
  CivilDate from;       // the triggering day (not counted)
  int days = 0;
  CivilDate nominal_end;  // from + days
  CivilDate due;          // the last day, after moving over non-working days; when provisional, the earliest
  CivilDate due_latest;   // equal to due unless provisional: the latest the last day can be
  bool provisional = false;
  std::string provisional_reason;  // which year's notice is missing
  PeriodRule rule = PeriodRule::rest_days_move;
  std::vector<SkippedDay> skipped;    // days the last day surely moves over
  std::vector<SkippedDay> uncertain;  // days it may move over, once the notice is known
  nlohmann::json to_json() const;
};

// Art 75: "N 日" are natural days; the start day is not counted (Civil Code art. 201); a last day that is
// not a working day (per rule) moves to the next working day.
Result<Period> compute_period(const Calendar& calendar, CivilDate from, int days, PeriodRule rule);

}  // namespace netsample::workflow
