#include "server/admin/conflict_resolver.h"

#include "absl/strings/str_cat.h"
#include "server/common/status.h"
#include "server/sync/scope.h"

namespace fieldsync::admin {

namespace {

bool IsScopeField(const Form& form, const std::string& name) {
  for (const auto& f : form.scope_fields) {
    if (f == name) return true;
  }
  return false;
}

}  // namespace

absl::StatusOr<ResolveResult> ConflictResolver::Resolve(const Device& actor,
                                                        const Resolution& resolution,
                                                        const BatchCommitFn& commit) {
  const ConflictId& id = resolution.id;
  // A child record is written under its tree's root lock too (sync/record_tree.h); its root
  // never changes, so reading it before locking is safe.
  std::vector<std::string> keys{RecordLockKey(id.record_id), DeviceLockKey(id.device_id)};
  FS_ASSIGN_OR_RETURN(std::optional<Record> peek, ctx_.store->GetRecord(id.record_id));
  if (peek && peek->is_child()) keys.push_back(RecordLockKey(peek->root_record_id));
  LockTable::Guard guard = ctx_.locks->Lock(std::move(keys));
  FS_ASSIGN_OR_RETURN(std::optional<ConflictEntry> found,
                      ctx_.store->GetConflict(id.record_id, id.device_id, id.device_seq, id.field));
  FS_ASSIGN_OR_RETURN(std::optional<Record> current, ctx_.store->GetRecord(id.record_id));
  if (!found || !current) return absl::NotFoundError("no such conflict");
  FS_ASSIGN_OR_RETURN(auto schema, ctx_.forms->Get(current->form_id, current->form_version));
  // Outside the actor's scopes the conflict does not exist, as far as the actor can tell.
  if (!InScope(actor, schema->ScopeOfRecord(*current))) {
    return absl::NotFoundError("no such conflict");
  }
  ConflictEntry conflict = *found;
  if (!conflict.open) return absl::FailedPreconditionError("the conflict is already resolved");

  const int64_t now_ms = ctx_.clock->NowMs();
  Record next = *current;
  next.version = current->version + 1;
  next.last_writer_device = actor.device_id;
  next.updated_ms = now_ms;
  const FieldMeta meta{next.version, Hlc{now_ms, 0, actor.device_id}, actor.device_id, actor.role};
  std::vector<FieldChange> changes;
  const Form& form = schema->form();

  if (id.field.empty()) {
    // Whole-record: a stale delete met an edited record.
    if (resolution.choice == ResolutionChoice::kValue) {
      return InvalidFieldsError("a whole-record conflict has no value to give",
                                {{"choice", "use SERVER (keep the record) or DEVICE (delete it)"}});
    }
    if (resolution.choice == ResolutionChoice::kDevice && !current->deleted) {
      for (auto it = next.fields.begin(); it != next.fields.end();) {
        if (IsScopeField(form, it->first)) {
          ++it;
          continue;
        }
        changes.push_back({it->first, it->second, Value{}});
        next.field_meta[it->first] = meta;
        it = next.fields.erase(it);
      }
      next.deleted = true;
      next.deleted_version = next.version;
    }
  } else if (!(current->deleted && resolution.choice == ResolutionChoice::kServer)) {
    Value chosen = resolution.choice == ResolutionChoice::kServer   ? conflict.server_value
                   : resolution.choice == ResolutionChoice::kDevice ? conflict.device_value
                                                                    : resolution.value;
    if (auto errors = schema->CheckValues({{id.field, chosen}}, RecordLimits{}); !errors.empty()) {
      return InvalidFieldsError("the value does not fit the form", errors);
    }
    auto it = next.fields.find(id.field);
    Value before = it == next.fields.end() ? Value{} : it->second;
    if (!(before == chosen)) {
      if (IsNull(chosen)) {
        next.fields.erase(id.field);
      } else {
        next.fields[id.field] = chosen;
      }
      changes.push_back({id.field, before, chosen});
    }
    next.field_meta[id.field] = meta;
    if (current->deleted) {
      next.deleted = false;
      next.deleted_version = 0;
    }
    if (!next.deleted) {
      if (auto missing = schema->CheckRequired(next.fields); !missing.empty()) {
        return absl::FailedPreconditionError(absl::StrCat(
            "restoring the record would leave ", missing.size(),
            " required field(s) empty (first: ", missing[0].field, "); have a device edit it"));
      }
    }
  }
  if (!InScope(actor, schema->ScopeOfRecord(next))) {
    return absl::PermissionDeniedError("the value would move the record out of your scopes");
  }

  conflict.open = false;
  FS_ASSIGN_OR_RETURN(std::vector<ConflictEntry> all, ctx_.store->ListConflicts(id.record_id));
  next.open_conflict = false;
  for (const auto& c : all) {
    const bool same = c.device_writer == conflict.device_writer &&
                      c.device_seq == conflict.device_seq && c.field == conflict.field;
    if (!same && c.open) next.open_conflict = true;
  }

  RecordCommit record_commit(ctx_.store, ctx_.sequencer);
  FS_RETURN_IF_ERROR(
      record_commit
          .StageRecordChange(*schema, &*current, &next, std::move(changes), actor.device_id, now_ms)
          .status());
  record_commit.batch().PutConflict(conflict);
  FS_ASSIGN_OR_RETURN(DeviceSyncState state, ctx_.store->GetDeviceSyncState(id.device_id));
  if (state.conflicts > 0) {
    state.conflicts--;
    record_commit.batch().PutDeviceSyncState(id.device_id, state);
  }
  FS_RETURN_IF_ERROR(record_commit.Write(commit));
  return ResolveResult{std::move(next), std::move(conflict)};
}

}  // namespace fieldsync::admin
