// PushCore applies batches of mutations from one device: the whole of DESIGN.md "Push: apply
// rules". Thread-safe: concurrent batches of different devices run in parallel and share
// fsyncs; batches touching the same device or record serialise on LockTable stripes.
#ifndef FIELDSYNC_SERVER_SYNC_PUSH_H_
#define FIELDSYNC_SERVER_SYNC_PUSH_H_

#include <optional>
#include <string>
#include <vector>

#include "absl/status/statusor.h"
#include "server/common/model.h"
#include "server/forms/form_registry.h"
#include "server/forms/pseudonymizer.h"
#include "server/sync/commit.h"
#include "server/sync/record_tree.h"
#include "server/sync/sync_context.h"

namespace fieldsync {

struct PushLimits {
  size_t max_mutations_per_batch = 500;
  size_t max_record_id_bytes = 128;
  RecordLimits record;
  TreeLimits tree;
};

// One mutation's validation and apply step: DESIGN.md "Push: apply rules" 3-6 for a mutation
// whose device_seq is the next one. Shared by PushCore (live pushes and bundles) and
// admin::QuarantineReplayer, so a replayed mutation meets exactly the checks of a pushed one:
// record id, op, form and version, delete shape, field values, the writer's scopes before and
// after, the merge rules and required fields.
struct MutationToStage {
  const Device* writer = nullptr;  // its role and scopes apply
  // The mutation as stored, merged and hashed (pii values already pseudonymised).
  const Mutation* mutation = nullptr;
  // The values to validate: the plaintext before pseudonymisation (a live push), or nullptr
  // when only the stored values exist (a replay): pii values are then taken as stored, since
  // a pseudonym cannot be re-checked.
  const FieldMap* plaintext_fields = nullptr;
  int64_t now_ms = 0;
};

struct StagedMutation {
  // content_hash, outcome, record_version, seq (0 when nothing changed), conflict_fields; with
  // `quarantine` the outcome is REJECTED (or CONFLICT for an append-only conflict) and errors.
  Receipt receipt;
  // Nothing was staged: the mutation belongs in quarantine with `reason` and receipt.errors.
  bool quarantine = false;
  std::string reason;
  // Conflict entries staged (the writer's open-conflict counter grows by this).
  size_t conflicts_opened = 0;
};

// Validates `in` against its form version and its place in its record tree (record_tree.h)
// and, if it is valid, stages its effect into `commit` (record, change-log entry, scope index
// moves, conflict entries, and the tombstones or scope moves of the records below it; not the
// receipt, the device state or quarantine, which are the caller's) and updates `slots` (the
// batch's records, read under LockTrees' locks) with the new states. Errors only from the
// form registry (not NOT_FOUND) and storage; every invalid mutation is a result with
// quarantine == true.
absl::StatusOr<StagedMutation> StageMutation(FormRegistry* forms, const PushLimits& limits,
                                             const MutationToStage& in, RecordSlots* slots,
                                             RecordCommit* commit);

struct ReceiptList {
  std::vector<Receipt> receipts;
  uint64_t acked_device_seq = 0;
};

class PushCore {
 public:
  // Nothing in `ctx` is owned; all of it must outlive this object.
  PushCore(const SyncContext& ctx, PushLimits limits) : ctx_(ctx), limits_(limits) {}

  // Applies `batch` from `device` in one synced write and returns one receipt per mutation,
  // in order. A bad mutation gets a REJECTED receipt (and is quarantined); it never fails the
  // batch. Errors: INVALID_ARGUMENT if the batch is over the limit (nothing applied);
  // UNAVAILABLE / INTERNAL / DATA_LOSS from storage (nothing applied, retry the batch).
  absl::StatusOr<std::vector<Receipt>> Push(const Device& device,
                                            const std::vector<Mutation>& batch,
                                            const DeviceReport* report);

  // Push() for a client that does not number its mutations (an OpenRosa submission): under
  // the same device lock, the mutations get the device's next device_seqs in order (their own
  // device_seq is ignored), so they interleave safely with the device's other pushes. The
  // receipts carry the seqs given.
  absl::StatusOr<std::vector<Receipt>> PushAssigningSeqs(const Device& device,
                                                         const std::vector<Mutation>& batch,
                                                         const DeviceReport* report);

  // The device's receipts with device_seq >= since (at most `limit`) and its acked seq.
  absl::StatusOr<ReceiptList> ListReceipts(const Device& device, uint64_t since, size_t limit);

  const PushLimits& limits() const { return limits_; }

  // Pseudonymises the pii fields of every mutation at ingest (not owned; set before the first
  // Push). Validation sees the plaintext; the record, change log, conflicts, quarantine and the
  // receipt's content hash see only pseudonyms. Without one (or without a key), a mutation that
  // carries a pii value fails its batch with FAILED_PRECONDITION and nothing is stored.
  void set_pseudonymizer(const Pseudonymizer* p) { pseudonymizer_ = p; }

 private:
  struct BatchState;
  absl::StatusOr<std::vector<Receipt>> PushBatch(const Device& device,
                                                 const std::vector<Mutation>& batch,
                                                 const DeviceReport* report, bool assign_seqs);
  absl::StatusOr<Receipt> ApplyOne(const Device& device, const Mutation& plain, BatchState* st);
  // Copies `plain` into `*out` with its pii values pseudonymised; false (and `*out` untouched)
  // if it carries no pii value.
  absl::StatusOr<bool> Pseudonymize(const Mutation& plain, Mutation* out) const;
  void Quarantine(const Device& device, const Mutation& m, const std::vector<FieldError>& errors,
                  std::string reason, BatchState* st);

  SyncContext ctx_;
  PushLimits limits_;
  const Pseudonymizer* pseudonymizer_ = nullptr;
};

}  // namespace fieldsync

#endif  // FIELDSYNC_SERVER_SYNC_PUSH_H_
