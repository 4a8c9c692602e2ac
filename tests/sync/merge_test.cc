#include "server/sync/merge.h"

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
using ::testing::UnorderedElementsAre;

constexpr int64_t kNow = 1'700'000'000'000;

// Runs Merge and, if the record changed, stamps the seq push.cc would give it.
MergeResult Apply(const Form& form, const Record* current, const Mutation& m,
                  const std::string& device_id) {
  MergeResult r = Merge(form, current, m, ContentHash(m), device_id, kNow);
  static uint64_t seq = 0;
  if (r.changed) r.record.seq = ++seq;
  return r;
}

std::vector<std::string> ChangedFields(const MergeResult& r) {
  std::vector<std::string> out;
  for (const auto& c : r.field_changes) out.push_back(c.field);
  return out;
}

class MergeTest : public ::testing::Test {
 protected:
  // tab-1 creates "rec-1" in Ninewa (version 1).
  Record Created() {
    MergeResult r = Apply(form_, nullptr,
                          Create(1, "rec-1", Household("Ninewa", 4), At(1000, "tab-1")), "tab-1");
    EXPECT_EQ(r.outcome, Outcome::kApplied);
    EXPECT_TRUE(r.changed);
    return r.record;
  }

  // `device` sets `field` to `value` on `rec` from `base`; expects the record to change.
  Record Edited(const Record& rec, const std::string& device, uint64_t base,
                const std::string& field, Value value, int64_t hlc_ms) {
    MergeResult r = Apply(
        form_, &rec, Upsert(9, rec.record_id, base, {{field, value}}, At(hlc_ms, device)), device);
    EXPECT_TRUE(r.changed) << OutcomeName(r.outcome);
    EXPECT_THAT(r.conflicts, IsEmpty());
    return r.record;
  }

  Form form_ = HouseholdForm();
};

TEST_F(MergeTest, CreateSetsVersionFieldsAndMetadata) {
  FieldMap fields = Household("Ninewa", 4);
  fields["notes"] = Value{};  // a null on create stores nothing
  Mutation m = Create(1, "rec-1", fields, At(1000, "tab-1"));
  MergeResult r = Merge(form_, nullptr, m, ContentHash(m), "tab-1", kNow);
  EXPECT_EQ(r.outcome, Outcome::kApplied);
  EXPECT_TRUE(r.changed);
  EXPECT_THAT(r.conflicts, IsEmpty());
  const Record& rec = r.record;
  EXPECT_EQ(rec.record_id, "rec-1");
  EXPECT_EQ(rec.form_id, kHousehold);
  EXPECT_EQ(rec.form_version, 1u);
  EXPECT_EQ(rec.version, 1u);
  EXPECT_FALSE(rec.deleted);
  EXPECT_EQ(rec.last_writer_device, "tab-1");
  EXPECT_EQ(rec.updated_ms, kNow);
  EXPECT_EQ(rec.content_hash, ContentHash(m));
  EXPECT_EQ(rec.fields, Household("Ninewa", 4));
  EXPECT_EQ(rec.fields.count("notes"), 0u);
  ASSERT_EQ(rec.field_meta.count("household_size"), 1u);
  EXPECT_EQ(rec.field_meta.at("household_size").version, 1u);
  EXPECT_EQ(rec.field_meta.at("household_size").device_id, "tab-1");
  EXPECT_EQ(rec.field_meta.at("household_size").hlc, At(1000, "tab-1"));
  // Every stored field is reported as a change from null.
  EXPECT_EQ(r.field_changes.size(), Household("Ninewa").size());
  for (const auto& c : r.field_changes) {
    EXPECT_TRUE(IsNull(c.before)) << c.field;
    EXPECT_EQ(c.after, rec.fields.at(c.field)) << c.field;
  }
}

