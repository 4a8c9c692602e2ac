#include "server/forms/record_checks.h"

#include <algorithm>
#include <deque>
#include <map>
#include <optional>
#include <tuple>
#include <utility>

#include "absl/strings/str_cat.h"

namespace fieldsync {
namespace {

bool ReadsRepeatInstances(const expr::CompiledExpr& e) {
  for (const auto& r : e.references()) {
    if (r.kind == expr::RefKind::kNodeSet) return true;
  }
  // indexed-repeat() resolves its arguments as seen from the root, as node-sets or nodes.
  return e.text().find("indexed-repeat") != std::string::npos;
}

// The record tree as expr::RecordInstances, and evaluation of one record's expressions on it.
class TreeEvaluation {
 public:
  enum class Relevance { kYes, kNo, kUnknown };

  TreeEvaluation(const FormSchema& schema, const std::vector<TreeRecord>& tree,
                 const std::string& target_id, const RecordCheckOptions& options)
      : schema_(schema), exprs_(schema.expressions()), options_(options) {
    env_.now = options.now;
    env_.time_zone = options.time_zone;
    env_.random = options.random;
    Build(tree, target_id);
  }

  bool found() const { return target_ != nullptr; }
  const std::string& repeat() const { return target_repeat_; }
  const FieldMap& fields() const { return *target_->fields; }

  // Whether `f` is relevant in the target record; `*error` is set when it cannot be told.
  Relevance RelevanceOf(const FieldDef& f, std::string* error) {
    Relevance out = Relevance::kYes;
    auto apply = [&](const std::optional<expr::CompiledExpr>& e) {
      if (!e || out == Relevance::kNo) return;
      std::optional<bool> r = Evaluate(*e, "relevant", error);
      if (!r) {
        out = Relevance::kUnknown;
      } else if (!*r) {
        out = Relevance::kNo;
      }
    };
    if (const ItemExpressions* e = exprs_.Of(f.name)) apply(e->relevant);
    // Groups up to the record's own repeat; what lies above it is its ancestors' business.
    std::string at = f.group;
    for (size_t hops = 0; !at.empty() && hops <= schema_.form().groups.size(); ++hops) {
      const GroupDef* g = schema_.form().FindGroup(at);
      if (g == nullptr) break;
      if (const ItemExpressions* e = exprs_.Of(g->name)) apply(e->relevant);
      if (g->repeat) break;
      at = g->parent;
    }
    return out;
  }

  // The boolean value of `e` on the target; nullopt (with `*error` set, or not for a volatile
  // expression the options leave to the device) when it cannot be used.
  std::optional<bool> Evaluate(const expr::CompiledExpr& e, const char* column,
                               std::string* error) {
    if (e.volatile_result() && !options_.volatile_checks) return std::nullopt;
    expr::RecordTreeContext ctx(exprs_.tree(), *target_, env_);
    absl::StatusOr<bool> r = e.EvaluateBoolean(ctx);
    if (!r.ok()) {
      if (error->empty()) *error = absl::StrCat(column, ": ", r.status().message());
      return std::nullopt;
    }
    return *r;
  }

  // The value a calculate gives, nullopt when it is not ours to compare (volatile, or
  // reading repeat instances), or on error (`*error` set).
  std::optional<Value> Calculate(const FieldDef& f, std::string* error) {
    const ItemExpressions* e = exprs_.Of(f.name);
    if (e == nullptr || !e->calculate) return std::nullopt;
    if (ReadsRepeatInstances(*e->calculate)) return std::nullopt;
    if (e->calculate->volatile_result() && !options_.volatile_checks) return std::nullopt;
    expr::RecordTreeContext ctx(exprs_.tree(), *target_, env_);
    absl::StatusOr<Value> v = e->calculate->EvaluateAs(f.type, ctx);
    if (!v.ok()) {
      *error = absl::StrCat("calculation: ", v.status().message());
      return std::nullopt;
    }
    return *std::move(v);
  }

  // Replaces the target's values (for DerivedChanges' second pass).
  void SetTargetFields(const FieldMap* fields) { target_->fields = fields; }

