// The operations side of a real fieldsyncd on 127.0.0.1 port 0: Prometheus /metrics with the
// standard grpc_server_* names and no device ids, /healthz, the fleet JSON, the dashboard in
// headless Chromium (a device that just synced is "in sync", one that went quiet is "silent"),
// `fieldsyncd health-check`, and JSON log lines without secrets.
#include <httplib.h>
#include <signal.h>
#include <sys/wait.h>
#include <unistd.h>

#include <atomic>
#include <chrono>
#include <cstdio>
#include <fstream>
#include <nlohmann/json.hpp>
#include <sstream>
#include <thread>

#include "gmock/gmock.h"
#include "gtest/gtest.h"
#include "tests/testing/server_process.h"
#include "tests/testing/temp_dir.h"
#include "tests/testing/test_client.h"

namespace fieldsync::testing {
namespace {

using ::testing::HasSubstr;
using ::testing::Not;

// Runs `cmd` through the shell; returns its exit status and stdout.
std::pair<int, std::string> RunShell(const std::string& cmd) {
  std::string out;
  FILE* p = popen(cmd.c_str(), "r");
  if (p == nullptr) return {-1, ""};
  char buf[4096];
  size_t n;
  while ((n = fread(buf, 1, sizeof(buf), p)) > 0) out.append(buf, n);
  int status = pclose(p);
  return {WIFEXITED(status) ? WEXITSTATUS(status) : -1, out};
}

class OpsIntegrationTest : public ::testing::Test {
 protected:
  void Boot(std::vector<std::string> flags = {}) {
    server_ = std::make_unique<ServerProcess>(dir_.Sub("data"), flags);
    tab_token_ = server_->AddDevice({"tablet-ops-1", "enumerator", {"governorate=Ninewa"}});
    quiet_token_ = server_->AddDevice({"tablet-ops-quiet", "enumerator", {"governorate=Ninewa"}});
    ASSERT_TRUE(server_->Start()) << server_->log();
    ASSERT_GT(server_->admin_port(), 0) << server_->log();
    http_ = std::make_unique<httplib::Client>("127.0.0.1", server_->admin_port());
    http_->set_read_timeout(10, 0);
  }

  // Pushes one household and pulls to the head: the device is then in sync.
  void Sync(const std::string& token, uint64_t seq, const std::string& id) {
    TestClient c(server_->target(), token);
    std::vector<v1::Receipt> receipts;
    ASSERT_TRUE(c.PushOne({HouseholdCreate(seq, id, "Ninewa")}, &receipts).ok());
    ASSERT_EQ(receipts.size(), 1u);
    ASSERT_TRUE(c.Pull("").status.ok());
  }

  std::string Get(const std::string& path) {
    auto res = http_->Get(path);
    if (!res) return "";
    EXPECT_EQ(res->status, 200) << path;
    return res->body;
  }

