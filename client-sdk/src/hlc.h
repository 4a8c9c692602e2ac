// The device's hybrid logical clock and the retry backoff: small pure pieces of the engine.
#ifndef FIELDSYNC_CLIENT_SDK_SRC_HLC_H_
#define FIELDSYNC_CLIENT_SDK_SRC_HLC_H_

#include <cstdint>
#include <random>

namespace fieldsync::client {

struct HlcState {
  int64_t physical_ms = 0;
  uint32_t logical = 0;
};

// The next stamp after `last` at wall time `now_ms`: the physical part never goes back (a
// clock set backwards keeps the last physical time and counts up the logical part).
HlcState NextHlc(const HlcState& last, int64_t now_ms);

// Exponential backoff with full jitter: the n-th delay is uniform in
// [0, min(max_ms, initial_ms * 2^n)]. Reset() after progress. Not thread-safe.
class Backoff {
 public:
  Backoff(int64_t initial_ms, int64_t max_ms, uint64_t seed);
  int64_t NextDelayMs();
  void Reset() { attempt_ = 0; }

 private:
  int64_t initial_ms_;
  int64_t max_ms_;
  int attempt_ = 0;
  std::mt19937_64 rng_;
};

}  // namespace fieldsync::client

#endif  // FIELDSYNC_CLIENT_SDK_SRC_HLC_H_
