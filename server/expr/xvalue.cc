#include "server/expr/xvalue.h"

#include <charconv>
#include <cmath>
#include <limits>
#include <optional>

#include "absl/strings/str_cat.h"
#include "absl/strings/str_join.h"
#include "absl/strings/str_split.h"
#include "server/expr/datetime.h"

namespace fieldsync::expr {
namespace {

constexpr double kNaN = std::numeric_limits<double>::quiet_NaN();
// Integers up to 2^53 are exact in a double; print those without a fraction.
constexpr double kExactIntegerLimit = 9007199254740992.0;

bool IsXPathSpace(char c) { return c == ' ' || c == '\t' || c == '\r' || c == '\n'; }

absl::string_view TrimXPathSpace(absl::string_view s) {
  while (!s.empty() && IsXPathSpace(s.front())) s.remove_prefix(1);
  while (!s.empty() && IsXPathSpace(s.back())) s.remove_suffix(1);
  return s;
}

// XPath 1.0 Number: '-'? (Digits ('.' Digits?)? | '.' Digits).
bool IsXPathDecimal(absl::string_view s) {
  if (!s.empty() && s.front() == '-') s.remove_prefix(1);
  size_t digits = 0;
  size_t dots = 0;
  for (char c : s) {
    if (c >= '0' && c <= '9') {
      ++digits;
    } else if (c == '.') {
      if (++dots > 1) return false;
    } else {
      return false;
    }
  }
  return digits > 0;
}

}  // namespace

XValue Unpack(const Value* v) {
  if (v == nullptr) return XValue();
  struct Visitor {
    XValue operator()(const std::monostate&) const { return XValue(); }
    XValue operator()(const std::string& s) const { return XValue::String(s); }
    XValue operator()(int64_t i) const { return XValue::Number(static_cast<double>(i)); }
    XValue operator()(double d) const { return XValue::Number(d); }
    XValue operator()(bool b) const { return XValue::Boolean(b); }
    XValue operator()(const std::vector<std::string>& items) const {
      return XValue::String(absl::StrJoin(items, " "));
    }
    XValue operator()(const GeoPoint& g) const {
      return XValue::String(
          absl::StrCat(NumberToString(g.latitude), " ", NumberToString(g.longitude), " 0 0"));
    }
  };
  return std::visit(Visitor(), *v);
}

double StringToNumber(absl::string_view s, absl::TimeZone tz) {
  s = TrimXPathSpace(s);
  if (IsXPathDecimal(s)) {
    // from_chars does not take "5." or a leading "."; both are XPath numbers.
    std::string text(s);
    if (text.back() == '.') text.pop_back();
    const size_t dot = text.find('.');
    if (dot == 0 || (dot == 1 && text[0] == '-')) text.insert(dot, "0");
    double d = 0;
    auto [end, ec] = std::from_chars(text.data(), text.data() + text.size(), d);
    if (ec == std::errc::result_out_of_range) {
      return text[0] == '-' ? -std::numeric_limits<double>::infinity()
                            : std::numeric_limits<double>::infinity();
    }
    if (ec != std::errc() || end != text.data() + text.size()) return kNaN;
    return d;
  }
  if (auto dt = ParseDateOrDateTime(s)) return ToEpochDays(*dt, tz);
  return kNaN;
}

std::string NumberToString(double d) {
  if (std::isnan(d)) return "NaN";
  if (std::isinf(d)) return d < 0 ? "-Infinity" : "Infinity";
  if (std::fabs(d) < 1e-12) return "0";
  if (std::fabs(d) < kExactIntegerLimit) {
    // javarosa prints a value within 1e-12 above (toward zero) of an integer as that integer.
    const double truncated = std::trunc(d);
    if (std::fabs(d - truncated) < 1e-12) return absl::StrCat(static_cast<int64_t>(truncated));
  }
  char buf[400];
  auto [end, ec] = std::to_chars(buf, buf + sizeof(buf), d, std::chars_format::fixed);
  if (ec != std::errc()) return absl::StrCat(d);  // not reached: 400 bytes hold any double
  return std::string(buf, end);
}

bool NumberToBoolean(double d) { return !std::isnan(d) && std::fabs(d) > 1e-12; }

double ToNumber(const XValue& v, absl::TimeZone tz) {
  switch (v.type) {
    case XValue::Type::kNumber:
      return v.number;
    case XValue::Type::kBoolean:
      return v.boolean ? 1 : 0;
    case XValue::Type::kString:
      return StringToNumber(v.string, tz);
    case XValue::Type::kNodeSet:
      return kNaN;  // unpacked by the evaluator before this
  }
  return kNaN;
}

std::string ToString(const XValue& v) {
  switch (v.type) {
    case XValue::Type::kNumber:
      return NumberToString(v.number);
    case XValue::Type::kBoolean:
      return v.boolean ? "true" : "false";
    case XValue::Type::kString:
      return v.string;
    case XValue::Type::kNodeSet:
      return "";
  }
  return "";
}

bool ToBoolean(const XValue& v) {
  switch (v.type) {
    case XValue::Type::kNumber:
      return NumberToBoolean(v.number);
    case XValue::Type::kBoolean:
      return v.boolean;
    case XValue::Type::kString:
      return !v.string.empty();
    case XValue::Type::kNodeSet:
      return !v.nodes.empty();
  }
  return false;
}

namespace {

absl::Status DoesNotFit(const XValue& v, absl::string_view what) {
  return absl::InvalidArgumentError(absl::StrCat("the result '", ToString(v), "' is not ", what));
}

absl::StatusOr<Value> ToDateValue(const XValue& v, bool with_time, absl::TimeZone tz) {
  std::optional<DateTime> dt;
  if (v.is_number()) {
    if (std::isnan(v.number)) return Value();
    dt = FromEpochDays(v.number, with_time, tz);
  } else if (v.is_string()) {
    if (v.string.empty()) return Value();
    dt = ParseDateOrDateTime(v.string);
  }
  if (!dt) return DoesNotFit(v, with_time ? "a datetime" : "a date");
  if (!with_time) return Value(FormatDate(*dt));
  if (!dt->has_offset) dt = FromInstant(ToInstant(*dt, tz), tz);
  return Value(FormatDateTime(*dt));
}

absl::StatusOr<Value> ToGeoPoint(const XValue& v, absl::TimeZone tz) {
  const std::string text = ToString(v);
  if (text.empty()) return Value();
  const std::vector<absl::string_view> parts = absl::StrSplit(text, ' ', absl::SkipEmpty());
  if (parts.size() < 2 || parts.size() > 4) return DoesNotFit(v, "a geopoint");
  GeoPoint g{StringToNumber(parts[0], tz), StringToNumber(parts[1], tz)};
  if (!(std::fabs(g.latitude) <= 90) || !(std::fabs(g.longitude) <= 180)) {
    return DoesNotFit(v, "a geopoint");
  }
  return Value(g);
}

}  // namespace

absl::StatusOr<Value> ToFieldValue(const XValue& v, FieldType type, absl::TimeZone tz) {
  switch (type) {
    case FieldType::kInt: {
      const double d = ToNumber(v, tz);
      if (std::isnan(d)) return Value();
      if (!(std::fabs(d) < 9.2e18)) return DoesNotFit(v, "an integer in range");
      return Value(static_cast<int64_t>(std::trunc(d)));
    }
    case FieldType::kDecimal: {
      const double d = ToNumber(v, tz);
      if (!std::isfinite(d)) return Value();
      return Value(d);
    }
    case FieldType::kBool: {
      if (v.is_boolean()) return Value(v.boolean);
      if (v.is_number()) return std::isnan(v.number) ? Value() : Value(NumberToBoolean(v.number));
      const std::string s = ToString(v);
      if (s.empty()) return Value();
      if (s == "true" || s == "1") return Value(true);
      if (s == "false" || s == "0") return Value(false);
      return DoesNotFit(v, "a boolean");
    }
    case FieldType::kDate:
      return ToDateValue(v, false, tz);
    case FieldType::kDatetime:
      return ToDateValue(v, true, tz);
    case FieldType::kSelectMultiple: {
      const std::string s = ToString(v);
      std::vector<std::string> items = absl::StrSplit(s, ' ', absl::SkipEmpty());
      if (items.empty()) return Value();
      return Value(std::move(items));
    }
    case FieldType::kGeopoint:
      return ToGeoPoint(v, tz);
    default: {  // text, select_one, attachment, and types added later that hold text
      std::string s = ToString(v);
      if (s.empty()) return Value();
      return Value(std::move(s));
    }
  }
}

int64_t ClampToInt(double d, int64_t lo, int64_t hi, int64_t nan_value) {
  if (std::isnan(d)) return nan_value;
  d = std::trunc(d);
  if (d <= static_cast<double>(lo)) return lo;
  if (d >= static_cast<double>(hi)) return hi;
  return static_cast<int64_t>(d);
}

}  // namespace fieldsync::expr
