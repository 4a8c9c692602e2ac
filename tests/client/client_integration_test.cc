// The device SDK against a real fieldsyncd (127.0.0.1, port 0) over gRPC, directly and
// through the fault-injecting TCP proxy: round trip, two devices converging, revoked
// token, unreachable server, connections cut and stalled mid-stream.
#include <signal.h>
#include <sys/wait.h>

#include <chrono>
#include <memory>
#include <string>

#include "fieldsync/client.h"
#include "gmock/gmock.h"
#include "gtest/gtest.h"
#include "tests/testing/server_process.h"
#include "tests/testing/tcp_proxy.h"
#include "tests/testing/temp_dir.h"
#include "tests/testing/test_client.h"

namespace fieldsync::testing {
namespace {

using client::Client;
using client::Fields;
using ::testing::SizeIs;

constexpr char kHousehold[] = "displacement_household";

Fields Household(const std::string& governorate, int64_t size = 4) {
  return {{"governorate", std::string(governorate)},
          {"district", std::string("Mosul")},
          {"visit_date", std::string("2026-11-20")},
          {"household_size", size}};
}

class ClientIntegrationTest : public ::testing::Test {
 protected:
  void SetUp() override {
    server_ = std::make_unique<ServerProcess>(dir_.Sub("db"));
    ninewa_ = server_->AddDevice({"tab-ninewa", "enumerator", {"governorate=Ninewa"}});
    ninewa2_ = server_->AddDevice({"tab-ninewa-2", "enumerator", {"governorate=Ninewa"}});
    admin_ = server_->AddDevice({"admin", "admin", {}, true});
    ASSERT_TRUE(server_->Start()) << server_->log();
  }
  void TearDown() override {
    if (server_ && server_->running()) {
      int status = server_->Stop(SIGTERM);
      EXPECT_TRUE(WIFEXITED(status) && WEXITSTATUS(status) == 0) << server_->log();
    }
  }

  std::unique_ptr<Client> Open(const std::string& name, const std::string& token,
                               const std::string& target = "", bool gzip = true) {
    client::ClientOptions o;
    o.server.gzip = gzip;
    o.data_dir = dir_.Sub(name);
    o.device_id = name;
    o.server.target = target.empty() ? server_->target() : target;
    o.server.token = token;
    o.server.plaintext = true;
    o.server.call_timeout_ms = 5'000;
    o.server.push_stream_timeout_ms = 10'000;
    o.initial_backoff_ms = 20;
    o.max_backoff_ms = 200;
    o.max_attempts = 30;
    o.seed = 1;
    auto c = Client::Open(o);
    EXPECT_TRUE(c.ok()) << c.status();
    return c.ok() ? *std::move(c) : nullptr;
  }

