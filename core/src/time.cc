#include "netsample/core/time.h"

#include <cstdio>

namespace netsample {
namespace {

using namespace std::chrono;

Error time_error(std::string_view field, std::string_view text, std::string rule) {
  // Appended, not `a + b + c`: GCC 12's -Wrestrict misfires inside std::string operator+ at -O2/-O3.
  std::string message = "\"";
  message.append(text).append("\" 不是有效的时间：").append(rule);
  return make_error(ErrorCode::invalid_input, std::string(field), std::move(message));
}

// Reads exactly `width` decimal digits at text[pos]; false if any is not a digit.
bool read_digits(std::string_view text, size_t pos, size_t width, int& out) {
  if (pos + width > text.size()) return false;
  int value = 0;
  for (size_t i = pos; i < pos + width; ++i) {
    if (text[i] < '0' || text[i] > '9') return false;
    value = value * 10 + (text[i] - '0');
  }
  out = value;
  return true;
}

// Parses "YYYY-MM-DD" at the start of text into a valid date.
bool read_date(std::string_view text, CivilDate& date) {
  int y = 0, m = 0, d = 0;
  if (text.size() < 10 || text[4] != '-' || text[7] != '-') return false;
  if (!read_digits(text, 0, 4, y) || !read_digits(text, 5, 2, m) || !read_digits(text, 8, 2, d)) return false;
  date = year{y} / month{static_cast<unsigned>(m)} / day{static_cast<unsigned>(d)};
  return date.ok();
}

std::string two_digits(unsigned v) {
  char buf[16];
  std::snprintf(buf, sizeof buf, "%02u", v);
  return buf;
}

struct BrokenDown {
  CivilDate date;
  hh_mm_ss<microseconds> tod{microseconds{0}};
};

BrokenDown beijing_parts(UtcTime t) {
  const auto local = t + kBeijingOffset;
  const auto day_start = floor<days>(local);
  return {CivilDate{day_start}, hh_mm_ss<microseconds>{local - day_start}};
}

std::string clock_text(const hh_mm_ss<microseconds>& tod) {
  return two_digits(static_cast<unsigned>(tod.hours().count())) + ":" +
         two_digits(static_cast<unsigned>(tod.minutes().count())) + ":" +
         two_digits(static_cast<unsigned>(tod.seconds().count()));
}

}  // namespace

std::int64_t to_utc_us(UtcTime t) { return t.time_since_epoch().count(); }
UtcTime from_utc_us(std::int64_t utc_us) { return UtcTime{microseconds{utc_us}}; }

std::string format_date(CivilDate date) {
  char buf[48];
  std::snprintf(buf, sizeof buf, "%04d-%02u-%02u", static_cast<int>(date.year()),
                static_cast<unsigned>(date.month()), static_cast<unsigned>(date.day()));
  return buf;
}

std::string format_beijing(UtcTime t) {
  const auto parts = beijing_parts(t);
  char millis[24];
  std::snprintf(millis, sizeof millis, "%03lld",
                static_cast<long long>(duration_cast<milliseconds>(parts.tod.subseconds()).count()));
  return format_date(parts.date) + " " + clock_text(parts.tod) + "." + millis + " +08:00";
}

std::string format_iso8601_beijing(UtcTime t) {
  const auto parts = beijing_parts(t);
  char micros[24];
  std::snprintf(micros, sizeof micros, "%06lld", static_cast<long long>(parts.tod.subseconds().count()));
  return format_date(parts.date) + "T" + clock_text(parts.tod) + "." + micros + "+08:00";
}

Result<UtcTime> parse_iso8601(std::string_view text, std::string_view field) {
  CivilDate date;
  if (!read_date(text, date)) return time_error(field, text, "日期须为 YYYY-MM-DD 且为真实日期");
  if (text.size() == 10) return time_error(field, text, "只有日期没有时刻，请写出时刻和时区，如 2026-11-24T09:30:00+08:00");
  if (text[10] != 'T' && text[10] != ' ') return time_error(field, text, "日期与时刻之间须为 T");
  int hh = 0, mm = 0, ss = 0;
  if (text.size() < 19 || text[13] != ':' || text[16] != ':' || !read_digits(text, 11, 2, hh) ||
      !read_digits(text, 14, 2, mm) || !read_digits(text, 17, 2, ss))
    return time_error(field, text, "时刻须为 HH:MM:SS（含秒）");
  if (hh > 23 || mm > 59 || ss > 59) return time_error(field, text, "时刻超出范围（不接受闰秒 60）");
  size_t pos = 19;
  microseconds fraction{0};
  if (pos < text.size() && (text[pos] == '.' || text[pos] == ',')) {
    size_t digits = 0;
    std::int64_t value = 0;
    for (++pos; pos < text.size() && text[pos] >= '0' && text[pos] <= '9'; ++pos, ++digits) value = value * 10 + (text[pos] - '0');
    if (digits == 0 || digits > 6) return time_error(field, text, "秒的小数部分须为 1 到 6 位");
    for (size_t i = digits; i < 6; ++i) value *= 10;
    fraction = microseconds{value};
  }
  minutes offset{0};
  const std::string_view zone = text.substr(pos);
  if (zone == "Z" || zone == "z") {
    offset = minutes{0};
  } else if (zone.size() == 6 && (zone[0] == '+' || zone[0] == '-') && zone[3] == ':') {
    int oh = 0, om = 0;
    if (!read_digits(zone, 1, 2, oh) || !read_digits(zone, 4, 2, om) || oh > 14 || om > 59)
      return time_error(field, text, "时区偏移须为 ±HH:MM");
    offset = minutes{(zone[0] == '-' ? -1 : 1) * (oh * 60 + om)};
  } else if (zone.empty()) {
    return time_error(field, text, "缺少时区（Z 或 +08:00），无时区的时刻有歧义");
  } else {
    return time_error(field, text, "时区须为 Z 或 ±HH:MM");
  }
  const auto local = sys_days{date} + hours{hh} + minutes{mm} + seconds{ss} + fraction;
  return UtcTime{local - offset};
}

Result<CivilDate> parse_date(std::string_view text, std::string_view field) {
  CivilDate date;
  if (text.size() == 10 && read_date(text, date)) return date;
  std::string message = "\"";  // appended: see time_error
  message.append(text).append("\" 不是有效的日期：须为 YYYY-MM-DD 且为真实日期");
  return make_error(ErrorCode::invalid_input, std::string(field), std::move(message));
}

CivilDate beijing_date(UtcTime t) { return beijing_parts(t).date; }

UtcTime beijing_midnight(CivilDate date) { return UtcTime{sys_days{date} - kBeijingOffset}; }

CivilDate add_years(CivilDate date, int years) {
  CivilDate moved = (date.year() + std::chrono::years{years}) / date.month() / date.day();
  if (!moved.ok()) moved = moved.year() / moved.month() / last;
  return moved;
}

UtcTime SystemClock::now() const { return time_point_cast<microseconds>(system_clock::now()); }

}  // namespace netsample
