#include "server/sync/commit_sequencer.h"

#include <chrono>
#include <cstdint>
#include <future>
#include <memory>
#include <string>
#include <vector>

#include "gtest/gtest.h"
#include "server/sync/lock_table.h"
#include "server/sync/scope.h"

namespace fieldsync {
namespace {

using std::chrono::steady_clock;

// Generous: only reached if a wake-up is lost, which is the failure being tested for.
constexpr auto kLongWait = std::chrono::seconds(20);
// Long enough for a new thread to reach its wait in practice; a test that finishes a seq
// before the waiter waits would not notice a lost wake-up.
constexpr auto kSettle = std::chrono::milliseconds(50);

TEST(CommitSequencerTest, StartsAtTheDurableHead) {
  CommitSequencer s(41);
  EXPECT_EQ(s.VisibleHead(), 41u);
  EXPECT_EQ(s.Allocate().value(), 42u);
  EXPECT_EQ(s.Allocate().value(), 43u);
  EXPECT_EQ(s.VisibleHead(), 41u);
}

TEST(CommitSequencerTest, VisibleHeadWaitsForTheLowestInFlightSeq) {
  CommitSequencer s(0);
  const uint64_t a = s.Allocate().value();  // 1
  const uint64_t b = s.Allocate().value();  // 2
  const uint64_t c = s.Allocate().value();  // 3
  ASSERT_EQ(a, 1u);
  ASSERT_EQ(c, 3u);
  s.Finish(c);
  EXPECT_EQ(s.VisibleHead(), 0u) << "1 and 2 may still commit";
  s.Finish(b);
  EXPECT_EQ(s.VisibleHead(), 0u);
  s.Finish(a);
  EXPECT_EQ(s.VisibleHead(), 3u);

  const uint64_t d = s.Allocate().value();  // 4
  const uint64_t e = s.Allocate().value();  // 5
  s.Finish(d);
  EXPECT_EQ(s.VisibleHead(), 4u);
  const uint64_t f = s.Allocate().value();  // 6
  s.Finish(f);
  EXPECT_EQ(s.VisibleHead(), 4u);
  s.Finish(e);
  EXPECT_EQ(s.VisibleHead(), 6u);
}

TEST(CommitSequencerTest, WaitBeyondReturnsAtOnceIfAlreadyBeyond) {
  CommitSequencer s(5);
  const auto start = steady_clock::now();
  EXPECT_EQ(s.WaitBeyond(4, start + kLongWait), 5u);
  EXPECT_LT(steady_clock::now() - start, std::chrono::seconds(5));
}

TEST(CommitSequencerTest, WaitBeyondReturnsOnFinish) {
  CommitSequencer s(0);
  const uint64_t seq = s.Allocate().value();
  auto waiter = std::async(std::launch::async,
                           [&] { return s.WaitBeyond(0, steady_clock::now() + kLongWait); });
  // Nothing finished: the waiter must still be blocked (and by now most likely waiting).
  ASSERT_EQ(waiter.wait_for(kSettle), std::future_status::timeout);
  s.Finish(seq);
  ASSERT_EQ(waiter.wait_for(std::chrono::seconds(10)), std::future_status::ready)
      << "Finish did not wake the waiter";
  EXPECT_EQ(waiter.get(), 1u);
}

TEST(CommitSequencerTest, WaitBeyondIgnoresFinishBelowAGap) {
  CommitSequencer s(0);
  const uint64_t first = s.Allocate().value();
  const uint64_t second = s.Allocate().value();
  s.Finish(second);  // head stays 0: first is in flight
  EXPECT_EQ(s.WaitBeyond(0, steady_clock::now()), 0u);
  auto waiter = std::async(std::launch::async,
                           [&] { return s.WaitBeyond(0, steady_clock::now() + kLongWait); });
  ASSERT_EQ(waiter.wait_for(kSettle), std::future_status::timeout);
  s.Finish(first);
  ASSERT_EQ(waiter.wait_for(std::chrono::seconds(10)), std::future_status::ready);
  EXPECT_EQ(waiter.get(), 2u);
}

TEST(CommitSequencerTest, WaitBeyondReturnsOnDeadline) {
  CommitSequencer s(7);
  s.Allocate().value();  // never finished
  const auto start = steady_clock::now();
  EXPECT_EQ(s.WaitBeyond(7, start + std::chrono::milliseconds(20)), 7u);
  const auto waited = steady_clock::now() - start;
  EXPECT_GE(waited, std::chrono::milliseconds(20));
  EXPECT_LT(waited, std::chrono::seconds(5));
  // A deadline already past returns at once.
  EXPECT_EQ(s.WaitBeyond(7, start), 7u);
}

TEST(CommitSequencerTest, WakeReleasesWaiters) {
  CommitSequencer s(0);
  auto waiter = std::async(std::launch::async,
                           [&] { return s.WaitBeyond(0, steady_clock::now() + kLongWait); });
  // Wake until the waiter has returned: a Wake() before it starts waiting is not remembered.
  const auto give_up = steady_clock::now() + std::chrono::seconds(10);
  while (waiter.wait_for(std::chrono::milliseconds(1)) != std::future_status::ready &&
         steady_clock::now() < give_up) {
    s.Wake();
  }
  ASSERT_EQ(waiter.wait_for(std::chrono::seconds(0)), std::future_status::ready);
  EXPECT_EQ(waiter.get(), 0u);
}

TEST(LockTableTest, DuplicateKeysDoNotDeadlock) {
  LockTable locks;
  {
    LockTable::Guard g = locks.Lock({"dtab-1", "rrec-1", "rrec-1", "rrec-2"});
    EXPECT_EQ(locks.HeldCount(), 3u);
  }
  EXPECT_EQ(locks.HeldCount(), 0u);
  LockTable::Guard again = locks.Lock({"rrec-1"});
  EXPECT_EQ(locks.HeldCount(), 1u);
  // Moving a guard keeps the keys held once; destroying the moved-from one releases nothing.
  {
    LockTable::Guard moved = std::move(again);
    EXPECT_EQ(locks.HeldCount(), 1u);
  }
  EXPECT_EQ(locks.HeldCount(), 0u);
}

TEST(LockTableTest, GuardHoldsUntilDestroyed) {
  LockTable locks;
  auto guard = std::make_unique<LockTable::Guard>(locks.Lock({"rrec-1"}));
  auto other = std::async(std::launch::async, [&] { LockTable::Guard g = locks.Lock({"rrec-1"}); });
  EXPECT_EQ(other.wait_for(std::chrono::milliseconds(20)), std::future_status::timeout);
  guard.reset();
  ASSERT_EQ(other.wait_for(std::chrono::seconds(10)), std::future_status::ready);
}

TEST(ScopeTest, InScope) {
  Device d;
  d.scopes = {{"governorate", "Ninewa"}, {"team", "T1"}};
  EXPECT_TRUE(InScope(d, {{"governorate", "Ninewa"}}));
  EXPECT_TRUE(InScope(d, {{"governorate", "Anbar"}, {"team", "T1"}}));
  EXPECT_FALSE(InScope(d, {{"governorate", "Anbar"}, {"team", "T2"}}));
  EXPECT_FALSE(InScope(d, {{"team", "Ninewa"}}));  // the field matters, not just the value
  EXPECT_FALSE(InScope(d, {}));
  Device admin;
  admin.all_scopes = true;
  EXPECT_TRUE(InScope(admin, {}));
  EXPECT_TRUE(InScope(admin, {{"governorate", "Anbar"}}));
  EXPECT_EQ(FormWidePair(), (ScopePair{"", ""}));
}

}  // namespace
}  // namespace fieldsync
