#include "server/sync/pull.h"

#include <cstdint>
#include <map>
#include <set>
#include <string>
#include <vector>

#include "gmock/gmock.h"
#include "gtest/gtest.h"
#include "server/common/status.h"
#include "server/storage/keys.h"
#include "tests/sync/sync_fixture.h"

namespace fieldsync::sync_test {
namespace {

using ::testing::ElementsAre;
using ::testing::IsEmpty;
using ::testing::SizeIs;
using ::testing::UnorderedElementsAre;

class PullTest : public SyncFixture {
 protected:
  PullPage PullOk(const Device& device, const std::string& cursor, uint32_t limit = 0,
                  std::vector<std::string> forms = {}) {
    PullQuery q;
    q.cursor = cursor;
    q.limit = limit;
    q.form_ids = std::move(forms);
    auto page = pull_->Pull(device, q);
    EXPECT_TRUE(page.ok()) << page.status();
    return page.ok() ? *std::move(page) : PullPage{};
  }

  absl::Status PullStatus(const Device& device, const std::string& cursor,
                          std::vector<std::string> forms = {}) {
    PullQuery q;
    q.cursor = cursor;
    q.form_ids = std::move(forms);
    return pull_->Pull(device, q).status();
  }

  static std::vector<std::string> Ids(const PullPage& page) {
    std::vector<std::string> ids;
    for (const auto& r : page.records) ids.push_back(r.record.record_id);
    return ids;
  }

  static const PulledRecord* Find(const PullPage& page, const std::string& id) {
    for (const auto& r : page.records) {
      if (r.record.record_id == id) return &r;
    }
    return nullptr;
  }

  // Creates `id` in `governorate` from `device`; expects it applied.
  void CreateIn(const Device& device, const std::string& id, const std::string& governorate,
                const std::string& team = "T1") {
    Receipt r = PushNext(device, Create(0, id, Household(governorate, 4, team),
                                        At(clock_.NowMs(), device.device_id)));
    ASSERT_EQ(r.outcome, Outcome::kApplied) << id;
  }

  // Sets household_size of `id` (at `base`) from `device`; expects it applied.
  void Edit(const Device& device, const std::string& id, uint64_t base, int64_t size) {
    Receipt r = PushNext(device, Upsert(0, id, base, {{"household_size", size}},
                                        At(clock_.NowMs(), device.device_id)));
    ASSERT_EQ(r.outcome, Outcome::kApplied) << id;
  }

