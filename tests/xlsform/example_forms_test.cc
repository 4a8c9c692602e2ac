// The example questionnaires shipped in deploy/forms (written by
// deploy/forms/generator/make_xlsforms) convert, with their roster, languages, checks,
// scopes and aggregations.
#include <fstream>
#include <sstream>
#include <string>

#include "gmock/gmock.h"
#include "gtest/gtest.h"
#include "server/xlsform/xlsform.h"

namespace fieldsync::xlsform {
namespace {

using ::testing::ElementsAre;

absl::StatusOr<Form> ConvertExample(const std::string& file) {
  std::ifstream in(std::string(FIELDSYNC_SOURCE_DIR) + "/deploy/forms/" + file, std::ios::binary);
  std::stringstream ss;
  ss << in.rdbuf();
  return ConvertXlsForm(ss.str(), XlsFormOptions{});
}

TEST(ExampleFormsTest, DtmHouseholdSurvey) {
  auto form = ConvertExample("dtm_household.xlsx");
  ASSERT_TRUE(form.ok()) << form.status();
  EXPECT_EQ(form->form_id, "dtm_household");
  EXPECT_EQ(form->version, 2026120201u);
  EXPECT_THAT(form->languages, ElementsAre("English (en)", "Arabic (ar)", "Kurdish (ku)"));
  const GroupDef* members = form->FindGroup("members");
  ASSERT_NE(members, nullptr);
  EXPECT_TRUE(members->repeat);
  EXPECT_EQ(members->repeat_count, "${hh_size}");
  for (const char* f : {"sex", "age", "relationship"}) {
    ASSERT_NE(form->FindField(f), nullptr) << f;
    EXPECT_EQ(form->RepeatOf(*form->FindField(f)), "members") << f;
  }
  // A cross-field check with its message in three languages, and a calculate.
  const FieldDef* children = form->FindField("children_under_5");
  EXPECT_EQ(children->constraint, ". >= 0 and . <= ${hh_size}");
  EXPECT_EQ(children->constraint_messages.size(), 3u);
  EXPECT_EQ(form->FindField("members_listed")->calculate, "count(${members})");
  EXPECT_EQ(form->FindField("district")->choice_filter, "gov = ${governorate}");
  EXPECT_TRUE(form->FindField("head_name")->pii);
  EXPECT_THAT(form->scope_fields, ElementsAre("governorate"));
  ASSERT_EQ(form->aggregations.size(), 1u);
  EXPECT_EQ(form->aggregations[0].measures[1].field, "hh_size");
}

TEST(ExampleFormsTest, BorderFlowMonitoring) {
  auto form = ConvertExample("border_flow_monitoring.xlsx");
  ASSERT_TRUE(form.ok()) << form.status();
  EXPECT_EQ(form->edit_policy, EditPolicy::kAppendOnly);
  EXPECT_THAT(form->scope_fields, ElementsAre("border_point"));
  EXPECT_EQ(form->aggregations.size(), 2u);
  EXPECT_EQ(form->FindField("crossing_time")->question_type, "time");
  EXPECT_EQ(form->FindField("nationality_other")->relevant, "${nationality} = 'other'");
  EXPECT_EQ(form->FindChoiceList("border_point")->choices[0].labels.at("Kurdish (ku)"),
            "ئیبراهیم خەلیل");
}

}  // namespace
}  // namespace fieldsync::xlsform