  TempDir dir_;
  std::unique_ptr<ServerProcess> server_;
  std::unique_ptr<httplib::Client> http_;
  std::string tab_token_, quiet_token_;
};

TEST_F(OpsIntegrationTest, MetricsCountCallsAndMutationsWithoutDeviceIds) {
  Boot();
  Sync(tab_token_, 1, "hh-ops-1");
  // A refused call is counted with its code.
  TestClient bad(server_->target(), "not-a-token");
  std::vector<v1::Receipt> receipts;
  EXPECT_FALSE(bad.PushOne({HouseholdCreate(1, "hh-x", "Ninewa")}, &receipts).ok());

  std::string m = Get("/metrics");
  EXPECT_THAT(m, HasSubstr("grpc_server_started_total{grpc_method=\"Push\",grpc_service="
                           "\"fieldsync.v1.SyncService\",grpc_type=\"bidi_stream\"} 2"));
  EXPECT_THAT(m, HasSubstr("grpc_server_handled_total{grpc_code=\"OK\",grpc_method=\"Pull\""));
  EXPECT_THAT(m, HasSubstr("grpc_server_handled_total{grpc_code=\"Unauthenticated\","
                           "grpc_method=\"Push\""));
  EXPECT_THAT(m, HasSubstr("grpc_server_msg_received_total{grpc_method=\"Push\""));
  EXPECT_THAT(m, HasSubstr("fieldsync_push_mutations_total{outcome=\"APPLIED\"} 1"));
  EXPECT_THAT(m, HasSubstr("fieldsync_pull_records_total 1"));
  EXPECT_THAT(m, HasSubstr("fieldsync_devices{status=\"in_sync\"} 1"));
  EXPECT_THAT(m, HasSubstr("fieldsync_head_seq 1"));
  EXPECT_THAT(m, HasSubstr("fieldsync_rocksdb_estimate_num_keys"));
  EXPECT_THAT(m, HasSubstr("fieldsync_aggregation_feed_lag_changes"));
  EXPECT_THAT(m, Not(HasSubstr("tablet-ops")));
  EXPECT_THAT(m, Not(HasSubstr("hh-ops-1")));

  EXPECT_THAT(Get("/healthz"), HasSubstr("ok"));
  std::string fleet = Get("/api/fleet");
  EXPECT_THAT(fleet, HasSubstr("\"device_id\":\"tablet-ops-1\""));
  EXPECT_THAT(fleet, Not(HasSubstr(tab_token_)));
}

TEST_F(OpsIntegrationTest, HealthCheckCommandAndJsonLogs) {
  Boot();
  auto [ok, out] = RunShell(FieldsyncdPath() + " health-check --plaintext --target " +
                            server_->target() + " 2>&1");
  EXPECT_EQ(ok, 0) << out;
  EXPECT_THAT(out, HasSubstr("SERVING"));
  auto [usage, usage_out] = RunShell(FieldsyncdPath() + " health-check --target x 2>&1");
  EXPECT_EQ(usage, 2) << usage_out;
  Sync(tab_token_, 1, "hh-log-1");
  ASSERT_EQ(server_->Stop(SIGTERM), 0);
  auto [down, down_out] =
      RunShell(FieldsyncdPath() + " health-check --plaintext --timeout-ms 500 " + "--target " +
               server_->target() + " 2>&1");
  EXPECT_EQ(down, 1) << down_out;

  // Every line fieldsyncd itself writes is one JSON object; no token or value in any.
  std::istringstream log(server_->log());
  std::string line;
  int events = 0;
  while (std::getline(log, line)) {
    if (line.rfind("{\"ts\":", 0) != 0) continue;  // gRPC's own diagnostics
    ++events;
    EXPECT_EQ(line.back(), '}') << line;
    EXPECT_THAT(line, Not(HasSubstr(tab_token_)));
  }
  EXPECT_GE(events, 4);
  EXPECT_THAT(server_->log(), HasSubstr("\"event\":\"serving\""));
  EXPECT_THAT(server_->log(), HasSubstr("\"event\":\"stopped\",\"clean\":true"));
  EXPECT_THAT(server_->log(), Not(HasSubstr("hh-log-1")));
}

// The dashboard end to end in Debian's Chromium: the page loads, polls the fleet JSON, and
// marks the device that just synced "in sync" and the one that went quiet "silent".
TEST_F(OpsIntegrationTest, DashboardInHeadlessChromiumMarksSyncedAndSilentDevices) {
  const char* chromium = "/usr/bin/chromium";
  if (access(chromium, X_OK) != 0) GTEST_SKIP() << "chromium is not installed";
  Boot({"--silent-after-ms", "3000"});
  Sync(quiet_token_, 1, "hh-quiet-1");
  // Wait (polling the real server) until the quiet device has been silent past the threshold.
  auto status_of = [&](const std::string& id) {
    auto fleet = nlohmann::json::parse(Get("/api/fleet"), nullptr, false);
    if (fleet.is_discarded()) return std::string("unparsable");
    for (const auto& d : fleet["devices"]) {
      if (d["device_id"] == id) return d["status"].get<std::string>();
    }
    return std::string("absent");
  };
  const auto deadline = std::chrono::steady_clock::now() + std::chrono::seconds(20);
  while (status_of("tablet-ops-quiet") != "silent") {
    ASSERT_LT(std::chrono::steady_clock::now(), deadline) << Get("/api/fleet");
    std::this_thread::sleep_for(std::chrono::milliseconds(100));
  }
  Sync(tab_token_, 1, "hh-fresh-1");
  // While Chromium starts and renders (seconds on a loaded machine), the fresh tablet keeps
  // pulling, so it stays seen and in sync whatever the machine's speed.
  std::atomic<bool> done{false};
  std::thread keep_fresh([&] {
    TestClient c(server_->target(), tab_token_);
    while (!done) {
      c.Pull("");
      std::this_thread::sleep_for(std::chrono::milliseconds(200));  // a device's pull cadence
    }
  });

  const std::string url = "http://127.0.0.1:" + std::to_string(server_->admin_port()) + "/";
  const std::string profile = dir_.Sub("chromium-profile");
  auto [rc, dom] =
      RunShell(std::string(chromium) +
               " --headless --no-sandbox --disable-gpu --disable-dev-shm-usage"
               " --no-first-run --user-data-dir=" +
               profile + " --virtual-time-budget=8000 --dump-dom '" + url + "' 2>/dev/null");
  done = true;
  keep_fresh.join();
  ASSERT_EQ(rc, 0) << dom;
  EXPECT_THAT(dom, HasSubstr("data-loaded=\"1\""));
  EXPECT_THAT(dom, HasSubstr("data-device=\"tablet-ops-1\" data-status=\"in_sync\""));
  EXPECT_THAT(dom, HasSubstr("data-device=\"tablet-ops-quiet\" data-status=\"silent\""));
  EXPECT_THAT(dom, HasSubstr("<span class=\"status status-silent\">silent</span>"));
  EXPECT_THAT(dom, HasSubstr("<span class=\"status status-in_sync\">in sync</span>"));
  EXPECT_THAT(dom, HasSubstr("id=\"t-silent\">1<"));
  // The per-day chart of an aggregation: 30 days, one bar each.
  EXPECT_THAT(dom, HasSubstr("records per day"));
  size_t bars = 0;
  for (size_t at = dom.find("<rect"); at != std::string::npos; at = dom.find("<rect", at + 1)) {
    ++bars;
  }
  EXPECT_EQ(bars, 30u);
}

}  // namespace
}  // namespace fieldsync::testing
