// Identity end to end against a real fieldsyncd: every RPC refuses a missing, revoked or
// expired credential and a wrong role, and a valid device of another scope sees nothing of
// the other scope; enrollment, rotation, online revocation, the audit log and the offline
// identity commands (admin init, enroll-code create, audit verify).
#include <signal.h>
#include <sys/stat.h>
#include <sys/wait.h>

#include <fstream>
#include <functional>
#include <set>
#include <sstream>

#include "fieldsync/v1/admin.grpc.pb.h"
#include "fieldsync/v1/aggregation.grpc.pb.h"
#include "fieldsync/v1/attachment.grpc.pb.h"
#include "fieldsync/v1/bundle.grpc.pb.h"
#include "fieldsync/v1/export.grpc.pb.h"
#include "gmock/gmock.h"
#include "google/rpc/error_details.pb.h"
#include "google/rpc/status.pb.h"
#include "gtest/gtest.h"
#include "server/audit/audit_log.h"
#include "server/storage/store.h"
#include "tests/testing/server_process.h"
#include "tests/testing/server_test.h"
#include "tests/testing/temp_dir.h"
#include "tests/testing/test_client.h"

namespace fieldsync::testing {
namespace {

using ::testing::HasSubstr;
using ::testing::MatchesRegex;
using ::testing::Not;

constexpr char kSecretNinewa[] = "nin-secret-rec";
constexpr char kSecretDistrict[] = "Secret-District-N";
constexpr char kSecretCrossing[] = "bp1-secret-rec";

std::string ReadFile(const std::string& path) {
  std::ifstream in(path);
  std::stringstream ss;
  ss << in.rdbuf();
  std::string s = ss.str();
  while (!s.empty() && s.back() == '\n') s.pop_back();
  return s;
}

int ExitCode(int wait_status) { return WIFEXITED(wait_status) ? WEXITSTATUS(wait_status) : -1; }

// The value after "key " on its own line of `out`.
std::string Field(const std::string& out, const std::string& key) {
  std::istringstream in(out);
  std::string line;
  while (std::getline(in, line)) {
    if (line.rfind(key + " ", 0) == 0) return line.substr(key.size() + 1);
  }
  return "";
}

class AuthIntegrationTest : public ServerTest {
 protected:
  void SetUp() override {
    server_ = std::make_unique<ServerProcess>(
        dir_.Sub("db"), std::vector<std::string>{"--enroll-attempts-per-peer", "3"});
    auto [rc, out] =
        server_->RunCommand({"admin", "init", "--token-file", dir_.Sub("admin.token")});
    ASSERT_EQ(ExitCode(rc), 0) << out;
    admin_ = ReadFile(dir_.Sub("admin.token"));
    ASSERT_FALSE(admin_.empty());
    nin_ = server_->AddDevice({"tab-ninewa", "enumerator", {"governorate=Ninewa"}});
    anbar_ = server_->AddDevice({"tab-anbar", "enumerator", {"governorate=Anbar"}});
    post1_ = server_->AddDevice({"post-1", "border_officer", {"border_point=BP-001"}});
    post2_ = server_->AddDevice({"post-2", "border_officer", {"border_point=BP-002"}});
    super_ = server_->AddDevice({"super-anbar", "supervisor", {"governorate=Anbar"}});
    feed_ = server_->AddDevice({"aggregator", "feed_reader", {}, true});
    revoked_ = server_->AddDevice({"tab-revoked", "enumerator", {"governorate=Ninewa"}});
    // A token that expires 1 ms after it is issued: expired by the time the server runs.
    expired_ = server_->AddDevice(
        {"tab-expired", "enumerator", {"governorate=Ninewa"}, false, {"--token-lifetime-ms", "1"}});
    ASSERT_TRUE(server_->Start()) << server_->log();

    std::vector<v1::Receipt> r;
    ASSERT_TRUE(Client(nin_)
                    .PushOne({MakeMutation({1,
                                            kSecretNinewa,
                                            "displacement_household",
                                            0,
                                            {{"governorate", Text("Ninewa")},
                                             {"district", Text(kSecretDistrict)},
                                             {"visit_date", Text("2026-11-20")},
                                             {"household_size", Int(7)}}})},
                             &r)
                    .ok());
    ASSERT_EQ(r.size(), 1u);
    ASSERT_EQ(r[0].outcome(), v1::APPLIED);
    r.clear();
    ASSERT_TRUE(Client(post1_).PushOne({CrossingCreate(1, kSecretCrossing, "BP-001")}, &r).ok());
    ASSERT_EQ(r[0].outcome(), v1::APPLIED);

    // Online revocation: the device works, an admin revokes it, its next call is refused.
    ASSERT_TRUE(Client(revoked_).Pull("").status.ok());
    TestClient admin = Client(admin_);
    auto ctx = admin.Context();
    ctx->AddMetadata("x-request-id", "revoke-req-1");
    v1::RevokeDeviceRequest req;
    req.set_device_id("tab-revoked");
    v1::RevokeDeviceResponse resp;
    ASSERT_TRUE(admin.identity()->RevokeDevice(ctx.get(), req, &resp).ok());
  }

