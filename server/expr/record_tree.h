// An EvalContext over a record tree (DESIGN.md: every repeat instance is a child record):
// the root record and its repeat instances, nested as the form's repeats nest, each with its
// field values. Expressions compiled with a FormTreeResolver over the same FormTree evaluate
// on it directly; the server's push path and the SDK need only build the RecordInstances.
//
//   RecordInstance root{FormTree::kRoot, 1, &household_fields};
//   RecordInstance m1{members, 1, &member1_fields, &root};  root.children.push_back(&m1); ...
//   RecordTreeContext ctx(tree, m1, env);      // evaluating an expression of a member field
//   absl::StatusOr<bool> ok = constraint.EvaluateBoolean(ctx);
//
// What the caller decides (as ODK does): pass the values as the record holds them, without
// those of non-relevant fields (a non-relevant field reads as empty); in a constraint, `.`
// is the field's value in the record being checked.
#ifndef FIELDSYNC_SERVER_EXPR_RECORD_TREE_H_
#define FIELDSYNC_SERVER_EXPR_RECORD_TREE_H_

#include <functional>
#include <string>
#include <vector>

#include "server/common/value.h"
#include "server/expr/expr.h"
#include "server/expr/form_tree.h"

namespace fieldsync::expr {

// One record of a tree: the root record, or one instance of a repeat. Owned by the caller;
// everything it points to must outlive the evaluations that use it.
struct RecordInstance {
  RecordInstance() = default;
  RecordInstance(RefId repeat, int64_t position, const FieldMap* fields,
                 const RecordInstance* parent = nullptr)
      : repeat(repeat), position(position), fields(fields), parent(parent) {}

  RefId repeat = FormTree::kRoot;    // the repeat this is an instance of; kRoot for the root
  int64_t position = 1;              // 1-based ordinal among its parent's instances of `repeat`
  const FieldMap* fields = nullptr;  // its values by field name (fields of its groups too)
  const RecordInstance* parent = nullptr;
  // Instances of the repeats directly inside this one (through groups, not through other
  // repeats), in order: all instances of one repeat by position.
  std::vector<const RecordInstance*> children;
};

// What evaluations read besides the record: clock, zone, random bits, choice labels.
struct Environment {
  absl::Time now = absl::UnixEpoch();
  absl::TimeZone time_zone = absl::UTCTimeZone();
  // uuid() and random(); when empty they draw zeros (tests and servers that never need them
  // should still set one when a form may call them).
  std::function<uint64_t()> random;
  // jr:choice-name(): the label of a choice of a select field in the chosen language;
  // when empty, "".
  std::function<std::string(RefId field, std::string_view choice)> choice_label;
};

// Evaluates expressions of the fields of `current`. Reads only; one per thread.
class RecordTreeContext : public EvalContext {
 public:
  // `tree`, `current` (and the tree of instances it is in) and `env` must outlive this.
  RecordTreeContext(const FormTree& tree, const RecordInstance& current, const Environment& env)
      : tree_(tree), current_(current), env_(env) {}

  const Value* Get(RefId ref) override;
  void GetAll(RefId ref, std::vector<const Value*>* out) override;
  const Value* GetIndexed(RefId target, const std::vector<RefId>& repeats,
                          const std::vector<int64_t>& indexes) override;
  int64_t Position(RefId ref) override;
  absl::Time Now() override { return env_.now; }
  absl::TimeZone TimeZone() override { return env_.time_zone; }
  uint64_t Random() override { return env_.random ? env_.random() : 0; }
  std::string ChoiceLabel(RefId field, std::string_view choice) override {
    return env_.choice_label ? env_.choice_label(field, choice) : "";
  }

 private:
  // The nearest instance at or above `current_` that is an instance of `repeat` (the root
  // for kRoot); nullptr when `current_` is in no such instance.
  const RecordInstance* InstanceOf(RefId repeat) const;
  // `node`'s value in `instance`: a field's value, nullptr for a group or repeat.
  const Value* ValueIn(const RecordInstance& instance, RefId node) const;
  void Collect(const RecordInstance& at, const std::vector<RefId>& path, size_t depth, RefId target,
               std::vector<const Value*>* out) const;

  const FormTree& tree_;
  const RecordInstance& current_;
  const Environment& env_;
};

}  // namespace fieldsync::expr

#endif  // FIELDSYNC_SERVER_EXPR_RECORD_TREE_H_
