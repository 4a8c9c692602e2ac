// Dates, datetimes and times as ODK writes them in records ("2024-03-05",
// "2024-03-05T14:30:00.000+03:00", "14:30:00.000+03:00"), and the day numbers XPath
// arithmetic uses (days since 1970-01-01). Internal to server/expr; pure functions.
#ifndef FIELDSYNC_SERVER_EXPR_DATETIME_H_
#define FIELDSYNC_SERVER_EXPR_DATETIME_H_

#include <cstdint>
#include <optional>
#include <string>

#include "absl/status/statusor.h"
#include "absl/strings/string_view.h"
#include "absl/time/time.h"

namespace fieldsync::expr {

// Day numbers this library handles: 0001-01-01 .. 9999-12-31.
inline constexpr int64_t kMinEpochDay = -719162;
inline constexpr int64_t kMaxEpochDay = 2932896;

// A wall-clock date and time as written, with its UTC offset when one was written.
struct DateTime {
  int year = 1970;
  int month = 1;
  int day = 1;
  bool has_time = false;  // "T..." was written (or the value came from a datetime)
  int hour = 0;
  int minute = 0;
  int second = 0;
  int millis = 0;
  bool has_offset = false;  // "Z" or "+HH:MM" was written
  int offset_minutes = 0;   // east of UTC
};

// "YYYY-MM-DD" (month and day may have one digit) or that followed by "T" and a time as
// ParseTime takes it. nullopt for anything else, including impossible dates (2023-02-29).
std::optional<DateTime> ParseDateOrDateTime(absl::string_view s);

// "HH:MM", "HH:MM:SS" or "HH:MM:SS.fff" (any number of fraction digits, milliseconds kept),
// then optionally "Z", "+HH", "+HHMM" or "+HH:MM" (or "-"). Sets the time and offset fields
// of *dt only; false (and *dt unspecified) when `s` is not such a time.
bool ParseTime(absl::string_view s, DateTime* dt);

// Days since 1970-01-01 of a calendar date; the date of a day number.
int64_t EpochDay(int year, int month, int day);
DateTime FromEpochDay(int64_t day);

// A day number as a date: with `keep_time`, the fraction is the time since midnight UTC and
// the result is that instant's wall clock in `tz`; without, the fraction is dropped.
// nullopt for NaN and outside 0001..9999.
std::optional<DateTime> FromEpochDays(double days, bool keep_time, absl::TimeZone tz);

// The instant of `dt`: its offset if it has one, else its wall clock in `tz`.
absl::Time ToInstant(const DateTime& dt, absl::TimeZone tz);
// The wall clock of `t` in `tz`, with that zone's offset at `t` (has_time, has_offset set).
DateTime FromInstant(absl::Time t, absl::TimeZone tz);

// Days since 1970-01-01 as XPath number() takes a date string: a date alone is its
// calendar day number; a datetime is fractional days since 1970-01-01T00:00Z.
double ToEpochDays(const DateTime& dt, absl::TimeZone tz);

// "YYYY-MM-DD"; "YYYY-MM-DDTHH:MM:SS.mmm+HH:MM" (or "Z"-less "+00:00").
std::string FormatDate(const DateTime& dt);
std::string FormatDateTime(const DateTime& dt);

// format-date() / format-date-time(): %Y %y %m %n %b %d %e %a (dates), %H %h %M %S %3
// (times), %% a percent sign; month and day names in English. INVALID_ARGUMENT for any other
// escape or a trailing %.
absl::StatusOr<std::string> FormatPattern(const DateTime& dt, absl::string_view pattern);
// The same check without a value, for a pattern known at compile time.
absl::Status CheckPattern(absl::string_view pattern);

}  // namespace fieldsync::expr

#endif  // FIELDSYNC_SERVER_EXPR_DATETIME_H_
