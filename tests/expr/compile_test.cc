// Compile: syntax errors with their column, unknown functions and fields, arity, type
// mismatches visible in the text, what is not supported, spreadsheet quirks as pyxform takes
// them, and what a CompiledExpr tells about itself.
#include <string>

#include "absl/strings/match.h"
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

// The compile error of `text` against the household (fails the test if it compiles).
std::string CompileError(const std::string& text) {
  TableResolver resolver;
  FakeContext ctx;
  AddHousehold(&resolver, &ctx);
  absl::StatusOr<CompiledExpr> e = Compile(text, resolver);
  if (e.ok()) {
    ADD_FAILURE() << text << " compiled";
    return "";
  }
  EXPECT_EQ(e.status().code(), absl::StatusCode::kInvalidArgument) << text;
  return std::string(e.status().message());
}

TEST(ExprCompileTest, SyntaxErrorsNameTheColumn) {
  EXPECT_EQ(CompileError("${age} >"),
            "column 9: expected a value, a reference or a function "
            "call, found end of expression");
  EXPECT_EQ(CompileError("(1 + 2"), "column 7: expected ')', found end of expression");
  EXPECT_EQ(CompileError("1 + 2)"), "column 6: unexpected ')' after a complete expression");
  EXPECT_EQ(CompileError("'abc"), "column 1: string literal is not closed");
  EXPECT_EQ(CompileError("1 ! 2"), "column 3: '!' must be followed by '='");
  EXPECT_EQ(CompileError("1 # 2"), "column 3: unexpected character '#'");
  EXPECT_EQ(CompileError("if(1, 2 3)"),
            "column 9: expected ',' or ')' in the arguments of if(), found '3'");
  EXPECT_EQ(CompileError(""), "column 1: empty expression");
  EXPECT_EQ(CompileError("   "), "column 1: empty expression");
  EXPECT_EQ(CompileError("1 == 2"),
            "column 4: expected a value, a reference or a function call, found '='");
  // Columns count characters, not bytes: the Arabic literal is 5 characters.
  EXPECT_EQ(CompileError("'مرحبا' + )"),
            "column 11: expected a value, a reference or a function call, found ')'");
}

TEST(ExprCompileTest, UnknownFunctionsAndArity) {
  EXPECT_EQ(CompileError("foo(1)"), "column 1: unknown function 'foo()'");
  EXPECT_EQ(CompileError("1 + not-a-function()"), "column 5: unknown function 'not-a-function()'");
  EXPECT_EQ(CompileError("true(5)"), "column 1: true() takes 0 arguments, not 1");
  EXPECT_EQ(CompileError("if(1, 2)"), "column 1: if() takes 3 arguments, not 2");
  EXPECT_EQ(CompileError("string('too', 'many', 'args')"),
            "column 1: string() takes 0 to 1 argument, not 3");
  EXPECT_EQ(CompileError("substr('a')"), "column 1: substr() takes 2 to 3 arguments, not 1");
  EXPECT_EQ(CompileError("join()"), "column 1: join() takes at least 1 argument, not 0");
  EXPECT_EQ(CompileError("weighted-checklist(1, 2, 3)"),
            "column 1: weighted-checklist() takes min, max and pairs of value and weight");
  EXPECT_EQ(CompileError("indexed-repeat(${member_name}, ${members})"),
            "column 1: indexed-repeat() takes 3 to 7 arguments, not 2");
}

TEST(ExprCompileTest, UnknownReferences) {
  EXPECT_EQ(CompileError("${agee} > 5"), "column 1: unknown field ${agee}");
  EXPECT_EQ(CompileError("1 + ../nothing"), "column 5: path '../nothing' names no field");
  EXPECT_EQ(CompileError("jr:choice-name(${fruit}, '${fruits}')"),
            "column 26: unknown field ${fruits}");
}

