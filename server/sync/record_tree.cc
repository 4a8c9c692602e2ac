#include "server/sync/record_tree.h"

#include <algorithm>
#include <set>
#include <utility>

#include "absl/strings/str_cat.h"
#include "server/common/status.h"
#include "server/forms/record_checks.h"
#include "server/sync/lock_table.h"
#include "server/sync/merge.h"
#include "server/sync/scope.h"

namespace fieldsync {

// ---- RecordSlots ---------------------------------------------------------------------------

absl::Status RecordSlots::Load(const std::vector<std::string>& ids) {
  std::vector<std::string> missing;
  for (const auto& id : ids) {
    if (slots_.emplace(id, std::nullopt).second) missing.push_back(id);
  }
  if (missing.empty()) return absl::OkStatus();
  FS_ASSIGN_OR_RETURN(std::vector<std::optional<Record>> found, store_->GetRecords(missing));
  for (size_t i = 0; i < missing.size(); ++i) slots_[missing[i]] = std::move(found[i]);
  return absl::OkStatus();
}

absl::StatusOr<std::optional<Record>*> RecordSlots::Get(const std::string& id) {
  auto it = slots_.find(id);
  if (it == slots_.end()) {
    FS_ASSIGN_OR_RETURN(std::optional<Record> r, store_->GetRecord(id));
    it = slots_.emplace(id, std::move(r)).first;
  }
  return &it->second;
}

absl::StatusOr<std::vector<std::string>> RecordSlots::ChildrenOf(const std::string& parent_id,
                                                                 size_t limit) {
  FS_ASSIGN_OR_RETURN(std::vector<std::string> ids, store_->ListChildIds(parent_id, limit));
  if (auto it = new_children_.find(parent_id); it != new_children_.end()) {
    for (const auto& id : it->second) {
      if (ids.size() >= limit) break;
      if (std::find(ids.begin(), ids.end(), id) == ids.end()) ids.push_back(id);
    }
  }
  return ids;
}

void RecordSlots::AddChild(const std::string& parent_id, const std::string& child_id) {
  new_children_[parent_id].push_back(child_id);
}

// ---- Locks -------------------------------------------------------------------------------

namespace {

// The root of the tree `r` is in.
const std::string& RootOf(const Record& r) { return r.is_child() ? r.root_record_id : r.record_id; }

}  // namespace

absl::StatusOr<LockTable::Guard> LockTrees(LockTable* locks, const Store* store,
                                           std::vector<std::string> keys,
                                           const std::vector<Mutation>& batch, RecordSlots* slots) {
  std::set<std::string> ids;
  for (const auto& m : batch) {
    ids.insert(m.record_id);
    if (m.is_child()) ids.insert(m.parent_record_id);
  }
  for (int round = 0; round < 4; ++round) {
    std::vector<std::string> want = keys;
    for (const auto& id : ids) want.push_back(RecordLockKey(id));
    LockTable::Guard guard = locks->Lock(std::move(want));
    *slots = RecordSlots(store);
    FS_RETURN_IF_ERROR(slots->Load(std::vector<std::string>(ids.begin(), ids.end())));
    bool missing = false;
    for (const auto& m : batch) {
      for (const std::string* id : {&m.record_id, m.is_child() ? &m.parent_record_id : nullptr}) {
        if (id == nullptr) continue;
        FS_ASSIGN_OR_RETURN(std::optional<Record> * slot, slots->Get(*id));
        if (*slot && ids.insert(RootOf(**slot)).second) missing = true;
      }
    }
    if (!missing) return guard;
  }
  return absl::AbortedError("record trees kept changing while the batch was being locked: retry");
}

// ---- Placement ---------------------------------------------------------------------------

absl::StatusOr<Placement> PlaceChild(const FormSchema& schema, const Device& writer,
                                     const Mutation& m, const Record* current, RecordSlots* slots,
                                     const TreeLimits& limits) {
  Placement out;
  auto refuse = [&](std::string reason, std::string field, std::string description) {
    out.ok = false;
    out.reason = std::move(reason);
    out.errors.push_back({std::move(field), std::move(description)});
    return out;
  };
  const Form& form = schema.form();

  if (current != nullptr) {
    out.repeat = current->repeat;
    if (!m.parent_record_id.empty() && m.parent_record_id != current->parent_record_id) {
      return refuse("invalid", "parent_record_id",
                    current->is_child() ? "a child record's parent never changes"
                                        : "this record is a root record: it has no parent");
    }
    if (!m.repeat.empty() && m.repeat != current->repeat) {
      return refuse("invalid", "repeat", "a record's repeat never changes");
    }
    if (m.ordinal != 0 && m.ordinal != current->ordinal) {
      return refuse("invalid", "ordinal", "a record's ordinal never changes");
    }
    if (current->is_child() && m.op == MutationOp::kUpsert) {
      FS_ASSIGN_OR_RETURN(std::optional<Record> * parent, slots->Get(current->parent_record_id));
      if (!*parent || (*parent)->deleted) {
        return refuse("parent_deleted", "parent_record_id",
                      absl::StrCat("record ", current->parent_record_id,
                                   " was deleted, and its children with it"));
      }
    }
    return out;
  }

  if (!m.is_child()) {
    if (!m.repeat.empty()) {
      return refuse("invalid", "parent_record_id",
                    absl::StrCat("an instance of repeat \"", m.repeat, "\" names its parent"));
    }
    if (m.ordinal != 0) return refuse("invalid", "ordinal", "only a child record has one");
    return out;
  }
  out.repeat = m.repeat;
  const GroupDef* repeat = form.FindGroup(m.repeat);
  if (repeat == nullptr || !repeat->repeat) {
    return refuse("invalid", "repeat",
                  absl::StrCat("form ", form.form_id, " version ", form.version,
                               " has no repeat \"", m.repeat, "\""));
  }
  if (m.ordinal == 0) return refuse("invalid", "ordinal", "must be 1 or more");
  if (m.parent_record_id == m.record_id) {
    return refuse("invalid", "parent_record_id", "a record is not its own parent");
  }
  FS_ASSIGN_OR_RETURN(std::optional<Record> * parent_slot, slots->Get(m.parent_record_id));
  const Record* parent = *parent_slot ? &**parent_slot : nullptr;
  // A parent in another scope is answered as unknown: the answer tells nothing about it.
  if (parent == nullptr || !InScope(writer, schema.ScopeOfRecord(*parent))) {
    return refuse("parent_unknown", "parent_record_id",
                  absl::StrCat("record ", m.parent_record_id,
                               " is not on the server (yet): push the parent first; this edit "
                               "is kept in quarantine and can be replayed once it arrives"));
  }
  if (parent->deleted) {
    return refuse("parent_deleted", "parent_record_id",
                  absl::StrCat("record ", m.parent_record_id, " is deleted"));
  }
  if (parent->form_id != m.form_id) {
    return refuse("invalid", "parent_record_id",
                  absl::StrCat("record ", m.parent_record_id, " belongs to form ", parent->form_id,
                               ", not ", m.form_id));
  }
  const std::string around = form.EnclosingRepeat(*repeat);
  if (parent->repeat != around) {
    return refuse("invalid", "repeat",
                  around.empty()
                      ? absl::StrCat("instances of \"", m.repeat, "\" belong to a root record")
                      : absl::StrCat("instances of \"", m.repeat, "\" belong to an instance of \"",
                                     around, "\""));
  }
  FS_ASSIGN_OR_RETURN(std::vector<std::string> siblings,
                      slots->ChildrenOf(m.parent_record_id, limits.max_children));
  if (siblings.size() >= limits.max_children) {
    return refuse("invalid", "parent_record_id",
                  absl::StrCat("record ", m.parent_record_id, " has ", limits.max_children,
                               " child records already (the most one record may have)"));
  }
  return out;
}

absl::Status AdoptParent(const FormSchema& schema, const Mutation& m, RecordSlots* slots,
                         Record* created) {
  FS_ASSIGN_OR_RETURN(std::optional<Record> * parent, slots->Get(m.parent_record_id));
  if (!*parent) return absl::InternalError("AdoptParent without a parent");
  created->parent_record_id = m.parent_record_id;
  created->repeat = m.repeat;
  created->ordinal = m.ordinal;
  created->root_record_id = RootOf(**parent);
  created->root_scope = schema.ScopeOfRecord(**parent);
  slots->AddChild(m.parent_record_id, m.record_id);
  return absl::OkStatus();
}

// ---- Cascades ----------------------------------------------------------------------------

bool ChangesSubtree(const FormSchema& schema, const Record* before, const Record& after) {
  if (before == nullptr) return false;
  if (after.deleted) return !before->deleted;
  return !after.is_child() && schema.ScopeOf(before->fields) != schema.ScopeOf(after.fields);
}

absl::StatusOr<std::vector<std::optional<Record>*>> Subtree(const std::string& record_id,
                                                            const TreeLimits& limits,
                                                            RecordSlots* slots) {
  std::vector<std::optional<Record>*> out;
  std::vector<std::string> frontier{record_id};
  while (!frontier.empty()) {
    std::vector<std::string> next;
    for (const auto& id : frontier) {
      FS_ASSIGN_OR_RETURN(std::vector<std::string> children,
                          slots->ChildrenOf(id, limits.max_subtree + 1));
      FS_RETURN_IF_ERROR(slots->Load(children));
      for (const auto& c : children) {
        FS_ASSIGN_OR_RETURN(std::optional<Record> * slot, slots->Get(c));
        if (!*slot) continue;
        out.push_back(slot);
        next.push_back(c);
        if (out.size() > limits.max_subtree) {
          return InvalidFieldsError(
              "subtree too large",
              {{"", absl::StrCat("the record has more than ", limits.max_subtree,
                                 " records below it (the most one change may move)")}});
        }
      }
    }
    frontier = std::move(next);
  }
  return out;
}

absl::Status StageSubtreeChanges(const FormSchema& schema, const Record& after,
                                 const std::vector<std::optional<Record>*>& subtree,
                                 const Device& writer, const Hlc& hlc, int64_t now_ms,
                                 RecordCommit* commit) {
  for (std::optional<Record>* slot : subtree) {
    const Record before = **slot;
    Record next;
    std::vector<FieldChange> changes;
    if (after.deleted) {
      if (before.deleted) continue;
      // The same delete, as if the device had sent it for this record at its version.
      Mutation del;
      del.record_id = before.record_id;
      del.form_id = before.form_id;
      del.form_version = before.form_version;
      del.base_version = before.version;
      del.op = MutationOp::kDelete;
      del.hlc = hlc;
      MergeResult res =
          Merge(schema.form(), &before, del, "", writer.device_id, now_ms, writer.role);
      if (!res.changed) continue;
      next = std::move(res.record);
      changes = std::move(res.field_changes);
    } else {
      next = before;
      next.root_scope = schema.ScopeOfRecord(after);
      if (next.root_scope == before.root_scope) continue;
      next.version = before.version + 1;
      next.last_writer_device = writer.device_id;
      next.updated_ms = now_ms;
    }
    FS_RETURN_IF_ERROR(commit
                           ->StageRecordChange(schema, &before, &next, std::move(changes),
                                               writer.device_id, now_ms)
                           .status());
    *slot = std::move(next);
  }
  return absl::OkStatus();
}

// ---- Checks ------------------------------------------------------------------------------

absl::StatusOr<std::vector<FieldError>> CheckInTree(const FormSchema& schema, const Record& record,
                                                    const FieldMap* plaintext, int64_t now_ms,
                                                    const TreeLimits& limits, RecordSlots* slots) {
  RecordCheckOptions options;
  options.now = absl::FromUnixMillis(now_ms);
  FieldMap fields = record.fields;
  for (const auto& f : schema.form().fields) {
    if (!f.pii) continue;
    auto it = plaintext == nullptr ? FieldMap::const_iterator() : plaintext->find(f.name);
    if (plaintext == nullptr || it == plaintext->end()) {
      options.skip_constraints.push_back(f.name);
    } else if (IsNull(it->second)) {
      fields.erase(f.name);
    } else {
      fields[f.name] = it->second;
    }
  }

  std::vector<TreeRecord> tree;
  auto add = [&](const Record& r, const FieldMap* values) {
    tree.push_back({r.record_id, r.parent_record_id, r.repeat, r.ordinal, values});
  };
  add(record, &fields);
  // Ancestors, nearest first (bounded: repeats nest as deep as the form's groups).
  std::string up = record.parent_record_id;
  for (size_t hops = 0; !up.empty() && hops <= schema.form().groups.size(); ++hops) {
    FS_ASSIGN_OR_RETURN(std::optional<Record> * slot, slots->Get(up));
    if (!*slot || (*slot)->deleted) break;
    add(**slot, &(*slot)->fields);
    up = (*slot)->parent_record_id;
  }
  if (ChecksReadTree(schema)) {
    const std::string& root = record.is_child() ? record.root_record_id : record.record_id;
    absl::StatusOr<std::vector<std::optional<Record>*>> below = Subtree(root, limits, slots);
    if (!below.ok()) {
      if (below.status().code() != absl::StatusCode::kInvalidArgument) return below.status();
      return std::vector<FieldError>{{"", std::string(below.status().message())}};
    }
    std::set<std::string> have;
    for (const auto& t : tree) have.insert(t.record_id);
    for (std::optional<Record>* slot : *below) {
      if (!*slot || (*slot)->deleted || have.count((*slot)->record_id)) continue;
      add(**slot, &(*slot)->fields);
    }
  }
  return CheckRecordExpressions(schema, tree, record.record_id, options);
}

}  // namespace fieldsync
