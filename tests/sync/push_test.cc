#include "server/sync/push.h"

#include <cstdint>
#include <set>
#include <string>
#include <vector>

#include "gmock/gmock.h"
#include "gtest/gtest.h"
#include "server/sync/scope.h"
#include "server/sync/seq_floor.h"
#include "tests/sync/sync_fixture.h"

namespace fieldsync::sync_test {
namespace {

using ::testing::ElementsAre;
using ::testing::IsEmpty;
using ::testing::SizeIs;

class PushTest : public SyncFixture {
 protected:
  // Record ids under the scope coordinate (form, pair), in seq order.
  std::vector<std::string> Indexed(const std::string& form_id, const ScopePair& pair) {
    std::vector<std::string> ids;
    absl::Status s =
        store_->ScanScopeIndex(form_id, pair, 0, UINT64_MAX, [&](uint64_t, std::string_view id) {
          ids.emplace_back(id);
          return true;
        });
    EXPECT_TRUE(s.ok()) << s;
    return ids;
  }

  const Device tab1_ = InGovernorate("tab-1", "Ninewa");
  const Device tab2_ = InGovernorate("tab-2", "Ninewa");
  const Device anbar_ = InGovernorate("tab-anbar", "Anbar");
  const Device admin_ = AdminDevice();
};

TEST_F(PushTest, CreateWritesRecordChangeReceiptIndexAndState) {
  clock_.SetMs(1'700'000'500'000);
  auto receipts = Push(tab1_, {Create(1, "rec-1", Household("Ninewa", 4), At(1000, "tab-1"))});
  ASSERT_THAT(receipts, SizeIs(1));
  const Receipt& r = receipts[0];
  EXPECT_EQ(r.outcome, Outcome::kApplied);
  EXPECT_EQ(r.device_seq, 1u);
  EXPECT_EQ(r.record_id, "rec-1");
  EXPECT_EQ(r.record_version, 1u);
  EXPECT_EQ(r.seq, 1u);
  EXPECT_EQ(r.content_hash,
            ContentHash(Create(1, "rec-1", Household("Ninewa", 4), At(1000, "tab-1"))));
  EXPECT_THAT(r.errors, IsEmpty());

  auto rec = GetRecord("rec-1");
  ASSERT_TRUE(rec.has_value());
  EXPECT_EQ(rec->version, 1u);
  EXPECT_EQ(rec->seq, 1u);
  EXPECT_EQ(rec->fields, Household("Ninewa", 4));
  EXPECT_EQ(rec->last_writer_device, "tab-1");

  auto changes = AllChanges();
  ASSERT_THAT(changes, SizeIs(1));
  const ChangeEntry& c = changes[0];
  EXPECT_EQ(c.seq, 1u);
  EXPECT_EQ(c.record_id, "rec-1");
  EXPECT_EQ(c.form_id, kHousehold);
  EXPECT_EQ(c.version, 1u);
  EXPECT_TRUE(c.created);
  EXPECT_FALSE(c.deleted_after);
  EXPECT_EQ(c.device_id, "tab-1");
  EXPECT_EQ(c.commit_time_ms, 1'700'000'500'000);
  EXPECT_THAT(c.scope_before, IsEmpty());
  EXPECT_THAT(c.scope_after,
              ElementsAre(ScopePair{"governorate", "Ninewa"}, ScopePair{"team", "T1"}));
  ASSERT_EQ(c.changes.size(), Household("Ninewa").size());
  for (const auto& fc : c.changes) {
    EXPECT_TRUE(IsNull(fc.before)) << fc.field;
    EXPECT_EQ(fc.after, Household("Ninewa", 4).at(fc.field)) << fc.field;
  }

  auto stored = store_->GetReceipt("tab-1", 1);
  ASSERT_TRUE(stored.ok() && stored->has_value());
  EXPECT_EQ((*stored)->outcome, Outcome::kApplied);
  EXPECT_EQ((*stored)->seq, 1u);

  DeviceSyncState st = State("tab-1");
  EXPECT_EQ(st.acked_seq, 1u);
  EXPECT_EQ(st.last_push_ms, 1'700'000'500'000);
  EXPECT_EQ(st.last_seen_ms, 1'700'000'500'000);

  EXPECT_THAT(Indexed(kHousehold, {"governorate", "Ninewa"}), ElementsAre("rec-1"));
  EXPECT_THAT(Indexed(kHousehold, {"team", "T1"}), ElementsAre("rec-1"));
  EXPECT_THAT(Indexed(kHousehold, FormWidePair()), ElementsAre("rec-1"));
  EXPECT_THAT(Indexed(kHousehold, {"governorate", "Anbar"}), IsEmpty());
  EXPECT_EQ(sequencer_->VisibleHead(), 1u);
}

TEST_F(PushTest, EditWritesBeforeAndAfterValues) {
  Push(tab1_, {Create(1, "rec-1", Household("Ninewa", 4), At(1000, "tab-1"))});
  auto receipts =
      Push(tab1_, {Upsert(2, "rec-1", 1, {{"household_size", int64_t{5}}, {"team", Value{}}},
                          At(2000, "tab-1"))});
  ASSERT_THAT(receipts, SizeIs(1));
  EXPECT_EQ(receipts[0].outcome, Outcome::kApplied);
  EXPECT_EQ(receipts[0].record_version, 2u);
  EXPECT_EQ(receipts[0].seq, 2u);

  auto changes = AllChanges();
  ASSERT_THAT(changes, SizeIs(2));
  const ChangeEntry& c = changes[1];
  EXPECT_EQ(c.seq, 2u);
  EXPECT_EQ(c.version, 2u);
  EXPECT_FALSE(c.created);
  ASSERT_EQ(c.changes.size(), 2u);
  EXPECT_EQ(c.changes[0].field, "household_size");
  EXPECT_EQ(c.changes[0].before, Value{int64_t{4}});
  EXPECT_EQ(c.changes[0].after, Value{int64_t{5}});
  EXPECT_EQ(c.changes[1].field, "team");
  EXPECT_EQ(c.changes[1].before, Value{std::string("T1")});
  EXPECT_TRUE(IsNull(c.changes[1].after));
  EXPECT_THAT(c.scope_before,
              ElementsAre(ScopePair{"governorate", "Ninewa"}, ScopePair{"team", "T1"}));
  EXPECT_THAT(c.scope_after, ElementsAre(ScopePair{"governorate", "Ninewa"}));

  // The index moved to the new seq; the coordinate the record left keeps an exit entry.
  std::vector<uint64_t> seqs;
  ASSERT_TRUE(store_
                  ->ScanScopeIndex(kHousehold, {"governorate", "Ninewa"}, 0, UINT64_MAX,
                                   [&](uint64_t seq, std::string_view) {
                                     seqs.push_back(seq);
                                     return true;
                                   })
                  .ok());
  EXPECT_THAT(seqs, ElementsAre(2));
  EXPECT_THAT(Indexed(kHousehold, {"team", "T1"}), ElementsAre("rec-1"));
  EXPECT_EQ(State("tab-1").acked_seq, 2u);
}

TEST_F(PushTest, RetransmissionReturnsStoredReceiptAndAppliesNothing) {
  const Mutation m = Create(1, "rec-1", Household("Ninewa", 4), At(1000, "tab-1"));
  auto first = Push(tab1_, {m});
  ASSERT_THAT(first, SizeIs(1));
  ASSERT_EQ(first[0].outcome, Outcome::kApplied);

  auto again = Push(tab1_, {m});
  ASSERT_THAT(again, SizeIs(1));
  EXPECT_EQ(again[0].outcome, Outcome::kDuplicate);
  ASSERT_TRUE(again[0].original_outcome.has_value());
  EXPECT_EQ(*again[0].original_outcome, Outcome::kApplied);
  EXPECT_EQ(again[0].device_seq, 1u);
  EXPECT_EQ(again[0].record_id, "rec-1");
  EXPECT_EQ(again[0].record_version, first[0].record_version);
  EXPECT_EQ(again[0].seq, first[0].seq);
  EXPECT_EQ(again[0].content_hash, first[0].content_hash);

  // Nothing applied: same version and seq, no new change-log entry, acked unchanged.
  auto rec = GetRecord("rec-1");
  ASSERT_TRUE(rec.has_value());
  EXPECT_EQ(rec->version, 1u);
  EXPECT_EQ(rec->seq, 1u);
  EXPECT_THAT(AllChanges(), SizeIs(1));
  EXPECT_EQ(State("tab-1").acked_seq, 1u);
  EXPECT_EQ(sequencer_->VisibleHead(), 1u);
  // The stored receipt still says what happened the first time.
  auto stored = store_->GetReceipt("tab-1", 1);
  ASSERT_TRUE(stored.ok() && stored->has_value());
  EXPECT_EQ((*stored)->outcome, Outcome::kApplied);
}

TEST_F(PushTest, RetransmissionWithChangedContentStillAppliesNothing) {
  Push(tab1_, {Create(1, "rec-1", Household("Ninewa", 4), At(1000, "tab-1"))});
  // A buggy client reuses device_seq 1 for another edit: it is a retransmission by key.
  auto again =
      Push(tab1_, {Upsert(1, "rec-1", 1, {{"household_size", int64_t{9}}}, At(2000, "tab-1"))});
  ASSERT_THAT(again, SizeIs(1));
  EXPECT_EQ(again[0].outcome, Outcome::kDuplicate);
  EXPECT_EQ(GetRecord("rec-1")->fields.at("household_size"), Value{int64_t{4}});
  EXPECT_THAT(AllChanges(), SizeIs(1));
}

TEST_F(PushTest, RetransmissionInsideOneBatch) {
  const Mutation m = Create(1, "rec-1", Household("Ninewa", 4), At(1000, "tab-1"));
  auto receipts = Push(tab1_, {m, m});
  ASSERT_THAT(receipts, SizeIs(2));
  EXPECT_EQ(receipts[0].outcome, Outcome::kApplied);
  EXPECT_EQ(receipts[1].outcome, Outcome::kDuplicate);
  ASSERT_TRUE(receipts[1].original_outcome.has_value());
  EXPECT_EQ(*receipts[1].original_outcome, Outcome::kApplied);
  EXPECT_EQ(receipts[1].seq, receipts[0].seq);
  EXPECT_THAT(AllChanges(), SizeIs(1));
  EXPECT_EQ(State("tab-1").acked_seq, 1u);
}

TEST_F(PushTest, RetransmissionOfRejectedMutationIsNotQuarantinedAgain) {
  FieldMap bad = Household("Ninewa", 0);  // household_size below min
  Push(tab1_, {Create(1, "rec-1", bad, At(1000, "tab-1"))});
  ASSERT_THAT(Quarantined("tab-1"), SizeIs(1));
  auto again = Push(tab1_, {Create(1, "rec-1", bad, At(1000, "tab-1"))});
  ASSERT_THAT(again, SizeIs(1));
  EXPECT_EQ(again[0].outcome, Outcome::kDuplicate);
  ASSERT_TRUE(again[0].original_outcome.has_value());
  EXPECT_EQ(*again[0].original_outcome, Outcome::kRejected);
  EXPECT_FALSE(again[0].errors.empty());
  EXPECT_THAT(Quarantined("tab-1"), SizeIs(1));
  EXPECT_EQ(State("tab-1").quarantined, 1u);
}

TEST_F(PushTest, GapIsOutOfOrderAndAppliesNothing) {
  auto receipts = Push(tab1_, {Create(3, "rec-3", Household("Ninewa"), At(1000, "tab-1"))});
  ASSERT_THAT(receipts, SizeIs(1));
  EXPECT_EQ(receipts[0].outcome, Outcome::kOutOfOrder);
  EXPECT_EQ(receipts[0].expected_device_seq, 1u);
  EXPECT_EQ(receipts[0].device_seq, 3u);
  EXPECT_FALSE(GetRecord("rec-3").has_value());
  EXPECT_THAT(AllChanges(), IsEmpty());
  EXPECT_EQ(State("tab-1").acked_seq, 0u);
  auto stored = store_->GetReceipt("tab-1", 3);
  ASSERT_TRUE(stored.ok());
  EXPECT_FALSE(stored->has_value());
  EXPECT_THAT(Quarantined("tab-1"), IsEmpty());

  // Within a batch: 1 applies, 3 is a gap (expected 2), acked stops at 1.
  auto batch = Push(tab1_, {Create(1, "rec-1", Household("Ninewa"), At(1000, "tab-1")),
                            Create(3, "rec-3", Household("Ninewa"), At(1000, "tab-1"))});
  ASSERT_THAT(batch, SizeIs(2));
  EXPECT_EQ(batch[0].outcome, Outcome::kApplied);
  EXPECT_EQ(batch[1].outcome, Outcome::kOutOfOrder);
  EXPECT_EQ(batch[1].expected_device_seq, 2u);
  EXPECT_FALSE(GetRecord("rec-3").has_value());
  EXPECT_EQ(State("tab-1").acked_seq, 1u);
}

TEST_F(PushTest, InvalidRecordIsRejectedQuarantinedAndTheRestOfTheBatchApplies) {
  FieldMap bad = Household("Ninewa", 0);
  bad["colour"] = std::string("blue");  // not a field of the form
  auto receipts = Push(tab1_, {Create(1, "rec-1", Household("Ninewa"), At(1000, "tab-1")),
                               Create(2, "rec-2", bad, At(1000, "tab-1")),
                               Create(3, "rec-3", Household("Ninewa"), At(1000, "tab-1"))});
  ASSERT_THAT(receipts, SizeIs(3));
  EXPECT_EQ(receipts[0].outcome, Outcome::kApplied);
  EXPECT_EQ(receipts[1].outcome, Outcome::kRejected);
  EXPECT_EQ(receipts[2].outcome, Outcome::kApplied);
  std::vector<std::string> error_fields;
  for (const auto& e : receipts[1].errors) error_fields.push_back(e.field);
  EXPECT_THAT(error_fields, ElementsAre("colour", "household_size"));
  EXPECT_EQ(receipts[1].seq, 0u);

  EXPECT_TRUE(GetRecord("rec-1").has_value());
  EXPECT_FALSE(GetRecord("rec-2").has_value());
  EXPECT_TRUE(GetRecord("rec-3").has_value());
  EXPECT_THAT(AllChanges(), SizeIs(2));

  auto q = Quarantined("tab-1");
  ASSERT_THAT(q, SizeIs(1));
  EXPECT_EQ(q[0].device_id, "tab-1");
  EXPECT_EQ(q[0].mutation.device_seq, 2u);
  EXPECT_EQ(q[0].mutation.record_id, "rec-2");
  EXPECT_EQ(q[0].mutation.fields, bad);
  EXPECT_EQ(q[0].errors, receipts[1].errors);
  EXPECT_FALSE(q[0].reason.empty());

  DeviceSyncState st = State("tab-1");
  EXPECT_EQ(st.acked_seq, 3u);
  EXPECT_EQ(st.quarantined, 1u);
  auto stored = store_->GetReceipt("tab-1", 2);
  ASSERT_TRUE(stored.ok() && stored->has_value());
  EXPECT_EQ((*stored)->outcome, Outcome::kRejected);
}

TEST_F(PushTest, MissingRequiredFieldOnCreateIsRejected) {
  FieldMap partial = Household("Ninewa");
  partial.erase("district");
  auto receipts = Push(tab1_, {Create(1, "rec-1", partial, At(1000, "tab-1"))});
  ASSERT_THAT(receipts, SizeIs(1));
  EXPECT_EQ(receipts[0].outcome, Outcome::kRejected);
  EXPECT_THAT(receipts[0].errors, ElementsAre(FieldError{"district", "required"}));
  EXPECT_FALSE(GetRecord("rec-1").has_value());
  EXPECT_THAT(Quarantined("tab-1"), SizeIs(1));
  EXPECT_EQ(State("tab-1").acked_seq, 1u);
}

TEST_F(PushTest, DeviceSeqZeroIsRejected) {
  auto receipts = Push(tab1_, {Create(0, "rec-1", Household("Ninewa"), At(1000, "tab-1"))});
  ASSERT_THAT(receipts, SizeIs(1));
  EXPECT_EQ(receipts[0].outcome, Outcome::kRejected);
  EXPECT_FALSE(receipts[0].errors.empty());
  EXPECT_FALSE(GetRecord("rec-1").has_value());
  EXPECT_THAT(AllChanges(), IsEmpty());
  EXPECT_EQ(State("tab-1").acked_seq, 0u);
}

TEST_F(PushTest, TooLargeBatchIsInvalidArgumentAndAppliesNothing) {
  PushLimits limits;
  limits.max_mutations_per_batch = 3;
  MakeCores(limits, PullLimits{});
  std::vector<Mutation> batch;
  for (uint64_t i = 1; i <= 4; ++i) {
    batch.push_back(Create(i, "rec-" + std::to_string(i), Household("Ninewa"), At(1000, "tab-1")));
  }
  auto result = push_->Push(tab1_, batch, nullptr);
  EXPECT_EQ(result.status().code(), absl::StatusCode::kInvalidArgument);
  for (uint64_t i = 1; i <= 4; ++i) EXPECT_FALSE(GetRecord("rec-" + std::to_string(i)));
  EXPECT_THAT(AllChanges(), IsEmpty());
  EXPECT_EQ(State("tab-1").acked_seq, 0u);
  auto receipts = store_->ListReceipts("tab-1", 0, 100);
  ASSERT_TRUE(receipts.ok());
  EXPECT_THAT(*receipts, IsEmpty());

  // At the limit it is accepted.
  batch.pop_back();
  auto ok = push_->Push(tab1_, batch, nullptr);
  ASSERT_TRUE(ok.ok()) << ok.status();
  EXPECT_EQ(State("tab-1").acked_seq, 3u);
}

TEST_F(PushTest, CannotCreateOutsideOwnScope) {
  auto receipts = Push(tab1_, {Create(1, "rec-1", Household("Anbar"), At(1000, "tab-1"))});
  ASSERT_THAT(receipts, SizeIs(1));
  EXPECT_EQ(receipts[0].outcome, Outcome::kRejected);
  EXPECT_FALSE(GetRecord("rec-1").has_value());
  EXPECT_THAT(AllChanges(), IsEmpty());
  auto q = Quarantined("tab-1");
  ASSERT_THAT(q, SizeIs(1));
  EXPECT_EQ(q[0].reason, "scope");
  EXPECT_EQ(State("tab-1").acked_seq, 1u);
}

TEST_F(PushTest, CannotEditRecordOutsideOwnScope) {
  ASSERT_EQ(PushNext(admin_, Create(0, "rec-a", Household("Anbar", 4), At(1000, "admin"))).outcome,
            Outcome::kApplied);
  auto receipts =
      Push(tab1_, {Upsert(1, "rec-a", 1, {{"household_size", int64_t{9}}}, At(2000, "tab-1"))});
  ASSERT_THAT(receipts, SizeIs(1));
  EXPECT_EQ(receipts[0].outcome, Outcome::kRejected);
  auto rec = GetRecord("rec-a");
  ASSERT_TRUE(rec.has_value());
  EXPECT_EQ(rec->version, 1u);
  EXPECT_EQ(rec->fields.at("household_size"), Value{int64_t{4}});
  EXPECT_THAT(Quarantined("tab-1"), SizeIs(1));
  // Nor delete it.
  auto del = Push(tab1_, {Delete(2, "rec-a", 1, At(3000, "tab-1"))});
  ASSERT_THAT(del, SizeIs(1));
  EXPECT_EQ(del[0].outcome, Outcome::kRejected);
  EXPECT_FALSE(GetRecord("rec-a")->deleted);
  EXPECT_THAT(AllChanges(), SizeIs(1));
}

TEST_F(PushTest, CannotPullAnotherScopesRecordIntoOwnScope) {
  ASSERT_EQ(PushNext(admin_, Create(0, "rec-a", Household("Anbar", 4), At(1000, "admin"))).outcome,
            Outcome::kApplied);
  // The edit would leave the record inside tab-1's scope, but it starts outside it.
  auto receipts = Push(
      tab1_, {Upsert(1, "rec-a", 1, {{"governorate", std::string("Ninewa")}}, At(2000, "tab-1"))});
  ASSERT_THAT(receipts, SizeIs(1));
  EXPECT_EQ(receipts[0].outcome, Outcome::kRejected);
  auto rec = GetRecord("rec-a");
  ASSERT_TRUE(rec.has_value());
  EXPECT_EQ(rec->fields.at("governorate"), Value{std::string("Anbar")});
  EXPECT_EQ(rec->version, 1u);
  // Nor re-create it under its id with Ninewa content.
  auto create = Push(tab1_, {Create(2, "rec-a", Household("Ninewa", 4), At(3000, "tab-1"))});
  ASSERT_THAT(create, SizeIs(1));
  EXPECT_EQ(create[0].outcome, Outcome::kRejected);
  EXPECT_EQ(GetRecord("rec-a")->fields.at("governorate"), Value{std::string("Anbar")});
  EXPECT_THAT(AllChanges(), SizeIs(1));
}

TEST_F(PushTest, CannotMoveOwnRecordOutOfScope) {
  Push(tab1_, {Create(1, "rec-1", Household("Ninewa"), At(1000, "tab-1"))});
  auto receipts = Push(
      tab1_, {Upsert(2, "rec-1", 1, {{"governorate", std::string("Anbar")}}, At(2000, "tab-1"))});
  ASSERT_THAT(receipts, SizeIs(1));
  EXPECT_EQ(receipts[0].outcome, Outcome::kRejected);
  EXPECT_EQ(GetRecord("rec-1")->fields.at("governorate"), Value{std::string("Ninewa")});
  EXPECT_THAT(AllChanges(), SizeIs(1));
}

TEST_F(PushTest, ConflictEntriesAreStoredWithBothValues) {
  Push(tab1_, {Create(1, "rec-1", Household("Ninewa", 4), At(1000, "tab-1"))});
  Push(tab2_, {Upsert(1, "rec-1", 1, {{"household_size", int64_t{5}}}, At(2000, "tab-2"))});
  auto receipts =
      Push(tab1_, {Upsert(2, "rec-1", 1, {{"household_size", int64_t{7}}}, At(3000, "tab-1"))});
  ASSERT_THAT(receipts, SizeIs(1));
  EXPECT_EQ(receipts[0].outcome, Outcome::kConflict);
  EXPECT_THAT(receipts[0].conflict_fields, ElementsAre("household_size"));
  EXPECT_EQ(receipts[0].record_version, 3u);

  auto rec = GetRecord("rec-1");
  ASSERT_TRUE(rec.has_value());
  EXPECT_EQ(rec->fields.at("household_size"), Value{int64_t{7}});  // later HLC wins
  EXPECT_TRUE(rec->open_conflict);

  auto conflicts = Conflicts("rec-1");
  ASSERT_THAT(conflicts, SizeIs(1));
  const ConflictEntry& c = conflicts[0];
  EXPECT_EQ(c.field, "household_size");
  EXPECT_EQ(c.server_value, Value{int64_t{5}});
  EXPECT_EQ(c.device_value, Value{int64_t{7}});
  EXPECT_EQ(c.server_writer, "tab-2");
  EXPECT_EQ(c.device_writer, "tab-1");
  EXPECT_EQ(c.server_hlc, At(2000, "tab-2"));
  EXPECT_EQ(c.device_hlc, At(3000, "tab-1"));
  EXPECT_TRUE(c.device_won);
  EXPECT_EQ(c.device_seq, 2u);
  EXPECT_EQ(c.seq, rec->seq);
  EXPECT_EQ(State("tab-1").conflicts, 1u);
}

TEST_F(PushTest, LosingConflictKeepsServerValueAndStoresEntry) {
  Push(tab1_, {Create(1, "rec-1", Household("Ninewa", 4), At(1000, "tab-1"))});
  Push(tab2_, {Upsert(1, "rec-1", 1, {{"household_size", int64_t{5}}}, At(5000, "tab-2"))});
  auto receipts =
      Push(tab1_, {Upsert(2, "rec-1", 1, {{"household_size", int64_t{7}}}, At(3000, "tab-1"))});
  ASSERT_THAT(receipts, SizeIs(1));
  EXPECT_EQ(receipts[0].outcome, Outcome::kConflict);
  auto rec = GetRecord("rec-1");
  EXPECT_EQ(rec->fields.at("household_size"), Value{int64_t{5}});
  EXPECT_EQ(rec->version, 2u);
  EXPECT_TRUE(rec->open_conflict);
  // No value changed, so the version stays; the flag gets a seq and a change-log entry of its
  // own, with no field changes, so incremental pulls carry it.
  auto changes = AllChanges();
  ASSERT_THAT(changes, SizeIs(3));
  EXPECT_EQ(changes[2].seq, rec->seq);
  EXPECT_EQ(changes[2].version, 2u);
  EXPECT_FALSE(changes[2].created);
  EXPECT_THAT(changes[2].changes, IsEmpty());
  EXPECT_EQ(changes[2].scope_before, changes[2].scope_after);
  EXPECT_EQ(receipts[0].seq, rec->seq);
  auto conflicts = Conflicts("rec-1");
  ASSERT_THAT(conflicts, SizeIs(1));
  EXPECT_EQ(conflicts[0].seq, rec->seq);
  EXPECT_FALSE(conflicts[0].device_won);
  EXPECT_EQ(conflicts[0].device_value, Value{int64_t{7}});
  EXPECT_EQ(State("tab-1").acked_seq, 2u);
}

TEST_F(PushTest, StaleDeleteIsAConflictAndKeepsTheRecord) {
  Push(tab1_, {Create(1, "rec-1", Household("Ninewa", 4), At(1000, "tab-1"))});
  Push(tab2_, {Upsert(1, "rec-1", 1, {{"household_size", int64_t{5}}}, At(2000, "tab-2"))});
  auto receipts = Push(tab1_, {Delete(2, "rec-1", 1, At(3000, "tab-1"))});
  ASSERT_THAT(receipts, SizeIs(1));
  EXPECT_EQ(receipts[0].outcome, Outcome::kConflict);
  EXPECT_FALSE(GetRecord("rec-1")->deleted);
  auto conflicts = Conflicts("rec-1");
  ASSERT_THAT(conflicts, SizeIs(1));
  EXPECT_TRUE(conflicts[0].delete_conflict);
}

TEST_F(PushTest, RecordLimitsRejectOnlyTheOffendingRecord) {
  PushLimits limits;
  limits.record.max_fields_per_record = 5;
  limits.record.max_value_bytes = 16;
  MakeCores(limits, PullLimits{});

  FieldMap too_many = Household("Ninewa");  // 5 fields
  too_many["notes"] = std::string("x");     // 6th
  FieldMap too_long = Household("Ninewa");
  too_long["district"] = std::string(17, 'd');
  auto receipts = Push(tab1_, {Create(1, "rec-1", too_many, At(1000, "tab-1")),
                               Create(2, "rec-2", too_long, At(1000, "tab-1")),
                               Create(3, "rec-3", Household("Ninewa"), At(1000, "tab-1"))});
  ASSERT_THAT(receipts, SizeIs(3));
  EXPECT_EQ(receipts[0].outcome, Outcome::kRejected);
  ASSERT_THAT(receipts[0].errors, SizeIs(1));
  EXPECT_EQ(receipts[0].errors[0].field, "");
  EXPECT_EQ(receipts[1].outcome, Outcome::kRejected);
  ASSERT_THAT(receipts[1].errors, SizeIs(1));
  EXPECT_EQ(receipts[1].errors[0].field, "district");
  EXPECT_EQ(receipts[2].outcome, Outcome::kApplied);
  EXPECT_FALSE(GetRecord("rec-1").has_value());
  EXPECT_FALSE(GetRecord("rec-2").has_value());
  EXPECT_TRUE(GetRecord("rec-3").has_value());
  EXPECT_THAT(Quarantined("tab-1"), SizeIs(2));
  EXPECT_EQ(State("tab-1").acked_seq, 3u);
}

TEST_F(PushTest, BadRecordIdIsRejected) {
  PushLimits limits;
  limits.max_record_id_bytes = 8;
  MakeCores(limits, PullLimits{});
  auto receipts = Push(tab1_, {Create(1, "", Household("Ninewa"), At(1000, "tab-1")),
                               Create(2, "has space", Household("Ninewa"), At(1000, "tab-1")),
                               Create(3, "123456789", Household("Ninewa"), At(1000, "tab-1")),
                               Create(4, "12345678", Household("Ninewa"), At(1000, "tab-1"))});
  ASSERT_THAT(receipts, SizeIs(4));
  EXPECT_EQ(receipts[0].outcome, Outcome::kRejected);
  EXPECT_EQ(receipts[1].outcome, Outcome::kRejected);
  EXPECT_EQ(receipts[2].outcome, Outcome::kRejected);
  EXPECT_EQ(receipts[3].outcome, Outcome::kApplied);
  EXPECT_EQ(State("tab-1").acked_seq, 4u);
}

TEST_F(PushTest, UnknownFormIsRejected) {
  Mutation unknown = Create(1, "rec-1", Household("Ninewa"), At(1000, "tab-1"), "no_such_form");
  Mutation bad_version = Create(2, "rec-2", Household("Ninewa"), At(1000, "tab-1"));
  bad_version.form_version = 9;
  auto receipts = Push(tab1_, {unknown, bad_version});
  ASSERT_THAT(receipts, SizeIs(2));
  EXPECT_EQ(receipts[0].outcome, Outcome::kRejected);
  ASSERT_FALSE(receipts[0].errors.empty());
  EXPECT_EQ(receipts[0].errors[0].field, "form_id");
  EXPECT_EQ(receipts[1].outcome, Outcome::kRejected);
  EXPECT_FALSE(GetRecord("rec-1").has_value());
  EXPECT_FALSE(GetRecord("rec-2").has_value());
  auto q = Quarantined("tab-1");
  ASSERT_THAT(q, SizeIs(2));
  EXPECT_EQ(q[0].reason, "unknown_form");
  EXPECT_EQ(State("tab-1").acked_seq, 2u);
}

TEST_F(PushTest, TwoEditsOfOneRecordInOneBatchBothApply) {
  auto receipts = Push(
      tab1_, {Create(1, "rec-1", Household("Ninewa", 4), At(1000, "tab-1")),
              Upsert(2, "rec-1", 1, {{"household_size", int64_t{5}}}, At(1100, "tab-1")),
              Upsert(3, "rec-1", 2, {{"notes", std::string("second visit")}}, At(1200, "tab-1"))});
  ASSERT_THAT(receipts, SizeIs(3));
  EXPECT_EQ(receipts[0].outcome, Outcome::kApplied);
  EXPECT_EQ(receipts[0].record_version, 1u);
  EXPECT_EQ(receipts[1].outcome, Outcome::kApplied);
  EXPECT_EQ(receipts[1].record_version, 2u);
  EXPECT_EQ(receipts[2].outcome, Outcome::kApplied);
  EXPECT_EQ(receipts[2].record_version, 3u);
  EXPECT_LT(receipts[0].seq, receipts[1].seq);
  EXPECT_LT(receipts[1].seq, receipts[2].seq);

  auto rec = GetRecord("rec-1");
  ASSERT_TRUE(rec.has_value());
  EXPECT_EQ(rec->version, 3u);
  EXPECT_EQ(rec->seq, receipts[2].seq);
  EXPECT_EQ(rec->fields.at("household_size"), Value{int64_t{5}});
  EXPECT_EQ(rec->fields.at("notes"), Value{std::string("second visit")});
  auto changes = AllChanges();
  ASSERT_THAT(changes, SizeIs(3));
  EXPECT_EQ(changes[1].changes[0].before, Value{int64_t{4}});
  EXPECT_EQ(changes[1].changes[0].after, Value{int64_t{5}});
  // Only the last seq stays in the index.
  std::vector<uint64_t> seqs;
  ASSERT_TRUE(store_
                  ->ScanScopeIndex(kHousehold, FormWidePair(), 0, UINT64_MAX,
                                   [&](uint64_t seq, std::string_view) {
                                     seqs.push_back(seq);
                                     return true;
                                   })
                  .ok());
  EXPECT_THAT(seqs, ElementsAre(receipts[2].seq));
}

TEST_F(PushTest, TwoOfflineEditsWithTheSameBaseInOneBatch) {
  Push(tab1_, {Create(1, "rec-1", Household("Ninewa", 4), At(1000, "tab-1"))});
  auto receipts =
      Push(tab1_, {Upsert(2, "rec-1", 1, {{"household_size", int64_t{5}}}, At(1100, "tab-1")),
                   Upsert(3, "rec-1", 1, {{"household_size", int64_t{6}}}, At(1200, "tab-1"))});
  ASSERT_THAT(receipts, SizeIs(2));
  EXPECT_EQ(receipts[0].record_version, 2u);
  EXPECT_NE(receipts[1].outcome, Outcome::kConflict);
  EXPECT_EQ(receipts[1].record_version, 3u);
  EXPECT_EQ(GetRecord("rec-1")->fields.at("household_size"), Value{int64_t{6}});
  EXPECT_THAT(Conflicts("rec-1"), IsEmpty());
}

TEST_F(PushTest, DeleteKeepsScopeFieldsAndIndex) {
  Push(tab1_, {Create(1, "rec-1", Household("Ninewa", 4), At(1000, "tab-1"))});
  auto receipts = Push(tab1_, {Delete(2, "rec-1", 1, At(2000, "tab-1"))});
  ASSERT_THAT(receipts, SizeIs(1));
  EXPECT_EQ(receipts[0].outcome, Outcome::kApplied);
  auto rec = GetRecord("rec-1");
  ASSERT_TRUE(rec.has_value());
  EXPECT_TRUE(rec->deleted);
  EXPECT_EQ(rec->fields.size(), 2u);
  auto changes = AllChanges();
  ASSERT_THAT(changes, SizeIs(2));
  EXPECT_TRUE(changes[1].deleted_after);
  EXPECT_FALSE(changes[1].deleted_before);
  EXPECT_THAT(changes[1].scope_after,
              ElementsAre(ScopePair{"governorate", "Ninewa"}, ScopePair{"team", "T1"}));
  EXPECT_THAT(Indexed(kHousehold, {"governorate", "Ninewa"}), ElementsAre("rec-1"));
}

TEST_F(PushTest, InvalidOpIsRejectedAndQuarantinedAsSent) {
  Mutation m = Create(1, "rec-1", Household("Ninewa"), At(1000, "tab-1"));
  m.op = static_cast<MutationOp>(0);  // OP_UNSPECIFIED on the wire
  auto receipts = Push(tab1_, {m});
  ASSERT_THAT(receipts, SizeIs(1));
  EXPECT_EQ(receipts[0].outcome, Outcome::kRejected);
  EXPECT_FALSE(GetRecord("rec-1").has_value());
  auto q = Quarantined("tab-1");
  ASSERT_THAT(q, SizeIs(1));
  EXPECT_EQ(static_cast<int>(q[0].mutation.op), 0) << "stored as an upsert";
}

TEST_F(PushTest, DeleteCarryingFieldsIsRejected) {
  Push(tab1_, {Create(1, "rec-1", Household("Ninewa", 4), At(1000, "tab-1"))});
  Mutation del = Delete(2, "rec-1", 1, At(2000, "tab-1"));
  del.fields["notes"] = std::string("x");
  auto receipts = Push(tab1_, {del});
  ASSERT_THAT(receipts, SizeIs(1));
  EXPECT_EQ(receipts[0].outcome, Outcome::kRejected);
  EXPECT_FALSE(GetRecord("rec-1")->deleted);
}

TEST_F(PushTest, AppendOnlyForm) {
  const Device bp = MakeDevice("bp-1", {{"border_point", "BP-001"}});
  const Mutation first = Create(1, "x-1", Crossing("BP-001"), At(1000, "bp-1"), kCrossing);
  Mutation same = first;
  same.device_seq = 2;
  Mutation different = Create(3, "x-1", Crossing("BP-001", 9), At(1000, "bp-1"), kCrossing);
  Mutation edit = Upsert(4, "x-1", 1, {{"group_size", int64_t{3}}}, At(1000, "bp-1"), kCrossing);
  Mutation del = Delete(5, "x-1", 1, At(1000, "bp-1"), kCrossing);
  Mutation other_post = Create(6, "x-2", Crossing("BP-002"), At(1000, "bp-1"), kCrossing);
  auto receipts = Push(bp, {first, same, different, edit, del, other_post});
  ASSERT_THAT(receipts, SizeIs(6));
  EXPECT_EQ(receipts[0].outcome, Outcome::kApplied);
  EXPECT_EQ(receipts[1].outcome, Outcome::kDuplicate);
  EXPECT_EQ(receipts[2].outcome, Outcome::kConflict);
  EXPECT_EQ(receipts[3].outcome, Outcome::kRejected);
  EXPECT_EQ(receipts[4].outcome, Outcome::kRejected);
  EXPECT_EQ(receipts[5].outcome, Outcome::kRejected);  // another post's crossing

  auto rec = GetRecord("x-1");
  ASSERT_TRUE(rec.has_value());
  EXPECT_EQ(rec->version, 1u);
  EXPECT_EQ(rec->fields, Crossing("BP-001"));
  EXPECT_THAT(AllChanges(), SizeIs(1));
  auto q = Quarantined("bp-1");
  ASSERT_THAT(q, SizeIs(4));  // the different content, the edit, the delete, the other post
  EXPECT_EQ(q[0].mutation.device_seq, 3u);
  EXPECT_EQ(q[0].mutation.fields, Crossing("BP-001", 9));
  EXPECT_EQ(State("bp-1").acked_seq, 6u);
}

TEST_F(PushTest, ListReceiptsReturnsReceiptsAndAckedSeq) {
  for (int i = 0; i < 5; ++i) {
    PushNext(tab1_, Create(0, "rec-" + std::to_string(i), Household("Ninewa"), At(1000, "tab-1")));
  }
  auto list = push_->ListReceipts(tab1_, 3, 10);
  ASSERT_TRUE(list.ok()) << list.status();
  EXPECT_EQ(list->acked_device_seq, 5u);
  ASSERT_THAT(list->receipts, SizeIs(3));
  EXPECT_EQ(list->receipts[0].device_seq, 3u);
  EXPECT_EQ(list->receipts[0].record_id, "rec-2");
  EXPECT_EQ(list->receipts[2].device_seq, 5u);
  auto limited = push_->ListReceipts(tab1_, 1, 2);
  ASSERT_TRUE(limited.ok());
  EXPECT_THAT(limited->receipts, SizeIs(2));
  auto other = push_->ListReceipts(tab2_, 0, 10);
  ASSERT_TRUE(other.ok());
  EXPECT_THAT(other->receipts, IsEmpty());
  EXPECT_EQ(other->acked_device_seq, 0u);
}

TEST_F(PushTest, DeviceReportIsStoredWithClockSkew) {
  clock_.SetMs(1'000'000);
  DeviceReport report;
  report.app_version = "2.0";
  report.outbox_depth = 12;
  report.device_clock_ms = 1'000'000 - 4000;
  auto receipts = push_->Push(tab1_, {}, &report);
  ASSERT_TRUE(receipts.ok()) << receipts.status();
  DeviceSyncState st = State("tab-1");
  EXPECT_EQ(st.report.app_version, "2.0");
  EXPECT_EQ(st.report.outbox_depth, 12u);
  EXPECT_EQ(st.clock_skew_ms, -4000);
  EXPECT_EQ(st.last_seen_ms, 1'000'000);
}

TEST_F(PushTest, SeqsAreReleasedSoTheVisibleHeadAdvances) {
  for (int i = 0; i < 3; ++i) {
    PushNext(tab1_, Create(0, "rec-" + std::to_string(i), Household("Ninewa"), At(1000, "tab-1")));
  }
  // Rejections allocate no seq.
  PushNext(tab1_, Create(0, "bad", Household("Ninewa", 0), At(1000, "tab-1")));
  EXPECT_EQ(sequencer_->VisibleHead(), 3u);
  auto last = store_->LastChangeSeq();
  ASSERT_TRUE(last.ok());
  EXPECT_EQ(*last, 3u);
}

TEST_F(PushTest, FailedSeqReservationFailsThePushAndNoSeqIsReusedAfterRestart) {
  bool fail = false;
  CommitSequencer::ReserveFn durable = StoreReserver(store_.get());
  SyncEngineOptions options;
  options.seq_chunk = 2;
  options.reserve = [&](uint64_t limit) {
    return fail ? absl::UnavailableError("injected: reservation not durable") : durable(limit);
  };
  MakeCores(options);
  for (int i = 1; i <= 2; ++i) {
    ASSERT_EQ(PushNext(tab1_, Create(0, "rec-" + std::to_string(i), Household("Ninewa"),
                                     At(1000, "tab-1")))
                  .outcome,
              Outcome::kApplied);
  }
  fail = true;  // seq 3 lies beyond the reservation, and extending it fails
  auto refused =
      push_->Push(tab1_, {Create(3, "rec-3", Household("Ninewa"), At(1000, "tab-1"))}, nullptr);
  ASSERT_FALSE(refused.ok());
  EXPECT_EQ(refused.status().code(), absl::StatusCode::kUnavailable);
  EXPECT_FALSE(GetRecord("rec-3").has_value());
  EXPECT_EQ(State("tab-1").acked_seq, 2u) << "nothing acknowledged";
  EXPECT_EQ(sequencer_->VisibleHead(), 2u) << "the failed push leaves no seq in flight";

  // A restart continues above every seq ever handed out; the retried push gets a fresh seq.
  fail = false;
  MakeCores(options);
  auto retried =
      push_->Push(tab1_, {Create(3, "rec-3", Household("Ninewa"), At(1000, "tab-1"))}, nullptr);
  ASSERT_TRUE(retried.ok()) << retried.status();
  EXPECT_EQ((*retried)[0].outcome, Outcome::kApplied);
  std::set<uint64_t> seqs;
  for (const auto& c : AllChanges()) EXPECT_TRUE(seqs.insert(c.seq).second) << c.seq;
  EXPECT_EQ(seqs.size(), 3u);
}

}  // namespace
}  // namespace fieldsync::sync_test

