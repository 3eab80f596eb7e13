// Art 75 periods against the official calendar. Each expectation was counted by hand on the calendar in
// ../shared/reference/holidays.md.
#include "netsample/workflow/calendar.h"

#include <gtest/gtest.h>

#include "testing.h"

namespace netsample::workflow {
namespace {

using namespace std::chrono;

CivilDate d(const char* text) { return *parse_date(text, "test"); }

class Periods : public ::testing::Test {
 protected:
  std::string due(const char* from, int days, PeriodRule rule = PeriodRule::rest_days_move) {
    auto period = compute_period(calendar_, d(from), days, rule);
    EXPECT_TRUE(period.ok()) << (period.ok() ? "" : period.error().describe());
    return period.ok() ? format_date(period->due) : "";
  }
  Calendar calendar_ = *Calendar::built_in();
};

TEST_F(Periods, Art75_WorkedExamplesFromTheIssue) {
  EXPECT_EQ(due("2026-09-22", 15), "2026-10-08");  // 10-07 is the last day of 国庆节
  EXPECT_EQ(due("2026-02-05", 15), "2026-02-24");  // 02-20 falls in 春节 (02-15..02-23)
  EXPECT_EQ(due("2026-11-06", 15), "2026-11-23");  // 11-21 is a Saturday
  EXPECT_EQ(due("2026-11-06", 15, PeriodRule::holidays_only), "2026-11-21");
}

TEST_F(Periods, Art75_StartDayIsNotCounted) {
  EXPECT_EQ(due("2026-03-02", 1), "2026-03-03");   // Monday + 1 = Tuesday
  EXPECT_EQ(due("2026-03-02", 0), "2026-03-02");
}

TEST_F(Periods, Art75_LastDayOnAMakeUpWorkingDayStays) {
  EXPECT_EQ(due("2026-02-21", 7), "2026-02-28");   // Saturday 02-28 is a 调休上班日
  EXPECT_EQ(due("2026-01-01", 3), "2026-01-04");   // Sunday 01-04 is a 调休上班日
  EXPECT_EQ(due("2025-09-13", 15), "2025-09-28");  // Sunday 09-28 is a 调休上班日
}

TEST_F(Periods, Art75_StrictModeMovesOnlyForOfficialHolidays) {
  EXPECT_EQ(due("2026-09-22", 15, PeriodRule::holidays_only), "2026-10-08");
  // Last day 2024-10-03 falls in 国庆节 (10-01..10-07): the first day after the holiday is 10-08.
  EXPECT_EQ(due("2024-09-23", 10, PeriodRule::holidays_only), "2024-10-08");
  // 2026-06-21 (Sun, 端午节) -> 06-22 Monday either way.
  EXPECT_EQ(due("2026-06-11", 10, PeriodRule::holidays_only), "2026-06-22");
  // A plain Sunday stays in strict mode.
  EXPECT_EQ(due("2026-03-01", 6, PeriodRule::holidays_only), "2026-03-07");
  EXPECT_EQ(due("2026-03-01", 6), "2026-03-09");
}

TEST_F(Periods, Art75_HolidayEndingOnAFridayRunsIntoTheWeekendByDefault) {
  // 2020 Spring Festival as extended: 01-24..02-02 (02-01 Sat was made a day off by the extension).
  EXPECT_EQ(due("2020-01-20", 10), "2020-02-03");
  // 2025-01-01 Wednesday holiday -> Thursday.
  EXPECT_EQ(due("2024-12-17", 15), "2025-01-02");
}

TEST_F(Periods, Art75_AcrossTheYearEnd) {
  EXPECT_EQ(due("2022-12-16", 15), "2023-01-03");  // 2022-12-31..2023-01-02 is 元旦 under 2023's notice
  EXPECT_EQ(due("2025-12-20", 15), "2026-01-04");  // Sunday 01-04 is a make-up working day: it stays
}

TEST_F(Periods, Art75_LongPeriodsOfTheRegulation) {
  EXPECT_EQ(due("2026-07-01", 60), "2026-08-31");  // Art 65 rectification: 08-30 is a Sunday
  EXPECT_EQ(due("2026-07-01", 75), "2026-09-14");  // Art 66: 09-14 Monday
}

TEST_F(Periods, Art75_PastTheCalendarADeadlineIsAProvisionalRangeNeverMissing) {
  // 2026-12-20 + 15 = 2027-01-04, a Monday after 元旦 (statutory: 01-01 only) in a year without its notice yet.
  auto period = compute_period(calendar_, d("2026-12-20"), 15, PeriodRule::rest_days_move);
  ASSERT_TRUE(period.ok()) << period.error().describe();
  EXPECT_TRUE(period->provisional);
  EXPECT_LE(format_date(period->due), "2027-01-04");
  EXPECT_GE(format_date(period->due_latest), "2027-01-04");
  EXPECT_EQ(format_date(period->due), "2027-01-04") << "a Monday may be a working day";
  EXPECT_EQ(format_date(period->due_latest), "2027-01-07") << "bridged to 元旦 (01-01) at most up to 5 days after it";
  EXPECT_NE(period->provisional_reason.find("2027"), std::string::npos) << period->provisional_reason;
  const auto json = period->to_json();
  EXPECT_EQ(json["provisional"], true);
  EXPECT_EQ(json["due_latest"], "2027-01-07");

  // A statutory holiday is a day off whatever the notice says: 2027-10-01..03 国庆节, 10-04 Monday may be bridged.
  auto national_day = *compute_period(calendar_, d("2027-09-01"), 30, PeriodRule::holidays_only);
  EXPECT_EQ(format_date(national_day.due), "2027-10-04");
  ASSERT_EQ(national_day.skipped.size(), 3u);
  EXPECT_EQ(national_day.skipped[0].reason, "国庆节（法定节假日）");

  // Far from any holiday a weekday is a working day under any notice: one day, still provisional.
  auto plain = *compute_period(calendar_, d("2027-03-01"), 9, PeriodRule::rest_days_move);
  EXPECT_EQ(format_date(plain.due), "2027-03-10");
  EXPECT_EQ(format_date(plain.due_latest), "2027-03-10");
  EXPECT_TRUE(plain.provisional);
}

TEST_F(Periods, Art75_LateDecemberOfTheLastYearLoadedIsNotFixedYet) {
  // 2023's notice began 元旦 on 2022-12-31: the next notice may still arrange the last days of 2026.
  auto period = *compute_period(calendar_, d("2026-12-01"), 26, PeriodRule::rest_days_move);  // 12-27, a Sunday
  EXPECT_TRUE(period.provisional);
  EXPECT_EQ(format_date(period.due), "2026-12-27") << "a Sunday near 元旦 may become a make-up working day";
  auto early = *compute_period(calendar_, d("2026-12-01"), 14, PeriodRule::rest_days_move);  // 12-15, a Tuesday
  EXPECT_FALSE(early.provisional);
  EXPECT_EQ(calendar_.fixed_until(), d("2026-12-17"));
}

TEST_F(Periods, Art75_TheProvisionalRangeHeldForEveryDayOfTheNoticesUnderThe2024Revision) {
  // With only the notices up to 2024, every last day in 2025 and 2026 computed from the law alone must contain the
  // one the 2025 and 2026 notices then fixed — the check of the model's reach (calendar.cc).
  const Calendar before = calendar_.before_year(2025);
  for (PeriodRule rule : {PeriodRule::rest_days_move, PeriodRule::holidays_only}) {
    for (sys_days day{d("2025-01-01")}; day <= sys_days{d("2026-12-17")}; day += days{1}) {
      auto known = compute_period(calendar_, CivilDate{day}, 0, rule);
      auto guessed = compute_period(before, CivilDate{day}, 0, rule);
      ASSERT_TRUE(known.ok() && guessed.ok()) << format_date(CivilDate{day});
      ASSERT_FALSE(known->provisional);
      ASSERT_TRUE(guessed->provisional);
      ASSERT_LE(sys_days{guessed->due}, sys_days{known->due}) << format_date(CivilDate{day}) << " earliest " << format_date(guessed->due);
      ASSERT_GE(sys_days{guessed->due_latest}, sys_days{known->due}) << format_date(CivilDate{day}) << " latest " << format_date(guessed->due_latest);
    }
  }
}

TEST_F(Periods, BeyondTheStatutoryTableIsAnExplicitError) {
  auto period = compute_period(calendar_, d("2030-12-20"), 15, PeriodRule::rest_days_move);
  ASSERT_FALSE(period.ok());
  EXPECT_EQ(period.error().code, ErrorCode::not_found) << "missing data, not a rule of the regulation";
  EXPECT_EQ(period.error().article, 75);
  EXPECT_NE(period.error().message.find("2031"), std::string::npos) << period.error().message;
  EXPECT_FALSE(compute_period(calendar_, d("2019-12-01"), 1, PeriodRule::rest_days_move).ok());
}

TEST_F(Periods, SkippedDaysAreExplained) {
  auto period = *compute_period(calendar_, d("2026-09-22"), 15, PeriodRule::rest_days_move);
  EXPECT_EQ(format_date(period.nominal_end), "2026-10-07");
  ASSERT_EQ(period.skipped.size(), 1u);
  EXPECT_EQ(period.skipped[0].reason, "国庆节");
  EXPECT_EQ(period.to_json()["due"], "2026-10-08");
  EXPECT_EQ(period.to_json()["provisional"], false);
}

TEST(Calendar, OperatorAddsAYearWithoutRebuilding) {
  testing::TempDir dir;
  testing::write_text(dir / "calendar.json", R"({"years": [{"year": 2027, "source": "test notice",
      "holidays": [{"name": "元旦", "from": "2027-01-01", "to": "2027-01-03"}], "workdays": []}]})");
  auto calendar = Calendar::load(dir.path());
  ASSERT_TRUE(calendar.ok()) << calendar.error().describe();
  auto period = compute_period(*calendar, d("2026-12-20"), 13, PeriodRule::rest_days_move);
  ASSERT_TRUE(period.ok()) << period.error().describe();
  EXPECT_EQ(format_date(period->due), "2027-01-04");
}