TEST_F(MergeTest, CreateOfMissingRecordWithBaseOrDeleteIsRejected) {
  MergeResult del = Apply(form_, nullptr, Delete(1, "rec-1", 0, At(1, "tab-1")), "tab-1");
  EXPECT_EQ(del.outcome, Outcome::kRejected);
  EXPECT_FALSE(del.changed);
  MergeResult based =
      Apply(form_, nullptr, Upsert(1, "rec-1", 3, Household("Ninewa"), At(1, "tab-1")), "tab-1");
  EXPECT_EQ(based.outcome, Outcome::kRejected);
  EXPECT_FALSE(based.changed);
}

TEST_F(MergeTest, FastForward) {
  Record v1 = Created();
  MergeResult r =
      Apply(form_, &v1, Upsert(2, "rec-1", 1, {{"household_size", int64_t{5}}}, At(2000, "tab-2")),
            "tab-2");
  EXPECT_EQ(r.outcome, Outcome::kApplied);
  EXPECT_TRUE(r.changed);
  EXPECT_THAT(r.conflicts, IsEmpty());
  EXPECT_EQ(r.record.version, 2u);
  EXPECT_EQ(r.record.fields.at("household_size"), Value{int64_t{5}});
  EXPECT_EQ(r.record.fields.at("district"), Value{std::string("Mosul")});
  EXPECT_EQ(r.record.last_writer_device, "tab-2");
  ASSERT_EQ(r.field_changes.size(), 1u);
  EXPECT_EQ(r.field_changes[0].field, "household_size");
  EXPECT_EQ(r.field_changes[0].before, Value{int64_t{4}});
  EXPECT_EQ(r.field_changes[0].after, Value{int64_t{5}});
  EXPECT_EQ(r.record.field_meta.at("household_size").version, 2u);
  EXPECT_EQ(r.record.field_meta.at("household_size").device_id, "tab-2");
  EXPECT_EQ(r.record.field_meta.at("district").version, 1u);  // untouched
  // The creating content hash stays (it identifies the record for append-only forms).
  EXPECT_EQ(r.record.content_hash, v1.content_hash);
}

TEST_F(MergeTest, ClearingAFieldRemovesItsValue) {
  Record v1 = Created();
  MergeResult r =
      Apply(form_, &v1, Upsert(2, "rec-1", 1, {{"team", Value{}}}, At(2000, "tab-1")), "tab-1");
  EXPECT_TRUE(r.changed);
  EXPECT_EQ(r.record.fields.count("team"), 0u);
  EXPECT_EQ(r.record.field_meta.at("team").version, 2u);
  ASSERT_EQ(r.field_changes.size(), 1u);
  EXPECT_TRUE(IsNull(r.field_changes[0].after));
}

TEST_F(MergeTest, ThreeWayMergeOfDifferentFields) {
  Record v1 = Created();
  Record v2 = Edited(v1, "tab-2", 1, "household_size", int64_t{6}, 2000);
  // tab-3 edited another field from version 1.
  MergeResult r = Apply(
      form_, &v2,
      Upsert(1, "rec-1", 1, {{"notes", std::string("roof damaged")}}, At(1500, "tab-3")), "tab-3");
  EXPECT_EQ(r.outcome, Outcome::kMerged);
  EXPECT_TRUE(r.changed);
  EXPECT_THAT(r.conflicts, IsEmpty());
  EXPECT_THAT(r.conflict_fields, IsEmpty());
  EXPECT_FALSE(r.record.open_conflict);
  EXPECT_EQ(r.record.version, 3u);
  EXPECT_EQ(r.record.fields.at("household_size"), Value{int64_t{6}});
  EXPECT_EQ(r.record.fields.at("notes"), Value{std::string("roof damaged")});
  EXPECT_THAT(ChangedFields(r), ElementsAre("notes"));
}

