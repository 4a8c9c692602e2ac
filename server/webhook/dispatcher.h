// WebhookDispatcher: pushes each change of the change feed to the external systems admins
// registered (DESIGN.md "Records out"), one worker thread per target, so a slow or dead target
// never slows ingest (it only reads the feed) or another target.
//
// Delivery, per target: the changes it wants (payload.h Wants) in seq order, each POSTed as
// JSON with `X-Fieldsync-Signature: sha256=<HMAC of the body under the target's secret>`,
// `Idempotency-Key: <seq>` and `X-Fieldsync-Event`. A 2xx answer delivers it; anything else
// (an error status, a timeout, a refused or cut connection) is retried after an exponential
// backoff with jitter, up to max_attempts; then the change goes to the target's dead-letter
// list (with its body) and delivery moves on. The target's checkpoint (next seq) is written
// after every change, so delivery is at-least-once: after a crash the last change may be sent
// again, and a receiver dedupes by the idempotency key. Dead letters are replayed on demand.
//
// Retention: KeepFromSeq() is the lowest checkpoint of the enabled targets; fieldsyncd passes
// it to the change-log retention, so no change an enabled target has yet to deliver is
// purged. A disabled target holds nothing back: when it is enabled again after its changes
// were purged, it skips to the oldest retained change and counts the skipped seqs in its
// status (`dropped`) and last error.
#ifndef FIELDSYNC_SERVER_WEBHOOK_DISPATCHER_H_
#define FIELDSYNC_SERVER_WEBHOOK_DISPATCHER_H_

#include <atomic>
#include <chrono>
#include <condition_variable>
#include <map>
#include <memory>
#include <mutex>
#include <string>
#include <thread>
#include <vector>

#include "absl/status/statusor.h"
#include "server/common/clock.h"
#include "server/common/model.h"
#include "server/storage/store.h"
#include "server/sync/change_feed.h"
#include "server/webhook/http_poster.h"

namespace fieldsync::webhook {

struct DispatcherOptions {
  int max_attempts = 8;                           // before a change becomes a dead letter
  std::chrono::milliseconds first_backoff{500};   // doubled per attempt ...
  std::chrono::milliseconds max_backoff{60'000};  // ... up to this; jitter takes 0-50% off
  std::chrono::milliseconds timeout{10'000};      // per request (connect, and answer)
  size_t page = 100;                              // changes read from the feed at a time
  size_t max_targets = 16;                        // one thread each
  size_t max_scopes = 64;                         // per target filter
  size_t max_forms = 64;
  size_t max_secret_bytes = 256;
  size_t min_secret_bytes = 16;
  uint64_t jitter_seed = 0;  // 0: from the clock (tests pass a seed)
};

// A target as listed: its definition (without the secret) and its delivery status.
struct TargetStatus {
  WebhookTarget target;  // secret cleared
  WebhookState state;
  uint64_t lag = 0;  // committed changes after the checkpoint (head - next_seq + 1)
  uint64_t dead_letters = 0;
};

class WebhookDispatcher {
 public:
  // None owned; all must outlive the dispatcher. `clock` stamps statuses and dead letters.
  WebhookDispatcher(Store* store, ChangeFeed* feed, HttpPoster* poster, Clock* clock,
                    DispatcherOptions options);
  ~WebhookDispatcher();  // Stop()

  // Loads the targets and starts a worker for each enabled one.
  absl::Status Start();
  // Stops the workers (a request in flight finishes or times out first). Idempotent.
  void Stop();

  // Registers a target; it receives the changes committed after this call (its checkpoint is
  // the head + 1). Assigns target_id. INVALID_ARGUMENT for a bad URL (http_poster.h), a secret
  // shorter than min_secret_bytes or longer than max_secret_bytes, no events, too many forms
  // or scopes; RESOURCE_EXHAUSTED at max_targets.
  absl::StatusOr<WebhookTarget> Add(WebhookTarget target);
  // Stops and deletes a target with its status and dead letters. NOT_FOUND if unknown.
  absl::Status Remove(const std::string& target_id);
  // Every target with its status, by id.
  absl::StatusOr<std::vector<TargetStatus>> List() const;
  // A target's dead letters by seq, at most `limit`. NOT_FOUND if the target is unknown.
  absl::StatusOr<std::vector<DeadLetter>> DeadLetters(const std::string& target_id,
                                                      size_t limit) const;
  // Sends the target's dead letters again (seq order; `seq` 0: all of them, else that one),
  // one attempt each, now; those delivered leave the list. Returns how many were delivered.
  // NOT_FOUND if the target (or that dead letter) is unknown.
  absl::StatusOr<uint64_t> Replay(const std::string& target_id, uint64_t seq);

  // The lowest seq an enabled target has yet to deliver; UINT64_MAX if none waits.
  uint64_t KeepFromSeq() const;

 private:
  struct Worker;
  void Run(Worker* w);
  // Delivers one change (with retries); false if stopped before it was settled.
  bool Deliver(Worker* w, const ChangeEntry& change);
  HttpResult Send(const WebhookTarget& t, uint64_t seq, const std::string& event,
                  const std::string& body);
  // Waits `d` or until the worker is stopped; false if stopped.
  bool Sleep(Worker* w, std::chrono::milliseconds d);
  void StartWorker(const WebhookTarget& target, const WebhookState& state);

  Store* store_;
  ChangeFeed* feed_;
  HttpPoster* poster_;
  Clock* clock_;
  DispatcherOptions options_;

  mutable std::mutex mu_;  // guards workers_; never held across I/O
  std::map<std::string, std::unique_ptr<Worker>> workers_;
  bool stopped_ = false;
  std::atomic<uint64_t> jitter_counter_{0};
};

}  // namespace fieldsync::webhook

#endif  // FIELDSYNC_SERVER_WEBHOOK_DISPATCHER_H_