namespace fieldsync::sync_test {
namespace {

TEST_F(SyncFixture, PushAssigningSeqsNumbersAfterTheDevicesLastSeq) {
  const Device tab = InGovernorate("tab-a", "Ninewa");
  PushNext(tab, Create(0, "a1", Household("Ninewa"), At(1, "tab-a")));
  // Their own device_seq is ignored: they become 2 and 3.
  auto receipts =
      push_->PushAssigningSeqs(tab,
                               {Create(7, "a2", Household("Ninewa"), At(2, "tab-a")),
                                Create(7, "a3", Household("Ninewa", 0), At(3, "tab-a"))},
                               nullptr);
  ASSERT_TRUE(receipts.ok()) << receipts.status();
  ASSERT_EQ(receipts->size(), 2u);
  EXPECT_EQ((*receipts)[0].device_seq, 2u);
  EXPECT_EQ((*receipts)[0].outcome, Outcome::kApplied);
  EXPECT_EQ((*receipts)[1].device_seq, 3u);
  EXPECT_EQ((*receipts)[1].outcome, Outcome::kRejected);  // size 0 is below the minimum
  EXPECT_EQ(State("tab-a").acked_seq, 3u);
  // A numbered push goes on from there.
  EXPECT_EQ(Push(tab, {Create(4, "a4", Household("Ninewa"), At(4, "tab-a"))})[0].outcome,
            Outcome::kApplied);
}

}  // namespace
}  // namespace fieldsync::sync_test
