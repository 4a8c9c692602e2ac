// Retention of the change log: drops change-log entries older than the policy allows, with
// the scope-index entries that only they needed (tombstones, exit entries). A pull cursor
// or feed position older than what is kept gets "resync required". Thread-safe with
// concurrent pushes (record locks).
#ifndef FIELDSYNC_SERVER_SYNC_RETENTION_H_
#define FIELDSYNC_SERVER_SYNC_RETENTION_H_

#include "absl/status/statusor.h"
#include "server/common/clock.h"
#include "server/forms/form_registry.h"
#include "server/storage/store.h"
#include "server/sync/commit_sequencer.h"
#include "server/sync/lock_table.h"

namespace fieldsync {

struct RetentionPolicy {
  // Keep at least this many of the newest changes.
  uint64_t keep_changes = 10'000'000;
  // And every change younger than this (0: no age rule).
  int64_t keep_ms = 30LL * 24 * 3600 * 1000;
  // And every change with seq >= this: the next seq a consumer that must never lose the feed
  // (the embedded aggregation consumer) has yet to read. 0: no such consumer.
  uint64_t keep_from_seq = 0;
};

class Retention {
 public:
  Retention(Store* store, FormRegistry* forms, LockTable* locks, CommitSequencer* sequencer,
            Clock* clock)
      : store_(store), forms_(forms), locks_(locks), sequencer_(sequencer), clock_(clock) {}

  // Drops what the policy no longer keeps, at most `max_changes` per call. Returns the
  // number of change-log entries dropped.
  absl::StatusOr<uint64_t> PurgeOnce(const RetentionPolicy& policy, size_t max_changes = 10000);

 private:
  Store* store_;
  FormRegistry* forms_;
  LockTable* locks_;
  CommitSequencer* sequencer_;
  Clock* clock_;
};

}  // namespace fieldsync

#endif  // FIELDSYNC_SERVER_SYNC_RETENTION_H_
