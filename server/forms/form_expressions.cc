#include "server/forms/form_expressions.h"

#include <set>
#include <utility>

#include "absl/strings/str_cat.h"
#include "server/common/status.h"
#include "server/forms/form_schema.h"

namespace fieldsync {
namespace {

// A choice_filter reads the choice's columns by bare name (`cf = ${state}`) and the form's
// fields by ${name}. The columns of a list: "name", "label", then its property columns.
std::vector<std::string> ChoiceColumns(const ChoiceList* list) {
  std::vector<std::string> columns = {"name", "label"};
  if (list == nullptr) return columns;
  std::set<std::string> props;
  for (const auto& c : list->choices) {
    for (const auto& [k, v] : c.properties) props.insert(k);
  }
  columns.insert(columns.end(), props.begin(), props.end());
  return columns;
}

class ChoiceFilterResolver : public expr::Resolver {
 public:
  ChoiceFilterResolver(const expr::FormTree& tree, expr::RefId field,
                       std::vector<std::string> columns)
      : fields_(tree, field), columns_(std::move(columns)), base_(tree.size()) {}

  absl::StatusOr<expr::ResolvedRef> Resolve(const expr::Reference& ref) const override {
    if (ref.kind == expr::Reference::Kind::kPath && !ref.absolute && ref.steps.size() == 1) {
      for (size_t i = 0; i < columns_.size(); ++i) {
        if (columns_[i] == ref.steps[0]) {
          return expr::ResolvedRef{static_cast<expr::RefId>(base_ + i), expr::RefKind::kValue};
        }
      }
      return absl::NotFoundError(
          absl::StrCat("the choice list has no column \"", ref.steps[0], "\""));
    }
    return fields_.Resolve(ref);
  }

 private:
  expr::FormTreeResolver fields_;
  std::vector<std::string> columns_;
  size_t base_;
};

}  // namespace

absl::StatusOr<std::shared_ptr<const FormExpressions>> FormExpressions::Compile(
    const Form& form, const expr::Limits& limits, ExpressionSite* failed_at) {
  std::shared_ptr<FormExpressions> out(new FormExpressions(form.form_id));
  expr::FormTree& tree = out->tree_;
  auto parent_of = [&](const std::string& group) -> absl::StatusOr<expr::RefId> {
    if (group.empty()) return expr::FormTree::kRoot;
    return tree.Find(group);
  };
  for (const auto& g : form.groups) {
    FS_ASSIGN_OR_RETURN(expr::RefId parent, parent_of(g.parent));
    FS_RETURN_IF_ERROR(
        tree.Add(parent, g.name,
                 g.repeat ? expr::FormTree::Kind::kRepeat : expr::FormTree::Kind::kGroup)
            .status());
  }
  for (const auto& f : form.fields) {
    FS_ASSIGN_OR_RETURN(expr::RefId parent, parent_of(f.group));
    FS_RETURN_IF_ERROR(tree.Add(parent, f.name, expr::FormTree::Kind::kField).status());
  }

  // Compiles `text` (if any) as the `column` expression of `item` into *slot.
  auto compile = [&](const std::string& item, const char* column, const std::string& text,
                     const expr::Resolver& resolver,
                     std::optional<expr::CompiledExpr>* slot) -> absl::Status {
    if (text.empty()) return absl::OkStatus();
    absl::StatusOr<expr::CompiledExpr> c = expr::Compile(text, resolver, limits);
    if (!c.ok()) {
      if (failed_at != nullptr) *failed_at = ExpressionSite{item, column};
      const std::string where =
          item.empty() ? std::string(column) : absl::StrCat("\"", item, "\" ", column);
      return absl::InvalidArgumentError(absl::StrCat("form \"", form.form_id, "\" version ",
                                                     form.version, ": ", where, ": ",
                                                     c.status().message()));
    }
    *slot = *std::move(c);
    return absl::OkStatus();
  };

  for (const auto& g : form.groups) {
    expr::FormTreeResolver resolver(tree, *tree.Find(g.name));
    ItemExpressions e;
    FS_RETURN_IF_ERROR(compile(g.name, "relevant", g.relevant, resolver, &e.relevant));
    FS_RETURN_IF_ERROR(compile(g.name, "repeat_count", g.repeat_count, resolver, &e.repeat_count));
    if (e.relevant || e.repeat_count) out->items_.emplace(g.name, std::move(e));
  }
  for (const auto& f : form.fields) {
    const expr::RefId node = *tree.Find(f.name);
    expr::FormTreeResolver resolver(tree, node);
    ItemExpressions e;
    FS_RETURN_IF_ERROR(compile(f.name, "relevant", f.relevant, resolver, &e.relevant));
    FS_RETURN_IF_ERROR(compile(f.name, "constraint", f.constraint, resolver, &e.constraint));
    FS_RETURN_IF_ERROR(compile(f.name, "required", f.required_if, resolver, &e.required_if));
    FS_RETURN_IF_ERROR(compile(f.name, "calculation", f.calculate, resolver, &e.calculate));
    if (FormSchema::DefaultIsExpression(f.default_value)) {
      FS_RETURN_IF_ERROR(compile(f.name, "default", f.default_value, resolver, &e.default_value));
    }
    if (!f.choice_filter.empty()) {
      ChoiceFilterResolver choice_resolver(tree, node,
                                           ChoiceColumns(form.FindChoiceList(f.choice_list)));
      FS_RETURN_IF_ERROR(
          compile(f.name, "choice_filter", f.choice_filter, choice_resolver, &e.choice_filter));
    }
    if (e.relevant || e.constraint || e.required_if || e.calculate || e.default_value ||
        e.choice_filter) {
      out->items_.emplace(f.name, std::move(e));
    }
  }
  expr::FormTreeResolver root(tree, expr::FormTree::kRoot);
  FS_RETURN_IF_ERROR(compile("", "instance_name", form.instance_name, root, &out->instance_name_));
  return std::shared_ptr<const FormExpressions>(std::move(out));
}

expr::RefId FormExpressions::NodeOf(const std::string& name) const {
  absl::StatusOr<expr::RefId> id = tree_.Find(name);
  return id.ok() ? *id : -1;
}

const ItemExpressions* FormExpressions::Of(const std::string& name) const {
  auto it = items_.find(name);
  return it == items_.end() ? nullptr : &it->second;
}

}  // namespace fieldsync
