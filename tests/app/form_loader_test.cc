#include "server/app/form_loader.h"

#include <string>

#include "gtest/gtest.h"
#include "server/convert/convert.h"
#include "server/forms/form_equality.h"
#include "server/forms/form_schema.h"
#include "tests/testing/form_v2_sample.h"

namespace fieldsync {
namespace {

// Forms written before form model v2 read exactly as before: no v2 member is set, and they
// compile and validate as they did.
TEST(FormLoaderV2Test, OldJsonFormsKeepWorking) {
  auto forms = LoadFormsDir(FIELDSYNC_SOURCE_DIR "/deploy/forms");
  ASSERT_TRUE(forms.ok()) << forms.status();
  ASSERT_FALSE(forms->empty());
  for (const Form& f : *forms) {
    if (f.groups.size() > 0 || !f.languages.empty()) continue;  // the XLSForm examples
    EXPECT_TRUE(f.groups.empty() && f.choice_lists.empty() && f.languages.empty() &&
                f.default_language.empty() && f.instance_name.empty() && f.media.empty())
        << f.form_id;
    for (const FieldDef& d : f.fields) {
      EXPECT_TRUE(d.group.empty() && d.question_type.empty() && d.labels.empty() &&
                  d.relevant.empty() && d.constraint.empty() && d.required_if.empty() &&
                  d.calculate.empty() && d.choice_list.empty() && d.extra.empty())
          << f.form_id << "." << d.name;
    }
    auto schema = FormSchema::Compile(f, SchemaLimits{});
    ASSERT_TRUE(schema.ok()) << schema.status();
    EXPECT_TRUE((*schema)->expressions().empty());
  }
  const Form& household = (*forms)[2];
  ASSERT_EQ(household.form_id, "displacement_household");
  auto schema = FormSchema::Compile(household, SchemaLimits{});
  ASSERT_TRUE(schema.ok());
  auto errors = (*schema)->CheckValues({{"household_size", int64_t{0}}}, RecordLimits{});
  ASSERT_EQ(errors.size(), 1u);
  EXPECT_EQ(errors[0].description, "must be at least 1");
}

// A v2 form survives the wire message both ways, and its JSON mapping parses back.
TEST(FormLoaderV2Test, V2FormRoundTripsThroughProtoAndJson) {
  const Form want = testing::SampleFormV2();
  v1::Form proto;
  convert::ToProto(want, &proto);
  auto back = convert::FromProto(proto);
  ASSERT_TRUE(back.ok()) << back.status();
  EXPECT_TRUE(SameFormDefinition(*back, want));

  auto parsed = ParseFormJson(R"json({
    "formId": "roster", "version": 1, "languages": ["English (en)", "Kurdish (ku)"],
    "defaultLanguage": "English (en)",
    "groups": [{"name": "members", "repeat": true, "repeatCount": "${n}"}],
    "choiceLists": [{"name": "sex", "choices": [{"name": "m", "labels": {"Kurdish (ku)": "نێر"}},
                                                {"name": "f"}]}],
    "fields": [
      {"name": "n", "type": "INT", "constraint": ". > 0",
       "constraintMessages": {"English (en)": "At least one", "Kurdish (ku)": "لانیکەم یەک"}},
      {"name": "sex", "type": "SELECT_ONE", "group": "members", "choiceList": "sex"}
    ]})json");
  ASSERT_TRUE(parsed.ok()) << parsed.status();
  EXPECT_EQ(parsed->groups.size(), 1u);
  EXPECT_TRUE(parsed->groups[0].repeat);
  EXPECT_EQ(parsed->fields[0].constraint_messages.at("Kurdish (ku)"), "لانیکەم یەک");
  auto schema = FormSchema::Compile(*parsed, SchemaLimits{});
  ASSERT_TRUE(schema.ok()) << schema.status();
  // The select's choices come from its list.
  EXPECT_EQ((*schema)->form().fields[1].choices, (std::vector<std::string>{"m", "f"}));
  EXPECT_NE((*schema)->expressions().Of("n"), nullptr);
}

}  // namespace
}  // namespace fieldsync
