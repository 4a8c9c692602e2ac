// FormTreeResolver resolves references as pyxform writes them (relative inside the same
// repeat instance, absolute otherwise: pyxform survey.py _var_repl_function), and
// RecordTreeContext evaluates them on a tree of child records.
#include "server/expr/record_tree.h"

#include <memory>
#include <string>
#include <vector>

#include "gmock/gmock.h"
#include "gtest/gtest.h"
#include "server/expr/form_tree.h"

namespace fieldsync::expr {
namespace {

using ::testing::HasSubstr;
using Kind = FormTree::Kind;

// household: hh_size, location/governorate, members[name, age, disabilities[kind]], visits[day]
class RecordTreeTest : public ::testing::Test {
 protected:
  RecordTreeTest() : tree_("household") {
    hh_size_ = *tree_.Add(FormTree::kRoot, "hh_size", Kind::kField);
    location_ = *tree_.Add(FormTree::kRoot, "location", Kind::kGroup);
    governorate_ = *tree_.Add(location_, "governorate", Kind::kField);
    members_ = *tree_.Add(FormTree::kRoot, "members", Kind::kRepeat);
    name_ = *tree_.Add(members_, "name", Kind::kField);
    age_ = *tree_.Add(members_, "age", Kind::kField);
    disabilities_ = *tree_.Add(members_, "disabilities", Kind::kRepeat);
    kind_ = *tree_.Add(disabilities_, "kind", Kind::kField);
    visits_ = *tree_.Add(FormTree::kRoot, "visits", Kind::kRepeat);
    day_ = *tree_.Add(visits_, "day", Kind::kField);

    root_fields_ = {{"hh_size", int64_t{3}}, {"governorate", std::string("Ninewa")}};
    root_ = {FormTree::kRoot, 1, &root_fields_};
    const char* names[] = {"Amina", "Omar", "Sara"};
    const int64_t ages[] = {34, 36, 4};
    for (int i = 0; i < 3; ++i) {
      member_fields_[i] = {{"name", std::string(names[i])}, {"age", ages[i]}};
      members_i_[i] = {members_, i + 1, &member_fields_[i], &root_};
      root_.children.push_back(&members_i_[i]);
    }
    // Omar has two disabilities, Sara one.
    const char* kinds[] = {"seeing", "hearing", "walking"};
    const int owner[] = {1, 1, 2};
    for (int i = 0; i < 3; ++i) {
      disability_fields_[i] = {{"kind", std::string(kinds[i])}};
      RecordInstance& m = members_i_[owner[i]];
      disability_i_[i] = {disabilities_, static_cast<int64_t>(m.children.size() + 1),
                          &disability_fields_[i], &m};
      m.children.push_back(&disability_i_[i]);
    }
    env_.now = absl::FromUnixSeconds(1'700'000'000);
  }

  absl::StatusOr<std::string> Eval(RefId context, const RecordInstance& at,
                                   const std::string& text) {
    FormTreeResolver resolver(tree_, context);
    absl::StatusOr<CompiledExpr> e = Compile(text, resolver);
    if (!e.ok()) return e.status();
    RecordTreeContext ctx(tree_, at, env_);
    return e->EvaluateString(ctx);
  }
  ResolvedRef Resolve(RefId context, const std::string& name) {
    Reference ref;
    ref.name = name;
    ref.text = "${" + name + "}";
    return *FormTreeResolver(tree_, context).Resolve(ref);
  }

  FormTree tree_;
  RefId hh_size_, location_, governorate_, members_, name_, age_, disabilities_, kind_, visits_,
      day_;
  FieldMap root_fields_;
  FieldMap member_fields_[3];
  FieldMap disability_fields_[3];
  RecordInstance root_;
  RecordInstance members_i_[3];
  RecordInstance disability_i_[3];
  Environment env_;
};

TEST_F(RecordTreeTest, TreeRefusesDuplicateAndMisplacedNames) {
  EXPECT_THAT(tree_.Add(FormTree::kRoot, "age", Kind::kField).status().message(),
              HasSubstr("used twice"));
  EXPECT_THAT(tree_.Add(FormTree::kRoot, "household", Kind::kField).status().message(),
              HasSubstr("used twice"));
  EXPECT_THAT(tree_.Add(age_, "x", Kind::kField).status().message(), HasSubstr("is a field"));
  EXPECT_EQ(tree_.Add(FormTree::kRoot, "", Kind::kField).status().code(),
            absl::StatusCode::kInvalidArgument);
  EXPECT_EQ(*tree_.Find("kind"), kind_);
  EXPECT_EQ(tree_.Find("nothing").status().code(), absl::StatusCode::kNotFound);
}

TEST_F(RecordTreeTest, KindsAsPyxformWritesThePaths) {
  // From the household level: fields in repeats are node-sets.
  EXPECT_EQ(Resolve(hh_size_, "governorate").kind, RefKind::kValue);
  EXPECT_EQ(Resolve(hh_size_, "age").kind, RefKind::kNodeSet);
  EXPECT_EQ(Resolve(hh_size_, "members").kind, RefKind::kNodeSet);
  EXPECT_EQ(Resolve(hh_size_, "kind").kind, RefKind::kNodeSet);
  EXPECT_EQ(Resolve(hh_size_, "location").kind, RefKind::kNode);
  // From a member: its own instance's fields and the household's are single values.
  EXPECT_EQ(Resolve(name_, "age").kind, RefKind::kValue);
  EXPECT_EQ(Resolve(name_, "hh_size").kind, RefKind::kValue);
  EXPECT_EQ(Resolve(name_, "members").kind, RefKind::kNode);
  EXPECT_EQ(Resolve(name_, "kind").kind, RefKind::kNodeSet);
  EXPECT_EQ(Resolve(name_, "day").kind, RefKind::kNodeSet);  // a sibling repeat
  // From a disability: the enclosing member's fields are single values.
  EXPECT_EQ(Resolve(kind_, "age").kind, RefKind::kValue);
  EXPECT_EQ(Resolve(kind_, "age").id, age_);
}

TEST_F(RecordTreeTest, PathsWalkTheTree) {
  FormTreeResolver from_name(tree_, name_);
  auto path = [](bool absolute, std::vector<std::string> steps) {
    Reference r;
    r.kind = Reference::Kind::kPath;
    r.absolute = absolute;
    r.steps = std::move(steps);
    return r;
  };
  EXPECT_EQ(from_name.Resolve(path(false, {}))->id, name_);
  EXPECT_EQ(from_name.Resolve(path(false, {"..", "age"}))->id, age_);
  EXPECT_EQ(from_name.Resolve(path(false, {".."}))->id, members_);
  EXPECT_EQ(from_name.Resolve(path(false, {".."}))->kind, RefKind::kNode);
  EXPECT_EQ(from_name.Resolve(path(false, {"..", "..", "hh_size"}))->id, hh_size_);
  EXPECT_EQ(from_name.Resolve(path(true, {"household", "location", "governorate"}))->id,
            governorate_);
  EXPECT_EQ(from_name.Resolve(path(true, {"data", "hh_size"})).status().code(),
            absl::StatusCode::kNotFound);
  EXPECT_EQ(from_name.Resolve(path(false, {"..", "nothing"})).status().code(),
            absl::StatusCode::kNotFound);
  EXPECT_EQ(from_name.Resolve(path(false, {"..", "..", "..", ".."})).status().code(),
            absl::StatusCode::kNotFound);
}

TEST_F(RecordTreeTest, EvaluatesOnChildRecords) {
  // The household level sees the roster as node-sets.
  EXPECT_EQ(*Eval(hh_size_, root_, "count(${members})"), "3");
  EXPECT_EQ(*Eval(hh_size_, root_, "sum(${age})"), "74");
  EXPECT_EQ(*Eval(hh_size_, root_, ". = count(${members})"), "true");
  EXPECT_EQ(*Eval(hh_size_, root_, "count(${kind})"), "3");
  EXPECT_EQ(*Eval(hh_size_, root_, "join(',', ${name})"), "Amina,Omar,Sara");
  EXPECT_EQ(*Eval(hh_size_, root_, "count(${visits})"), "0");
  EXPECT_EQ(*Eval(hh_size_, root_, "indexed-repeat(${name}, ${members}, 2)"), "Omar");
  EXPECT_EQ(*Eval(hh_size_, root_, "indexed-repeat(${kind}, ${members}, 2, ${disabilities}, 2)"),
            "hearing");
  EXPECT_EQ(*Eval(hh_size_, root_, "indexed-repeat(${kind}, ${members}, 2)"), "");
  // A member sees its own instance, its position, and the household.
  const RecordInstance& sara = members_i_[2];
  EXPECT_EQ(*Eval(age_, sara, ". < ${hh_size} * 10 and ${name} = 'Sara'"), "true");
  EXPECT_EQ(*Eval(age_, sara, "position(..)"), "3");
  EXPECT_EQ(*Eval(age_, sara, "position()"), "3");
  EXPECT_EQ(*Eval(age_, sara, "../age + 1"), "5");
  EXPECT_EQ(*Eval(age_, sara, "/household/location/governorate"), "Ninewa");
  // Nested repeats from a member: only that member's instances.
  EXPECT_EQ(*Eval(age_, members_i_[1], "count(${kind})"), "2");
  EXPECT_EQ(*Eval(age_, members_i_[0], "count(${disabilities})"), "0");
  // From a disability: the enclosing member's fields.
  EXPECT_EQ(*Eval(kind_, disability_i_[1], "concat(${name}, ':', ., ':', position(..))"),
            "Omar:hearing:2");
  // A nested repeat's field used as one value where it has several: javarosa's error.
  EXPECT_THAT(Eval(age_, members_i_[1], "${kind} = 'seeing'").status().message(),
              HasSubstr("'${kind}' has 2 values here"));
  EXPECT_EQ(*Eval(age_, members_i_[2], "${kind} = 'walking'"), "true");  // one value: fine
  EXPECT_EQ(*Eval(kind_, disability_i_[1], "count(${day})"), "0");
}

TEST_F(RecordTreeTest, EnvironmentSuppliesClockRandomAndLabels) {
  env_.time_zone = absl::FixedTimeZone(3 * 3600);
  uint64_t n = 0;
  env_.random = [&n] { return ++n; };
  env_.choice_label = [this](RefId field, std::string_view choice) {
    return field == name_ ? "label of " + std::string(choice) : std::string();
  };
  EXPECT_EQ(*Eval(hh_size_, root_, "today()"), "2023-11-15");
  EXPECT_EQ(*Eval(hh_size_, root_, "now()"), "2023-11-15T01:13:20.000+03:00");
  EXPECT_EQ(Eval(hh_size_, root_, "uuid()")->size(), 36u);
  EXPECT_EQ(n, 2u);
  EXPECT_EQ(*Eval(age_, members_i_[0], "jr:choice-name(${name}, '${name}')"), "label of Amina");
  EXPECT_EQ(*Eval(age_, members_i_[0], "jr:choice-name(${name}, '../name')"), "label of Amina");
}

}  // namespace
}  // namespace fieldsync::expr