TEST_F(MergeTest, SameFieldLastWriterWinsDeviceLater) {
  Record v1 = Created();
  Record v2 = Edited(v1, "tab-2", 1, "household_size", int64_t{6}, 2000);
  MergeResult r =
      Apply(form_, &v2, Upsert(1, "rec-1", 1, {{"household_size", int64_t{7}}}, At(3000, "tab-3")),
            "tab-3");
  EXPECT_EQ(r.outcome, Outcome::kConflict);
  EXPECT_THAT(r.conflict_fields, ElementsAre("household_size"));
  EXPECT_TRUE(r.changed);
  EXPECT_EQ(r.record.version, 3u);
  EXPECT_EQ(r.record.fields.at("household_size"), Value{int64_t{7}});
  EXPECT_TRUE(r.record.open_conflict);
  ASSERT_EQ(r.conflicts.size(), 1u);
  const ConflictEntry& c = r.conflicts[0];
  EXPECT_EQ(c.record_id, "rec-1");
  EXPECT_EQ(c.field, "household_size");
  EXPECT_EQ(c.base_version, 1u);
  EXPECT_EQ(c.server_value, Value{int64_t{6}});
  EXPECT_EQ(c.device_value, Value{int64_t{7}});
  EXPECT_EQ(c.server_writer, "tab-2");
  EXPECT_EQ(c.device_writer, "tab-3");
  EXPECT_EQ(c.server_hlc, At(2000, "tab-2"));
  EXPECT_EQ(c.device_hlc, At(3000, "tab-3"));
  EXPECT_TRUE(c.device_won);
  EXPECT_FALSE(c.delete_conflict);
  EXPECT_TRUE(c.open);
}

TEST_F(MergeTest, SameFieldLastWriterWinsDeviceEarlier) {
  Record v1 = Created();
  Record v2 = Edited(v1, "tab-2", 1, "household_size", int64_t{6}, 3000);
  MergeResult r =
      Apply(form_, &v2, Upsert(1, "rec-1", 1, {{"household_size", int64_t{7}}}, At(2000, "tab-3")),
            "tab-3");
  EXPECT_EQ(r.outcome, Outcome::kConflict);
  EXPECT_THAT(r.conflict_fields, ElementsAre("household_size"));
  EXPECT_EQ(r.record.fields.at("household_size"), Value{int64_t{6}});
  EXPECT_FALSE(r.changed);  // nothing else changed: no new version
  EXPECT_EQ(r.record.version, 2u);
  EXPECT_TRUE(r.metadata_changed);
  EXPECT_TRUE(r.record.open_conflict);
  ASSERT_EQ(r.conflicts.size(), 1u);
  EXPECT_FALSE(r.conflicts[0].device_won);
  EXPECT_EQ(r.conflicts[0].device_value, Value{int64_t{7}});
  EXPECT_EQ(r.conflicts[0].server_value, Value{int64_t{6}});
}

TEST_F(MergeTest, LastWriterWinsTieBrokenByDeviceId) {
  Record v1 = Created();
  // Server value written by tab-b; two contenders with the very same physical/logical time.
  Record v2 = Edited(v1, "tab-b", 1, "household_size", int64_t{6}, 5000);
  MergeResult lower =
      Apply(form_, &v2, Upsert(1, "rec-1", 1, {{"household_size", int64_t{7}}}, At(5000, "tab-a")),
            "tab-a");
  EXPECT_EQ(lower.outcome, Outcome::kConflict);
  ASSERT_EQ(lower.conflicts.size(), 1u);
  EXPECT_FALSE(lower.conflicts[0].device_won);
  EXPECT_EQ(lower.record.fields.at("household_size"), Value{int64_t{6}});

  MergeResult higher =
      Apply(form_, &v2, Upsert(1, "rec-1", 1, {{"household_size", int64_t{8}}}, At(5000, "tab-c")),
            "tab-c");
  EXPECT_EQ(higher.outcome, Outcome::kConflict);
  ASSERT_EQ(higher.conflicts.size(), 1u);
  EXPECT_TRUE(higher.conflicts[0].device_won);
  EXPECT_EQ(higher.record.fields.at("household_size"), Value{int64_t{8}});
}

