#include "server/sync/replay.h"

#include "absl/strings/str_cat.h"
#include "server/common/status.h"
#include "server/sync/push.h"

namespace fieldsync {

QuarantineReplayer::QuarantineReplayer(Store* store, FormRegistry* forms, LockTable* locks,
                                       CommitSequencer* sequencer, Clock* clock,
                                       RecordLimits limits)
    : QuarantineReplayer(store, forms, locks, sequencer, clock, [&] {
        PushLimits push;
        push.record = limits;
        return push;
      }()) {}

QuarantineReplayer::QuarantineReplayer(Store* store, FormRegistry* forms, LockTable* locks,
                                       CommitSequencer* sequencer, Clock* clock, PushLimits limits)
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

  Store::Batch batch;
  std::vector<uint64_t> seqs;
  SeqFinisher finisher(sequencer_, &seqs);
  FS_ASSIGN_OR_RETURN(DeviceSyncState state, store_->GetDeviceSyncState(device_id));
  FS_ASSIGN_OR_RETURN(std::optional<Record> current, store_->GetRecord(m.record_id));

  // The very step a live push takes (push.h StageMutation), on the stored (pseudonymised)
  // values.
  MutationToStage in;
  in.writer = &*device;
  in.mutation = &m;
  in.plaintext_fields = nullptr;
  in.now_ms = clock_->NowMs();
  FS_ASSIGN_OR_RETURN(StagedMutation staged,
                      StageMutation(forms_, limits_, in, &current, sequencer_, &batch, &seqs));
  ReplayResult out;
  if (staged.quarantine) {
    // Still invalid: keep it, with what is wrong now. Nothing was staged.
    entry->errors = staged.receipt.errors;
    entry->reason = staged.reason;
    Store::Batch keep;
    keep.PutQuarantine(*entry);
    FS_RETURN_IF_ERROR(CommitBatch(store_, keep, commit));
    out.applied = false;
    out.errors = staged.receipt.errors;
    out.reason = std::move(staged.reason);
    out.receipt = std::move(staged.receipt);
    out.receipt.outcome = Outcome::kRejected;
    return out;
  }
  state.conflicts += staged.conflicts_opened;
  if (state.quarantined > 0) state.quarantined--;
  batch.PutReceipt(device_id, staged.receipt);
  batch.PutDeviceSyncState(device_id, state);
  batch.DeleteQuarantine(device_id, device_seq);
  FS_RETURN_IF_ERROR(CommitBatch(store_, batch, commit));
  out.applied = true;
  out.receipt = std::move(staged.receipt);
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
