#include "client-sdk/src/hlc.h"

#include <algorithm>

namespace fieldsync::client {

HlcState NextHlc(const HlcState& last, int64_t now_ms) {
  if (now_ms > last.physical_ms) return {now_ms, 0};
  return {last.physical_ms, last.logical + 1};
}

Backoff::Backoff(int64_t initial_ms, int64_t max_ms, uint64_t seed)
    : initial_ms_(std::max<int64_t>(1, initial_ms)),
      max_ms_(std::max(initial_ms_, max_ms)),
      rng_(seed) {}

int64_t Backoff::NextDelayMs() {
  int64_t cap = initial_ms_;
  for (int i = 0; i < attempt_ && cap < max_ms_; ++i) cap *= 2;
  cap = std::min(cap, max_ms_);
  ++attempt_;
  return std::uniform_int_distribution<int64_t>(0, cap)(rng_);
}

}  // namespace fieldsync::client
