// expr_bench (issue 12): the cost of a form's expressions per record. A DTM-style household
// survey (server/expr FormTree) with a 6-member roster: 24 household-level and 16
// member-level relevant/constraint/calculate expressions, so 24 + 16 x 6 = 120 evaluations
// per record, through RecordTreeContext as the push path and the SDK will run them.
//   BM_HouseholdRecord   one record: all 120 evaluations (time per iteration = per record)
//   BM_CompileForm       compiling the 40 expressions once (per form version)
#include <cstdint>
#include <string>
#include <vector>

#include "absl/time/civil_time.h"
#include "benchmark/benchmark.h"
#include "server/expr/expr.h"
#include "server/expr/form_tree.h"
#include "server/expr/record_tree.h"

namespace fieldsync::expr {
namespace {

using Kind = FormTree::Kind;

struct Rule {
  const char* field;  // the field the expression is on (its `.`)
  enum Use { kRelevant, kConstraint, kCalculate } use;
  FieldType type;  // a calculate's field type
  const char* text;
};

// Household level: relevance, checks across fields, roster totals.
const Rule kHouseholdRules[] = {
    {"district", Rule::kRelevant, FieldType::kString, "${governorate} != ''"},
    {"hh_size", Rule::kConstraint, FieldType::kInt, ". >= 1 and . <= 30"},
    {"children_under5", Rule::kConstraint, FieldType::kInt, ". <= ${hh_size}"},
    {"displacement_date", Rule::kRelevant, FieldType::kDate, "${displaced} = 'yes'"},
    {"displacement_date", Rule::kConstraint, FieldType::kDate,
     ". <= today() and . >= date('2014-01-01')"},
    {"return_intention", Rule::kRelevant, FieldType::kString,
     "${displaced} = 'yes' and ${displacement_date} != ''"},
    {"head_age", Rule::kConstraint, FieldType::kInt, ". >= 15 and . <= 110"},
    {"phone", Rule::kConstraint, FieldType::kString, "regex(., '^07[0-9]{9}$')"},
    {"needs_other", Rule::kRelevant, FieldType::kString, "selected(${needs}, 'other')"},
    {"needs", Rule::kConstraint, FieldType::kSelectMultiple,
     "not(selected(., 'none') and count-selected(.) > 1)"},
    {"income", Rule::kConstraint, FieldType::kDecimal, ". >= 0 and . < 100000000"},
    {"members_count", Rule::kCalculate, FieldType::kInt, "count(${members})"},
    {"hh_size", Rule::kConstraint, FieldType::kInt, ". = count(${members})"},
    {"adults", Rule::kCalculate, FieldType::kInt, "sum(${is_adult})"},
    {"under5", Rule::kCalculate, FieldType::kInt, "sum(${is_under5})"},
    {"children_under5", Rule::kConstraint, FieldType::kInt, ". = sum(${is_under5})"},
    {"mean_age", Rule::kCalculate, FieldType::kDecimal,
     "round(sum(${age}) div count(${members}), 1)"},
    {"oldest", Rule::kCalculate, FieldType::kInt, "max(${age})"},
    {"head_name", Rule::kCalculate, FieldType::kString, "indexed-repeat(${name}, ${members}, 1)"},
    {"interview_month", Rule::kCalculate, FieldType::kString,
     "format-date(${interview_date}, '%Y-%m')"},
    {"days_displaced", Rule::kCalculate, FieldType::kInt,
     "if(${displacement_date} != '', today() - ${displacement_date}, '')"},
    {"members", Rule::kRelevant, FieldType::kString, "${consent} = 'yes'"},
    {"instance_label", Rule::kCalculate, FieldType::kString,
     "concat(${head_name}, ' - ', ${governorate}, ' (', ${hh_size}, ')')"},
    {"vulnerability", Rule::kCalculate, FieldType::kInt,
     "if(sum(${has_disability}) > 0, 2, 0) + if(${under5} > 2, 1, 0) + "
     "if(${income} < 200000, 2, 0) + if(selected-at(${gps}, 0) > 36, 1, 0)"},
};

// Member level: evaluated in each of the 6 members.
const Rule kMemberRules[] = {
    {"age", Rule::kConstraint, FieldType::kInt, ". >= 0 and . <= 110"},
    {"age", Rule::kConstraint, FieldType::kInt,
     "${dob} = '' or abs(int((${interview_date} - ${dob}) div 365.25) - .) <= 1"},
    {"dob", Rule::kRelevant, FieldType::kDate, "${age} < 5"},
    {"school", Rule::kRelevant, FieldType::kString, "${age} >= 6 and ${age} <= 17"},
    {"works", Rule::kRelevant, FieldType::kString, "${age} >= 15"},
    {"relationship", Rule::kConstraint, FieldType::kString,
     "not(. = 'head' and position(..) != 1)"},
    {"relationship", Rule::kConstraint, FieldType::kString, "position(..) != 1 or ${age} >= 15"},
    {"disability_type", Rule::kRelevant, FieldType::kSelectMultiple, "${disability} = 'yes'"},
    {"disability_type", Rule::kConstraint, FieldType::kSelectMultiple, "count-selected(.) >= 1"},
    {"is_adult", Rule::kCalculate, FieldType::kInt, "if(${age} >= 18, 1, 0)"},
    {"is_under5", Rule::kCalculate, FieldType::kInt, "if(${age} < 5, 1, 0)"},
    {"has_disability", Rule::kCalculate, FieldType::kInt, "if(${disability} = 'yes', 1, 0)"},
    {"member_label", Rule::kCalculate, FieldType::kString,
     "concat(position(..), '. ', ${name}, ' (', jr:choice-name(${sex}, '${sex}'), ', ', ${age}, "
     "')')"},
    {"age_band", Rule::kCalculate, FieldType::kString,
     "if(${age} < 5, '0-4', if(${age} < 18, '5-17', if(${age} < 60, '18-59', '60+')))"},
    {"name", Rule::kConstraint, FieldType::kString, "string-length(normalize-space(.)) >= 2"},
    {"pregnant", Rule::kRelevant, FieldType::kString,
     "${sex} = 'f' and ${age} >= 12 and ${age} <= 50"},
};

FormTree HouseholdForm() {
  FormTree tree("household");
  for (const char* f : {"consent",          "interview_date", "governorate",
                        "district",         "hh_size",        "children_under5",
                        "head_age",         "displaced",      "displacement_date",
                        "return_intention", "phone",          "needs",
                        "needs_other",      "income",         "gps",
                        "members_count",    "adults",         "under5",
                        "mean_age",         "oldest",         "head_name",
                        "interview_month",  "days_displaced", "instance_label",
                        "vulnerability"}) {
    (void)tree.Add(FormTree::kRoot, f, Kind::kField);
  }
  const RefId members = *tree.Add(FormTree::kRoot, "members", Kind::kRepeat);
  for (const char* f : {"name", "sex", "age", "dob", "relationship", "school", "works",
                        "disability", "disability_type", "is_adult", "is_under5", "has_disability",
                        "member_label", "age_band", "pregnant"}) {
    (void)tree.Add(members, f, Kind::kField);
  }
  return tree;
}

struct Compiled {
  CompiledExpr expr;
  Rule rule;
};

std::vector<Compiled> CompileRules(const FormTree& tree, const Rule* rules, size_t n) {
  std::vector<Compiled> out;
  for (size_t i = 0; i < n; ++i) {
    FormTreeResolver resolver(tree, *tree.Find(rules[i].field));
    absl::StatusOr<CompiledExpr> e = Compile(rules[i].text, resolver);
    if (!e.ok()) {
      fprintf(stderr, "FATAL: %s: %s\n", rules[i].text, std::string(e.status().message()).c_str());
      abort();
    }
    out.push_back({*std::move(e), rules[i]});
  }
  return out;
}

// A household with 6 members, as a device would push it (calculated fields included).
struct Household {
  FieldMap root_fields;
  FieldMap member_fields[6];
  RecordInstance root;
  RecordInstance members[6];