TEST_F(MergeTest, LogicalCounterOrdersWithinOneMillisecond) {
  Record v1 = Created();
  Record v2 = Edited(v1, "tab-2", 1, "household_size", int64_t{6}, 5000);
  MergeResult r = Apply(
      form_, &v2,
      Upsert(1, "rec-1", 1, {{"household_size", int64_t{7}}}, At(5000, "tab-1", /*logical=*/1)),
      "tab-1");
  ASSERT_EQ(r.conflicts.size(), 1u);
  EXPECT_TRUE(r.conflicts[0].device_won);
}

TEST_F(MergeTest, FirstWriterWinsAndManualKeepServerValue) {
  for (ConflictPolicy policy : {ConflictPolicy::kFirstWriterWins, ConflictPolicy::kManual}) {
    SCOPED_TRACE(static_cast<int>(policy));
    form_ = HouseholdForm(policy);
    Record v1 = Created();
    Record v2 = Edited(v1, "tab-2", 1, "household_size", int64_t{6}, 2000);
    // The device's HLC is later: under LWW it would win.
    MergeResult r =
        Apply(form_, &v2,
              Upsert(1, "rec-1", 1, {{"household_size", int64_t{7}}, {"notes", std::string("n")}},
                     At(9000, "tab-3")),
              "tab-3");
    EXPECT_EQ(r.outcome, Outcome::kConflict);
    EXPECT_THAT(r.conflict_fields, ElementsAre("household_size"));
    EXPECT_EQ(r.record.fields.at("household_size"), Value{int64_t{6}});
    EXPECT_EQ(r.record.fields.at("notes"), Value{std::string("n")});  // the rest merges
    ASSERT_EQ(r.conflicts.size(), 1u);
    EXPECT_FALSE(r.conflicts[0].device_won);
    EXPECT_EQ(r.conflicts[0].device_value, Value{int64_t{7}});
    EXPECT_TRUE(r.record.open_conflict);
  }
}

TEST_F(MergeTest, RolePriorityHigherRoleWinsEqualRolesByHlc) {
  form_ = HouseholdForm(ConflictPolicy::kRolePriority);
  Record v1 = Created();
  // A supervisor corrects the household size (version 2), with an early clock.
  MergeResult sup =
      Merge(form_, &v1, Upsert(1, "rec-1", 1, {{"household_size", int64_t{6}}}, At(2000, "sup")),
            "h", "sup", kNow, Role::kSupervisor);
  ASSERT_TRUE(sup.changed);
  EXPECT_EQ(sup.record.field_meta.at("household_size").role, Role::kSupervisor);
  sup.record.seq = 100;
  // An enumerator's offline edit with a later clock loses to the supervisor...
  MergeResult enu =
      Merge(form_, &sup.record,
            Upsert(1, "rec-1", 1, {{"household_size", int64_t{7}}}, At(9000, "tab-3")), "h",
            "tab-3", kNow, Role::kEnumerator);
  EXPECT_EQ(enu.outcome, Outcome::kConflict);
  ASSERT_EQ(enu.conflicts.size(), 1u);
  EXPECT_FALSE(enu.conflicts[0].device_won);
  EXPECT_EQ(enu.record.fields.at("household_size"), Value{int64_t{6}});
  // ...an admin's with an earlier clock wins over it...
  MergeResult adm = Merge(form_, &sup.record,
                          Upsert(1, "rec-1", 1, {{"household_size", int64_t{8}}}, At(1500, "adm")),
                          "h", "adm", kNow, Role::kAdmin);
  ASSERT_EQ(adm.conflicts.size(), 1u);
  EXPECT_TRUE(adm.conflicts[0].device_won);
  EXPECT_EQ(adm.record.fields.at("household_size"), Value{int64_t{8}});
  // ...and another supervisor decides by the clock.
  MergeResult later = Merge(
      form_, &sup.record, Upsert(1, "rec-1", 1, {{"household_size", int64_t{9}}}, At(3000, "sup2")),
      "h", "sup2", kNow, Role::kSupervisor);
  ASSERT_EQ(later.conflicts.size(), 1u);
  EXPECT_TRUE(later.conflicts[0].device_won);
  MergeResult earlier = Merge(
      form_, &sup.record, Upsert(1, "rec-1", 1, {{"household_size", int64_t{9}}}, At(1000, "sup2")),
      "h", "sup2", kNow, Role::kSupervisor);
  ASSERT_EQ(earlier.conflicts.size(), 1u);
  EXPECT_FALSE(earlier.conflicts[0].device_won);
}

