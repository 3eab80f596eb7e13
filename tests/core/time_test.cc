#include "netsample/core/time.h"

#include <gtest/gtest.h>

namespace netsample {
namespace {

using namespace std::chrono;

UtcTime utc(int y, unsigned m, unsigned d, int hh, int mm, int ss, int us = 0) {
  return UtcTime{sys_days{year{y} / month{m} / day{d}} + hours{hh} + minutes{mm} + seconds{ss} + microseconds{us}};
}

TEST(Time, FormatsBeijingTimeWithZoneAndMilliseconds) {
  EXPECT_EQ(format_beijing(utc(2026, 11, 24, 1, 30, 0, 123456)), "2026-11-24 09:30:00.123 +08:00");
}

TEST(Time, BeijingDayChangesAtSixteenUtc) {
  EXPECT_EQ(format_beijing(utc(2026, 12, 31, 16, 0, 0)), "2027-01-01 00:00:00.000 +08:00");
  EXPECT_EQ(beijing_date(utc(2026, 12, 31, 15, 59, 59)), year{2026} / 12 / 31);
  EXPECT_EQ(beijing_date(utc(2026, 12, 31, 16, 0, 0)), year{2027} / 1 / 1);
  EXPECT_EQ(beijing_midnight(year{2027} / 1 / 1), utc(2026, 12, 31, 16, 0, 0));
}

TEST(Time, Iso8601RoundTripsToTheMicrosecond) {
  const UtcTime t = utc(2026, 2, 28, 23, 59, 59, 999999);
  EXPECT_EQ(format_iso8601_beijing(t), "2026-03-01T07:59:59.999999+08:00");
  auto back = parse_iso8601(format_iso8601_beijing(t), "t");
  ASSERT_TRUE(back.ok()) << back.error().describe();
  EXPECT_EQ(*back, t);
}

TEST(Time, ParsesZuluAndOffsets) {
  EXPECT_EQ(*parse_iso8601("2026-11-24T01:30:00Z", "t"), utc(2026, 11, 24, 1, 30, 0));
  EXPECT_EQ(*parse_iso8601("2026-11-24T09:30:00+08:00", "t"), utc(2026, 11, 24, 1, 30, 0));
  EXPECT_EQ(*parse_iso8601("2026-11-24 09:30:00.5+08:00", "t"), utc(2026, 11, 24, 1, 30, 0, 500000));
  EXPECT_EQ(*parse_iso8601("2026-11-23T20:30:00-05:00", "t"), utc(2026, 11, 24, 1, 30, 0));
}

TEST(Time, RejectsAmbiguousOrImpossibleInput) {
  for (const char* bad : {"2026-11-24T09:30:00",         // no zone: ambiguous
                          "2026-11-24",                  // date only
                          "2026-11-24T09:30Z",           // no seconds
                          "2026-02-30T00:00:00Z",        // no such day
                          "2026-11-24T24:00:00Z",        // hour 24
                          "2026-12-31T23:59:60Z",        // leap second
                          "2026-11-24T09:30:00.1234567Z",  // precision would be lost
                          "2026-11-24T09:30:00+0800",    // basic-format offset
                          "26-11-24T09:30:00Z", "2026-11-24T09:30:00Zjunk", ""}) {
    auto parsed = parse_iso8601(bad, "paid_at");
    EXPECT_FALSE(parsed.ok()) << bad;
    if (!parsed.ok()) {
      EXPECT_EQ(parsed.error().field, "paid_at");
      EXPECT_EQ(parsed.error().code, ErrorCode::invalid_input);
    }
  }
}

TEST(Time, ParseDateIsStrict) {
  EXPECT_EQ(*parse_date("2024-02-29", "d"), year{2024} / 2 / 29);
  EXPECT_FALSE(parse_date("2023-02-29", "d").ok());
  EXPECT_FALSE(parse_date("2023-2-28", "d").ok());
  EXPECT_FALSE(parse_date("2023-02-28T00:00:00Z", "d").ok());
  EXPECT_EQ(format_date(year{2026} / 1 / 4), "2026-01-04");
}

TEST(Time, AddYearsClampsLeapDay) {
  EXPECT_EQ(add_years(year{2024} / 2 / 29, 6), year{2030} / 2 / 28);
  EXPECT_EQ(add_years(year{2026} / 11 / 24, 6), year{2032} / 11 / 24);
}

TEST(Time, ManualClockMovesOnlyWhenTold) {
  ManualClock clock(utc(2026, 1, 1, 0, 0, 0));
  EXPECT_EQ(clock.now(), utc(2026, 1, 1, 0, 0, 0));
  clock.advance(hours{25});
  EXPECT_EQ(clock.now(), utc(2026, 1, 2, 1, 0, 0));
}

TEST(Time, UtcMicrosecondsRoundTrip) {
  const UtcTime t = utc(1999, 12, 31, 23, 59, 59, 7);
  EXPECT_EQ(from_utc_us(to_utc_us(t)), t);
}

}  // namespace
}  // namespace netsample
