#include "server/expr/form_tree.h"

#include "absl/strings/str_cat.h"

namespace fieldsync::expr {

FormTree::FormTree(std::string root_name) {
  Node root;
  root.name = std::move(root_name);
  root.kind = Kind::kRoot;
  nodes_.push_back(std::move(root));
}

absl::StatusOr<RefId> FormTree::Add(RefId parent, std::string_view name, Kind kind) {
  if (parent < 0 || parent >= static_cast<RefId>(nodes_.size())) {
    return absl::InvalidArgumentError(absl::StrCat("no node ", parent));
  }
  if (nodes_[parent].kind == Kind::kField) {
    return absl::InvalidArgumentError(absl::StrCat(
        "'", nodes_[parent].name, "' is a field; it cannot hold '", std::string(name), "'"));
  }
  if (kind == Kind::kRoot) return absl::InvalidArgumentError("a form has one root");
  if (name.empty()) return absl::InvalidArgumentError("empty name");
  if (by_name_.count(name) > 0 || name == nodes_[kRoot].name) {
    return absl::InvalidArgumentError(
        absl::StrCat("the name '", std::string(name), "' is used twice"));
  }
  const auto id = static_cast<RefId>(nodes_.size());
  Node node;
  node.name = std::string(name);
  node.kind = kind;
  node.parent = parent;
  node.repeat = kind == Kind::kRepeat ? id : nodes_[parent].repeat;
  nodes_.push_back(std::move(node));
  nodes_[parent].children.push_back(id);
  by_name_.emplace(std::string(name), id);
  return id;
}

absl::StatusOr<RefId> FormTree::Find(std::string_view name) const {
  auto it = by_name_.find(name);
  if (it == by_name_.end())
    return absl::NotFoundError(absl::StrCat("no field '", std::string(name), "'"));
  return it->second;
}

bool FormTree::Contains(RefId a, RefId b) const {
  for (RefId n = b; n >= 0; n = nodes_[n].parent) {
    if (n == a) return true;
  }
  return false;
}

// One instance of `target` per instance of `from` exactly when every repeat on the way to
// `target` contains `from` too.
RefKind FormTreeResolver::KindSeenFrom(RefId target, RefId from) const {
  for (RefId r = tree_.node(target).repeat; r != FormTree::kRoot;
       r = tree_.node(tree_.node(r).parent).repeat) {
    if (!tree_.Contains(r, from)) return RefKind::kNodeSet;
  }
  return tree_.node(target).kind == FormTree::Kind::kField ? RefKind::kValue : RefKind::kNode;
}

absl::StatusOr<RefId> FormTreeResolver::Walk(const Reference& ref) const {
  RefId at = context_;
  size_t i = 0;
  if (ref.absolute) {
    if (ref.steps.empty() || ref.steps[0] != tree_.node(FormTree::kRoot).name) {
      return absl::NotFoundError(ref.text);
    }
    at = FormTree::kRoot;
    i = 1;
  }
  for (; i < ref.steps.size(); ++i) {
    if (ref.steps[i] == "..") {
      at = tree_.node(at).parent;
      if (at < 0) return absl::NotFoundError(ref.text);
      continue;
    }
    const RefId before = at;
    for (RefId child : tree_.node(at).children) {
      if (tree_.node(child).name == ref.steps[i]) at = child;
    }
    if (at == before) return absl::NotFoundError(ref.text);
  }
  return at;
}

absl::StatusOr<ResolvedRef> FormTreeResolver::Resolve(const Reference& ref) const {
  RefId target;
  if (ref.kind == Reference::Kind::kName) {
    absl::StatusOr<RefId> found = tree_.Find(ref.name);
    if (!found.ok()) return found.status();
    target = *found;
  } else {
    absl::StatusOr<RefId> walked = Walk(ref);
    if (!walked.ok()) return walked.status();
    target = *walked;
  }
  return ResolvedRef{target, KindSeenFrom(target, ref.whole_form ? FormTree::kRoot : context_)};
}

}  // namespace fieldsync::expr
