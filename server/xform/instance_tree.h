// The instance of a form version as an XForm lays it out: the root element, then groups,
// repeats and fields nested as the form nests them, children in the form's document order,
// and `meta/instanceID` last. The XForm writer (xform_writer.h) and the submission reader
// (server/openrosa) walk the same tree, so a submitted instance maps back to exactly the
// fields that the downloaded XForm asked for.
//
// Immutable after Build; safe to share between threads.
#ifndef FIELDSYNC_SERVER_XFORM_INSTANCE_TREE_H_
#define FIELDSYNC_SERVER_XFORM_INSTANCE_TREE_H_

#include <map>
#include <string>
#include <vector>

#include "absl/status/statusor.h"
#include "server/common/model.h"

namespace fieldsync::xform {

// The name of the instance's root element. XForms require an element name; form ids need
// not be one, so every generated XForm uses the same name and carries the form id in `id`.
inline constexpr char kRootElement[] = "data";

class InstanceTree {
 public:
  enum class Kind { kRoot, kGroup, kRepeat, kField };
  struct Node {
    Kind kind = Kind::kRoot;
    std::string name;
    int parent = -1;
    std::vector<int> children;        // document order
    std::string path;                 // "/data/household/members/age"
    int repeat = -1;                  // the innermost repeat that is or contains this node
    const FieldDef* field = nullptr;  // kField
    const GroupDef* group = nullptr;  // kGroup, kRepeat
  };
  static constexpr int kRoot = 0;

  // Lays out `form` (which must outlive the tree). INVALID_ARGUMENT if a field or group
  // name is not an XML element name, names a group the form does not have, or is "meta" at
  // the root (the XForm's own metadata group).
  static absl::StatusOr<InstanceTree> Build(const Form& form);

  const Node& node(int id) const { return nodes_[id]; }
  size_t size() const { return nodes_.size(); }
  // The node of a field, group or repeat called `name`; -1 if there is none.
  int Find(const std::string& name) const;
  // Whether node `a` is node `b` or contains it.
  bool Contains(int a, int b) const;
  // The path from node `from` to node `to` with ".." steps up to their nearest common
  // ancestor, then down ("../b", "../../g/c"); "." for the same node.
  std::string RelativePath(int from, int to) const;

 private:
  std::vector<Node> nodes_;
  std::map<std::string, int> by_name_;
};

// Whether `name` is an XML element name without a namespace prefix (an NCName, ASCII
// letters, digits, '_', '-', '.'; not starting with a digit, '-' or '.').
bool IsXmlName(const std::string& name);

}  // namespace fieldsync::xform

#endif  // FIELDSYNC_SERVER_XFORM_INSTANCE_TREE_H_
