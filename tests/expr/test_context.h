// Fakes for the expression tests: a Resolver over a table of names and paths, and an
// EvalContext over values kept in maps, with a fixed clock and a seeded random source.
#ifndef FIELDSYNC_TESTS_EXPR_TEST_CONTEXT_H_
#define FIELDSYNC_TESTS_EXPR_TEST_CONTEXT_H_

#include <cstdint>
#include <map>
#include <random>
#include <string>
#include <utility>
#include <vector>

#include "absl/strings/str_join.h"
#include "absl/time/civil_time.h"
#include "gtest/gtest.h"
#include "server/expr/expr.h"

namespace fieldsync::expr::testing {

// ${name} by name; paths by their steps joined with "/" ("" is `.`, "..", "../x", and
// "/data/x" for absolute paths). A whole_form lookup tries "whole:" + name first.
class TableResolver : public Resolver {
 public:
  void Add(const std::string& name, RefId id, RefKind kind = RefKind::kValue) {
    names_[name] = {id, kind};
  }
  void AddPath(const std::string& path, RefId id, RefKind kind = RefKind::kValue) {
    paths_[path] = {id, kind};
  }

  absl::StatusOr<ResolvedRef> Resolve(const Reference& ref) const override {
    ++calls;
    if (ref.kind == Reference::Kind::kName) {
      if (ref.whole_form) {
        auto it = names_.find("whole:" + ref.name);
        if (it != names_.end()) return it->second;
      }
      auto it = names_.find(ref.name);
      if (it == names_.end()) return absl::NotFoundError(ref.name);
      return it->second;
    }
    const std::string key = (ref.absolute ? "/" : "") + absl::StrJoin(ref.steps, "/");
    auto it = paths_.find(key);
    if (it == paths_.end()) return absl::NotFoundError(key);
    return it->second;
  }

  mutable int calls = 0;

 private:
  std::map<std::string, ResolvedRef> names_;
  std::map<std::string, ResolvedRef> paths_;
};

class FakeContext : public EvalContext {
 public:
  const Value* Get(RefId ref) override {
    auto it = values.find(ref);
    return it == values.end() ? nullptr : &it->second;
  }
  void GetAll(RefId ref, std::vector<const Value*>* out) override {
    auto it = node_sets.find(ref);
    if (it == node_sets.end()) return;
    for (const Value& v : it->second) out->push_back(&v);
  }
  const Value* GetIndexed(RefId target, const std::vector<RefId>& repeats,
                          const std::vector<int64_t>& indexes) override {
    last_indexed_repeats = repeats;
    auto it = node_sets.find(target);
    if (it == node_sets.end() || indexes.size() != 1) return nullptr;
    const int64_t i = indexes[0] - 1;
    if (i < 0 || i >= static_cast<int64_t>(it->second.size())) return nullptr;
    return &it->second[i];
  }
  int64_t Position(RefId ref) override {
    auto it = positions.find(ref);
    return it == positions.end() ? 1 : it->second;
  }
  absl::Time Now() override { return now; }
  absl::TimeZone TimeZone() override { return tz; }
  uint64_t Random() override { return rng(); }
  std::string ChoiceLabel(RefId field, std::string_view choice) override {
    auto it = labels.find({field, std::string(choice)});
    return it == labels.end() ? "" : it->second;
  }

