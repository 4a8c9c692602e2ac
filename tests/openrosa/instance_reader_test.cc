#include "server/openrosa/instance_reader.h"

#include "gmock/gmock.h"
#include "gtest/gtest.h"
#include "server/xform/instance_tree.h"

namespace fieldsync::openrosa {
namespace {

using ::testing::HasSubstr;

// A roster form: root fields, a group, a repeat with a nested repeat counted by an
// expression (so its instances carry a generated count node).
Form Roster() {
  Form f;
  f.form_id = "roster";
  f.version = 2;
  auto group = [](std::string name, bool repeat, std::string parent, std::string count) {
    GroupDef g;
    g.name = std::move(name);
    g.repeat = repeat;
    g.parent = std::move(parent);
    g.repeat_count = std::move(count);
    return g;
  };
  f.groups = {group("where", false, "", ""), group("members", true, "", ""),
              group("visits", true, "members", "${age} + 1")};
  auto field = [](std::string name, FieldType t, std::string group) {
    FieldDef d;
    d.name = std::move(name);
    d.type = t;
    d.group = std::move(group);
    return d;
  };
  f.fields = {
      field("village", FieldType::kString, "where"), field("size", FieldType::kInt, ""),
      field("income", FieldType::kDecimal, ""),      field("needs", FieldType::kSelectMultiple, ""),
      field("gps", FieldType::kGeopoint, ""),        field("photo", FieldType::kAttachment, ""),
      field("name", FieldType::kString, "members"),  field("age", FieldType::kInt, "members"),
      field("day", FieldType::kDate, "visits")};
  return f;
}

absl::StatusOr<SubmittedInstance> Read(const std::string& xml, const InstanceLimits& l = {}) {
  static const Form* form = new Form(Roster());
  static const xform::InstanceTree* tree =
      new xform::InstanceTree(*xform::InstanceTree::Build(*form));
  absl::StatusOr<ParsedInstance> p = ParseInstance(xml, l);
  if (!p.ok()) return p.status();
  EXPECT_EQ(p->form_id(), "roster");
  return ReadInstance(*p, *form, *tree, l);
}

constexpr char kFull[] =
    "<?xml version='1.0'?><data id=\"roster\" version=\"2\">"
    "<where><village>Tal <![CDATA[Afar]]></village></where><size>3</size>"
    "<income>12.5</income><needs>food water</needs><gps>36.1 43.2 300 5</gps>"
    "<photo>p.jpg</photo>"
    "<members><name>A</name><age>40</age><visits_count>2</visits_count>"
    "<visits><day>2026-01-01</day></visits><visits><day/></visits></members>"
    "<members><name>B</name><age/></members>"
    "<meta><instanceID> uuid:abc </instanceID><deprecatedID>uuid:old</deprecatedID>"
    "<instanceName>x</instanceName></meta></data>";

TEST(InstanceReaderTest, ReadsRootAndRepeatInstancesWithTypedValues) {
  absl::StatusOr<SubmittedInstance> s = Read(kFull);
  ASSERT_TRUE(s.ok()) << s.status();
  EXPECT_EQ(s->form_version, 2u);
  EXPECT_EQ(s->instance_id, "uuid:abc");
  EXPECT_EQ(s->deprecated_id, "uuid:old");
  EXPECT_EQ(std::get<std::string>(s->fields.at("village")), "Tal Afar");
  EXPECT_EQ(std::get<int64_t>(s->fields.at("size")), 3);
  EXPECT_EQ(std::get<double>(s->fields.at("income")), 12.5);
  EXPECT_EQ(std::get<std::vector<std::string>>(s->fields.at("needs")),
            (std::vector<std::string>{"food", "water"}));
  EXPECT_EQ(std::get<GeoPoint>(s->fields.at("gps")), (GeoPoint{36.1, 43.2}));
  EXPECT_EQ(s->files.at("photo"), "p.jpg");
  ASSERT_EQ(s->repeats.size(), 2u);
  const RepeatInstance& a = s->repeats[0];
  EXPECT_EQ(a.repeat, "members");
  EXPECT_EQ(a.ordinal, 1u);
  EXPECT_EQ(a.path, "/members[1]");
  EXPECT_EQ(std::get<int64_t>(a.fields.at("age")), 40);
  ASSERT_EQ(a.children.size(), 2u);
  EXPECT_EQ(a.children[1].path, "/members[1]/visits[2]");
  EXPECT_TRUE(a.children[1].fields.empty());  // an empty answer is no answer
  EXPECT_EQ(s->repeats[1].path, "/members[2]");
  EXPECT_EQ(s->repeats[1].fields.count("age"), 0u);
}

TEST(InstanceReaderTest, TextThatDoesNotParseStaysTextForTheFormCheck) {
  absl::StatusOr<SubmittedInstance> s = Read(
      "<data id=\"roster\" version=\"2\"><size>many</size><gps>north</gps>"
      "<meta><instanceID>uuid:1</instanceID></meta></data>");
  ASSERT_TRUE(s.ok()) << s.status();
  EXPECT_EQ(std::get<std::string>(s->fields.at("size")), "many");
  EXPECT_EQ(std::get<std::string>(s->fields.at("gps")), "north");
}

TEST(InstanceReaderTest, RefusesWhatTheFormDoesNotHave) {
  EXPECT_THAT(Read("<data id=\"roster\" version=\"2\"/>").status().message(),
              HasSubstr("instanceID"));
  EXPECT_THAT(Read("<data id=\"roster\" version=\"2\"><age>3</age>"
                   "<meta><instanceID>u</instanceID></meta></data>")
                  .status()
                  .message(),
              HasSubstr("<age> is not in form roster"));
  EXPECT_THAT(Read("<data id=\"roster\" version=\"2\"><size><b/></size>"
                   "<meta><instanceID>u</instanceID></meta></data>")
                  .status()
                  .message(),
              HasSubstr("holds an element"));
  EXPECT_THAT(Read("<data version=\"2\"/>").status().message(), HasSubstr("form id"));
}

TEST(InstanceReaderTest, HostileDocumentsStopAtTheirBounds) {
  InstanceLimits l;
  l.max_bytes = 1000;
  EXPECT_EQ(Read(std::string(1001, ' '), l).status().code(), absl::StatusCode::kResourceExhausted);
  // Entities: a DOCTYPE is refused before anything could be expanded.
  EXPECT_THAT(Read("<!DOCTYPE d [<!ENTITY a \"aaaa\">]><data id=\"roster\" version=\"2\">"
                   "<size>&a;</size></data>")
                  .status()
                  .message(),
              HasSubstr("DOCTYPE"));
  std::string deep = "<data id=\"roster\" version=\"2\">";
  for (int i = 0; i < 100; ++i) deep += "<x>";
  for (int i = 0; i < 100; ++i) deep += "</x>";
  deep += "</data>";
  EXPECT_THAT(Read(deep).status().message(), HasSubstr("nests deeper than 64"));
  InstanceLimits few;
  few.max_elements = 5;
  EXPECT_THAT(Read(kFull, few).status().message(), HasSubstr("more than 5 elements"));
  InstanceLimits short_text;
  short_text.max_text_bytes = 4;
  EXPECT_THAT(Read(kFull, short_text).status().message(), HasSubstr("longer than 4 bytes"));
  EXPECT_FALSE(Read("<data id=\"roster\"><unclosed></data>").ok());
}

TEST(InstanceReaderTest, ChildIdsAreStableUuidsOfRootAndPath) {
  std::string a = ChildRecordId("uuid:abc", "/members[1]");
  EXPECT_EQ(a, ChildRecordId("uuid:abc", "/members[1]"));
  EXPECT_NE(a, ChildRecordId("uuid:abc", "/members[2]"));
  EXPECT_NE(a, ChildRecordId("uuid:abd", "/members[1]"));
  ASSERT_EQ(a.size(), 36u);
  EXPECT_EQ(a[8], '-');
  EXPECT_EQ(a[14], '8');                                                      // version 8
  EXPECT_TRUE(a[19] == '8' || a[19] == '9' || a[19] == 'a' || a[19] == 'b');  // variant 10xx
}

}  // namespace
}  // namespace fieldsync::openrosa
