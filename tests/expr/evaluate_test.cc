// Evaluation against a context: how record values read in XPath, results as field values,
// once(), the injected clock and random source, runtime errors, and concurrent evaluation.
#include <string>
#include <thread>
#include <vector>

#include "gmock/gmock.h"
#include "gtest/gtest.h"
#include "tests/expr/test_context.h"

namespace fieldsync::expr {
namespace {

using testing::AddHousehold;
using testing::FakeContext;
using ::testing::HasSubstr;
using ::testing::MatchesRegex;
using testing::TableResolver;

class ExprEvaluateTest : public ::testing::Test {
 protected:
  ExprEvaluateTest() { AddHousehold(&resolver_, &ctx_); }

  CompiledExpr MustCompile(const std::string& text) {
    absl::StatusOr<CompiledExpr> e = Compile(text, resolver_);
    EXPECT_TRUE(e.ok()) << text << ": " << e.status();
    return *std::move(e);
  }
  absl::StatusOr<Value> As(FieldType type, const std::string& text) {
    return MustCompile(text).EvaluateAs(type, ctx_);
  }
  std::string Str(const std::string& text) { return *MustCompile(text).EvaluateString(ctx_); }

  TableResolver resolver_;
  FakeContext ctx_;
};

// expr.h's table: a record value as string(), number() and boolean() see it.
TEST_F(ExprEvaluateTest, RecordValuesReadAsJavarosaUnpacksThem) {
  struct Case {
    Value value;
    const char* as_string;
    const char* as_number;
    const char* as_boolean;
  };
  const Case cases[] = {
      {Value(), "", "NaN", "false"},
      {Value(std::string("")), "", "NaN", "false"},
      {Value(std::string("abc")), "abc", "NaN", "true"},
      {Value(std::string("12.50")), "12.50", "12.5", "true"},
      {Value(int64_t{-7}), "-7", "-7", "true"},
      {Value(int64_t{0}), "0", "0", "false"},
      {Value(2.25), "2.25", "2.25", "true"},
      {Value(true), "true", "1", "true"},
      {Value(false), "false", "0", "false"},
      {Value(std::vector<std::string>{"x", "y", "z"}), "x y z", "NaN", "true"},
      {Value(std::vector<std::string>{}), "", "NaN", "false"},
      {Value(GeoPoint{-1.5, 30.25}), "-1.5 30.25 0 0", "NaN", "true"},
      {Value(std::string("2024-03-05")), "2024-03-05", "19787", "true"},
      {Value(std::string("1970-01-01T06:00:00.000+00:00")), "1970-01-01T06:00:00.000+00:00", "0.25",
       "true"},
      {Value(std::string("14:30:00.000")), "14:30:00.000", "NaN", "true"},
  };
  for (const Case& c : cases) {
    ctx_.values[testing::kName] = c.value;
    EXPECT_EQ(Str("string(${name})"), c.as_string) << DebugString(c.value);
    EXPECT_EQ(Str("number(${name})"), c.as_number) << DebugString(c.value);
    EXPECT_EQ(Str("boolean(${name})"), c.as_boolean) << DebugString(c.value);
  }
}

TEST_F(ExprEvaluateTest, ResultsAsFieldValues) {
  EXPECT_EQ(*As(FieldType::kInt, "${age} + 1.9"), Value(int64_t{31}));
  EXPECT_EQ(*As(FieldType::kInt, "-7 div 2"), Value(int64_t{-3}));
  EXPECT_EQ(*As(FieldType::kInt, "${empty}"), Value());
  EXPECT_EQ(*As(FieldType::kInt, "'12'"), Value(int64_t{12}));
  EXPECT_THAT(As(FieldType::kInt, "1 div 0").status().message(),
              HasSubstr("is not an integer in range"));
  EXPECT_EQ(*As(FieldType::kDecimal, "${price} * 3"), Value(7.5));
  EXPECT_EQ(*As(FieldType::kDecimal, "1 div 0"), Value());
  EXPECT_EQ(*As(FieldType::kDecimal, "'abc'"), Value());
  EXPECT_EQ(*As(FieldType::kBool, "${age} > 18"), Value(true));
  EXPECT_EQ(*As(FieldType::kBool, "'0'"), Value(false));
  EXPECT_EQ(*As(FieldType::kBool, "''"), Value());
  EXPECT_EQ(As(FieldType::kBool, "'maybe'").status().code(), absl::StatusCode::kInvalidArgument);
  EXPECT_EQ(*As(FieldType::kString, "concat('a', 1)"), Value(std::string("a1")));
  EXPECT_EQ(*As(FieldType::kString, "''"), Value());
  EXPECT_EQ(*As(FieldType::kSelectOne, "if(${age} > 18, 'adult', 'child')"),
            Value(std::string("adult")));
  EXPECT_EQ(*As(FieldType::kSelectMultiple, "concat('a', '  b ', 'c')"),
            Value(std::vector<std::string>{"a", "b", "c"}));
  EXPECT_EQ(*As(FieldType::kSelectMultiple, "' '"), Value());
  EXPECT_EQ(*As(FieldType::kDate, "today() + 1"), Value(std::string("2024-03-06")));
  EXPECT_EQ(*As(FieldType::kDate, "'2024-3-7'"), Value(std::string("2024-03-07")));
  EXPECT_EQ(*As(FieldType::kDate, "now()"), Value(std::string("2024-03-05")));
  EXPECT_EQ(*As(FieldType::kDate, "${empty}"), Value());
  EXPECT_THAT(As(FieldType::kDate, "'soon'").status().message(), HasSubstr("is not a date"));
  EXPECT_EQ(*As(FieldType::kDatetime, "now()"),
            Value(std::string("2024-03-05T10:20:30.250+00:00")));
  EXPECT_EQ(*As(FieldType::kDatetime, "'2024-03-05'"),
            Value(std::string("2024-03-05T00:00:00.000+00:00")));
  EXPECT_EQ(*As(FieldType::kGeopoint, "'36.1 44.2 350 5'"), Value(GeoPoint{36.1, 44.2}));
  EXPECT_EQ(*As(FieldType::kGeopoint, "${gps}"), Value(GeoPoint{36.19, 44.01}));
  EXPECT_THAT(As(FieldType::kGeopoint, "'95 0'").status().message(),
              HasSubstr("is not a geopoint"));
}

TEST_F(ExprEvaluateTest, BooleanNumberAndStringResults) {
  EXPECT_TRUE(*MustCompile("${age} > 18").EvaluateBoolean(ctx_));
  EXPECT_FALSE(*MustCompile("${empty}").EvaluateBoolean(ctx_));
  EXPECT_EQ(*MustCompile("count(${members})").EvaluateNumber(ctx_), 6);
  EXPECT_TRUE(std::isnan(*MustCompile("${name}").EvaluateNumber(ctx_)));
  EXPECT_EQ(*MustCompile("${age} div 4").EvaluateString(ctx_), "7.5");
}

TEST_F(ExprEvaluateTest, OnceKeepsAValueAlreadyThere) {
  const CompiledExpr e = MustCompile("once(concat('id-', ${age}))");
  EXPECT_EQ(*e.EvaluateString(ctx_), "id-30");
  ctx_.values[testing::kSelf] = std::string("id-12");
  ctx_.values[testing::kAge] = int64_t{99};
  EXPECT_EQ(*e.EvaluateString(ctx_), "id-12");
}

TEST_F(ExprEvaluateTest, ClockAndTimeZoneAreInjected) {
  ctx_.tz = absl::FixedTimeZone(3 * 3600);
  EXPECT_EQ(Str("now()"), "2024-03-05T13:20:30.250+03:00");
  ctx_.now += absl::Hours(14);  // 03:20 on the 6th in +03:00, 00:20 UTC
  EXPECT_EQ(Str("today()"), "2024-03-06");
  EXPECT_EQ(Str("date-time('2024-03-06T08:00:00')"), "2024-03-06T08:00:00.000+03:00");
  EXPECT_EQ(Str("decimal-date-time('1970-01-01T03:00:00')"), "0");
  EXPECT_EQ(Str("decimal-time('09:00:00Z')"), "0.5");  // noon at +03:00
}

TEST_F(ExprEvaluateTest, RandomSourceIsInjected) {
  const std::string a = Str("uuid()");
  EXPECT_THAT(a,
              MatchesRegex("[0-9a-f]{8}-[0-9a-f]{4}-4[0-9a-f]{3}-[89ab][0-9a-f]{3}-[0-9a-f]{12}"));
  FakeContext same_seed;
  AddHousehold(&resolver_, &same_seed);
  EXPECT_EQ(*MustCompile("uuid()").EvaluateString(same_seed), a);  // seeded: repeatable
  EXPECT_NE(Str("uuid()"), a);
  EXPECT_THAT(Str("uuid(20)"), MatchesRegex("[0-9a-zA-Z]{20}"));
  const double r = *MustCompile("random()").EvaluateNumber(ctx_);
  EXPECT_GE(r, 0);
  EXPECT_LT(r, 1);
}

TEST_F(ExprEvaluateTest, RuntimeErrorsNameTheColumn) {
  absl::StatusOr<std::string> r = MustCompile("1 + ${member_age}").EvaluateString(ctx_);
  EXPECT_EQ(r.status().code(), absl::StatusCode::kInvalidArgument);
  EXPECT_EQ(r.status().message(),
            "column 5: '${member_age}' has 6 values here (it is in a repeat); use count(), "
            "sum(), join() or indexed-repeat() to use it from outside the repeat");
  r = MustCompile("date('1983-09-31')").EvaluateString(ctx_);
  EXPECT_EQ(r.status().message(), "column 1: '1983-09-31' is not a date");
  r = MustCompile("date(true())").EvaluateString(ctx_);
  EXPECT_EQ(r.status().code(), absl::StatusCode::kInvalidArgument);
  r = MustCompile("date(1 div 0)").EvaluateString(ctx_);
  EXPECT_THAT(r.status().message(), HasSubstr("out of range for a date"));
  r = MustCompile("format-date(${name}, '%Y')").EvaluateString(ctx_);
  EXPECT_EQ(r.status().message(), "column 1: 'Amina' is not a date");
  EXPECT_EQ(Str("format-date(today(), ${name})"), "Amina");  // no escape: the text as it is
  ctx_.values[testing::kName] = std::string("%Q");
  r = MustCompile("format-date(today(), ${name})").EvaluateString(ctx_);
  EXPECT_THAT(r.status().message(), HasSubstr("unknown date format escape '%Q'"));
  r = MustCompile("digest('a', ${name})").EvaluateString(ctx_);
  EXPECT_EQ(r.status().message(),
            "column 1: digest(): unknown algorithm '%Q' (MD5, SHA-1, SHA-256, SHA-384, SHA-512)");
  r = MustCompile("distance('1 2 3 4 5')").EvaluateString(ctx_);
  EXPECT_THAT(r.status().message(), HasSubstr("is not a geopoint"));
  ctx_.values[testing::kName] = std::string("(");
  r = MustCompile("regex('a', ${name})").EvaluateString(ctx_);
  EXPECT_THAT(r.status().message(), HasSubstr("regex(): pattern not supported"));
}

TEST_F(ExprEvaluateTest, IndexedRepeatPassesRepeatsFromTheWholeForm) {
  EXPECT_EQ(Str("indexed-repeat(${member_name}, ${members}, ${age} - 27)"), "Sara");
  EXPECT_EQ(ctx_.last_indexed_repeats, std::vector<RefId>{testing::kMembers});
}

TEST_F(ExprEvaluateTest, ManyThreadsEvaluateOneCompiledExpression) {
  const CompiledExpr e = MustCompile(
      "if(count(${members}) > 5 and regex(${name}, '^A'), sum(${member_age}) + ${age}, -1)");
  std::vector<std::thread> threads;
  std::vector<double> results(8);
  for (int t = 0; t < 8; ++t) {
    threads.emplace_back([&, t] {
      TableResolver r;
      FakeContext ctx;
      AddHousehold(&r, &ctx);
      ctx.values[testing::kAge] = int64_t{t};
      double sum = 0;
      for (int i = 0; i < 200; ++i) sum += *e.EvaluateNumber(ctx);
      results[t] = sum;
    });
  }
  for (std::thread& t : threads) t.join();
  for (int t = 0; t < 8; ++t) EXPECT_EQ(results[t], 200.0 * (79 + t));
}

}  // namespace
}  // namespace fieldsync::expr
