#include "server/expr/record_tree.h"

#include <algorithm>

namespace fieldsync::expr {

const RecordInstance* RecordTreeContext::InstanceOf(RefId repeat) const {
  for (const RecordInstance* i = &current_; i != nullptr; i = i->parent) {
    if (i->repeat == repeat) return i;
  }
  return nullptr;
}

const Value* RecordTreeContext::ValueIn(const RecordInstance& instance, RefId node) const {
  if (tree_.node(node).kind != FormTree::Kind::kField || instance.fields == nullptr) {
    return nullptr;
  }
  auto it = instance.fields->find(tree_.node(node).name);
  return it == instance.fields->end() ? nullptr : &it->second;
}

const Value* RecordTreeContext::Get(RefId ref) {
  const RecordInstance* instance = InstanceOf(tree_.node(ref).repeat);
  return instance == nullptr ? nullptr : ValueIn(*instance, ref);
}

// Descends from `at` through the instances of path[depth], path[depth + 1], ...; at the end
// of the path, one entry per instance: `target`'s value there.
void RecordTreeContext::Collect(const RecordInstance& at, const std::vector<RefId>& path,
                                size_t depth, RefId target, std::vector<const Value*>* out) const {
  if (depth == path.size()) {
    out->push_back(ValueIn(at, target));
    return;
  }
  for (const RecordInstance* child : at.children) {
    if (child->repeat == path[depth]) Collect(*child, path, depth + 1, target, out);
  }
}

void RecordTreeContext::GetAll(RefId ref, std::vector<const Value*>* out) {
  // The deepest instance around `current_` whose repeat also holds `ref`: below it, every
  // instance of the repeats between it and `ref`.
  const RecordInstance* base = &current_;
  while (base->parent != nullptr && !tree_.Contains(base->repeat, ref)) base = base->parent;
  std::vector<RefId> path;
  for (RefId r = tree_.node(ref).repeat; r != base->repeat && r != FormTree::kRoot;
       r = tree_.node(tree_.node(r).parent).repeat) {
    path.push_back(r);
  }
  std::reverse(path.begin(), path.end());
  Collect(*base, path, 0, ref, out);
}

const Value* RecordTreeContext::GetIndexed(RefId target, const std::vector<RefId>& repeats,
                                           const std::vector<int64_t>& indexes) {
  const RecordInstance* at = &current_;
  while (at->parent != nullptr) at = at->parent;
  for (size_t level = 0; level < repeats.size() && at != nullptr; ++level) {
    const RecordInstance* next = nullptr;
    for (const RecordInstance* child : at->children) {
      if (child->repeat == repeats[level] && child->position == indexes[level]) next = child;
    }
    at = next;
  }
  // The target must lie directly in the last repeat named (deeper repeats would need more
  // indexes: no single value).
  if (at == nullptr || tree_.node(target).repeat != at->repeat) return nullptr;
  return ValueIn(*at, target);
}

int64_t RecordTreeContext::Position(RefId ref) {
  const RecordInstance* instance = InstanceOf(tree_.node(ref).repeat);
  return instance == nullptr ? 1 : instance->position;
}

}  // namespace fieldsync::expr
