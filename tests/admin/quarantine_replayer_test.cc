// Quarantine replay and push share one validation/apply step (push.h StageMutation): a
// mutation replayed against the version it named is refused with exactly the reason and
// errors push gave it, and replay honours the engine's push limits. In-memory store,
// FakeClock, no network.
#include "server/admin/quarantine_replayer.h"

#include <string>
#include <vector>

#include "gmock/gmock.h"
#include "gtest/gtest.h"
#include "tests/sync/sync_fixture.h"

namespace fieldsync::sync_test {
namespace {

using ::testing::SizeIs;

class ReplayTest : public SyncFixture {
 protected:
  void SetUp() override {
    SyncFixture::SetUp();
    Store::Batch batch;
    for (const Device& d : {tab1_, anbar_}) batch.PutDevice(d);
    ASSERT_TRUE(store_->Write(batch, true).ok());
    replayer_ = std::make_unique<admin::QuarantineReplayer>(engine_->context(), PushLimits{});
  }

  const Device tab1_ = MakeDevice("tab-1", {{"governorate", "Ninewa"}, {"border_point", "BP-001"}});
  const Device anbar_ = InGovernorate("tab-anbar", "Anbar");
  std::unique_ptr<admin::QuarantineReplayer> replayer_;
};

struct Case {
  std::string name;
  Mutation m;
};

TEST_F(ReplayTest, ReplayAgainstTheNamedVersionRefusesExactlyAsPushDid) {
  // A record of another scope, for the out-of-scope edit.
  ASSERT_EQ(
      PushNext(anbar_, Create(0, "anbar-1", Household("Anbar"), At(500, "tab-anbar"))).outcome,
      Outcome::kApplied);
  // A crossing, for the append-only conflict.
  ASSERT_EQ(
      PushNext(tab1_, Create(0, "x-1", Crossing("BP-001"), At(600, "tab-1"), kCrossing)).outcome,
      Outcome::kApplied);

  std::vector<Case> cases;
  cases.push_back(
      {"long record id", Create(0, std::string(200, 'a'), Household("Ninewa"), At(1000, "tab-1"))});
  Mutation bad_op = Create(0, "r-op", Household("Ninewa"), At(1000, "tab-1"));
  bad_op.op = static_cast<MutationOp>(9);
  cases.push_back({"op", bad_op});
  cases.push_back(
      {"unknown form", Create(0, "r-f", Household("Ninewa"), At(1000, "tab-1"), "no_such_form")});
  Mutation v0 = Create(0, "r-v0", Household("Ninewa"), At(1000, "tab-1"));
  v0.form_version = 0;
  cases.push_back({"form version 0", v0});
  Mutation del = Delete(0, "anbar-1", 1, At(1000, "tab-1"));
  del.fields["notes"] = std::string("x");
  cases.push_back({"delete with fields", del});
  cases.push_back({"value", Create(0, "r-big", Household("Ninewa", 80), At(1000, "tab-1"))});
  FieldMap incomplete = Household("Ninewa");
  incomplete.erase("district");
  cases.push_back({"required", Create(0, "r-req", incomplete, At(1000, "tab-1"))});
  cases.push_back(
      {"create in another scope", Create(0, "r-anbar", Household("Anbar"), At(1000, "tab-1"))});
  cases.push_back({"edit in another scope",
                   Upsert(0, "anbar-1", 1, {{"household_size", int64_t{5}}}, At(1000, "tab-1"))});
  cases.push_back({"append-only conflict",
                   Create(0, "x-1", Crossing("BP-001", 9), At(1000, "tab-1"), kCrossing)});

  for (const Case& c : cases) {
    SCOPED_TRACE(c.name);
    Receipt pushed = PushNext(tab1_, c.m);
    ASSERT_TRUE(pushed.outcome == Outcome::kRejected || pushed.outcome == Outcome::kConflict);
    ASSERT_FALSE(pushed.errors.empty());
    auto entry = store_->GetQuarantine("tab-1", pushed.device_seq);
    ASSERT_TRUE(entry.ok() && entry->has_value());
    const std::string push_reason = (*entry)->reason;

    auto replayed = replayer_->Replay("tab-1", pushed.device_seq, 0);
    ASSERT_TRUE(replayed.ok()) << replayed.status();
    EXPECT_FALSE(replayed->applied);
    EXPECT_EQ(replayed->reason, push_reason);
    EXPECT_EQ(replayed->errors, pushed.errors);
    auto kept = store_->GetQuarantine("tab-1", pushed.device_seq);
    ASSERT_TRUE(kept.ok() && kept->has_value());
    EXPECT_EQ((*kept)->reason, push_reason);
  }
  EXPECT_THAT(Quarantined("tab-1"), SizeIs(cases.size()));
  EXPECT_FALSE(GetRecord("r-v0").has_value());  // form version 0 was never applied
}

TEST_F(ReplayTest, ReplayUsesTheEnginePushLimits) {
  PushLimits limits;
  limits.max_record_id_bytes = 8;
  MakeCores(limits, PullLimits{});
  admin::QuarantineReplayer replayer(engine_->context(), limits);
  Receipt pushed = PushNext(tab1_, Create(0, "record-0123", Household("Ninewa"), At(1, "tab-1")));
  ASSERT_EQ(pushed.outcome, Outcome::kRejected);
  auto replayed = replayer.Replay("tab-1", pushed.device_seq, 0);
  ASSERT_TRUE(replayed.ok()) << replayed.status();
  EXPECT_FALSE(replayed->applied);
  EXPECT_EQ(replayed->errors, pushed.errors);
  EXPECT_FALSE(GetRecord("record-0123").has_value());
}

TEST_F(ReplayTest, AReplayedMutationIsStoredAndAnsweredAsAPushWouldBe) {
  // Quarantined for its value; valid under v2. Replayed, its record, receipt and change entry
  // equal what a push of the same mutation under v2 makes.
  Form v2 = HouseholdForm();
  v2.version = 2;
  for (auto& f : v2.fields) {
    if (f.name == "household_size") f.max = 100;
  }
  Receipt pushed = PushNext(tab1_, Create(0, "r-1", Household("Ninewa", 80), At(1000, "tab-1")));
  ASSERT_EQ(pushed.outcome, Outcome::kRejected);
  ASSERT_TRUE(forms_->Publish(v2).ok());
  auto replayed = replayer_->Replay("tab-1", pushed.device_seq, 2);
  ASSERT_TRUE(replayed.ok()) << replayed.status();
  ASSERT_TRUE(replayed->applied);

  Mutation twin = Create(0, "r-2", Household("Ninewa", 80), At(1000, "tab-1"));
  twin.form_version = 2;
  Receipt direct = PushNext(tab1_, twin);
  ASSERT_EQ(direct.outcome, Outcome::kApplied);
  EXPECT_EQ(replayed->receipt.outcome, direct.outcome);
  EXPECT_EQ(replayed->receipt.record_version, direct.record_version);
  auto a = GetRecord("r-1");
  auto b = GetRecord("r-2");
  ASSERT_TRUE(a && b);
  EXPECT_EQ(a->fields, b->fields);
  EXPECT_EQ(a->form_version, b->form_version);
  EXPECT_EQ(a->version, b->version);
  EXPECT_EQ(replayed->receipt.seq, a->seq);
  std::vector<ChangeEntry> changes = AllChanges();
  ASSERT_THAT(changes, SizeIs(2));
  EXPECT_EQ(changes[0].record_id, "r-1");
  EXPECT_EQ(changes[0].scope_after, changes[1].scope_after);
}

}  // namespace
}  // namespace fieldsync::sync_test
