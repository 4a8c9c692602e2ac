// A form that uses every member of form model v2 (groups, a nested repeat, expressions,
// languages, choice lists with properties, a choice file, media, extra columns), for
// round-trip and validation tests. Header-only: tests of any folder include it.
#ifndef FIELDSYNC_TESTS_TESTING_FORM_V2_SAMPLE_H_
#define FIELDSYNC_TESTS_TESTING_FORM_V2_SAMPLE_H_

#include <string>

#include "server/common/model.h"

namespace fieldsync::testing {

inline FieldDef V2Field(std::string name, FieldType type, std::string group = "") {
  FieldDef f;
  f.name = std::move(name);
  f.type = type;
  f.group = std::move(group);
  return f;
}

// household (root): governorate, consent, hh_size, location group { district },
// members repeat { member_name, age, sex, children repeat { child_age } }, city (from file),
// n_members (calculate).
inline Form SampleFormV2() {
  Form form;
  form.form_id = "household_v2";
  form.version = 3;
  form.title = "Household survey";
  form.languages = {"English (en)", "Arabic (ar)"};
  form.default_language = "English (en)";
  form.instance_name = "concat('HH ', ${governorate})";
  form.media = {MediaFile{"cities.csv", "text/csv", "", 0},
                MediaFile{"logo.png", "image/png", std::string(64, 'a'), 1234}};
  form.choice_lists = {
      ChoiceList{
          "govs",
          {Choice{"ninewa", "Ninewa", {{"English (en)", "Ninewa"}, {"Arabic (ar)", "نينوى"}}, {}},
           Choice{"anbar", "Anbar", {{"English (en)", "Anbar"}, {"Arabic (ar)", "الأنبار"}}, {}}}},
      ChoiceList{"sexes",
                 {Choice{"m", "Male", {{"English (en)", "Male"}}, {{"media::image", "m.png"}}},
                  Choice{"f", "Female", {{"English (en)", "Female"}}, {}}}},
      ChoiceList{"districts",
                 {Choice{"mosul", "Mosul", {}, {{"gov", "ninewa"}}},
                  Choice{"ramadi", "Ramadi", {}, {{"gov", "anbar"}}}}},
  };
  form.groups = {
      GroupDef{
          "location", false, "", "Location", {{"Arabic (ar)", "الموقع"}}, "", "field-list", "", {}},
      GroupDef{"members",
               true,
               "",
               "Members",
               {},
               "${consent} = 'yes'",
               "",
               "${hh_size}",
               {{"jr:count", "${hh_size}"}}},
      GroupDef{"children", true, "members", "Children", {}, "${age} > 15", "", "", {}},
  };

  FieldDef gov = V2Field("governorate", FieldType::kSelectOne);
  gov.question_type = "select_one";
  gov.choice_list = "govs";
  gov.required = true;
  gov.label = "Governorate";
  gov.labels = {{"English (en)", "Governorate"}, {"Arabic (ar)", "المحافظة"}};
  form.fields.push_back(gov);

  FieldDef consent = V2Field("consent", FieldType::kString);
  consent.question_type = "acknowledge";
  consent.hint = "Read the consent text";
  consent.hints = {{"Arabic (ar)", "اقرأ نص الموافقة"}};
  form.fields.push_back(consent);

  FieldDef size = V2Field("hh_size", FieldType::kInt);
  size.question_type = "integer";
  size.constraint = ". >= 1 and . <= 60";
  size.constraint_message = "Between 1 and 60";
  size.constraint_messages = {{"English (en)", "Between 1 and 60"}, {"Arabic (ar)", "بين 1 و 60"}};
  size.required_if = "${consent} != ''";
  size.required_message = "How many people live here?";
  size.required_messages = {{"English (en)", "How many people live here?"}};
  size.default_value = "1";
  form.fields.push_back(size);

  FieldDef district = V2Field("district", FieldType::kSelectOne, "location");
  district.question_type = "select_one";
  district.choice_list = "districts";
  district.choice_filter = "gov = ${governorate}";
  district.appearance = "minimal";
  form.fields.push_back(district);

  FieldDef member = V2Field("member_name", FieldType::kString, "members");
  member.question_type = "text";
  member.pii = true;
  member.relevant = "${consent} = 'OK'";
  member.extra = {{"parameters", "rows=2"}};
  form.fields.push_back(member);

  FieldDef age = V2Field("age", FieldType::kInt, "members");
  age.question_type = "integer";
  age.constraint = ". < 120";
  age.read_only = false;
  form.fields.push_back(age);

  FieldDef sex = V2Field("sex", FieldType::kSelectOne, "members");
  sex.question_type = "select_one";
  sex.choice_list = "sexes";
  form.fields.push_back(sex);

  FieldDef child = V2Field("child_age", FieldType::kInt, "children");
  child.question_type = "integer";
  child.constraint = ". < ${age}";
  form.fields.push_back(child);

  FieldDef city = V2Field("city", FieldType::kSelectOne);
  city.question_type = "select_one_from_file";
  city.choice_file = "cities.csv";
  form.fields.push_back(city);

  FieldDef n = V2Field("n_members", FieldType::kString);
  n.question_type = "calculate";
  n.calculate = "count(${members})";
  n.read_only = true;
  form.fields.push_back(n);

  FieldDef started = V2Field("started", FieldType::kDatetime);
  started.question_type = "start";
  started.default_value = "now()";
  form.fields.push_back(started);

  form.settings = {{"style", "pages"}};
  form.scope_fields = {"governorate"};
  form.aggregations = {AggregationDef{
      "per_gov", {"governorate"}, "", TimeBucket::kDay, {Measure{"n", Measure::Kind::kCount, ""}}}};
  return form;
}

}  // namespace fieldsync::testing

#endif  // FIELDSYNC_TESTS_TESTING_FORM_V2_SAMPLE_H_
