// The function library: names, arities, result types and how arguments are taken. The
// XForms spec's function list (getodk/xforms-spec, "XPath Functions") is the reference.
#include <algorithm>
#include <iterator>

#include "server/expr/program.h"

namespace fieldsync::expr {
namespace {

constexpr StaticType S = StaticType::kString;
constexpr StaticType N = StaticType::kNumber;
constexpr StaticType B = StaticType::kBoolean;
constexpr StaticType A = StaticType::kAny;

// Sorted by name (FindFunction searches it).
constexpr FunctionSpec kFunctions[] = {
    // name, fn, min, max, result, args, first_arg, volatile, needs_self
    {"abs", Fn::kAbs, 1, 1, N, kArgValue, kArgValue, false, false},
    {"acos", Fn::kAcos, 1, 1, N, kArgValue, kArgValue, false, false},
    {"area", Fn::kArea, 1, 1, N, kArgEither, kArgEither, false, false},
    {"asin", Fn::kAsin, 1, 1, N, kArgValue, kArgValue, false, false},
    {"atan", Fn::kAtan, 1, 1, N, kArgValue, kArgValue, false, false},
    {"atan2", Fn::kAtan2, 2, 2, N, kArgValue, kArgValue, false, false},
    {"base64-decode", Fn::kBase64Decode, 1, 1, S, kArgValue, kArgValue, false, false},
    {"boolean", Fn::kBoolean, 1, 1, B, kArgValue, kArgValue, false, false},
    {"boolean-from-string", Fn::kBooleanFromString, 1, 1, B, kArgValue, kArgValue, false, false},
    {"ceiling", Fn::kCeiling, 1, 1, N, kArgValue, kArgValue, false, false},
    {"checklist", Fn::kChecklist, 2, -1, B, kArgEither, kArgValue, false, false},
    {"coalesce", Fn::kCoalesce, 2, 2, A, kArgLazy, kArgLazy, false, false},
    {"concat", Fn::kConcat, 0, -1, S, kArgEither, kArgEither, false, false},
    {"contains", Fn::kContains, 2, 2, B, kArgValue, kArgValue, false, false},
    {"cos", Fn::kCos, 1, 1, N, kArgValue, kArgValue, false, false},
    {"count", Fn::kCount, 1, 1, N, kArgNodeSet, kArgNodeSet, false, false},
    {"count-non-empty", Fn::kCountNonEmpty, 1, 1, N, kArgNodeSet, kArgNodeSet, false, false},
    {"count-selected", Fn::kCountSelected, 1, 1, N, kArgValue, kArgValue, false, false},
    {"date", Fn::kDate, 1, 1, S, kArgValue, kArgValue, false, false},
    {"date-time", Fn::kDateTime, 1, 1, S, kArgValue, kArgValue, false, false},
    {"decimal-date-time", Fn::kDecimalDateTime, 1, 1, N, kArgValue, kArgValue, false, false},
    {"decimal-time", Fn::kDecimalTime, 1, 1, N, kArgValue, kArgValue, false, false},
    {"digest", Fn::kDigest, 2, 3, S, kArgValue, kArgValue, false, false},
    {"distance", Fn::kDistance, 1, -1, N, kArgEither, kArgEither, false, false},
    {"ends-with", Fn::kEndsWith, 2, 2, B, kArgValue, kArgValue, false, false},
    {"exp", Fn::kExp, 1, 1, N, kArgValue, kArgValue, false, false},
    {"exp10", Fn::kExp10, 1, 1, N, kArgValue, kArgValue, false, false},
    {"false", Fn::kFalse, 0, 0, B, kArgValue, kArgValue, false, false},
    {"floor", Fn::kFloor, 1, 1, N, kArgValue, kArgValue, false, false},
    {"format-date", Fn::kFormatDate, 2, 2, S, kArgValue, kArgValue, false, false},
    {"format-date-time", Fn::kFormatDateTime, 2, 2, S, kArgValue, kArgValue, false, false},
    {"if", Fn::kIf, 3, 3, A, kArgLazy, kArgLazy, false, false},
    {"indexed-repeat", Fn::kIndexedRepeat, 3, 7, A, kArgLazy, kArgLazy, false, false},
    {"int", Fn::kInt, 1, 1, N, kArgValue, kArgValue, false, false},
    {"is-selected", Fn::kSelected, 2, 2, B, kArgValue, kArgValue, false, false},
    {"join", Fn::kJoin, 1, -1, S, kArgEither, kArgValue, false, false},
    {"jr:choice-name", Fn::kChoiceName, 2, 2, S, kArgLazy, kArgValue, false, false},
    {"log", Fn::kLog, 1, 1, N, kArgValue, kArgValue, false, false},
    {"log10", Fn::kLog10, 1, 1, N, kArgValue, kArgValue, false, false},
    {"max", Fn::kMax, 1, -1, N, kArgEither, kArgEither, false, false},
    {"min", Fn::kMin, 1, -1, N, kArgEither, kArgEither, false, false},
    {"normalize-space", Fn::kNormalizeSpace, 0, 1, S, kArgValue, kArgValue, false, true},
    {"not", Fn::kNot, 1, 1, B, kArgValue, kArgValue, false, false},
    {"now", Fn::kNow, 0, 0, S, kArgValue, kArgValue, true, false},
    {"number", Fn::kNumber, 0, 1, N, kArgValue, kArgValue, false, true},
    {"once", Fn::kOnce, 1, 1, A, kArgLazy, kArgLazy, false, true},
    {"pi", Fn::kPi, 0, 0, N, kArgValue, kArgValue, false, false},
    {"position", Fn::kPosition, 0, 1, N, kArgNode, kArgNode, false, true},
    {"pow", Fn::kPow, 2, 2, N, kArgValue, kArgValue, false, false},
    {"random", Fn::kRandom, 0, 0, N, kArgValue, kArgValue, true, false},
    {"regex", Fn::kRegex, 2, 2, B, kArgValue, kArgValue, false, false},
    {"round", Fn::kRound, 1, 2, N, kArgValue, kArgValue, false, false},
    {"selected", Fn::kSelected, 2, 2, B, kArgValue, kArgValue, false, false},
    {"selected-at", Fn::kSelectedAt, 2, 2, S, kArgValue, kArgValue, false, false},
    {"sin", Fn::kSin, 1, 1, N, kArgValue, kArgValue, false, false},
    {"sqrt", Fn::kSqrt, 1, 1, N, kArgValue, kArgValue, false, false},
    {"starts-with", Fn::kStartsWith, 2, 2, B, kArgValue, kArgValue, false, false},
    {"string", Fn::kString, 0, 1, S, kArgValue, kArgValue, false, true},
    {"string-length", Fn::kStringLength, 0, 1, N, kArgValue, kArgValue, false, true},
    {"substr", Fn::kSubstr, 2, 3, S, kArgValue, kArgValue, false, false},
    {"substring", Fn::kSubstring, 2, 3, S, kArgValue, kArgValue, false, false},
    {"substring-after", Fn::kSubstringAfter, 2, 2, S, kArgValue, kArgValue, false, false},
    {"substring-before", Fn::kSubstringBefore, 2, 2, S, kArgValue, kArgValue, false, false},
    {"sum", Fn::kSum, 1, 1, N, kArgNodeSet, kArgNodeSet, false, false},
    {"tan", Fn::kTan, 1, 1, N, kArgValue, kArgValue, false, false},
    {"today", Fn::kToday, 0, 0, S, kArgValue, kArgValue, true, false},
    {"translate", Fn::kTranslate, 3, 3, S, kArgValue, kArgValue, false, false},
    {"true", Fn::kTrue, 0, 0, B, kArgValue, kArgValue, false, false},
    {"uuid", Fn::kUuid, 0, 1, S, kArgValue, kArgValue, true, false},
    {"weighted-checklist", Fn::kWeightedChecklist, 2, -1, B, kArgEither, kArgValue, false, false},
};

constexpr bool SortedByName() {
  for (size_t i = 1; i < std::size(kFunctions); ++i) {
    if (!(kFunctions[i - 1].name < kFunctions[i].name)) return false;
  }
  return true;
}
static_assert(SortedByName(), "kFunctions must be sorted by name");

struct Unsupported {
  absl::string_view name;
  absl::string_view reason;
};

constexpr absl::string_view kSecondary =
    "secondary instances (instance(), current(), pulldata(), search()) are not supported";

constexpr Unsupported kUnsupported[] = {
    {"current", kSecondary},
    {"enclosed-area", "enclosed-area() is not supported; use area()"},
    {"extract-signed", "extract-signed() is not supported"},
    {"geofence", "geofence() is not supported"},
    {"id", "id() is not supported"},
    {"instance", kSecondary},
    {"jr:itext", "jr:itext() is not supported: labels are translated outside expressions"},
    {"lang", "lang() is not supported"},
    {"last", "last() is not supported (no predicates)"},
    {"local-name", "local-name() is not supported"},
    {"name", "name() is not supported"},
    {"namespace-uri", "namespace-uri() is not supported"},
    {"property", "property() is not supported"},
    {"pulldata", kSecondary},
    {"randomize", "randomize() orders choice lists, which are not evaluated here"},
    {"search", kSecondary},
    {"version", "version() is not supported"},
};

}  // namespace

const FunctionSpec* FindFunction(absl::string_view name) {
  auto it = std::lower_bound(std::begin(kFunctions), std::end(kFunctions), name,
                             [](const FunctionSpec& f, absl::string_view n) { return f.name < n; });
  if (it == std::end(kFunctions) || it->name != name) return nullptr;
  return &*it;
}

absl::string_view UnsupportedFunctionReason(absl::string_view name) {
  for (const Unsupported& u : kUnsupported) {
    if (u.name == name) return u.reason;
  }
  return "";
}

}  // namespace fieldsync::expr
