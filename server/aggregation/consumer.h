// AggregationConsumer: keeps the cells of every aggregation of every form up to date from the
// change feed. Per change it retracts what the record contributed last time (kept in the
// aggregate store) and adds its new contribution; the cells touched by one feed page, the
// records' contributions and the checkpoint are written in ONE batch, so a crash never counts
// a change twice nor misses one. It reads only the ChangeFeed and FormSource interfaces: the
// same code runs inside fieldsyncd (LocalChangeFeed) and in fieldsync-aggregator
// (RemoteChangeFeed).
//
// A change that cannot be applied because its form is unknown is skipped and counted (it
// never blocks the feed). Values that are not numbers are counted per cell as invalid
// measures. Transient errors (feed, store) leave the checkpoint where it was; the page is
// read again on the next call.
//
// Definitions: each aggregation is identified by (form_id, name) and computed with the
// latest published version of the form. Changing an aggregation's definition under the same
// name in a later form version needs a rebuild of its cells (not implemented).
//
// Thread-safe: ConsumeOnce(), Run() and Exclusive() serialise on one mutex.
#ifndef FIELDSYNC_SERVER_AGGREGATION_CONSUMER_H_
#define FIELDSYNC_SERVER_AGGREGATION_CONSUMER_H_

#include <atomic>
#include <chrono>
#include <condition_variable>
#include <cstdint>
#include <functional>
#include <mutex>
#include <string>
#include <thread>

#include "absl/status/statusor.h"
#include "server/aggregation/sources.h"
#include "server/common/clock.h"
#include "server/storage/aggregate_store.h"
#include "server/sync/change_feed.h"

namespace fieldsync::aggregation {

struct ConsumerOptions {
  size_t page = 1000;  // changes per feed read (and per write batch)
  // How long Run() waits for new changes before polling again, and after an error.
  std::chrono::milliseconds idle_wait{200};
  std::chrono::milliseconds error_backoff{500};
};

// Freshness: how far the cells are behind the feed.
struct ConsumerStatus {
  uint64_t checkpoint_seq = 0;
  uint64_t head_seq = 0;
  int64_t last_commit_time_ms = 0;
  int64_t last_poll_time_ms = 0;
  uint64_t skipped_changes = 0;
  uint64_t pages_written = 0;
  std::string last_error;
};

class AggregationConsumer {
 public:
  // None owned; all must outlive the consumer. Call Init() before anything else.
  AggregationConsumer(ChangeFeed* feed, FormSource* forms, AggregateStore* store, Clock* clock,
                      ConsumerOptions options = {});
  ~AggregationConsumer();

  // Loads the checkpoint.
  absl::Status Init();

  // Reads one page after the checkpoint and applies it. Returns the number of changes read
  // (0: caught up). Errors are transient; the checkpoint has not moved.
  absl::StatusOr<size_t> ConsumeOnce();

  // Consumes until the checkpoint reaches the head seen at the call (or an error).
  absl::Status CatchUp();

  // Starts / stops a background thread that consumes until Stop(). Stop() is idempotent.
  void Start();
  void Stop();

  // Runs fn(checkpoint) after catching up to the feed head, with consumption paused (for
  // Verify: the cells do not move while fn runs).
  absl::Status Exclusive(const std::function<absl::Status(uint64_t checkpoint)>& fn);

  ConsumerStatus status() const;

 private:
  absl::StatusOr<size_t> ConsumeLocked();
  absl::Status CatchUpLocked();  // catch up; consume_mu_ held
  void RunLoop();

  ChangeFeed* const feed_;
  FormSource* const forms_;
  AggregateStore* const store_;
  Clock* const clock_;
  const ConsumerOptions options_;

  std::mutex consume_mu_;  // one page at a time
  mutable std::mutex status_mu_;
  ConsumerStatus status_;
  AggCheckpoint checkpoint_;  // guarded by consume_mu_

  std::mutex run_mu_;
  std::condition_variable run_cv_;
  bool stopping_ = false;
  std::thread thread_;
};

}  // namespace fieldsync::aggregation

#endif  // FIELDSYNC_SERVER_AGGREGATION_CONSUMER_H_