  const Device ninewa_ = InGovernorate("tab-n", "Ninewa");
  const Device anbar_ = InGovernorate("tab-a", "Anbar");
  const Device admin_ = AdminDevice();
};

TEST_F(PullTest, EmptyStore) {
  PullPage page = PullOk(ninewa_, "");
  EXPECT_THAT(page.records, IsEmpty());
  EXPECT_FALSE(page.has_more);
  EXPECT_FALSE(page.next_cursor.empty());
  // The cursor works for the next pull.
  PullPage again = PullOk(ninewa_, page.next_cursor);
  EXPECT_THAT(again.records, IsEmpty());
}

TEST_F(PullTest, DevicesSeeOnlyTheirScopes) {
  CreateIn(ninewa_, "n-1", "Ninewa");
  CreateIn(anbar_, "a-1", "Anbar");
  CreateIn(ninewa_, "n-2", "Ninewa");
  CreateIn(anbar_, "a-2", "Anbar");
  CreateIn(admin_, "k-1", "Kirkuk");

  PullPage n = PullOk(ninewa_, "");
  EXPECT_THAT(Ids(n), ElementsAre("n-1", "n-2"));
  for (const auto& r : n.records) {
    EXPECT_FALSE(r.out_of_scope);
    EXPECT_EQ(r.record.fields.at("governorate"), Value{std::string("Ninewa")});
  }
  PullPage a = PullOk(anbar_, "");
  EXPECT_THAT(Ids(a), ElementsAre("a-1", "a-2"));
  PullPage all = PullOk(admin_, "");
  EXPECT_THAT(Ids(all), ElementsAre("n-1", "a-1", "n-2", "a-2", "k-1"));

  // A team grant sees that team's records in any governorate.
  const Device team = MakeDevice("tab-t", {{"team", "T9"}});
  CreateIn(admin_, "t-1", "Anbar", "T9");
  EXPECT_THAT(Ids(PullOk(team, "")), ElementsAre("t-1"));
}

TEST_F(PullTest, RecordChangedManyTimesComesOnceAtItsLatestVersion) {
  CreateIn(ninewa_, "n-1", "Ninewa");
  CreateIn(ninewa_, "n-2", "Ninewa");
  PullPage first = PullOk(ninewa_, "");
  ASSERT_THAT(first.records, SizeIs(2));

  for (uint64_t v = 1; v <= 5; ++v) Edit(ninewa_, "n-1", v, static_cast<int64_t>(10 + v));
  PullPage since = PullOk(ninewa_, first.next_cursor);
  ASSERT_THAT(since.records, SizeIs(1));
  EXPECT_EQ(since.records[0].record.record_id, "n-1");
  EXPECT_EQ(since.records[0].record.version, 6u);
  EXPECT_EQ(since.records[0].record.fields.at("household_size"), Value{int64_t{15}});
  EXPECT_FALSE(since.has_more);

  // From scratch too: each record once.
  PullPage full = PullOk(ninewa_, "");
  EXPECT_THAT(Ids(full), UnorderedElementsAre("n-1", "n-2"));
  ASSERT_NE(Find(full, "n-1"), nullptr);
  EXPECT_EQ(Find(full, "n-1")->record.version, 6u);

  // Nothing new: nothing returned.
  EXPECT_THAT(PullOk(ninewa_, since.next_cursor).records, IsEmpty());
}

TEST_F(PullTest, ConflictOpenedByALosingEditReachesIncrementalPulls) {
  const Device other = InGovernorate("tab-n2", "Ninewa");
  CreateIn(ninewa_, "n-1", "Ninewa");
  Edit(ninewa_, "n-1", 1, 5);  // version 2, later HLC than the edit below
  PullPage up_to_date = PullOk(admin_, "");
  ASSERT_THAT(up_to_date.records, SizeIs(1));
  EXPECT_FALSE(up_to_date.records[0].record.open_conflict);
  const std::string other_cursor = PullOk(other, "").next_cursor;

  // An offline edit from version 1 with an older HLC loses under last-writer-wins: no value
  // changes, the version stays 2, but the record now has an open conflict.
  Receipt lost = PushNext(other, Upsert(0, "n-1", 1, {{"household_size", int64_t{9}}},
                                        At(clock_.NowMs() - 60'000, other.device_id)));
  ASSERT_EQ(lost.outcome, Outcome::kConflict);

  PullPage next = PullOk(admin_, up_to_date.next_cursor);
  ASSERT_THAT(Ids(next), ElementsAre("n-1"));
  EXPECT_TRUE(next.records[0].record.open_conflict);
  EXPECT_EQ(next.records[0].record.version, 2u);
  EXPECT_EQ(next.records[0].record.fields.at("household_size"), Value{int64_t{5}});
  // The device that lost learns it the same way.
  PullPage other_next = PullOk(other, other_cursor);
  ASSERT_THAT(Ids(other_next), ElementsAre("n-1"));
  EXPECT_TRUE(other_next.records[0].record.open_conflict);
}

TEST_F(PullTest, TombstonesAreDelivered) {
  CreateIn(ninewa_, "n-1", "Ninewa");
  CreateIn(ninewa_, "n-2", "Ninewa");
  PullPage first = PullOk(ninewa_, "");
  ASSERT_EQ(PushNext(ninewa_, Delete(0, "n-1", 1, At(5000, "tab-n"))).outcome, Outcome::kApplied);

  PullPage since = PullOk(ninewa_, first.next_cursor);
  ASSERT_THAT(since.records, SizeIs(1));
  const PulledRecord& t = since.records[0];
  EXPECT_EQ(t.record.record_id, "n-1");
  EXPECT_TRUE(t.record.deleted);
  EXPECT_FALSE(t.out_of_scope);
  EXPECT_EQ(t.record.version, 2u);
  EXPECT_EQ(t.record.fields.count("household_size"), 0u);

  PullPage full = PullOk(ninewa_, "");
  ASSERT_NE(Find(full, "n-1"), nullptr);
  EXPECT_TRUE(Find(full, "n-1")->record.deleted);
  // Other scopes do not see the tombstone.
  EXPECT_THAT(PullOk(anbar_, "").records, IsEmpty());
}

TEST_F(PullTest, RecordMovedOutOfScopeArrivesAsOutOfScopeWithoutValues) {
  CreateIn(ninewa_, "n-1", "Ninewa");
  CreateIn(ninewa_, "n-2", "Ninewa");
  PullPage first = PullOk(ninewa_, "");
  ASSERT_THAT(first.records, SizeIs(2));
  PullPage anbar_first = PullOk(anbar_, "");
  EXPECT_THAT(anbar_first.records, IsEmpty());

  // An all-scopes admin moves n-1 to Anbar.
  Receipt moved = PushNext(
      admin_, Upsert(0, "n-1", 1, {{"governorate", std::string("Anbar")}}, At(6000, "admin")));
  ASSERT_EQ(moved.outcome, Outcome::kApplied);

  PullPage since = PullOk(ninewa_, first.next_cursor);
  ASSERT_THAT(since.records, SizeIs(1));
  const PulledRecord& gone = since.records[0];
  EXPECT_EQ(gone.record.record_id, "n-1");
  EXPECT_TRUE(gone.out_of_scope);
  EXPECT_THAT(gone.record.fields, IsEmpty());
  EXPECT_THAT(gone.record.field_meta, IsEmpty());

  // Anbar now receives it, with its values.
  PullPage anbar_since = PullOk(anbar_, anbar_first.next_cursor);
  ASSERT_THAT(anbar_since.records, SizeIs(1));
  EXPECT_FALSE(anbar_since.records[0].out_of_scope);
  EXPECT_EQ(anbar_since.records[0].record.fields.at("governorate"), Value{std::string("Anbar")});
  EXPECT_EQ(anbar_since.records[0].record.fields.at("household_size"), Value{int64_t{4}});

  // A later edit in Anbar tells Ninewa nothing more.
  Edit(anbar_, "n-1", 2, 9);
  PullPage later = PullOk(ninewa_, since.next_cursor);
  for (const auto& r : later.records) EXPECT_THAT(r.record.fields, IsEmpty());
}

TEST_F(PullTest, RecordThatLeftAndCameBackComesOnceAcrossPages) {
  CreateIn(admin_, "n-1", "Ninewa");  // seq 1
  // Out to Anbar (leaves an exit entry under Ninewa at seq 2) and back (seq 3).
  ASSERT_EQ(
      PushNext(admin_, Upsert(0, "n-1", 1, {{"governorate", std::string("Anbar")}}, At(2, "admin")))
          .outcome,
      Outcome::kApplied);
  ASSERT_EQ(PushNext(admin_,
                     Upsert(0, "n-1", 2, {{"governorate", std::string("Ninewa")}}, At(3, "admin")))
                .outcome,
            Outcome::kApplied);
  CreateIn(admin_, "n-2", "Ninewa");  // seq 4

  for (uint32_t limit : {1u, 2u, 10u}) {
    SCOPED_TRACE(limit);
    std::map<std::string, int> seen;
    std::string cursor;
    for (int pages = 0; pages < 20; ++pages) {
      PullPage page = PullOk(ninewa_, cursor, limit);
      for (const auto& r : page.records) {
        EXPECT_FALSE(r.out_of_scope) << r.record.record_id;
        EXPECT_EQ(r.record.version, r.record.record_id == "n-1" ? 3u : 1u);
        ++seen[r.record.record_id];
      }
      cursor = page.next_cursor;
      if (!page.has_more) break;
    }
    EXPECT_EQ(seen, (std::map<std::string, int>{{"n-1", 1}, {"n-2", 1}}));
  }
}

TEST_F(PullTest, RecordThatLeftTwiceComesOnceAsOutOfScope) {
  CreateIn(admin_, "n-1", "Ninewa");  // seq 1
  PullPage first = PullOk(ninewa_, "");
  ASSERT_THAT(first.records, SizeIs(1));
  // Out (exit entry under Ninewa at seq 2), back (3), out again (exit entry at 4).
  uint64_t version = 1;
  for (const char* gov : {"Anbar", "Ninewa", "Anbar"}) {
    Mutation m = Upsert(0, "n-1", version, {{"governorate", std::string(gov)}},
                        At(static_cast<int64_t>(version), "admin"));
    ASSERT_EQ(PushNext(admin_, m).outcome, Outcome::kApplied);
    ++version;
  }
  PullPage page = PullOk(ninewa_, first.next_cursor, 100);
  ASSERT_THAT(page.records, SizeIs(1));
  EXPECT_EQ(page.records[0].record.record_id, "n-1");
  EXPECT_TRUE(page.records[0].out_of_scope);
  EXPECT_EQ(page.records[0].record.version, 4u);
  EXPECT_EQ(page.records[0].record.last_writer_device, "");
  // A fresh device (no cursor) has nothing to remove, and learns nothing of the record.
  EXPECT_THAT(PullOk(ninewa_, "", 100).records, IsEmpty());
}

TEST_F(PullTest, PagingGivesEveryRecordExactlyOnce) {
  // A device with two grants: records under both are indexed twice.
  const Device two = MakeDevice("tab-2", {{"governorate", "Ninewa"}, {"team", "T9"}});
  std::set<std::string> expected;
  for (int i = 0; i < 12; ++i) {
    const std::string id = "r-" + std::to_string(i);
    const std::string gov = i % 3 == 0 ? "Anbar" : "Ninewa";
    const std::string team = i % 2 == 0 ? "T9" : "T1";
    CreateIn(admin_, id, gov, team);
    if (gov == "Ninewa" || team == "T9") expected.insert(id);
    if (i % 4 == 1) Edit(admin_, id, 1, 7);  // changed twice
  }
  CreateIn(admin_, "other", "Kirkuk", "T1");

  for (uint32_t limit : {1u, 2u, 3u, 5u, 100u}) {
    SCOPED_TRACE(limit);
    std::map<std::string, int> seen;
    std::string cursor;
    int pages = 0;
    while (true) {
      PullPage page = PullOk(two, cursor, limit);
      ASSERT_LE(page.records.size(), limit);
      for (const auto& r : page.records) {
        EXPECT_FALSE(r.out_of_scope);
        ++seen[r.record.record_id];
      }
      cursor = page.next_cursor;
      ASSERT_LT(++pages, 100);
      if (!page.has_more) break;
    }
    std::set<std::string> got;
    for (const auto& [id, n] : seen) {
      EXPECT_EQ(n, 1) << id << " delivered " << n << " times";
      got.insert(id);
    }
    EXPECT_EQ(got, expected);
    // Once has_more is false, the cursor is at the head: nothing more comes.
    PullPage after = PullOk(two, cursor, limit);
    EXPECT_THAT(after.records, IsEmpty());
    EXPECT_FALSE(after.has_more);
  }
}

TEST_F(PullTest, HasMoreIsExact) {
  for (int i = 0; i < 6; ++i) CreateIn(ninewa_, "n-" + std::to_string(i), "Ninewa");
  PullPage p1 = PullOk(ninewa_, "", 3);
  EXPECT_THAT(Ids(p1), ElementsAre("n-0", "n-1", "n-2"));
  EXPECT_TRUE(p1.has_more);
  PullPage p2 = PullOk(ninewa_, p1.next_cursor, 3);
  EXPECT_THAT(Ids(p2), ElementsAre("n-3", "n-4", "n-5"));
  EXPECT_FALSE(p2.has_more) << "exactly `limit` records were left";
  PullPage p3 = PullOk(ninewa_, p2.next_cursor, 3);
  EXPECT_THAT(p3.records, IsEmpty());
  EXPECT_FALSE(p3.has_more);

  PullPage all = PullOk(ninewa_, "", 6);
  EXPECT_THAT(all.records, SizeIs(6));
  EXPECT_FALSE(all.has_more);
  PullPage five = PullOk(ninewa_, "", 5);
  EXPECT_THAT(five.records, SizeIs(5));
  EXPECT_TRUE(five.has_more);
}

TEST_F(PullTest, PageLimitIsCapped) {
  PullLimits limits;
  limits.default_page = 2;
  limits.max_page = 3;
  MakeCores(PushLimits{}, limits);
  for (int i = 0; i < 5; ++i) CreateIn(ninewa_, "n-" + std::to_string(i), "Ninewa");
  PullPage dflt = PullOk(ninewa_, "", 0);
  EXPECT_THAT(dflt.records, SizeIs(2));
  EXPECT_TRUE(dflt.has_more);
  PullPage capped = PullOk(ninewa_, "", 1000);
  EXPECT_THAT(capped.records, SizeIs(3));
  EXPECT_TRUE(capped.has_more);
}

TEST_F(PullTest, PagesAreCutByBytesAndStillGiveEveryRecordOnce) {
  for (int i = 0; i < 7; ++i) CreateIn(admin_, "n-" + std::to_string(i), "Ninewa");
  Edit(admin_, "n-2", 1, 9);  // a later entry, and a stale one the byte cut must step over
  PullLimits limits;
  // About two records' worth.
  PullPage whole = PullOk(ninewa_, "", 1);
  ASSERT_EQ(whole.records.size(), 1u);
  limits.max_page_bytes = 2 * ApproxWireBytes(whole.records[0].record) + 10;
  MakeCores(PushLimits{}, limits);
  std::map<std::string, int> seen;
  std::string cursor;
  int pages = 0;
  while (true) {
    PullPage page = PullOk(ninewa_, cursor, 100);
    ASSERT_GE(page.records.size(), 1u);
    ASSERT_LE(page.records.size(), 2u);
    for (const auto& r : page.records) ++seen[r.record.record_id];
    cursor = page.next_cursor;
    ASSERT_LT(++pages, 20);
    if (!page.has_more) break;
  }
  EXPECT_GE(pages, 4);
  EXPECT_EQ(seen.size(), 7u);
  for (const auto& [id, n] : seen) EXPECT_EQ(n, 1) << id;
  // A record larger than the budget still comes, alone on its page.
  limits.max_page_bytes = 1;
  MakeCores(PushLimits{}, limits);
  EXPECT_THAT(PullOk(ninewa_, "", 100).records, SizeIs(1));
}

TEST_F(PullTest, FormFilter) {
  const Device both = MakeDevice("tab-x", {{"governorate", "Ninewa"}, {"border_point", "BP-001"}});
  CreateIn(both, "n-1", "Ninewa");
  ASSERT_EQ(PushNext(both, Create(0, "x-1", Crossing("BP-001"), At(1, "tab-x"), kCrossing)).outcome,
            Outcome::kApplied);
  EXPECT_THAT(Ids(PullOk(both, "")), UnorderedElementsAre("n-1", "x-1"));
  EXPECT_THAT(Ids(PullOk(both, "", 0, {kCrossing})), ElementsAre("x-1"));
  EXPECT_THAT(Ids(PullOk(both, "", 0, {kHousehold})), ElementsAre("n-1"));
  EXPECT_THAT(Ids(PullOk(both, "", 0, {"unknown_form"})), IsEmpty());
}

TEST_F(PullTest, TooManyFormsIsInvalidArgument) {
  PullLimits limits;
  limits.max_forms = 2;
  MakeCores(PushLimits{}, limits);
  absl::Status s = PullStatus(ninewa_, "", {"a", "b", "c"});
  EXPECT_EQ(s.code(), absl::StatusCode::kInvalidArgument);
}

TEST_F(PullTest, CursorFromOtherScopesRequiresResync) {
  CreateIn(ninewa_, "n-1", "Ninewa");
  PullPage n = PullOk(ninewa_, "");
  absl::Status s = PullStatus(anbar_, n.next_cursor);
  EXPECT_TRUE(IsResyncRequired(s)) << s;
  EXPECT_EQ(s.code(), absl::StatusCode::kFailedPrecondition);
  // The same device after its grants changed.
  Device regranted = ninewa_;
  regranted.scopes.push_back({"governorate", "Anbar"});
  EXPECT_TRUE(IsResyncRequired(PullStatus(regranted, n.next_cursor)));
  // The same device with another form filter.
  EXPECT_TRUE(IsResyncRequired(PullStatus(ninewa_, n.next_cursor, {kHousehold})));
  // Still fine for the device and filter it was issued for.
  EXPECT_TRUE(PullStatus(ninewa_, n.next_cursor).ok());
}

TEST_F(PullTest, MalformedCursorIsInvalidArgument) {
  CreateIn(ninewa_, "n-1", "Ninewa");
  std::string good = PullOk(ninewa_, "").next_cursor;
  std::string wrong_version = good;
  wrong_version[0] = static_cast<char>(wrong_version[0] + 1);
  for (const std::string& bad : {std::string("garbage"), std::string(1, '\x01'),
                                 good.substr(0, good.size() - 1), good + "x", wrong_version}) {
    absl::Status s = PullStatus(ninewa_, bad);
    EXPECT_EQ(s.code(), absl::StatusCode::kInvalidArgument) << s;
    EXPECT_FALSE(IsResyncRequired(s));
  }
}

TEST_F(PullTest, CursorCodecRoundTrip) {
  Cursor c{0x0102030405060708ULL, 0xfedcba9876543210ULL};
  auto decoded = DecodeCursor(EncodeCursor(c));
  ASSERT_TRUE(decoded.ok()) << decoded.status();
  EXPECT_EQ(decoded->seq, c.seq);
  EXPECT_EQ(decoded->fingerprint, c.fingerprint);
  EXPECT_EQ(DecodeCursor("").status().code(), absl::StatusCode::kInvalidArgument);

  // Fingerprints depend on scopes and forms, not on their order.
  Device a = MakeDevice("a", {{"governorate", "Ninewa"}, {"team", "T1"}});
  Device b = MakeDevice("b", {{"team", "T1"}, {"governorate", "Ninewa"}});
  EXPECT_EQ(ScopeFingerprint(a, {"f", "g"}), ScopeFingerprint(b, {"g", "f"}));
  EXPECT_NE(ScopeFingerprint(a, {"f"}), ScopeFingerprint(a, {"f", "g"}));
  EXPECT_NE(ScopeFingerprint(a, {}), ScopeFingerprint(AdminDevice(), {}));
  Device c1 = MakeDevice("c", {{"governorate", "Ninewa"}});
  Device c2 = MakeDevice("c", {{"governorat", "eNinewa"}});
  EXPECT_NE(ScopeFingerprint(c1, {}), ScopeFingerprint(c2, {}));
}

TEST_F(PullTest, CursorAheadOfServerRequiresResync) {
  CreateIn(ninewa_, "n-1", "Ninewa");
  PullPage n = PullOk(ninewa_, "");
  auto c = DecodeCursor(n.next_cursor);
  ASSERT_TRUE(c.ok());
  std::string ahead = EncodeCursor(Cursor{c->seq + 100, c->fingerprint});
  EXPECT_TRUE(IsResyncRequired(PullStatus(ninewa_, ahead)));
}

TEST_F(PullTest, AfterRetentionOldCursorRequiresResyncAndSnapshotIsComplete) {
  clock_.SetMs(1'000'000);
  CreateIn(ninewa_, "n-0", "Ninewa");
  CreateIn(ninewa_, "n-1", "Ninewa");
  PullPage early = PullOk(ninewa_, "");
  ASSERT_THAT(early.records, SizeIs(2));
  for (int i = 2; i < 8; ++i) CreateIn(ninewa_, "n-" + std::to_string(i), "Ninewa");
  Edit(ninewa_, "n-0", 1, 20);
  Edit(ninewa_, "n-3", 1, 21);
  CreateIn(ninewa_, "doomed", "Ninewa");
  ASSERT_EQ(PushNext(ninewa_, Delete(0, "doomed", 1, At(1, "tab-n"))).outcome, Outcome::kApplied);
  CreateIn(anbar_, "a-0", "Anbar");
  const uint64_t head = sequencer_->VisibleHead();
  ASSERT_EQ(head, 13u);
  clock_.AdvanceMs(1'000'000);

  RetentionPolicy policy;
  policy.keep_changes = 3;
  policy.keep_ms = 0;
  auto dropped = retention_->PurgeOnce(policy);
  ASSERT_TRUE(dropped.ok()) << dropped.status();
  EXPECT_EQ(*dropped, 10u);
  auto min_retained = store_->GetMeta(keys::kMinRetainedSeq);
  ASSERT_TRUE(min_retained.ok());
  EXPECT_EQ(*min_retained, 11u);
  auto changes = AllChanges();
  ASSERT_THAT(changes, SizeIs(3));
  EXPECT_EQ(changes[0].seq, 11u);

  // The old cursor (seq 2) needs changes that are gone.
  absl::Status s = PullStatus(ninewa_, early.next_cursor);
  EXPECT_TRUE(IsResyncRequired(s)) << s;

  // A full snapshot still has every live record, each once, at its latest version.
  PullPage snapshot = PullOk(ninewa_, "", 1000);
  std::set<std::string> live;
  for (const auto& r : snapshot.records) {
    if (!r.record.deleted) live.insert(r.record.record_id);
  }
  EXPECT_EQ(live, (std::set<std::string>{"n-0", "n-1", "n-2", "n-3", "n-4", "n-5", "n-6", "n-7"}));
  ASSERT_NE(Find(snapshot, "n-0"), nullptr);
  ASSERT_NE(Find(snapshot, "n-3"), nullptr);
  EXPECT_EQ(Find(snapshot, "n-0")->record.fields.at("household_size"), Value{int64_t{20}});
  EXPECT_EQ(Find(snapshot, "n-3")->record.fields.at("household_size"), Value{int64_t{21}});
  EXPECT_THAT(PullOk(anbar_, "").records, SizeIs(1));
  PullPage admin = PullOk(admin_, "", 1000);
  size_t admin_live = 0;
  for (const auto& r : admin.records) admin_live += !r.record.deleted;
  EXPECT_EQ(admin_live, 9u);

  // A cursor at the retained boundary is still served.
  auto c = DecodeCursor(early.next_cursor);
  ASSERT_TRUE(c.ok());
  std::string boundary = EncodeCursor(Cursor{10, c->fingerprint});
  EXPECT_TRUE(PullStatus(ninewa_, boundary).ok());
  std::string before_boundary = EncodeCursor(Cursor{9, c->fingerprint});
  EXPECT_TRUE(IsResyncRequired(PullStatus(ninewa_, before_boundary)));
}

TEST_F(PullTest, CursorAdvancesPastOtherScopesChanges) {
  CreateIn(ninewa_, "n-1", "Ninewa");                                                // seq 1
  for (int i = 0; i < 10; ++i) CreateIn(anbar_, "a-" + std::to_string(i), "Anbar");  // 2..11
  PullPage page = PullOk(ninewa_, "");
  EXPECT_THAT(Ids(page), ElementsAre("n-1"));
  auto c = DecodeCursor(page.next_cursor);
  ASSERT_TRUE(c.ok()) << c.status();
  EXPECT_EQ(c->seq, 11u) << "a quiet scope's cursor must keep up with the head";
  EXPECT_EQ(State("tab-n").last_pull_seq, 11u);

  // So retention of changes the device never needed does not force it to resync.
  RetentionPolicy policy;
  policy.keep_changes = 3;
  policy.keep_ms = 0;
  ASSERT_TRUE(retention_->PurgeOnce(policy).ok());
  absl::Status s = PullStatus(ninewa_, page.next_cursor);
  EXPECT_TRUE(s.ok()) << s;
}

TEST_F(PullTest, RetentionKeepsYoungChanges) {
  clock_.SetMs(1'000'000);
  for (int i = 0; i < 4; ++i) CreateIn(ninewa_, "n-" + std::to_string(i), "Ninewa");
  clock_.AdvanceMs(10'000);
  for (int i = 4; i < 8; ++i) CreateIn(ninewa_, "n-" + std::to_string(i), "Ninewa");
  clock_.AdvanceMs(1'000);
  RetentionPolicy policy;
  policy.keep_changes = 1;
  policy.keep_ms = 5'000;  // seqs 5..8 are younger than this
  auto dropped = retention_->PurgeOnce(policy);
  ASSERT_TRUE(dropped.ok()) << dropped.status();
  EXPECT_EQ(*dropped, 4u);
  auto changes = AllChanges();
  ASSERT_THAT(changes, SizeIs(4));
  EXPECT_EQ(changes[0].seq, 5u);
  auto min_retained = store_->GetMeta(keys::kMinRetainedSeq);
  ASSERT_TRUE(min_retained.ok());
  EXPECT_EQ(*min_retained, 5u);
}

TEST_F(PullTest, RetentionKeepsWhatAConsumerHasNotRead) {
  for (int i = 0; i < 8; ++i) CreateIn(ninewa_, "n-" + std::to_string(i), "Ninewa");
  RetentionPolicy policy;
  policy.keep_changes = 1;
  policy.keep_ms = 0;
  policy.keep_from_seq = 4;  // the consumer has read seqs 1..3
  auto dropped = retention_->PurgeOnce(policy);
  ASSERT_TRUE(dropped.ok()) << dropped.status();
  EXPECT_EQ(*dropped, 3u);
  EXPECT_EQ(AllChanges().front().seq, 4u);
  policy.keep_from_seq = 1;  // nothing read yet: nothing may go
  dropped = retention_->PurgeOnce(policy);
  ASSERT_TRUE(dropped.ok());
  EXPECT_EQ(*dropped, 0u);
  policy.keep_from_seq = 0;  // no consumer: the count rule alone
  dropped = retention_->PurgeOnce(policy);
  ASSERT_TRUE(dropped.ok());
  EXPECT_EQ(*dropped, 4u);
}

TEST_F(PullTest, InFlightSeqHidesLaterCommitsUntilFinished) {
  CreateIn(ninewa_, "n-1", "Ninewa");  // seq 1
  PullPage first = PullOk(ninewa_, "");
  ASSERT_THAT(first.records, SizeIs(1));

  // Another batch holds seq 2 and has not committed yet.
  const uint64_t in_flight = sequencer_->Allocate().value();
  ASSERT_EQ(in_flight, 2u);
  CreateIn(ninewa_, "n-2", "Ninewa");  // committed at seq 3
  ASSERT_EQ(GetRecord("n-2")->seq, 3u);
  EXPECT_EQ(sequencer_->VisibleHead(), 1u);

  PullPage hidden = PullOk(ninewa_, first.next_cursor);
  EXPECT_THAT(hidden.records, IsEmpty());
  EXPECT_THAT(Ids(PullOk(ninewa_, "")), ElementsAre("n-1"));

  sequencer_->Finish(in_flight);
  EXPECT_EQ(sequencer_->VisibleHead(), 3u);
  PullPage shown = PullOk(ninewa_, hidden.next_cursor);
  EXPECT_THAT(Ids(shown), ElementsAre("n-2"));
}

TEST_F(PullTest, PullStoresTheDeviceReport) {
  clock_.SetMs(3'000'000);
  DeviceReport report;
  report.app_version = "3.1";
  report.outbox_depth = 4;
  report.device_clock_ms = 3'000'000 + 2500;
  PullQuery q;
  q.report = &report;
  auto page = pull_->Pull(ninewa_, q);
  ASSERT_TRUE(page.ok()) << page.status();
  DeviceSyncState st = State("tab-n");
  EXPECT_EQ(st.report.app_version, "3.1");
  EXPECT_EQ(st.report.outbox_depth, 4u);
  EXPECT_EQ(st.clock_skew_ms, 2500);
  EXPECT_EQ(st.last_seen_ms, 3'000'000);
}

TEST_F(PullTest, PullRecordsProgressInDeviceState) {
  clock_.SetMs(2'000'000);
  CreateIn(ninewa_, "n-1", "Ninewa");
  CreateIn(ninewa_, "n-2", "Ninewa");
  PullOk(ninewa_, "");
  DeviceSyncState st = State("tab-n");
  EXPECT_EQ(st.last_pull_ms, 2'000'000);
  EXPECT_EQ(st.last_pull_seq, 2u);
  EXPECT_EQ(st.acked_seq, 2u);  // push progress kept
}

}  // namespace
}  // namespace fieldsync::sync_test