TEST_F(MergeTest, BothSidesSameValueIsNoConflict) {
  Record v1 = Created();
  Record v2 = Edited(v1, "tab-2", 1, "household_size", int64_t{6}, 2000);
  MergeResult r =
      Apply(form_, &v2, Upsert(1, "rec-1", 1, {{"household_size", int64_t{6}}}, At(3000, "tab-3")),
            "tab-3");
  EXPECT_NE(r.outcome, Outcome::kConflict);
  EXPECT_EQ(r.outcome, Outcome::kMerged);
  EXPECT_THAT(r.conflicts, IsEmpty());
  EXPECT_FALSE(r.record.open_conflict);
  EXPECT_EQ(r.record.fields.at("household_size"), Value{int64_t{6}});
  EXPECT_EQ(r.record.version, 2u);
}

TEST_F(MergeTest, SameDevicesOwnEarlierEditsAreNotAConflict) {
  Record v1 = Created();
  // Two offline edits on tab-1, both based on version 1, the first already applied.
  Record v2 = Edited(v1, "tab-1", 1, "household_size", int64_t{6}, 2000);
  MergeResult r =
      Apply(form_, &v2, Upsert(3, "rec-1", 1, {{"household_size", int64_t{7}}}, At(2500, "tab-1")),
            "tab-1");
  EXPECT_NE(r.outcome, Outcome::kConflict);
  EXPECT_EQ(r.outcome, Outcome::kMerged);
  EXPECT_THAT(r.conflicts, IsEmpty());
  EXPECT_EQ(r.record.fields.at("household_size"), Value{int64_t{7}});
  EXPECT_EQ(r.record.version, 3u);
  EXPECT_FALSE(r.record.open_conflict);
}

TEST_F(MergeTest, OwnEditsDoNotHideAnotherDevicesEdit) {
  Record v1 = Created();
  Record v2 = Edited(v1, "tab-1", 1, "household_size", int64_t{6}, 2000);
  Record v3 = Edited(v2, "tab-2", 2, "household_size", int64_t{9}, 2600);
  // tab-1's second offline edit (base 1) meets tab-2's newer value: a conflict.
  MergeResult r =
      Apply(form_, &v3, Upsert(3, "rec-1", 1, {{"household_size", int64_t{7}}}, At(2500, "tab-1")),
            "tab-1");
  EXPECT_EQ(r.outcome, Outcome::kConflict);
  ASSERT_EQ(r.conflicts.size(), 1u);
  EXPECT_EQ(r.conflicts[0].server_writer, "tab-2");
  EXPECT_FALSE(r.conflicts[0].device_won);
}

TEST_F(MergeTest, StaleDeleteAgainstNewerEditIsAConflict) {
  Record v1 = Created();
  Record v2 = Edited(v1, "tab-2", 1, "household_size", int64_t{6}, 2000);
  MergeResult r = Apply(form_, &v2, Delete(2, "rec-1", 1, At(3000, "tab-1")), "tab-1");
  EXPECT_EQ(r.outcome, Outcome::kConflict);
  EXPECT_FALSE(r.changed);
  EXPECT_FALSE(r.record.deleted);
  EXPECT_EQ(r.record.version, 2u);
  EXPECT_EQ(r.record.fields, v2.fields);
  EXPECT_TRUE(r.record.open_conflict);
  ASSERT_EQ(r.conflicts.size(), 1u);
  EXPECT_TRUE(r.conflicts[0].delete_conflict);
  EXPECT_EQ(r.conflicts[0].field, "");
  EXPECT_EQ(r.conflicts[0].device_writer, "tab-1");
  EXPECT_EQ(r.conflicts[0].server_writer, "tab-2");
  EXPECT_FALSE(r.conflicts[0].device_won);
}

