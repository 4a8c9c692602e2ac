// Hands out global commit seqs and tracks which are durable, so that readers never see a seq
// while a lower one may still commit. Concurrent batches write in any order; the visible
// head is the highest seq below which every allocated seq has finished (committed or
// abandoned). Pull and the change feed read only up to the visible head, so a cursor never
// skips a change that commits late. Thread-safe.
#ifndef FIELDSYNC_SERVER_SYNC_COMMIT_SEQUENCER_H_
#define FIELDSYNC_SERVER_SYNC_COMMIT_SEQUENCER_H_

#include <chrono>
#include <condition_variable>
#include <cstdint>
#include <functional>
#include <mutex>
#include <set>

#include "absl/status/status.h"
#include "absl/status/statusor.h"

namespace fieldsync {

class CommitSequencer {
 public:
  // Durably records that no seq >= `limit` has been handed out (see seq_floor.h). Called
  // with increasing limits, before any seq at or above the previous limit is returned. An
  // error means the limit may not be durable: no seq at or above the previous limit is handed
  // out, and the next Allocate() tries again with the same limit.
  using ReserveFn = std::function<absl::Status(uint64_t limit)>;

  // `head` is the highest seq already durable or ever handed out (see RecoverHead()).
  explicit CommitSequencer(uint64_t head, ReserveFn reserve = nullptr, uint64_t chunk = 1 << 16)
      : next_(head + 1),
        visible_(head),
        reserve_(std::move(reserve)),
        chunk_(chunk),
        reserved_(head + 1) {}

  // Reserves the next seq; the caller must Finish() it, whether its write succeeded or not.
  // Fails with the ReserveFn's error when the seq lies beyond the durable reservation and
  // extending it failed: nothing is handed out then (nothing to Finish()), so a seq the store
  // does not cover never reaches a record, and a restart can never hand it out again.
  absl::StatusOr<uint64_t> Allocate() {
    std::lock_guard<std::mutex> l(mu_);
    const uint64_t s = next_;
    if (reserve_ && s >= reserved_) {
      // Rare (once per chunk): a synced write under the lock keeps limits increasing.
      if (absl::Status st = reserve_(s + chunk_); !st.ok()) return st;
      reserved_ = s + chunk_;
    }
    ++next_;
    in_flight_.insert(s);
    return s;
  }

  // Marks `seq` finished and advances the visible head; wakes waiters if it moved.
  void Finish(uint64_t seq) {
    std::lock_guard<std::mutex> l(mu_);
    in_flight_.erase(seq);
    uint64_t v = in_flight_.empty() ? next_ - 1 : *in_flight_.begin() - 1;
    if (v != visible_) {
      visible_ = v;
      cv_.notify_all();
    }
  }

  uint64_t VisibleHead() const {
    std::lock_guard<std::mutex> l(mu_);
    return visible_;
  }

  // Blocks until the visible head exceeds `seq`, `deadline` passes or `Wake()` is called.
  // Returns the visible head.
  uint64_t WaitBeyond(uint64_t seq, std::chrono::steady_clock::time_point deadline) {
    std::unique_lock<std::mutex> l(mu_);
    uint64_t wakes = wakes_;
    cv_.wait_until(l, deadline, [&] { return visible_ > seq || wakes_ != wakes; });
    return visible_;
  }

  // Wakes every waiter (shutdown).
  void Wake() {
    std::lock_guard<std::mutex> l(mu_);
    ++wakes_;
    cv_.notify_all();
  }

 private:
  mutable std::mutex mu_;
  std::condition_variable cv_;
  uint64_t next_;
  uint64_t visible_;
  uint64_t wakes_ = 0;
  std::set<uint64_t> in_flight_;
  ReserveFn reserve_;
  uint64_t chunk_;
  uint64_t reserved_;
};

}  // namespace fieldsync

#endif  // FIELDSYNC_SERVER_SYNC_COMMIT_SEQUENCER_H_
