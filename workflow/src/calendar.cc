#include "netsample/workflow/calendar.h"

#include <algorithm>

#include "netsample/core/file_io.h"
#include "netsample/core/json_fields.h"

namespace netsample::embedded {
extern const std::string_view calendar_json;
extern const std::string_view statutory_holidays_json;
}

namespace netsample::workflow {
namespace {

using namespace std::chrono;

// How far from a statutory holiday a notice has moved days, in every notice under the 2024 revision (2025, 2026;
// tests/workflow/calendar_test.cc checks both): a weekend made a make-up working day lies within 14 days of a
// statutory day (2026-09-20 before 国庆节: 11), a weekday bridged into a holiday within 5 (2026-02-20 after 春节).
constexpr days kMakeUpReach{14};
constexpr days kBridgeReach{5};

const char* weekday_name(CivilDate day) {
  static const char* const kNames[] = {"周日", "周一", "周二", "周三", "周四", "周五", "周六"};
  return kNames[weekday{sys_days{day}}.c_encoding()];
}

bool is_weekend(CivilDate day) {
  const weekday w{sys_days{day}};
  return w == Saturday || w == Sunday;
}

CivilDate plus(CivilDate day, days n) { return CivilDate{sys_days{day} + n}; }

Result<std::map<int, std::map<CivilDate, std::string>>> parse_statutory(std::string_view text) {
  const std::string source = "data/statutory_holidays.json";
  NETSAMPLE_ASSIGN(nlohmann::json root, parse_json(text, source));
  NETSAMPLE_ASSIGN(JsonFields top, JsonFields::of(root, source));
  (void)top.optional_text("_comment");
  (void)top.optional_text("law");
  (void)top.optional_text("source");
  NETSAMPLE_ASSIGN(const nlohmann::json* list, top.raw("years"));
  if (!list->is_array()) return make_error(ErrorCode::wrong_type, top.path_of("years"), "类型应为数组");
  NETSAMPLE_TRY(top.reject_unknown_keys());
  std::map<int, std::map<CivilDate, std::string>> out;
  for (size_t i = 0; i < list->size(); ++i) {
    NETSAMPLE_ASSIGN(JsonFields entry, JsonFields::of((*list)[i], top.path_of("years") + "[" + std::to_string(i) + "]"));
    NETSAMPLE_ASSIGN(std::int64_t number, entry.integer("year", 2025, 2200));
    const int y = static_cast<int>(number);
    auto date_of = [&](const char* key) -> Result<CivilDate> {
      NETSAMPLE_ASSIGN(std::string text_value, entry.text(key));
      NETSAMPLE_ASSIGN(CivilDate day, parse_date(text_value, entry.path_of(key)));
      return day;
    };
    NETSAMPLE_ASSIGN(CivilDate eve, date_of("new_years_eve"));
    NETSAMPLE_ASSIGN(CivilDate qingming, date_of("qingming"));
    NETSAMPLE_ASSIGN(CivilDate dragon_boat, date_of("dragon_boat"));
    NETSAMPLE_ASSIGN(CivilDate mid_autumn, date_of("mid_autumn"));
    NETSAMPLE_TRY(entry.reject_unknown_keys());
    // 《全国年节及纪念日放假办法》 art. 2 as revised in 2024.
    auto& days_off = out[y];
    days_off[CivilDate{year{y} / 1 / 1}] = "元旦";
    for (int i2 = 0; i2 < 4; ++i2) days_off[plus(eve, days{i2})] = "春节";
    days_off[qingming] = "清明节";
    days_off[CivilDate{year{y} / 5 / 1}] = days_off[CivilDate{year{y} / 5 / 2}] = "劳动节";
    days_off[dragon_boat] = "端午节";
    days_off[mid_autumn] = "中秋节";
    for (unsigned d = 1; d <= 3; ++d) days_off[CivilDate{year{y} / 10 / d}] = "国庆节";
  }
  return out;
}

}  // namespace

Result<Calendar> Calendar::built_in() {
  Calendar calendar;
  NETSAMPLE_ASSIGN(calendar.statutory_, parse_statutory(embedded::statutory_holidays_json));
  NETSAMPLE_TRY(calendar.merge(embedded::calendar_json, "data/calendar.json"));
  return calendar;
}

Result<Calendar> Calendar::load(const std::filesystem::path& data_dir) {
  NETSAMPLE_ASSIGN(Calendar calendar, built_in());
  const auto local = data_dir / "calendar.json";
  NETSAMPLE_ASSIGN(std::optional<std::string> text, read_file_if_exists(local));
  if (text) NETSAMPLE_TRY(calendar.merge(*text, local.string()));
  return calendar;
}

Result<std::vector<CalendarYear>> Calendar::parse(std::string_view json_text, std::string_view source) {
  NETSAMPLE_ASSIGN(nlohmann::json root, parse_json(json_text, source));
  NETSAMPLE_ASSIGN(JsonFields top, JsonFields::of(root, std::string(source)));
  (void)top.optional_text("_comment");
  NETSAMPLE_ASSIGN(const nlohmann::json* list, top.raw("years"));
  if (!list->is_array()) return make_error(ErrorCode::wrong_type, top.path_of("years"), "类型应为数组");
  NETSAMPLE_TRY(top.reject_unknown_keys());

  std::vector<CalendarYear> parsed;
  std::set<int> seen;
  for (size_t i = 0; i < list->size(); ++i) {
    NETSAMPLE_ASSIGN(JsonFields entry, JsonFields::of((*list)[i], top.path_of("years") + "[" + std::to_string(i) + "]"));
    NETSAMPLE_ASSIGN(std::int64_t number, entry.integer("year", 1949, 2200));
    CalendarYear year;
    year.year = static_cast<int>(number);
    if (!seen.insert(year.year).second)
      return make_error(ErrorCode::duplicate, entry.path_of("year"), std::to_string(year.year) + " 年出现了两次");
    NETSAMPLE_ASSIGN(year.source, entry.text("source"));
    NETSAMPLE_ASSIGN(auto notice, entry.optional_text("notice"));
    NETSAMPLE_ASSIGN(auto published, entry.optional_text("published"));
    year.notice = notice.value_or("");
    if (published) {
      NETSAMPLE_ASSIGN(CivilDate day, parse_date(*published, entry.path_of("published")));
      year.published = format_date(day);
    }
    NETSAMPLE_ASSIGN(const nlohmann::json* holidays, entry.raw("holidays"));
    if (!holidays->is_array()) return make_error(ErrorCode::wrong_type, entry.path_of("holidays"), "类型应为数组");
    for (size_t h = 0; h < holidays->size(); ++h) {
      NETSAMPLE_ASSIGN(JsonFields holiday, JsonFields::of((*holidays)[h], entry.path_of("holidays") + "[" + std::to_string(h) + "]"));
      NETSAMPLE_ASSIGN(std::string name, holiday.text("name"));
      NETSAMPLE_ASSIGN(std::string from_text, holiday.text("from"));
      NETSAMPLE_ASSIGN(std::string to_text, holiday.text("to"));
      NETSAMPLE_ASSIGN(CivilDate from, parse_date(from_text, holiday.path_of("from")));
      NETSAMPLE_ASSIGN(CivilDate to, parse_date(to_text, holiday.path_of("to")));
      NETSAMPLE_TRY(holiday.reject_unknown_keys());
      if (to < from || sys_days{to} - sys_days{from} > days{31})
        return make_error(ErrorCode::invalid_input, holiday.path_of("to"), "假期须在 from 之后且不超过 31 天");
      // A notice arranges its own year, reaching back at most into the last days of the year before (2023's 元旦
      // began 2022-12-31).
      const sys_days first_day{CivilDate{std::chrono::year{year.year} / 1 / 1}};
      if (sys_days{from} < first_day - days{7} || static_cast<int>(to.year()) > year.year)
        return make_error(ErrorCode::invalid_input, holiday.path_of("from"),
                          from_text + " 至 " + to_text + " 不在 " + std::to_string(year.year) + " 年（或上年最后几天）");
      for (sys_days d{from}; d <= sys_days{to}; d += days{1}) year.holidays[CivilDate{d}] = name;
    }
    NETSAMPLE_ASSIGN(const nlohmann::json* workdays, entry.raw("workdays"));
    if (!workdays->is_array()) return make_error(ErrorCode::wrong_type, entry.path_of("workdays"), "类型应为日期数组");
    for (const auto& value : *workdays) {
      if (!value.is_string()) return make_error(ErrorCode::wrong_type, entry.path_of("workdays"), "类型应为日期数组");
      NETSAMPLE_ASSIGN(CivilDate day, parse_date(value.get<std::string>(), entry.path_of("workdays")));
      if (!is_weekend(day))
        return make_error(ErrorCode::invalid_input, entry.path_of("workdays"), value.get<std::string>() + " 不是周末，不能是调休上班日");
      if (year.holidays.count(day))
        return make_error(ErrorCode::invalid_input, entry.path_of("workdays"), value.get<std::string>() + " 同时列为假期和上班日");
      year.workdays.insert(day);
    }
    NETSAMPLE_TRY(entry.reject_unknown_keys());
    parsed.push_back(std::move(year));
  }
  return parsed;
}

Status Calendar::merge(std::string_view json_text, std::string_view source) {
  NETSAMPLE_ASSIGN(std::vector<CalendarYear> parsed, parse(json_text, source));
  for (auto& year : parsed) years_[year.year] = std::move(year);
  index();
  return {};
}

void Calendar::index() {
  all_holidays_.clear();
  all_workdays_.clear();
  for (const auto& [number, year] : years_) {
    all_holidays_.insert(year.holidays.begin(), year.holidays.end());
    all_workdays_.insert(year.workdays.begin(), year.workdays.end());
  }
}

Calendar Calendar::before_year(int year) const {
  Calendar out = *this;
  out.years_.erase(out.years_.lower_bound(year), out.years_.end());
  out.index();
  return out;
}

Status Calendar::check_notice(const CalendarYear& year, CivilDate today, std::string_view source) const {
  const std::string at = std::string(source) + ".years[" + std::to_string(year.year) + "]";
  if (year.notice.empty())
    return make_error(ErrorCode::missing_field, at + ".notice", "须写明该年安排所依据的国务院办公厅通知（标题或文号）");
  if (year.published.empty()) return make_error(ErrorCode::missing_field, at + ".published", "须写明通知的发布日期（YYYY-MM-DD）");
  if (year.published > format_date(today))
    return make_error(ErrorCode::invalid_input, at + ".published", "发布日期 " + year.published + " 晚于今天");
  if (year.published < std::to_string(year.year - 2) + "-01-01")
    return make_error(ErrorCode::invalid_input, at + ".published", "发布日期 " + year.published + " 不像是 " + std::to_string(year.year) + " 年安排的通知");
  // Whatever a notice arranges, the statutory holidays are days off (《全国年节及纪念日放假办法》 art. 2).
  for (const auto& [day, name] : statutory_holidays(year.year))
    if (!year.holidays.count(day))
      return make_error(ErrorCode::invalid_input, at + ".holidays",
                        format_date(day) + " 是" + name + "（法定节假日，《全国年节及纪念日放假办法》第二条），通知中却不是假日");
  return {};
}

std::map<CivilDate, std::string> Calendar::statutory_holidays(int year) const {
  auto it = statutory_.find(year);
  return it == statutory_.end() ? std::map<CivilDate, std::string>{} : it->second;
}

int Calendar::last_statutory_year() const { return statutory_.empty() ? 0 : statutory_.rbegin()->first; }

bool Calendar::fixed(CivilDate day) const {
  const int y = static_cast<int>(day.year());
  if (!years_.count(y)) return false;
  // The next year's notice may still bridge or swap days in late December (2023's began 2022-12-31).
  return years_.count(y + 1) || sys_days{day} < sys_days{CivilDate{year{y + 1} / 1 / 1}} - kMakeUpReach;
}

std::optional<CivilDate> Calendar::fixed_until() const {
  if (years_.empty()) return std::nullopt;
  int last = years_.begin()->first;
  while (years_.count(last + 1)) ++last;
  return CivilDate{sys_days{CivilDate{year{last + 1} / 1 / 1}} - kMakeUpReach - days{1}};
}

std::optional<std::string> Calendar::running_out(CivilDate today) const {
  const auto until = fixed_until();
  if (until && sys_days{today} < sys_days{*until} - days{60}) return std::nullopt;
  const int next = until ? static_cast<int>(until->year()) + 1 : static_cast<int>(today.year());
  return "节假日日历只确定到 " + (until ? format_date(*until) : std::string("（无）")) + "，" + std::to_string(next) +
         " 年的国务院办公厅节假日安排通知尚未导入：此后届满的期限为暂定（按法定节假日与周末推算的最早与最晚日，第75条）；"
         "通知公布后用 netsample calendar add --file " + std::to_string(next) + ".json 导入";
}

Result<DayStatus> Calendar::day_status(CivilDate day, PeriodRule rule) const {
  DayStatus status;
  const bool weekend = is_weekend(day);
  if (auto it = all_holidays_.find(day); it != all_holidays_.end()) {
    status.surely_off = status.possibly_off = true;
    status.reason = it->second;
    return status;
  }
  if (all_workdays_.count(day)) return status;
  if (fixed(day)) {
    status.surely_off = status.possibly_off = rule == PeriodRule::rest_days_move && weekend;
    if (status.surely_off) status.reason = weekday_name(day);
    return status;
  }

  // Not fixed by a notice: the statutory holidays are days off whatever it says; near them a weekend may become a
  // make-up working day and a weekday may be bridged into the holiday.
  status.fixed = false;
  const int y = static_cast<int>(day.year());
  const int notice_year = years_.count(y) ? y + 1 : y;  // late December: the next year's notice
  status.notice_year = notice_year;
  std::map<CivilDate, std::string> statutory;
  for (int near = y - 1; near <= y + 1; ++near) {
    if (!statutory_.count(near) && near >= notice_year) {
      std::string covered;
      for (int loaded : years()) covered += (covered.empty() ? "" : "、") + std::to_string(loaded);
      return make_error(ErrorCode::not_found, "calendar",
                        "节假日日历未包含 " + std::to_string(near) + " 年（已有：" + covered + "），法定节假日的农历日期表只到 " +
                            std::to_string(last_statutory_year()) + " 年，无法推算 " + format_date(day) +
                            "；请用 netsample calendar add 导入该年的国务院办公厅通知",
                        75);
    }
    const auto days_off = statutory_holidays(near);
    statutory.insert(days_off.begin(), days_off.end());
  }
  const std::string pending = "（" + std::to_string(notice_year) + " 年安排未公布：";
  if (auto it = statutory.find(day); it != statutory.end()) {
    status.surely_off = status.possibly_off = true;
    status.reason = it->second + "（法定节假日）";
    return status;
  }
  auto within = [&](days reach) {
    auto it = statutory.lower_bound(CivilDate{sys_days{day} - reach});
    return it != statutory.end() && sys_days{it->first} <= sys_days{day} + reach;
  };
  if (weekend && rule == PeriodRule::rest_days_move) {
    status.possibly_off = true;
    status.surely_off = !within(kMakeUpReach);
    status.reason = std::string(weekday_name(day)) + (status.surely_off ? "" : pending + "可能调休上班）");
  } else if (within(kBridgeReach)) {
    status.possibly_off = true;
    status.reason = std::string(weekday_name(day)) + pending + "可能连休放假）";
  }
  return status;
}

std::vector<int> Calendar::years() const {
  std::vector<int> out;
  for (const auto& [number, year] : years_) out.push_back(number);
  return out;
}

Result<Period> compute_period(const Calendar& calendar, CivilDate from, int count, PeriodRule rule) {
  if (count < 0 || count > 3660)
    return make_error(ErrorCode::invalid_input, "days", "期间天数须在 0 到 3660 之间");
  Period period;
  period.from = from;
  period.days = count;
  period.rule = rule;
  period.nominal_end = plus(from, days{count});
  std::set<int> pending_years;
  bool earliest_found = false;
  // The earliest last day is the first day that may be a working day, the latest the first that surely is one.
  // No holiday and its bridges run for 60 days: the bound only keeps a corrupt calendar from looping.
  for (sys_days day{period.nominal_end}; day < sys_days{period.nominal_end} + days{60}; day += days{1}) {
    NETSAMPLE_ASSIGN(DayStatus status, calendar.day_status(CivilDate{day}, rule));
    if (!status.fixed) pending_years.insert(status.notice_year);
    if (!earliest_found) {
      if (status.surely_off) period.skipped.push_back({CivilDate{day}, status.reason});
      else {
        period.due = CivilDate{day};
        earliest_found = true;
      }
    }
    if (status.possibly_off && !status.surely_off) period.uncertain.push_back({CivilDate{day}, status.reason});
    if (!status.possibly_off) {
      period.due_latest = CivilDate{day};
      period.provisional = !pending_years.empty();
      if (period.provisional) {
        std::string list;
        for (int y : pending_years) list += (list.empty() ? "" : "、") + std::to_string(y);
        period.provisional_reason = "暂定：届满日落在节假日安排尚未公布的日子（" + list + " 年），按法定节假日与周末推算为 " +
                                    format_date(period.due) + (period.due == period.due_latest ? "" : " 至 " + format_date(period.due_latest)) +
                                    "；导入该年的国务院办公厅通知后确定";
      }
      return period;
    }
  }
  return make_error(ErrorCode::internal, "calendar", "自 " + format_date(period.nominal_end) + " 起 60 日都不是工作日：节假日日历有误", 75);
}

nlohmann::json Period::to_json() const {
  auto list = [](const std::vector<SkippedDay>& days_list) {
    nlohmann::json out = nlohmann::json::array();
    for (const auto& s : days_list) out.push_back({{"date", format_date(s.day)}, {"reason", s.reason}});
    return out;
  };
  nlohmann::json out = {{"from", format_date(from)},
                        {"days", days},
                        {"rule", rule == PeriodRule::rest_days_move ? "default" : "strict"},
                        {"nominal_end", format_date(nominal_end)},
                        {"due", format_date(due)},
                        {"provisional", provisional},
                        {"skipped", list(skipped)},
                        {"article", 75}};
  if (provisional) {
    out["due_latest"] = format_date(due_latest);
    out["uncertain"] = list(uncertain);
    out["provisional_reason"] = provisional_reason;
  }
  return out;
}

}  // namespace netsample::workflow
