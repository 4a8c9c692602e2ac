// Integration tests: a real fieldsyncd process on 127.0.0.1, port 0, driven over gRPC.
// Every rule of DESIGN.md "Push: apply rules" and "Pull and the change feed" end to end.
#include <signal.h>
#include <sys/wait.h>

#include <chrono>
#include <cstdlib>
#include <fstream>
#include <sstream>
#include <thread>

#include "absl/strings/str_cat.h"
#include "gmock/gmock.h"
#include "google/rpc/error_details.pb.h"
#include "google/rpc/status.pb.h"
#include "grpc/health/v1/health.grpc.pb.h"
#include "gtest/gtest.h"
#include "tests/testing/server_process.h"
#include "tests/testing/server_test.h"
#include "tests/testing/tcp_proxy.h"
#include "tests/testing/temp_dir.h"
#include "tests/testing/test_client.h"

namespace fieldsync::testing {
namespace {

using ::testing::ElementsAre;
using ::testing::UnorderedElementsAre;

class SyncIntegrationTest : public ServerTest {
 protected:
  void StartServer(std::vector<std::string> flags = {}) {
    server_ = std::make_unique<ServerProcess>(dir_.Sub("db"), std::move(flags));
    ninewa_ = server_->AddDevice({"tab-ninewa", "enumerator", {"governorate=Ninewa"}});
    ninewa2_ = server_->AddDevice({"tab-ninewa-2", "enumerator", {"governorate=Ninewa"}});
    anbar_ = server_->AddDevice({"tab-anbar", "enumerator", {"governorate=Anbar"}});
    post1_ = server_->AddDevice({"post-1", "border_officer", {"border_point=BP-001"}});
    admin_ = server_->AddDevice({"admin", "admin", {}, true});
    feed_ = server_->AddDevice({"aggregator", "feed_reader", {}, true});
    ASSERT_TRUE(server_->Start()) << server_->log();
  }