  std::map<RefId, Value> values;
  std::map<RefId, std::vector<Value>> node_sets;
  std::map<RefId, int64_t> positions;
  std::map<std::pair<RefId, std::string>, std::string> labels;
  std::vector<RefId> last_indexed_repeats;
  // 2024-03-05T10:20:30.250Z, a Tuesday.
  absl::Time now = absl::FromCivil(absl::CivilSecond(2024, 3, 5, 10, 20, 30), absl::UTCTimeZone()) +
                   absl::Milliseconds(250);
  absl::TimeZone tz = absl::UTCTimeZone();
  std::mt19937_64 rng{42};
};

// Ids of the household the tests evaluate against (see Household()).
enum HouseholdRef : RefId {
  kSelf = 1,         // `.`: the field the expression belongs to
  kAge,              // ${age}: int 30
  kName,             // ${name}: "Amina"
  kDob,              // ${dob}: date "1990-05-15"
  kSm,               // ${sm}: select_multiple {"a", "c"}
  kEmpty,            // ${empty}: null
  kFlag,             // ${flag}: bool true
  kGps,              // ${gps}: GeoPoint(36.19, 44.01)
  kPrice,            // ${price}: double 2.5
  kText5,            // ${text5}: string "5"
  kFruit,            // ${fruit}: select_one "mango", labels in the context
  kMemberAge,        // ${member_age}: node-set 34, 30, 8, 5, 2, null
  kMemberName,       // ${member_name}: node-set of 6 names
  kMembers,          // ${members}: the roster repeat, 6 instances
  kSingleAge,        // ${single_age}: node-set of one value, 41
  kNoAges,           // ${no_ages}: empty node-set
  kParent,           // `..`: the repeat instance node, position 3
  kGroup,            // ${grp}: a group node
  kTrace,            // ${trace}: a geotrace string
  kWholeMemberName,  // ${member_name} as indexed-repeat() resolves it
};

inline void AddHousehold(TableResolver* r, FakeContext* c) {
  r->AddPath("", kSelf);
  r->AddPath("..", kParent, RefKind::kNode);
  r->AddPath("../age", kAge);
  r->AddPath("/data/name", kName);
  r->Add("age", kAge);
  r->Add("name", kName);
  r->Add("dob", kDob);
  r->Add("sm", kSm);
  r->Add("empty", kEmpty);
  r->Add("flag", kFlag);
  r->Add("gps", kGps);
  r->Add("price", kPrice);
  r->Add("text5", kText5);
  r->Add("fruit", kFruit);
  r->Add("member_age", kMemberAge, RefKind::kNodeSet);
  r->Add("member_name", kMemberName, RefKind::kNodeSet);
  r->Add("whole:member_name", kWholeMemberName, RefKind::kNodeSet);
  r->Add("members", kMembers, RefKind::kNodeSet);
  r->Add("single_age", kSingleAge, RefKind::kNodeSet);
  r->Add("no_ages", kNoAges, RefKind::kNodeSet);
  r->Add("grp", kGroup, RefKind::kNode);
  r->Add("trace", kTrace);
  c->values[kAge] = int64_t{30};
  c->values[kName] = std::string("Amina");
  c->values[kDob] = std::string("1990-05-15");
  c->values[kSm] = std::vector<std::string>{"a", "c"};
  c->values[kEmpty] = Value();
  c->values[kFlag] = true;
  c->values[kGps] = GeoPoint{36.19, 44.01};
  c->values[kPrice] = 2.5;
  c->values[kText5] = std::string("5");
  c->values[kFruit] = std::string("mango");
  c->values[kTrace] = std::string("0 0 0 0; 1 0 0 0");
  c->node_sets[kMemberAge] = {int64_t{34}, int64_t{30}, int64_t{8},
                              int64_t{5},  int64_t{2},  Value()};
  c->node_sets[kMemberName] = {std::string("Amina"), std::string("Omar"), std::string("Sara"),
                               std::string("Ali"),   std::string("Huda"), std::string("Zaid")};
  c->node_sets[kWholeMemberName] = c->node_sets[kMemberName];
  c->node_sets[kMembers] = std::vector<Value>(6);
  c->node_sets[kSingleAge] = {int64_t{41}};
  c->node_sets[kNoAges] = {};
  c->positions[kParent] = 3;
  c->positions[kSelf] = 3;
  c->labels[{kFruit, "mango"}] = "Mango";
}

// Compiles and evaluates `text` against the household as a string (or the error).
inline absl::StatusOr<std::string> EvalString(const std::string& text,
                                              const Limits& limits = Limits()) {
  TableResolver resolver;
  FakeContext ctx;
  AddHousehold(&resolver, &ctx);
  absl::StatusOr<CompiledExpr> e = Compile(text, resolver, limits);
  if (!e.ok()) return e.status();
  return e->EvaluateString(ctx);
}

// One row of a table test: an expression, its expected string() and where that comes from.
struct Row {
  const char* expr;
  const char* expected;
  const char* source;
};

// Evaluates every row against the household and compares (a gtest failure per mismatch).
inline void ExpectRows(const std::vector<Row>& rows) {
  for (const Row& row : rows) {
    absl::StatusOr<std::string> got = EvalString(row.expr);
    ASSERT_TRUE(got.ok()) << row.expr << " [" << row.source << "]: " << got.status();
    EXPECT_EQ(*got, row.expected) << row.expr << " [" << row.source << "]";
  }
}

}  // namespace fieldsync::expr::testing

#endif  // FIELDSYNC_TESTS_EXPR_TEST_CONTEXT_H_
