#include "server/admin/quarantine_replayer.h"

#include "absl/strings/str_cat.h"
#include "server/common/status.h"

namespace fieldsync::admin {

absl::StatusOr<ReplayResult> QuarantineReplayer::Replay(const std::string& device_id,
                                                        uint64_t device_seq, uint32_t form_version,
                                                        const BatchCommitFn& commit) {
  // The record id is known only after reading the entry; the device lock keeps the entry
  // stable while we read it, then both are held for the apply.
  FS_ASSIGN_OR_RETURN(std::optional<QuarantineEntry> peek,
                      ctx_.store->GetQuarantine(device_id, device_seq));
  if (!peek) return absl::NotFoundError("no such quarantined mutation");
  RecordSlots slots(ctx_.store);
  FS_ASSIGN_OR_RETURN(
      LockTable::Guard guard,
      LockTrees(ctx_.locks, ctx_.store, {DeviceLockKey(device_id)}, {peek->mutation}, &slots));
  FS_ASSIGN_OR_RETURN(std::optional<QuarantineEntry> entry,
                      ctx_.store->GetQuarantine(device_id, device_seq));
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
  FS_ASSIGN_OR_RETURN(std::optional<Device> device, ctx_.store->GetDevice(device_id));
  if (!device) return absl::FailedPreconditionError("the device no longer exists");

  RecordCommit record_commit(ctx_.store, ctx_.sequencer);
  FS_ASSIGN_OR_RETURN(DeviceSyncState state, ctx_.store->GetDeviceSyncState(device_id));

  // The very step a live push takes (push.h StageMutation), on the stored (pseudonymised)
  // values.
  MutationToStage in;
  in.writer = &*device;
  in.mutation = &m;
  in.plaintext_fields = nullptr;
  in.now_ms = ctx_.clock->NowMs();
  FS_ASSIGN_OR_RETURN(StagedMutation staged,
                      StageMutation(ctx_.forms, limits_, in, &slots, &record_commit));
  ReplayResult out;
  if (staged.quarantine) {
    // Still invalid: keep it, with what is wrong now. Nothing was staged.
    entry->errors = staged.receipt.errors;
    entry->reason = staged.reason;
    RecordCommit keep(ctx_.store, ctx_.sequencer);
    keep.batch().PutQuarantine(*entry);
    FS_RETURN_IF_ERROR(keep.Write(commit));
    out.applied = false;
    out.errors = staged.receipt.errors;
    out.reason = std::move(staged.reason);
    out.receipt = std::move(staged.receipt);
    out.receipt.outcome = Outcome::kRejected;
    return out;
  }
  state.conflicts += staged.conflicts_opened;
  if (state.quarantined > 0) state.quarantined--;
  record_commit.batch().PutReceipt(device_id, staged.receipt);
  record_commit.batch().PutDeviceSyncState(device_id, state);
  record_commit.batch().DeleteQuarantine(device_id, device_seq);
  FS_RETURN_IF_ERROR(record_commit.Write(commit));
  out.applied = true;
  out.receipt = std::move(staged.receipt);
  return out;
}

absl::StatusOr<QuarantineEntry> QuarantineReplayer::Discard(const std::string& device_id,
                                                            uint64_t device_seq,
                                                            const BatchCommitFn& commit) {
  LockTable::Guard guard = ctx_.locks->Lock({DeviceLockKey(device_id)});
  FS_ASSIGN_OR_RETURN(std::optional<QuarantineEntry> entry,
                      ctx_.store->GetQuarantine(device_id, device_seq));
  if (!entry) return absl::NotFoundError("no such quarantined mutation");
  FS_ASSIGN_OR_RETURN(DeviceSyncState state, ctx_.store->GetDeviceSyncState(device_id));
  RecordCommit discard(ctx_.store, ctx_.sequencer);
  discard.batch().DeleteQuarantine(device_id, device_seq);
  if (state.quarantined > 0) {
    state.quarantined--;
    discard.batch().PutDeviceSyncState(device_id, state);
  }
  FS_RETURN_IF_ERROR(discard.Write(commit));
  return *std::move(entry);
}

}  // namespace fieldsync::admin
