// Quarantine replay and discard (DESIGN.md "Push: apply rules" 3: admins list, fix the form,
// replay). A replayed mutation is re-validated and applied by the very step a live push takes
// (push.h StageMutation: the same checks, Merge() and conflicts) and committed through the same
// machinery (see resolve.h), leaving quarantine in the same batch as its effect.
#ifndef FIELDSYNC_SERVER_SYNC_REPLAY_H_
#define FIELDSYNC_SERVER_SYNC_REPLAY_H_

#include <string>
#include <vector>

#include "absl/status/statusor.h"
#include "server/common/clock.h"
#include "server/common/model.h"
#include "server/forms/form_registry.h"
#include "server/storage/store.h"
#include "server/sync/commit_sequencer.h"
#include "server/sync/lock_table.h"
#include "server/sync/push.h"
#include "server/sync/resolve.h"

namespace fieldsync {

struct ReplayResult {
  // The mutation applied (receipt.outcome APPLIED, MERGED or CONFLICT) and left quarantine.
  bool applied = false;
  // Also stored as the mutation's receipt (replacing the REJECTED one), so the device can
  // reconcile through ListReceipts.
  Receipt receipt;
  // With applied == false: why it is still quarantined (also stored in the entry).
  std::vector<FieldError> errors;
  std::string reason;
};

class QuarantineReplayer {
 public:
  // None of the pointers is owned; all must outlive this object.
  QuarantineReplayer(Store* store, FormRegistry* forms, LockTable* locks,
                     CommitSequencer* sequencer, Clock* clock, RecordLimits limits = {});
  // With the push limits of the engine (record id length included), so replay and push
  // check the same bounds.
  QuarantineReplayer(Store* store, FormRegistry* forms, LockTable* locks,
                     CommitSequencer* sequencer, Clock* clock, PushLimits limits);

  // Replays the quarantined mutation (device_id, device_seq) as a write of that device (its
  // current role and scopes), validated against the form version named in the mutation, or
  // `form_version` if that is non-zero (it must be that version or a newer one). Values of pii
  // fields were pseudonymised at ingest and cannot be re-checked; they are taken as stored.
  // Applied: the effect, the new receipt, the device's counters and the removal from
  // quarantine are one batch written by `commit`. Still invalid: the entry stays, updated
  // with the new errors (also written by `commit`).
  // Errors: NOT_FOUND (no such entry); INVALID_ARGUMENT (form_version older than the
  // mutation's); FAILED_PRECONDITION (the device no longer exists); storage errors.
  absl::StatusOr<ReplayResult> Replay(const std::string& device_id, uint64_t device_seq,
                                      uint32_t form_version, const BatchCommitFn& commit = nullptr);

  // Removes the entry for good (the device's quarantine counter too), in one batch written by
  // `commit`. NOT_FOUND if there is no such entry. Returns the removed entry.
  absl::StatusOr<QuarantineEntry> Discard(const std::string& device_id, uint64_t device_seq,
                                          const BatchCommitFn& commit = nullptr);

 private:
  Store* store_;
  FormRegistry* forms_;
  LockTable* locks_;
  CommitSequencer* sequencer_;
  Clock* clock_;
  PushLimits limits_;
};

}  // namespace fieldsync

#endif  // FIELDSYNC_SERVER_SYNC_REPLAY_H_
