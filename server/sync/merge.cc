#include "server/sync/merge.h"

#include <algorithm>

#include "absl/strings/str_cat.h"

namespace fieldsync {
namespace {

MergeResult Reject(std::string reason, std::string field, std::string description) {
  MergeResult r;
  r.outcome = Outcome::kRejected;
  r.reject_reason = std::move(reason);
  r.errors.push_back({std::move(field), std::move(description)});
  return r;
}

bool IsScopeField(const Form& form, const std::string& name) {
  return std::find(form.scope_fields.begin(), form.scope_fields.end(), name) !=
         form.scope_fields.end();
}

// Sets `name` to `value` on `rec` (null removes the value, keeping its metadata), recording
// the change. Returns whether the value changed.
bool SetField(Record* rec, const std::string& name, const Value& value, const FieldMeta& meta,
              std::vector<FieldChange>* changes) {
  auto it = rec->fields.find(name);
  Value before = it == rec->fields.end() ? Value{} : it->second;
  if (before == value) return false;
  if (IsNull(value)) {
    rec->fields.erase(name);
  } else {
    rec->fields[name] = value;
  }
  rec->field_meta[name] = meta;
  changes->push_back({name, std::move(before), value});
  return true;
}

// Has anyone but `device_id` changed this record since `base`? Edits of one device are
// ordered by its device_seq, so its own later edits are not a conflict.
bool ChangedByOthersSince(const Record& rec, uint64_t base, const std::string& device_id) {
  for (const auto& [name, meta] : rec.field_meta) {
    if (meta.version > base && meta.device_id != device_id) return true;
  }
  return false;
}

void Delete(const Form& form, Record* rec, const FieldMeta& meta,
            std::vector<FieldChange>* changes) {
  for (auto it = rec->fields.begin(); it != rec->fields.end();) {
    if (IsScopeField(form, it->first)) {
      ++it;
      continue;
    }
    changes->push_back({it->first, it->second, Value{}});
    rec->field_meta[it->first] = meta;
    it = rec->fields.erase(it);
  }
  rec->deleted = true;
  rec->deleted_version = meta.version;
}

}  // namespace

MergeResult Merge(const Form& form, const Record* current, const Mutation& m,
                  const std::string& content_hash, const std::string& device_id, int64_t now_ms,
                  Role device_role) {
  if (current != nullptr && current->form_id != m.form_id) {
    return Reject("wrong_form", "", absl::StrCat("record belongs to another form"));
  }
  if (form.edit_policy == EditPolicy::kAppendOnly) {
    if (m.op == MutationOp::kDelete || m.base_version != 0) {
      return Reject("append_only", "",
                    "records of an append-only form cannot be edited or deleted");
    }
    if (current != nullptr) {
      MergeResult r;
      r.record = *current;
      if (current->content_hash == content_hash) {
        r.outcome = Outcome::kDuplicate;
      } else {
        r.outcome = Outcome::kConflict;
        r.quarantine_as_conflict = true;
        r.reject_reason = "append_only_conflict";
        r.errors.push_back({"", "a record with this id and different content already exists"});
      }
      return r;
    }
  }

  const uint64_t new_version = (current ? current->version : 0) + 1;
  const FieldMeta meta{new_version, m.hlc, device_id, device_role};
  MergeResult r;

  if (current == nullptr) {
    if (m.op == MutationOp::kDelete) {
      return Reject("no_such_record", "", "cannot delete a record the server does not have");
    }
    if (m.base_version != 0) {
      return Reject("no_such_record", "",
                    absl::StrCat("base_version ", m.base_version,
                                 " but the server does not have this record"));
    }
    Record& rec = r.record;
    rec.record_id = m.record_id;
    rec.form_id = m.form_id;
    rec.form_version = m.form_version;
    rec.version = new_version;
    rec.last_writer_device = device_id;
    rec.content_hash = content_hash;
    rec.updated_ms = now_ms;
    for (const auto& [name, value] : m.fields) SetField(&rec, name, value, meta, &r.field_changes);
    r.outcome = Outcome::kApplied;
    r.changed = true;
    return r;
  }

  if (m.base_version > current->version) {
    return Reject("base_ahead", "",
                  absl::StrCat("base_version ", m.base_version, " is ahead of server version ",
                               current->version));
  }

  r.record = *current;
  Record& rec = r.record;
  const bool fast_forward = m.base_version == current->version;

  auto finish = [&](Outcome outcome) {
    r.outcome = r.conflicts.empty() ? outcome : Outcome::kConflict;
    r.changed = !r.field_changes.empty() || rec.deleted != current->deleted;
    if (!r.conflicts.empty() && !rec.open_conflict) {
      rec.open_conflict = true;
      r.metadata_changed = true;
    }
    if (r.changed) {
      rec.version = new_version;
      rec.form_version = std::max(rec.form_version, m.form_version);
      rec.last_writer_device = device_id;
      rec.updated_ms = now_ms;
    }
    return std::move(r);
  };

  auto conflict_base = [&](const std::string& field) {
    ConflictEntry c;
    c.record_id = m.record_id;
    c.form_id = m.form_id;
    c.field = field;
    c.base_version = m.base_version;
    c.device_writer = device_id;
    c.device_hlc = m.hlc;
    c.device_seq = m.device_seq;
    c.created_ms = now_ms;
    return c;
  };

  if (current->deleted) {
    if (m.op == MutationOp::kDelete) return finish(Outcome::kApplied);  // already gone
    if (m.base_version >= current->deleted_version) {
      // The device saw the delete and writes again: a new life of the record.
      rec.deleted = false;
      rec.deleted_version = 0;
      for (const auto& [name, value] : m.fields) {
        SetField(&rec, name, value, meta, &r.field_changes);
      }
      return finish(Outcome::kApplied);
    }
    // A stale edit of a record deleted since: the record stays deleted; the edit is kept.
    for (const auto& [name, value] : m.fields) {
      ConflictEntry c = conflict_base(name);
      c.delete_conflict = true;
      c.device_value = value;
      c.server_writer = current->last_writer_device;
      r.conflict_fields.push_back(name);
      r.conflicts.push_back(std::move(c));
    }
    if (r.conflicts.empty()) r.conflicts.push_back(conflict_base(""));
    r.conflicts.back().delete_conflict = true;
    return finish(Outcome::kConflict);
  }

  if (m.op == MutationOp::kDelete) {
    if (fast_forward || !ChangedByOthersSince(*current, m.base_version, device_id)) {
      Delete(form, &rec, meta, &r.field_changes);
      return finish(fast_forward ? Outcome::kApplied : Outcome::kMerged);
    }
    // A delete based on a stale version never destroys newer data.
    ConflictEntry c = conflict_base("");
    c.delete_conflict = true;
    c.server_writer = current->last_writer_device;
    r.conflicts.push_back(std::move(c));
    return finish(Outcome::kConflict);
  }

  for (const auto& [name, value] : m.fields) {
    auto meta_it = current->field_meta.find(name);
    const bool server_changed = !fast_forward && meta_it != current->field_meta.end() &&
                                meta_it->second.version > m.base_version &&
                                meta_it->second.device_id != device_id;
    if (!server_changed) {
      SetField(&rec, name, value, meta, &r.field_changes);
      continue;
    }
    auto cur_it = current->fields.find(name);
    Value server_value = cur_it == current->fields.end() ? Value{} : cur_it->second;
    if (server_value == value) continue;  // both sides agree
    const FieldMeta& server_meta = meta_it->second;
    bool device_wins = false;
    switch (form.conflict_policy) {
      case ConflictPolicy::kLastWriterWins:
        device_wins = server_meta.hlc < m.hlc;
        break;
      case ConflictPolicy::kFirstWriterWins:
      case ConflictPolicy::kManual:
        device_wins = false;
        break;
      case ConflictPolicy::kRolePriority: {
        const int mine = RolePriority(device_role);
        const int theirs = RolePriority(server_meta.role);
        device_wins = mine != theirs ? mine > theirs : server_meta.hlc < m.hlc;
        break;
      }
    }
    ConflictEntry c = conflict_base(name);
    c.server_value = server_value;
    c.device_value = value;
    c.server_writer = server_meta.device_id;
    c.server_hlc = server_meta.hlc;
    c.device_won = device_wins;
    r.conflicts.push_back(std::move(c));
    r.conflict_fields.push_back(name);
    if (device_wins) SetField(&rec, name, value, meta, &r.field_changes);
  }
  return finish(fast_forward ? Outcome::kApplied : Outcome::kMerged);
}

}  // namespace fieldsync
