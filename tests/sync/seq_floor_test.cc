#include "server/sync/seq_floor.h"

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
      10, [&](uint64_t limit) { limits.push_back(limit); }, /*chunk=*/4);
  EXPECT_EQ(s.Allocate(), 11u);
  ASSERT_EQ(limits.size(), 1u);
  EXPECT_EQ(limits[0], 15u);  // 11..14 are covered
  for (uint64_t want = 12; want <= 14; ++want) EXPECT_EQ(s.Allocate(), want);
  EXPECT_EQ(limits.size(), 1u);
  EXPECT_EQ(s.Allocate(), 15u);
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
    uint64_t committed = s.Allocate();
    ChangeEntry c;
    c.seq = committed;
    c.record_id = "r";
    Store::Batch batch;
    batch.PutChange(c);
    ASSERT_TRUE(store->Write(batch, true).ok());
    s.Finish(committed);
    abandoned = s.Allocate();
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
  EXPECT_GT(restarted.Allocate(), abandoned);
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
