#include "server/sync/seq_floor.h"

#include <algorithm>
#include <memory>
#include <vector>

#include "gtest/gtest.h"
#include "server/storage/keys.h"
#include "server/storage/store.h"

namespace fieldsync {
namespace {

std::unique_ptr<Store> MemStore(const char* name) {
  StoreOptions o;
  o.in_memory = true;
  o.path = std::string("/mem/") + name;
  auto s = Store::Open(o);
  EXPECT_TRUE(s.ok()) << s.status();
  return *std::move(s);
}

TEST(CommitSequencerReserveTest, ReservesAChunkBeforeHandingOutSeqsBeyondIt) {
  std::vector<uint64_t> limits;
  CommitSequencer s(
      10,
      [&](uint64_t limit) {
        limits.push_back(limit);
        return absl::OkStatus();
      },
      /*chunk=*/4);
  EXPECT_EQ(s.Allocate().value(), 11u);
  ASSERT_EQ(limits.size(), 1u);
  EXPECT_EQ(limits[0], 15u);  // 11..14 are covered
  for (uint64_t want = 12; want <= 14; ++want) EXPECT_EQ(s.Allocate().value(), want);
  EXPECT_EQ(limits.size(), 1u);
  EXPECT_EQ(s.Allocate().value(), 15u);
  ASSERT_EQ(limits.size(), 2u);
  EXPECT_EQ(limits[1], 19u);
}

TEST(SeqFloorTest, EmptyStoreStartsAtZero) {
  auto store = MemStore("seqfloor-empty");
  auto head = RecoverHead(*store);
  ASSERT_TRUE(head.ok());
  EXPECT_EQ(*head, 0u);
}

TEST(SeqFloorTest, RestartNeverReusesAnAbandonedSeq) {
  auto store = MemStore("seqfloor-abandon");
  uint64_t abandoned = 0;
  {
    CommitSequencer s(0, StoreReserver(store.get()), /*chunk=*/8);
    // One change commits, the next batch's write fails: its seq is abandoned, yet readers
    // saw the visible head pass it.
    uint64_t committed = s.Allocate().value();
    ChangeEntry c;
    c.seq = committed;
    c.record_id = "r";
    Store::Batch batch;
    batch.PutChange(c);
    ASSERT_TRUE(store->Write(batch, true).ok());
    s.Finish(committed);
    abandoned = s.Allocate().value();
    s.Finish(abandoned);
    EXPECT_EQ(s.VisibleHead(), abandoned);
  }
  // The change log alone says head = 1; the reservation says more.
  auto last = store->LastChangeSeq();
  ASSERT_TRUE(last.ok());
  EXPECT_LT(*last, abandoned);
  auto head = RecoverHead(*store);
  ASSERT_TRUE(head.ok());
  EXPECT_GE(*head, abandoned);
  CommitSequencer restarted(*head, StoreReserver(store.get()), 8);
  EXPECT_GT(restarted.Allocate().value(), abandoned);
}

TEST(CommitSequencerReserveTest, FailedReservationHandsOutNothingAndIsRetried) {
  std::vector<uint64_t> limits;
  bool fail = false;
  CommitSequencer s(
      0,
      [&](uint64_t limit) {
        limits.push_back(limit);
        return fail ? absl::UnavailableError("disk gone") : absl::OkStatus();
      },
      /*chunk=*/2);
  EXPECT_EQ(s.Allocate().value(), 1u);
  EXPECT_EQ(s.Allocate().value(), 2u);
  fail = true;
  auto refused = s.Allocate();
  ASSERT_FALSE(refused.ok());
  EXPECT_EQ(refused.status().code(), absl::StatusCode::kUnavailable);
  EXPECT_FALSE(s.Allocate().ok());
  // Nothing in flight was added: finishing what was handed out moves the head to it.
  s.Finish(1);
  s.Finish(2);
  EXPECT_EQ(s.VisibleHead(), 2u);
  fail = false;
  EXPECT_EQ(s.Allocate().value(), 3u) << "the refused seq was never handed out";
  EXPECT_EQ(limits, (std::vector<uint64_t>{3, 5, 5, 5}));
}

TEST(SeqFloorTest, FailedReservationNeverLetsASeqBeReusedAfterRestart) {
  auto store = MemStore("seqfloor-fail");
  bool fail = false;
  CommitSequencer::ReserveFn durable = StoreReserver(store.get());
  auto flaky = [&](uint64_t limit) {
    return fail ? absl::UnavailableError("injected: reservation not durable") : durable(limit);
  };
  uint64_t highest = 0;
  {
    CommitSequencer s(0, flaky, /*chunk=*/4);
    // Seqs are handed out and abandoned (their batches failed), readers see the head pass
    // them, then the reservation that would cover the next ones fails.
    for (int i = 0; i < 6; ++i) {
      if (i == 4) fail = true;
      auto seq = s.Allocate();
      if (!seq.ok()) continue;
      highest = std::max(highest, *seq);
      s.Finish(*seq);
    }
    EXPECT_EQ(highest, 4u);
    EXPECT_EQ(s.VisibleHead(), highest);
  }
  fail = false;
  auto head = RecoverHead(*store);
  ASSERT_TRUE(head.ok()) << head.status();
  EXPECT_GE(*head, highest);
  CommitSequencer restarted(*head, durable, 4);
  EXPECT_GT(restarted.Allocate().value(), highest);
}

TEST(SeqFloorTest, ChangeLogAboveReservationWins) {
  auto store = MemStore("seqfloor-log");
  Store::Batch batch;
  batch.PutMeta(keys::kSeqReserved, 5);
  ChangeEntry c;
  c.seq = 9;
  batch.PutChange(c);
  ASSERT_TRUE(store->Write(batch, true).ok());
  auto head = RecoverHead(*store);
  ASSERT_TRUE(head.ok());
  EXPECT_EQ(*head, 9u);
}

}  // namespace
}  // namespace fieldsync
