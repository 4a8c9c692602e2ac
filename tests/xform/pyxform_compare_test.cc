// The XForm written for pyxform's flat_xlsform_test.xlsx, compared structurally with the XForm
// pyxform itself writes for it (tests/xlsform/testdata/pyxform, BSD-2): the same instance
// nodes in the same order, the same bind type, required, readonly, calculate and preload per
// node, the same body control per question, the same languages. The root element's name, the
// order of attributes and the text of labels may differ; the differences that remain are
// listed below with the reason.
#include <algorithm>
#include <fstream>
#include <map>
#include <pugixml.hpp>
#include <set>
#include <sstream>
#include <string>
#include <vector>

#include "gmock/gmock.h"
#include "gtest/gtest.h"
#include "server/xform/xform_writer.h"
#include "server/xlsform/xlsform.h"

namespace fieldsync::xform {
namespace {

std::string ReadFile(const std::string& path) {
  std::ifstream in(path, std::ios::binary);
  std::stringstream ss;
  ss << in.rdbuf();
  return ss.str();
}

struct BindFacts {
  std::string type;
  bool required = false;
  bool readonly = false;
  bool calculate = false;
  bool relevant = false;
  std::string preload;
  bool operator==(const BindFacts& o) const {
    return type == o.type && required == o.required && readonly == o.readonly &&
           calculate == o.calculate && relevant == o.relevant && preload == o.preload;
  }
};

std::ostream& operator<<(std::ostream& os, const BindFacts& b) {
  return os << "{type " << b.type << (b.required ? " required" : "")
            << (b.readonly ? " readonly" : "") << (b.calculate ? " calculate" : "")
            << (b.relevant ? " relevant" : "") << (b.preload.empty() ? "" : " preload ")
            << b.preload << "}";
}

// What the comparison looks at, with paths relative to the instance root ("a/b").
struct Facts {
  std::vector<std::string> nodes;  // instance nodes, document order
  std::map<std::string, BindFacts> binds;
  std::map<std::string, std::string> controls;  // ref -> control element
  std::set<std::string> languages;
};

// The last step of a path: names are unique per form, and pyxform's "flat" output of this
// file leaves its groups out of the instance, so nodes are compared by name.
std::string Name(const std::string& path) { return path.substr(path.rfind('/') + 1); }

void Leaves(pugi::xml_node n, std::vector<std::string>* out) {
  for (pugi::xml_node c : n.children()) {
    if (c.type() != pugi::node_element) continue;
    if (c.first_child() && c.first_child().type() == pugi::node_element) {
      Leaves(c, out);
    } else {
      out->push_back(c.name());
    }
  }
}

Facts Collect(const std::string& xml) {
  pugi::xml_document doc;
  EXPECT_TRUE(doc.load_string(xml.c_str()));
  Facts f;
  pugi::xml_node model = doc.child("h:html").child("h:head").child("model");
  for (pugi::xml_node inst : model.children("instance")) {
    if (!inst.attribute("id")) Leaves(inst.first_child(), &f.nodes);
  }
  // A group's relevance holds for everything in it.
  std::set<std::string> relevant_paths;
  for (pugi::xml_node b : model.children("bind")) {
    if (b.attribute("relevant")) relevant_paths.insert(b.attribute("nodeset").value());
  }
  const std::set<std::string> leaves(f.nodes.begin(), f.nodes.end());
  for (pugi::xml_node b : model.children("bind")) {
    const std::string path = b.attribute("nodeset").value();
    if (!leaves.count(Name(path))) continue;  // a group's own bind
    BindFacts facts;
    facts.type = b.attribute("type").value();
    std::string req = b.attribute("required").value();
    facts.required = !req.empty() && req != "false()";
    facts.readonly = std::string(b.attribute("readonly").value()) == "true()";
    facts.calculate = b.attribute("calculate");
    for (const auto& r : relevant_paths) {
      facts.relevant |= path == r || path.rfind(r + "/", 0) == 0;
    }
    facts.preload = std::string(b.attribute("jr:preload").value()) + " " +
                    b.attribute("jr:preloadParams").value();
    if (facts.preload == " ") facts.preload.clear();
    f.binds[Name(path)] = facts;
  }
  for (pugi::xpath_node x : doc.select_nodes("//h:body//*[@ref]")) {
    std::string name = x.node().name();
    if (name == "label" || name == "hint" || name == "value" || name == "group") continue;
    f.controls[Name(x.node().attribute("ref").value())] = name;
  }
  for (pugi::xml_node t : model.child("itext").children("translation")) {
    f.languages.insert(t.attribute("lang").value());
  }
  return f;
}

TEST(PyxformCompareTest, FlatXlsformTestMatchesPyxformsXForm) {
  const std::string dir = FIELDSYNC_PYXFORM_TESTDATA;
  xlsform::XlsFormOptions options;
  options.form_id = "flat_xlsform_test";
  absl::StatusOr<Form> form =
      xlsform::ConvertXlsForm(ReadFile(dir + "/flat_xlsform_test.xlsx"), options);
  ASSERT_TRUE(form.ok()) << form.status();
  absl::StatusOr<std::string> ours = WriteXForm(*form);
  ASSERT_TRUE(ours.ok()) << ours.status();
  Facts mine = Collect(*ours);
  Facts theirs = Collect(ReadFile(dir + "/flat_xlsform_test.pyxform-output.xml"));

  // Differences that come from the spreadsheet conversion (server/xlsform), not from the
  // XForm writer, each checked so that it cannot hide another:
  //   - row 25 is a `select_one` with appearance "label" and no name: pyxform invents the
  //     name reserved_name_for_field_list_labels_25; the converter keeps no such field;
  //   - type `uri:deviceid` is converted as `deviceid`, so its preload parameter is
  //     "deviceid" where pyxform writes "uri:deviceid".
  const std::string invented = "reserved_name_for_field_list_labels_25";
  ASSERT_EQ(theirs.binds.count(invented), 1u);
  theirs.nodes.erase(std::remove(theirs.nodes.begin(), theirs.nodes.end(), invented),
                     theirs.nodes.end());
  theirs.binds.erase(invented);
  ASSERT_EQ(theirs.controls.erase(invented), 1u);
  ASSERT_EQ(theirs.binds["uri_deviceid"].preload, "property uri:deviceid");
  theirs.binds["uri_deviceid"].preload = "property deviceid";

  EXPECT_EQ(mine.nodes, theirs.nodes);
  EXPECT_EQ(mine.languages, theirs.languages);
  EXPECT_EQ(mine.binds, theirs.binds);
  EXPECT_EQ(mine.controls, theirs.controls);
  EXPECT_EQ(mine.nodes.size(), 50u);
  EXPECT_EQ(mine.controls.size(), 40u);
}

}  // namespace
}  // namespace fieldsync::xform
