#include "server/aggregation/cell_math.h"

#include <algorithm>
#include <cmath>
#include <set>

#include "absl/strings/str_cat.h"
#include "absl/strings/str_join.h"
#include "absl/time/civil_time.h"
#include "absl/time/time.h"

namespace fieldsync::aggregation {
namespace {

const absl::CivilDay kEpoch(1970, 1, 1);

uint64_t BucketOfDay(absl::CivilDay d, TimeBucket kind) {
  absl::CivilDay start = d;
  if (kind == TimeBucket::kWeek) {
    // Weeks start on Monday (ISO 8601).
    int back =
        (static_cast<int>(absl::GetWeekday(d)) - static_cast<int>(absl::Weekday::monday) + 7) % 7;
    start = d - back;
  } else if (kind == TimeBucket::kMonth) {
    start = absl::CivilDay(absl::CivilMonth(d));
  }
  return kBucketBase + static_cast<uint64_t>(start - kEpoch);
}

}  // namespace

std::optional<uint64_t> BucketOfText(std::string_view text, TimeBucket kind) {
  absl::string_view t(text.data(), text.size());
  if (t.size() == 10) {
    absl::CivilDay d;
    // ParseCivilTime accepts only the exact "YYYY-MM-DD" form and a real calendar date.
    if (!absl::ParseCivilTime(t, &d)) return std::nullopt;
    if (absl::FormatCivilTime(d) != t) return std::nullopt;  // e.g. 2026-02-30 normalised
    if (d.year() < 1000 || d.year() > 9999) return std::nullopt;
    return BucketOfDay(d, kind);
  }
  absl::Time when;
  std::string err;
  if (!absl::ParseTime(absl::RFC3339_full, std::string(t), &when, &err)) return std::nullopt;
  absl::CivilDay d = absl::ToCivilDay(when, absl::UTCTimeZone());
  if (d.year() < 1000 || d.year() > 9999) return std::nullopt;
  return BucketOfDay(d, kind);
}

uint64_t BucketOfValue(const Value& v, TimeBucket kind) {
  const auto* s = std::get_if<std::string>(&v);
  if (s == nullptr) return kNoDateBucket;
  return BucketOfText(*s, kind).value_or(kNoDateBucket);
}

std::string BucketLabel(uint64_t bucket, TimeBucket kind) {
  if (bucket < kBucketBase) return "";
  absl::CivilDay d = kEpoch + static_cast<int64_t>(bucket - kBucketBase);
  if (kind == TimeBucket::kMonth) return absl::FormatCivilTime(absl::CivilMonth(d));
  return absl::FormatCivilTime(d);
}

const char* BucketName(TimeBucket kind) {
  switch (kind) {
    case TimeBucket::kDay:
      return "DAY";
    case TimeBucket::kWeek:
      return "WEEK";
    case TimeBucket::kMonth:
      return "MONTH";
  }
  return "DAY";
}

std::optional<absl::int128> MeasureMicros(const Value& v) {
  if (const auto* i = std::get_if<int64_t>(&v)) {
    if (std::abs(static_cast<double>(*i)) > kMaxMeasureAbs) return std::nullopt;
    return absl::int128(*i) * 1'000'000;
  }
  if (const auto* d = std::get_if<double>(&v)) {
    if (!std::isfinite(*d) || std::abs(*d) > kMaxMeasureAbs) return std::nullopt;
    return absl::int128(std::llround(*d * 1e6));
  }
  return std::nullopt;
}

std::string MicrosText(absl::int128 micros) {
  const bool neg = micros < 0;
  absl::uint128 m = neg ? absl::uint128(-micros) : absl::uint128(micros);
  absl::uint128 whole = m / 1'000'000;
  uint64_t frac = absl::Uint128Low64(m % 1'000'000);
  std::string out = neg ? "-" : "";
  // absl::uint128 has no StrCat overload here; print via two 64-bit halves in base 10.
  std::string digits;
  if (whole == 0) digits = "0";
  while (whole > 0) {
    digits.push_back(static_cast<char>('0' + absl::Uint128Low64(whole % 10)));
    whole /= 10;
  }
  std::reverse(digits.begin(), digits.end());
  out += digits;
  if (frac != 0) {
    std::string f = std::to_string(frac);
    f = std::string(6 - f.size(), '0') + f;
    while (!f.empty() && f.back() == '0') f.pop_back();
    absl::StrAppend(&out, ".", f);
  }
  return out;
}

double MicrosToDouble(absl::int128 micros) { return static_cast<double>(micros) / 1e6; }

std::optional<std::string> GroupText(const Value& v) {
  if (const auto* s = std::get_if<std::string>(&v)) return *s;
  if (const auto* i = std::get_if<int64_t>(&v)) return absl::StrCat(*i);
  if (const auto* d = std::get_if<double>(&v)) return absl::StrCat(*d);
  if (const auto* b = std::get_if<bool>(&v)) return std::string(*b ? "true" : "false");
  if (const auto* l = std::get_if<std::vector<std::string>>(&v)) {
    std::vector<std::string> sorted = *l;
    std::sort(sorted.begin(), sorted.end());
    return absl::StrJoin(sorted, ",");
  }
  if (const auto* g = std::get_if<GeoPoint>(&v))
    return absl::StrCat(g->latitude, ",", g->longitude);
  return std::nullopt;
}

std::vector<std::string> ReferencedFields(const Form& form) {
  std::set<std::string> names;
  for (const auto& a : form.aggregations) {
    names.insert(a.group_by.begin(), a.group_by.end());
    if (!a.time_field.empty()) names.insert(a.time_field);
    for (const auto& m : a.measures) {
      if (m.kind == Measure::Kind::kSum) names.insert(m.field);
    }
  }
  return {names.begin(), names.end()};
}

std::vector<ScopePair> ScopeOfFields(const Form& form, const FieldMap& fields) {
  std::vector<ScopePair> scope;
  for (const auto& name : form.scope_fields) {
    auto it = fields.find(name);
    if (it == fields.end() || IsNull(it->second)) continue;
    scope.push_back({name, ScopeText(it->second)});
  }
  return scope;
}

std::vector<ScopePair> NormalizeScope(const Form& form, const std::vector<ScopePair>& scope) {
  std::vector<ScopePair> out;
  for (const auto& name : form.scope_fields) {
    for (const auto& p : scope) {
      if (p.field == name) {
        out.push_back(p);
        break;
      }
    }
  }
  return out;
}

AggContribution Contribute(const AggregationDef& def, const FieldMap& fields,
                           const std::string& scope) {
  AggContribution c;
  c.aggregation = def.name;
  c.scope = scope;
  auto get = [&](const std::string& name) -> const Value* {
    auto it = fields.find(name);
    return it == fields.end() ? nullptr : &it->second;
  };
  std::vector<std::optional<std::string>> group;
  group.reserve(def.group_by.size());
  for (const auto& g : def.group_by) {
    const Value* v = get(g);
    group.push_back(v ? GroupText(*v) : std::nullopt);
  }
  c.group = EncodeGroupTuple(group);
  if (!def.time_field.empty()) {
    const Value* t = get(def.time_field);
    c.bucket = t ? BucketOfValue(*t, def.bucket) : kNoDateBucket;
  }
  c.measures.resize(def.measures.size());
  for (size_t i = 0; i < def.measures.size(); ++i) {
    if (def.measures[i].kind != Measure::Kind::kSum) continue;
    const Value* v = get(def.measures[i].field);
    std::optional<absl::int128> micros = v ? MeasureMicros(*v) : std::nullopt;
    if (micros) {
      c.measures[i].sum_micros = *micros;
    } else {
      c.measures[i].invalid = 1;
    }
  }
  return c;
}

void Apply(const AggContribution& c, int sign, AggCell* cell) {
  cell->count += sign;
  if (cell->measures.size() < c.measures.size()) cell->measures.resize(c.measures.size());
  for (size_t i = 0; i < c.measures.size(); ++i) {
    cell->measures[i].sum_micros += sign * c.measures[i].sum_micros;
    cell->measures[i].invalid += sign * c.measures[i].invalid;
  }
}

const AggregationDef* FindAggregation(const Form& form, std::string_view name) {
  for (const auto& a : form.aggregations) {
    if (a.name == name) return &a;
  }
  return nullptr;
}

}  // namespace fieldsync::aggregation