  std::string ninewa_, ninewa2_, anbar_, post1_, admin_, feed_;
};

std::vector<v1::Outcome> Outcomes(const std::vector<v1::Receipt>& rs) {
  std::vector<v1::Outcome> out;
  for (const auto& r : rs) out.push_back(r.outcome());
  return out;
}

TEST_F(SyncIntegrationTest, PushThenPullRoundTrip) {
  StartServer();
  TestClient c = Client(ninewa_);
  std::vector<v1::Receipt> receipts;
  ASSERT_TRUE(
      c.PushOne({HouseholdCreate(1, "hh-1", "Ninewa", 4), HouseholdCreate(2, "hh-2", "Ninewa", 6)},
                &receipts)
          .ok());
  ASSERT_THAT(Outcomes(receipts), ElementsAre(v1::APPLIED, v1::APPLIED));
  EXPECT_EQ(receipts[0].record_version(), 1u);
  EXPECT_GT(receipts[1].seq(), receipts[0].seq());
  EXPECT_EQ(receipts[0].content_hash().size(), 64u);

  PullResult pull = c.Pull("");
  ASSERT_TRUE(pull.status.ok()) << pull.status.error_message();
  auto by_id = ById(pull.records);
  ASSERT_EQ(by_id.size(), 2u);
  EXPECT_EQ(by_id["hh-2"].fields().at("household_size").integer(), 6);
  EXPECT_EQ(by_id["hh-2"].version(), 1u);
  EXPECT_EQ(by_id["hh-2"].last_writer_device(), "tab-ninewa");

  // Nothing new after the cursor.
  PullResult again = c.Pull(pull.cursor);
  ASSERT_TRUE(again.status.ok());
  EXPECT_TRUE(again.records.empty());
}

TEST_F(SyncIntegrationTest, RetransmissionAfterCutStreamAppliesNothingTwice) {
  StartServer();
  TestClient c = Client(ninewa_);
  std::vector<v1::Mutation> batch;
  for (int i = 1; i <= 20; ++i)
    batch.push_back(HouseholdCreate(i, "cut-" + std::to_string(i), "Ninewa"));
  {
    // Send the batch and cut the stream before reading any receipt.
    auto ctx = c.Context();
    auto stream = c.sync()->Push(ctx.get());
    v1::PushRequest req;
    for (const auto& m : batch) *req.add_mutations() = m;
    ASSERT_TRUE(stream->Write(req));
    ctx->TryCancel();
    stream->Finish();
  }
  // The device does not know what landed: it retransmits everything.
  std::vector<v1::Receipt> receipts;
  ASSERT_TRUE(c.PushOne(batch, &receipts).ok());
  ASSERT_EQ(receipts.size(), 20u);
  for (const auto& r : receipts) {
    EXPECT_TRUE(r.outcome() == v1::APPLIED ||
                (r.outcome() == v1::DUPLICATE && r.original_outcome() == v1::APPLIED))
        << r.ShortDebugString();
    EXPECT_EQ(r.record_version(), 1u);
  }
  // And once more: now every one is a duplicate with the stored receipt.
  std::vector<v1::Receipt> again;
  ASSERT_TRUE(c.PushOne(batch, &again).ok());
  for (size_t i = 0; i < again.size(); ++i) {
    EXPECT_EQ(again[i].outcome(), v1::DUPLICATE);
    EXPECT_EQ(again[i].seq(), receipts[i].seq() ? receipts[i].seq() : again[i].seq());
    EXPECT_EQ(again[i].record_version(), 1u);
  }
  PullResult pull = Client(admin_).Pull("");
  ASSERT_TRUE(pull.status.ok());
  ASSERT_EQ(pull.records.size(), 20u);
  for (const auto& r : pull.records) EXPECT_EQ(r.version(), 1u) << r.record_id();
  // The change log holds exactly one change per record.
  std::vector<v1::Change> changes;
  ASSERT_TRUE(Client(feed_).Changes(1, &changes, nullptr).ok());
  EXPECT_EQ(changes.size(), 20u);
}

TEST_F(SyncIntegrationTest, GapIsOutOfOrderAndAppliesNothing) {
  StartServer();
  TestClient c = Client(ninewa_);
  std::vector<v1::Receipt> receipts;
  ASSERT_TRUE(c.PushOne({HouseholdCreate(1, "g-1", "Ninewa"), HouseholdCreate(3, "g-3", "Ninewa")},
                        &receipts)
                  .ok());
  ASSERT_THAT(Outcomes(receipts), ElementsAre(v1::APPLIED, v1::OUT_OF_ORDER));
  EXPECT_EQ(receipts[1].expected_device_seq(), 2u);
  PullResult pull = c.Pull("");
  EXPECT_EQ(ById(pull.records).count("g-3"), 0u);
  v1::ListReceiptsResponse list;
  ASSERT_TRUE(c.ListReceipts(1, &list).ok());
  EXPECT_EQ(list.acked_device_seq(), 1u);
  ASSERT_EQ(list.receipts_size(), 1);
  EXPECT_EQ(list.receipts(0).record_id(), "g-1");
}

TEST_F(SyncIntegrationTest, InvalidRecordFailsAloneAndIsQuarantined) {
  StartServer();
  TestClient c = Client(ninewa_);
  v1::Mutation bad = HouseholdCreate(2, "bad", "Ninewa", /*household_size=*/0);
  (*bad.mutable_fields())["visit_date"] = Text("2026-02-30");
  std::vector<v1::Receipt> receipts;
  ASSERT_TRUE(
      c.PushOne({HouseholdCreate(1, "ok-1", "Ninewa"), bad, HouseholdCreate(3, "ok-3", "Ninewa")},
                &receipts)
          .ok());
  ASSERT_THAT(Outcomes(receipts), ElementsAre(v1::APPLIED, v1::REJECTED, v1::APPLIED));
  std::vector<std::string> fields;
  for (const auto& e : receipts[1].errors()) fields.push_back(e.field());
  EXPECT_THAT(fields, UnorderedElementsAre("household_size", "visit_date"));
  auto by_id = ById(c.Pull("").records);
  EXPECT_EQ(by_id.count("ok-1"), 1u);
  EXPECT_EQ(by_id.count("ok-3"), 1u);
  EXPECT_EQ(by_id.count("bad"), 0u);
  // The rejection is acknowledged (kept in quarantine), so the device moves on.
  v1::ListReceiptsResponse list;
  ASSERT_TRUE(c.ListReceipts(1, &list).ok());
  EXPECT_EQ(list.acked_device_seq(), 3u);
  EXPECT_EQ(list.receipts(1).outcome(), v1::REJECTED);
}

TEST_F(SyncIntegrationTest, TwoDevicesEditDifferentFieldsOfflineMerge) {
  StartServer();
  TestClient a = Client(ninewa_), b = Client(ninewa2_);
  std::vector<v1::Receipt> r;
  ASSERT_TRUE(a.PushOne({HouseholdCreate(1, "shared", "Ninewa", 5)}, &r).ok());
  // Both tablets saw version 1 and edit offline.
  r.clear();
  ASSERT_TRUE(a.PushOne({MakeMutation({2,
                                       "shared",
                                       "displacement_household",
                                       1,
                                       {{"household_size", Int(7)}},
                                       false,
                                       1'800'000'000'000})},
                        &r)
                  .ok());
  ASSERT_THAT(Outcomes(r), ElementsAre(v1::APPLIED));
  r.clear();
  ASSERT_TRUE(b.PushOne({MakeMutation({1,
                                       "shared",
                                       "displacement_household",
                                       1,
                                       {{"district", Text("Tel Afar")}},
                                       false,
                                       1'700'000'000'000})},
                        &r)
                  .ok());
  ASSERT_THAT(Outcomes(r), ElementsAre(v1::MERGED));
  EXPECT_EQ(r[0].record_version(), 3u);
  auto rec = ById(b.Pull("").records)["shared"];
  EXPECT_EQ(rec.fields().at("household_size").integer(), 7);
  EXPECT_EQ(rec.fields().at("district").text(), "Tel Afar");
  EXPECT_FALSE(rec.has_open_conflict());
}

TEST_F(SyncIntegrationTest, TwoDevicesEditSameFieldOfflineConflictLaterHlcWins) {
  StartServer();
  TestClient a = Client(ninewa_), b = Client(ninewa2_);
  std::vector<v1::Receipt> r;
  ASSERT_TRUE(a.PushOne({HouseholdCreate(1, "both", "Ninewa", 5)}, &r).ok());
  r.clear();
  // A edited later (by its clock) but syncs first.
  ASSERT_TRUE(a.PushOne({MakeMutation({2,
                                       "both",
                                       "displacement_household",
                                       1,
                                       {{"household_size", Int(8)}},
                                       false,
                                       1'800'000'000'500})},
                        &r)
                  .ok());
  r.clear();
  ASSERT_TRUE(b.PushOne({MakeMutation({1,
                                       "both",
                                       "displacement_household",
                                       1,
                                       {{"household_size", Int(9)}},
                                       false,
                                       1'800'000'000'100})},
                        &r)
                  .ok());
  ASSERT_THAT(Outcomes(r), ElementsAre(v1::CONFLICT));
  EXPECT_THAT(r[0].conflict_fields(), ElementsAre("household_size"));
  auto rec = ById(b.Pull("").records)["both"];
  EXPECT_EQ(rec.fields().at("household_size").integer(), 8);  // A's later edit kept
  EXPECT_TRUE(rec.has_open_conflict());

  // The other way round: the later edit arrives second and wins.
  r.clear();
  ASSERT_TRUE(b.PushOne({MakeMutation({2,
                                       "both",
                                       "displacement_household",
                                       2,
                                       {{"household_size", Int(11)}},
                                       false,
                                       1'900'000'000'000})},
                        &r)
                  .ok());
  r.clear();
  ASSERT_TRUE(a.PushOne({MakeMutation({3,
                                       "both",
                                       "displacement_household",
                                       2,
                                       {{"household_size", Int(12)}},
                                       false,
                                       1'900'000'000'001})},
                        &r)
                  .ok());
  ASSERT_THAT(Outcomes(r), ElementsAre(v1::CONFLICT));
  rec = ById(b.Pull("").records)["both"];
  EXPECT_EQ(rec.fields().at("household_size").integer(), 12);
}

// An edit of household_size from `base`, stamped at `hlc_ms`.
v1::Mutation SizeEdit(uint64_t device_seq, const std::string& id, uint64_t base, int64_t size,
                      int64_t hlc_ms) {
  MutationSpec spec;
  spec.device_seq = device_seq;
  spec.record_id = id;
  spec.form_id = "displacement_household";
  spec.base_version = base;
  spec.fields = {{"household_size", Int(size)}};
  spec.hlc_ms = hlc_ms;
  return MakeMutation(spec);
}

TEST_F(SyncIntegrationTest, ConflictOpenedByALosingEditReachesAnIncrementalPull) {
  StartServer();
  TestClient a = Client(ninewa_), b = Client(ninewa2_);
  std::vector<v1::Receipt> r;
  ASSERT_TRUE(a.PushOne({HouseholdCreate(1, "lost", "Ninewa", 5)}, &r).ok());
  ASSERT_TRUE(a.PushOne({SizeEdit(2, "lost", 1, 8, 1'800'000'000'500)}, &r).ok());
  // A is up to date: version 2, no conflict.
  PullResult before = a.Pull("");
  ASSERT_TRUE(before.status.ok()) << before.status.error_message();
  ASSERT_EQ(before.records.size(), 1u);
  EXPECT_EQ(before.records[0].version(), 2u);
  EXPECT_FALSE(before.records[0].has_open_conflict());

  // B's older edit loses under last-writer-wins: nothing changes but the flag.
  r.clear();
  ASSERT_TRUE(b.PushOne({SizeEdit(1, "lost", 1, 9, 1'800'000'000'100)}, &r).ok());
  ASSERT_THAT(Outcomes(r), ElementsAre(v1::CONFLICT));

  PullResult after = a.Pull(before.cursor);
  ASSERT_TRUE(after.status.ok()) << after.status.error_message();
  ASSERT_EQ(after.records.size(), 1u) << "the flag must reach an incremental pull";
  EXPECT_EQ(after.records[0].record_id(), "lost");
  EXPECT_TRUE(after.records[0].has_open_conflict());
  EXPECT_EQ(after.records[0].version(), 2u);
  EXPECT_EQ(after.records[0].fields().at("household_size").integer(), 8);
}

TEST_F(SyncIntegrationTest, StaleDeleteIsAConflictAndDestroysNothing) {
  StartServer();
  TestClient a = Client(ninewa_), b = Client(ninewa2_);
  std::vector<v1::Receipt> r;
  ASSERT_TRUE(a.PushOne({HouseholdCreate(1, "victim", "Ninewa", 5)}, &r).ok());
  r.clear();
  ASSERT_TRUE(
      b.PushOne(
           {MakeMutation({1, "victim", "displacement_household", 1, {{"household_size", Int(6)}}})},
           &r)
          .ok());
  r.clear();
  // A deletes based on version 1, not knowing B's edit (version 2).
  ASSERT_TRUE(
      a.PushOne({MakeMutation({2, "victim", "displacement_household", 1, {}, true})}, &r).ok());
  ASSERT_THAT(Outcomes(r), ElementsAre(v1::CONFLICT));
  auto rec = ById(a.Pull("").records)["victim"];
  EXPECT_FALSE(rec.deleted());
  EXPECT_EQ(rec.fields().at("household_size").integer(), 6);

  // A delete based on the current version goes through and is pulled as a tombstone.
  r.clear();
  ASSERT_TRUE(
      a.PushOne({MakeMutation({3, "victim", "displacement_household", 2, {}, true})}, &r).ok());
  ASSERT_THAT(Outcomes(r), ElementsAre(v1::APPLIED));
  rec = ById(b.Pull("").records)["victim"];
  EXPECT_TRUE(rec.deleted());
  EXPECT_EQ(rec.fields().count("household_size"), 0u);
}

TEST_F(SyncIntegrationTest, AppendOnlyDuplicatesAndEdits) {
  StartServer();
  TestClient c = Client(post1_);
  std::vector<v1::Receipt> r;
  v1::Mutation first = CrossingCreate(1, "x-1", "BP-001", 3);
  v1::Mutation same = first;
  same.set_device_seq(2);  // the same crossing entered again (e.g. re-imported CSV)
  v1::Mutation other = CrossingCreate(3, "x-1", "BP-001", 4);  // same id, other content
  v1::Mutation edit = MakeMutation({4, "x-1", "border_crossing", 1, {{"group_size", Int(9)}}});
  ASSERT_TRUE(c.PushOne({first, same, other, edit}, &r).ok());
  ASSERT_THAT(Outcomes(r), ElementsAre(v1::APPLIED, v1::DUPLICATE, v1::CONFLICT, v1::REJECTED));
  auto rec = ById(c.Pull("").records)["x-1"];
  EXPECT_EQ(rec.fields().at("group_size").integer(), 3);
  EXPECT_EQ(rec.version(), 1u);
}

TEST_F(SyncIntegrationTest, DeviceCannotWriteOrReadOutsideItsScope) {
  StartServer();
  std::vector<v1::Receipt> r;
  ASSERT_TRUE(Client(ninewa_).PushOne({HouseholdCreate(1, "nin", "Ninewa")}, &r).ok());
  r.clear();
  TestClient anbar = Client(anbar_);
  // Writing a Ninewa record, and editing the existing one, are both refused.
  ASSERT_TRUE(
      anbar
          .PushOne({HouseholdCreate(1, "intrude", "Ninewa"),
                    MakeMutation(
                        {2, "nin", "displacement_household", 1, {{"governorate", Text("Anbar")}}}),
                    HouseholdCreate(3, "mine", "Anbar")},
                   &r)
          .ok());
  ASSERT_THAT(Outcomes(r), ElementsAre(v1::REJECTED, v1::REJECTED, v1::APPLIED));
  auto seen = ById(anbar.Pull("").records);
  EXPECT_EQ(seen.size(), 1u);
  EXPECT_EQ(seen.count("mine"), 1u);
  // Border officers see only their post's crossings, not questionnaires.
  r.clear();
  TestClient post = Client(post1_);
  ASSERT_TRUE(
      post.PushOne({CrossingCreate(1, "c-1", "BP-001"), CrossingCreate(2, "c-2", "BP-002")}, &r)
          .ok());
  ASSERT_THAT(Outcomes(r), ElementsAre(v1::APPLIED, v1::REJECTED));
  auto post_seen = ById(post.Pull("").records);
  EXPECT_EQ(post_seen.size(), 1u);
  EXPECT_EQ(post_seen.count("c-1"), 1u);
}

TEST_F(SyncIntegrationTest, RecordMovedOutOfScopeIsRemovedFromDevice) {
  StartServer();
  std::vector<v1::Receipt> r;
  TestClient nin = Client(ninewa_);
  ASSERT_TRUE(nin.PushOne({HouseholdCreate(1, "mover", "Ninewa")}, &r).ok());
  PullResult first = nin.Pull("");
  ASSERT_EQ(first.records.size(), 1u);
  r.clear();
  ASSERT_TRUE(
      Client(admin_)
          .PushOne(
              {MakeMutation(
                  {1, "mover", "displacement_household", 1, {{"governorate", Text("Anbar")}}})},
              &r)
          .ok());
  ASSERT_THAT(Outcomes(r), ElementsAre(v1::APPLIED));
  PullResult next = nin.Pull(first.cursor);
  ASSERT_TRUE(next.status.ok());
  ASSERT_EQ(next.records.size(), 1u);
  EXPECT_TRUE(next.records[0].out_of_scope());
  EXPECT_EQ(next.records[0].fields_size(), 0);  // nothing of the record's new contents
  auto anbar_seen = ById(Client(anbar_).Pull("").records);
  EXPECT_EQ(anbar_seen["mover"].fields().at("governorate").text(), "Anbar");
}

TEST_F(SyncIntegrationTest, RecordChangedManyTimesIsPulledOnceAtLatestVersion) {
  StartServer();
  TestClient c = Client(ninewa_);
  PullResult start = c.Pull("");
  std::vector<v1::Receipt> r;
  std::vector<v1::Mutation> batch{HouseholdCreate(1, "busy", "Ninewa", 1)};
  for (int i = 2; i <= 10; ++i) {
    batch.push_back(MakeMutation({static_cast<uint64_t>(i),
                                  "busy",
                                  "displacement_household",
                                  static_cast<uint64_t>(i - 1),
                                  {{"household_size", Int(i)}}}));
  }
  ASSERT_TRUE(c.PushOne(batch, &r).ok());
  PullResult pull = c.Pull(start.cursor);
  ASSERT_EQ(pull.records.size(), 1u);
  EXPECT_EQ(pull.records[0].version(), 10u);
  EXPECT_EQ(pull.records[0].fields().at("household_size").integer(), 10);
}

TEST_F(SyncIntegrationTest, PagedPullReturnsEveryRecordOnce) {
  StartServer();
  TestClient c = Client(ninewa_);
  std::vector<v1::Mutation> batch;
  for (int i = 1; i <= 120; ++i)
    batch.push_back(HouseholdCreate(i, "p-" + std::to_string(i), "Ninewa"));
  std::vector<v1::Receipt> r;
  ASSERT_TRUE(c.PushOne(batch, &r).ok());
  // Pages of 7 records, each pull call returning one page.
  std::string cursor;
  std::map<std::string, int> seen;
  for (int calls = 0; calls < 100; ++calls) {
    PullResult page = c.Pull(cursor, {}, 7);
    ASSERT_TRUE(page.status.ok());
    for (const auto& rec : page.records) seen[rec.record_id()]++;
    if (page.records.empty()) break;
    cursor = page.cursor;
  }
  EXPECT_EQ(seen.size(), 120u);
  for (const auto& [id, n] : seen) EXPECT_EQ(n, 1) << id;
}

TEST_F(SyncIntegrationTest, CursorPastRetentionRequiresResync) {
  StartServer({"--retention-changes", "5", "--retention-ms", "0", "--retention-interval-ms", "20"});
  TestClient c = Client(ninewa_);
  std::vector<v1::Receipt> r;
  ASSERT_TRUE(c.PushOne({HouseholdCreate(1, "old-1", "Ninewa")}, &r).ok());
  PullResult old = c.Pull("");
  ASSERT_TRUE(old.status.ok());
  std::vector<v1::Mutation> batch;
  for (int i = 2; i <= 30; ++i)
    batch.push_back(HouseholdCreate(i, "new-" + std::to_string(i), "Ninewa"));
  ASSERT_TRUE(c.PushOne(batch, &r).ok());
  // Retention runs in the background every 20 ms: poll (bounded) until the old cursor expires.
  PullResult stale;
  const auto deadline = std::chrono::steady_clock::now() + std::chrono::seconds(10);
  do {
    stale = c.Pull(old.cursor);
    if (!stale.status.ok()) break;
    std::this_thread::sleep_for(std::chrono::milliseconds(20));
  } while (std::chrono::steady_clock::now() < deadline);
  EXPECT_EQ(stale.status.error_code(), grpc::StatusCode::FAILED_PRECONDITION);
  EXPECT_TRUE(IsResyncRequired(stale.status)) << stale.status.error_message();
  // A full resync still returns every live record.
  PullResult full = c.Pull("");
  ASSERT_TRUE(full.status.ok());
  EXPECT_EQ(full.records.size(), 30u);
}

TEST_F(SyncIntegrationTest, MalformedCursorIsInvalidArgument) {
  StartServer();
  PullResult p = Client(ninewa_).Pull("garbage");
  EXPECT_EQ(p.status.error_code(), grpc::StatusCode::INVALID_ARGUMENT);
  EXPECT_THAT(BadRequestFields(p.status), ElementsAre("cursor"));
}

TEST_F(SyncIntegrationTest, CredentialsAreChecked) {
  StartServer();
  std::vector<v1::Receipt> r;
  EXPECT_EQ(Client("").PushOne({HouseholdCreate(1, "a", "Ninewa")}, &r).error_code(),
            grpc::StatusCode::UNAUTHENTICATED);
  EXPECT_EQ(Client("fs_not-a-token").Pull("").status.error_code(),
            grpc::StatusCode::UNAUTHENTICATED);
  {
    // The right token under another scheme is refused too.
    TestClient raw = Client("");
    auto ctx = raw.Context();
    ctx->AddMetadata("authorization", "Basic " + ninewa_);
    v1::ListReceiptsResponse resp;
    grpc::Status s = raw.sync()->ListReceipts(ctx.get(), v1::ListReceiptsRequest(), &resp);
    EXPECT_EQ(s.error_code(), grpc::StatusCode::UNAUTHENTICATED);
    EXPECT_NE(s.error_message().find("Bearer"), std::string::npos);
  }
  // Roles: an enumerator cannot read the change feed or publish forms.
  std::vector<v1::Change> changes;
  EXPECT_EQ(Client(ninewa_).Changes(1, &changes, nullptr).error_code(),
            grpc::StatusCode::PERMISSION_DENIED);
  v1::Form form;
  form.set_form_id("x");
  EXPECT_EQ(Client(ninewa_).PublishForm(form, nullptr).error_code(),
            grpc::StatusCode::PERMISSION_DENIED);
  // A feed reader is not a syncing device.
  EXPECT_EQ(Client(feed_).Pull("").status.error_code(), grpc::StatusCode::PERMISSION_DENIED);
  // Revoked on the registry (server stopped for the offline command): refused at the next call.
  EXPECT_TRUE(Client(anbar_).Pull("").status.ok());
  server_->Stop(SIGTERM);
  server_->RevokeDevice("tab-anbar");
  ASSERT_TRUE(server_->Start()) << server_->log();
  EXPECT_EQ(Client(anbar_).Pull("").status.error_code(), grpc::StatusCode::UNAUTHENTICATED);
}

TEST_F(SyncIntegrationTest, LimitsAreEnforcedPerRecordAndPerBatch) {
  StartServer({"--max-batch", "10", "--max-value-bytes", "100", "--max-fields-per-record", "20",
               "--max-message-bytes", "65536"});
  TestClient c = Client(ninewa_);
  std::vector<v1::Receipt> r;
  // Over the batch size: the whole request is refused, nothing applied.
  std::vector<v1::Mutation> big;
  for (int i = 1; i <= 11; ++i)
    big.push_back(HouseholdCreate(i, "b-" + std::to_string(i), "Ninewa"));
  grpc::Status s = c.PushOne(big, &r);
  EXPECT_EQ(s.error_code(), grpc::StatusCode::INVALID_ARGUMENT);
  EXPECT_THAT(BadRequestFields(s), ElementsAre("mutations"));
  EXPECT_TRUE(c.Pull("").records.empty());
  // A value over the limit and too many fields fail only their record.
  r.clear();
  v1::Mutation long_value = HouseholdCreate(1, "long", "Ninewa");
  (*long_value.mutable_fields())["district"] = Text(std::string(101, 'd'));
  v1::Mutation many = HouseholdCreate(2, "many", "Ninewa");
  for (int i = 0; i < 30; ++i) (*many.mutable_fields())["extra_" + std::to_string(i)] = Int(i);
  ASSERT_TRUE(c.PushOne({long_value, many, HouseholdCreate(3, "fine", "Ninewa")}, &r).ok());
  ASSERT_THAT(Outcomes(r), ElementsAre(v1::REJECTED, v1::REJECTED, v1::APPLIED));
  EXPECT_EQ(r[0].errors(0).field(), "district");
  // A message over the size limit is refused by the transport.
  r.clear();
  v1::Mutation huge = HouseholdCreate(4, "huge", "Ninewa");
  (*huge.mutable_fields())["district"] = Text(std::string(100'000, 'h'));
  EXPECT_EQ(c.PushOne({huge}, &r).error_code(), grpc::StatusCode::RESOURCE_EXHAUSTED);
  // And the server keeps serving.
  r.clear();
  ASSERT_TRUE(c.PushOne({HouseholdCreate(4, "after", "Ninewa")}, &r).ok());
  ASSERT_THAT(Outcomes(r), ElementsAre(v1::APPLIED));
}

TEST_F(SyncIntegrationTest, PullReceiptAndChangePagesAreCapped) {
  StartServer({"--max-pull-records", "5", "--pull-page", "2", "--max-receipts-page", "3",
               "--max-changes-page", "4"});
  TestClient c = Client(ninewa_);
  std::vector<v1::Mutation> batch;
  for (int i = 1; i <= 12; ++i)
    batch.push_back(HouseholdCreate(i, "cap-" + std::to_string(i), "Ninewa"));
  std::vector<v1::Receipt> r;
  ASSERT_TRUE(c.PushOne(batch, &r).ok());
  // One call asking for 100 gets at most 5, in messages of at most 2, and is told there is more.
  PullResult one = c.Pull("", {}, 100);
  ASSERT_TRUE(one.status.ok());
  EXPECT_EQ(one.records.size(), 5u);
  EXPECT_EQ(one.pages, 3);
  EXPECT_TRUE(one.has_more);
  // Following the cursor gets the rest, each record once.
  PullResult rest = c.Pull(one.cursor);
  ASSERT_TRUE(rest.status.ok());
  EXPECT_EQ(rest.records.size(), 7u);
  EXPECT_FALSE(rest.has_more);
  v1::ListReceiptsResponse list;
  ASSERT_TRUE(c.ListReceipts(1, &list).ok());
  EXPECT_EQ(list.receipts_size(), 3);
  EXPECT_EQ(list.acked_device_seq(), 12u);
  // The feed asks for 100 per message and gets at most 4, every change exactly once.
  TestClient feed = Client(feed_);
  auto ctx = feed.Context();
  v1::ChangesRequest req;
  req.set_from_seq(1);
  req.set_limit(100);
  auto reader = feed.sync()->Changes(ctx.get(), req);
  v1::ChangesResponse resp;
  std::vector<uint64_t> seqs;
  while (reader->Read(&resp)) {
    EXPECT_LE(resp.changes_size(), 4);
    for (const auto& c : resp.changes()) seqs.push_back(c.seq());
  }
  ASSERT_TRUE(reader->Finish().ok());
  ASSERT_EQ(seqs.size(), 12u);
  for (size_t i = 1; i < seqs.size(); ++i) EXPECT_LT(seqs[i - 1], seqs[i]);
}

// Pull, ListReceipts and Changes answers are gzipped for a client that accepts gzip, and sent
// as they are to one that does not (which could not read them otherwise). Bytes counted by a
// TCP proxy in front of the server.
TEST_F(SyncIntegrationTest, AnswersAreCompressedOnlyForClientsThatAcceptIt) {
  StartServer();
  constexpr int kRecords = 300;
  {
    TestClient c = Client(ninewa_);
    std::vector<std::vector<v1::Mutation>> batches(3);
    for (int i = 1; i <= kRecords; ++i) {
      batches[(i - 1) / 100].push_back(
          HouseholdCreate(i, absl::StrCat("gz-", i), "Ninewa", 1 + i % 9));
    }
    std::vector<v1::Receipt> r;
    ASSERT_TRUE(c.Push(batches, &r).ok());
    ASSERT_EQ(r.size(), size_t{kRecords});
  }
  struct Answers {
    uint64_t pull = 0, receipts = 0, changes = 0;
  };
  auto measure = [&](bool accept) {
    Answers out;
    auto proxy = TcpProxy::Start("127.0.0.1", server_->port());
    EXPECT_TRUE(proxy.ok()) << proxy.status();
    if (!proxy.ok()) return out;
    auto down = [&] { return (*proxy)->bytes(TcpProxy::Direction::kDownstream); };
    TestClient device((*proxy)->target(), ninewa_, nullptr, accept);
    TestClient feed((*proxy)->target(), feed_, nullptr, accept);
    uint64_t before = down();
    PullResult pulled = device.Pull("");
    EXPECT_TRUE(pulled.status.ok()) << pulled.status.error_message();
    EXPECT_EQ(pulled.records.size(), size_t{kRecords});
    out.pull = down() - before;
    before = down();
    v1::ListReceiptsResponse list;
    EXPECT_TRUE(device.ListReceipts(1, &list).ok());
    EXPECT_EQ(list.receipts_size(), kRecords);
    out.receipts = down() - before;
    before = down();
    std::vector<v1::Change> changes;
    uint64_t head = 0;
    EXPECT_TRUE(feed.Changes(1, &changes, &head).ok());
    EXPECT_EQ(changes.size(), size_t{kRecords});
    out.changes = down() - before;
    return out;
  };
  const Answers gzip = measure(true);
  const Answers plain = measure(false);
  // Records and changes shrink to well under half; receipts less (each carries a content
  // hash, random hex), 57% measured; the answers as they are cannot shrink at all.
  EXPECT_LT(gzip.pull * 2, plain.pull) << gzip.pull << " vs " << plain.pull;
  EXPECT_LT(gzip.receipts * 4, plain.receipts * 3) << gzip.receipts << " vs " << plain.receipts;
  EXPECT_LT(gzip.changes * 2, plain.changes) << gzip.changes << " vs " << plain.changes;
  EXPECT_GT(plain.pull, uint64_t{kRecords} * 100) << "the plain answer carries every record";
}

TEST_F(SyncIntegrationTest, ChangeFeedHasBeforeAndAfterInSeqOrder) {
  StartServer();
  std::vector<v1::Receipt> r;
  ASSERT_TRUE(
      Client(ninewa_)
          .PushOne(
              {HouseholdCreate(1, "f-1", "Ninewa", 3),
               MakeMutation({2, "f-1", "displacement_household", 1, {{"household_size", Int(4)}}})},
              &r)
          .ok());
  std::vector<v1::Change> changes;
  uint64_t head = 0;
  ASSERT_TRUE(Client(feed_).Changes(1, &changes, &head).ok());
  ASSERT_EQ(changes.size(), 2u);
  EXPECT_LT(changes[0].seq(), changes[1].seq());
  EXPECT_EQ(head, changes[1].seq());
  EXPECT_TRUE(changes[0].created());
  EXPECT_EQ(changes[1].version(), 2u);
  ASSERT_EQ(changes[1].changes_size(), 1);
  EXPECT_EQ(changes[1].changes(0).field(), "household_size");
  EXPECT_EQ(changes[1].changes(0).before().integer(), 3);
  EXPECT_EQ(changes[1].changes(0).after().integer(), 4);
  EXPECT_EQ(changes[1].scope().at("governorate"), "Ninewa");
  // Resuming after the first change yields only the second.
  std::vector<v1::Change> rest;
  ASSERT_TRUE(Client(feed_).Changes(changes[0].seq() + 1, &rest, nullptr).ok());
  ASSERT_EQ(rest.size(), 1u);
  EXPECT_EQ(rest[0].seq(), changes[1].seq());
}

TEST_F(SyncIntegrationTest, FollowedChangeFeedDeliversNewChangesLive) {
  StartServer();
  TestClient feed = Client(feed_);
  auto ctx = feed.Context(20'000);
  v1::ChangesRequest req;
  req.set_from_seq(1);
  req.set_follow(true);
  auto reader = feed.sync()->Changes(ctx.get(), req);
  std::vector<v1::Receipt> r;
  ASSERT_TRUE(Client(ninewa_).PushOne({HouseholdCreate(1, "live-1", "Ninewa")}, &r).ok());
  v1::ChangesResponse resp;
  ASSERT_TRUE(reader->Read(&resp));
  ASSERT_EQ(resp.changes_size(), 1);
  EXPECT_EQ(resp.changes(0).record_id(), "live-1");
  // A second change committed later arrives on the same open stream.
  ASSERT_TRUE(Client(ninewa_).PushOne({HouseholdCreate(2, "live-2", "Ninewa")}, &r).ok());
  ASSERT_TRUE(reader->Read(&resp));
  ASSERT_EQ(resp.changes_size(), 1);
  EXPECT_EQ(resp.changes(0).record_id(), "live-2");
  EXPECT_EQ(resp.head_seq(), resp.changes(0).seq());
  ctx->TryCancel();
  reader->Finish();
}

TEST_F(SyncIntegrationTest, FormsArePublishedOnceAndImmutable) {
  StartServer();
  TestClient admin = Client(admin_);
  auto ctx = admin.Context();
  v1::GetFormRequest get;
  get.set_form_id("border_crossing");
  v1::Form form;
  ASSERT_TRUE(admin.forms()->GetForm(ctx.get(), get, &form).ok());
  EXPECT_EQ(form.version(), 1u);
  bool created = true;
  ASSERT_TRUE(admin.PublishForm(form, &created).ok());
  EXPECT_FALSE(created);  // identical: a no-op
  form.set_title("changed");
  EXPECT_EQ(admin.PublishForm(form, &created).error_code(), grpc::StatusCode::ALREADY_EXISTS);
  form.set_version(2);
  ASSERT_TRUE(admin.PublishForm(form, &created).ok());
  EXPECT_TRUE(created);
  // A broken definition gets INVALID_ARGUMENT.
  v1::Form broken = form;
  broken.set_version(3);
  broken.add_scope_fields("no_such_field");
  grpc::Status s = admin.PublishForm(broken, &created);
  EXPECT_EQ(s.error_code(), grpc::StatusCode::INVALID_ARGUMENT);
  EXPECT_THAT(BadRequestFields(s), ElementsAre("form"));
  EXPECT_NE(s.error_message().find("no_such_field"), std::string::npos) << s.error_message();
}

std::string ReadFileOrDie(const std::string& path) {
  std::ifstream in(path);
  std::stringstream ss;
  ss << in.rdbuf();
  EXPECT_TRUE(in.good() || in.eof()) << path;
  return ss.str();
}

// Makes a development certificate with the documented script.
std::string MakeDevCert(const std::string& dir) {
  const std::string script = FormsDir() + "/../../scripts/dev-cert.sh";
  EXPECT_EQ(std::system(("'" + script + "' '" + dir + "' >/dev/null").c_str()), 0);
  return ReadFileOrDie(dir + "/server.crt");
}

TEST_F(SyncIntegrationTest, TlsServesOnlyClientsThatTrustTheCertificate) {
  const std::string cert = MakeDevCert(dir_.Sub("certs"));
  const std::string other_cert = MakeDevCert(dir_.Sub("other-certs"));
  StartServer({"--tls-cert-file", dir_.Sub("certs") + "/server.crt", "--tls-key-file",
               dir_.Sub("certs") + "/server.key"});
  grpc::SslCredentialsOptions trusting;
  trusting.pem_root_certs = cert;
  TestClient tls(server_->target(), ninewa_, grpc::SslCredentials(trusting));
  std::vector<v1::Receipt> r;
  ASSERT_TRUE(tls.PushOne({HouseholdCreate(1, "tls-1", "Ninewa")}, &r).ok());
  ASSERT_THAT(Outcomes(r), ElementsAre(v1::APPLIED));
  EXPECT_EQ(tls.Pull("").records.size(), 1u);
  // A client that trusts another certificate, and a plaintext client, get nothing.
  grpc::SslCredentialsOptions other;
  other.pem_root_certs = other_cert;
  PullResult untrusted =
      TestClient(server_->target(), ninewa_, grpc::SslCredentials(other)).Pull("");
  EXPECT_EQ(untrusted.status.error_code(), grpc::StatusCode::UNAVAILABLE);
  EXPECT_TRUE(untrusted.records.empty());
  PullResult plain = Client(ninewa_).Pull("");
  EXPECT_EQ(plain.status.error_code(), grpc::StatusCode::UNAVAILABLE);
  EXPECT_TRUE(plain.records.empty());
}

TEST_F(SyncIntegrationTest, HealthAndGracefulShutdown) {
  StartServer();
  {
    auto channel = grpc::CreateChannel(server_->target(), grpc::InsecureChannelCredentials());
    auto health = grpc::health::v1::Health::NewStub(channel);
    grpc::ClientContext ctx;
    ctx.set_deadline(std::chrono::system_clock::now() + std::chrono::seconds(10));
    grpc::health::v1::HealthCheckRequest req;
    grpc::health::v1::HealthCheckResponse resp;
    ASSERT_TRUE(health->Check(&ctx, req, &resp).ok());
    EXPECT_EQ(resp.status(), grpc::health::v1::HealthCheckResponse::SERVING);
    req.set_service("no.such.Service");
    grpc::ClientContext ctx2;
    EXPECT_EQ(health->Check(&ctx2, req, &resp).error_code(), grpc::StatusCode::NOT_FOUND);
  }
  // Acknowledged data survives a SIGTERM restart, and the drain is quick when idle.
  std::vector<v1::Receipt> r;
  ASSERT_TRUE(Client(ninewa_).PushOne({HouseholdCreate(1, "durable", "Ninewa")}, &r).ok());
  const auto t0 = std::chrono::steady_clock::now();
  int status = server_->Stop(SIGTERM);
  const auto stop_ms =
      std::chrono::duration_cast<std::chrono::milliseconds>(std::chrono::steady_clock::now() - t0)
          .count();
  EXPECT_TRUE(WIFEXITED(status) && WEXITSTATUS(status) == 0) << server_->log();
  EXPECT_NE(server_->log().find(R"("event":"stopped","clean":true)"), std::string::npos);
  EXPECT_LT(stop_ms, 10'000);  // the default grace period bounds the drain
  ASSERT_TRUE(server_->Start()) << server_->log();
  EXPECT_EQ(ById(Client(ninewa_).Pull("").records).count("durable"), 1u);
}

}  // namespace
}  // namespace fieldsync::testing
