#include "server/auth/attempt_limiter.h"

#include "absl/strings/str_cat.h"
#include "server/common/status.h"

namespace fieldsync {

void AttemptLimiter::Roll(Window* w, int64_t now) const {
  if (now - w->start_ms >= limits_.window_ms || now < w->start_ms) {
    w->start_ms = now;
    w->failures = 0;
  }
}

absl::Status AttemptLimiter::Check(std::string_view peer) {
  const int64_t now = clock_->NowMs();
  std::lock_guard<std::mutex> lock(mu_);
  Roll(&global_, now);
  if (global_.failures >= limits_.global) {
    return WithRetryDelay(
        absl::ResourceExhaustedError("too many failed attempts on this server; retry later"),
        global_.start_ms + limits_.window_ms - now);
  }
  auto it = peers_.find(std::string(peer));
  if (it == peers_.end()) return absl::OkStatus();
  Roll(&it->second, now);
  if (it->second.failures >= limits_.per_peer) {
    return WithRetryDelay(
        absl::ResourceExhaustedError("too many failed attempts from this address; retry later"),
        it->second.start_ms + limits_.window_ms - now);
  }
  return absl::OkStatus();
}

void AttemptLimiter::RecordFailure(std::string_view peer) {
  const int64_t now = clock_->NowMs();
  std::lock_guard<std::mutex> lock(mu_);
  Roll(&global_, now);
  ++global_.failures;
  std::string key(peer);
  auto it = peers_.find(key);
  if (it == peers_.end()) {
    if (peers_.size() >= limits_.max_peers) {
      for (auto p = peers_.begin(); p != peers_.end();) {
        if (now - p->second.start_ms >= limits_.window_ms) {
          p = peers_.erase(p);
        } else {
          ++p;
        }
      }
      if (peers_.size() >= limits_.max_peers) return;  // the global limit still holds
    }
    it = peers_.emplace(std::move(key), Window{now, 0}).first;
  }
  Roll(&it->second, now);
  ++it->second.failures;
}

size_t AttemptLimiter::tracked_peers() const {
  std::lock_guard<std::mutex> lock(mu_);
  return peers_.size();
}

std::string PeerHost(std::string_view grpc_peer) {
  // "ipv4:a.b.c.d:port", "ipv6:[addr]:port", "unix:/path": drop a trailing ":port".
  const size_t colon = grpc_peer.rfind(':');
  const size_t first = grpc_peer.find(':');
  if (colon == std::string_view::npos || colon == first) return std::string(grpc_peer);
  std::string_view port = grpc_peer.substr(colon + 1);
  if (port.empty() || port.find_first_not_of("0123456789") != std::string_view::npos) {
    return std::string(grpc_peer);
  }
  return std::string(grpc_peer.substr(0, colon));
}

}  // namespace fieldsync