  TempDir dir_;
  std::unique_ptr<ServerProcess> server_;
  std::string ninewa_, ninewa2_, admin_;
};

TEST_F(ClientIntegrationTest, RoundTripAndTwoDevicesConverge) {
  auto a = Open("a", ninewa_);
  auto b = Open("b", ninewa2_);
  ASSERT_TRUE(a->RefreshForms().ok());
  auto forms = a->Forms();
  ASSERT_TRUE(forms.ok());
  EXPECT_GE(forms->size(), 2u);  // the deploy/forms examples
  ASSERT_TRUE(a->Create(kHousehold, Household("Ninewa", 4), "hh-1").ok());
  ASSERT_TRUE(a->Create(kHousehold, Household("Ninewa", 5), "hh-2").ok());
  auto r = a->Sync();
  ASSERT_TRUE(r.ok()) << r.status();
  EXPECT_EQ(r->applied, 2u);
  EXPECT_EQ(a->Get("hh-1")->server_version, 1u);

  ASSERT_TRUE(b->Sync().ok());
  ASSERT_TRUE(b->Get("hh-2").ok());
  // Concurrent offline edits of different fields of one record merge on the server.
  ASSERT_TRUE(a->Update("hh-1", {{"district", std::string("Sinjar")}}).ok());
  ASSERT_TRUE(b->Update("hh-1", {{"household_size", int64_t{9}}}).ok());
  ASSERT_TRUE(a->Sync().ok());
  auto rb = b->Sync();
  ASSERT_TRUE(rb.ok()) << rb.status();
  EXPECT_EQ(rb->merged, 1u);
  ASSERT_TRUE(a->Sync().ok());
  for (Client* c : {a.get(), b.get()}) {
    auto rec = c->Get("hh-1");
    ASSERT_TRUE(rec.ok());
    EXPECT_EQ(std::get<std::string>(rec->fields.at("district")), "Sinjar");
    EXPECT_EQ(std::get<int64_t>(rec->fields.at("household_size")), 9);
    EXPECT_EQ(rec->server_version, 3u);
    EXPECT_EQ(rec->pending_edits, 0u);
  }
  // The server agrees.
  TestClient admin(server_->target(), admin_);
  auto by_id = ById(admin.Pull("").records);
  EXPECT_EQ(by_id["hh-1"].version(), 3u);
  EXPECT_EQ(by_id["hh-1"].fields().at("district").text(), "Sinjar");
}

TEST_F(ClientIntegrationTest, RejectionCarriesTheServersFieldErrors) {
  auto a = Open("a", ninewa_);
  ASSERT_TRUE(a->RefreshForms().ok());
  ASSERT_TRUE(a->Create(kHousehold, Household("Anbar"), "hh-out").ok());  // not our scope
  auto r = a->Sync();
  ASSERT_TRUE(r.ok()) << r.status();
  EXPECT_EQ(r->rejected, 1u);
  auto st = a->GetStatus();
  ASSERT_THAT(st->problems, SizeIs(1));
  EXPECT_FALSE(st->problems[0].errors.empty());
  EXPECT_TRUE(a->Get("hh-out")->rejected);
}

TEST_F(ClientIntegrationTest, RevokedTokenIsUnauthenticatedAndKeepsEdits) {
  auto a = Open("a", ninewa_);
  ASSERT_TRUE(a->RefreshForms().ok());
  ASSERT_TRUE(a->Create(kHousehold, Household("Ninewa"), "hh-1").ok());
  server_->Stop(SIGTERM);
  server_->RevokeDevice("tab-ninewa");
  ASSERT_TRUE(server_->Start()) << server_->log();
  a.reset();
  a = Open("a", ninewa_);  // the server's port changed
  auto r = a->Sync();
  EXPECT_EQ(r.status().code(), absl::StatusCode::kUnauthenticated) << r.status();
  EXPECT_EQ(a->GetStatus()->pending, 1u);
}

// The SDK asks for gzip answers (and the server compresses the pull for it); with gzip off it
// asks for none and still reads every record.
TEST_F(ClientIntegrationTest, SdkAsksForCompressedAnswersUnlessGzipIsOff) {
  auto a = Open("a", ninewa_);
  ASSERT_TRUE(a->RefreshForms().ok());
  std::vector<Fields> rows;
  for (int i = 0; i < 300; ++i) rows.push_back(Household("Ninewa", 1 + i % 50));
  for (const auto& id : a->CreateMany(kHousehold, rows)) ASSERT_TRUE(id.ok());
  ASSERT_TRUE(a->Sync().ok());

  auto pulled_bytes = [&](const std::string& name, bool gzip) -> uint64_t {
    auto proxy = TcpProxy::Start("127.0.0.1", server_->port());
    EXPECT_TRUE(proxy.ok()) << proxy.status();
    if (!proxy.ok()) return 0;
    auto c = Open(name, ninewa2_, (*proxy)->target(), gzip);
    if (c == nullptr) return 0;
    const uint64_t before = (*proxy)->bytes(TcpProxy::Direction::kDownstream);
    auto r = c->Sync();
    EXPECT_TRUE(r.ok()) << r.status();
    if (r.ok()) EXPECT_EQ(r->pulled, 300u) << name;
    return (*proxy)->bytes(TcpProxy::Direction::kDownstream) - before;
  };
  const uint64_t gzip = pulled_bytes("b", true);
  const uint64_t plain = pulled_bytes("c", false);
  EXPECT_GT(plain, 300u * 100) << "every record came down";
  EXPECT_LT(gzip * 2, plain) << gzip << " vs " << plain;
}

TEST_F(ClientIntegrationTest, UnreachableServerFailsWithUnavailable) {
  auto proxy = TcpProxy::Start("127.0.0.1", server_->port());
  ASSERT_TRUE(proxy.ok());
  (*proxy)->Refuse(true);
  client::ClientOptions o;
  o.data_dir = dir_.Sub("x");
  o.server.target = (*proxy)->target();
  o.server.token = ninewa_;
  o.server.plaintext = true;
  o.max_attempts = 3;
  o.sleep_ms = [](int64_t) {};
  auto c = Client::Open(o);
  ASSERT_TRUE(c.ok());
  auto r = (*c)->Sync();
  EXPECT_EQ(r.status().code(), absl::StatusCode::kUnavailable) << r.status();
  EXPECT_NE((*c)->GetStatus()->last_error, "");
}

// Cuts the connection mid-push (upstream, after part of the batches went through), then
// stalls it: every record ends up on the server exactly once.
TEST_F(ClientIntegrationTest, CutAndStalledLinksLoseNothingAndDuplicateNothing) {
  auto proxy_or = TcpProxy::Start("127.0.0.1", server_->port());
  ASSERT_TRUE(proxy_or.ok());
  TcpProxy& proxy = **proxy_or;
  auto a = Open("a", ninewa_, proxy.target());
  ASSERT_TRUE(a->RefreshForms().ok());
  std::vector<Fields> rows;
  for (int i = 0; i < 600; ++i) rows.push_back(Household("Ninewa", 1 + i % 50));
  for (const auto& id : a->CreateMany(kHousehold, rows)) ASSERT_TRUE(id.ok());

  // Cut after 6 KB more upstream: in the middle of the push batches (600 gzipped records
  // are ~20 KB).
  const uint64_t before = proxy.bytes(TcpProxy::Direction::kUpstream);
  proxy.CutAfterBytes(6'000, TcpProxy::Direction::kUpstream);
  auto r = a->Sync();
  ASSERT_TRUE(r.ok()) << r.status();
  EXPECT_GT(proxy.bytes(TcpProxy::Direction::kUpstream) - before, 12'000u);
  EXPECT_GE(proxy.cuts(), 1u);
  EXPECT_GE(r->attempts, 2);
  EXPECT_EQ(a->GetStatus()->pending, 0u);

  // A stalled link: the call hits its deadline, then the link comes back.
  for (int i = 0; i < 5; ++i) ASSERT_TRUE(a->Create(kHousehold, Household("Ninewa")).ok());
  proxy.Stall();
  a.reset();
  {
    client::ClientOptions so;
    so.data_dir = dir_.Sub("a");
    so.device_id = "a";
    so.server.target = proxy.target();
    so.server.token = ninewa_;
    so.server.plaintext = true;
    so.server.call_timeout_ms = 300;
    so.server.push_stream_timeout_ms = 300;
    so.max_attempts = 1;
    auto c = Client::Open(so);
    ASSERT_TRUE(c.ok());
    auto stalled = (*c)->Sync();
    EXPECT_EQ(stalled.status().code(), absl::StatusCode::kDeadlineExceeded) << stalled.status();
  }
  proxy.Resume();
  a = Open("a", ninewa_, proxy.target());
  ASSERT_TRUE(a->Sync().ok());
  EXPECT_EQ(a->GetStatus()->pending, 0u);

  TestClient check(server_->target(), ninewa_);
  v1::ListReceiptsResponse receipts;
  ASSERT_TRUE(check.ListReceipts(1, &receipts).ok());
  EXPECT_EQ(receipts.acked_device_seq(), 605u);
  EXPECT_EQ(receipts.receipts_size(), 605);
  TestClient admin(server_->target(), admin_);
  auto records = admin.Pull("").records;
  EXPECT_THAT(records, SizeIs(605));
  for (const auto& rec : records) EXPECT_EQ(rec.version(), 1u) << rec.record_id();
}

}  // namespace
}  // namespace fieldsync::testing
