// A form version's structure as its expressions see it (the root, groups, repeats and
// fields, names unique as XLSForm requires), and the Resolver that maps a field's references
// the way pyxform writes them into an XForm. Build one FormTree per form version; make a
// FormTreeResolver per field when compiling that field's expressions.
//
//   FormTree tree("household");
//   RefId members = *tree.Add(FormTree::kRoot, "members", FormTree::Kind::kRepeat);
//   RefId age = *tree.Add(members, "age", FormTree::Kind::kField);
//   FormTreeResolver resolver(tree, age);   // the context: the field the expression is on
//   absl::StatusOr<CompiledExpr> c = Compile(". >= 0 and . < 120", resolver);
//
// Node ids are RefIds (the root is 0), so RecordTreeContext (record_tree.h) can evaluate on a
// record tree. Not thread-safe while Add is called; after that, read-only and shareable.
#ifndef FIELDSYNC_SERVER_EXPR_FORM_TREE_H_
#define FIELDSYNC_SERVER_EXPR_FORM_TREE_H_

#include <map>
#include <string>
#include <string_view>
#include <vector>

#include "absl/status/statusor.h"
#include "server/expr/expr.h"

namespace fieldsync::expr {

class FormTree {
 public:
  enum class Kind { kRoot, kField, kGroup, kRepeat };
  struct Node {
    std::string name;
    Kind kind = Kind::kField;
    RefId parent = -1;
    std::vector<RefId> children;
    RefId repeat = 0;  // the nearest repeat that is or contains this node; 0 if none
  };
  static constexpr RefId kRoot = 0;

  // `root_name` is the name absolute paths start with ("/household/members/age").
  explicit FormTree(std::string root_name);

  // Adds `name` under `parent` (kRoot, a group or a repeat). INVALID_ARGUMENT for a name used
  // already, an empty name, a parent that is a field, or a kind of kRoot.
  absl::StatusOr<RefId> Add(RefId parent, std::string_view name, Kind kind);

  // The node called `name`; NOT_FOUND when there is none.
  absl::StatusOr<RefId> Find(std::string_view name) const;
  const Node& node(RefId id) const { return nodes_[id]; }
  size_t size() const { return nodes_.size(); }
  // Whether `a` is `b` or contains it.
  bool Contains(RefId a, RefId b) const;

 private:
  std::vector<Node> nodes_;
  std::map<std::string, RefId, std::less<>> by_name_;
};

// References of the expressions of node `context` (a field, or a group or repeat for their
// relevant and repeat_count), resolved as pyxform writes them:
//   - a field in the context's repeat instance or outside every repeat the context is not in:
//     kValue (pyxform's relative path into the same instance, or absolute path to one node);
//   - a field or repeat inside a repeat that does not contain the context: kNodeSet, its
//     entries in every instance (within the context's own instance of any shared outer
//     repeat), e.g. ${member_age} from the household level;
//   - a group, the root, or a repeat that contains the context: kNode (position(), count());
//   - Reference::whole_form: as seen from the root (indexed-repeat()).
// Paths walk the tree from the context (`.`, `..`, child names) or from the root ("/" then
// the root's name); a path that leaves the tree or names no child is NOT_FOUND.
class FormTreeResolver : public Resolver {
 public:
  // `tree` must outlive the resolver.
  FormTreeResolver(const FormTree& tree, RefId context) : tree_(tree), context_(context) {}

  absl::StatusOr<ResolvedRef> Resolve(const Reference& ref) const override;

 private:
  absl::StatusOr<RefId> Walk(const Reference& ref) const;
  RefKind KindSeenFrom(RefId target, RefId from) const;

  const FormTree& tree_;
  RefId context_;
};

}  // namespace fieldsync::expr

#endif  // FIELDSYNC_SERVER_EXPR_FORM_TREE_H_
