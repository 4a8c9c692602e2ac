#include "server/expr/evaluator.h"

#include <cmath>

#include "absl/strings/str_cat.h"
#include "server/expr/lexer.h"

namespace fieldsync::expr {

absl::TimeZone Evaluator::TimeZone() {
  if (!tz_) tz_ = ctx_.TimeZone();
  return *tz_;
}

absl::Status Evaluator::Charge(int64_t units) {
  steps_ += units;
  if (steps_ > program_.limits.max_steps) {
    return absl::ResourceExhaustedError(
        absl::StrCat("expression evaluation took more than ", program_.limits.max_steps, " steps"));
  }
  return absl::OkStatus();
}

absl::Status Evaluator::ChargeString(size_t bytes) {
  if (bytes > program_.limits.max_string_bytes) {
    return absl::ResourceExhaustedError(absl::StrCat("expression built a string of more than ",
                                                     program_.limits.max_string_bytes, " bytes"));
  }
  return Charge(static_cast<int64_t>(bytes / 64));
}

absl::Status Evaluator::Error(const Node& at, absl::string_view message) const {
  return ErrorAt(program_.text, at.offset, message);
}

absl::Status Evaluator::EvalRef(const Node& n, XValue* out) {
  switch (n.ref.kind) {
    case RefKind::kValue:
      *out = expr::Unpack(ctx_.Get(n.ref.id));
      return ChargeString(out->string.size());
    case RefKind::kNodeSet: {
      out->type = XValue::Type::kNodeSet;
      out->nodes.clear();
      ctx_.GetAll(n.ref.id, &out->nodes);
      if (out->nodes.size() > program_.limits.max_node_set) {
        return absl::ResourceExhaustedError(
            absl::StrCat("'", n.str, "' has more than ", program_.limits.max_node_set, " values"));
      }
      return Charge(static_cast<int64_t>(out->nodes.size()));
    }
    case RefKind::kNode:
      out->type = XValue::Type::kNodeSet;
      out->nodes.assign(1, nullptr);
      return absl::OkStatus();
  }
  return absl::OkStatus();
}

absl::Status Evaluator::Unpack(const Node& at, XValue* v) {
  if (!v->is_node_set()) return absl::OkStatus();
  if (v->nodes.size() > 1) {
    return Error(at, absl::StrCat("'", at.str, "' has ", v->nodes.size(),
                                  " values here (it is in a repeat); use count(), sum(), "
                                  "join() or indexed-repeat() to use it from outside the repeat"));
  }
  const Value* one = v->nodes.empty() ? nullptr : v->nodes[0];
  *v = expr::Unpack(one);
  return ChargeString(v->string.size());
}

absl::Status Evaluator::EvalValue(int32_t index, XValue* out) {
  absl::Status s = Eval(index, out);
  if (!s.ok()) return s;
  return Unpack(program_.nodes[index], out);
}

absl::Status Evaluator::EvalNodeSet(int32_t index, XValue* out) {
  const Node& n = program_.nodes[index];
  absl::Status s = Charge(1);
  if (!s.ok()) return s;
  if (n.ref.kind == RefKind::kValue) {
    out->type = XValue::Type::kNodeSet;
    out->nodes.assign(1, ctx_.Get(n.ref.id));
    return absl::OkStatus();
  }
  return EvalRef(n, out);
}

absl::Status Evaluator::EvalSelf(XValue* out) {
  *out = expr::Unpack(program_.self.kind == RefKind::kValue ? ctx_.Get(program_.self.id) : nullptr);
  return ChargeString(out->string.size());
}

// XPath 1.0 (3.4) for single values, javarosa's tolerance for equal numbers.
absl::Status Evaluator::Compare(const Node& n, XValue* out) {
  XValue a;
  XValue b;
  absl::Status s = EvalValue(program_.child_index(n, 0), &a);
  if (s.ok()) s = EvalValue(program_.child_index(n, 1), &b);
  if (!s.ok()) return s;
  bool result = false;
  if (n.op == NodeOp::kEq || n.op == NodeOp::kNe) {
    bool equal;
    if (a.is_boolean() || b.is_boolean()) {
      equal = ToBoolean(a) == ToBoolean(b);
    } else if (a.is_number() || b.is_number()) {
      equal = std::fabs(Number(a) - Number(b)) < 1e-12;
    } else {
      equal = a.string == b.string;
    }
    result = (n.op == NodeOp::kEq) == equal;
  } else {
    const double x = Number(a);
    const double y = Number(b);
    switch (n.op) {
      case NodeOp::kLt:
        result = x < y;
        break;
      case NodeOp::kLe:
        result = x <= y;
        break;
      case NodeOp::kGt:
        result = x > y;
        break;
      default:
        result = x >= y;
        break;
    }
  }
  *out = XValue::Boolean(result);
  return absl::OkStatus();
}

absl::Status Evaluator::Eval(int32_t index, XValue* out) {
  const Node& n = program_.nodes[index];
  absl::Status s = Charge(1);
  if (!s.ok()) return s;
  switch (n.op) {
    case NodeOp::kNumber:
      *out = XValue::Number(n.number);
      return absl::OkStatus();
    case NodeOp::kString:
      *out = XValue::String(n.str);
      return ChargeString(n.str.size());
    case NodeOp::kRef:
      return EvalRef(n, out);
    case NodeOp::kNeg:
      s = EvalValue(program_.child_index(n, 0), out);
      if (s.ok()) *out = XValue::Number(-Number(*out));
      return s;
    case NodeOp::kOr:
    case NodeOp::kAnd: {
      // Short-circuit: `or` stops at the first true operand, `and` at the first false.
      const bool stop_at = n.op == NodeOp::kOr;
      for (int i = 0; i < n.num_children; ++i) {
        s = EvalValue(program_.child_index(n, i), out);
        if (!s.ok()) return s;
        if (ToBoolean(*out) == stop_at) break;
      }
      *out = XValue::Boolean(ToBoolean(*out));
      return absl::OkStatus();
    }
    case NodeOp::kEq:
    case NodeOp::kNe:
    case NodeOp::kLt:
    case NodeOp::kLe:
    case NodeOp::kGt:
    case NodeOp::kGe:
      return Compare(n, out);
    case NodeOp::kAdditive: {
      XValue operand;
      double sum = 0;
      for (int i = 0; i < n.num_children; ++i) {
        s = EvalValue(program_.child_index(n, i), &operand);
        if (!s.ok()) return s;
        const double x = Number(operand);
        sum = (i == 0 || n.str[i - 1] == '+') ? sum + x : sum - x;
      }
      *out = XValue::Number(sum);
      return absl::OkStatus();
    }
    case NodeOp::kMul:
    case NodeOp::kDiv:
    case NodeOp::kMod: {
      XValue a;
      XValue b;
      s = EvalValue(program_.child_index(n, 0), &a);
      if (s.ok()) s = EvalValue(program_.child_index(n, 1), &b);
      if (!s.ok()) return s;
      const double x = Number(a);
      const double y = Number(b);
      // IEEE 754 as XPath 1.0 asks: x div 0 is +-Infinity (NaN for 0 div 0); mod is the
      // remainder with the sign of the dividend, as Java's % and C's fmod.
      *out = XValue::Number(n.op == NodeOp::kMul   ? x * y
                            : n.op == NodeOp::kDiv ? x / y
                                                   : std::fmod(x, y));
      return absl::OkStatus();
    }
    case NodeOp::kCall:
      return CallFunction(*this, n, out);
  }
  return absl::OkStatus();
}

}  // namespace fieldsync::expr