TEST_F(MergeTest, DeleteKeepsScopeFieldsAndClearsTheRest) {
  Record v1 = Created();
  MergeResult r = Apply(form_, &v1, Delete(2, "rec-1", 1, At(3000, "tab-2")), "tab-2");
  EXPECT_EQ(r.outcome, Outcome::kApplied);
  EXPECT_TRUE(r.changed);
  EXPECT_TRUE(r.record.deleted);
  EXPECT_EQ(r.record.version, 2u);
  EXPECT_EQ(r.record.deleted_version, 2u);
  EXPECT_EQ(r.record.last_writer_device, "tab-2");
  FieldMap scope_only = {{"governorate", std::string("Ninewa")}, {"team", std::string("T1")}};
  EXPECT_EQ(r.record.fields, scope_only);
  EXPECT_THAT(ChangedFields(r), UnorderedElementsAre("district", "visit_date", "household_size"));
  for (const auto& c : r.field_changes) EXPECT_TRUE(IsNull(c.after)) << c.field;
  EXPECT_THAT(r.conflicts, IsEmpty());
}

TEST_F(MergeTest, StaleDeleteWithOnlyOwnChangesSinceBaseDeletes) {
  Record v1 = Created();
  Record v2 = Edited(v1, "tab-1", 1, "household_size", int64_t{6}, 2000);
  MergeResult r = Apply(form_, &v2, Delete(3, "rec-1", 1, At(3000, "tab-1")), "tab-1");
  EXPECT_THAT(r.conflicts, IsEmpty());
  EXPECT_EQ(r.outcome, Outcome::kMerged);
  EXPECT_TRUE(r.changed);
  EXPECT_TRUE(r.record.deleted);
  EXPECT_EQ(r.record.version, 3u);
  EXPECT_EQ(r.record.fields.count("household_size"), 0u);
  EXPECT_EQ(r.record.fields.count("governorate"), 1u);
}

TEST_F(MergeTest, StaleEditOfDeletedRecordIsAConflictAndStaysDeleted) {
  Record v1 = Created();
  MergeResult del = Apply(form_, &v1, Delete(1, "rec-1", 1, At(3000, "tab-2")), "tab-2");
  ASSERT_TRUE(del.record.deleted);
  const Record v2 = del.record;
  MergeResult r =
      Apply(form_, &v2, Upsert(2, "rec-1", 1, {{"household_size", int64_t{9}}}, At(4000, "tab-1")),
            "tab-1");
  EXPECT_EQ(r.outcome, Outcome::kConflict);
  EXPECT_FALSE(r.changed);
  EXPECT_TRUE(r.record.deleted);
  EXPECT_EQ(r.record.version, 2u);
  EXPECT_EQ(r.record.fields.count("household_size"), 0u);
  EXPECT_TRUE(r.record.open_conflict);
  ASSERT_FALSE(r.conflicts.empty());
  EXPECT_TRUE(r.conflicts[0].delete_conflict);
  EXPECT_EQ(r.conflicts[0].device_value, Value{int64_t{9}});
  EXPECT_EQ(r.conflicts[0].field, "household_size");
  EXPECT_EQ(r.conflicts[0].server_writer, "tab-2");
}

TEST_F(MergeTest, EditAfterSeeingTheDeleteRevivesTheRecord) {
  Record v1 = Created();
  MergeResult del = Apply(form_, &v1, Delete(1, "rec-1", 1, At(3000, "tab-2")), "tab-2");
  const Record v2 = del.record;
  MergeResult r =
      Apply(form_, &v2, Upsert(2, "rec-1", 2, Household("Ninewa", 3), At(4000, "tab-1")), "tab-1");
  EXPECT_EQ(r.outcome, Outcome::kApplied);
  EXPECT_TRUE(r.changed);
  EXPECT_FALSE(r.record.deleted);
  EXPECT_EQ(r.record.version, 3u);
  EXPECT_EQ(r.record.fields.at("household_size"), Value{int64_t{3}});
}

