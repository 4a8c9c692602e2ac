// AttemptLimiter: caps failed attempts (e.g. enrollment codes tried) per peer address and
// over all peers, in fixed windows, so a guesser gets a few tries per window and no more.
// Thread-safe.
//
// Memory: at most `max_peers` peers are tracked; when the table is full, windows that have
// ended are dropped, and a peer that still finds no room is held to the global limit only
// (which every failure counts against anyway).
#ifndef FIELDSYNC_SERVER_AUTH_ATTEMPT_LIMITER_H_
#define FIELDSYNC_SERVER_AUTH_ATTEMPT_LIMITER_H_

#include <cstdint>
#include <mutex>
#include <string>
#include <string_view>
#include <unordered_map>

#include "absl/status/status.h"
#include "server/common/clock.h"

namespace fieldsync {

struct AttemptLimits {
  uint32_t per_peer = 10;  // failures per peer per window
  uint32_t global = 100;   // failures over all peers per window
  int64_t window_ms = 10 * 60 * 1000;
  size_t max_peers = 10'000;
};

class AttemptLimiter {
 public:
  // `clock` is not owned and must outlive the limiter.
  AttemptLimiter(Clock* clock, AttemptLimits limits) : clock_(clock), limits_(limits) {}

  // OK if `peer` may try now; RESOURCE_EXHAUSTED carrying the delay until the window ends
  // (WithRetryDelay) once it, or all peers together, used up their failures. Counts nothing.
  absl::Status Check(std::string_view peer);

  // Counts one failed attempt of `peer` (and of all peers).
  void RecordFailure(std::string_view peer);

  size_t tracked_peers() const;

 private:
  struct Window {
    int64_t start_ms = 0;
    uint32_t failures = 0;
  };
  // Restarts `w` if its window has ended at `now`.
  void Roll(Window* w, int64_t now) const;

  Clock* const clock_;
  const AttemptLimits limits_;
  mutable std::mutex mu_;
  Window global_;                                  // guarded by mu_
  std::unordered_map<std::string, Window> peers_;  // guarded by mu_
};

// The address part of a gRPC peer string ("ipv4:10.0.0.7:51234" -> "ipv4:10.0.0.7",
// "ipv6:[::1]:4000" -> "ipv6:[::1]"): attempts from one host share a limit across ports.
std::string PeerHost(std::string_view grpc_peer);

}  // namespace fieldsync

#endif  // FIELDSYNC_SERVER_AUTH_ATTEMPT_LIMITER_H_
