// Dates and times, selects, and geo functions.
#include <algorithm>
#include <cmath>
#include <limits>
#include <optional>

#include "absl/strings/ascii.h"
#include "absl/strings/match.h"
#include "absl/strings/str_cat.h"
#include "absl/strings/str_split.h"
#include "server/expr/datetime.h"
#include "server/expr/functions.h"

namespace fieldsync::expr {
namespace {

constexpr double kNaN = std::numeric_limits<double>::quiet_NaN();
constexpr double kMillisPerDay = 86'400'000.0;
// javarosa's earth: the equatorial radius, for area() and distance().
constexpr double kEarthRadiusMeters = 6'378'100.0;

double InstantDays(absl::Time t) {
  return absl::ToDoubleMilliseconds(t - absl::UnixEpoch()) / kMillisPerDay;
}

// A value as a date (or datetime): numbers are days since 1970-01-01 (fractions are the
// time of day when `keep_time`); strings are dates or datetimes. nullopt for "" and NaN
// (javarosa's empty values), INVALID_ARGUMENT for anything else that is no date.
absl::Status ToDateTime(Evaluator& ev, const Node& call, const XValue& v, bool keep_time,
                        std::optional<DateTime>* out) {
  out->reset();
  if (v.is_number()) {
    if (std::isnan(v.number)) return absl::OkStatus();
    *out = FromEpochDays(v.number, keep_time, ev.TimeZone());
    if (*out) return absl::OkStatus();
    return ev.Error(
        call, absl::StrCat("the number ", NumberToString(v.number), " is out of range for a date"));
  }
  if (v.is_string()) {
    if (v.string.empty()) return absl::OkStatus();
    *out = ParseDateOrDateTime(v.string);
    if (*out) return absl::OkStatus();
  }
  return ev.Error(call, absl::StrCat("'", ToString(v), "' is not a date"));
}

absl::Status DateFunction(Evaluator& ev, const Node& call, XValue* out) {
  XValue v;
  absl::Status s = ArgValue(ev, call, 0, &v);
  if (!s.ok()) return s;
  const bool keep_time = call.fn != Fn::kDate;
  std::optional<DateTime> dt;
  s = ToDateTime(ev, call, v, keep_time, &dt);
  if (!s.ok() || !dt) {
    *out = XValue::String("");
    return s;
  }
  if (call.fn == Fn::kDate) {
    *out = XValue::String(FormatDate(*dt));  // the date as written, whatever its offset
  } else if (call.fn == Fn::kDateTime) {
    if (!dt->has_offset) dt = FromInstant(ToInstant(*dt, ev.TimeZone()), ev.TimeZone());
    *out = XValue::String(FormatDateTime(*dt));
  } else {  // format-date, format-date-time
    std::string pattern;
    s = ArgString(ev, call, 1, &pattern);
    if (s.ok()) s = ev.ChargeString(pattern.size() * 4);
    if (!s.ok()) return s;
    absl::StatusOr<std::string> text = FormatPattern(*dt, pattern);
    if (!text.ok()) return ev.Error(call, text.status().message());
    *out = XValue::String(*std::move(text));
  }
  return absl::OkStatus();
}

// decimal-date-time(): days since 1970-01-01T00:00Z with the time as a fraction;
// decimal-time(): the fraction of the day in EvalContext::TimeZone() (noon is 0.5).
absl::Status DecimalFunction(Evaluator& ev, const Node& call, XValue* out) {
  XValue v;
  absl::Status s = ArgValue(ev, call, 0, &v);
  if (!s.ok()) return s;
  const bool whole = call.fn == Fn::kDecimalDateTime;
  if (v.is_number()) {
    if (std::isinf(v.number)) return ev.Error(call, "Infinity is out of range for a date");
    *out = XValue::Number(whole ? v.number : v.number - std::floor(v.number));
    return absl::OkStatus();
  }
  if (v.is_string() && v.string.empty()) {
    *out = XValue::String("");  // javarosa leaves an empty value empty
    return absl::OkStatus();
  }
  DateTime dt;
  const bool time_only = !whole && v.is_string() && ParseTime(v.string, &dt);
  if (!time_only) {
    std::optional<DateTime> parsed;
    s = v.is_string() ? ToDateTime(ev, call, v, true, &parsed)
                      : ev.Error(call, absl::StrCat("'", ToString(v), "' is not a date"));
    if (!s.ok()) return s;
    dt = *parsed;
  }
  const absl::TimeZone tz = ev.TimeZone();
  if (whole) {
    *out = XValue::Number(InstantDays(ToInstant(dt, tz)));
    return absl::OkStatus();
  }
  int64_t millis = ((dt.hour * 60 + dt.minute) * 60 + dt.second) * 1000LL + dt.millis;
  if (dt.has_offset) {
    // Moved from the written offset to the zone's (its offset now, for a time alone).
    const int zone_offset_minutes =
        time_only ? tz.At(ev.ctx().Now()).offset / 60 : tz.At(ToInstant(dt, tz)).offset / 60;
    millis += (zone_offset_minutes - dt.offset_minutes) * 60'000LL;
    millis = ((millis % 86'400'000LL) + 86'400'000LL) % 86'400'000LL;
  }
  *out = XValue::Number(static_cast<double>(millis) / kMillisPerDay);
  return absl::OkStatus();
}

absl::Status SelectFunction(Evaluator& ev, const Node& call, XValue* out) {
  std::string list;
  absl::Status s = ArgString(ev, call, 0, &list);
  if (s.ok()) s = ev.ChargeString(list.size());
  if (!s.ok()) return s;
  switch (call.fn) {
    case Fn::kSelected: {
      std::string choice;
      s = ArgString(ev, call, 1, &choice);
      if (!s.ok()) return s;
      // javarosa: the trimmed choice, between spaces, inside the list between spaces.
      const absl::string_view trimmed = absl::StripAsciiWhitespace(choice);
      *out = XValue::Boolean(
          absl::StrContains(absl::StrCat(" ", list, " "), absl::StrCat(" ", trimmed, " ")));
      return absl::OkStatus();
    }
    case Fn::kSelectedAt: {
      double index = 0;
      s = ArgNumber(ev, call, 1, &index);
      if (!s.ok()) return s;
      const std::vector<absl::string_view> items = SelectedItems(list);
      const int64_t i = ClampToInt(index, -1, static_cast<int64_t>(items.size()), 0);
      *out = XValue::String(i >= 0 && i < static_cast<int64_t>(items.size()) ? std::string(items[i])
                                                                             : "");
      return absl::OkStatus();
    }
    case Fn::kCountSelected:
      *out = XValue::Number(static_cast<double>(SelectedItems(list).size()));
      return absl::OkStatus();
    default:  // jr:choice-name
      *out = XValue::String(list.empty() ? "" : ev.ctx().ChoiceLabel(call.ref.id, list));
      return ev.ChargeString(out->string.size());
  }
}

struct LatLon {
  double lat;
  double lon;
};

// Geopoints from geopoint values ("lat lon [alt [acc]]") and geotrace/geoshape values
// (geopoints separated by ';'); empty values are skipped.
absl::Status CollectPoints(Evaluator& ev, const Node& call, std::vector<LatLon>* points) {
  return ForEachValue(ev, call, 0, [&](const XValue& v) {
    const std::string text = ToString(v);
    absl::Status s = ev.ChargeString(text.size());
    if (!s.ok()) return s;
    for (absl::string_view piece : absl::StrSplit(text, ';', absl::SkipWhitespace())) {
      const std::vector<absl::string_view> parts = absl::StrSplit(piece, ' ', absl::SkipEmpty());
      const double lat = parts.size() >= 2 ? StringToNumber(parts[0], ev.TimeZone()) : kNaN;
      const double lon = parts.size() >= 2 ? StringToNumber(parts[1], ev.TimeZone()) : kNaN;
      if (parts.size() > 4 || !(std::fabs(lat) <= 90) || !(std::fabs(lon) <= 180)) {
        return ev.Error(call, absl::StrCat("'", piece, "' is not a geopoint"));
      }
      points->push_back({lat, lon});
      s = ev.Charge(1);
      if (!s.ok()) return s;
    }
    return absl::OkStatus();
  });
}

double Radians(double degrees) { return degrees * M_PI / 180.0; }

// The polygon's area on a plane tangent at its first point, in square meters: each point
// is placed by its latitude and longitude differences from the first (longitude scaled by
// the cosine of its latitude), then the shoelace formula.
double Area(const std::vector<LatLon>& p) {
  if (p.size() < 3) return 0;
  const double meters_per_degree = 2 * M_PI * kEarthRadiusMeters / 360.0;
  std::vector<std::pair<double, double>> xy;
  for (const LatLon& q : p) {
    xy.emplace_back((q.lon - p[0].lon) * meters_per_degree * std::cos(Radians(q.lat)),
                    (q.lat - p[0].lat) * meters_per_degree);
  }
  double twice = 0;
  for (size_t i = 0; i < xy.size(); ++i) {
    const auto& a = xy[i];
    const auto& b = xy[(i + 1) % xy.size()];
    twice += a.first * b.second - b.first * a.second;
  }
  return std::fabs(twice) / 2;
}

// The length of the path through the points, each leg by the spherical law of cosines.
double Distance(const std::vector<LatLon>& p) {
  double total = 0;
  for (size_t i = 1; i < p.size(); ++i) {
    const double c = std::sin(Radians(p[i - 1].lat)) * std::sin(Radians(p[i].lat)) +
                     std::cos(Radians(p[i - 1].lat)) * std::cos(Radians(p[i].lat)) *
                         std::cos(Radians(p[i - 1].lon - p[i].lon));
    total += std::acos(std::clamp(c, -1.0, 1.0)) * kEarthRadiusMeters;
  }
  return total;
}

}  // namespace

absl::Status CallTimeSelectGeo(Evaluator& ev, const Node& call, XValue* out) {
  switch (call.fn) {
    case Fn::kToday:
      *out = XValue::String(FormatDate(FromInstant(ev.ctx().Now(), ev.TimeZone())));
      return absl::OkStatus();
    case Fn::kNow:
      *out = XValue::String(FormatDateTime(FromInstant(ev.ctx().Now(), ev.TimeZone())));
      return absl::OkStatus();
    case Fn::kDate:
    case Fn::kDateTime:
    case Fn::kFormatDate:
    case Fn::kFormatDateTime:
      return DateFunction(ev, call, out);
    case Fn::kDecimalDateTime:
    case Fn::kDecimalTime:
      return DecimalFunction(ev, call, out);
    case Fn::kSelected:
    case Fn::kSelectedAt:
    case Fn::kCountSelected:
    case Fn::kChoiceName:
      return SelectFunction(ev, call, out);
    case Fn::kArea:
    case Fn::kDistance: {
      std::vector<LatLon> points;
      absl::Status s = CollectPoints(ev, call, &points);
      if (!s.ok()) return s;
      *out = XValue::Number(call.fn == Fn::kArea ? Area(points) : Distance(points));
      return absl::OkStatus();
    }
    default:
      return ev.Error(call, "internal error: function without an implementation");
  }
}

}  // namespace fieldsync::expr
