// AdminService against a real fieldsyncd on 127.0.0.1 port 0: every admin RPC's happy path,
// bad input and non-admin caller; a resolved conflict reaching a device on its next pull;
// quarantine replay after a form fix; a backup restored into a new folder and served; and a
// SIGTERM during pushes losing no acknowledged mutation.
#include <signal.h>
#include <sys/wait.h>

#include <atomic>
#include <chrono>
#include <condition_variable>
#include <map>
#include <mutex>
#include <thread>

#include "fieldsync/v1/admin.grpc.pb.h"
#include "gmock/gmock.h"
#include "gtest/gtest.h"
#include "tests/testing/server_process.h"
#include "tests/testing/temp_dir.h"
#include "tests/testing/test_client.h"

namespace fieldsync::testing {
namespace {

using ::testing::ElementsAre;
using ::testing::SizeIs;

class AdminIntegrationTest : public ::testing::Test {
 protected:
  void Boot(std::vector<std::string> flags = {}) {
    flags.push_back("--backup-dir");
    flags.push_back(dir_.Sub("backups"));
    server_ = std::make_unique<ServerProcess>(dir_.Sub("data"), flags);
    admin_token_ = server_->AddDevice({"admin", "admin", {}, true});
    tab1_token_ = server_->AddDevice({"tab-1", "enumerator", {"governorate=Ninewa"}});
    tab2_token_ = server_->AddDevice({"tab-2", "enumerator", {"governorate=Ninewa"}});
    sup_token_ = server_->AddDevice({"sup-anbar", "supervisor", {"governorate=Anbar"}});
    ASSERT_TRUE(server_->Start()) << server_->log();
    Connect();
  }

  void Connect() {
    admin_ = std::make_unique<TestClient>(server_->target(), admin_token_);
    tab1_ = std::make_unique<TestClient>(server_->target(), tab1_token_);
    tab2_ = std::make_unique<TestClient>(server_->target(), tab2_token_);
    sup_ = std::make_unique<TestClient>(server_->target(), sup_token_);
    stub_ = v1::AdminService::NewStub(admin_->channel());
    tab_stub_ = v1::AdminService::NewStub(tab1_->channel());
    sup_stub_ = v1::AdminService::NewStub(sup_->channel());
  }

  // Drops every client connection. fieldsyncd's SIGTERM drain waits for the whole grace period
  // while idle client connections stay open (seen here; not specific to AdminService).
  void Disconnect() {
    stub_.reset();
    tab_stub_.reset();
    sup_stub_.reset();
    admin_.reset();
    tab1_.reset();
    tab2_.reset();
    sup_.reset();
  }

  std::vector<v1::Receipt> Push(TestClient* c, const std::vector<v1::Mutation>& batch) {
    std::vector<v1::Receipt> receipts;
    grpc::Status s = c->PushOne(batch, &receipts);
    EXPECT_TRUE(s.ok()) << s.error_message();
    return receipts;
  }

  // tab-1 creates rec-1 and sets household_size 5; tab-2 (still at version 1) sets 7 later:
  // a conflict met by tab-2's device_seq 1.
  void MakeConflict() {
    Push(tab1_.get(), {HouseholdCreate(1, "rec-1", "Ninewa", 4)});
    Push(tab1_.get(), {MakeMutation({2,
                                     "rec-1",
                                     "displacement_household",
                                     1,
                                     {{"household_size", Int(5)}},
                                     false,
                                     2000,
                                     "tab-1"})});
    auto r = Push(tab2_.get(), {MakeMutation({1,
                                              "rec-1",
                                              "displacement_household",
                                              1,
                                              {{"household_size", Int(7)}},
                                              false,
                                              3000,
                                              "tab-2"})});
    ASSERT_THAT(r, SizeIs(1));
    ASSERT_EQ(r[0].outcome(), v1::CONFLICT);
  }

