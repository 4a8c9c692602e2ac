#include "server/forms/form_equality.h"

#include <functional>
#include <string>
#include <vector>

#include "gtest/gtest.h"

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

}  // namespace
}  // namespace fieldsync