 private:
  void Build(const std::vector<TreeRecord>& tree, const std::string& target_id) {
    std::map<std::string, const TreeRecord*> by_id;
    std::multimap<std::string, const TreeRecord*> by_parent;
    const TreeRecord* root = nullptr;
    for (const auto& r : tree) {
      by_id[r.record_id] = &r;
      if (r.parent_record_id.empty()) {
        if (root == nullptr) root = &r;
      } else {
        by_parent.emplace(r.parent_record_id, &r);
      }
    }
    if (root == nullptr) return;
    // Breadth first from the root: a record whose parent is missing is never reached.
    instances_.emplace_back(expr::FormTree::kRoot, 1, root->fields);
    std::vector<std::pair<const TreeRecord*, expr::RecordInstance*>> frontier{
        {root, &instances_.back()}};
    if (root->record_id == target_id) {
      target_ = &instances_.back();
      target_repeat_ = "";
    }
    while (!frontier.empty()) {
      std::vector<std::pair<const TreeRecord*, expr::RecordInstance*>> next;
      for (auto [rec, inst] : frontier) {
        auto [lo, hi] = by_parent.equal_range(rec->record_id);
        std::vector<const TreeRecord*> kids;
        for (auto it = lo; it != hi; ++it) kids.push_back(it->second);
        std::sort(kids.begin(), kids.end(), [](const TreeRecord* a, const TreeRecord* b) {
          return std::tie(a->repeat, a->ordinal, a->record_id) <
                 std::tie(b->repeat, b->ordinal, b->record_id);
        });
        for (const TreeRecord* k : kids) {
          const expr::RefId repeat = exprs_.NodeOf(k->repeat);
          if (repeat < 0) continue;
          instances_.emplace_back(repeat, k->ordinal, k->fields, inst);
          expr::RecordInstance* child = &instances_.back();
          inst->children.push_back(child);
          if (k->record_id == target_id) {
            target_ = child;
            target_repeat_ = k->repeat;
          }
          next.emplace_back(k, child);
        }
      }
      frontier = std::move(next);
    }
  }

