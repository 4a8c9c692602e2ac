// pyxform's own test spreadsheets (testdata/pyxform, BSD-2, see LICENSE.pyxform): each one
// converts, or fails at the sheet, row and column a pyxform user would look at, for the
// reason given in the table. flat_xlsform_test.xlsx is compared with pyxform's XForm of it.
#include <algorithm>
#include <fstream>
#include <functional>
#include <map>
#include <pugixml.hpp>
#include <set>
#include <sstream>
#include <string>
#include <vector>

#include "absl/strings/match.h"
#include "absl/strings/str_replace.h"
#include "gmock/gmock.h"
#include "gtest/gtest.h"
#include "server/xlsform/xlsform.h"

namespace fieldsync::xlsform {
namespace {

using ::testing::HasSubstr;

std::string ReadFile(const std::string& path) {
  std::ifstream in(path, std::ios::binary);
  std::stringstream ss;
  ss << in.rdbuf();
  return ss.str();
}

std::string Pyxform(const std::string& name) {
  return ReadFile(std::string(FIELDSYNC_XLSFORM_TESTDATA) + "/pyxform/" + name);
}

// pyxform names a form after its file; so does this test (the settings' form_id of some
// files, "Flat test", is no valid fieldsync form id).
absl::StatusOr<Form> ConvertFile(const std::string& file, CellRef* where) {
  XlsFormOptions options;
  options.form_id = file.substr(0, file.find('.'));
  std::replace(options.form_id.begin(), options.form_id.end(), '-', '_');
  return ConvertXlsForm(Pyxform(file), options, where);
}

struct Expected {
  const char* file;
  bool converts;
  // When it does not: where and why.
  const char* sheet;
  int row;
  const char* column;
  const char* why;
};

TEST(PyxformFilesTest, EachFileConvertsOrFailsAtTheRightCell) {
  const std::vector<Expected> table = {
      // Cascading selects: choice_filter reads the choice column `cf`; duplicate choice
      // names are allowed by the allow_choice_duplicates setting.
      {"choice_filter_test.xlsx", true, "", 0, "", ""},
      // One question, and 16384 formatted but empty columns: empty cells are not columns.
      {"extra_columns.xlsx", true, "", 0, "", ""},
      // A field-list group; choice labels in "default" (plain label) and "chinese".
      {"field-list.xlsx", true, "", 0, "", ""},
      {"flat_xlsform_test.xlsx", true, "", 0, "", ""},
      {"text_and_integer.xlsx", true, "", 0, "", ""},
      // "select one from LIST", pyxform's older spelling.
      {"yes_or_no_question.xlsx", true, "", 0, "", ""},
      // An external_choices sheet (select_one_external: a secondary instance) is not
      // supported; the sheet is named.
      {"case_insensitivity.xlsx", false, "EXTERNAL_CHOICES", 1, "", "not supported"},
      // The legacy "phone number" type.
      {"group.xlsx", false, "survey", 4, "A", "not supported"},
      // pyxform's "include" of another spreadsheet is no question type of XLSForm's spec.
      {"include.xlsx", false, "survey", 3, "A", "unknown question type"},
      // "or specify other" (or_other) is not supported: the message says what to write.
      {"loop.xlsx", false, "survey", 2, "A", "or_other"},
      {"specify_other.xlsx", false, "survey", 2, "A", "or_other"},
  };
  for (const auto& e : table) {
    CellRef where;
    absl::StatusOr<Form> form = ConvertFile(e.file, &where);
    if (e.converts) {
      EXPECT_TRUE(form.ok()) << e.file << ": " << form.status();
      continue;
    }
    ASSERT_FALSE(form.ok()) << e.file;
    EXPECT_EQ(form.status().code(), absl::StatusCode::kInvalidArgument) << e.file;
    EXPECT_EQ(where.sheet, e.sheet) << e.file;
    EXPECT_EQ(where.row, e.row) << e.file;
    EXPECT_EQ(where.column, e.column) << e.file;
    EXPECT_THAT(form.status().message(), HasSubstr(e.why)) << e.file;
  }
}

TEST(PyxformFilesTest, ChoiceFilterFileKeepsListsAndFilters) {
  CellRef where;
  auto form = ConvertFile("choice_filter_test.xlsx", &where);
  ASSERT_TRUE(form.ok()) << form.status();
  const FieldDef* county = form->FindField("county");
  ASSERT_NE(county, nullptr);
  EXPECT_EQ(county->choice_filter, "${state}=cf");
  const ChoiceList* counties = form->FindChoiceList("counties");
  ASSERT_NE(counties, nullptr);
  ASSERT_EQ(counties->choices.size(), 4u);  // "king" twice, for two states
  EXPECT_EQ(counties->choices[2].properties.at("cf"), "texas");
  EXPECT_EQ(county->choices, (std::vector<std::string>{"king", "pierce", "cameron"}));
  EXPECT_EQ(form->title, "cascading selects");
}

// ---- flat_xlsform_test.xlsx against pyxform's XForm ----------------------------------

// pyxform writes ${x} as " /flat_xlsform_test/x "; compare expressions without spaces.
std::string Normalise(std::string e, const std::string& root) {
  e = absl::StrReplaceAll(e, {{"/" + root + "/", "$"}});
  std::string out;
  for (size_t i = 0; i < e.size(); ++i) {
    if (e[i] == ' ') continue;
    if (e[i] == '$' && (i + 1 >= e.size() || e[i + 1] != '{')) {
      // "$name" -> "${name}"
      size_t j = i + 1;
      while (j < e.size() && (isalnum(static_cast<unsigned char>(e[j])) || e[j] == '_' ||
                              e[j] == '-' || e[j] == '.')) {
        ++j;
      }
      out += "${" + e.substr(i + 1, j - i - 1) + "}";
      i = j - 1;
      continue;
    }
    out += e[i];
  }
  return out;
}

// What pyxform's bind type says about our field type and question type.
std::string BindTypeOf(const FieldDef& f) {
  if (f.question_type == "time") return "time";
  if (f.question_type == "barcode") return "barcode";
  switch (f.type) {
    case FieldType::kInt:
      return "int";
    case FieldType::kDecimal:
      return "decimal";
    case FieldType::kDate:
      return "date";
    case FieldType::kDatetime:
      return "dateTime";
    case FieldType::kGeopoint:
      return "geopoint";
    case FieldType::kAttachment:
      return "binary";
    default:
      return "string";
  }
}

// The relevant that applies to a field: its own, else its nearest group's (pyxform's flat
// output copies a group's relevant onto each field in it).
std::string EffectiveRelevant(const Form& form, const FieldDef& f) {
  if (!f.relevant.empty()) return f.relevant;
  for (std::string g = f.group; !g.empty(); g = form.FindGroup(g)->parent) {
    if (!form.FindGroup(g)->relevant.empty()) return form.FindGroup(g)->relevant;
  }
  return "";
}

TEST(PyxformFilesTest, FlatFormMatchesPyxformsXForm) {
  const std::string root = "flat_xlsform_test";
  CellRef where;
  auto converted = ConvertFile("flat_xlsform_test.xlsx", &where);
  ASSERT_TRUE(converted.ok()) << converted.status();
  const Form& form = *converted;
  pugi::xml_document doc;
  const std::string xml = Pyxform("flat_xlsform_test.pyxform-output.xml");
  ASSERT_TRUE(doc.load_buffer(xml.data(), xml.size()));
  pugi::xml_node model = doc.child("h:html").child("h:head").child("model");

  // Binds: names, types, relevant, constraint, required, calculate, readonly, messages.
  std::set<std::string> bound;
  for (pugi::xml_node b : model.children("bind")) {
    std::string name = b.attribute("nodeset").value();
    name = name.substr(name.rfind('/') + 1);
    const std::string path = b.attribute("nodeset").value();
    // pyxform's own additions: meta/instanceID, meta/instanceName, and the label row it
    // inserts for a table-list group.
    if (absl::StrContains(path, "/meta/") ||
        absl::StartsWith(name, "reserved_name_for_field_list_labels")) {
      continue;
    }
    bound.insert(name);
    const FieldDef* f = form.FindField(name);
    ASSERT_NE(f, nullptr) << name;
    EXPECT_EQ(BindTypeOf(*f), b.attribute("type").value()) << name;
    EXPECT_EQ(Normalise(EffectiveRelevant(form, *f), root),
              Normalise(b.attribute("relevant").value(), root))
        << name;
    EXPECT_EQ(Normalise(f->constraint, root), Normalise(b.attribute("constraint").value(), root))
        << name;
    EXPECT_EQ(Normalise(f->calculate, root), Normalise(b.attribute("calculate").value(), root))
        << name;
    EXPECT_EQ(f->required, std::string(b.attribute("required").value()) == "true()") << name;
    EXPECT_EQ(f->read_only, std::string(b.attribute("readonly").value()) == "true()") << name;
    EXPECT_EQ(f->required_message, b.attribute("jr:requiredMsg").value()) << name;
    // A constraint message in several languages is an itext reference.
    EXPECT_EQ(!f->constraint_messages.empty(), *b.attribute("jr:constraintMsg").value() != 0)
        << name;
    // Preloaded metadata keeps its question type.
    const std::string preload = b.attribute("jr:preloadParams").value();
    if (!preload.empty()) {
      EXPECT_EQ(f->question_type, preload == "uri:deviceid" ? "deviceid" : preload) << name;
    }
    // Columns pyxform writes as bind attributes are kept for clients.
    if (*b.attribute("jr:noAppErrorString").value()) {
      EXPECT_EQ(f->extra.at("noAppErrorString"), b.attribute("jr:noAppErrorString").value());
    }
  }
  std::set<std::string> ours;
  for (const auto& f : form.fields) ours.insert(f.name);
  EXPECT_EQ(ours, bound);

  // Translations: the same languages.
  std::set<std::string> languages;
  for (pugi::xml_node t : model.child("itext").children("translation")) {
    languages.insert(t.attribute("lang").value());
  }
  EXPECT_EQ(std::set<std::string>(form.languages.begin(), form.languages.end()), languages);
  EXPECT_EQ(form.default_language, "default");
  // A label in Chinese, and a constraint message in both languages, as pyxform has them.
  EXPECT_EQ(form.FindField("address")->labels.at("chinese"), "您好");
  EXPECT_THAT(form.FindField("select_multiple_test")->constraint_messages.at("chinese"),
              HasSubstr("對不起"));
  EXPECT_EQ(form.FindChoiceList("yes_no")->choices[0].labels.at("chinese"), "是");

  // Groups: pyxform's body nests the same groups with the same appearances (it writes a
  // table-list group as a field-list one) and the same questions in each.
  std::vector<std::string> body_groups;
  std::map<std::string, int> body_depth;
  std::function<void(pugi::xml_node, int)> walk = [&](pugi::xml_node n, int depth) {
    for (pugi::xml_node c : n.children()) {
      if (std::string(c.name()) == "group") {
        body_groups.push_back(c.attribute("appearance").value());
        walk(c, depth + 1);
      } else if (*c.attribute("ref").value()) {
        std::string ref = c.attribute("ref").value();
        body_depth[ref.substr(ref.rfind('/') + 1)] = depth;
      }
    }
  };
  walk(doc.child("h:html").child("h:body"), 0);
  std::vector<std::string> our_groups;
  for (const auto& g : form.groups) {
    EXPECT_FALSE(g.repeat);
    our_groups.push_back(g.appearance == "table-list" ? "field-list" : g.appearance);
  }
  EXPECT_EQ(our_groups, body_groups);
  for (const auto& f : form.fields) {
    // Calculates and metadata have no control in the body.
    if (body_depth.count(f.name) == 0) {
      EXPECT_TRUE(f.question_type == "calculate" || f.question_type == "start" ||
                  f.question_type == "end" || f.question_type == "today" ||
                  f.question_type == "deviceid" || f.question_type == "simserial" ||
                  f.question_type == "phonenumber")
          << f.name;
      continue;
    }
    int depth = 0;
    for (std::string g = f.group; !g.empty(); g = form.FindGroup(g)->parent) ++depth;
    EXPECT_EQ(depth, body_depth[f.name]) << f.name;
  }
  // Settings pyxform uses (encryption key, submission URL) are kept, not dropped.
  EXPECT_EQ(form.settings.at("submission_url"),
            "https://example-odk-aggregate.appspot.com/submission");
  EXPECT_EQ(form.instance_name, "${my_name}");
}

}  // namespace
}  // namespace fieldsync::xlsform
