#include "server/expr/expr.h"

#include <utility>

#include "server/expr/evaluator.h"
#include "server/expr/parser.h"
#include "server/expr/program.h"
#include "server/expr/xvalue.h"

namespace fieldsync::expr {

CompiledExpr::CompiledExpr(std::shared_ptr<const Program> program) : program_(std::move(program)) {}

absl::StatusOr<bool> CompiledExpr::EvaluateBoolean(EvalContext& ctx) const {
  XValue v;
  Evaluator ev(*program_, ctx);
  absl::Status s = ev.Run(&v);
  if (!s.ok()) return s;
  return ToBoolean(v);
}

absl::StatusOr<double> CompiledExpr::EvaluateNumber(EvalContext& ctx) const {
  XValue v;
  Evaluator ev(*program_, ctx);
  absl::Status s = ev.Run(&v);
  if (!s.ok()) return s;
  return ev.Number(v);
}

absl::StatusOr<std::string> CompiledExpr::EvaluateString(EvalContext& ctx) const {
  XValue v;
  Evaluator ev(*program_, ctx);
  absl::Status s = ev.Run(&v);
  if (!s.ok()) return s;
  return v.is_string() ? std::move(v.string) : ToString(v);
}

absl::StatusOr<Value> CompiledExpr::EvaluateAs(FieldType type, EvalContext& ctx) const {
  XValue v;
  Evaluator ev(*program_, ctx);
  absl::Status s = ev.Run(&v);
  if (!s.ok()) return s;
  return ToFieldValue(v, type, ev.TimeZone());
}

const std::string& CompiledExpr::text() const { return program_->text; }

const std::vector<ResolvedRef>& CompiledExpr::references() const { return program_->refs; }

bool CompiledExpr::volatile_result() const { return program_->volatile_result; }

absl::StatusOr<CompiledExpr> Compile(std::string_view text, const Resolver& resolver,
                                     const Limits& limits) {
  absl::StatusOr<std::shared_ptr<const Program>> program =
      ParseProgram(absl::string_view(text.data(), text.size()), resolver, limits);
  if (!program.ok()) return program.status();
  return CompiledExpr(*std::move(program));
}

}  // namespace fieldsync::expr
