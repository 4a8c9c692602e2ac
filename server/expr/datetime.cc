#include "server/expr/datetime.h"

#include <cmath>
#include <cstdlib>

#include "absl/strings/str_cat.h"
#include "absl/strings/str_format.h"
#include "absl/time/civil_time.h"

namespace fieldsync::expr {
namespace {

constexpr const char* kMonths[] = {"Jan", "Feb", "Mar", "Apr", "May", "Jun",
                                   "Jul", "Aug", "Sep", "Oct", "Nov", "Dec"};
constexpr const char* kWeekdays[] = {"Mon", "Tue", "Wed", "Thu", "Fri", "Sat", "Sun"};

bool IsDigit(char c) { return c >= '0' && c <= '9'; }

// Reads 1..max_digits digits (at least min_digits) at the front of *s.
bool ReadInt(absl::string_view* s, int min_digits, int max_digits, int* out) {
  int n = 0;
  int v = 0;
  while (n < static_cast<int>(s->size()) && n < max_digits && IsDigit((*s)[n])) {
    v = v * 10 + ((*s)[n] - '0');
    ++n;
  }
  if (n < min_digits) return false;
  s->remove_prefix(n);
  *out = v;
  return true;
}

bool Consume(absl::string_view* s, char c) {
  if (s->empty() || s->front() != c) return false;
  s->remove_prefix(1);
  return true;
}

bool ValidDate(int y, int m, int d) {
  if (y < 1 || y > 9999 || m < 1 || m > 12 || d < 1) return false;
  absl::CivilDay day(y, m, d);
  return day.year() == y && day.month() == m && day.day() == d;
}

// "Z", "+HH", "+HHMM", "+HH:MM" (or "-"), the whole of `s`.
bool ParseOffset(absl::string_view s, DateTime* dt) {
  if (s == "Z") {
    dt->has_offset = true;
    dt->offset_minutes = 0;
    return true;
  }
  if (s.empty() || (s[0] != '+' && s[0] != '-')) return false;
  const int sign = s[0] == '-' ? -1 : 1;
  s.remove_prefix(1);
  int hh = 0;
  int mm = 0;
  if (!ReadInt(&s, 2, 2, &hh)) return false;
  Consume(&s, ':');
  if (!s.empty() && !ReadInt(&s, 2, 2, &mm)) return false;
  if (!s.empty() || hh > 14 || mm > 59) return false;
  dt->has_offset = true;
  dt->offset_minutes = sign * (hh * 60 + mm);
  return true;
}

std::string OffsetText(int minutes) {
  const char sign = minutes < 0 ? '-' : '+';
  const int a = std::abs(minutes);
  return absl::StrFormat("%c%02d:%02d", sign, a / 60, a % 60);
}

}  // namespace

bool ParseTime(absl::string_view s, DateTime* dt) {
  int hh = 0;
  int mm = 0;
  int ss = 0;
  int millis = 0;
  if (!ReadInt(&s, 1, 2, &hh) || !Consume(&s, ':') || !ReadInt(&s, 2, 2, &mm)) return false;
  if (Consume(&s, ':')) {
    if (!ReadInt(&s, 2, 2, &ss)) return false;
    if (Consume(&s, '.')) {
      int digits = 0;
      while (!s.empty() && IsDigit(s.front())) {
        if (digits < 3) millis = millis * 10 + (s.front() - '0');
        ++digits;
        s.remove_prefix(1);
      }
      if (digits == 0) return false;
      for (int i = digits; i < 3; ++i) millis *= 10;
    }
  }
  if (hh > 23 || mm > 59 || ss > 59) return false;
  dt->has_time = true;
  dt->hour = hh;
  dt->minute = mm;
  dt->second = ss;
  dt->millis = millis;
  dt->has_offset = false;
  dt->offset_minutes = 0;
  return s.empty() || ParseOffset(s, dt);
}

std::optional<DateTime> ParseDateOrDateTime(absl::string_view s) {
  DateTime dt;
  if (!ReadInt(&s, 4, 4, &dt.year) || !Consume(&s, '-') || !ReadInt(&s, 1, 2, &dt.month) ||
      !Consume(&s, '-') || !ReadInt(&s, 1, 2, &dt.day)) {
    return std::nullopt;
  }
  if (!ValidDate(dt.year, dt.month, dt.day)) return std::nullopt;
  if (s.empty()) return dt;
  if (!Consume(&s, 'T') || !ParseTime(s, &dt)) return std::nullopt;
  return dt;
}

int64_t EpochDay(int year, int month, int day) {
  return absl::CivilDay(year, month, day) - absl::CivilDay(1970, 1, 1);
}

DateTime FromEpochDay(int64_t day) {
  const absl::CivilDay d = absl::CivilDay(1970, 1, 1) + day;
  DateTime dt;
  dt.year = static_cast<int>(d.year());
  dt.month = d.month();
  dt.day = d.day();
  return dt;
}

std::optional<DateTime> FromEpochDays(double days, bool keep_time, absl::TimeZone tz) {
  if (!(days >= static_cast<double>(kMinEpochDay) && days < static_cast<double>(kMaxEpochDay))) {
    return std::nullopt;
  }
  if (!keep_time) return FromEpochDay(static_cast<int64_t>(std::trunc(days)));
  const auto millis = static_cast<int64_t>(std::llround(days * 86'400'000.0));
  return FromInstant(absl::UnixEpoch() + absl::Milliseconds(millis), tz);
}

absl::Time ToInstant(const DateTime& dt, absl::TimeZone tz) {
  const absl::CivilSecond cs(dt.year, dt.month, dt.day, dt.hour, dt.minute, dt.second);
  absl::Time t;
  if (dt.has_offset) {
    t = absl::FromCivil(cs, absl::UTCTimeZone()) - absl::Minutes(dt.offset_minutes);
  } else {
    t = absl::FromCivil(cs, tz);
  }
  return t + absl::Milliseconds(dt.millis);
}

DateTime FromInstant(absl::Time t, absl::TimeZone tz) {
  const absl::TimeZone::CivilInfo info = tz.At(t);
  DateTime dt;
  dt.year = static_cast<int>(info.cs.year());
  dt.month = info.cs.month();
  dt.day = info.cs.day();
  dt.has_time = true;
  dt.hour = info.cs.hour();
  dt.minute = info.cs.minute();
  dt.second = info.cs.second();
  dt.millis = static_cast<int>(absl::ToInt64Milliseconds(info.subsecond));
  dt.has_offset = true;
  dt.offset_minutes = info.offset / 60;
  return dt;
}

double ToEpochDays(const DateTime& dt, absl::TimeZone tz) {
  if (!dt.has_time) return static_cast<double>(EpochDay(dt.year, dt.month, dt.day));
  return absl::ToDoubleMilliseconds(ToInstant(dt, tz) - absl::UnixEpoch()) / 86'400'000.0;
}

std::string FormatDate(const DateTime& dt) {
  return absl::StrFormat("%04d-%02d-%02d", dt.year, dt.month, dt.day);
}

std::string FormatDateTime(const DateTime& dt) {
  return absl::StrFormat("%04d-%02d-%02dT%02d:%02d:%02d.%03d%s", dt.year, dt.month, dt.day, dt.hour,
                         dt.minute, dt.second, dt.millis,
                         OffsetText(dt.has_offset ? dt.offset_minutes : 0));
}

absl::StatusOr<std::string> FormatPattern(const DateTime& dt, absl::string_view pattern) {
  std::string out;
  for (size_t i = 0; i < pattern.size(); ++i) {
    const char c = pattern[i];
    if (c != '%') {
      out.push_back(c);
      continue;
    }
    if (++i == pattern.size()) {
      return absl::InvalidArgumentError("date format ends with '%'");
    }
    switch (pattern[i]) {
      case '%':
        out.push_back('%');
        break;
      case 'Y':
        absl::StrAppendFormat(&out, "%04d", dt.year);
        break;
      case 'y':
        absl::StrAppendFormat(&out, "%02d", dt.year % 100);
        break;
      case 'm':
        absl::StrAppendFormat(&out, "%02d", dt.month);
        break;
      case 'n':
        absl::StrAppend(&out, dt.month);
        break;
      case 'b':
        out += kMonths[dt.month - 1];
        break;
      case 'd':
        absl::StrAppendFormat(&out, "%02d", dt.day);
        break;
      case 'e':
        absl::StrAppend(&out, dt.day);
        break;
      case 'a': {
        const absl::Weekday wd = absl::GetWeekday(absl::CivilDay(dt.year, dt.month, dt.day));
        out += kWeekdays[static_cast<int>(wd)];
        break;
      }
      case 'H':
        absl::StrAppendFormat(&out, "%02d", dt.hour);
        break;
      case 'h':
        absl::StrAppend(&out, dt.hour);
        break;
      case 'M':
        absl::StrAppendFormat(&out, "%02d", dt.minute);
        break;
      case 'S':
        absl::StrAppendFormat(&out, "%02d", dt.second);
        break;
      case '3':
        absl::StrAppendFormat(&out, "%03d", dt.millis);
        break;
      default:
        return absl::InvalidArgumentError(
            absl::StrCat("unknown date format escape '%", std::string(1, pattern[i]),
                         "' (known: %Y %y %m %n %b %d %e %a %H %h %M %S %3 %%)"));
    }
  }
  return out;
}

absl::Status CheckPattern(absl::string_view pattern) {
  return FormatPattern(DateTime(), pattern).status();
}

}  // namespace fieldsync::expr
