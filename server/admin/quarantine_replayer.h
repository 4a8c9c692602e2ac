// Quarantine replay and discard (DESIGN.md "Push: apply rules" 3: admins list, fix the form,
// replay). A replayed mutation is re-validated and applied by the very step a live push takes
// (server/sync/push.h StageMutation: the same checks, Merge() and conflicts) and committed
// through the one commit path (server/sync/commit.h), leaving quarantine in the same batch as
// its effect. The audited entry point is QuarantineReview (review.h).
#ifndef FIELDSYNC_SERVER_ADMIN_QUARANTINE_REPLAYER_H_
#define FIELDSYNC_SERVER_ADMIN_QUARANTINE_REPLAYER_H_

#include <string>
#include <vector>

#include "absl/status/statusor.h"
#include "server/common/model.h"
#include "server/sync/commit.h"
#include "server/sync/push.h"
#include "server/sync/sync_context.h"

namespace fieldsync::admin {

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
  // Nothing in `ctx` is owned; all of it must outlive this object. `limits` are the push
  // limits of the engine (record id length included), so replay and push check the same bounds.
  QuarantineReplayer(const SyncContext& ctx, PushLimits limits) : ctx_(ctx), limits_(limits) {}

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
  SyncContext ctx_;
  PushLimits limits_;
};

}  // namespace fieldsync::admin

#endif  // FIELDSYNC_SERVER_ADMIN_QUARANTINE_REPLAYER_H_
