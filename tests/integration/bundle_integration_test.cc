// Integration tests against a real fieldsyncd: pushes through the fault-injecting TCP proxy
// (cut mid-stream, partial uploads, stalls past a deadline, refused connections) recover
// through ListReceipts with every mutation applied exactly once; offline bundles imported
// through BundleService.ImportBundle.
#include <signal.h>
#include <sys/wait.h>

#include <fstream>
#include <iterator>
#include <map>
#include <random>
#include <set>

#include "fieldsync/v1/bundle.grpc.pb.h"
#include "gmock/gmock.h"
#include "gtest/gtest.h"
#include "server/bundle/bundle_codec.h"
#include "tests/testing/server_process.h"
#include "tests/testing/server_test.h"
#include "tests/testing/tcp_proxy.h"
#include "tests/testing/temp_dir.h"
#include "tests/testing/test_client.h"

namespace fieldsync::testing {
namespace {

using ::testing::HasSubstr;
using Dir = TcpProxy::Direction;
constexpr int kBatch = 20;

class ProxyAndBundleTest : public ServerTest {
 protected:
  void SetUp() override {
    server_ = std::make_unique<ServerProcess>(dir_.Sub("db"));
    tab_ = server_->AddDevice({"tab-ninewa", "enumerator", {"governorate=Ninewa"}});
    other_ = server_->AddDevice({"tab-other", "enumerator", {"governorate=Ninewa"}});
    admin_ = server_->AddDevice({"admin", "admin", {}, true});
    ASSERT_TRUE(server_->Start()) << server_->log();
  }
  // Household creates device_seq first..first+n-1, record "hh-<seq>".
  static std::vector<v1::Mutation> Creates(uint64_t first, int n) {
    std::vector<v1::Mutation> out;
    for (int i = 0; i < n; ++i) {
      out.push_back(HouseholdCreate(first + i, "hh-" + std::to_string(first + i), "Ninewa",
                                    1 + (first + i) % 50, "tab-ninewa"));
    }
    return out;
  }
  static std::vector<std::vector<v1::Mutation>> Batches(const std::vector<v1::Mutation>& ms) {
    std::vector<std::vector<v1::Mutation>> out;
    for (size_t i = 0; i < ms.size(); i += kBatch) {
      out.emplace_back(ms.begin() + i, ms.begin() + std::min(ms.size(), i + kBatch));
    }
    return out;
  }

  // The device's acked seq, asked over a fresh direct connection.
  uint64_t Acked() {
    v1::ListReceiptsResponse resp;
    grpc::Status s = TestClient(server_->target(), tab_).ListReceipts(1, &resp);
    EXPECT_TRUE(s.ok()) << s.error_message();
    return resp.acked_device_seq();
  }

  // What a device does after a failed push: reconnect (through the proxy), ask the server
  // what it holds, re-push what it does not. Returns the receipts of the re-push.
  std::vector<v1::Receipt> Recover(const TcpProxy& proxy, const std::vector<v1::Mutation>& all) {
    TestClient c(proxy.target(), tab_);
    v1::ListReceiptsResponse resp;
    grpc::Status s = c.ListReceipts(1, &resp);
    EXPECT_TRUE(s.ok()) << s.error_message();
    std::vector<v1::Mutation> rest;
    for (const auto& m : all) {
      if (m.device_seq() > resp.acked_device_seq()) rest.push_back(m);
    }
    std::vector<v1::Receipt> receipts;
    s = c.Push(Batches(rest), &receipts);
    EXPECT_TRUE(s.ok()) << s.error_message();
    return receipts;
  }

