#include "server/sync/change_feed.h"

#include <chrono>
#include <cstdint>
#include <string>
#include <vector>

#include "gmock/gmock.h"
#include "gtest/gtest.h"
#include "tests/sync/sync_fixture.h"

namespace fieldsync::sync_test {
namespace {

using ::testing::ElementsAre;
using ::testing::IsEmpty;
using ::testing::SizeIs;

class ChangeFeedTest : public SyncFixture {
 protected:
  void SetUp() override {
    SyncFixture::SetUp();
    // seq 1: create; 2: edit; 3: another record; 4: delete of the first.
    ASSERT_EQ(PushNext(tab_, Create(0, "rec-1", Household("Ninewa", 4), At(1, "tab-1"))).outcome,
              Outcome::kApplied);
    ASSERT_EQ(
        PushNext(tab_, Upsert(0, "rec-1", 1, {{"household_size", int64_t{5}}}, At(2, "tab-1")))
            .outcome,
        Outcome::kApplied);
    ASSERT_EQ(PushNext(tab_, Create(0, "rec-2", Household("Ninewa", 2), At(3, "tab-1"))).outcome,
              Outcome::kApplied);
    ASSERT_EQ(PushNext(tab_, Delete(0, "rec-1", 2, At(4, "tab-1"))).outcome, Outcome::kApplied);
  }

  static std::vector<uint64_t> Seqs(const ChangeBatch& b) {
    std::vector<uint64_t> out;
    for (const auto& c : b.changes) out.push_back(c.seq);
    return out;
  }

  const Device tab_ = InGovernorate("tab-1", "Ninewa");
};

TEST_F(ChangeFeedTest, ReadsEveryChangeInSeqOrderWithBeforeAndAfter) {
  auto batch = feed_->Read(1, 100);
  ASSERT_TRUE(batch.ok()) << batch.status();
  EXPECT_EQ(batch->head_seq, 4u);
  EXPECT_THAT(Seqs(*batch), ElementsAre(1, 2, 3, 4));
  const auto& changes = batch->changes;
  EXPECT_TRUE(changes[0].created);
  EXPECT_EQ(changes[0].record_id, "rec-1");
  const ChangeEntry& edit = changes[1];
  EXPECT_EQ(edit.record_id, "rec-1");
  EXPECT_EQ(edit.version, 2u);
  ASSERT_THAT(edit.changes, SizeIs(1));
  EXPECT_EQ(edit.changes[0].field, "household_size");
  EXPECT_EQ(edit.changes[0].before, Value{int64_t{4}});
  EXPECT_EQ(edit.changes[0].after, Value{int64_t{5}});
  const ChangeEntry& del = changes[3];
  EXPECT_TRUE(del.deleted_after);
  EXPECT_FALSE(del.deleted_before);
  bool saw_size = false;
  for (const auto& fc : del.changes) {
    EXPECT_TRUE(IsNull(fc.after)) << fc.field;
    if (fc.field == "household_size") {
      saw_size = true;
      EXPECT_EQ(fc.before, Value{int64_t{5}});
    }
  }
  EXPECT_TRUE(saw_size);
  EXPECT_THAT(del.scope_before,
              ElementsAre(ScopePair{"governorate", "Ninewa"}, ScopePair{"team", "T1"}));
}

TEST_F(ChangeFeedTest, ResumesFromSeqAndHonoursLimit) {
  auto first = feed_->Read(1, 2);
  ASSERT_TRUE(first.ok()) << first.status();
  EXPECT_THAT(Seqs(*first), ElementsAre(1, 2));
  auto next = feed_->Read(first->changes.back().seq + 1, 2);
  ASSERT_TRUE(next.ok());
  EXPECT_THAT(Seqs(*next), ElementsAre(3, 4));
  auto end = feed_->Read(5, 2);
  ASSERT_TRUE(end.ok());
  EXPECT_THAT(end->changes, IsEmpty());
  auto from_zero = feed_->Read(0, 100);
  ASSERT_TRUE(from_zero.ok()) << from_zero.status();
  EXPECT_THAT(Seqs(*from_zero), ElementsAre(1, 2, 3, 4));
}

TEST_F(ChangeFeedTest, DoesNotReadPastTheVisibleHead) {
  const uint64_t in_flight = sequencer_->Allocate().value();  // seq 5, not committed
  ASSERT_EQ(PushNext(tab_, Create(0, "rec-3", Household("Ninewa"), At(5, "tab-1"))).outcome,
            Outcome::kApplied);  // seq 6
  auto batch = feed_->Read(1, 100);
  ASSERT_TRUE(batch.ok());
  EXPECT_EQ(batch->head_seq, 4u);
  EXPECT_THAT(Seqs(*batch), ElementsAre(1, 2, 3, 4));
  sequencer_->Finish(in_flight);
  auto after = feed_->Read(5, 100);
  ASSERT_TRUE(after.ok());
  EXPECT_EQ(after->head_seq, 6u);
  EXPECT_THAT(Seqs(*after), ElementsAre(6));  // 5 is a gap: nothing was written there
}

TEST_F(ChangeFeedTest, OlderThanRetainedIsFailedPrecondition) {
  RetentionPolicy policy;
  policy.keep_changes = 2;
  policy.keep_ms = 0;
  auto dropped = retention_->PurgeOnce(policy);
  ASSERT_TRUE(dropped.ok()) << dropped.status();
  ASSERT_EQ(*dropped, 2u);

  EXPECT_EQ(feed_->Read(1, 100).status().code(), absl::StatusCode::kFailedPrecondition);
  EXPECT_EQ(feed_->Read(2, 100).status().code(), absl::StatusCode::kFailedPrecondition);
  EXPECT_EQ(feed_->Read(0, 100).status().code(), absl::StatusCode::kFailedPrecondition);
  auto kept = feed_->Read(3, 100);
  ASSERT_TRUE(kept.ok()) << kept.status();
  EXPECT_THAT(Seqs(*kept), ElementsAre(3, 4));
}

TEST_F(ChangeFeedTest, WaitReturnsAtOnceWhenAlreadyBeyond) {
  const auto deadline = std::chrono::steady_clock::now() + std::chrono::seconds(30);
  const auto start = std::chrono::steady_clock::now();
  EXPECT_EQ(feed_->Wait(3, deadline), 4u);
  EXPECT_LT(std::chrono::steady_clock::now() - start, std::chrono::seconds(5));
}

TEST_F(ChangeFeedTest, WaitReturnsAtDeadline) {
  EXPECT_EQ(feed_->Wait(4, std::chrono::steady_clock::now()), 4u);
}

}  // namespace
}  // namespace fieldsync::sync_test
