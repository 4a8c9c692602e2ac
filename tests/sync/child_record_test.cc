// Child records (DESIGN.md "Repeats"): a household roster pushed, pulled, merged, moved and
// deleted through the sync cores.
#include <cstdint>
#include <set>
#include <string>
#include <vector>

#include "gmock/gmock.h"
#include "gtest/gtest.h"
#include "server/admin/quarantine_replayer.h"
#include "server/convert/convert.h"
#include "tests/sync/sync_fixture.h"

namespace fieldsync::sync_test {
namespace {

using ::testing::ElementsAre;
using ::testing::IsEmpty;
using ::testing::SizeIs;
using ::testing::UnorderedElementsAre;

inline constexpr char kRoster[] = "roster_household";

// A household with a roster: members (a repeat at the root) with a nested repeat of the jobs
// each member holds, and a group inside the members repeat.
Form RosterForm() {
  Form form;
  form.form_id = kRoster;
  form.version = 1;
  FieldDef gov = Field("governorate", FieldType::kSelectOne, true);
  gov.choices = {"Ninewa", "Anbar"};
  form.fields.push_back(gov);
  form.fields.push_back(Field("team", FieldType::kString));
  form.fields.push_back(Field("household_size", FieldType::kInt));
  GroupDef members;
  members.name = "members";
  members.repeat = true;
  form.groups.push_back(members);
  GroupDef details;
  details.name = "member_details";
  details.parent = "members";
  form.groups.push_back(details);
  GroupDef jobs;
  jobs.name = "jobs";
  jobs.repeat = true;
  jobs.parent = "members";
  form.groups.push_back(jobs);
  FieldDef name = Field("member_name", FieldType::kString, true);
  name.group = "members";
  form.fields.push_back(name);
  FieldDef sex = Field("sex", FieldType::kSelectOne);
  sex.choices = {"female", "male"};
  sex.group = "member_details";
  form.fields.push_back(sex);
  FieldDef age = Field("age", FieldType::kInt);
  age.group = "member_details";
  form.fields.push_back(age);
  FieldDef job = Field("job", FieldType::kString, true);
  job.group = "jobs";
  form.fields.push_back(job);
  form.scope_fields = {"governorate", "team"};
  return form;
}

Mutation Child(std::string record_id, std::string parent, std::string repeat, uint32_t ordinal,
               FieldMap fields, Hlc hlc) {
  Mutation m = Create(0, std::move(record_id), std::move(fields), std::move(hlc), kRoster);
  m.parent_record_id = std::move(parent);
  m.repeat = std::move(repeat);
  m.ordinal = ordinal;
  return m;
}

Mutation Root(std::string record_id, std::string governorate, Hlc hlc) {
  FieldMap f;
  f["governorate"] = std::move(governorate);
  f["team"] = std::string("T1");
  return Create(0, std::move(record_id), std::move(f), std::move(hlc), kRoster);
}

FieldMap Member(std::string name, int64_t age) {
  FieldMap f;
  f["member_name"] = std::move(name);
  f["age"] = age;
  return f;
}

class ChildRecordTest : public SyncFixture {
 protected:
  void SetUp() override {
    SyncFixture::SetUp();
    auto published = forms_->Publish(RosterForm());
    ASSERT_TRUE(published.ok()) << published.status();
  }

  // Pulls everything `device` sees from the start, by record id.
  std::map<std::string, PulledRecord> PullAll(const Device& device) {
    std::map<std::string, PulledRecord> out;
    PullQuery q;
    q.limit = 5000;
    auto page = pull_->Pull(device, q);
    EXPECT_TRUE(page.ok()) << page.status();
    if (page.ok()) {
      for (auto& r : page->records) out[r.record.record_id] = r;
    }
    return out;
  }