  std::string tab_, other_, admin_;
};

TEST_F(ProxyAndBundleTest, CutsStallsAndRefusalsThenRecoveryAppliesEachMutationOnce) {
  auto proxy_or = TcpProxy::Start("127.0.0.1", server_->port());
  ASSERT_TRUE(proxy_or.ok()) << proxy_or.status();
  TcpProxy& proxy = **proxy_or;
  std::vector<v1::Mutation> all = Creates(1, 200);
  auto slice = [&](uint64_t first, uint64_t last) {
    return std::vector<v1::Mutation>(all.begin() + (first - 1), all.begin() + last);
  };

  // Warm-up: one batch on a connection that stays open; measure one batch's bytes each way.
  TestClient warm(proxy.target(), tab_);
  std::vector<v1::Receipt> receipts;
  ASSERT_TRUE(warm.Push({slice(1, 20)}, &receipts).ok());
  ASSERT_EQ(receipts.size(), 20u);
  const uint64_t up0 = proxy.bytes(Dir::kUpstream), down0 = proxy.bytes(Dir::kDownstream);
  receipts.clear();
  ASSERT_TRUE(warm.Push({slice(21, 40)}, &receipts).ok());
  const uint64_t one_up = proxy.bytes(Dir::kUpstream) - up0;
  const uint64_t one_down = proxy.bytes(Dir::kDownstream) - down0;
  ASSERT_GT(one_down, 500u);
  ASSERT_EQ(Acked(), 40u);

  // 1. The acknowledgement is lost: the server applied batch 41-60 durably, the cut lands in
  //    the middle of its receipts. The device learns it from ListReceipts, not from Push.
  proxy.CutAfterBytes(one_down / 2, Dir::kDownstream);
  receipts.clear();
  grpc::Status s = warm.Push(Batches(slice(41, 100)), &receipts);
  EXPECT_FALSE(s.ok());
  EXPECT_TRUE(receipts.empty());
  EXPECT_EQ(proxy.cuts(), 1u);
  EXPECT_EQ(Acked(), 60u);
  // A naive device re-pushes everything it has no receipt for: 41-60 come back DUPLICATE.
  {
    TestClient c(proxy.target(), tab_);
    receipts.clear();
    ASSERT_TRUE(c.Push(Batches(slice(41, 100)), &receipts).ok());
    ASSERT_EQ(receipts.size(), 60u);
    for (int i = 0; i < 60; ++i) {
      EXPECT_EQ(receipts[i].outcome(), i < 20 ? v1::DUPLICATE : v1::APPLIED) << i;
    }
    EXPECT_EQ(receipts[0].original_outcome(), v1::APPLIED);
  }

  // 2. The upload is cut halfway through a batch: that batch is not applied at all.
  {
    TestClient c(proxy.target(), tab_);
    v1::ListReceiptsResponse warmup;
    ASSERT_TRUE(c.ListReceipts(1, &warmup).ok());  // connected: the budget counts the batch
    proxy.CutAfterBytes(one_up / 2, Dir::kUpstream);
    receipts.clear();
    EXPECT_FALSE(c.Push(Batches(slice(101, 140)), &receipts).ok());
    EXPECT_TRUE(receipts.empty());
    EXPECT_EQ(Acked(), 100u);
    receipts = Recover(proxy, slice(101, 140));
    ASSERT_EQ(receipts.size(), 40u);
    for (const auto& r : receipts) EXPECT_EQ(r.outcome(), v1::APPLIED);
  }

  // 3. A stalled link: the call runs into its deadline with the connection still open.
  {
    TestClient c(proxy.target(), tab_);
    v1::ListReceiptsResponse warmup;
    ASSERT_TRUE(c.ListReceipts(1, &warmup).ok());  // connected before stalling
    proxy.Stall();
    auto ctx = c.Context(/*timeout_ms=*/300);
    auto stream = c.sync()->Push(ctx.get());
    v1::PushRequest req;
    for (const auto& m : slice(141, 160)) *req.add_mutations() = m;
    stream->Write(req);
    v1::PushResponse resp;
    EXPECT_FALSE(stream->Read(&resp));
    EXPECT_EQ(stream->Finish().error_code(), grpc::StatusCode::DEADLINE_EXCEEDED);
    EXPECT_EQ(proxy.open_connections(), 1);
    proxy.Resume();
    // Whether the server saw the batch before the cancellation or not, recovery is exact.
    receipts = Recover(proxy, slice(141, 180));
    EXPECT_GE(receipts.size(), 20u);
    EXPECT_EQ(Acked(), 180u);
  }

  // 4. Connections refused: the call fails fast; later it goes through.
  {
    proxy.Refuse();
    TestClient c(proxy.target(), tab_);
    receipts.clear();
    s = c.Push(Batches(slice(181, 200)), &receipts);
    EXPECT_EQ(s.error_code(), grpc::StatusCode::UNAVAILABLE);
    EXPECT_GE(proxy.connections_refused(), 1u);
    proxy.Refuse(false);
    receipts = Recover(proxy, slice(181, 200));
    EXPECT_EQ(receipts.size(), 20u);
  }

  // Exactly once: 200 receipts, each seq once, all APPLIED as first stored; 200 records at
  // version 1; 200 changes in the feed, one per record.
  v1::ListReceiptsResponse list;
  ASSERT_TRUE(TestClient(server_->target(), tab_).ListReceipts(1, &list).ok());
  EXPECT_EQ(list.acked_device_seq(), 200u);
  ASSERT_EQ(list.receipts_size(), 200);
  for (int i = 0; i < 200; ++i) {
    EXPECT_EQ(list.receipts(i).device_seq(), static_cast<uint64_t>(i + 1));
    EXPECT_EQ(list.receipts(i).outcome(), v1::APPLIED);
  }
  TestClient admin(server_->target(), admin_);
  PullResult pulled = admin.Pull("");
  ASSERT_TRUE(pulled.status.ok()) << pulled.status.error_message();
  auto by_id = ById(pulled.records);
  ASSERT_EQ(by_id.size(), 200u);
  for (const auto& [id, r] : by_id) EXPECT_EQ(r.version(), 1u) << id;
  std::vector<v1::Change> changes;
  uint64_t head = 0;
  ASSERT_TRUE(admin.Changes(1, &changes, &head).ok());
  std::map<std::string, int> per_record;
  for (const auto& c : changes) per_record[c.record_id()]++;
  EXPECT_EQ(changes.size(), 200u);
  for (const auto& [id, n] : per_record) EXPECT_EQ(n, 1) << id;
}

class BundleServiceTest : public ProxyAndBundleTest {
 protected:
  std::string Bundle(const std::vector<v1::Mutation>& ms, const std::string& token) {
    v1::Bundle b;
    b.set_device_id("tab-ninewa");
    b.set_first_device_seq(ms.front().device_seq());
    b.set_last_device_seq(ms.back().device_seq());
    for (const auto& m : ms) *b.add_mutations() = m;
    auto file = bundle::WriteBundle(b, bundle::KeyFromToken(token));
    EXPECT_TRUE(file.ok()) << file.status();
    return *file;
  }
  grpc::Status Import(const std::string& token, const std::string& file,
                      v1::ImportBundleResponse* resp, const std::string& request_id = "") {
    TestClient c(server_->target(), token);
    auto stub = v1::BundleService::NewStub(c.channel());
    v1::ImportBundleRequest req;
    req.set_bundle(file);
    auto ctx = c.Context();
    if (!request_id.empty()) ctx->AddMetadata("x-request-id", request_id);
    return stub->ImportBundle(ctx.get(), req, resp);
  }
};

TEST_F(BundleServiceTest, AdminImportsOnceSecondImportIsDuplicateReceiptsGoBack) {
  // The first 5 went live before the link died; the bundle carries 1-30.
  std::vector<v1::Receipt> live;
  ASSERT_TRUE(TestClient(server_->target(), tab_).PushOne(Creates(1, 5), &live).ok());
  const std::string file = Bundle(Creates(1, 30), tab_);

  v1::ImportBundleResponse resp;
  grpc::Status s = Import(admin_, file, &resp);
  ASSERT_TRUE(s.ok()) << s.error_message();
  EXPECT_EQ(resp.device_id(), "tab-ninewa");
  ASSERT_EQ(resp.receipts_size(), 30);
  for (int i = 0; i < 30; ++i) {
    EXPECT_EQ(resp.receipts(i).outcome(), i < 5 ? v1::DUPLICATE : v1::APPLIED) << i;
  }
  EXPECT_EQ(resp.acked_device_seq(), 30u);
  auto back = bundle::ReadReceipts(resp.receipts_file(), bundle::KeyFromToken(tab_));
  ASSERT_TRUE(back.ok()) << back.status();
  EXPECT_EQ(back->receipts_size(), 30);
  EXPECT_EQ(back->acked_device_seq(), 30u);

  v1::ImportBundleResponse again;
  ASSERT_TRUE(Import(admin_, file, &again).ok());
  for (const auto& r : again.receipts()) EXPECT_EQ(r.outcome(), v1::DUPLICATE);
  // The device sees its records once each.
  PullResult pulled = TestClient(server_->target(), tab_).Pull("");
  ASSERT_TRUE(pulled.status.ok());
  auto by_id = ById(pulled.records);
  EXPECT_EQ(by_id.size(), 30u);
  for (const auto& [id, r] : by_id) EXPECT_EQ(r.version(), 1u) << id;
}

TEST_F(BundleServiceTest, NonAdminIsDeniedAndBadFilesAreInvalid) {
  const std::string file = Bundle(Creates(1, 3), tab_);
  v1::ImportBundleResponse resp;
  EXPECT_EQ(Import(tab_, file, &resp).error_code(), grpc::StatusCode::PERMISSION_DENIED);
  EXPECT_EQ(Import("", file, &resp).error_code(), grpc::StatusCode::UNAUTHENTICATED);

  grpc::Status s = Import(admin_, Bundle(Creates(1, 3), other_), &resp);
  EXPECT_EQ(s.error_code(), grpc::StatusCode::INVALID_ARGUMENT);
  EXPECT_THAT(s.error_message(), HasSubstr("signature does not verify"));
  s = Import(admin_, file.substr(0, file.size() / 2), &resp);
  EXPECT_EQ(s.error_code(), grpc::StatusCode::INVALID_ARGUMENT);
  EXPECT_THAT(s.error_message(), HasSubstr("truncated"));
  EXPECT_EQ(TestClient(server_->target(), admin_).Pull("").records.size(), 0u);
}

TEST_F(BundleServiceTest, RevokedDeviceBundleIsRefused) {
  const std::string file = Bundle(Creates(1, 3), tab_);
  ASSERT_EQ(server_->Stop(SIGTERM), 0);
  server_->RevokeDevice("tab-ninewa");
  ASSERT_TRUE(server_->Start()) << server_->log();
  v1::ImportBundleResponse resp;
  grpc::Status s = Import(admin_, file, &resp);
  EXPECT_EQ(s.error_code(), grpc::StatusCode::FAILED_PRECONDITION);
  EXPECT_THAT(s.error_message(), HasSubstr("revoked"));
}

// A bundle over the gRPC message cap (4 MiB) has no online path; `fieldsyncd bundle import`
// takes it offline through the same importer. Photos are seeded random text, so the
// compressed bundle stays over the cap.
TEST_F(BundleServiceTest, OfflineImportTakesABundleOverTheMessageCapExactlyOnce) {
  constexpr int kCount = 2200;
  std::mt19937 rng(20261128);
  const std::string alphabet = "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789+/";
  std::vector<v1::Mutation> ms = Creates(1, kCount);
  for (auto& m : ms) {
    std::string photo(3000, ' ');
    for (char& c : photo) c = alphabet[rng() % alphabet.size()];
    (*m.mutable_fields())["photo"] = Text(photo);
  }
  const std::string file = Bundle(ms, tab_);
  ASSERT_GT(file.size(), 4u << 20);
  v1::ImportBundleResponse resp;
  EXPECT_EQ(Import(admin_, file, &resp).error_code(), grpc::StatusCode::RESOURCE_EXHAUSTED);

  ASSERT_EQ(server_->Stop(SIGTERM), 0);
  const std::string path = dir_.Sub("big.fsbundle");
  {
    std::ofstream out(path, std::ios::binary);
    out.write(file.data(), static_cast<std::streamsize>(file.size()));
    ASSERT_TRUE(out.good());
  }
  const std::string receipts_path = dir_.Sub("big.receipts");
  auto [status, out] = server_->RunCommand({"bundle", "import", path, "--receipts-out",
                                            receipts_path, "--pii-key-file", TestPiiKeyFile()});
  ASSERT_EQ(status, 0) << out;
  EXPECT_THAT(out, HasSubstr("APPLIED\t2200"));
  std::ifstream rin(receipts_path, std::ios::binary);
  const std::string receipts_file((std::istreambuf_iterator<char>(rin)),
                                  std::istreambuf_iterator<char>());
  auto back = bundle::ReadReceipts(receipts_file, bundle::KeyFromToken(tab_));
  ASSERT_TRUE(back.ok()) << back.status();
  EXPECT_EQ(back->receipts_size(), kCount);
  EXPECT_EQ(back->acked_device_seq(), static_cast<uint64_t>(kCount));

  // Twice: every receipt DUPLICATE, nothing changes.
  auto [status2, out2] = server_->RunCommand({"bundle", "import", path});
  ASSERT_EQ(status2, 0) << out2;
  EXPECT_THAT(out2, HasSubstr("DUPLICATE\t2200"));
  EXPECT_THAT(out2, ::testing::Not(HasSubstr("APPLIED")));
  // Both imports are in the audit log, by the operator, with the device and the count.
  auto [astatus, audit] = server_->RunCommand({"audit", "list"});
  ASSERT_EQ(astatus, 0);
  EXPECT_THAT(audit, HasSubstr("cli\toperator\tbundle.import\ttab-ninewa\tmutations=2200 "
                               "applied=2200"));
  EXPECT_THAT(audit, HasSubstr("bundle.import\ttab-ninewa\tmutations=2200 duplicate=2200"));

  ASSERT_TRUE(server_->Start()) << server_->log();
  TestClient admin(server_->target(), admin_);
  PullResult pulled = admin.Pull("");
  ASSERT_TRUE(pulled.status.ok()) << pulled.status.error_message();
  auto by_id = ById(pulled.records);
  ASSERT_EQ(by_id.size(), static_cast<size_t>(kCount));
  for (const auto& [id, r] : by_id) {
    EXPECT_EQ(r.version(), 1u) << id;
    EXPECT_EQ(r.fields().at("photo").text().size(), 3000u) << id;
  }
  // One change each (version 1): the second import applied nothing.
  std::set<uint64_t> seqs;
  for (const auto& [id, r] : by_id) seqs.insert(r.seq());
  EXPECT_EQ(seqs.size(), static_cast<size_t>(kCount));
}

TEST_F(BundleServiceTest, OnlineImportIsAuditedWithTheCallersRequestId) {
  v1::ImportBundleResponse resp;
  ASSERT_TRUE(Import(admin_, Bundle(Creates(1, 4), tab_), &resp, "req-bundle-42").ok());
  ASSERT_EQ(server_->Stop(SIGTERM), 0);
  auto [status, audit] = server_->RunCommand({"audit", "list"});
  ASSERT_EQ(status, 0);
  EXPECT_THAT(audit, HasSubstr("admin\tadmin\tbundle.import\ttab-ninewa\tmutations=4 applied=4"));
  EXPECT_THAT(audit, HasSubstr("\treq-bundle-42\t"));
}

}  // namespace
}  // namespace fieldsync::testing