  TempDir dir_;
  std::unique_ptr<ServerProcess> server_;
  std::string admin_token_, tab1_token_, tab2_token_, sup_token_;
  std::unique_ptr<TestClient> admin_, tab1_, tab2_, sup_;
  std::unique_ptr<v1::AdminService::Stub> stub_, tab_stub_, sup_stub_;
};

TEST_F(AdminIntegrationTest, ConflictResolutionReachesADeviceOnItsNextPull) {
  Boot();
  MakeConflict();
  PullResult before = tab1_->Pull("");
  ASSERT_TRUE(before.status.ok());

  v1::ListConflictsRequest list_req;
  v1::ListConflictsResponse list;
  ASSERT_TRUE(stub_->ListConflicts(admin_->Context().get(), list_req, &list).ok());
  ASSERT_THAT(list.conflicts(), SizeIs(1));
  const v1::Conflict& c = list.conflicts(0);
  EXPECT_EQ(c.key().device_id(), "tab-2");
  EXPECT_EQ(c.server_value().integer(), 5);
  EXPECT_EQ(c.device_value().integer(), 7);
  EXPECT_EQ(c.base_version(), 1u);
  EXPECT_EQ(c.server_hlc().physical_ms(), 2000);

  v1::GetConflictRequest get_req;
  *get_req.mutable_key() = c.key();
  v1::Conflict got;
  ASSERT_TRUE(stub_->GetConflict(admin_->Context().get(), get_req, &got).ok());
  EXPECT_EQ(got.device_writer(), "tab-2");

  v1::ResolveConflictRequest resolve;
  *resolve.mutable_key() = c.key();
  resolve.set_choice(v1::ResolveConflictRequest::VALUE);
  *resolve.mutable_value() = Int(6);
  // Without a reason: INVALID_ARGUMENT with a BadRequest naming it.
  v1::ResolveConflictResponse resolved;
  grpc::Status no_reason = stub_->ResolveConflict(admin_->Context().get(), resolve, &resolved);
  EXPECT_EQ(no_reason.error_code(), grpc::StatusCode::INVALID_ARGUMENT);
  EXPECT_THAT(BadRequestFields(no_reason), ElementsAre("reason"));
  // A field role and an out-of-scope supervisor cannot.
  resolve.set_reason("confirmed by phone with team leader");
  EXPECT_EQ(tab_stub_->ResolveConflict(tab1_->Context().get(), resolve, &resolved).error_code(),
            grpc::StatusCode::PERMISSION_DENIED);
  EXPECT_EQ(sup_stub_->ResolveConflict(sup_->Context().get(), resolve, &resolved).error_code(),
            grpc::StatusCode::NOT_FOUND);
  v1::ListConflictsResponse sup_list;
  ASSERT_TRUE(sup_stub_->ListConflicts(sup_->Context().get(), list_req, &sup_list).ok());
  EXPECT_THAT(sup_list.conflicts(), SizeIs(0));

  grpc::Status ok = stub_->ResolveConflict(admin_->Context().get(), resolve, &resolved);
  ASSERT_TRUE(ok.ok()) << ok.error_message();
  EXPECT_EQ(resolved.record().fields().at("household_size").integer(), 6);
  EXPECT_FALSE(resolved.conflict().open());
  EXPECT_EQ(stub_->ResolveConflict(admin_->Context().get(), resolve, &resolved).error_code(),
            grpc::StatusCode::FAILED_PRECONDITION);

  PullResult after = tab1_->Pull(before.cursor);
  ASSERT_TRUE(after.status.ok());
  auto by_id = ById(after.records);
  ASSERT_EQ(by_id.count("rec-1"), 1u);
  EXPECT_EQ(by_id["rec-1"].fields().at("household_size").integer(), 6);
  EXPECT_FALSE(by_id["rec-1"].has_open_conflict());
  EXPECT_EQ(by_id["rec-1"].last_writer_device(), "admin");
}

TEST_F(AdminIntegrationTest, QuarantineReplayAfterAFormFixAndDiscard) {
  Boot();
  auto r = Push(tab1_.get(), {HouseholdCreate(1, "big-1", "Ninewa", 80),
                              HouseholdCreate(2, "big-2", "Ninewa", 90)});
  ASSERT_EQ(r[0].outcome(), v1::REJECTED);

  v1::ListQuarantineRequest lq;
  lq.set_device_id("tab-1");
  v1::ListQuarantineResponse q;
  ASSERT_TRUE(stub_->ListQuarantine(admin_->Context().get(), lq, &q).ok());
  ASSERT_THAT(q.entries(), SizeIs(2));
  EXPECT_EQ(q.entries(0).errors(0).field(), "household_size");
  EXPECT_EQ(tab_stub_->ListQuarantine(tab1_->Context().get(), lq, &q).error_code(),
            grpc::StatusCode::PERMISSION_DENIED);
  lq.set_page_token("nonsense");
  EXPECT_EQ(stub_->ListQuarantine(admin_->Context().get(), lq, &q).error_code(),
            grpc::StatusCode::INVALID_ARGUMENT);

  // Fix the form: version 2 allows households of up to 100.
  v1::GetFormRequest get;
  get.set_form_id("displacement_household");
  get.set_version(1);
  v1::Form form;
  ASSERT_TRUE(admin_->forms()->GetForm(admin_->Context().get(), get, &form).ok());
  form.set_version(2);
  for (auto& f : *form.mutable_fields()) {
    if (f.name() == "household_size") f.set_max(100);
  }
  bool created = false;
  grpc::Status published = admin_->PublishForm(form, &created);
  ASSERT_TRUE(published.ok()) << published.error_message();

  v1::ReplayQuarantinedRequest replay;
  replay.set_device_id("tab-1");
  replay.set_device_seq(1);
  replay.set_form_version(2);
  v1::ReplayQuarantinedResponse replayed;
  EXPECT_EQ(tab_stub_->ReplayQuarantined(tab1_->Context().get(), replay, &replayed).error_code(),
            grpc::StatusCode::PERMISSION_DENIED);
  grpc::Status s = stub_->ReplayQuarantined(admin_->Context().get(), replay, &replayed);
  ASSERT_TRUE(s.ok()) << s.error_message();
  EXPECT_TRUE(replayed.applied());
  EXPECT_EQ(replayed.receipt().outcome(), v1::APPLIED);
  replay.set_device_seq(0);
  EXPECT_EQ(stub_->ReplayQuarantined(admin_->Context().get(), replay, &replayed).error_code(),
            grpc::StatusCode::INVALID_ARGUMENT);

  v1::DiscardQuarantinedRequest discard;
  discard.set_device_id("tab-1");
  discard.set_device_seq(2);
  v1::DiscardQuarantinedResponse discarded;
  EXPECT_EQ(stub_->DiscardQuarantined(admin_->Context().get(), discard, &discarded).error_code(),
            grpc::StatusCode::INVALID_ARGUMENT);
  EXPECT_EQ(tab_stub_->DiscardQuarantined(tab1_->Context().get(), discard, &discarded).error_code(),
            grpc::StatusCode::PERMISSION_DENIED);
  discard.set_reason("duplicate of big-1");
  ASSERT_TRUE(stub_->DiscardQuarantined(admin_->Context().get(), discard, &discarded).ok());

  lq.clear_page_token();
  ASSERT_TRUE(stub_->ListQuarantine(admin_->Context().get(), lq, &q).ok());
  EXPECT_THAT(q.entries(), SizeIs(0));
  auto pulled = ById(tab2_->Pull("").records);
  ASSERT_EQ(pulled.count("big-1"), 1u);
  EXPECT_EQ(pulled["big-1"].fields().at("household_size").integer(), 80);
  EXPECT_EQ(pulled.count("big-2"), 0u);
  // The device reconciles through its receipts: seq 1 is now APPLIED.
  v1::ListReceiptsResponse receipts;
  ASSERT_TRUE(tab1_->ListReceipts(1, &receipts).ok());
  EXPECT_EQ(receipts.receipts(0).outcome(), v1::APPLIED);
}

TEST_F(AdminIntegrationTest, DevicesOverviewAndWatch) {
  Boot();
  Push(tab1_.get(), {HouseholdCreate(1, "r-1", "Ninewa", 3)});

  v1::ListDevicesRequest req;
  v1::ListDevicesResponse resp;
  ASSERT_TRUE(stub_->ListDevices(admin_->Context().get(), req, &resp).ok());
  std::map<std::string, v1::DeviceSummary> devices;
  for (const auto& d : resp.devices()) devices[d.device_id()] = d;
  ASSERT_EQ(devices.count("tab-1"), 1u);
  EXPECT_EQ(devices["tab-1"].acked_seq(), 1u);
  EXPECT_EQ(devices["tab-1"].status(), v1::BEHIND);
  EXPECT_EQ(devices["tab-2"].status(), v1::SILENT);
  EXPECT_EQ(devices["tab-1"].role(), "enumerator");
  EXPECT_EQ(tab_stub_->ListDevices(tab1_->Context().get(), req, &resp).error_code(),
            grpc::StatusCode::PERMISSION_DENIED);
  EXPECT_EQ(sup_stub_->ListDevices(sup_->Context().get(), req, &resp).error_code(),
            grpc::StatusCode::PERMISSION_DENIED);
  req.set_role("pilot");
  grpc::Status bad = stub_->ListDevices(admin_->Context().get(), req, &resp);
  EXPECT_EQ(bad.error_code(), grpc::StatusCode::INVALID_ARGUMENT);
  EXPECT_THAT(BadRequestFields(bad), ElementsAre("role"));

  v1::GetSyncOverviewRequest oreq;
  v1::SyncOverview overview;
  ASSERT_TRUE(stub_->GetSyncOverview(admin_->Context().get(), oreq, &overview).ok());
  EXPECT_EQ(overview.devices(), 4u);
  EXPECT_EQ(overview.behind(), 1u);
  EXPECT_EQ(overview.silent(), 3u);
  EXPECT_EQ(tab_stub_->GetSyncOverview(tab1_->Context().get(), oreq, &overview).error_code(),
            grpc::StatusCode::PERMISSION_DENIED);
  oreq.set_silent_after_ms(-1);
  EXPECT_EQ(stub_->GetSyncOverview(admin_->Context().get(), oreq, &overview).error_code(),
            grpc::StatusCode::INVALID_ARGUMENT);

  // Watch: the snapshot, then tab-2's first sync arrives as a change.
  v1::WatchSyncStatusRequest wreq;
  wreq.set_poll_ms(100);
  auto ctx = admin_->Context(20'000);
  auto reader = stub_->WatchSyncStatus(ctx.get(), wreq);
  v1::DeviceStatusEvent event;
  int snapshot = 0;
  while (reader->Read(&event) && !event.snapshot_done()) snapshot += event.snapshot();
  EXPECT_EQ(snapshot, 4);
  Push(tab2_.get(), {HouseholdCreate(1, "r-2", "Ninewa", 3)});
  bool saw_tab2 = false;
  while (!saw_tab2 && reader->Read(&event)) {
    saw_tab2 = event.device().device_id() == "tab-2" && event.device().acked_seq() == 1;
  }
  EXPECT_TRUE(saw_tab2);
  ctx->TryCancel();
  reader->Finish();

  auto tab_ctx = tab1_->Context(5'000);
  auto denied = tab_stub_->WatchSyncStatus(tab_ctx.get(), wreq);
  while (denied->Read(&event)) {
  }
  EXPECT_EQ(denied->Finish().error_code(), grpc::StatusCode::PERMISSION_DENIED);
}

TEST_F(AdminIntegrationTest, BackupRestoredIntoANewFolderServesEveryRecord) {
  Boot();
  std::vector<v1::Mutation> batch;
  for (int i = 1; i <= 200; ++i) {
    batch.push_back(HouseholdCreate(i, "b-" + std::to_string(i), "Ninewa", 1 + i % 50));
  }
  auto receipts = Push(tab1_.get(), batch);
  ASSERT_THAT(receipts, SizeIs(200));

  v1::BackupInfo info;
  EXPECT_EQ(tab_stub_->CreateBackup(tab1_->Context().get(), {}, &info).error_code(),
            grpc::StatusCode::PERMISSION_DENIED);
  grpc::Status created = stub_->CreateBackup(admin_->Context().get(), {}, &info);
  ASSERT_TRUE(created.ok()) << created.error_message();
  EXPECT_EQ(info.backup_id(), 1u);
  v1::ListBackupsResponse list;
  ASSERT_TRUE(stub_->ListBackups(admin_->Context().get(), {}, &list).ok());
  ASSERT_THAT(list.backups(), SizeIs(1));
  v1::VerifyBackupRequest verify;
  v1::VerifyBackupResponse verified;
  EXPECT_EQ(stub_->VerifyBackup(admin_->Context().get(), verify, &verified).error_code(),
            grpc::StatusCode::INVALID_ARGUMENT);
  verify.set_backup_id(1);
  ASSERT_TRUE(stub_->VerifyBackup(admin_->Context().get(), verify, &verified).ok());
  EXPECT_TRUE(verified.ok()) << verified.error();
  verify.set_backup_id(42);
  EXPECT_EQ(stub_->VerifyBackup(admin_->Context().get(), verify, &verified).error_code(),
            grpc::StatusCode::NOT_FOUND);
  Disconnect();
  ASSERT_EQ(server_->Stop(SIGTERM), 0) << server_->log();

  // Restore offline into a new folder and serve it.
  ServerProcess restored(dir_.Sub("restored"));
  auto [status, out] = restored.RunCommand(
      {"backup", "restore", "--backup-dir", dir_.Sub("backups"), "--backup-id", "1"});
  ASSERT_EQ(status, 0) << out;
  ASSERT_TRUE(restored.Start()) << restored.log();
  TestClient admin(restored.target(), admin_token_);
  PullResult all = admin.Pull("");
  ASSERT_TRUE(all.status.ok()) << all.status.error_message();
  auto by_id = ById(all.records);
  for (const auto& r : receipts) {
    ASSERT_EQ(by_id.count(r.record_id()), 1u) << r.record_id();
    EXPECT_EQ(by_id[r.record_id()].version(), r.record_version());
  }
  // Restoring over an existing database is refused.
  auto [again, again_out] = restored.RunCommand(
      {"backup", "restore", "--backup-dir", dir_.Sub("backups"), "--backup-id", "1"});
  EXPECT_NE(again, 0);
}

TEST_F(AdminIntegrationTest, BackupCallsWithoutABackupDirAreFailedPrecondition) {
  server_ = std::make_unique<ServerProcess>(dir_.Sub("data"));
  admin_token_ = server_->AddDevice({"admin", "admin", {}, true});
  ASSERT_TRUE(server_->Start()) << server_->log();
  admin_ = std::make_unique<TestClient>(server_->target(), admin_token_);
  stub_ = v1::AdminService::NewStub(admin_->channel());
  v1::BackupInfo info;
  EXPECT_EQ(stub_->CreateBackup(admin_->Context().get(), {}, &info).error_code(),
            grpc::StatusCode::FAILED_PRECONDITION);
}

TEST_F(AdminIntegrationTest, GracefulShutdownLosesNoAcknowledgedMutation) {
  Boot({"--shutdown-grace-ms", "500"});
  std::mutex mu;
  std::condition_variable cv;
  std::map<std::string, uint64_t> acked;  // record id -> acknowledged version
  std::atomic<int> acks{0};
  auto device = [&](TestClient* c, std::string prefix) {
    auto ctx = c->Context(60'000);
    auto stream = c->sync()->Push(ctx.get());
    uint64_t seq = 0;
    while (true) {
      v1::PushRequest req;
      for (int i = 0; i < 20; ++i) {
        ++seq;
        *req.add_mutations() = HouseholdCreate(seq, prefix + std::to_string(seq), "Ninewa", 2);
      }
      if (!stream->Write(req)) break;
      v1::PushResponse resp;
      if (!stream->Read(&resp)) break;
      std::lock_guard<std::mutex> l(mu);
      for (const auto& r : resp.receipts()) acked[r.record_id()] = r.record_version();
      acks += resp.receipts_size();
      cv.notify_all();
    }
    stream->Finish();
  };
  std::thread t1(device, tab1_.get(), "g1-");
  std::thread t2(device, tab2_.get(), "g2-");
  {
    std::unique_lock<std::mutex> l(mu);
    cv.wait_for(l, std::chrono::seconds(30), [&] { return acks >= 400; });
  }
  EXPECT_GE(acks.load(), 400);  // pushes are in flight: SIGTERM now
  const int status = server_->Stop(SIGTERM);
  t1.join();
  t2.join();
  EXPECT_TRUE(WIFEXITED(status) && WEXITSTATUS(status) == 0) << server_->log();

  ASSERT_TRUE(server_->Start()) << server_->log();
  Connect();
  PullResult all = admin_->Pull("");
  ASSERT_TRUE(all.status.ok());
  auto by_id = ById(all.records);
  ASSERT_FALSE(acked.empty());
  for (const auto& [id, version] : acked) {
    ASSERT_EQ(by_id.count(id), 1u) << id << " acknowledged but missing after restart";
    EXPECT_EQ(by_id[id].version(), version);
  }
}

}  // namespace
}  // namespace fieldsync::testing
