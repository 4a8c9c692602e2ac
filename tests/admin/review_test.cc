// Conflict resolution and quarantine replay/discard: the cores (server/admin/conflict_resolver.h,
// quarantine_replayer.h) and the audited review over them (server/admin/review.h). In-memory store,
// FakeClock, no network.
#include "server/admin/review.h"

#include <string>
#include <vector>

#include "gmock/gmock.h"
#include "gtest/gtest.h"
#include "server/common/status.h"
#include "tests/sync/sync_fixture.h"

namespace fieldsync::sync_test {
namespace {

using admin::ConflictId;
using admin::ResolutionChoice;
using ::testing::ElementsAre;
using ::testing::IsEmpty;
using ::testing::SizeIs;

class ReviewTest : public SyncFixture {
 protected:
  void SetUp() override {
    SyncFixture::SetUp();
    auto audit = AuditLog::Open(store_.get(), &clock_);
    ASSERT_TRUE(audit.ok()) << audit.status();
    audit_ = *std::move(audit);
    resolver_ = std::make_unique<admin::ConflictResolver>(engine_->context());
    replayer_ = std::make_unique<admin::QuarantineReplayer>(engine_->context(), PushLimits{});
    admin::ReviewOptions options;
    options.max_page = 3;
    options.max_scan = 50;
    conflicts_ = std::make_unique<admin::ConflictReview>(store_.get(), forms_.get(),
                                                         resolver_.get(), audit_.get(), options);
    quarantine_ = std::make_unique<admin::QuarantineReview>(store_.get(), replayer_.get(),
                                                            audit_.get(), options);
    Store::Batch batch;
    for (const Device& d : {tab1_, tab2_, anbar_, admin_, supervisor_}) batch.PutDevice(d);
    ASSERT_TRUE(store_->Write(batch, true).ok());
  }

  // tab-1 creates the record and changes household_size to 5 (version 2); tab-2, still at
  // version 1, changes it to 7 with a later HLC: tab-2's push meets the conflict and wins.
  ConflictId MakeConflict(const std::string& record_id = "rec-1") {
    PushNext(tab1_, Create(0, record_id, Household("Ninewa", 4), At(1000, "tab-1")));
    PushNext(tab1_, Upsert(0, record_id, 1, {{"household_size", int64_t{5}}}, At(2000, "tab-1")));
    Receipt r = PushNext(
        tab2_, Upsert(0, record_id, 1, {{"household_size", int64_t{7}}}, At(3000, "tab-2")));
    EXPECT_EQ(r.outcome, Outcome::kConflict);
    return ConflictId{record_id, "tab-2", next_seq_["tab-2"], "household_size"};
  }

  AuditContext Who(const Device& d) { return AuditContext::Of(d, "req-1"); }

  std::vector<AuditEntry> AuditEntries() {
    auto list = audit_->List(1, 1000);
    EXPECT_TRUE(list.ok()) << list.status();
    return list.ok() ? *list : std::vector<AuditEntry>{};
  }

