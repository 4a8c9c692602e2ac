// The one commit path of record changes, shared by push (and bundle import through it),
// conflict resolution and quarantine replay (server/admin): the record's new state, its
// change-log entry and its per-scope change-index moves are staged into one batch under the
// next global seq; the caller adds what goes with them (receipts, device state, conflicts,
// quarantine moves); the batch is written in one synced write (optionally with its audit
// entry); then every seq allocated is finished, written or not, so a failed write never stalls
// readers of the visible head. The caller holds the LockTable keys of the records and devices
// it reads and writes, from its reads until Write() returns.
#ifndef FIELDSYNC_SERVER_SYNC_COMMIT_H_
#define FIELDSYNC_SERVER_SYNC_COMMIT_H_

#include <cstdint>
#include <functional>
#include <string>
#include <vector>

#include "absl/status/statusor.h"
#include "server/common/model.h"
#include "server/forms/form_schema.h"
#include "server/storage/store.h"
#include "server/sync/commit_sequencer.h"

namespace fieldsync {

// Writes a finished batch durably. The default is Store::Write(batch, sync=true); the admin
// cores pass one that adds the audit entry to the same batch (AuditLog::CommitWith).
using BatchCommitFn = std::function<absl::Status(Store::Batch& batch)>;

// One commit. Not thread-safe: one per batch, on one thread.
class RecordCommit {
 public:
  // `store` and `sequencer` are not owned and must outlive this object.
  RecordCommit(Store* store, CommitSequencer* sequencer) : store_(store), sequencer_(sequencer) {}
  // Finishes every seq allocated (whether Write() ran, succeeded or failed).
  ~RecordCommit();
  RecordCommit(const RecordCommit&) = delete;
  RecordCommit& operator=(const RecordCommit&) = delete;

  // Everything staged so far; the caller adds the writes that go with the record changes.
  Store::Batch& batch() { return batch_; }

  // Stages `next`, the new state of a record whose previous state is `current` (nullptr when it
  // is created): allocates the next global seq, sets next->seq, and adds the record, its
  // change-log entry (with `changes`, written by `writer_device` at `now_ms`) and the moves of
  // its per-scope change-index entries to the batch. Returns the seq, or the error of a seq
  // reservation that failed (CommitSequencer::Allocate); nothing is staged then, and the
  // caller must fail its commit.
  absl::StatusOr<uint64_t> StageRecordChange(const FormSchema& schema, const Record* current,
                                             Record* next, std::vector<FieldChange> changes,
                                             const std::string& writer_device, int64_t now_ms);

  // Writes the batch durably, through `commit` if given (which must write it synced), else
  // Store::Write(batch, sync=true). Call at most once. On error nothing was written.
  absl::Status Write(const BatchCommitFn& commit = nullptr);

 private:
  Store* store_;
  CommitSequencer* sequencer_;
  Store::Batch batch_;
  std::vector<uint64_t> seqs_;
};

}  // namespace fieldsync

#endif  // FIELDSYNC_SERVER_SYNC_COMMIT_H_
