// FormExpressions: the XLSForm expressions of one form version (form model v2), compiled once
// with server/expr against the form's tree of groups, repeats and fields, for the push path
// and the SDK to evaluate on records.
//
//   ExpressionSite site;
//   absl::StatusOr<std::shared_ptr<const FormExpressions>> e =
//       FormExpressions::Compile(form, expr::Limits{}, &site);
//   if (!e.ok()) ...  // site.item / site.column say which expression failed
//
// Immutable after Compile and safe to share between threads (each evaluation brings its own
// expr::EvalContext).
#ifndef FIELDSYNC_SERVER_FORMS_FORM_EXPRESSIONS_H_
#define FIELDSYNC_SERVER_FORMS_FORM_EXPRESSIONS_H_

#include <memory>
#include <optional>
#include <string>
#include <vector>

#include "absl/container/flat_hash_map.h"
#include "absl/status/statusor.h"
#include "server/common/model.h"
#include "server/expr/expr.h"
#include "server/expr/form_tree.h"

namespace fieldsync {

// Where a form's expression is: the field or group it belongs to ("" for the form's own
// instance_name) and the XLSForm column it comes from ("relevant", "constraint",
// "required", "calculation", "default", "choice_filter", "repeat_count", "instance_name").
struct ExpressionSite {
  std::string item;
  std::string column;
};

// The compiled expressions of one field or group; unset where the form has none.
struct ItemExpressions {
  std::optional<expr::CompiledExpr> relevant;
  std::optional<expr::CompiledExpr> constraint;
  std::optional<expr::CompiledExpr> required_if;
  std::optional<expr::CompiledExpr> calculate;
  // Only when the default is an expression (FormSchema::DefaultIsExpression).
  std::optional<expr::CompiledExpr> default_value;
  // Its references to columns of the choice list resolve to ids from
  // FormExpressions::ChoiceColumnId.
  std::optional<expr::CompiledExpr> choice_filter;
  std::optional<expr::CompiledExpr> repeat_count;
};

class FormExpressions {
 public:
  // Builds the form's tree (root named after form_id; groups and repeats as the form nests
  // them; fields under their group) and compiles every expression. `form` must have passed
  // FormSchema's structural checks (names unique, parents listed first). INVALID_ARGUMENT
  // names the item and column ("field \"age\" constraint: ... column 3"); `failed_at` (if
  // not null) is set to where.
  static absl::StatusOr<std::shared_ptr<const FormExpressions>> Compile(
      const Form& form, const expr::Limits& limits, ExpressionSite* failed_at = nullptr);

  const expr::FormTree& tree() const { return tree_; }
  // The tree node of a field or group; -1 if there is none.
  expr::RefId NodeOf(const std::string& name) const;
  // The expressions of a field or group; nullptr when it has none.
  const ItemExpressions* Of(const std::string& name) const;
  // The form's instance_name, if it has one.
  const std::optional<expr::CompiledExpr>& instance_name() const { return instance_name_; }
  // Whether the form has any expression at all (a v1 form has none: nothing to evaluate).
  bool empty() const { return items_.empty() && !instance_name_; }

  // The RefId a choice_filter gives to the choice column `index` (0: "name", 1: "label",
  // then the list's property columns in name order): past every tree node.
  expr::RefId ChoiceColumnId(size_t index) const {
    return static_cast<expr::RefId>(tree_.size() + index);
  }

 private:
  explicit FormExpressions(const std::string& root) : tree_(root) {}

  expr::FormTree tree_;
  absl::flat_hash_map<std::string, ItemExpressions> items_;
  std::optional<expr::CompiledExpr> instance_name_;
};

}  // namespace fieldsync

#endif  // FIELDSYNC_SERVER_FORMS_FORM_EXPRESSIONS_H_
