#ifndef FIELDSYNC_SERVER_COMMON_CLOCK_H_
#define FIELDSYNC_SERVER_COMMON_CLOCK_H_

#include <atomic>
#include <cstdint>

namespace fieldsync {

// Source of wall-clock time. Cores take a Clock* so tests can use FakeClock. Thread-safe.
class Clock {
 public:
  virtual ~Clock() = default;
  // Milliseconds since the Unix epoch.
  virtual int64_t NowMs() const = 0;
};

class SystemClock final : public Clock {
 public:
  int64_t NowMs() const override;
  // A process-wide instance; never destroyed.
  static Clock* Default();
};

// A clock that moves only when told to. Thread-safe.
class FakeClock final : public Clock {
 public:
  explicit FakeClock(int64_t start_ms = 1'700'000'000'000) : now_ms_(start_ms) {}
  int64_t NowMs() const override { return now_ms_.load(); }
  void AdvanceMs(int64_t ms) { now_ms_ += ms; }
  void SetMs(int64_t ms) { now_ms_ = ms; }

 private:
  std::atomic<int64_t> now_ms_;
};

}  // namespace fieldsync

#endif  // FIELDSYNC_SERVER_COMMON_CLOCK_H_