  const Device tab1_ = InGovernorate("tab-1", "Ninewa");
  const Device tab2_ = InGovernorate("tab-2", "Ninewa");
  const Device anbar_ = InGovernorate("tab-anbar", "Anbar");
  const Device admin_ = AdminDevice();
  const Device supervisor_ = [] {
    Device d = InGovernorate("sup-anbar", "Anbar");
    d.role = Role::kSupervisor;
    return d;
  }();
  std::unique_ptr<AuditLog> audit_;
  std::unique_ptr<admin::ConflictResolver> resolver_;
  std::unique_ptr<admin::QuarantineReplayer> replayer_;
  std::unique_ptr<admin::ConflictReview> conflicts_;
  std::unique_ptr<admin::QuarantineReview> quarantine_;
};

TEST_F(ReviewTest, ResolveWritesNewVersionChangeEntryAndClosesConflict) {
  ConflictId id = MakeConflict();
  auto before = GetRecord("rec-1");
  ASSERT_TRUE(before);
  EXPECT_TRUE(before->open_conflict);
  EXPECT_EQ(before->fields.at("household_size"), Value(int64_t{7}));
  EXPECT_EQ(State("tab-2").conflicts, 1u);
  const size_t changes_before = AllChanges().size();

  clock_.AdvanceMs(5000);
  auto result = conflicts_->Resolve(admin_, {id, ResolutionChoice::kServer, {}}, "checked paper",
                                    Who(admin_));
  ASSERT_TRUE(result.ok()) << result.status();
  auto after = GetRecord("rec-1");
  ASSERT_TRUE(after);
  EXPECT_EQ(after->version, before->version + 1);
  EXPECT_GT(after->seq, before->seq);
  EXPECT_EQ(after->fields.at("household_size"), Value(int64_t{5}));  // the server side
  EXPECT_EQ(after->field_meta.at("household_size").device_id, "admin");
  EXPECT_EQ(after->field_meta.at("household_size").hlc.physical_ms, clock_.NowMs());
  EXPECT_EQ(after->last_writer_device, "admin");
  EXPECT_FALSE(after->open_conflict);

  auto changes = AllChanges();
  ASSERT_EQ(changes.size(), changes_before + 1);
  const ChangeEntry& c = changes.back();
  EXPECT_EQ(c.seq, after->seq);
  EXPECT_EQ(c.device_id, "admin");
  ASSERT_THAT(c.changes, SizeIs(1));
  EXPECT_EQ(c.changes[0].field, "household_size");
  EXPECT_EQ(c.changes[0].before, Value(int64_t{7}));
  EXPECT_EQ(c.changes[0].after, Value(int64_t{5}));

  auto stored = store_->GetConflict(id.record_id, id.device_id, id.device_seq, id.field);
  ASSERT_TRUE(stored.ok() && *stored);
  EXPECT_FALSE((*stored)->open);
  EXPECT_EQ(State("tab-2").conflicts, 0u);

  auto entries = AuditEntries();
  ASSERT_FALSE(entries.empty());
  EXPECT_EQ(entries.back().event.action, audit_action::kConflictResolve);
  EXPECT_EQ(entries.back().event.who.actor_device_id, "admin");
  EXPECT_THAT(entries.back().event.detail, ::testing::HasSubstr("checked paper"));
}

TEST_F(ReviewTest, ResolvedValueReachesADeviceOnItsNextPull) {
  ConflictId id = MakeConflict();
  auto first = pull_->Pull(tab1_, PullQuery{});
  ASSERT_TRUE(first.ok());
  PullQuery next;
  next.cursor = first->next_cursor;
  auto resolved = conflicts_->Resolve(admin_, {id, ResolutionChoice::kValue, Value(int64_t{6})},
                                      "called", Who(admin_));
  ASSERT_TRUE(resolved.ok()) << resolved.status();
  auto page = pull_->Pull(tab1_, next);
  ASSERT_TRUE(page.ok()) << page.status();
  ASSERT_THAT(page->records, SizeIs(1));
  EXPECT_EQ(page->records[0].record.fields.at("household_size"), Value(int64_t{6}));
  EXPECT_EQ(page->records[0].record.version, resolved->record.version);
  EXPECT_FALSE(page->records[0].record.open_conflict);
}

TEST_F(ReviewTest, ResolvingAClosedConflictIsFailedPrecondition) {
  ConflictId id = MakeConflict();
  ASSERT_TRUE(
      conflicts_->Resolve(admin_, {id, ResolutionChoice::kDevice, {}}, "ok", Who(admin_)).ok());
  const uint64_t version = GetRecord("rec-1")->version;
  auto again = conflicts_->Resolve(admin_, {id, ResolutionChoice::kServer, {}}, "ok", Who(admin_));
  EXPECT_EQ(again.status().code(), absl::StatusCode::kFailedPrecondition);
  EXPECT_EQ(GetRecord("rec-1")->version, version);
}

TEST_F(ReviewTest, ResolutionIsBasedOnTheCurrentVersion) {
  ConflictId id = MakeConflict();
  // Meanwhile another field changes.
  PushNext(tab1_,
           Upsert(0, "rec-1", 3, {{"district", std::string("Tel Afar")}}, At(4000, "tab-1")));
  const uint64_t current = GetRecord("rec-1")->version;
  auto r = conflicts_->Resolve(admin_, {id, ResolutionChoice::kServer, {}}, "r", Who(admin_));
  ASSERT_TRUE(r.ok()) << r.status();
  EXPECT_EQ(r->record.version, current + 1);
  EXPECT_EQ(r->record.fields.at("district"), Value(std::string("Tel Afar")));
  EXPECT_EQ(r->record.fields.at("household_size"), Value(int64_t{5}));
}

TEST_F(ReviewTest, ResolveBadInput) {
  ConflictId id = MakeConflict();
  auto no_reason =
      conflicts_->Resolve(admin_, {id, ResolutionChoice::kServer, {}}, "", Who(admin_));
  EXPECT_EQ(no_reason.status().code(), absl::StatusCode::kInvalidArgument);
  EXPECT_EQ(FieldViolations(no_reason.status())[0].field, "reason");
  auto long_reason = conflicts_->Resolve(admin_, {id, ResolutionChoice::kServer, {}},
                                         std::string(1025, 'x'), Who(admin_));
  EXPECT_EQ(long_reason.status().code(), absl::StatusCode::kInvalidArgument);
  auto no_choice =
      conflicts_->Resolve(admin_, {id, static_cast<ResolutionChoice>(0), {}}, "r", Who(admin_));
  EXPECT_EQ(no_choice.status().code(), absl::StatusCode::kInvalidArgument);
  auto out_of_range = conflicts_->Resolve(
      admin_, {id, ResolutionChoice::kValue, Value(int64_t{99})}, "r", Who(admin_));
  EXPECT_EQ(out_of_range.status().code(), absl::StatusCode::kInvalidArgument);
  EXPECT_EQ(FieldViolations(out_of_range.status())[0].field, "household_size");
  ConflictId missing = id;
  missing.device_seq = 999;
  EXPECT_EQ(conflicts_->Resolve(admin_, {missing, ResolutionChoice::kServer, {}}, "r", Who(admin_))
                .status()
                .code(),
            absl::StatusCode::kNotFound);
  EXPECT_TRUE(GetRecord("rec-1")->open_conflict);  // nothing changed
}

TEST_F(ReviewTest, SupervisorSeesAndResolvesOnlyWithinItsScopes) {
  ConflictId id = MakeConflict();  // a Ninewa record; the supervisor holds Anbar
  auto list = conflicts_->List(supervisor_, {}, 0, "");
  ASSERT_TRUE(list.ok());
  EXPECT_THAT(list->conflicts, IsEmpty());
  EXPECT_EQ(conflicts_->Get(supervisor_, id).status().code(), absl::StatusCode::kNotFound);
  EXPECT_EQ(
      conflicts_->Resolve(supervisor_, {id, ResolutionChoice::kServer, {}}, "r", Who(supervisor_))
          .status()
          .code(),
      absl::StatusCode::kNotFound);

  Device ninewa_supervisor = InGovernorate("sup-ninewa", "Ninewa");
  ninewa_supervisor.role = Role::kSupervisor;
  auto visible = conflicts_->List(ninewa_supervisor, {}, 0, "");
  ASSERT_TRUE(visible.ok());
  ASSERT_THAT(visible->conflicts, SizeIs(1));
  EXPECT_TRUE(conflicts_
                  ->Resolve(ninewa_supervisor, {id, ResolutionChoice::kDevice, {}}, "r",
                            Who(ninewa_supervisor))
                  .ok());
}

TEST_F(ReviewTest, ListFiltersAndPages) {
  for (int i = 0; i < 5; ++i) MakeConflict("rec-" + std::to_string(i));
  // Page size capped at 3 (ReviewOptions::max_page).
  auto p1 = conflicts_->List(admin_, {}, 100, "");
  ASSERT_TRUE(p1.ok()) << p1.status();
  EXPECT_THAT(p1->conflicts, SizeIs(3));
  ASSERT_FALSE(p1->next_page_token.empty());
  auto p2 = conflicts_->List(admin_, {}, 100, p1->next_page_token);
  ASSERT_TRUE(p2.ok()) << p2.status();
  EXPECT_THAT(p2->conflicts, SizeIs(2));
  EXPECT_TRUE(p2->next_page_token.empty());
  EXPECT_EQ(p2->conflicts[0].entry.record_id, "rec-3");

  admin::ConflictFilter by_field;
  by_field.field = "district";
  EXPECT_THAT(conflicts_->List(admin_, by_field, 0, "")->conflicts, IsEmpty());
  admin::ConflictFilter by_form;
  by_form.form_id = kCrossing;
  EXPECT_THAT(conflicts_->List(admin_, by_form, 0, "")->conflicts, IsEmpty());
  admin::ConflictFilter by_scope;
  by_scope.scope = ScopePair{"governorate", "Ninewa"};
  EXPECT_THAT(conflicts_->List(admin_, by_scope, 10, "")->conflicts, SizeIs(3));

  ASSERT_TRUE(conflicts_
                  ->Resolve(admin_,
                            {{"rec-0", "tab-2", next_seq_["tab-2"] - 4, "household_size"},
                             ResolutionChoice::kServer,
                             {}},
                            "r", Who(admin_))
                  .ok());
  admin::ConflictFilter closed;
  closed.state = admin::ConflictState::kClosed;
  auto c = conflicts_->List(admin_, closed, 0, "");
  ASSERT_THAT(c->conflicts, SizeIs(1));
  EXPECT_EQ(c->conflicts[0].entry.record_id, "rec-0");

  auto bad = conflicts_->List(admin_, {}, 0, "garbage");
  EXPECT_EQ(bad.status().code(), absl::StatusCode::kInvalidArgument);
  EXPECT_EQ(FieldViolations(bad.status())[0].field, "page_token");
}

TEST_F(ReviewTest, ListExaminesAtMostMaxScanEntriesPerCall) {
  for (int i = 0; i < 30; ++i) MakeConflict("rec-" + std::to_string(100 + i));
  for (int i = 0; i < 30; ++i) MakeConflict("rec-" + std::to_string(200 + i));
  // 60 open conflicts and a filter for closed ones: nothing matches, and a call stops after
  // examining max_scan (50) entries, with a token to go on.
  admin::ConflictFilter closed;
  closed.state = admin::ConflictState::kClosed;
  auto page = conflicts_->List(admin_, closed, 0, "");
  ASSERT_TRUE(page.ok());
  EXPECT_THAT(page->conflicts, IsEmpty());
  ASSERT_FALSE(page->next_page_token.empty());  // stopped at the scan budget
  auto rest = conflicts_->List(admin_, closed, 0, page->next_page_token);
  ASSERT_TRUE(rest.ok());
  EXPECT_TRUE(rest->next_page_token.empty());
}

// ---- Quarantine ------------------------------------------------------------------------

// household form v2 accepts household_size up to 100 (v1: 60).
Form HouseholdV2() {
  Form f = HouseholdForm();
  f.version = 2;
  for (auto& field : f.fields) {
    if (field.name == "household_size") field.max = 100;
  }
  return f;
}

TEST_F(ReviewTest, ReplayAfterAFormFixAppliesAndLeavesQuarantineInOneBatch) {
  Receipt r = PushNext(tab1_, Create(0, "big-1", Household("Ninewa", 80), At(1000, "tab-1")));
  ASSERT_EQ(r.outcome, Outcome::kRejected);
  ASSERT_THAT(Quarantined("tab-1"), SizeIs(1));
  EXPECT_EQ(State("tab-1").quarantined, 1u);

  // Against the version named in it: still invalid, stays, with the errors.
  auto still = quarantine_->Replay("tab-1", r.device_seq, 0, "", Who(admin_));
  ASSERT_TRUE(still.ok()) << still.status();
  EXPECT_FALSE(still->applied);
  ASSERT_THAT(still->errors, SizeIs(1));
  EXPECT_EQ(still->errors[0].field, "household_size");
  EXPECT_THAT(Quarantined("tab-1"), SizeIs(1));
  EXPECT_FALSE(GetRecord("big-1"));

  ASSERT_TRUE(forms_->Publish(HouseholdV2()).ok());
  auto replayed = quarantine_->Replay("tab-1", r.device_seq, 2, "form fixed", Who(admin_));
  ASSERT_TRUE(replayed.ok()) << replayed.status();
  EXPECT_TRUE(replayed->applied);
  EXPECT_EQ(replayed->receipt.outcome, Outcome::kApplied);
  auto rec = GetRecord("big-1");
  ASSERT_TRUE(rec);
  EXPECT_EQ(rec->fields.at("household_size"), Value(int64_t{80}));
  EXPECT_EQ(rec->form_version, 2u);
  EXPECT_EQ(rec->last_writer_device, "tab-1");
  EXPECT_THAT(Quarantined("tab-1"), IsEmpty());
  EXPECT_EQ(State("tab-1").quarantined, 0u);
  EXPECT_EQ(AllChanges().back().record_id, "big-1");
  auto receipt = store_->GetReceipt("tab-1", r.device_seq);
  ASSERT_TRUE(receipt.ok() && *receipt);
  EXPECT_EQ((*receipt)->outcome, Outcome::kApplied);
  // Visible to a pull of the device.
  auto page = pull_->Pull(tab2_, PullQuery{});
  ASSERT_TRUE(page.ok());
  EXPECT_THAT(page->records, SizeIs(1));
  auto entries = AuditEntries();
  ASSERT_THAT(entries, SizeIs(2));  // the failed replay is audited too
  EXPECT_EQ(entries.back().event.action, audit_action::kQuarantineReplay);
}

TEST_F(ReviewTest, ReplayGoesThroughTheMergeRules) {
  PushNext(tab1_, Create(0, "rec-m", Household("Ninewa", 4), At(1000, "tab-1")));
  PushNext(tab1_, Upsert(0, "rec-m", 1, {{"household_size", int64_t{5}}}, At(2000, "tab-1")));
  // tab-2's stale edit of the same field, quarantined for an invalid other field.
  Receipt r =
      PushNext(tab2_, Upsert(0, "rec-m", 1,
                             {{"household_size", int64_t{9}}, {"children_under_5", int64_t{40}}},
                             At(3000, "tab-2")));
  ASSERT_EQ(r.outcome, Outcome::kRejected);
  Form v2 = HouseholdV2();
  for (auto& f : v2.fields) {
    if (f.name == "children_under_5") f.max = 50;
  }
  ASSERT_TRUE(forms_->Publish(v2).ok());
  auto replayed = quarantine_->Replay("tab-2", r.device_seq, 2, "", Who(admin_));
  ASSERT_TRUE(replayed.ok()) << replayed.status();
  EXPECT_TRUE(replayed->applied);
  EXPECT_EQ(replayed->receipt.outcome, Outcome::kConflict);
  EXPECT_THAT(replayed->receipt.conflict_fields, ElementsAre("household_size"));
  EXPECT_THAT(Conflicts("rec-m"), SizeIs(1));
  EXPECT_EQ(State("tab-2").conflicts, 1u);
  EXPECT_TRUE(GetRecord("rec-m")->open_conflict);
}

TEST_F(ReviewTest, ReplayBadInput) {
  EXPECT_EQ(quarantine_->Replay("tab-1", 1, 0, "", Who(admin_)).status().code(),
            absl::StatusCode::kNotFound);
  EXPECT_EQ(quarantine_->Replay("", 1, 0, "", Who(admin_)).status().code(),
            absl::StatusCode::kInvalidArgument);
  EXPECT_EQ(quarantine_->Replay("tab-1", 0, 0, "", Who(admin_)).status().code(),
            absl::StatusCode::kInvalidArgument);
  Receipt r = PushNext(tab1_, Create(0, "big-2", Household("Ninewa", 80), At(1000, "tab-1")));
  ASSERT_TRUE(forms_->Publish(HouseholdV2()).ok());
  Mutation m = Quarantined("tab-1")[0].mutation;
  ASSERT_EQ(m.form_version, 1u);
  // form_version 0 is "as named"; asking for an older version than named is refused.
  Receipt r2 = PushNext(tab1_, [] {
    Mutation v2 = Create(0, "big-3", Household("Ninewa", 200), At(1000, "tab-1"));
    v2.form_version = 2;
    return v2;
  }());
  ASSERT_EQ(r2.outcome, Outcome::kRejected);
  auto older = quarantine_->Replay("tab-1", r2.device_seq, 1, "", Who(admin_));
  EXPECT_EQ(older.status().code(), absl::StatusCode::kInvalidArgument);
  EXPECT_THAT(Quarantined("tab-1"), SizeIs(2));
  (void)r;
}

TEST_F(ReviewTest, DiscardNeedsAReasonAndIsAudited) {
  Receipt r = PushNext(tab1_, Create(0, "big-4", Household("Ninewa", 80), At(1000, "tab-1")));
  auto no_reason = quarantine_->Discard("tab-1", r.device_seq, "", Who(admin_));
  EXPECT_EQ(no_reason.code(), absl::StatusCode::kInvalidArgument);
  EXPECT_THAT(Quarantined("tab-1"), SizeIs(1));
  ASSERT_TRUE(
      quarantine_->Discard("tab-1", r.device_seq, "duplicate paper form", Who(admin_)).ok());
  EXPECT_THAT(Quarantined("tab-1"), IsEmpty());
  EXPECT_EQ(State("tab-1").quarantined, 0u);
  EXPECT_EQ(quarantine_->Discard("tab-1", r.device_seq, "again", Who(admin_)).code(),
            absl::StatusCode::kNotFound);
  auto entries = AuditEntries();
  ASSERT_THAT(entries, SizeIs(1));
  EXPECT_EQ(entries[0].event.action, admin::kAuditQuarantineDiscard);
  EXPECT_THAT(entries[0].event.detail, ::testing::HasSubstr("duplicate paper form"));
}

TEST_F(ReviewTest, QuarantineListFiltersAndPages) {
  for (int i = 0; i < 4; ++i) {
    PushNext(tab1_,
             Create(0, "bad-" + std::to_string(i), Household("Ninewa", 80), At(1000, "tab-1")));
  }
  PushNext(anbar_, Create(0, "bad-x", Household("Anbar", 80), At(1000, "tab-anbar")));
  auto p1 = quarantine_->List({}, 0, "");
  ASSERT_TRUE(p1.ok());
  EXPECT_THAT(p1->entries, SizeIs(3));
  auto p2 = quarantine_->List({}, 0, p1->next_page_token);
  ASSERT_TRUE(p2.ok());
  EXPECT_THAT(p2->entries, SizeIs(2));
  EXPECT_TRUE(p2->next_page_token.empty());
  auto one = quarantine_->List({"tab-anbar", ""}, 0, "");
  ASSERT_THAT(one->entries, SizeIs(1));
  EXPECT_EQ(one->entries[0].mutation.record_id, "bad-x");
  EXPECT_FALSE(one->entries[0].errors.empty());
  EXPECT_THAT(quarantine_->List({"", kCrossing}, 0, "")->entries, IsEmpty());
  EXPECT_EQ(quarantine_->List({}, 0, "p1.zz").status().code(), absl::StatusCode::kInvalidArgument);
}

TEST_F(ReviewTest, ListsAreCutByBytesAndGoOnWhereTheyStopped) {
  for (int i = 0; i < 5; ++i) {
    PushNext(tab1_,
             Create(0, "bad-" + std::to_string(i), Household("Ninewa", 80), At(1000, "tab-1")));
  }
  MakeConflict("rec-1");
  MakeConflict("rec-2");
  MakeConflict("rec-3");
  admin::ReviewOptions options;
  options.max_page = 100;
  auto first = quarantine_->List({}, 0, "");
  ASSERT_TRUE(first.ok());
  // Room for two entries (the budget is compared with the sum of estimates).
  options.max_page_bytes = 2 * ApproxWireBytes(first->entries[0]) + 10;
  admin::QuarantineReview quarantine(store_.get(), replayer_.get(), audit_.get(), options);
  std::vector<std::string> ids;
  std::string token;
  int pages = 0;
  do {
    auto page = quarantine.List({}, 0, token);
    ASSERT_TRUE(page.ok()) << page.status();
    ASSERT_THAT(page->entries, SizeIs(testing::AllOf(testing::Ge(1u), testing::Le(2u))));
    for (const auto& e : page->entries) ids.push_back(e.mutation.record_id);
    token = page->next_page_token;
    ASSERT_LT(++pages, 10);
  } while (!token.empty());
  EXPECT_THAT(ids, ElementsAre("bad-0", "bad-1", "bad-2", "bad-3", "bad-4"));

  options.max_page_bytes = 1;  // an entry larger than the budget still comes, alone
  admin::ConflictReview conflicts(store_.get(), forms_.get(), resolver_.get(), audit_.get(),
                                  options);
  std::vector<std::string> records;
  token.clear();
  do {
    auto page = conflicts.List(admin_, {}, 0, token);
    ASSERT_TRUE(page.ok()) << page.status();
    ASSERT_THAT(page->conflicts, SizeIs(1));
    records.push_back(page->conflicts[0].entry.record_id);
    token = page->next_page_token;
  } while (!token.empty());
  EXPECT_THAT(records, ElementsAre("rec-1", "rec-2", "rec-3"));
}

}  // namespace
}  // namespace fieldsync::sync_test
