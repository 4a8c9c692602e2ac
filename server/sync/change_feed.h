// The change feed (DESIGN.md "Pull and the change feed"): every applied change in seq order
// with before/after values, for the aggregation service and exporters. An interface, so a
// consumer can read the in-process feed or, later, one published to a streaming engine.
#ifndef FIELDSYNC_SERVER_SYNC_CHANGE_FEED_H_
#define FIELDSYNC_SERVER_SYNC_CHANGE_FEED_H_

#include <chrono>
#include <vector>

#include "absl/status/statusor.h"
#include "server/common/model.h"
#include "server/storage/store.h"
#include "server/sync/commit_sequencer.h"

namespace fieldsync {

struct ChangeBatch {
  std::vector<ChangeEntry> changes;
  // The highest committed seq when the batch was read.
  uint64_t head_seq = 0;
};

class ChangeFeed {
 public:
  virtual ~ChangeFeed() = default;
  // Committed changes with seq >= from_seq, ascending, at most `limit`. Seqs may have gaps
  // (a batch that failed to write). FAILED_PRECONDITION if from_seq is older than the
  // retained log: the consumer must rebuild from records.
  virtual absl::StatusOr<ChangeBatch> Read(uint64_t from_seq, size_t limit) = 0;
  // Blocks until a change with seq > after_seq is committed, the deadline passes or
  // Shutdown(); returns the committed head.
  virtual uint64_t Wait(uint64_t after_seq, std::chrono::steady_clock::time_point deadline) = 0;
};

// The feed read from this process's store.
class LocalChangeFeed final : public ChangeFeed {
 public:
  LocalChangeFeed(Store* store, CommitSequencer* sequencer)
      : store_(store), sequencer_(sequencer) {}
  absl::StatusOr<ChangeBatch> Read(uint64_t from_seq, size_t limit) override;
  uint64_t Wait(uint64_t after_seq, std::chrono::steady_clock::time_point deadline) override;

 private:
  Store* store_;
  CommitSequencer* sequencer_;
};

}  // namespace fieldsync

#endif  // FIELDSYNC_SERVER_SYNC_CHANGE_FEED_H_
