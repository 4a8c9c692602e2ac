#include "server/xform/instance_tree.h"

#include <algorithm>
#include <limits>

#include "absl/strings/str_cat.h"

namespace fieldsync::xform {

bool IsXmlName(const std::string& name) {
  if (name.empty()) return false;
  auto letter = [](unsigned char c) {
    return (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || c == '_';
  };
  if (!letter(name[0])) return false;
  for (unsigned char c : name) {
    if (!letter(c) && !(c >= '0' && c <= '9') && c != '-' && c != '.') return false;
  }
  return true;
}

absl::StatusOr<InstanceTree> InstanceTree::Build(const Form& form) {
  InstanceTree t;
  t.nodes_.push_back(Node{Kind::kRoot, kRootElement, -1, {}, absl::StrCat("/", kRootElement)});
  auto add = [&](Kind kind, const std::string& name, const std::string& parent_name,
                 const FieldDef* field, const GroupDef* group) -> absl::Status {
    if (!IsXmlName(name)) {
      return absl::InvalidArgumentError(absl::StrCat("\"", name, "\" is not an XML element name"));
    }
    int parent = kRoot;
    if (!parent_name.empty()) {
      auto it = t.by_name_.find(parent_name);
      if (it == t.by_name_.end() || t.nodes_[it->second].kind == Kind::kField) {
        return absl::InvalidArgumentError(
            absl::StrCat("\"", name, "\" is in \"", parent_name, "\", which is no group"));
      }
      parent = it->second;
    }
    if (parent == kRoot && name == "meta") {
      return absl::InvalidArgumentError("\"meta\" at the top of a form is the XForm's own");
    }
    if (!t.by_name_.emplace(name, static_cast<int>(t.nodes_.size())).second) {
      return absl::InvalidArgumentError(absl::StrCat("\"", name, "\" is used twice"));
    }
    Node n;
    n.kind = kind;
    n.name = name;
    n.parent = parent;
    n.path = absl::StrCat(t.nodes_[parent].path, "/", name);
    n.repeat = kind == Kind::kRepeat ? static_cast<int>(t.nodes_.size()) : t.nodes_[parent].repeat;
    n.field = field;
    n.group = group;
    t.nodes_.push_back(std::move(n));
    return absl::OkStatus();
  };
  for (const auto& g : form.groups) {
    if (absl::Status s =
            add(g.repeat ? Kind::kRepeat : Kind::kGroup, g.name, g.parent, nullptr, &g);
        !s.ok()) {
      return s;
    }
  }
  // A group sits where its first question is: the form lists groups and fields apart, both
  // in document order, and every group holds at least one question.
  std::vector<size_t> first(t.nodes_.size(), std::numeric_limits<size_t>::max());
  for (size_t i = 0; i < form.fields.size(); ++i) {
    const FieldDef& f = form.fields[i];
    if (absl::Status s = add(Kind::kField, f.name, f.group, &f, nullptr); !s.ok()) return s;
    first.push_back(i);
    for (int p = t.nodes_.back().parent; p > kRoot; p = t.nodes_[p].parent) {
      first[p] = std::min(first[p], i);
    }
  }
  for (size_t id = 1; id < t.nodes_.size(); ++id) {
    t.nodes_[t.nodes_[id].parent].children.push_back(static_cast<int>(id));
  }
  for (auto& n : t.nodes_) {
    std::stable_sort(n.children.begin(), n.children.end(),
                     [&](int a, int b) { return first[a] < first[b]; });
  }
  return t;
}

int InstanceTree::Find(const std::string& name) const {
  auto it = by_name_.find(name);
  return it == by_name_.end() ? -1 : it->second;
}

bool InstanceTree::Contains(int a, int b) const {
  for (int n = b; n >= 0; n = nodes_[n].parent) {
    if (n == a) return true;
  }
  return false;
}

std::string InstanceTree::RelativePath(int from, int to) const {
  if (from == to) return ".";
  int common = from;
  while (!Contains(common, to)) common = nodes_[common].parent;
  std::string up;
  for (int n = from; n != common; n = nodes_[n].parent)
    absl::StrAppend(&up, up.empty() ? "" : "/", "..");
  std::vector<const std::string*> down;
  for (int n = to; n != common; n = nodes_[n].parent) down.push_back(&nodes_[n].name);
  std::string out = up;
  for (auto it = down.rbegin(); it != down.rend(); ++it) {
    absl::StrAppend(&out, out.empty() ? "" : "/", **it);
  }
  return out.empty() ? "." : out;
}

}  // namespace fieldsync::xform