  // A household h1 in Ninewa with members m1..m<n>.
  void Household(int n) {
    ASSERT_EQ(PushNext(tab1_, Root("h1", "Ninewa", At(1000, "tab-1"))).outcome, Outcome::kApplied);
    for (int i = 1; i <= n; ++i) {
      Receipt r =
          PushNext(tab1_, Child("m" + std::to_string(i), "h1", "members", i,
                                Member("p" + std::to_string(i), 20 + i), At(1000 + i, "tab-1")));
      ASSERT_EQ(r.outcome, Outcome::kApplied) << r.errors.size();
    }
  }

  const Device tab1_ = InGovernorate("tab-1", "Ninewa");
  const Device tab2_ = InGovernorate("tab-2", "Ninewa");
  const Device anbar_ = InGovernorate("tab-anbar", "Anbar");
  const Device admin_ = AdminDevice();
};

TEST_F(ChildRecordTest, ChildIsStoredWithItsPlaceAndItsRootsScope) {
  Household(2);
  auto m1 = GetRecord("m1");
  ASSERT_TRUE(m1.has_value());
  EXPECT_EQ(m1->parent_record_id, "h1");
  EXPECT_EQ(m1->repeat, "members");
  EXPECT_EQ(m1->ordinal, 1u);
  EXPECT_EQ(m1->root_record_id, "h1");
  EXPECT_THAT(m1->root_scope,
              ElementsAre(ScopePair{"governorate", "Ninewa"}, ScopePair{"team", "T1"}));
  EXPECT_EQ(m1->fields, Member("p1", 21));

  auto children = store_->ListChildIds("h1", 10);
  ASSERT_TRUE(children.ok());
  EXPECT_THAT(*children, ElementsAre("m1", "m2"));

  // The change feed carries the child's place and its root's scope.
  auto changes = AllChanges();
  ASSERT_THAT(changes, SizeIs(3));
  EXPECT_EQ(changes[1].record_id, "m1");
  EXPECT_EQ(changes[1].parent_record_id, "h1");
  EXPECT_EQ(changes[1].repeat, "members");
  EXPECT_EQ(changes[1].ordinal, 1u);
  EXPECT_EQ(changes[1].root_record_id, "h1");
  EXPECT_THAT(changes[1].scope_after,
              ElementsAre(ScopePair{"governorate", "Ninewa"}, ScopePair{"team", "T1"}));
}

TEST_F(ChildRecordTest, NestedRepeatInstanceLivesUnderItsMember) {
  Household(1);
  Receipt r = PushNext(
      tab1_, Child("j1", "m1", "jobs", 1, {{"job", std::string("baker")}}, At(2000, "tab-1")));
  ASSERT_EQ(r.outcome, Outcome::kApplied);
  auto j1 = GetRecord("j1");
  ASSERT_TRUE(j1.has_value());
  EXPECT_EQ(j1->parent_record_id, "m1");
  EXPECT_EQ(j1->root_record_id, "h1");

  // jobs belong in members, members in the root.
  r = PushNext(tab1_, Child("j2", "h1", "jobs", 1, {{"job", std::string("x")}}, At(2001, "tab-1")));
  EXPECT_EQ(r.outcome, Outcome::kRejected);
  ASSERT_THAT(r.errors, SizeIs(1));
  EXPECT_EQ(r.errors[0].field, "repeat");
  r = PushNext(tab1_, Child("m9", "m1", "members", 1, Member("x", 1), At(2002, "tab-1")));
  EXPECT_EQ(r.outcome, Outcome::kRejected);
  EXPECT_EQ(r.errors[0].field, "repeat");
}

TEST_F(ChildRecordTest, ChildFieldsMustBeTheRepeatsOwn) {
  Household(0);
  FieldMap bad = Member("p", 3);
  bad["household_size"] = int64_t{4};  // a field of the root record
  Receipt r = PushNext(tab1_, Child("m1", "h1", "members", 1, bad, At(2000, "tab-1")));
  EXPECT_EQ(r.outcome, Outcome::kRejected);
  ASSERT_THAT(r.errors, SizeIs(1));
  EXPECT_EQ(r.errors[0].field, "household_size");

  // The root may not carry the members' fields either.
  Mutation root = Root("h2", "Ninewa", At(2001, "tab-1"));
  root.fields["age"] = int64_t{3};
  r = PushNext(tab1_, root);
  EXPECT_EQ(r.outcome, Outcome::kRejected);
  EXPECT_EQ(r.errors[0].field, "age");

  // Required fields of the repeat are required of each instance.
  r = PushNext(tab1_, Child("m2", "h1", "members", 1, {{"age", int64_t{4}}}, At(2002, "tab-1")));
  EXPECT_EQ(r.outcome, Outcome::kRejected);
  ASSERT_THAT(r.errors, SizeIs(1));
  EXPECT_EQ(r.errors[0].field, "member_name");
}

TEST_F(ChildRecordTest, BadPlacesAreRejected) {
  Household(1);
  Mutation no_repeat = Child("x1", "h1", "nope", 1, Member("x", 1), At(2000, "tab-1"));
  EXPECT_EQ(PushNext(tab1_, no_repeat).errors[0].field, "repeat");
  Mutation group_not_repeat =
      Child("x2", "h1", "member_details", 1, Member("x", 1), At(2000, "tab-1"));
  EXPECT_EQ(PushNext(tab1_, group_not_repeat).errors[0].field, "repeat");
  Mutation zero = Child("x3", "h1", "members", 0, Member("x", 1), At(2000, "tab-1"));
  EXPECT_EQ(PushNext(tab1_, zero).errors[0].field, "ordinal");
  Mutation orphan_repeat = Child("x4", "", "members", 1, Member("x", 1), At(2000, "tab-1"));
  EXPECT_EQ(PushNext(tab1_, orphan_repeat).errors[0].field, "parent_record_id");
  Mutation other_form = Child("x5", "h1", "members", 1, Member("x", 1), At(2000, "tab-1"));
  other_form.form_id = kHousehold;
  EXPECT_EQ(PushNext(tab1_, other_form).outcome, Outcome::kRejected);

  // A child's parent, repeat and ordinal never change.
  auto m1 = GetRecord("m1");
  Mutation move = Upsert(0, "m1", m1->version, {{"age", int64_t{50}}}, At(3000, "tab-1"), kRoster);
  move.parent_record_id = "h2";
  EXPECT_EQ(PushNext(tab1_, move).errors[0].field, "parent_record_id");
  move.parent_record_id = "h1";
  move.ordinal = 7;
  EXPECT_EQ(PushNext(tab1_, move).errors[0].field, "ordinal");
  move.ordinal = 1;  // the same place may be repeated
  EXPECT_EQ(PushNext(tab1_, move).outcome, Outcome::kApplied);
  EXPECT_EQ(std::get<int64_t>(GetRecord("m1")->fields.at("age")), 50);
}

TEST_F(ChildRecordTest, ChildBeforeItsParentIsQuarantinedAndReplayable) {
  Receipt r = PushNext(tab1_, Child("m1", "h1", "members", 1, Member("p1", 30), At(900, "tab-1")));
  EXPECT_EQ(r.outcome, Outcome::kRejected);
  ASSERT_THAT(r.errors, SizeIs(1));
  EXPECT_EQ(r.errors[0].field, "parent_record_id");
  EXPECT_FALSE(GetRecord("m1").has_value());
  auto q = Quarantined("tab-1");
  ASSERT_THAT(q, SizeIs(1));
  EXPECT_EQ(q[0].reason, "parent_unknown");
  EXPECT_EQ(q[0].mutation.parent_record_id, "h1");
  EXPECT_EQ(q[0].mutation.repeat, "members");

  // Replaying before the parent arrives keeps it quarantined; after, it applies.
  Store::Batch devices;
  devices.PutDevice(tab1_);
  ASSERT_TRUE(store_->Write(devices, true).ok());
  admin::QuarantineReplayer replayer(engine_->context(), PushLimits{});
  auto again = replayer.Replay("tab-1", 1, 0, nullptr);
  ASSERT_TRUE(again.ok()) << again.status();
  EXPECT_FALSE(again->applied);
  EXPECT_EQ(again->reason, "parent_unknown");

  ASSERT_EQ(PushNext(tab1_, Root("h1", "Ninewa", At(1000, "tab-1"))).outcome, Outcome::kApplied);
  auto replayed = replayer.Replay("tab-1", 1, 0, nullptr);
  ASSERT_TRUE(replayed.ok()) << replayed.status();
  EXPECT_TRUE(replayed->applied);
  auto m1 = GetRecord("m1");
  ASSERT_TRUE(m1.has_value());
  EXPECT_EQ(m1->root_record_id, "h1");
  EXPECT_THAT(Quarantined("tab-1"), IsEmpty());
}

TEST_F(ChildRecordTest, ParentInAnotherScopeIsAnsweredAsUnknown) {
  Household(0);
  Receipt r =
      PushNext(anbar_, Child("m1", "h1", "members", 1, Member("p1", 30), At(2000, "tab-anbar")));
  EXPECT_EQ(r.outcome, Outcome::kRejected);
  EXPECT_EQ(Quarantined("tab-anbar")[0].reason, "parent_unknown");
}

TEST_F(ChildRecordTest, ParentAndChildrenInOneBatch) {
  std::vector<Mutation> batch = {
      Root("h1", "Ninewa", At(1000, "tab-1")),
      Child("m1", "h1", "members", 1, Member("a", 1), At(1001, "tab-1")),
      Child("j1", "m1", "jobs", 1, {{"job", std::string("j")}}, At(1002, "tab-1")),
      Delete(0, "h1", 1, At(1003, "tab-1"), kRoster)};
  for (size_t i = 0; i < batch.size(); ++i) batch[i].device_seq = i + 1;
  auto receipts = Push(tab1_, batch);
  ASSERT_THAT(receipts, SizeIs(4));
  for (const auto& r : receipts) EXPECT_EQ(r.outcome, Outcome::kApplied) << r.record_id;
  // The delete found the children created earlier in the same batch.
  EXPECT_TRUE(GetRecord("h1")->deleted);
  EXPECT_TRUE(GetRecord("m1")->deleted);
  EXPECT_TRUE(GetRecord("j1")->deleted);
}

TEST_F(ChildRecordTest, DeletingARootTombstonesItsSubtreeInTheSameWrite) {
  Household(3);
  ASSERT_EQ(PushNext(tab1_, Child("j1", "m2", "jobs", 1, {{"job", std::string("baker")}},
                                  At(2000, "tab-1")))
                .outcome,
            Outcome::kApplied);
  auto before = AllChanges().size();
  Receipt r = PushNext(tab1_, Delete(0, "h1", 1, At(3000, "tab-1"), kRoster));
  ASSERT_EQ(r.outcome, Outcome::kApplied);
  for (const char* id : {"h1", "m1", "m2", "m3", "j1"}) {
    auto rec = GetRecord(id);
    ASSERT_TRUE(rec.has_value()) << id;
    EXPECT_TRUE(rec->deleted) << id;
    if (rec->is_child()) EXPECT_THAT(rec->fields, IsEmpty()) << id;  // a root keeps its scope
  }
  // One change per record, each deleted_after, all after the delete's own seq.
  auto changes = AllChanges();
  ASSERT_EQ(changes.size(), before + 5);
  std::set<std::string> deleted;
  for (size_t i = before; i < changes.size(); ++i) {
    EXPECT_TRUE(changes[i].deleted_after);
    EXPECT_GE(changes[i].seq, r.seq);
    deleted.insert(changes[i].record_id);
  }
  EXPECT_THAT(deleted, UnorderedElementsAre("h1", "m1", "m2", "m3", "j1"));

  // A device in the scope pulls the tombstones; an edit of a member is now refused.
  auto pulled = PullAll(tab2_);
  EXPECT_TRUE(pulled["m2"].record.deleted);
  EXPECT_TRUE(pulled["j1"].record.deleted);
  auto m1 = GetRecord("m1");
  Receipt edit = PushNext(
      tab2_, Upsert(0, "m1", m1->version, {{"age", int64_t{9}}}, At(4000, "tab-2"), kRoster));
  EXPECT_EQ(edit.outcome, Outcome::kRejected);
  EXPECT_EQ(Quarantined("tab-2")[0].reason, "parent_deleted");
}

TEST_F(ChildRecordTest, ChildrenArePulledInTheirRootsScopeOnly) {
  Household(2);
  auto ninewa = PullAll(tab2_);
  EXPECT_THAT(ninewa, SizeIs(3));
  EXPECT_EQ(ninewa["m2"].record.parent_record_id, "h1");
  EXPECT_EQ(ninewa["m2"].record.ordinal, 2u);
  EXPECT_THAT(PullAll(anbar_), IsEmpty());
}

TEST_F(ChildRecordTest, MovingTheRootMovesItsChildren) {
  Household(2);
  ASSERT_EQ(PushNext(tab1_, Child("j1", "m1", "jobs", 1, {{"job", std::string("baker")}},
                                  At(2000, "tab-1")))
                .outcome,
            Outcome::kApplied);
  PullQuery q;
  auto first = pull_->Pull(tab2_, q);
  ASSERT_TRUE(first.ok());
  Receipt moved = PushNext(admin_, Upsert(0, "h1", 1, {{"governorate", std::string("Anbar")}},
                                          At(3000, "admin"), kRoster));
  ASSERT_EQ(moved.outcome, Outcome::kApplied);
  for (const char* id : {"m1", "m2", "j1"}) {
    EXPECT_THAT(GetRecord(id)->root_scope,
                ElementsAre(ScopePair{"governorate", "Anbar"}, ScopePair{"team", "T1"}))
        << id;
  }
  // Anbar now sees the whole tree; Ninewa's next pull drops it.
  EXPECT_THAT(PullAll(anbar_), SizeIs(4));
  q.cursor = first->next_cursor;
  auto after = pull_->Pull(tab2_, q);
  ASSERT_TRUE(after.ok()) << after.status();
  std::set<std::string> dropped;
  for (const auto& r : after->records) {
    EXPECT_TRUE(r.out_of_scope) << r.record.record_id;
    dropped.insert(r.record.record_id);
  }
  EXPECT_THAT(dropped, UnorderedElementsAre("h1", "m1", "m2", "j1"));
  // An edit of a member from the old scope is outside it now.
  Receipt edit = PushNext(tab1_, Upsert(0, "m1", GetRecord("m1")->version, {{"age", int64_t{5}}},
                                        At(4000, "tab-1"), kRoster));
  EXPECT_EQ(edit.outcome, Outcome::kRejected);
}

TEST_F(ChildRecordTest, RosterEditedOnTwoTabletsMergesMemberByMember) {
  Household(2);
  // Both tablets start from the same versions.
  const uint64_t v1 = GetRecord("m1")->version;
  const uint64_t v2 = GetRecord("m2")->version;
  EXPECT_EQ(PushNext(tab1_, Upsert(0, "m1", v1, {{"age", int64_t{31}}}, At(5000, "tab-1"), kRoster))
                .outcome,
            Outcome::kApplied);
  // Another member: no conflict.
  EXPECT_EQ(PushNext(tab2_, Upsert(0, "m2", v2, {{"age", int64_t{42}}}, At(5001, "tab-2"), kRoster))
                .outcome,
            Outcome::kApplied);
  // The same member, another field: merged.
  EXPECT_EQ(PushNext(tab2_, Upsert(0, "m1", v1, {{"sex", std::string("female")}}, At(5002, "tab-2"),
                                   kRoster))
                .outcome,
            Outcome::kMerged);
  // The same member, the same field: a field conflict as for any record.
  Receipt c =
      PushNext(tab2_, Upsert(0, "m1", v1, {{"age", int64_t{35}}}, At(5003, "tab-2"), kRoster));
  EXPECT_EQ(c.outcome, Outcome::kConflict);
  EXPECT_THAT(c.conflict_fields, ElementsAre("age"));
  auto m1 = GetRecord("m1");
  EXPECT_EQ(m1->fields.at("sex"), Value(std::string("female")));
  EXPECT_EQ(m1->parent_record_id, "h1");
  EXPECT_THAT(Conflicts("m1"), SizeIs(1));
}

TEST_F(ChildRecordTest, ChildrenPerRecordAreBounded) {
  PushLimits limits;
  limits.tree.max_children = 2;
  MakeCores(limits, PullLimits{});
  Household(2);
  Receipt r = PushNext(tab1_, Child("m3", "h1", "members", 3, Member("p3", 3), At(3000, "tab-1")));
  EXPECT_EQ(r.outcome, Outcome::kRejected);
  ASSERT_THAT(r.errors, SizeIs(1));
  EXPECT_EQ(r.errors[0].field, "parent_record_id");
  EXPECT_THAT(r.errors[0].description, ::testing::HasSubstr("2 child records"));
}

TEST_F(ChildRecordTest, SubtreeOfADeleteIsBounded) {
  PushLimits limits;
  limits.tree.max_subtree = 2;
  MakeCores(limits, PullLimits{});
  Household(3);
  Receipt r = PushNext(tab1_, Delete(0, "h1", 1, At(3000, "tab-1"), kRoster));
  EXPECT_EQ(r.outcome, Outcome::kRejected);
  EXPECT_FALSE(GetRecord("h1")->deleted);
  EXPECT_FALSE(GetRecord("m1")->deleted);
}

TEST_F(ChildRecordTest, RootRecordsStillHashAsBefore) {
  // A root's content hash ignores the (empty) child members, so stored receipts and
  // append-only duplicates of existing records keep matching.
  Mutation m = Root("h1", "Ninewa", At(1, "tab-1"));
  Mutation same = m;
  same.ordinal = 0;
  EXPECT_EQ(ContentHash(m), ContentHash(same));
  Mutation child = m;
  child.parent_record_id = "p";
  child.repeat = "members";
  child.ordinal = 1;
  EXPECT_NE(ContentHash(m), ContentHash(child));
}

TEST(ChildRecordWireTest, PlaceTravelsInMutationsRecordsAndChanges) {
  Mutation m = Child("m1", "h1", "members", 4, Member("p", 3), At(5, "tab-1"));
  v1::Mutation pm;
  convert::ToProto(m, &pm);
  EXPECT_EQ(pm.parent_record_id(), "h1");
  EXPECT_EQ(pm.repeat(), "members");
  EXPECT_EQ(pm.ordinal(), 4u);
  Mutation back = convert::FromProto(pm);
  EXPECT_EQ(back.parent_record_id, "h1");
  EXPECT_EQ(back.repeat, "members");
  EXPECT_EQ(back.ordinal, 4u);
  EXPECT_EQ(ContentHash(back), ContentHash(m));

  Record r;
  r.record_id = "m1";
  r.parent_record_id = "h1";
  r.repeat = "members";
  r.ordinal = 4;
  r.root_record_id = "h0";
  v1::RecordState rs;
  convert::ToProto(r, &rs);
  EXPECT_EQ(rs.parent_record_id(), "h1");
  EXPECT_EQ(rs.repeat(), "members");
  EXPECT_EQ(rs.ordinal(), 4u);
  EXPECT_EQ(rs.root_record_id(), "h0");

  ChangeEntry c;
  c.parent_record_id = "h1";
  c.repeat = "members";
  c.ordinal = 4;
  c.root_record_id = "h0";
  v1::Change pc;
  convert::ToProto(c, &pc);
  EXPECT_EQ(pc.parent_record_id(), "h1");
  EXPECT_EQ(pc.repeat(), "members");
  EXPECT_EQ(pc.ordinal(), 4u);
  EXPECT_EQ(pc.root_record_id(), "h0");
}

}  // namespace
}  // namespace fieldsync::sync_test
