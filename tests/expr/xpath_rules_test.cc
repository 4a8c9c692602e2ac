// XPath 1.0's operators and type rules, with the values records hold. Sources as in
// functions_test.cc: [javarosa] XPathEvalTest.java, [xpath] REC-xpath-19991116 sections,
// [spec] xforms-spec 30-bindings.md, [fixture] test_context.h by hand.
#include <string>

#include "gtest/gtest.h"
#include "tests/expr/test_context.h"

namespace fieldsync::expr {
namespace {

using testing::EvalString;
using testing::ExpectRows;

TEST(ExprRulesTest, Literals) {
  ExpectRows({
      {"5", "5", "javarosa"},
      {"555555.555", "555555.555", "javarosa"},
      {".000555", "0.000555", "javarosa"},
      {"-5", "-5", "javarosa"},
      {"-0", "0", "javarosa"},
      {"''", "", "javarosa"},
      {"'\"'", "\"", "javarosa"},
      {"\"test string\"", "test string", "javarosa"},
      {"\"it's\"", "it's", "xpath 3.7: either quote"},
  });
}

TEST(ExprRulesTest, Arithmetic) {
  ExpectRows({
      {"5.5 + 5.5", "11", "javarosa"},
      // javarosa's test expects -1.7 within a tolerance; the double is -1.7000000000000002.
      {"6.1 - 7.8", "-1.7000000000000002", "javarosa (IEEE 754 result)"},
      {"-3 + 4", "1", "javarosa"},
      {"3 + -4", "-1", "javarosa"},
      {"1 - 2 - 3", "-4", "javarosa"},
      {"1 - (2 - 3)", "2", "javarosa"},
      {"-(8*5)", "-40", "javarosa"},
      {"-'19'", "-19", "javarosa"},
      {"--5", "5", "xpath 3.5"},
      {"1.1 * -1.1", "-1.2100000000000002", "javarosa (IEEE 754 result)"},
      {"-10 div -4", "2.5", "javarosa"},
      {"2 * 3 div 8 * 2", "1.5", "javarosa"},
      {"3 + 3 * 3", "12", "javarosa"},
      {"1 div 0", "Infinity", "javarosa; xpath 3.5 (IEEE 754)"},
      {"-1 div 0", "-Infinity", "javarosa"},
      {"0 div 0", "NaN", "javarosa"},
      {"3.1 mod 3.1", "0", "javarosa"},
      {"5 mod 3.1", "1.9", "javarosa"},
      {"5 mod -3", "2", "javarosa; xpath 3.5: the sign of the dividend"},
      {"-5 mod 3", "-2", "javarosa"},
      {"-5 mod -3", "-2", "javarosa"},
      {"5 mod 0", "NaN", "javarosa"},
      {"5 * (6 + 7)", "65", "javarosa"},
      {"'123' * '456'", "56088", "javarosa: strings become numbers"},
      {"true() + 8", "9", "javarosa: true is 1"},
      {"${age} + 1", "31", "fixture: an integer field is a number"},
      {"${text5} * 2", "10", "fixture: a text field holding 5"},
      {"${empty} + 1", "NaN", "fixture: unanswered is \"\", which is NaN"},
      {"0.1 + 0.2", "0.30000000000000004", "xpath 4.2: the shortest decimal, no rounding"},
      {"(0.1 * 3) * 10", "3", "javarosa: a value within 1e-12 of an integer prints as one"},
      {"${price} * 4 div 3", "3.3333333333333335", "fixture"},
  });
}

TEST(ExprRulesTest, BooleanOperators) {
  ExpectRows({
      {"true() and false()", "false", "javarosa"},
      {"false() or false()", "false", "javarosa"},
      {"true() or true() and false()", "true", "javarosa: and binds tighter"},
      {"(true() or true()) and false()", "false", "javarosa"},
      {"true() or date('')", "true", "javarosa: short-circuit"},
      {"false() and date('')", "false", "javarosa: short-circuit"},
      {"false() and date('x')", "false", "xpath 3.4: the right operand is not evaluated"},
      {"'' or 17", "true", "javarosa"},
      {"false() or 0 + 2", "true", "javarosa"},
      {"(false() or 0) + 2", "2", "javarosa"},
      {"${age} > 18 and ${name} != '' and selected(${sm}, 'a')", "true", "fixture"},
  });
}

TEST(ExprRulesTest, Comparisons) {
  ExpectRows({
      {"4 < 5", "true", "javarosa"},
      {"5 < 5", "false", "javarosa"},
      {"5 <= 5", "true", "javarosa"},
      {"6 > 5", "true", "javarosa"},
      {"4 >= 5", "false", "javarosa"},
      {"-3 > -6", "true", "javarosa"},
      {"true() > 0.9999", "true", "javarosa"},
      {"'-17' > '-172'", "true", "javarosa; xpath 3.4: < compares numbers"},
      {"'abc' < 'abcd'", "false", "javarosa: NaN"},
      {"date('2001-12-26') > date('2001-12-25')", "true", "javarosa"},
      {"'2001-12-26' > '2001-12-25'", "true", "spec number(): date strings compare as days"},
      {"false() and false() < true()", "false", "javarosa"},
      {"(false() and false()) < true()", "true", "javarosa"},
      {"6 < 7 - 4", "false", "javarosa"},
      {"(6 < 7) - 4", "-3", "javarosa"},
      {"3 < 4 < 5", "true", "javarosa"},
      {"3 < (4 < 5)", "false", "javarosa"},
      {"true() = true()", "true", "javarosa"},
      {"true() != false()", "true", "javarosa"},
      {"3 = 3", "true", "javarosa"},
      {"3 != 4", "true", "javarosa"},
      {"6.1 - 7.8 = -1.7", "true", "javarosa: equal within 1e-12"},
      {"'abc' = 'abc'", "true", "javarosa"},
      {"'abc' != 'def'", "true", "javarosa"},
      {"'' = ''", "true", "javarosa"},
      {"true() = 17", "true", "javarosa; xpath 3.4: a boolean side compares booleans"},
      {"0 = false()", "true", "javarosa"},
      {"true() = 'true'", "true", "javarosa"},
      {"17 = '17.0000000'", "true", "javarosa; xpath 3.4: a number side compares numbers"},
      {"'0017.' = 17", "true", "javarosa"},
      {"'017.' = '17.000'", "false", "javarosa: two strings compare as strings"},
      {"date('2004-05-01') = date('2004-05-01')", "true", "javarosa"},
      {"true() != date('1999-09-09')", "false", "javarosa"},
      {"-3 < 3 = 6 >= 6", "true", "javarosa"},
      {"number('NaN') = number('NaN')", "false", "xpath 3.4 (IEEE 754)"},
      {"number('NaN') != number('NaN')", "true", "xpath 3.4 (IEEE 754)"},
      {"${age} = '30'", "true", "fixture: an integer field against a string"},
      {"${text5} = 5.0", "true", "fixture: a text field against a number"},
      {"${empty} = ''", "true", "fixture: unanswered equals ''"},
      {"${empty} = 0", "false", "fixture: unanswered is NaN as a number"},
      {"${flag} = true()", "true", "fixture: a bool field"},
      {"${flag} = 'false'", "true", "xpath 3.4: 'false' is a non-empty string: true"},
      {"${fruit} = 'mango'", "true", "fixture: select_one"},
      {"${sm} = 'a c'", "true", "fixture: select_multiple as its list"},
      {"${single_age} > 40", "true", "javarosa: a node-set of one compares as its value"},
  });
}

TEST(ExprRulesTest, PathsAndSelf) {
  ExpectRows({
      {"../age + 1", "31", "xpath 2: a relative path"},
      {"/data/name", "Amina", "xpath 2: an absolute path"},
      {"./../age", "30", "xpath 2.5: '.' steps"},
      {"string(.)", "", "fixture: the current field is unanswered"},
  });
}

}  // namespace
}  // namespace fieldsync::expr
