#include "server/forms/form_equality.h"

#include <functional>
#include <string>
#include <vector>

#include "gtest/gtest.h"
#include "tests/testing/form_v2_sample.h"

namespace fieldsync {
namespace {

Form SampleForm() {
  Form form;
  form.form_id = "crossing";
  form.version = 2;
  form.title = "Border crossing";
  FieldDef direction;
  direction.name = "direction";
  direction.type = FieldType::kSelectOne;
  direction.required = true;
  direction.choices = {"entry", "exit"};
  direction.label = "Direction";
  form.fields.push_back(direction);
  FieldDef count;
  count.name = "people";
  count.type = FieldType::kInt;
  count.min = 1;
  count.max = 500;
  form.fields.push_back(count);
  FieldDef point;
  point.name = "border_point";
  point.type = FieldType::kString;
  point.regex = "[A-Z]+";
  form.fields.push_back(point);
  form.scope_fields = {"border_point"};
  form.edit_policy = EditPolicy::kAppendOnly;
  AggregationDef agg;
  agg.name = "by_point";
  agg.group_by = {"border_point", "direction"};
  agg.bucket = TimeBucket::kWeek;
  agg.measures = {{"n", Measure::Kind::kCount, ""}, {"people", Measure::Kind::kSum, "people"}};
  form.aggregations.push_back(agg);
  return form;
}

TEST(SameFormDefinitionTest, IdenticalFormsAreSame) {
  EXPECT_TRUE(SameFormDefinition(SampleForm(), SampleForm()));
  EXPECT_TRUE(SameFormDefinition(Form{}, Form{}));
}

// Every member of the definition matters: changing any one makes the forms differ.
TEST(SameFormDefinitionTest, EachMemberMatters) {
  const std::vector<std::pair<const char*, std::function<void(Form&)>>> edits = {
      {"form_id", [](Form& f) { f.form_id = "other"; }},
      {"version", [](Form& f) { f.version = 3; }},
      {"title", [](Form& f) { f.title = "Crossings"; }},
      {"field added", [](Form& f) { f.fields.push_back(FieldDef{}); }},
      {"field order", [](Form& f) { std::swap(f.fields[0], f.fields[1]); }},
      {"field name", [](Form& f) { f.fields[0].name = "dir"; }},
      {"field type", [](Form& f) { f.fields[1].type = FieldType::kDecimal; }},
      {"required", [](Form& f) { f.fields[0].required = false; }},
      {"min", [](Form& f) { f.fields[1].min = 0; }},
      {"min unset", [](Form& f) { f.fields[1].min.reset(); }},
      {"max", [](Form& f) { f.fields[1].max = 501; }},
      {"regex", [](Form& f) { f.fields[2].regex = "[A-Z]*"; }},
      {"choices",
       [](Form& f) {
         f.fields[0].choices = {"exit", "entry"};
       }},
      {"pii", [](Form& f) { f.fields[2].pii = true; }},
      {"label", [](Form& f) { f.fields[0].label = "Way"; }},
      {"scope_fields", [](Form& f) { f.scope_fields.push_back("direction"); }},
      {"edit_policy", [](Form& f) { f.edit_policy = EditPolicy::kMutable; }},
      {"conflict_policy", [](Form& f) { f.conflict_policy = ConflictPolicy::kManual; }},
      {"aggregation added", [](Form& f) { f.aggregations.push_back(AggregationDef{}); }},
      {"aggregation name", [](Form& f) { f.aggregations[0].name = "x"; }},
      {"group_by", [](Form& f) { f.aggregations[0].group_by.pop_back(); }},
      {"time_field", [](Form& f) { f.aggregations[0].time_field = "t"; }},
      {"bucket", [](Form& f) { f.aggregations[0].bucket = TimeBucket::kMonth; }},
      {"measure added", [](Form& f) { f.aggregations[0].measures.push_back(Measure{}); }},
      {"measure name", [](Form& f) { f.aggregations[0].measures[0].name = "count"; }},
      {"measure kind", [](Form& f) { f.aggregations[0].measures[1].kind = Measure::Kind::kCount; }},
      {"measure field", [](Form& f) { f.aggregations[0].measures[1].field = "other"; }},
  };
  for (const auto& [what, edit] : edits) {
    Form changed = SampleForm();
    edit(changed);
    EXPECT_FALSE(SameFormDefinition(SampleForm(), changed)) << what;
    EXPECT_FALSE(SameFormDefinition(changed, SampleForm())) << what;
  }
}

// Form model v2: every member matters too.
TEST(SameFormDefinitionTest, EachV2MemberMatters) {
  using testing::SampleFormV2;
  ASSERT_TRUE(SameFormDefinition(SampleFormV2(), SampleFormV2()));
  const std::vector<std::pair<const char*, std::function<void(Form&)>>> edits = {
      {"group", [](Form& f) { f.fields[3].group = ""; }},
      {"question_type", [](Form& f) { f.fields[1].question_type = "text"; }},
      {"labels", [](Form& f) { f.fields[0].labels["Arabic (ar)"] = "x"; }},
      {"hint", [](Form& f) { f.fields[1].hint = "x"; }},
      {"hints", [](Form& f) { f.fields[1].hints.clear(); }},
      {"relevant", [](Form& f) { f.fields[4].relevant = "true()"; }},
      {"constraint", [](Form& f) { f.fields[2].constraint = ". > 0"; }},
      {"constraint_message", [](Form& f) { f.fields[2].constraint_message = "x"; }},
      {"constraint_messages", [](Form& f) { f.fields[2].constraint_messages.clear(); }},
      {"required_if", [](Form& f) { f.fields[2].required_if = ""; }},
      {"required_message", [](Form& f) { f.fields[2].required_message = ""; }},
      {"required_messages", [](Form& f) { f.fields[2].required_messages.clear(); }},
      {"calculate", [](Form& f) { f.fields[9].calculate = "1"; }},
      {"default_value", [](Form& f) { f.fields[2].default_value = "2"; }},
      {"read_only", [](Form& f) { f.fields[9].read_only = false; }},
      {"choice_filter", [](Form& f) { f.fields[3].choice_filter = ""; }},
      {"appearance", [](Form& f) { f.fields[3].appearance = ""; }},
      {"choice_list", [](Form& f) { f.fields[6].choice_list = "govs"; }},
      {"choice_file", [](Form& f) { f.fields[8].choice_file = "logo.png"; }},
      {"extra", [](Form& f) { f.fields[4].extra.clear(); }},
      {"group added", [](Form& f) { f.groups.push_back(GroupDef{}); }},
      {"group repeat", [](Form& f) { f.groups[0].repeat = true; }},
      {"group parent", [](Form& f) { f.groups[2].parent = ""; }},
      {"group label", [](Form& f) { f.groups[0].label = "x"; }},
      {"group labels", [](Form& f) { f.groups[0].labels.clear(); }},
      {"group relevant", [](Form& f) { f.groups[1].relevant = ""; }},
      {"group appearance", [](Form& f) { f.groups[0].appearance = ""; }},
      {"repeat_count", [](Form& f) { f.groups[1].repeat_count = "2"; }},
      {"group extra", [](Form& f) { f.groups[1].extra.clear(); }},
      {"choice list added", [](Form& f) { f.choice_lists.push_back(ChoiceList{}); }},
      {"choice list name", [](Form& f) { f.choice_lists[0].name = "x"; }},
      {"choice name", [](Form& f) { f.choice_lists[0].choices[0].name = "x"; }},
      {"choice label", [](Form& f) { f.choice_lists[0].choices[0].label = "x"; }},
      {"choice labels", [](Form& f) { f.choice_lists[0].choices[0].labels.clear(); }},
      {"choice properties", [](Form& f) { f.choice_lists[2].choices[0].properties.clear(); }},
      {"default_language", [](Form& f) { f.default_language = "Arabic (ar)"; }},
      {"languages", [](Form& f) { f.languages.pop_back(); }},
      {"instance_name", [](Form& f) { f.instance_name = ""; }},
      {"media name", [](Form& f) { f.media[0].name = "x.csv"; }},
      {"media type", [](Form& f) { f.media[0].media_type = "text/plain"; }},
      {"media sha256", [](Form& f) { f.media[1].sha256 = ""; }},
      {"media size", [](Form& f) { f.media[1].size = 1; }},
      {"settings", [](Form& f) { f.settings.clear(); }},
  };
  for (const auto& [what, edit] : edits) {
    Form changed = SampleFormV2();
    edit(changed);
    EXPECT_FALSE(SameFormDefinition(SampleFormV2(), changed)) << what;
    EXPECT_FALSE(SameFormDefinition(changed, SampleFormV2())) << what;
  }
}

}  // namespace
}  // namespace fieldsync
