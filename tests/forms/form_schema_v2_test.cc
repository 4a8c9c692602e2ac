// FormSchema on form model v2: structure (groups, repeats, choice lists, languages, media),
// expressions compiled with server/expr, bounds, and what v2 changes in value checks.
#include <functional>
#include <string>
#include <utility>
#include <vector>

#include "gmock/gmock.h"
#include "gtest/gtest.h"
#include "server/forms/form_schema.h"
#include "tests/testing/form_v2_sample.h"

namespace fieldsync {
namespace {

using ::testing::HasSubstr;
using testing::SampleFormV2;

absl::Status CompileStatus(Form form, const SchemaLimits& limits = SchemaLimits{}) {
  return FormSchema::Compile(std::move(form), limits).status();
}

TEST(FormSchemaV2Test, SampleCompilesWithItsExpressions) {
  auto schema = FormSchema::Compile(SampleFormV2(), SchemaLimits{});
  ASSERT_TRUE(schema.ok()) << schema.status();
  const FormExpressions& e = (*schema)->expressions();
  EXPECT_FALSE(e.empty());
  ASSERT_NE(e.Of("hh_size"), nullptr);
  EXPECT_TRUE(e.Of("hh_size")->constraint.has_value());
  EXPECT_TRUE(e.Of("hh_size")->required_if.has_value());
  EXPECT_FALSE(e.Of("hh_size")->default_value.has_value());  // "1" is a literal
  EXPECT_TRUE(e.Of("started")->default_value.has_value());   // now() is an expression
  EXPECT_TRUE(e.Of("members")->repeat_count.has_value());
  EXPECT_TRUE(e.Of("children")->relevant.has_value());
  EXPECT_TRUE(e.Of("district")->choice_filter.has_value());
  EXPECT_TRUE(e.Of("n_members")->calculate.has_value());
  EXPECT_TRUE(e.instance_name().has_value());
  EXPECT_EQ(e.Of("governorate"), nullptr);
  // The tree nests as the groups do.
  const expr::FormTree& tree = e.tree();
  EXPECT_EQ(tree.node(e.NodeOf("child_age")).parent, e.NodeOf("children"));
  EXPECT_EQ(tree.node(e.NodeOf("children")).parent, e.NodeOf("members"));
  EXPECT_EQ(tree.node(e.NodeOf("district")).parent, e.NodeOf("location"));
  // Choices are filled from the list.
  EXPECT_EQ((*schema)->form().FindField("governorate")->choices,
            (std::vector<std::string>{"ninewa", "anbar"}));
  EXPECT_EQ((*schema)->form().RepeatOf(*(*schema)->form().FindField("child_age")), "children");
  EXPECT_EQ((*schema)->form().RepeatOf(*(*schema)->form().FindField("district")), "");
}

TEST(FormSchemaV2Test, ExpressionErrorsNameTheItemAndColumn) {
  struct Case {
    const char* what;
    std::function<void(Form&)> edit;
    const char* item;
    const char* column;
  };
  const std::vector<Case> cases = {
      {"unknown reference", [](Form& f) { f.fields[2].constraint = ". < ${nope}"; }, "hh_size",
       "constraint"},
      {"bad syntax", [](Form& f) { f.fields[4].relevant = "${consent} = "; }, "member_name",
       "relevant"},
      {"unknown function", [](Form& f) { f.fields[9].calculate = "pulldata('a','b','c','d')"; },
       "n_members", "calculation"},
      {"repeat_count", [](Form& f) { f.groups[1].repeat_count = "${missing}"; }, "members",
       "repeat_count"},
      {"choice filter column", [](Form& f) { f.fields[3].choice_filter = "state = 'x'"; },
       "district", "choice_filter"},
      {"instance_name", [](Form& f) { f.instance_name = "concat("; }, "", "instance_name"},
      {"dynamic default", [](Form& f) { f.fields[2].default_value = "${nope} + 1"; }, "hh_size",
       "default"},
  };
  for (const auto& c : cases) {
    Form form = SampleFormV2();
    c.edit(form);
    absl::Status s = CompileStatus(form);
    EXPECT_EQ(s.code(), absl::StatusCode::kInvalidArgument) << c.what;
    EXPECT_THAT(s.message(), HasSubstr(c.column)) << c.what;
    if (*c.item) {
      EXPECT_THAT(s.message(), HasSubstr(c.item)) << c.what;
    }
    ExpressionSite site;
    auto schema = FormSchema::Compile(form, SchemaLimits{});
    ASSERT_FALSE(schema.ok());
    // The same failure reported with its site, for importers that map it to a cell.
    Form checked = form;
    auto e = FormExpressions::Compile(checked, expr::Limits{}, &site);
    ASSERT_FALSE(e.ok()) << c.what;
    EXPECT_EQ(site.item, c.item) << c.what;
    EXPECT_EQ(site.column, c.column) << c.what;
  }
}

TEST(FormSchemaV2Test, StructureErrors) {
  const std::vector<std::pair<const char*, std::function<void(Form&)>>> cases = {
      {"field in unknown group", [](Form& f) { f.fields[0].group = "nowhere"; }},
      {"group parent after it", [](Form& f) { std::swap(f.groups[1], f.groups[2]); }},
      {"group name clash", [](Form& f) { f.groups[0].name = "consent"; }},
      {"group twice", [](Form& f) { f.groups.push_back(f.groups[0]); }},
      {"bad group name", [](Form& f) { f.groups[0].name = "9lives"; }},
      {"repeat_count on a group", [](Form& f) { f.groups[0].repeat_count = "2"; }},
      {"missing choice list", [](Form& f) { f.fields[0].choice_list = "nope"; }},
      {"choices differ from list",
       [](Form& f) {
         f.fields[0].choices = {"anbar", "ninewa"};
       }},
      {"empty choice list", [](Form& f) { f.choice_lists[0].choices.clear(); }},
      {"choice without name", [](Form& f) { f.choice_lists[0].choices[0].name = ""; }},
      {"choice list on a text", [](Form& f) { f.fields[1].choice_list = "govs"; }},
      {"choice file not in media", [](Form& f) { f.fields[8].choice_file = "other.csv"; }},
      {"choice file with choices", [](Form& f) { f.fields[8].choices = {"a"}; }},
      {"language not listed", [](Form& f) { f.fields[0].labels["Kurdish (ku)"] = "x"; }},
      {"default language not listed", [](Form& f) { f.default_language = "French (fr)"; }},
      {"language twice", [](Form& f) { f.languages.push_back("English (en)"); }},
      {"media twice", [](Form& f) { f.media.push_back(f.media[0]); }},
      {"media path", [](Form& f) { f.media[0].name = "../etc/passwd"; }},
      {"scope field in a repeat", [](Form& f) { f.scope_fields = {"member_name"}; }},
      {"aggregation over a repeat field", [](Form& f) { f.aggregations[0].group_by = {"sex"}; }},
  };
  for (const auto& [what, edit] : cases) {
    Form form = SampleFormV2();
    edit(form);
    EXPECT_EQ(CompileStatus(form).code(), absl::StatusCode::kInvalidArgument) << what;
  }
}

TEST(FormSchemaV2Test, Bounds) {
  SchemaLimits limits;
  limits.max_groups = 2;
  EXPECT_THAT(CompileStatus(SampleFormV2(), limits).message(), HasSubstr("at most 2"));
  limits = SchemaLimits{};
  limits.max_languages = 1;
  EXPECT_THAT(CompileStatus(SampleFormV2(), limits).message(), HasSubstr("languages"));
  limits = SchemaLimits{};
  limits.max_list_choices = 5;
  EXPECT_THAT(CompileStatus(SampleFormV2(), limits).message(), HasSubstr("more than 5"));
  limits = SchemaLimits{};
  limits.max_expression_bytes = 10;
  EXPECT_THAT(CompileStatus(SampleFormV2(), limits).message(), HasSubstr("at most 10"));
  limits = SchemaLimits{};
  limits.max_text_bytes = 12;
  EXPECT_THAT(CompileStatus(SampleFormV2(), limits).message(), HasSubstr("at most 12"));
  limits = SchemaLimits{};
  limits.max_extra_columns = 0;
  EXPECT_THAT(CompileStatus(SampleFormV2(), limits).message(), HasSubstr("extra columns"));
  limits = SchemaLimits{};
  limits.max_media = 1;
  EXPECT_THAT(CompileStatus(SampleFormV2(), limits).message(), HasSubstr("media"));
  // The expression library's own bound holds too: deep nesting is refused, not recursed.
  Form deep = SampleFormV2();
  deep.fields[2].constraint = std::string(300, '(') + "1" + std::string(300, ')');
  EXPECT_EQ(CompileStatus(deep).code(), absl::StatusCode::kInvalidArgument);
}

TEST(FormSchemaV2Test, ValuesOfRootRecordsOnly) {
  auto schema = FormSchema::Compile(SampleFormV2(), SchemaLimits{});
  ASSERT_TRUE(schema.ok()) << schema.status();
  auto errors = (*schema)->CheckValues(
      {{"age", int64_t{4}}, {"district", std::string("mosul")}, {"city", std::string("Erbil")}},
      RecordLimits{});
  ASSERT_EQ(errors.size(), 1u);  // a group is no repeat; a choice file takes any value
  EXPECT_EQ(errors[0].field, "age");
  EXPECT_THAT(errors[0].description, HasSubstr("repeat \"members\""));
  errors = (*schema)->CheckValues({{"governorate", std::string("mosul")}}, RecordLimits{});
  ASSERT_EQ(errors.size(), 1u);  // choices come from the list
  EXPECT_THAT(errors[0].description, HasSubstr("ninewa, anbar"));
  // Required fields of repeats are not required of the root record.
  Form form = SampleFormV2();
  form.fields[5].required = true;  // age
  auto s2 = FormSchema::Compile(form, SchemaLimits{});
  ASSERT_TRUE(s2.ok());
  auto missing = (*s2)->CheckRequired({});
  ASSERT_EQ(missing.size(), 1u);
  EXPECT_EQ(missing[0].field, "governorate");
}

TEST(FormSchemaV2Test, NamesAsXlsformAllowsThem) {
  Form form = SampleFormV2();
  form.fields[10].name = "label-test.2";
  EXPECT_TRUE(CompileStatus(form).ok()) << CompileStatus(form);
  form.fields[10].name = "-dash";
  EXPECT_FALSE(CompileStatus(form).ok());
}

TEST(FormSchemaV2Test, DefaultIsExpressionByPyxformsRule) {
  EXPECT_FALSE(FormSchema::DefaultIsExpression("1"));
  EXPECT_FALSE(FormSchema::DefaultIsExpression("2024-01-05"));
  EXPECT_FALSE(FormSchema::DefaultIsExpression("hello world"));
  EXPECT_FALSE(FormSchema::DefaultIsExpression("(none)"));
  EXPECT_TRUE(FormSchema::DefaultIsExpression("today()"));
  EXPECT_TRUE(FormSchema::DefaultIsExpression("${a} + 1"));
  EXPECT_TRUE(FormSchema::DefaultIsExpression("concat ('a', 'b')"));
}

}  // namespace
}  // namespace fieldsync