TEST(ExprCompileTest, TypeMismatchesVisibleInTheText) {
  EXPECT_THAT(CompileError("count(1 + 2)"),
              HasSubstr("count() takes a reference to a field or repeat"));
  EXPECT_THAT(CompileError("sum('3')"), HasSubstr("sum() takes a reference"));
  EXPECT_THAT(CompileError("position(1)"), HasSubstr("position() takes a reference"));
  EXPECT_EQ(CompileError("selected(${sm}, 1)"),
            "column 17: the second argument of selected() is a choice name and must be in "
            "quotes (like '1')");
  EXPECT_THAT(CompileError("${grp} + 1"), HasSubstr("'${grp}' is a group or repeat"));
  EXPECT_THAT(CompileError("jr:choice-name(${fruit}, ${fruit})"),
              HasSubstr("must name the select field in quotes"));
  EXPECT_THAT(CompileError("indexed-repeat('x', ${members}, 1)"),
              HasSubstr("indexed-repeat() takes references"));
  EXPECT_THAT(CompileError("regex(., '(a)\\1')"), HasSubstr("regular expression not supported"));
  EXPECT_THAT(CompileError("format-date(., '%Q')"), HasSubstr("unknown date format escape '%Q'"));
  EXPECT_EQ(CompileError("digest(., 'SHA-3')"),
            "column 11: digest(): unknown algorithm 'SHA-3' (MD5, SHA-1, SHA-256, SHA-384, "
            "SHA-512)");
  EXPECT_THAT(CompileError("digest(., 'md5', 'base32')"), HasSubstr("unknown encoding"));
}

TEST(ExprCompileTest, UnsupportedConstructsSaySo) {
  EXPECT_THAT(CompileError("${member_name}[1]"), HasSubstr("predicates ('[...]')"));
  EXPECT_THAT(CompileError("../age[. > 1]"), HasSubstr("predicates ('[...]')"));
  EXPECT_THAT(CompileError("//age"), HasSubstr("'//' is not supported"));
  EXPECT_THAT(CompileError("/data//age"), HasSubstr("'//' is not supported"));
  EXPECT_THAT(CompileError("../@id"), HasSubstr("attributes"));
  EXPECT_THAT(CompileError("child::age"), HasSubstr("axes"));
  EXPECT_THAT(CompileError("../*"), HasSubstr("wildcard"));
  EXPECT_THAT(CompileError("${age} | ${name}"), HasSubstr("union"));
  EXPECT_THAT(CompileError("$age"), HasSubstr("a field is written ${age}"));
  EXPECT_THAT(CompileError("text()"), HasSubstr("node tests"));
  EXPECT_THAT(CompileError("instance('x')/root/item"), HasSubstr("secondary instances"));
  EXPECT_THAT(CompileError("pulldata('f', 'a', 'b', 'c')"), HasSubstr("secondary instances"));
  EXPECT_THAT(CompileError("jr:itext('x')"), HasSubstr("jr:itext() is not supported"));
  EXPECT_THAT(CompileError("${last-saved#age}"), HasSubstr("last-saved"));
  EXPECT_THAT(CompileError("${age}/x"), HasSubstr("a path after a reference"));
}

