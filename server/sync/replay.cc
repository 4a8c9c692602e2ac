#include "server/sync/replay.h"

#include "absl/strings/str_cat.h"
#include "server/common/status.h"
#include "server/sync/merge.h"
#include "server/sync/push.h"
#include "server/sync/scope.h"

namespace fieldsync {

QuarantineReplayer::QuarantineReplayer(Store* store, FormRegistry* forms, LockTable* locks,
                                       CommitSequencer* sequencer, Clock* clock,
                                       RecordLimits limits)
    : store_(store),
      forms_(forms),
      locks_(locks),
      sequencer_(sequencer),
      clock_(clock),
      limits_(limits) {}

namespace {

absl::Status CommitBatch(Store* store, Store::Batch& batch, const BatchCommitFn& commit) {
  if (commit) return commit(batch);
  return store->Write(batch, /*sync=*/true);
}

struct Invalid {
  std::string reason;
  std::vector<FieldError> errors;
};

}  // namespace

absl::StatusOr<ReplayResult> QuarantineReplayer::Replay(const std::string& device_id,
                                                        uint64_t device_seq, uint32_t form_version,
                                                        const BatchCommitFn& commit) {
  // The record id is known only after reading the entry; the device lock keeps the entry
  // stable while we read it, then both are held for the apply.
  FS_ASSIGN_OR_RETURN(std::optional<QuarantineEntry> peek,
                      store_->GetQuarantine(device_id, device_seq));
  if (!peek) return absl::NotFoundError("no such quarantined mutation");
  LockTable::Guard guard =
      locks_->Lock({DeviceLockKey(device_id), RecordLockKey(peek->mutation.record_id)});
  FS_ASSIGN_OR_RETURN(std::optional<QuarantineEntry> entry,
                      store_->GetQuarantine(device_id, device_seq));
  if (!entry) return absl::NotFoundError("no such quarantined mutation");
  Mutation m = entry->mutation;
  if (form_version != 0) {
    if (form_version < m.form_version) {
      return InvalidFieldsError(
          "form version too old",
          {{"form_version", absl::StrCat("must be ", m.form_version, " or newer")}});
    }
    m.form_version = form_version;
  }
  FS_ASSIGN_OR_RETURN(std::optional<Device> device, store_->GetDevice(device_id));
  if (!device) return absl::FailedPreconditionError("the device no longer exists");

  const int64_t now_ms = clock_->NowMs();
  Receipt receipt;
  receipt.device_seq = m.device_seq;
  receipt.record_id = m.record_id;
  receipt.content_hash = ContentHash(m);
  receipt.outcome = Outcome::kRejected;

  Store::Batch batch;
  std::vector<uint64_t> seqs;
  SeqFinisher finisher(sequencer_, &seqs);
  FS_ASSIGN_OR_RETURN(DeviceSyncState state, store_->GetDeviceSyncState(device_id));
  FS_ASSIGN_OR_RETURN(std::optional<Record> current_slot, store_->GetRecord(m.record_id));
  const Record* current = current_slot ? &*current_slot : nullptr;

  // The same checks, in the same order, as PushCore::ApplyOne.
  auto validate = [&](MergeResult* res) -> absl::StatusOr<std::optional<Invalid>> {
    bool id_ok = !m.record_id.empty() && m.record_id.size() <= PushLimits{}.max_record_id_bytes;
    for (unsigned char c : m.record_id) id_ok = id_ok && c >= 0x21 && c <= 0x7e;
    if (!id_ok) return Invalid{"invalid", {{"record_id", "not a valid record id"}}};
    if (m.op != MutationOp::kUpsert && m.op != MutationOp::kDelete) {
      return Invalid{"invalid", {{"op", "must be UPSERT or DELETE"}}};
    }
    auto schema_or = forms_->Get(m.form_id, m.form_version);
    if (!schema_or.ok()) {
      if (schema_or.status().code() != absl::StatusCode::kNotFound) return schema_or.status();
      return Invalid{"unknown_form",
                     {{"form_id", absl::StrCat("form '", m.form_id, "' version ", m.form_version,
                                               " is not published")}}};
    }
    const FormSchema& schema = **schema_or;
    if (m.op == MutationOp::kDelete && !m.fields.empty()) {
      return Invalid{"invalid", {{"fields", "a delete carries no fields"}}};
    }
    FieldMap checkable;
    for (const auto& [name, value] : m.fields) {
      const FieldDef* def = schema.form().FindField(name);
      if (def == nullptr || !def->pii) checkable.emplace(name, value);
    }
    if (auto errors = schema.CheckValues(checkable, limits_); !errors.empty()) {
      return Invalid{"invalid", std::move(errors)};
    }
    std::vector<ScopePair> scope_before;
    if (current != nullptr) {
      scope_before = schema.ScopeOf(current->fields);
      if (!InScope(*device, scope_before)) {
        return Invalid{"scope", {{"", "record is outside the device's scope"}}};
      }
    }
    *res = Merge(schema.form(), current, m, receipt.content_hash, device_id, now_ms, device->role);
    if (res->outcome == Outcome::kRejected) return Invalid{res->reject_reason, res->errors};
    if (res->quarantine_as_conflict) return Invalid{res->reject_reason, res->errors};
    if (res->changed) {
      if (!res->record.deleted) {
        if (auto errors = schema.CheckRequired(res->record.fields); !errors.empty()) {
          return Invalid{"invalid", std::move(errors)};
        }
      }
      if (!InScope(*device, schema.ScopeOf(res->record.fields))) {
        return Invalid{"scope", {{"", "record is outside the device's scope"}}};
      }
      StageRecordChange(schema, current, &res->record, std::move(res->field_changes), device_id,
                        now_ms, sequencer_, &batch, &seqs);
    } else if (res->metadata_changed) {
      batch.PutRecord(res->record);
    }
    return std::optional<Invalid>();
  };

  MergeResult res;
  FS_ASSIGN_OR_RETURN(std::optional<Invalid> invalid, validate(&res));
  ReplayResult out;
  if (invalid) {
    // Still invalid: keep it, with what is wrong now. Nothing was staged.
    entry->errors = invalid->errors;
    entry->reason = invalid->reason;
    Store::Batch keep;
    keep.PutQuarantine(*entry);
    FS_RETURN_IF_ERROR(CommitBatch(store_, keep, commit));
    out.applied = false;
    receipt.errors = invalid->errors;
    out.receipt = std::move(receipt);
    out.errors = std::move(invalid->errors);
    out.reason = std::move(invalid->reason);
    return out;
  }
  for (auto& c : res.conflicts) {
    c.seq = res.record.seq;
    batch.PutConflict(c);
  }
  state.conflicts += res.conflicts.size();
  if (state.quarantined > 0) state.quarantined--;
  receipt.outcome = res.outcome;
  receipt.record_version = res.record.version;
  receipt.seq = res.changed ? res.record.seq : 0;
  receipt.conflict_fields = std::move(res.conflict_fields);
  batch.PutReceipt(device_id, receipt);
  batch.PutDeviceSyncState(device_id, state);
  batch.DeleteQuarantine(device_id, device_seq);
  FS_RETURN_IF_ERROR(CommitBatch(store_, batch, commit));
  out.applied = true;
  out.receipt = std::move(receipt);
  return out;
}

absl::StatusOr<QuarantineEntry> QuarantineReplayer::Discard(const std::string& device_id,
                                                            uint64_t device_seq,
                                                            const BatchCommitFn& commit) {
  LockTable::Guard guard = locks_->Lock({DeviceLockKey(device_id)});
  FS_ASSIGN_OR_RETURN(std::optional<QuarantineEntry> entry,
                      store_->GetQuarantine(device_id, device_seq));
  if (!entry) return absl::NotFoundError("no such quarantined mutation");
  FS_ASSIGN_OR_RETURN(DeviceSyncState state, store_->GetDeviceSyncState(device_id));
  Store::Batch batch;
  batch.DeleteQuarantine(device_id, device_seq);
  if (state.quarantined > 0) {
    state.quarantined--;
    batch.PutDeviceSyncState(device_id, state);
  }
  FS_RETURN_IF_ERROR(CommitBatch(store_, batch, commit));
  return *std::move(entry);
}

}  // namespace fieldsync
