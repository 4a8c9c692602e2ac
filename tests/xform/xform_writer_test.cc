#include "server/xform/xform_writer.h"

#include <algorithm>
#include <fstream>
#include <map>
#include <pugixml.hpp>
#include <set>
#include <sstream>

#include "gmock/gmock.h"
#include "gtest/gtest.h"
#include "server/xlsform/xlsform.h"

namespace fieldsync::xform {
namespace {

using ::testing::ElementsAre;
using ::testing::HasSubstr;

FieldDef Field(std::string name, FieldType type) {
  FieldDef f;
  f.name = std::move(name);
  f.type = type;
  return f;
}

// A household survey: a roster repeat counted by a question, a nested repeat counted by an
// expression, a group, two languages, a choice list, every kind of bind.
Form Household() {
  Form f;
  f.form_id = "household";
  f.version = 3;
  f.title = "Household <survey>";
  f.languages = {"English (en)", "Arabic (ar)"};
  f.default_language = "English (en)";
  f.scope_fields = {"governorate"};
  f.instance_name = "concat('hh-', ${hh_size})";
  GroupDef location;
  location.name = "location";
  location.label = "Location";
  location.labels = {{"English (en)", "Location"}};
  location.appearance = "field-list";
  GroupDef members;
  members.name = "members";
  members.repeat = true;
  members.label = "Members";
  members.relevant = "${hh_size} > 0";
  members.repeat_count = "${hh_size}";
  GroupDef visits;
  visits.name = "visits";
  visits.repeat = true;
  visits.parent = "members";
  visits.label = "Visits";
  visits.repeat_count = "${age} div 10 + 1";
  f.groups = {location, members, visits};
  FieldDef gov;
  gov.name = "governorate";
  gov.type = FieldType::kSelectOne;
  gov.question_type = "select_one";
  gov.choice_list = "govs";
  gov.choices = {"g1", "g2", "g3"};
  gov.label = "Governorate";
  gov.labels = {{"English (en)", "Governorate"}, {"Arabic (ar)", "المحافظة"}};
  gov.group = "location";
  gov.required = true;
  FieldDef size;
  size.name = "hh_size";
  size.type = FieldType::kInt;
  size.question_type = "integer";
  size.label = "People";
  size.constraint = ". >= 1 and . <= 30";
  size.constraint_message = "1 to 30";
  size.constraint_messages = {{"English (en)", "1 to 30"}, {"Arabic (ar)", "١ إلى ٣٠"}};
  FieldDef name;
  name.name = "member_name";
  name.question_type = "text";
  name.label = "Name of ${hh_size} people";
  name.group = "members";
  name.required_if = "${age} > 5";
  name.required_message = "needed";
  FieldDef age;
  age.name = "age";
  age.type = FieldType::kInt;
  age.question_type = "integer";
  age.label = "Age of ${member_name}";
  age.group = "members";
  age.relevant = "${member_name} != ''";
  FieldDef visit;
  visit.name = "visit_date";
  visit.type = FieldType::kDate;
  visit.question_type = "date";
  visit.label = "Visit";
  visit.group = "visits";
  visit.default_value = "today()";
  FieldDef adults;
  adults.name = "adults";
  adults.question_type = "calculate";
  adults.calculate = "count(${age}[. >= 18])";
  FieldDef photo;
  photo.name = "photo";
  photo.type = FieldType::kAttachment;
  photo.question_type = "image";
  photo.label = "Photo";
  photo.read_only = true;
  FieldDef start;
  start.name = "start";
  start.type = FieldType::kDatetime;
  start.question_type = "start";
  f.fields = {gov, size, name, age, visit, adults, photo, start};
  ChoiceList govs{"govs", {}};
  for (const char* g : {"g1", "g2", "g3"}) {
    Choice c;
    c.name = g;
    c.label = std::string("Gov ") + g;
    c.labels = {{"Arabic (ar)", g}};
    govs.choices.push_back(c);
  }
  f.choice_lists = {govs};
  return f;
}

pugi::xml_document Parse(const std::string& xml) {
  pugi::xml_document doc;
  pugi::xml_parse_result r = doc.load_string(xml.c_str());
  EXPECT_TRUE(r) << r.description() << "\n" << xml;
  return doc;
}

pugi::xml_node Bind(const pugi::xml_document& doc, const std::string& nodeset) {
  return doc.select_node(("//bind[@nodeset='" + nodeset + "']").c_str()).node();
}

TEST(XFormWriterTest, SameFormSameBytes) {
  absl::StatusOr<std::string> a = WriteXForm(Household());
  absl::StatusOr<std::string> b = WriteXForm(Household());
  ASSERT_TRUE(a.ok()) << a.status();
  ASSERT_TRUE(b.ok());
  EXPECT_EQ(*a, *b);
  Form other = Household();
  other.version = 4;
  EXPECT_NE(*WriteXForm(other), *a);
}

TEST(XFormWriterTest, InstanceHasGroupsRepeatTemplatesAndMeta) {
  absl::StatusOr<std::string> xml = WriteXForm(Household());
  ASSERT_TRUE(xml.ok()) << xml.status();
  pugi::xml_document doc = Parse(*xml);
  pugi::xml_node data = doc.select_node("/h:html/h:head/model/instance/data").node();
  ASSERT_TRUE(data);
  EXPECT_STREQ(data.attribute("id").value(), "household");
  EXPECT_STREQ(data.attribute("version").value(), "3");
  std::vector<std::string> children;
  for (pugi::xml_node c : data.children()) children.push_back(c.name());
  EXPECT_THAT(children,
              ElementsAre("location", "hh_size", "members", "adults", "photo", "start", "meta"));
  pugi::xml_node members = data.child("members");
  EXPECT_TRUE(members.attribute("jr:template"));
  std::vector<std::string> member_children;
  for (pugi::xml_node c : members.children()) member_children.push_back(c.name());
  // The nested repeat's count is an expression: a generated node before it holds it.
  EXPECT_THAT(member_children, ElementsAre("member_name", "age", "visits_count", "visits"));
  EXPECT_TRUE(members.child("visits").attribute("jr:template"));
  EXPECT_TRUE(data.child("meta").child("instanceID"));
  EXPECT_TRUE(data.child("meta").child("instanceName"));
  EXPECT_STREQ(doc.select_node("//h:title").node().child_value(), "Household <survey>");
}

TEST(XFormWriterTest, BindsCarryEveryRule) {
  pugi::xml_document doc = Parse(*WriteXForm(Household()));
  pugi::xml_node gov = Bind(doc, "/data/location/governorate");
  EXPECT_STREQ(gov.attribute("type").value(), "string");
  EXPECT_STREQ(gov.attribute("required").value(), "true()");
  pugi::xml_node size = Bind(doc, "/data/hh_size");
  EXPECT_STREQ(size.attribute("type").value(), "int");
  EXPECT_STREQ(size.attribute("constraint").value(), "(. >= 1 and . <= 30)");
  EXPECT_STREQ(size.attribute("jr:constraintMsg").value(),
               "jr:itext('/data/hh_size:jr:constraintMsg')");
  // Inside the roster, references to the same instance are relative, as pyxform writes them.
  pugi::xml_node name = Bind(doc, "/data/members/member_name");
  EXPECT_STREQ(name.attribute("required").value(), " ../age  > 5");
  EXPECT_STREQ(name.attribute("jr:requiredMsg").value(), "needed");
  EXPECT_STREQ(Bind(doc, "/data/members/age").attribute("relevant").value(),
               " ../member_name  != ''");
  EXPECT_STREQ(Bind(doc, "/data/members").attribute("relevant").value(), " /data/hh_size  > 0");
  EXPECT_STREQ(Bind(doc, "/data/adults").attribute("calculate").value(),
               "count( /data/members/age [. >= 18])");
  EXPECT_STREQ(Bind(doc, "/data/photo").attribute("type").value(), "binary");
  EXPECT_STREQ(Bind(doc, "/data/photo").attribute("readonly").value(), "true()");
  pugi::xml_node start = Bind(doc, "/data/start");
  EXPECT_STREQ(start.attribute("type").value(), "dateTime");
  EXPECT_STREQ(start.attribute("jr:preload").value(), "timestamp");
  EXPECT_STREQ(start.attribute("jr:preloadParams").value(), "start");
  pugi::xml_node count = Bind(doc, "/data/members/visits_count");
  EXPECT_STREQ(count.attribute("calculate").value(), " ../age  div 10 + 1");
  pugi::xml_node id = Bind(doc, "/data/meta/instanceID");
  EXPECT_STREQ(id.attribute("jr:preload").value(), "uid");
  EXPECT_STREQ(Bind(doc, "/data/meta/instanceName").attribute("calculate").value(),
               "concat('hh-',  /data/hh_size )");
  pugi::xml_node setvalue = doc.select_node("//setvalue").node();
  EXPECT_STREQ(setvalue.attribute("ref").value(), "/data/members/visits/visit_date");
  EXPECT_STREQ(setvalue.attribute("value").value(), "today()");
  EXPECT_STREQ(setvalue.attribute("event").value(), "odk-instance-first-load odk-new-repeat");
}

TEST(XFormWriterTest, BodyHasGroupsRepeatsAndControls) {
  pugi::xml_document doc = Parse(*WriteXForm(Household()));
  pugi::xml_node repeat = doc.select_node("//repeat[@nodeset='/data/members']").node();
  ASSERT_TRUE(repeat);
  EXPECT_STREQ(repeat.attribute("jr:count").value(), " /data/hh_size ");
  EXPECT_STREQ(repeat.parent().name(), "group");
  pugi::xml_node visits = doc.select_node("//repeat[@nodeset='/data/members/visits']").node();
  EXPECT_STREQ(visits.attribute("jr:count").value(), "/data/members/visits_count");
  EXPECT_TRUE(doc.select_node("//group[@ref='/data/location' and @appearance='field-list']"));
  EXPECT_TRUE(
      doc.select_node("//select1[@ref='/data/location/governorate']/itemset"
                      "[@nodeset=\"instance('govs')/root/item\"]"));
  EXPECT_TRUE(doc.select_node("//upload[@ref='/data/photo' and @mediatype='image/*']"));
  EXPECT_FALSE(doc.select_node("//*[@ref='/data/adults']"));  // calculate: no control
  EXPECT_FALSE(doc.select_node("//*[@ref='/data/start']"));   // preloaded
  // A label without translations, with a reference: an <output/>.
  pugi::xml_node label = doc.select_node("//input[@ref='/data/members/age']/label").node();
  EXPECT_STREQ(label.child("output").attribute("value").value(), " ../member_name ");
}

TEST(XFormWriterTest, TranslationsAndChoiceListsAreItext) {
  pugi::xml_document doc = Parse(*WriteXForm(Household()));
  std::vector<std::string> langs;
  for (auto t : doc.select_nodes("//itext/translation")) {
    langs.push_back(t.node().attribute("lang").value());
  }
  EXPECT_THAT(langs, ElementsAre("English (en)", "Arabic (ar)"));
  EXPECT_STREQ(
      doc.select_node("//translation[@lang='English (en)']").node().attribute("default").value(),
      "true()");
  EXPECT_STREQ(doc.select_node("//translation[@lang='Arabic (ar)']/text"
                               "[@id='/data/location/governorate:label']/value")
                   .node()
                   .child_value(),
               "المحافظة");
  // A choice without an Arabic label falls back to the default language's.
  EXPECT_STREQ(doc.select_node("//translation[@lang='Arabic (ar)']/text[@id='govs-1']/value")
                   .node()
                   .child_value(),
               "g2");
  EXPECT_STREQ(doc.select_node("//translation[@lang='English (en)']/text[@id='govs-1']/value")
                   .node()
                   .child_value(),
               "Gov g2");
  EXPECT_STREQ(doc.select_node("//instance[@id='govs']/root/item[2]/name").node().child_value(),
               "g2");
}

TEST(XFormWriterTest, ScopeFieldsArePreloadedOrLimited) {
  XFormOptions one;
  one.scope_values["governorate"] = {"g2"};
  pugi::xml_document doc = Parse(*WriteXForm(Household(), one));
  EXPECT_STREQ(doc.select_node("//instance/data/location/governorate").node().child_value(), "g2");
  EXPECT_STREQ(Bind(doc, "/data/location/governorate").attribute("readonly").value(), "true()");

  XFormOptions two;
  two.scope_values["governorate"] = {"g1", "g3"};
  doc = Parse(*WriteXForm(Household(), two));
  EXPECT_STREQ(doc.select_node("//select1[@ref='/data/location/governorate']/itemset")
                   .node()
                   .attribute("nodeset")
                   .value(),
               "instance('govs')/root/item[(name = 'g1' or name = 'g3')]");
  EXPECT_FALSE(Bind(doc, "/data/location/governorate").attribute("readonly"));

  // A field that is not a scope field of the form is left alone.
  XFormOptions other;
  other.scope_values["hh_size"] = {"4"};
  EXPECT_EQ(*WriteXForm(Household(), other), *WriteXForm(Household()));
}

TEST(XFormWriterTest, FormModelV1RulesBecomeConstraints) {
  Form f;
  f.form_id = "crossing";
  f.version = 1;
  FieldDef nat = Field("nationality", FieldType::kString);
  nat.regex = "[A-Z]{3}";
  nat.max = 3;
  FieldDef n = Field("group_size", FieldType::kInt);
  n.required = true;
  n.min = 1;
  n.max = 500;
  FieldDef v = Field("vehicle", FieldType::kBool);
  FieldDef dir = Field("direction", FieldType::kSelectOne);
  dir.choices = {"entry", "exit"};
  f.fields = {nat, n, v, dir};
  pugi::xml_document doc = Parse(*WriteXForm(f));
  EXPECT_STREQ(Bind(doc, "/data/nationality").attribute("constraint").value(),
               "string-length(.) <= 3 and regex(., '[A-Z]{3}')");
  EXPECT_STREQ(Bind(doc, "/data/group_size").attribute("constraint").value(),
               ". >= 1 and . <= 500");
  EXPECT_STREQ(Bind(doc, "/data/group_size").attribute("required").value(), "true()");
  EXPECT_EQ(doc.select_nodes("//select1[@ref='/data/vehicle']/item").size(), 2u);
  EXPECT_STREQ(
      doc.select_node("//select1[@ref='/data/direction']/item[2]/value").node().child_value(),
      "exit");
}

TEST(XFormWriterTest, RefusesWhatAnXFormCannotSay) {
  Form f;
  f.form_id = "bad";
  f.version = 1;
  f.fields = {Field("1st", FieldType::kString)};
  EXPECT_THAT(WriteXForm(f).status().message(), HasSubstr("not an XML element name"));
  f.fields = {Field("meta", FieldType::kString)};
  EXPECT_THAT(WriteXForm(f).status().message(), HasSubstr("meta"));
  FieldDef a = Field("a", FieldType::kString);
  a.relevant = "${nope} = 1";
  f.fields = {a};
  EXPECT_THAT(WriteXForm(f).status().message(), HasSubstr("${nope}"));
  a.relevant = "'unclosed";
  f.fields = {a};
  EXPECT_FALSE(WriteXForm(f).ok());
}

TEST(XFormWriterTest, CurlyQuotesBecomePlainQuotes) {
  Form f;
  f.form_id = "q";
  f.version = 1;
  FieldDef a = Field("a", FieldType::kString);
  FieldDef b = Field("b", FieldType::kString);
  b.relevant = "${a} = \xE2\x80\x98yes\xE2\x80\x99";
  f.fields = {a, b};
  pugi::xml_document doc = Parse(*WriteXForm(f));
  EXPECT_STREQ(Bind(doc, "/data/b").attribute("relevant").value(), " /data/a  = 'yes'");
}

}  // namespace
}  // namespace fieldsync::xform
