// Walks a Program's tree for one evaluation, within the budget of Limits. One Evaluator per
// evaluation, on one thread. Internal to server/expr.
#ifndef FIELDSYNC_SERVER_EXPR_EVALUATOR_H_
#define FIELDSYNC_SERVER_EXPR_EVALUATOR_H_

#include <optional>

#include "absl/status/status.h"
#include "absl/strings/string_view.h"
#include "server/expr/expr.h"
#include "server/expr/program.h"
#include "server/expr/xvalue.h"

namespace fieldsync::expr {

class Evaluator {
 public:
  Evaluator(const Program& program, EvalContext& ctx) : program_(program), ctx_(ctx) {}

  // The root's value, a node-set unpacked to one value.
  absl::Status Run(XValue* out) { return EvalValue(program_.root, out); }

  // The value of node `index`; a reference to a repeated field stays a node-set.
  absl::Status Eval(int32_t index, XValue* out);
  // The value of node `index` as one value: a node-set of one is its value, of none "",
  // of more an error (javarosa's rule).
  absl::Status EvalValue(int32_t index, XValue* out);
  // A reference node as a node-set: a kValue or kNode reference is a node-set of one.
  absl::Status EvalNodeSet(int32_t index, XValue* out);
  // The value of `.` (for functions that read it).
  absl::Status EvalSelf(XValue* out);

  // Spends `units` of Limits::max_steps; RESOURCE_EXHAUSTED when the budget is gone.
  absl::Status Charge(int64_t units);
  // RESOURCE_EXHAUSTED when a string of `bytes` would pass Limits::max_string_bytes; else
  // charges one unit per 64 bytes.
  absl::Status ChargeString(size_t bytes);
  // INVALID_ARGUMENT "column N: message" at node `at`.
  absl::Status Error(const Node& at, absl::string_view message) const;

  double Number(const XValue& v) { return ToNumber(v, TimeZone()); }
  absl::TimeZone TimeZone();
  EvalContext& ctx() { return ctx_; }
  const Program& program() const { return program_; }

 private:
  absl::Status EvalRef(const Node& n, XValue* out);
  absl::Status Unpack(const Node& at, XValue* v);
  absl::Status Compare(const Node& n, XValue* out);

  const Program& program_;
  EvalContext& ctx_;
  int64_t steps_ = 0;
  std::optional<absl::TimeZone> tz_;
};

// Evaluates the kCall node `call` (functions.cc and its siblings).
absl::Status CallFunction(Evaluator& ev, const Node& call, XValue* out);

}  // namespace fieldsync::expr

#endif  // FIELDSYNC_SERVER_EXPR_EVALUATOR_H_
