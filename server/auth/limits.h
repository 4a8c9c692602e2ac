// Per-device abuse limits: a request rate (token bucket) and a number of concurrent streams.
// Pure cores over a Clock; rpc/auth_guard.h applies them to every authenticated call, so the
// key is always an authenticated device id (a caller without a valid token never gets here and
// cannot make these tables grow).
#ifndef FIELDSYNC_SERVER_AUTH_LIMITS_H_
#define FIELDSYNC_SERVER_AUTH_LIMITS_H_

#include <cstddef>
#include <cstdint>
#include <string>
#include <string_view>

#include "absl/base/thread_annotations.h"
#include "absl/container/flat_hash_map.h"
#include "absl/status/status.h"
#include "absl/status/statusor.h"
#include "absl/synchronization/mutex.h"
#include "server/common/clock.h"

namespace fieldsync {

struct RateLimitOptions {
  // Sustained requests per second per device; 0 disables the limit.
  double per_second = 200;
  // Requests a device may make at once after being idle (bucket size, at least 1).
  double burst = 400;
};

// A token bucket per device. Thread-safe.
//
// Memory: one entry per device that made a request within the last burst/per_second seconds;
// idle entries are dropped (an absent entry is a full bucket), so the table is bounded by the
// number of recently active devices, not by the size of the fleet.
class RateLimiter {
 public:
  // `clock` is not owned and must outlive the limiter.
  RateLimiter(Clock* clock, RateLimitOptions options);

  // Takes one request token for `device_id`. RESOURCE_EXHAUSTED when the bucket is empty,
  // carrying (WithRetryDelay, server/common/status.h) the time until a token is available.
  // A refused request takes nothing.
  absl::Status Acquire(std::string_view device_id);

  // Devices currently tracked (for tests and metrics).
  size_t tracked_devices() const;

 private:
  struct Bucket {
    double tokens = 0;
    int64_t updated_ms = 0;
  };
  // Drops entries whose bucket is full again at `now_ms`.
  void SweepLocked(int64_t now_ms) ABSL_EXCLUSIVE_LOCKS_REQUIRED(mu_);

  Clock* const clock_;
  const RateLimitOptions options_;
  mutable absl::Mutex mu_;
  absl::flat_hash_map<std::string, Bucket> buckets_ ABSL_GUARDED_BY(mu_);
  size_t sweep_at_ ABSL_GUARDED_BY(mu_) = 1024;
};

struct StreamLimitOptions {
  // Concurrent streaming calls (Push, Pull, Changes) one device may hold; 0: no limit.
  size_t per_device = 4;
  // Concurrent streaming calls over all devices; 0: no limit.
  size_t total = 512;
};

// Counts open streams per device. Thread-safe.
class StreamLimiter {
 public:
  explicit StreamLimiter(StreamLimitOptions options) : options_(options) {}

  // A held stream slot; the slot is released when the lease is destroyed (the call ended,
  // however it ended). Move-only. A default-constructed lease holds nothing.
  class Lease {
   public:
    Lease() = default;
    Lease(Lease&& o) noexcept : owner_(o.owner_), device_id_(std::move(o.device_id_)) {
      o.owner_ = nullptr;
    }
    Lease& operator=(Lease&& o) noexcept;
    Lease(const Lease&) = delete;
    Lease& operator=(const Lease&) = delete;
    ~Lease() { Release(); }
    bool held() const { return owner_ != nullptr; }

   private:
    friend class StreamLimiter;
    Lease(StreamLimiter* owner, std::string device_id)
        : owner_(owner), device_id_(std::move(device_id)) {}
    void Release();
    StreamLimiter* owner_ = nullptr;
    std::string device_id_;
  };

  // A slot for one more stream of `device_id`. RESOURCE_EXHAUSTED (with a retry delay of one
  // second) if the device or the server already holds its maximum.
  absl::StatusOr<Lease> Acquire(std::string_view device_id);

  size_t active(std::string_view device_id) const;
  size_t total_active() const;

 private:
  void Release(const std::string& device_id);

  const StreamLimitOptions options_;
  mutable absl::Mutex mu_;
  absl::flat_hash_map<std::string, size_t> active_ ABSL_GUARDED_BY(mu_);
  size_t total_ ABSL_GUARDED_BY(mu_) = 0;
};

// The limits every authenticated call is held to (see rpc/auth_guard.h).
struct DeviceLimits {
  DeviceLimits(Clock* clock, RateLimitOptions rate_options, StreamLimitOptions stream_options)
      : rate(clock, rate_options), streams(stream_options) {}
  RateLimiter rate;
  StreamLimiter streams;
};

}  // namespace fieldsync

#endif  // FIELDSYNC_SERVER_AUTH_LIMITS_H_