  explicit Household(RefId members_repeat) {
    root_fields = {
        {"consent", std::string("yes")},
        {"interview_date", std::string("2024-03-04")},
        {"governorate", std::string("ninewa")},
        {"district", std::string("mosul")},
        {"hh_size", int64_t{6}},
        {"children_under5", int64_t{2}},
        {"head_age", int64_t{44}},
        {"displaced", std::string("yes")},
        {"displacement_date", std::string("2017-07-10")},
        {"return_intention", std::string("within_6_months")},
        {"phone", std::string("07701234567")},
        {"needs", std::vector<std::string>{"food", "shelter", "health"}},
        {"income", 350000.0},
        {"gps", GeoPoint{36.34, 43.13}},
        {"head_name", std::string("Ahmed Saleh")},
        {"under5", int64_t{2}},
    };
    const char* names[] = {"Ahmed Saleh", "Layla Hassan", "Omar", "Sara", "Yousef", "Maryam"};
    const char* sexes[] = {"m", "f", "m", "f", "m", "f"};
    const int64_t ages[] = {44, 39, 16, 9, 4, 1};
    const char* relationships[] = {"head", "spouse", "child", "child", "child", "child"};
    root = {FormTree::kRoot, 1, &root_fields};
    for (int i = 0; i < 6; ++i) {
      member_fields[i] = {{"name", std::string(names[i])},
                          {"sex", std::string(sexes[i])},
                          {"age", ages[i]},
                          {"relationship", std::string(relationships[i])},
                          {"disability", std::string(i == 3 ? "yes" : "no")},
                          {"is_adult", int64_t{ages[i] >= 18}},
                          {"is_under5", int64_t{ages[i] < 5}},
                          {"has_disability", int64_t{i == 3}}};
      if (ages[i] < 5) member_fields[i]["dob"] = std::string(i == 4 ? "2019-11-02" : "2023-01-20");
      if (i == 3) member_fields[i]["disability_type"] = std::vector<std::string>{"seeing"};
      members[i] = {members_repeat, i + 1, &member_fields[i], &root};
      root.children.push_back(&members[i]);
    }
  }
};

// Evaluates `rules` on one instance as the push path will: a constraint only when its field
// has a value (as ODK). Returns the number of failed constraints and errors (0 for this
// valid household), so the work is used.
int EvaluateAll(const std::vector<Compiled>& rules, const RecordInstance& instance,
                RecordTreeContext& ctx) {
  int failures = 0;
  for (const Compiled& c : rules) {
    if (c.rule.use == Rule::kCalculate) {
      absl::StatusOr<Value> v = c.expr.EvaluateAs(c.rule.type, ctx);
      if (!v.ok()) ++failures;
      benchmark::DoNotOptimize(v);
      continue;
    }
    if (c.rule.use == Rule::kConstraint) {
      auto it = instance.fields->find(c.rule.field);
      if (it == instance.fields->end() || IsNull(it->second)) continue;
    }
    absl::StatusOr<bool> b = c.expr.EvaluateBoolean(ctx);
    if (!b.ok() || (c.rule.use == Rule::kConstraint && !*b)) ++failures;
    benchmark::DoNotOptimize(b);
  }
  return failures;
}

void BM_HouseholdRecord(benchmark::State& state) {
  const FormTree tree = HouseholdForm();
  const std::vector<Compiled> household =
      CompileRules(tree, kHouseholdRules, std::size(kHouseholdRules));
  const std::vector<Compiled> member = CompileRules(tree, kMemberRules, std::size(kMemberRules));
  const Household record(*tree.Find("members"));
  Environment env;
  env.now = absl::FromCivil(absl::CivilSecond(2024, 3, 5, 9, 0, 0), absl::UTCTimeZone());
  env.time_zone = absl::FixedTimeZone(3 * 3600);
  uint64_t seed = 1;
  env.random = [&seed] { return seed = seed * 6364136223846793005ULL + 1442695040888963407ULL; };
  env.choice_label = [](RefId, std::string_view choice) {
    return choice == "f" ? std::string("Female") : std::string("Male");
  };
  int failures = 0;
  for (auto _ : state) {
    RecordTreeContext root_ctx(tree, record.root, env);
    failures = EvaluateAll(household, record.root, root_ctx);
    for (const RecordInstance& m : record.members) {
      RecordTreeContext member_ctx(tree, m, env);
      failures += EvaluateAll(member, m, member_ctx);
    }
    benchmark::DoNotOptimize(failures);
  }
  const double evaluations = household.size() + member.size() * std::size(record.members);
  state.counters["evaluations_per_record"] = evaluations;
  state.counters["failed_checks_per_record"] = failures;
  state.counters["records_per_second"] =
      benchmark::Counter(static_cast<double>(state.iterations()), benchmark::Counter::kIsRate);
  state.SetLabel("us per iteration = us per household record");
}
BENCHMARK(BM_HouseholdRecord)->Unit(benchmark::kMicrosecond);

void BM_CompileForm(benchmark::State& state) {
  const FormTree tree = HouseholdForm();
  for (auto _ : state) {
    benchmark::DoNotOptimize(CompileRules(tree, kHouseholdRules, std::size(kHouseholdRules)));
    benchmark::DoNotOptimize(CompileRules(tree, kMemberRules, std::size(kMemberRules)));
  }
  state.SetLabel("40 expressions");
}
BENCHMARK(BM_CompileForm)->Unit(benchmark::kMicrosecond);

}  // namespace
}  // namespace fieldsync::expr

BENCHMARK_MAIN();
