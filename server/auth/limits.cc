#include "server/auth/limits.h"

#include <algorithm>
#include <cmath>
#include <utility>

#include "absl/strings/str_cat.h"
#include "server/common/status.h"

namespace fieldsync {

RateLimiter::RateLimiter(Clock* clock, RateLimitOptions options)
    : clock_(clock), options_(options) {}

absl::Status RateLimiter::Acquire(std::string_view device_id) {
  if (options_.per_second <= 0) return absl::OkStatus();
  const double burst = std::max(1.0, options_.burst);
  const int64_t now = clock_->NowMs();
  absl::MutexLock lock(&mu_);
  auto [it, inserted] = buckets_.try_emplace(std::string(device_id));
  Bucket& b = it->second;
  if (inserted) {
    b.tokens = burst;
  } else if (now > b.updated_ms) {
    b.tokens = std::min(burst, b.tokens + (now - b.updated_ms) * options_.per_second / 1000.0);
  }
  b.updated_ms = std::max(b.updated_ms, now);
  if (b.tokens >= 1.0) {
    b.tokens -= 1.0;
    if (buckets_.size() > sweep_at_) SweepLocked(now);
    return absl::OkStatus();
  }
  const auto wait_ms =
      static_cast<int64_t>(std::ceil((1.0 - b.tokens) * 1000.0 / options_.per_second));
  return WithRetryDelay(
      absl::ResourceExhaustedError(absl::StrCat("request rate over ", options_.per_second,
                                                "/s for this device; retry in ", wait_ms, " ms")),
      wait_ms);
}

void RateLimiter::SweepLocked(int64_t now_ms) {
  const double burst = std::max(1.0, options_.burst);
  for (auto it = buckets_.begin(); it != buckets_.end();) {
    const double refilled =
        it->second.tokens + (now_ms - it->second.updated_ms) * options_.per_second / 1000.0;
    if (refilled >= burst) {
      buckets_.erase(it++);
    } else {
      ++it;
    }
  }
  // Amortised: the next sweep waits until the table has doubled again.
  sweep_at_ = std::max<size_t>(1024, 2 * buckets_.size());
}

size_t RateLimiter::tracked_devices() const {
  absl::MutexLock lock(&mu_);
  return buckets_.size();
}

StreamLimiter::Lease& StreamLimiter::Lease::operator=(Lease&& o) noexcept {
  if (this != &o) {
    Release();
    owner_ = o.owner_;
    device_id_ = std::move(o.device_id_);
    o.owner_ = nullptr;
  }
  return *this;
}

void StreamLimiter::Lease::Release() {
  if (owner_ != nullptr) owner_->Release(device_id_);
  owner_ = nullptr;
}

absl::StatusOr<StreamLimiter::Lease> StreamLimiter::Acquire(std::string_view device_id) {
  absl::MutexLock lock(&mu_);
  if (options_.total != 0 && total_ >= options_.total) {
    return WithRetryDelay(absl::ResourceExhaustedError(absl::StrCat(
                              "the server holds its maximum of ", options_.total, " streams")),
                          1000);
  }
  size_t& n = active_[std::string(device_id)];
  if (options_.per_device != 0 && n >= options_.per_device) {
    return WithRetryDelay(absl::ResourceExhaustedError(absl::StrCat(
                              "at most ", options_.per_device, " concurrent streams per device")),
                          1000);
  }
  ++n;
  ++total_;
  return Lease(this, std::string(device_id));
}

void StreamLimiter::Release(const std::string& device_id) {
  absl::MutexLock lock(&mu_);
  auto it = active_.find(device_id);
  if (it == active_.end()) return;
  --total_;
  if (--it->second == 0) active_.erase(it);
}

size_t StreamLimiter::active(std::string_view device_id) const {
  absl::MutexLock lock(&mu_);
  auto it = active_.find(std::string(device_id));
  return it == active_.end() ? 0 : it->second;
}

size_t StreamLimiter::total_active() const {
  absl::MutexLock lock(&mu_);
  return total_;
}

}  // namespace fieldsync