TEST_F(MergeTest, BaseVersionAheadIsRejected) {
  Record v1 = Created();
  MergeResult r =
      Apply(form_, &v1, Upsert(2, "rec-1", 2, {{"household_size", int64_t{5}}}, At(2000, "tab-1")),
            "tab-1");
  EXPECT_EQ(r.outcome, Outcome::kRejected);
  EXPECT_FALSE(r.changed);
  EXPECT_FALSE(r.errors.empty());
}

TEST_F(MergeTest, WrongFormIsRejected) {
  Record v1 = Created();
  Mutation m = Upsert(2, "rec-1", 1, Crossing("BP-001"), At(2000, "tab-1"), kCrossing);
  MergeResult r = Apply(CrossingForm(), &v1, m, "tab-1");
  EXPECT_EQ(r.outcome, Outcome::kRejected);
  EXPECT_FALSE(r.changed);
  // Also when the mutation claims the record's form but the form passed is another one's.
  Mutation m2 = Upsert(2, "rec-1", 1, {{"notes", std::string("x")}}, At(2000, "tab-1"), "other");
  MergeResult r2 = Apply(form_, &v1, m2, "tab-1");
  EXPECT_EQ(r2.outcome, Outcome::kRejected);
  EXPECT_FALSE(r2.changed);
}

class AppendOnlyMergeTest : public ::testing::Test {
 protected:
  Record Created() {
    MergeResult r = Apply(form_, nullptr, first_, "bp-1");
    EXPECT_EQ(r.outcome, Outcome::kApplied);
    EXPECT_TRUE(r.changed);
    return r.record;
  }
  Form form_ = CrossingForm();
  Mutation first_ = Create(1, "x-1", Crossing("BP-001"), At(1000, "bp-1"), kCrossing);
};

TEST_F(AppendOnlyMergeTest, IdenticalContentIsDuplicate) {
  Record v1 = Created();
  // Resent with another device_seq and HLC (e.g. re-imported from a bundle).
  Mutation again = first_;
  again.device_seq = 7;
  again.hlc = At(5000, "bp-1");
  MergeResult r = Apply(form_, &v1, again, "bp-1");
  EXPECT_EQ(r.outcome, Outcome::kDuplicate);
  EXPECT_FALSE(r.changed);
  EXPECT_FALSE(r.quarantine_as_conflict);
  EXPECT_EQ(r.record.version, 1u);
}

TEST_F(AppendOnlyMergeTest, DifferentContentIsQuarantinedAsConflict) {
  Record v1 = Created();
  Mutation other = Create(2, "x-1", Crossing("BP-001", 5), At(2000, "bp-2"), kCrossing);
  MergeResult r = Apply(form_, &v1, other, "bp-2");
  EXPECT_TRUE(r.quarantine_as_conflict);
  EXPECT_EQ(r.outcome, Outcome::kConflict);
  EXPECT_FALSE(r.changed);
  EXPECT_EQ(r.record.fields, v1.fields);
}

TEST_F(AppendOnlyMergeTest, EditAndDeleteAreRejected) {
  Record v1 = Created();
  MergeResult edit =
      Apply(form_, &v1,
            Upsert(2, "x-1", 1, {{"group_size", int64_t{3}}}, At(2000, "bp-1"), kCrossing), "bp-1");
  EXPECT_EQ(edit.outcome, Outcome::kRejected);
  EXPECT_FALSE(edit.changed);
  MergeResult del = Apply(form_, &v1, Delete(3, "x-1", 1, At(2000, "bp-1"), kCrossing), "bp-1");
  EXPECT_EQ(del.outcome, Outcome::kRejected);
  EXPECT_FALSE(del.changed);
  // Even an "edit" with a base against a record the server does not have.
  MergeResult blind = Apply(
      form_, nullptr, Upsert(4, "x-2", 1, Crossing("BP-001"), At(2000, "bp-1"), kCrossing), "bp-1");
  EXPECT_EQ(blind.outcome, Outcome::kRejected);
}

}  // namespace
}  // namespace fieldsync::sync_test
