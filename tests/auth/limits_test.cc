#include "server/auth/limits.h"

#include <optional>
#include <thread>
#include <vector>

#include "gtest/gtest.h"
#include "server/common/clock.h"
#include "server/common/status.h"

namespace fieldsync {
namespace {

TEST(RateLimiterTest, BurstThenRefusedWithRetryDelayThenRefills) {
  FakeClock clock;
  RateLimiter limiter(&clock, {/*per_second=*/10, /*burst=*/3});
  for (int i = 0; i < 3; ++i) EXPECT_TRUE(limiter.Acquire("tab-1").ok()) << i;
  absl::Status refused = limiter.Acquire("tab-1");
  EXPECT_EQ(refused.code(), absl::StatusCode::kResourceExhausted);
  // 10/s: the next token is 100 ms away.
  EXPECT_EQ(RetryDelayMs(refused), 100);
  // A refused request takes nothing: after exactly the advertised delay it succeeds.
  clock.AdvanceMs(99);
  EXPECT_FALSE(limiter.Acquire("tab-1").ok());
  clock.AdvanceMs(1);
  EXPECT_TRUE(limiter.Acquire("tab-1").ok());
  EXPECT_FALSE(limiter.Acquire("tab-1").ok());
}

TEST(RateLimiterTest, DevicesHaveSeparateBuckets) {
  FakeClock clock;
  RateLimiter limiter(&clock, {1, 2});
  EXPECT_TRUE(limiter.Acquire("a").ok());
  EXPECT_TRUE(limiter.Acquire("a").ok());
  EXPECT_FALSE(limiter.Acquire("a").ok());
  EXPECT_TRUE(limiter.Acquire("b").ok());
  EXPECT_TRUE(limiter.Acquire("b").ok());
}

TEST(RateLimiterTest, SustainedRateIsTheConfiguredRate) {
  FakeClock clock;
  RateLimiter limiter(&clock, {50, 1});
  int granted = 0;
  // 10 simulated seconds in 1 ms steps, trying every millisecond.
  for (int ms = 0; ms < 10'000; ++ms) {
    if (limiter.Acquire("busy").ok()) ++granted;
    clock.AdvanceMs(1);
  }
  EXPECT_GE(granted, 499);
  EXPECT_LE(granted, 501);
}

TEST(RateLimiterTest, BucketNeverExceedsBurstAfterLongIdle) {
  FakeClock clock;
  RateLimiter limiter(&clock, {100, 5});
  EXPECT_TRUE(limiter.Acquire("x").ok());
  clock.AdvanceMs(3'600'000);
  for (int i = 0; i < 5; ++i) EXPECT_TRUE(limiter.Acquire("x").ok());
  EXPECT_FALSE(limiter.Acquire("x").ok());
}

TEST(RateLimiterTest, ZeroRateDisablesTheLimit) {
  FakeClock clock;
  RateLimiter limiter(&clock, {0, 1});
  for (int i = 0; i < 1000; ++i) ASSERT_TRUE(limiter.Acquire("x").ok());
  EXPECT_EQ(limiter.tracked_devices(), 0u);
}

TEST(RateLimiterTest, IdleDevicesAreForgottenSoMemoryIsBounded) {
  FakeClock clock;
  RateLimiter limiter(&clock, {10, 10});  // a bucket refills in one second
  for (int i = 0; i < 5000; ++i) {
    ASSERT_TRUE(limiter.Acquire("dev-" + std::to_string(i)).ok());
    clock.AdvanceMs(2);  // 5000 devices over 10 s, each seen once
  }
  // Only devices seen in the last ~second (plus the amortisation slack) remain.
  EXPECT_LT(limiter.tracked_devices(), 2048u);
  EXPECT_GT(limiter.tracked_devices(), 0u);
}

TEST(StreamLimiterTest, PerDeviceSlotsAreReleasedWithTheLease) {
  StreamLimiter limiter({/*per_device=*/2, /*total=*/0});
  auto a = limiter.Acquire("tab-1");
  auto b = limiter.Acquire("tab-1");
  ASSERT_TRUE(a.ok());
  ASSERT_TRUE(b.ok());
  auto c = limiter.Acquire("tab-1");
  EXPECT_EQ(c.status().code(), absl::StatusCode::kResourceExhausted);
  EXPECT_EQ(RetryDelayMs(c.status()), 1000);
  EXPECT_EQ(limiter.active("tab-1"), 2u);
  // Another device is unaffected.
  EXPECT_TRUE(limiter.Acquire("tab-2").ok());
  { StreamLimiter::Lease gone = std::move(*a); }
  EXPECT_EQ(limiter.active("tab-1"), 1u);
  EXPECT_TRUE(limiter.Acquire("tab-1").ok());  // the temporary lease is released at once
  EXPECT_EQ(limiter.active("tab-1"), 1u);
}

TEST(StreamLimiterTest, TotalLimitAcrossDevices) {
  StreamLimiter limiter({/*per_device=*/0, /*total=*/3});
  std::vector<StreamLimiter::Lease> leases;
  for (int i = 0; i < 3; ++i) {
    auto l = limiter.Acquire("d" + std::to_string(i));
    ASSERT_TRUE(l.ok());
    leases.push_back(std::move(*l));
  }
  EXPECT_EQ(limiter.Acquire("d9").status().code(), absl::StatusCode::kResourceExhausted);
  EXPECT_EQ(limiter.total_active(), 3u);
  leases.pop_back();
  EXPECT_EQ(limiter.total_active(), 2u);
  EXPECT_TRUE(limiter.Acquire("d9").ok());
}

TEST(StreamLimiterTest, MovedFromAndReassignedLeasesReleaseExactlyOnce) {
  StreamLimiter limiter({1, 0});
  auto first = limiter.Acquire("x");
  ASSERT_TRUE(first.ok());
  StreamLimiter::Lease moved = std::move(*first);
  EXPECT_FALSE(first->held());
  EXPECT_TRUE(moved.held());
  EXPECT_EQ(limiter.active("x"), 1u);
  StreamLimiter::Lease other;
  other = std::move(moved);
  EXPECT_EQ(limiter.active("x"), 1u);
  other = StreamLimiter::Lease();
  EXPECT_EQ(limiter.active("x"), 0u);
  EXPECT_EQ(limiter.total_active(), 0u);
}

TEST(StreamLimiterTest, ConcurrentAcquireNeverExceedsTheLimit) {
  StreamLimiter limiter({3, 0});
  std::atomic<int> max_seen{0};
  std::vector<std::thread> threads;
  for (int t = 0; t < 8; ++t) {
    threads.emplace_back([&] {
      for (int i = 0; i < 2000; ++i) {
        auto l = limiter.Acquire("shared");
        if (!l.ok()) continue;
        int now = static_cast<int>(limiter.active("shared"));
        int prev = max_seen.load();
        while (now > prev && !max_seen.compare_exchange_weak(prev, now)) {
        }
      }
    });
  }
  for (auto& t : threads) t.join();
  EXPECT_LE(max_seen.load(), 3);
  EXPECT_GE(max_seen.load(), 1);
  EXPECT_EQ(limiter.active("shared"), 0u);
}

}  // namespace
}  // namespace fieldsync
