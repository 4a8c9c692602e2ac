// XPath values during evaluation and XPath 1.0's conversions between them, with ODK's
// extensions (expr.h, top comment, says which). Internal to server/expr.
#ifndef FIELDSYNC_SERVER_EXPR_XVALUE_H_
#define FIELDSYNC_SERVER_EXPR_XVALUE_H_

#include <string>
#include <utility>
#include <vector>

#include "absl/status/statusor.h"
#include "absl/strings/string_view.h"
#include "absl/time/time.h"
#include "server/common/model.h"
#include "server/common/value.h"

namespace fieldsync::expr {

struct XValue {
  enum class Type : uint8_t { kString, kNumber, kBoolean, kNodeSet };
  Type type = Type::kString;
  bool boolean = false;
  double number = 0;
  std::string string;
  // kNodeSet: one entry per node, nullptr for a node without a value.
  std::vector<const Value*> nodes;

  static XValue String(std::string s) {
    XValue v;
    v.string = std::move(s);
    return v;
  }
  static XValue Number(double d) {
    XValue v;
    v.type = Type::kNumber;
    v.number = d;
    return v;
  }
  static XValue Boolean(bool b) {
    XValue v;
    v.type = Type::kBoolean;
    v.boolean = b;
    return v;
  }
  bool is_string() const { return type == Type::kString; }
  bool is_number() const { return type == Type::kNumber; }
  bool is_boolean() const { return type == Type::kBoolean; }
  bool is_node_set() const { return type == Type::kNodeSet; }
};

// A record value as javarosa unpacks a node (expr.h, top comment); nullptr is "".
XValue Unpack(const Value* v);

// XPath number(string): decimal or date/datetime (days since 1970-01-01), else NaN. `tz`
// places datetimes written without an offset.
double StringToNumber(absl::string_view s, absl::TimeZone tz);
// XPath string(number), javarosa's near-integer rule included.
std::string NumberToString(double d);
// XPath boolean(number) with javarosa's 1e-12 zero.
bool NumberToBoolean(double d);

// Conversions of a value that is not a node-set (the evaluator unpacks node-sets first).
double ToNumber(const XValue& v, absl::TimeZone tz);
std::string ToString(const XValue& v);
bool ToBoolean(const XValue& v);

// An expression's result as the value of a field of `type` (CompiledExpr::EvaluateAs says
// how). INVALID_ARGUMENT when it does not fit.
absl::StatusOr<Value> ToFieldValue(const XValue& v, FieldType type, absl::TimeZone tz);

// `d` truncated toward zero and clamped to [lo, hi]; NaN gives `nan_value`.
int64_t ClampToInt(double d, int64_t lo, int64_t hi, int64_t nan_value);

}  // namespace fieldsync::expr

#endif  // FIELDSYNC_SERVER_EXPR_XVALUE_H_