// pyxform (parsing/sheet_headers.py clean_text_values, xls2json_backends.py): curly quotes
// become straight ones, a no-break space a space, and runs of spaces one space; references
// must be exactly ${name} (validators/pyxform/pyxform_reference.py, PYREF_001).
TEST(ExprCompileTest, SpreadsheetQuirksAsPyxform) {
  EXPECT_EQ(*EvalString("selected(${sm}, ‘a’)"), "true");  // pyxform test_smart_quotes
  EXPECT_EQ(*EvalString("concat(“x”, ‘y’)"), "xy");
  EXPECT_EQ(*EvalString("“it’s”"), "it's");                 // a ’ inside “...” is a '
  EXPECT_EQ(*EvalString("${age}\u00A0>\u00A018"), "true");  // no-break spaces
  EXPECT_EQ(*EvalString("string-length('a  b')"), "3");     // the literal is 'a b'
  EXPECT_EQ(*EvalString("string-length('a\u00A0\u00A0b')"), "3");
  EXPECT_EQ(*EvalString("\n ${age} +\t1 \n"), "31");  // line breaks in a cell
  EXPECT_EQ(CompileError("${ age }"),
            "column 1: invalid reference '${ age }': a reference is '${', a field name and "
            "'}', with no spaces or other characters inside");
  EXPECT_THAT(CompileError("${age } > 1"), HasSubstr("invalid reference '${age }'"));
  EXPECT_THAT(CompileError("${a${age}}"), HasSubstr("invalid reference"));
  EXPECT_EQ(CompileError("1 + ${age"), "column 5: '${' is not closed by '}'");
  EXPECT_EQ(CompileError("‘abc"), "column 1: string literal is not closed");
}

TEST(ExprCompileTest, InvalidUtf8IsAnError) {
  EXPECT_EQ(CompileError("'a\xC3'"), "column 3: invalid UTF-8");
  EXPECT_EQ(CompileError("1 + \xFF"), "column 5: invalid UTF-8");
}

TEST(ExprCompileTest, OperatorNamesDependOnWhatPrecedes) {
  // XPath 1.0 3.7: after an operand, and/or/div/mod are operators; elsewhere names.
  TableResolver resolver;
  FakeContext ctx;
  resolver.AddPath("div", 1);
  resolver.AddPath("mod", 2);
  ctx.values[1] = int64_t{10};
  ctx.values[2] = int64_t{4};
  absl::StatusOr<CompiledExpr> e = Compile("div div mod", resolver);
  ASSERT_TRUE(e.ok()) << e.status();
  EXPECT_EQ(*e->EvaluateNumber(ctx), 2.5);
}

TEST(ExprCompileTest, ReferencesAreListedOnceInOrder) {
  TableResolver resolver;
  FakeContext ctx;
  AddHousehold(&resolver, &ctx);
  absl::StatusOr<CompiledExpr> e =
      Compile("${age} + count(${member_age}) + ${age} + position(..)", resolver);
  ASSERT_TRUE(e.ok()) << e.status();
  ASSERT_EQ(e->references().size(), 3u);
  EXPECT_EQ(e->references()[0].id, testing::kAge);
  EXPECT_EQ(e->references()[1].id, testing::kMemberAge);
  EXPECT_EQ(e->references()[1].kind, RefKind::kNodeSet);
  EXPECT_EQ(e->references()[2].id, testing::kParent);
  EXPECT_FALSE(e->volatile_result());
  EXPECT_EQ(e->text(), "${age} + count(${member_age}) + ${age} + position(..)");

  absl::StatusOr<CompiledExpr> once = Compile("once(uuid())", resolver);
  ASSERT_TRUE(once.ok()) << once.status();
  EXPECT_TRUE(once->volatile_result());
  ASSERT_EQ(once->references().size(), 1u);  // once() reads `.`
  EXPECT_EQ(once->references()[0].id, testing::kSelf);
}

TEST(ExprCompileTest, ResolverErrorsOtherThanNotFoundPassThrough) {
  class Refusing : public Resolver {
   public:
    absl::StatusOr<ResolvedRef> Resolve(const Reference& ref) const override {
      if (ref.name == "bad") return absl::InvalidArgumentError("refers to a later repeat");
      return absl::InternalError("resolver broke");
    }
  };
  Refusing resolver;
  absl::StatusOr<CompiledExpr> e = Compile("1 + ${bad}", resolver);
  EXPECT_EQ(e.status().code(), absl::StatusCode::kInvalidArgument);
  EXPECT_EQ(e.status().message(), "column 5: '${bad}': refers to a later repeat");
  EXPECT_EQ(Compile("${other}", resolver).status().code(), absl::StatusCode::kInternal);
}

}  // namespace
}  // namespace fieldsync::expr
