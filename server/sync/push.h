// PushCore applies batches of mutations from one device: the whole of DESIGN.md "Push: apply
// rules". Thread-safe: concurrent batches of different devices run in parallel and share
// fsyncs; batches touching the same device or record serialise on LockTable stripes.
#ifndef FIELDSYNC_SERVER_SYNC_PUSH_H_
#define FIELDSYNC_SERVER_SYNC_PUSH_H_

#include <vector>

#include "absl/status/statusor.h"
#include "server/common/clock.h"
#include "server/common/model.h"
#include "server/forms/form_registry.h"
#include "server/forms/pseudonymizer.h"
#include "server/storage/store.h"
#include "server/sync/commit_sequencer.h"
#include "server/sync/lock_table.h"

namespace fieldsync {

struct PushLimits {
  size_t max_mutations_per_batch = 500;
  size_t max_record_id_bytes = 128;
  RecordLimits record;
};

struct ReceiptList {
  std::vector<Receipt> receipts;
  uint64_t acked_device_seq = 0;
};

class PushCore {
 public:
  // None of the pointers is owned; all must outlive this object.
  PushCore(Store* store, FormRegistry* forms, LockTable* locks, CommitSequencer* sequencer,
           Clock* clock, PushLimits limits);

  // Applies `batch` from `device` in one synced write and returns one receipt per mutation,
  // in order. A bad mutation gets a REJECTED receipt (and is quarantined); it never fails the
  // batch. Errors: INVALID_ARGUMENT if the batch is over the limit (nothing applied);
  // UNAVAILABLE / INTERNAL / DATA_LOSS from storage (nothing applied, retry the batch).
  absl::StatusOr<std::vector<Receipt>> Push(const Device& device,
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
  absl::StatusOr<Receipt> ApplyOne(const Device& device, const Mutation& plain, BatchState* st);
  // Copies `plain` into `*out` with its pii values pseudonymised; false (and `*out` untouched)
  // if it carries no pii value.
  absl::StatusOr<bool> Pseudonymize(const Mutation& plain, Mutation* out) const;
  Receipt Quarantine(const Device& device, const Mutation& m, Receipt receipt,
                     std::vector<FieldError> errors, std::string reason, BatchState* st);

  Store* store_;
  FormRegistry* forms_;
  LockTable* locks_;
  CommitSequencer* sequencer_;
  Clock* clock_;
  PushLimits limits_;
  const Pseudonymizer* pseudonymizer_ = nullptr;
};

}  // namespace fieldsync

#endif  // FIELDSYNC_SERVER_SYNC_PUSH_H_