  const FormSchema& schema_;
  const FormExpressions& exprs_;
  const RecordCheckOptions& options_;
  expr::Environment env_;
  std::deque<expr::RecordInstance> instances_;  // stable addresses
  expr::RecordInstance* target_ = nullptr;
  std::string target_repeat_;
};

bool HasValue(const FieldMap& fields, const std::string& name) {
  auto it = fields.find(name);
  return it != fields.end() && !IsNull(it->second);
}

const Value& ValueOf(const FieldMap& fields, const std::string& name) {
  static const Value* kNull = new Value();
  auto it = fields.find(name);
  return it == fields.end() ? *kNull : it->second;
}

}  // namespace

bool ChecksReadTree(const FormSchema& schema) {
  const FormExpressions& exprs = schema.expressions();
  auto reads = [](const ItemExpressions* e) {
    if (e == nullptr) return false;
    for (const auto* c : {&e->relevant, &e->constraint, &e->required_if, &e->calculate}) {
      if (*c && ReadsRepeatInstances(**c)) return true;
    }
    return false;
  };
  for (const auto& f : schema.form().fields) {
    if (reads(exprs.Of(f.name))) return true;
  }
  for (const auto& g : schema.form().groups) {
    if (reads(exprs.Of(g.name))) return true;
  }
  return false;
}

std::vector<FieldError> CheckRecordExpressions(const FormSchema& schema,
                                               const std::vector<TreeRecord>& tree,
                                               const std::string& target_id,
                                               const RecordCheckOptions& options) {
  std::vector<FieldError> errors;
  if (schema.expressions().empty()) return errors;
  TreeEvaluation eval(schema, tree, target_id, options);
  if (!eval.found()) {
    errors.push_back({"", "the record is not in its tree (its parent is missing)"});
    return errors;
  }
  const Form& form = schema.form();
  const FieldMap& fields = eval.fields();
  for (const auto& f : form.fields) {
    if (form.RepeatOf(f) != eval.repeat()) continue;
    std::string error;
    const bool has_value = HasValue(fields, f.name);
    const TreeEvaluation::Relevance relevance = eval.RelevanceOf(f, &error);
    if (!error.empty()) {
      errors.push_back({f.name, error});
      continue;
    }
    if (relevance == TreeEvaluation::Relevance::kNo) {
      if (has_value) {
        errors.push_back({f.name,
                          "is not relevant here (its relevance condition is false): "
                          "it must be empty"});
      }
      continue;
    }
    const ItemExpressions* e = schema.expressions().Of(f.name);
    if (!has_value) {
      if (relevance == TreeEvaluation::Relevance::kUnknown) continue;
      bool required = f.required;
      if (!required && e != nullptr && e->required_if) {
        required = eval.Evaluate(*e->required_if, "required", &error).value_or(false);
      }
      if (!error.empty()) {
        errors.push_back({f.name, error});
      } else if (required) {
        const std::string& msg =
            Localized(f.required_messages, f.required_message, options.language);
        errors.push_back({f.name, msg.empty() ? "required" : msg});
      }
      continue;
    }
    if (e == nullptr) continue;
    const bool skip = std::find(options.skip_constraints.begin(), options.skip_constraints.end(),
                                f.name) != options.skip_constraints.end();
    if (e->constraint && !skip) {
      std::optional<bool> ok = eval.Evaluate(*e->constraint, "constraint", &error);
      if (!error.empty()) {
        errors.push_back({f.name, error});
        continue;
      }
      if (ok && !*ok) {
        const std::string& msg =
            Localized(f.constraint_messages, f.constraint_message, options.language);
        errors.push_back({f.name, msg.empty() ? absl::StrCat("does not meet the constraint ",
                                                             e->constraint->text())
                                              : msg});
        continue;
      }
    }
    if (e->calculate && !skip) {
      std::optional<Value> want = eval.Calculate(f, &error);
      if (!error.empty()) {
        errors.push_back({f.name, error});
      } else if (want && *want != ValueOf(fields, f.name)) {
        errors.push_back({f.name, absl::StrCat("is calculated as ", e->calculate->text(), " = ",
                                               DebugString(*want), ", the record holds ",
                                               DebugString(ValueOf(fields, f.name)))});
      }
    }
  }
  // A calculate without a value is compared too (it must be empty only if it computes "").
  for (const auto& f : form.fields) {
    if (form.RepeatOf(f) != eval.repeat() || HasValue(fields, f.name)) continue;
    const ItemExpressions* e = schema.expressions().Of(f.name);
    if (e == nullptr || !e->calculate) continue;
    std::string error;
    if (eval.RelevanceOf(f, &error) == TreeEvaluation::Relevance::kNo || !error.empty()) continue;
    std::optional<Value> want = eval.Calculate(f, &error);
    if (want && !IsNull(*want)) {
      errors.push_back({f.name, absl::StrCat("is calculated as ", e->calculate->text(), " = ",
                                             DebugString(*want), ", the record holds nothing")});
    }
  }
  return errors;
}

FieldMap DerivedChanges(const FormSchema& schema, const std::vector<TreeRecord>& tree,
                        const std::string& target_id, const RecordCheckOptions& options) {
  FieldMap changes;
  if (schema.expressions().empty()) return changes;
  TreeEvaluation eval(schema, tree, target_id, options);
  if (!eval.found()) return changes;
  const Form& form = schema.form();
  FieldMap working = eval.fields();
  eval.SetTargetFields(&working);
  // Two passes: a calculate or relevance may read a value the first pass changed.
  for (int pass = 0; pass < 2; ++pass) {
    for (const auto& f : form.fields) {
      if (form.RepeatOf(f) != eval.repeat()) continue;
      std::string error;
      if (eval.RelevanceOf(f, &error) == TreeEvaluation::Relevance::kNo) {
        if (HasValue(working, f.name)) {
          working.erase(f.name);
          changes[f.name] = Value();
        }
        continue;
      }
      std::optional<Value> want = eval.Calculate(f, &error);
      if (!want || *want == ValueOf(working, f.name)) continue;
      if (IsNull(*want)) {
        working.erase(f.name);
      } else {
        working[f.name] = *want;
      }
      changes[f.name] = *want;
    }
  }
  return changes;
}

}  // namespace fieldsync
