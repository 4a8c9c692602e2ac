#include "server/common/clock.h"

#include <chrono>

namespace fieldsync {

int64_t SystemClock::NowMs() const {
  return std::chrono::duration_cast<std::chrono::milliseconds>(
             std::chrono::system_clock::now().time_since_epoch())
      .count();
}

Clock* SystemClock::Default() {
  static Clock* clock = new SystemClock();
  return clock;
}

}  // namespace fieldsync