TEST(Calendar, ANoticeImportedByAnOperatorIsChecked) {
  const Calendar calendar = *Calendar::built_in();
  const CivilDate today = d("2026-12-05");
  auto year = [](const char* holidays, const char* extra = "") {
    return *Calendar::parse(std::string(R"({"years": [{"year": 2027, "source": "s", )") + extra + R"("holidays": [)" + holidays +
                                R"(], "workdays": ["2027-02-20"]}]})",
                            "2027.json");
  };
  const char* complete = R"({"name": "元旦", "from": "2027-01-01", "to": "2027-01-01"}, {"name": "春节", "from": "2027-02-05", "to": "2027-02-12"},
      {"name": "清明节", "from": "2027-04-03", "to": "2027-04-05"}, {"name": "劳动节", "from": "2027-05-01", "to": "2027-05-05"},
      {"name": "端午节", "from": "2027-06-09", "to": "2027-06-09"}, {"name": "中秋节", "from": "2027-09-15", "to": "2027-09-15"},
      {"name": "国庆节", "from": "2027-10-01", "to": "2027-10-07"})";
  const char* notice = R"("notice": "国务院办公厅关于2027年部分节假日安排的通知", "published": "2026-11-20", )";
  EXPECT_TRUE(calendar.check_notice(year(complete, notice)[0], today, "2027.json").ok());

  Status no_notice = calendar.check_notice(year(complete)[0], today, "2027.json");
  ASSERT_FALSE(no_notice.ok());
  EXPECT_EQ(no_notice.error().field, "2027.json.years[2027].notice");
  Status future = calendar.check_notice(
      year(complete, R"("notice": "x", "published": "2026-12-24", )")[0], today, "2027.json");
  EXPECT_EQ(future.error().field, "2027.json.years[2027].published");
  // 端午节 missing: 2027-06-09 is a statutory day off.
  std::string without_dragon_boat = complete;
  without_dragon_boat.replace(without_dragon_boat.find("2027-06-09"), 10, "2027-06-10").replace(without_dragon_boat.find("2027-06-09"), 10, "2027-06-10");
  Status missing = calendar.check_notice(year(without_dragon_boat.c_str(), notice)[0], today, "2027.json");
  ASSERT_FALSE(missing.ok());
  EXPECT_EQ(missing.error().field, "2027.json.years[2027].holidays");
  EXPECT_NE(missing.error().message.find("2027-06-09"), std::string::npos) << missing.error().message;
}

TEST(Calendar, BadDataNamesTheField) {
  Calendar calendar = *Calendar::built_in();
  Status weekday_workday = calendar.merge(R"({"years": [{"year": 2027, "source": "x", "holidays": [], "workdays": ["2027-01-05"]}]})", "c.json");
  ASSERT_FALSE(weekday_workday.ok());
  EXPECT_EQ(weekday_workday.error().field, "c.json.years[0].workdays");
  Status bad_date = calendar.merge(R"({"years": [{"year": 2027, "source": "x", "holidays": [{"name": "a", "from": "2027-02-30", "to": "2027-03-01"}], "workdays": []}]})", "c.json");
  EXPECT_EQ(bad_date.error().code, ErrorCode::invalid_input);
}

TEST(Calendar, EveryShippedYearHasItsSource) {
  const Calendar calendar = *Calendar::built_in();
  EXPECT_EQ(calendar.years(), (std::vector<int>{2020, 2021, 2022, 2023, 2024, 2025, 2026}));
  for (int year : calendar.years()) EXPECT_FALSE(calendar.source(year).empty());
  EXPECT_NE(calendar.source(2020).find("国办发明电〔2020〕1号"), std::string::npos);
}

}  // namespace
}  // namespace netsample::workflow
