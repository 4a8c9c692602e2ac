// Every bound of Limits, exceeded: a hostile form cannot hang or crash the server.
#include <string>

#include "absl/strings/str_cat.h"
#include "gmock/gmock.h"
#include "gtest/gtest.h"
#include "tests/expr/test_context.h"

namespace fieldsync::expr {
namespace {

using testing::AddHousehold;
using testing::EvalString;
using testing::FakeContext;
using ::testing::HasSubstr;
using testing::TableResolver;

std::string Repeat(const std::string& s, int n) {
  std::string out;
  for (int i = 0; i < n; ++i) out += s;
  return out;
}

TEST(ExprLimitsTest, TextLength) {
  Limits limits;
  limits.max_text_bytes = 100;
  const std::string ok = "1" + Repeat(" + 1", 24);  // 97 bytes
  EXPECT_EQ(*EvalString(ok, limits), "25");
  absl::StatusOr<std::string> r = EvalString(ok + " + 1", limits);
  EXPECT_EQ(r.status().code(), absl::StatusCode::kInvalidArgument);
  EXPECT_EQ(r.status().message(), "expression too long (101 bytes; at most 100)");
}

TEST(ExprLimitsTest, NestingOfParenthesesAndCalls) {
  Limits limits;
  limits.max_depth = 20;
  EXPECT_EQ(*EvalString(Repeat("(", 18) + "1" + Repeat(")", 18), limits), "1");
  absl::StatusOr<std::string> r = EvalString(Repeat("(", 25) + "1" + Repeat(")", 25), limits);
  EXPECT_EQ(r.status().code(), absl::StatusCode::kInvalidArgument);
  EXPECT_THAT(r.status().message(), HasSubstr("nested too deeply (more than 20 levels)"));
  r = EvalString(Repeat("abs(", 25) + "1" + Repeat(")", 25), limits);
  EXPECT_THAT(r.status().message(), HasSubstr("nested too deeply"));
  // The default bound stops a parser recursion bomb long before the stack.
  Limits long_text;
  long_text.max_text_bytes = 1 << 20;
  r = EvalString(Repeat("(", 100000) + "1" + Repeat(")", 100000), long_text);
  EXPECT_THAT(r.status().message(), HasSubstr("nested too deeply (more than 64 levels)"));
  // A caller's larger bound is capped where the evaluator's recursion stays safe.
  long_text.max_depth = 1 << 30;
  r = EvalString(Repeat("(", 100000) + "1" + Repeat(")", 100000), long_text);
  EXPECT_THAT(r.status().message(), HasSubstr("nested too deeply (more than 256 levels)"));
}

TEST(ExprLimitsTest, DepthOfOperatorChains) {
  Limits limits;
  limits.max_depth = 20;
  // A multiplication chain nests left-deep, one level per operator.
  absl::StatusOr<std::string> r = EvalString("1" + Repeat(" * 1", 25), limits);
  EXPECT_THAT(r.status().message(), HasSubstr("nested too deeply"));
  // and/or and +/- chains are one level each, however long (a score of 200 questions).
  EXPECT_EQ(*EvalString("1" + Repeat(" + 1", 199), limits), "200");
  EXPECT_EQ(*EvalString("true()" + Repeat(" and true()", 199), limits), "true");
}

TEST(ExprLimitsTest, NodeCount) {
  Limits limits;
  limits.max_nodes = 50;
  EXPECT_EQ(*EvalString("1" + Repeat(" + 1", 48), limits), "49");
  absl::StatusOr<std::string> r = EvalString("1" + Repeat(" + 1", 50), limits);
  EXPECT_EQ(r.status().code(), absl::StatusCode::kInvalidArgument);
  EXPECT_THAT(r.status().message(), HasSubstr("expression too large (more than 50"));
}

TEST(ExprLimitsTest, EvaluationSteps) {
  Limits limits;
  limits.max_steps = 20;
  EXPECT_EQ(*EvalString("sum(${member_age}) + 1", limits), "80");
  absl::StatusOr<std::string> r =
      EvalString("sum(${member_age}) + sum(${member_age}) + sum(${member_age})", limits);
  EXPECT_EQ(r.status().code(), absl::StatusCode::kResourceExhausted);
  EXPECT_EQ(r.status().message(), "expression evaluation took more than 20 steps");
}

TEST(ExprLimitsTest, NodeSetSize) {
  TableResolver resolver;
  FakeContext ctx;
  AddHousehold(&resolver, &ctx);
  ctx.node_sets[testing::kMemberAge] = std::vector<Value>(101, Value(int64_t{1}));
  Limits limits;
  limits.max_node_set = 100;
  absl::StatusOr<CompiledExpr> e = Compile("count(${member_age})", resolver, limits);
  ASSERT_TRUE(e.ok());
  absl::StatusOr<double> r = e->EvaluateNumber(ctx);
  EXPECT_EQ(r.status().code(), absl::StatusCode::kResourceExhausted);
  EXPECT_EQ(r.status().message(), "'${member_age}' has more than 100 values");
  ctx.node_sets[testing::kMemberAge].pop_back();
  EXPECT_EQ(*e->EvaluateNumber(ctx), 100);
}

TEST(ExprLimitsTest, StringSize) {
  TableResolver resolver;
  FakeContext ctx;
  AddHousehold(&resolver, &ctx);
  ctx.values[testing::kName] = std::string(600'000, 'x');
  Limits small;
  absl::StatusOr<CompiledExpr> e = Compile("concat(${name}, ${name})", resolver, small);
  ASSERT_TRUE(e.ok());
  absl::StatusOr<std::string> r = e->EvaluateString(ctx);
  EXPECT_EQ(r.status().code(), absl::StatusCode::kResourceExhausted);
  EXPECT_EQ(r.status().message(), "expression built a string of more than 1048576 bytes");
  // uuid(n) checks n before building anything.
  absl::StatusOr<std::string> u = EvalString("uuid(1000000000000)");
  EXPECT_EQ(u.status().code(), absl::StatusCode::kResourceExhausted);
  EXPECT_EQ(EvalString("uuid(12)")->size(), 12u);
}

TEST(ExprLimitsTest, RegexProgramSize) {
  Limits limits;
  limits.max_regex_program_bytes = 4 << 10;
  absl::StatusOr<std::string> r = EvalString("regex(${name}, '[a-z]{200}[0-9]{200}')", limits);
  EXPECT_EQ(r.status().code(), absl::StatusCode::kInvalidArgument);
  EXPECT_THAT(r.status().message(), HasSubstr("regular expression not supported"));
  // A pattern known only when evaluating is held to the same bound.
  r = EvalString("regex(${name}, concat('[a-z]{200}', '[0-9]{200}'))", limits);
  EXPECT_EQ(r.status().code(), absl::StatusCode::kInvalidArgument);
  EXPECT_THAT(r.status().message(), HasSubstr("regex(): pattern not supported"));
  EXPECT_EQ(*EvalString("regex(${name}, '[a-z]{2}')", limits), "true");
}

}  // namespace
}  // namespace fieldsync::expr