  std::vector<v1::AuditEntry> Audit() {
    TestClient admin = Client(admin_);
    auto ctx = admin.Context();
    v1::ListAuditRequest req;
    v1::ListAuditResponse resp;
    EXPECT_TRUE(admin.identity()->ListAudit(ctx.get(), req, &resp).ok());
    return {resp.entries().begin(), resp.entries().end()};
  }

  std::string admin_, nin_, anbar_, post1_, post2_, super_, feed_, revoked_, expired_;
};

// One RPC of the API: which roles may call it, and a call that returns the status and
// everything the server answered (as text).
struct Rpc {
  std::string name;
  std::set<std::string> roles;
  std::function<grpc::Status(TestClient&, std::string* seen)> call;
  // For an allowed caller with this test's (often empty) request: OK is required, or (false)
  // any answer but UNAUTHENTICATED / PERMISSION_DENIED (other services' request checks).
  bool strict_ok = true;
};

// A unary RPC of a service TestClient has no stub for, called with `req`.
template <typename Service, typename Req, typename Resp>
Rpc OtherUnary(std::string name, std::set<std::string> roles,
               grpc::Status (Service::Stub::*method)(grpc::ClientContext*, const Req&, Resp*),
               Req req = Req()) {
  return {std::move(name), std::move(roles),
          [method, req](TestClient& c, std::string* seen) {
            auto stub = Service::NewStub(c.channel());
            auto ctx = c.Context(10'000);
            Resp resp;
            grpc::Status s = ((*stub).*method)(ctx.get(), req, &resp);
            *seen += resp.DebugString();
            return s;
          },
          /*strict_ok=*/false};
}

template <typename Resp>
void Seen(const Resp& resp, std::string* seen) {
  *seen += resp.DebugString();
}

template <typename Req, typename Resp, typename Method>
std::function<grpc::Status(TestClient&, std::string*)> Unary(Method method, Req req = Req()) {
  return [method, req](TestClient& c, std::string* seen) {
    auto ctx = c.Context();
    Resp resp;
    grpc::Status s = method(c, ctx.get(), req, &resp);
    Seen(resp, seen);
    return s;
  };
}

std::vector<Rpc> EveryRpc() {
  const std::set<std::string> sync_roles = {"enumerator", "border_officer", "supervisor", "admin"};
  const std::set<std::string> any = {"enumerator", "border_officer", "supervisor", "admin",
                                     "feed_reader"};
  const std::set<std::string> admin = {"admin"};
  std::vector<Rpc> rpcs;
  rpcs.push_back(
      {"SyncService.Push", sync_roles, [](TestClient& c, std::string* seen) {
         std::vector<v1::Receipt> r;
         // Edits the Ninewa record and creates one in Ninewa.
         grpc::Status s = c.PushOne(
             {MakeMutation(
                  {1, kSecretNinewa, "displacement_household", 1, {{"household_size", Int(1)}}}),
              HouseholdCreate(2, "intruder-rec", "Ninewa")},
             &r);
         // A receipt echoes the record id the caller sent; everything else is checked.
         for (auto x : r) {
           x.clear_record_id();
           Seen(x, seen);
         }
         return s;
       }});
  rpcs.push_back({"SyncService.Pull", sync_roles, [](TestClient& c, std::string* seen) {
                    PullResult p = c.Pull("");
                    for (const auto& x : p.records) Seen(x, seen);
                    return p.status;
                  }});
  rpcs.push_back({"SyncService.ListReceipts", sync_roles, [](TestClient& c, std::string* seen) {
                    v1::ListReceiptsResponse resp;
                    grpc::Status s = c.ListReceipts(0, &resp);
                    for (auto& x : *resp.mutable_receipts()) x.clear_record_id();  // echoes
                    Seen(resp, seen);
                    return s;
                  }});
  rpcs.push_back(
      {"SyncService.Changes", {"feed_reader", "admin"}, [](TestClient& c, std::string* seen) {
         std::vector<v1::Change> changes;
         uint64_t head = 0;
         grpc::Status s = c.Changes(1, &changes, &head);
         for (const auto& x : changes) Seen(x, seen);
         return s;
       }});
  v1::PublishFormRequest publish;
  publish.mutable_form()->set_form_id("probe_form");
  rpcs.push_back({"FormService.PublishForm", admin,
                  Unary<v1::PublishFormRequest, v1::PublishFormResponse>(
                      [](TestClient& c, grpc::ClientContext* ctx, const auto& req, auto* resp) {
                        return c.forms()->PublishForm(ctx, req, resp);
                      },
                      publish)});
  v1::GetFormRequest get_form;
  get_form.set_form_id("displacement_household");
  rpcs.push_back({"FormService.GetForm", any,
                  Unary<v1::GetFormRequest, v1::Form>(
                      [](TestClient& c, grpc::ClientContext* ctx, const auto& req, auto* resp) {
                        return c.forms()->GetForm(ctx, req, resp);
                      },
                      get_form)});
  rpcs.push_back({"FormService.ListForms", any,
                  Unary<v1::ListFormsRequest, v1::ListFormsResponse>(
                      [](TestClient& c, grpc::ClientContext* ctx, const auto& req, auto* resp) {
                        return c.forms()->ListForms(ctx, req, resp);
                      })});
  rpcs.push_back({"IdentityService.RotateToken", any,
                  Unary<v1::RotateTokenRequest, v1::RotateTokenResponse>(
                      [](TestClient& c, grpc::ClientContext* ctx, const auto& req, auto* resp) {
                        return c.identity()->RotateToken(ctx, req, resp);
                      })});
  v1::CreateEnrollmentCodeRequest create_code;
  create_code.set_role("admin");
  create_code.set_all_scopes(true);
  rpcs.push_back({"IdentityService.CreateEnrollmentCode", admin,
                  Unary<v1::CreateEnrollmentCodeRequest, v1::CreateEnrollmentCodeResponse>(
                      [](TestClient& c, grpc::ClientContext* ctx, const auto& req, auto* resp) {
                        return c.identity()->CreateEnrollmentCode(ctx, req, resp);
                      },
                      create_code)});
  rpcs.push_back({"IdentityService.ListEnrollmentCodes", admin,
                  Unary<v1::ListEnrollmentCodesRequest, v1::ListEnrollmentCodesResponse>(
                      [](TestClient& c, grpc::ClientContext* ctx, const auto& req, auto* resp) {
                        return c.identity()->ListEnrollmentCodes(ctx, req, resp);
                      })});
  v1::RevokeDeviceRequest revoke;
  revoke.set_device_id("tab-ninewa");
  rpcs.push_back({"IdentityService.RevokeDevice", admin,
                  Unary<v1::RevokeDeviceRequest, v1::RevokeDeviceResponse>(
                      [](TestClient& c, grpc::ClientContext* ctx, const auto& req, auto* resp) {
                        return c.identity()->RevokeDevice(ctx, req, resp);
                      },
                      revoke)});
  rpcs.push_back({"IdentityService.ListCredentials", admin,
                  Unary<v1::ListCredentialsRequest, v1::ListCredentialsResponse>(
                      [](TestClient& c, grpc::ClientContext* ctx, const auto& req, auto* resp) {
                        return c.identity()->ListCredentials(ctx, req, resp);
                      })});
  rpcs.push_back({"IdentityService.ListAudit", admin,
                  Unary<v1::ListAuditRequest, v1::ListAuditResponse>(
                      [](TestClient& c, grpc::ClientContext* ctx, const auto& req, auto* resp) {
                        return c.identity()->ListAudit(ctx, req, resp);
                      })});
  rpcs.push_back({"IdentityService.VerifyAudit", admin,
                  Unary<v1::VerifyAuditRequest, v1::VerifyAuditResponse>(
                      [](TestClient& c, grpc::ClientContext* ctx, const auto& req, auto* resp) {
                        return c.identity()->VerifyAudit(ctx, req, resp);
                      })});
  // The services of the other parts of issues 5 and 6, as they stand.
  const std::set<std::string> query = {"enumerator", "border_officer", "supervisor", "admin"};
  const std::set<std::string> conflict = {"supervisor", "admin"};
  using Agg = v1::AggregationService;
  using Adm = v1::AdminService;
  v1::AggregationQueryRequest agg_query;
  agg_query.set_form_id("displacement_household");
  rpcs.push_back(OtherUnary<Agg>("AggregationService.Query", query, &Agg::Stub::Query, agg_query));
  rpcs.push_back(OtherUnary<Agg, v1::VerifyAggregationRequest, v1::VerifyAggregationResponse>(
      "AggregationService.Verify", admin, &Agg::Stub::Verify));
  rpcs.push_back(OtherUnary<Agg, v1::GetAggregationStatusRequest, v1::AggregationStatus>(
      "AggregationService.GetAggregationStatus", any, &Agg::Stub::GetAggregationStatus));
  rpcs.push_back(OtherUnary<Agg, v1::ListAggregationsRequest, v1::ListAggregationsResponse>(
      "AggregationService.ListAggregations", query, &Agg::Stub::ListAggregations));
  rpcs.push_back(OtherUnary<v1::BundleService, v1::ImportBundleRequest, v1::ImportBundleResponse>(
      "BundleService.ImportBundle", admin, &v1::BundleService::Stub::ImportBundle));
  rpcs.push_back(OtherUnary<Adm, v1::ListDevicesRequest, v1::ListDevicesResponse>(
      "AdminService.ListDevices", admin, &Adm::Stub::ListDevices));
  rpcs.push_back(OtherUnary<Adm, v1::GetSyncOverviewRequest, v1::SyncOverview>(
      "AdminService.GetSyncOverview", admin, &Adm::Stub::GetSyncOverview));
  rpcs.push_back({"AdminService.WatchSyncStatus", admin,
                  [](TestClient& c, std::string* seen) {
                    auto stub = Adm::NewStub(c.channel());
                    auto ctx = c.Context(5'000);
                    auto reader = stub->WatchSyncStatus(ctx.get(), v1::WatchSyncStatusRequest());
                    v1::DeviceStatusEvent event;
                    if (reader->Read(&event)) {
                      *seen += event.DebugString();
                      ctx->TryCancel();
                    }
                    return reader->Finish();
                  },
                  false});
  rpcs.push_back(OtherUnary<Adm, v1::ListConflictsRequest, v1::ListConflictsResponse>(
      "AdminService.ListConflicts", conflict, &Adm::Stub::ListConflicts));
  rpcs.push_back(OtherUnary<Adm, v1::GetConflictRequest, v1::Conflict>(
      "AdminService.GetConflict", conflict, &Adm::Stub::GetConflict));
  rpcs.push_back(OtherUnary<Adm, v1::ResolveConflictRequest, v1::ResolveConflictResponse>(
      "AdminService.ResolveConflict", conflict, &Adm::Stub::ResolveConflict));
  rpcs.push_back(OtherUnary<Adm, v1::ListQuarantineRequest, v1::ListQuarantineResponse>(
      "AdminService.ListQuarantine", admin, &Adm::Stub::ListQuarantine));
  rpcs.push_back(OtherUnary<Adm, v1::ReplayQuarantinedRequest, v1::ReplayQuarantinedResponse>(
      "AdminService.ReplayQuarantined", admin, &Adm::Stub::ReplayQuarantined));
  rpcs.push_back(OtherUnary<Adm, v1::DiscardQuarantinedRequest, v1::DiscardQuarantinedResponse>(
      "AdminService.DiscardQuarantined", admin, &Adm::Stub::DiscardQuarantined));
  rpcs.push_back(OtherUnary<Adm, v1::CreateBackupRequest, v1::BackupInfo>(
      "AdminService.CreateBackup", admin, &Adm::Stub::CreateBackup));
  rpcs.push_back(OtherUnary<Adm, v1::ListBackupsRequest, v1::ListBackupsResponse>(
      "AdminService.ListBackups", admin, &Adm::Stub::ListBackups));
  rpcs.push_back(OtherUnary<Adm, v1::VerifyBackupRequest, v1::VerifyBackupResponse>(
      "AdminService.VerifyBackup", admin, &Adm::Stub::VerifyBackup));
  // AttachmentService (issue 13): the sync roles; a download only through a record in scope.
  using Att = v1::AttachmentService;
  rpcs.push_back(OtherUnary<Att, v1::StatRequest, v1::StatResponse>("AttachmentService.Stat",
                                                                    sync_roles, &Att::Stub::Stat));
  rpcs.push_back({"AttachmentService.Upload", sync_roles,
                  [](TestClient& c, std::string* seen) {
                    auto stub = Att::NewStub(c.channel());
                    auto ctx = c.Context(10'000);
                    auto stream = stub->Upload(ctx.get());
                    stream->Write(v1::UploadRequest());  // no hash: refused after the guard
                    stream->WritesDone();
                    v1::UploadResponse resp;
                    while (stream->Read(&resp)) Seen(resp, seen);
                    return stream->Finish();
                  },
                  /*strict_ok=*/false});
  rpcs.push_back({"AttachmentService.Download", sync_roles,
                  [](TestClient& c, std::string* seen) {
                    auto stub = Att::NewStub(c.channel());
                    auto ctx = c.Context(10'000);
                    v1::DownloadRequest req;
                    req.set_record_id(kSecretNinewa);
                    req.set_field("photo");
                    auto reader = stub->Download(ctx.get(), req);
                    v1::DownloadResponse resp;
                    while (reader->Read(&resp)) Seen(resp, seen);
                    return reader->Finish();
                  },
                  /*strict_ok=*/false});
  rpcs.push_back({"ExportService.Export",
                  {"supervisor", "admin", "feed_reader"},
                  [](TestClient& c, std::string* seen) {
                    auto stub = v1::ExportService::NewStub(c.channel());
                    auto ctx = c.Context(10'000);
                    v1::ExportRequest req;
                    req.set_form_id("displacement_household");
                    req.set_include_deleted(true);
                    auto reader = stub->Export(ctx.get(), req);
                    v1::ExportChunk chunk;
                    while (reader->Read(&chunk)) *seen += chunk.data();
                    return reader->Finish();
                  }});
  return rpcs;
}

TEST_F(AuthIntegrationTest, EveryRpcRefusesMissingRevokedAndExpiredCredentials) {
  for (const Rpc& rpc : EveryRpc()) {
    for (const auto& [what, token] : std::vector<std::pair<std::string, std::string>>{
             {"no credential", ""},
             {"unknown token", "fs_" + std::string(64, '0')},
             {"revoked", revoked_},
             {"expired", expired_}}) {
      TestClient c = Client(token);
      std::string seen;
      grpc::Status s = rpc.call(c, &seen);
      EXPECT_EQ(s.error_code(), grpc::StatusCode::UNAUTHENTICATED) << rpc.name << " " << what;
      EXPECT_THAT(seen, Not(HasSubstr(kSecretNinewa))) << rpc.name << " " << what;
      EXPECT_THAT(seen, Not(HasSubstr(kSecretCrossing))) << rpc.name << " " << what;
    }
  }
}

TEST_F(AuthIntegrationTest, EveryRpcRefusesWrongRoles) {
  const std::map<std::string, std::string> by_role = {{"enumerator", anbar_},
                                                      {"border_officer", post2_},
                                                      {"supervisor", super_},
                                                      {"admin", admin_},
                                                      {"feed_reader", feed_}};
  int refused = 0;
  for (const Rpc& rpc : EveryRpc()) {
    for (const auto& [role, token] : by_role) {
      if (rpc.roles.count(role)) continue;
      TestClient c = Client(token);
      std::string seen;
      grpc::Status s = rpc.call(c, &seen);
      EXPECT_EQ(s.error_code(), grpc::StatusCode::PERMISSION_DENIED) << rpc.name << " " << role;
      EXPECT_THAT(seen, Not(HasSubstr(kSecretNinewa))) << rpc.name << " " << role;
      EXPECT_THAT(seen, Not(HasSubstr(kSecretCrossing))) << rpc.name << " " << role;
      ++refused;
    }
  }
  EXPECT_GE(refused, 80);
  // Nothing was revoked by the refused RevokeDevice calls.
  EXPECT_TRUE(Client(nin_).Pull("").status.ok());
}

TEST_F(AuthIntegrationTest, DevicesOfAnotherScopeSeeNothingOfIt) {
  // Enumerator in Anbar, supervisor in Anbar, border officer at BP-002: valid devices of other
  // scopes than the Ninewa record and the BP-001 crossing.
  for (const auto& [who, token] : std::vector<std::pair<std::string, std::string>>{
           {"enumerator", anbar_}, {"supervisor", super_}, {"border_officer", post2_}}) {
    const std::string role = who;
    for (const Rpc& rpc : EveryRpc()) {
      if (rpc.name == "IdentityService.RotateToken") continue;  // would change `token`
      TestClient c = Client(token);
      std::string seen;
      grpc::Status s = rpc.call(c, &seen);
      if (rpc.roles.count(role) && rpc.strict_ok) {
        EXPECT_TRUE(s.ok()) << rpc.name << " " << who << ": " << s.error_message();
      } else if (rpc.roles.count(role)) {
        EXPECT_NE(s.error_code(), grpc::StatusCode::PERMISSION_DENIED) << rpc.name << " " << who;
        EXPECT_NE(s.error_code(), grpc::StatusCode::UNAUTHENTICATED) << rpc.name << " " << who;
      } else {
        EXPECT_EQ(s.error_code(), grpc::StatusCode::PERMISSION_DENIED) << rpc.name << " " << who;
      }
      EXPECT_THAT(seen, Not(HasSubstr(kSecretNinewa))) << rpc.name << " " << who;
      EXPECT_THAT(seen, Not(HasSubstr(kSecretDistrict))) << rpc.name << " " << who;
      EXPECT_THAT(seen, Not(HasSubstr(kSecretCrossing))) << rpc.name << " " << who;
    }
  }
  // The Ninewa record is untouched by those pushes, and only Ninewa devices see it.
  auto seen = ById(Client(nin_).Pull("").records);
  ASSERT_EQ(seen.count(kSecretNinewa), 1u);
  EXPECT_EQ(seen[kSecretNinewa].fields().at("household_size").integer(), 7);
  EXPECT_EQ(seen[kSecretNinewa].version(), 1u);
  EXPECT_EQ(seen.count("intruder-rec"), 0u);
}

TEST_F(AuthIntegrationTest, EditingAnExistingOutOfScopeRecordLooksLikeEditingNone) {
  // The receipt for an edit of an existing Ninewa record and for one that does not exist are
  // the same REJECTED with the same errors: the caller learns nothing about the other scope.
  std::vector<v1::Receipt> r;
  ASSERT_TRUE(
      Client(anbar_)
          .PushOne(
              {MakeMutation(
                   {1, kSecretNinewa, "displacement_household", 1, {{"household_size", Int(1)}}}),
               MakeMutation({2,
                             "no-such-record",
                             "displacement_household",
                             1,
                             {{"household_size", Int(1)}}})},
              &r)
          .ok());
  ASSERT_EQ(r.size(), 2u);
  EXPECT_EQ(r[0].outcome(), v1::REJECTED);
  EXPECT_EQ(r[0].outcome(), r[1].outcome());
  EXPECT_EQ(r[0].record_version(), r[1].record_version());
  ASSERT_EQ(r[0].errors_size(), r[1].errors_size());
  for (int i = 0; i < r[0].errors_size(); ++i) {
    EXPECT_EQ(r[0].errors(i).DebugString(), r[1].errors(i).DebugString());
  }
}

TEST_F(AuthIntegrationTest, EnrollRotateAndRevokeOnline) {
  TestClient admin = Client(admin_);
  v1::CreateEnrollmentCodeRequest req;
  req.set_role("enumerator");
  auto* scope = req.add_scopes();
  scope->set_field("governorate");
  scope->set_value("Ninewa");
  req.set_ttl_seconds(600);
  req.set_server_address("sync.example.org:443");
  v1::CreateEnrollmentCodeResponse code;
  {
    auto ctx = admin.Context();
    ASSERT_TRUE(admin.identity()->CreateEnrollmentCode(ctx.get(), req, &code).ok());
  }
  EXPECT_THAT(code.code(), MatchesRegex("[0-9a-f]{5}-[0-9a-f]{5}-[0-9a-f]{5}-[0-9a-f]{5}"));
  EXPECT_EQ(code.enroll_uri(),
            "fieldsync://enroll?server=sync.example.org%3A443&code=" + code.code());

  // Enroll needs no bearer token.
  TestClient anon = Client("");
  v1::EnrollRequest enroll;
  enroll.set_code(code.code());
  enroll.set_label("tablet 9");
  v1::EnrollResponse enrolled;
  {
    auto ctx = anon.Context();
    grpc::Status s = anon.identity()->Enroll(ctx.get(), enroll, &enrolled);
    ASSERT_TRUE(s.ok()) << s.error_message();
  }
  EXPECT_EQ(enrolled.role(), "enumerator");
  EXPECT_GT(enrolled.token_expires_ms(), 0);
  TestClient device = Client(enrolled.token());
  PullResult pull = device.Pull("");
  ASSERT_TRUE(pull.status.ok()) << pull.status.error_message();
  EXPECT_EQ(ById(pull.records).count(kSecretNinewa), 1u);  // its scope: Ninewa
  {
    // The code works once.
    auto ctx = anon.Context();
    v1::EnrollResponse again;
    EXPECT_EQ(anon.identity()->Enroll(ctx.get(), enroll, &again).error_code(),
              grpc::StatusCode::UNAUTHENTICATED);
  }

  // Rotation: the new token works, the old one is refused at the next call.
  v1::RotateTokenResponse rotated;
  {
    auto ctx = device.Context();
    ASSERT_TRUE(device.identity()->RotateToken(ctx.get(), {}, &rotated).ok());
  }
  EXPECT_EQ(device.Pull("").status.error_code(), grpc::StatusCode::UNAUTHENTICATED);
  TestClient renewed = Client(rotated.token());
  ASSERT_TRUE(renewed.Pull("").status.ok());

  // Admins see the device, its label and its expiry, but no token.
  v1::ListCredentialsResponse creds;
  {
    auto ctx = admin.Context();
    ASSERT_TRUE(admin.identity()->ListCredentials(ctx.get(), {}, &creds).ok());
  }
  bool found = false;
  for (const auto& d : creds.devices()) {
    if (d.device_id() != enrolled.device_id()) continue;
    found = true;
    EXPECT_EQ(d.label(), "tablet 9");
    EXPECT_EQ(d.token_expires_ms(), rotated.token_expires_ms());
  }
  EXPECT_TRUE(found);
  EXPECT_THAT(creds.DebugString(), Not(HasSubstr(rotated.token())));

  // Online revocation: refused at the next call.
  {
    auto ctx = admin.Context();
    v1::RevokeDeviceRequest rr;
    rr.set_device_id(enrolled.device_id());
    v1::RevokeDeviceResponse resp;
    ASSERT_TRUE(admin.identity()->RevokeDevice(ctx.get(), rr, &resp).ok());
  }
  EXPECT_EQ(renewed.Pull("").status.error_code(), grpc::StatusCode::UNAUTHENTICATED);
}

TEST_F(AuthIntegrationTest, FailedEnrollmentsAreLimitedWithARetryDelay) {
  TestClient anon = Client("");
  auto try_code = [&](const std::string& code) {
    auto ctx = anon.Context();
    v1::EnrollRequest req;
    req.set_code(code);
    v1::EnrollResponse resp;
    return anon.identity()->Enroll(ctx.get(), req, &resp);
  };
  for (int i = 0; i < 3; ++i) {
    EXPECT_EQ(try_code("aaaaa-bbbbb-ccccc-0000" + std::to_string(i)).error_code(),
              grpc::StatusCode::UNAUTHENTICATED);
  }
  grpc::Status limited = try_code("aaaaa-bbbbb-ccccc-00009");
  EXPECT_EQ(limited.error_code(), grpc::StatusCode::RESOURCE_EXHAUSTED);
  google::rpc::Status details;
  ASSERT_TRUE(details.ParseFromString(limited.error_details()));
  bool has_retry = false;
  for (const auto& any : details.details()) {
    google::rpc::RetryInfo retry;
    if (any.UnpackTo(&retry)) {
      has_retry = true;
      EXPECT_GT(retry.retry_delay().seconds(), 60);  // the rest of a 10-minute window
    }
  }
  EXPECT_TRUE(has_retry);
  // The server keeps serving everyone else.
  EXPECT_TRUE(Client(nin_).Pull("").status.ok());
}

TEST_F(AuthIntegrationTest, AuditLogRecordsWhoDidWhatWithoutSecrets) {
  TestClient admin = Client(admin_);
  v1::CreateEnrollmentCodeRequest req;
  req.set_role("border_officer");
  auto* scope = req.add_scopes();
  scope->set_field("border_point");
  scope->set_value("BP-007");
  v1::CreateEnrollmentCodeResponse code;
  {
    auto ctx = admin.Context();
    ASSERT_TRUE(admin.identity()->CreateEnrollmentCode(ctx.get(), req, &code).ok());
  }
  v1::EnrollResponse enrolled;
  {
    TestClient anon = Client("");
    auto ctx = anon.Context();
    v1::EnrollRequest er;
    er.set_code(code.code());
    ASSERT_TRUE(anon.identity()->Enroll(ctx.get(), er, &enrolled).ok());
  }
  std::vector<v1::Change> changes;
  ASSERT_TRUE(admin.Changes(1, &changes, nullptr).ok());  // an admin read of the feed
  ASSERT_TRUE(admin.Pull("").status.ok());                // an admin read of every scope

  std::vector<v1::AuditEntry> entries = Audit();
  std::map<std::string, int> actions;
  std::string all;
  for (const auto& e : entries) {
    actions[e.action()]++;
    all += e.DebugString();
  }
  EXPECT_EQ(actions["admin.init"], 1);
  EXPECT_EQ(actions["device.add"], 8);
  EXPECT_EQ(actions["device.revoke"], 1);
  EXPECT_EQ(actions["enrollment_code.create"], 1);
  EXPECT_EQ(actions["device.enroll"], 1);
  EXPECT_EQ(actions["feed.read"], 1);
  EXPECT_EQ(actions["records.read"], 1);
  EXPECT_EQ(actions["admin.list"], 1);  // this ListAudit call
  for (const auto& e : entries) {
    if (e.action() == "device.revoke") {
      EXPECT_EQ(e.target(), "tab-revoked");
      EXPECT_EQ(e.actor_device_id(), "admin");
      EXPECT_EQ(e.actor_role(), "admin");
      EXPECT_EQ(e.request_id(), "revoke-req-1");
    }
    if (e.action() == "device.enroll") {
      EXPECT_EQ(e.target(), enrolled.device_id());
      EXPECT_THAT(e.detail(), HasSubstr(code.info().code_id()));
    }
    EXPECT_FALSE(e.request_id().empty());
  }
  // No secret and no personal value anywhere in the log.
  for (const std::string& secret :
       {admin_, nin_, revoked_, enrolled.token(), code.code(), std::string(kSecretDistrict)}) {
    EXPECT_THAT(all, Not(HasSubstr(secret)));
  }
  v1::VerifyAuditResponse verified;
  {
    auto ctx = admin.Context();
    ASSERT_TRUE(admin.identity()->VerifyAudit(ctx.get(), {}, &verified).ok());
  }
  EXPECT_TRUE(verified.ok()) << verified.problem();
  EXPECT_EQ(verified.entries(), entries.size());
}

TEST_F(AuthIntegrationTest, FirstAdminCommandWritesAnOwnerOnlyFileAndRunsOnce) {
  struct stat st {};
  ASSERT_EQ(stat(dir_.Sub("admin.token").c_str(), &st), 0);
  EXPECT_EQ(st.st_mode & 0777, 0600);
  ASSERT_EQ(server_->Stop(SIGTERM), 0);
  // A second admin init refuses, whether or not its token file exists, and touches neither.
  auto [rc, out] = server_->RunCommand({"admin", "init", "--token-file", dir_.Sub("admin2.token")});
  EXPECT_EQ(ExitCode(rc), 1) << out;
  EXPECT_NE(access(dir_.Sub("admin2.token").c_str(), F_OK), 0);
  auto [rc2, out2] =
      server_->RunCommand({"admin", "init", "--token-file", dir_.Sub("admin.token")});
  EXPECT_EQ(ExitCode(rc2), 1) << out2;
  EXPECT_EQ(ReadFile(dir_.Sub("admin.token")), admin_);
  // The first admin still works.
  ASSERT_TRUE(server_->Start()) << server_->log();
  v1::ListCredentialsResponse creds;
  TestClient admin = Client(admin_);
  auto ctx = admin.Context();
  EXPECT_TRUE(admin.identity()->ListCredentials(ctx.get(), {}, &creds).ok());
}

TEST_F(AuthIntegrationTest, OfflineEnrollCodeAndAuditVerifyCommands) {
  ASSERT_EQ(server_->Stop(SIGTERM), 0);
  auto [rc, out] =
      server_->RunCommand({"enroll-code", "create", "--role", "enumerator", "--scope",
                           "governorate=Anbar", "--ttl", "2h", "--server", "10.0.0.5:7443"});
  ASSERT_EQ(ExitCode(rc), 0) << out;
  const std::string code = Field(out, "code");
  EXPECT_THAT(code, MatchesRegex("[0-9a-f]{5}-[0-9a-f]{5}-[0-9a-f]{5}-[0-9a-f]{5}"));
  EXPECT_EQ(Field(out, "uri"), "fieldsync://enroll?server=10.0.0.5%3A7443&code=" + code);

  auto [vrc, vout] = server_->RunCommand({"audit", "verify"});
  ASSERT_EQ(ExitCode(vrc), 0) << vout;
  EXPECT_THAT(vout, HasSubstr("ok entries"));
  const std::string head = vout.substr(vout.find(" head ") + 6, 64);

  ASSERT_TRUE(server_->Start()) << server_->log();
  TestClient anon = Client("");
  auto ctx = anon.Context();
  v1::EnrollRequest er;
  er.set_code(code);
  v1::EnrollResponse enrolled;
  ASSERT_TRUE(anon.identity()->Enroll(ctx.get(), er, &enrolled).ok());
  EXPECT_EQ(enrolled.scopes(0).value(), "Anbar");
  ASSERT_EQ(server_->Stop(SIGTERM), 0);

  // The recorded head is still in the (longer) chain.
  auto [hrc, hout] = server_->RunCommand({"audit", "verify", "--expect-head", head});
  EXPECT_EQ(ExitCode(hrc), 0) << hout;

  // Edit one entry on disk: the command reports tampering.
  {
    StoreOptions so;
    so.path = server_->data_dir();
    auto store = Store::Open(so);
    ASSERT_TRUE(store.ok()) << store.status();
    std::string raw;
    ASSERT_TRUE((*store)
                    ->ScanAudit(3,
                                [&](uint64_t, std::string_view v) {
                                  raw = std::string(v);
                                  return false;
                                })
                    .ok());
    auto e = DecodeAuditEntry(raw);
    ASSERT_TRUE(e.ok());
    e->event.target = "someone-else";
    Store::Batch b;
    b.PutAuditEntry(3, EncodeAuditEntry(*e));
    ASSERT_TRUE((*store)->Write(b, true).ok());
  }
  auto [trc, tout] = server_->RunCommand({"audit", "verify"});
  EXPECT_EQ(ExitCode(trc), 1) << tout;
  EXPECT_THAT(tout, HasSubstr("TAMPERED"));
}

}  // namespace
}  // namespace fieldsync::testing
