#include "netsample/workflow/calendar.h"

#include "netsample/core/file_io.h"
#include "netsample/core/json_fields.h"

namespace netsample::embedded {
extern const std::string_view calendar_json;
}

namespace netsample::workflow {
namespace {

using namespace std::chrono;

const char* weekday_name(CivilDate day) {
  static const char* const kNames[] = {"周日", "周一", "周二", "周三", "周四", "周五", "周六"};
  return kNames[weekday{sys_days{day}}.c_encoding()];
}

bool is_weekend(CivilDate day) {
  const weekday w{sys_days{day}};
  return w == Saturday || w == Sunday;
}

}  // namespace

Result<Calendar> Calendar::built_in() {
  Calendar calendar;
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

Status Calendar::merge(std::string_view json_text, std::string_view source) {
  NETSAMPLE_ASSIGN(nlohmann::json root, parse_json(json_text, source));
  NETSAMPLE_ASSIGN(JsonFields top, JsonFields::of(root, std::string(source)));
  (void)top.optional_text("_comment");
  NETSAMPLE_ASSIGN(const nlohmann::json* list, top.raw("years"));
  if (!list->is_array()) return make_error(ErrorCode::wrong_type, top.path_of("years"), "类型应为数组");
  NETSAMPLE_TRY(top.reject_unknown_keys());

  std::map<int, Year> parsed;
  for (size_t i = 0; i < list->size(); ++i) {
    NETSAMPLE_ASSIGN(JsonFields entry, JsonFields::of((*list)[i], top.path_of("years") + "[" + std::to_string(i) + "]"));
    NETSAMPLE_ASSIGN(std::int64_t number, entry.integer("year", 1949, 2200));
    Year year;
    NETSAMPLE_ASSIGN(year.source, entry.text("source"));
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
    parsed[static_cast<int>(number)] = std::move(year);
  }
  for (auto& [number, year] : parsed) years_[number] = std::move(year);
  all_holidays_.clear();
  all_workdays_.clear();
  for (const auto& [number, year] : years_) {
    all_holidays_.insert(year.holidays.begin(), year.holidays.end());
    all_workdays_.insert(year.workdays.begin(), year.workdays.end());
  }
  return {};
}

Result<std::string> Calendar::non_working_reason(CivilDate day, PeriodRule rule) const {
  const int year_number = static_cast<int>(day.year());
  if (!years_.count(year_number)) {
    std::string covered;
    for (int y : years()) covered += (covered.empty() ? "" : "、") + std::to_string(y);
    return make_error(ErrorCode::refused_by_rule, "calendar",
                      "节假日日历未包含 " + std::to_string(year_number) + " 年（已有：" + covered + "），无法确定 " + format_date(day) +
                          " 是否为工作日；请在数据目录的 calendar.json 中加入该年安排",
                      75);
  }
  if (auto it = all_holidays_.find(day); it != all_holidays_.end()) return it->second;
  if (rule == PeriodRule::rest_days_move && is_weekend(day) && !all_workdays_.count(day)) return std::string(weekday_name(day));
  return std::string();
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
  period.nominal_end = CivilDate{sys_days{from} + days{count}};
  for (sys_days day{period.nominal_end};; day += days{1}) {
    NETSAMPLE_ASSIGN(std::string reason, calendar.non_working_reason(CivilDate{day}, rule));
    if (reason.empty()) {
      period.due = CivilDate{day};
      return period;
    }
    period.skipped.push_back({CivilDate{day}, reason});
  }
}

nlohmann::json Period::to_json() const {
  nlohmann::json skipped_days = nlohmann::json::array();
  for (const auto& s : skipped) skipped_days.push_back({{"date", format_date(s.day)}, {"reason", s.reason}});
  return {{"from", format_date(from)},
          {"days", days},
          {"rule", rule == PeriodRule::rest_days_move ? "default" : "strict"},
          {"nominal_end", format_date(nominal_end)},
          {"due", format_date(due)},
          {"skipped", skipped_days},
          {"article", 75}};
}

}  // namespace netsample::workflow
