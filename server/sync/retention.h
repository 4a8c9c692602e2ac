// Retention of the change log: drops change-log entries older than the policy allows, with
// the scope-index entries that only they needed (tombstones, exit entries). A pull cursor
// or feed position older than what is kept gets "resync required". Thread-safe with
// concurrent pushes (record locks).
#ifndef FIELDSYNC_SERVER_SYNC_RETENTION_H_
#define FIELDSYNC_SERVER_SYNC_RETENTION_H_

#include "absl/status/statusor.h"
#include "server/sync/sync_context.h"

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
  // Nothing in `ctx` is owned; all of it must outlive this object.
  explicit Retention(const SyncContext& ctx) : ctx_(ctx) {}

  // Drops what the policy no longer keeps, at most `max_changes` per call. Returns the
  // number of change-log entries dropped.
  absl::StatusOr<uint64_t> PurgeOnce(const RetentionPolicy& policy, size_t max_changes = 10000);

 private:
  SyncContext ctx_;
};

}  // namespace fieldsync

#endif  // FIELDSYNC_SERVER_SYNC_RETENTION_H_
