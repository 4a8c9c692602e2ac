#include "server/http/admin_http.h"

#include <gmock/gmock.h>
#include <gtest/gtest.h>
#include <httplib.h>

#include <atomic>

namespace fieldsync {
namespace {

using ::testing::HasSubstr;
using ::testing::Not;

class AdminHttpTest : public ::testing::Test {
 protected:
  void StartServer() {
    AdminHttpOptions o;
    o.listen = "127.0.0.1:0";
    o.metrics = &metrics_;
    o.serving = [this] { return serving_.load(); };
    o.api["fleet"] =
        [](const std::map<std::string, std::string>& q) -> absl::StatusOr<std::string> {
      auto it = q.find("fail");
      if (it != q.end()) return absl::InvalidArgumentError("bad filter");
      return std::string("{\"devices\":[]}");
    };
    auto s = AdminHttpServer::Start(std::move(o));
    ASSERT_TRUE(s.ok()) << s.status();
    server_ = std::move(*s);
    client_ = std::make_unique<httplib::Client>("127.0.0.1", server_->port());
    client_->set_connection_timeout(5, 0);
    client_->set_read_timeout(5, 0);
  }

  Metrics metrics_;
  std::atomic<bool> serving_{true};
  std::unique_ptr<AdminHttpServer> server_;
  std::unique_ptr<httplib::Client> client_;
};

TEST_F(AdminHttpTest, MetricsUseTheStandardGrpcNames) {
  StartServer();
  auto call = metrics_.StartRpc("/fieldsync.v1.SyncService/Push", RpcType::kBidiStream);
  call.msg_received->Increment(3);
  call.msg_sent->Increment(2);
  metrics_.EndRpc(call, 7, 0.02);
  metrics_.CountMutation("APPLIED", 5);
  metrics_.AddGauge("fieldsync_devices", "Devices by status.", [] {
    return std::vector<GaugeSample>{{{{"status", "silent"}}, 2}};
  });

  auto res = client_->Get("/metrics");
  ASSERT_TRUE(res);
  EXPECT_EQ(res->status, 200);
  const std::string& body = res->body;
  EXPECT_THAT(body, HasSubstr("grpc_server_started_total{grpc_method=\"Push\",grpc_service="
                              "\"fieldsync.v1.SyncService\",grpc_type=\"bidi_stream\"} 1"));
  EXPECT_THAT(body, HasSubstr("grpc_server_handled_total{grpc_code=\"PermissionDenied\","
                              "grpc_method=\"Push\""));
  EXPECT_THAT(body, HasSubstr("grpc_server_msg_received_total{grpc_method=\"Push\""));
  EXPECT_THAT(body, HasSubstr("grpc_server_handling_seconds_bucket{"));
  EXPECT_THAT(body, HasSubstr("fieldsync_push_mutations_total{outcome=\"APPLIED\"} 5"));
  EXPECT_THAT(body, HasSubstr("fieldsync_devices{status=\"silent\"} 2"));
}

TEST_F(AdminHttpTest, HealthFollowsServingState) {
  StartServer();
  auto res = client_->Get("/healthz");
  ASSERT_TRUE(res);
  EXPECT_EQ(res->status, 200);
  serving_ = false;
  res = client_->Get("/healthz");
  ASSERT_TRUE(res);
  EXPECT_EQ(res->status, 503);
}

TEST_F(AdminHttpTest, ApiProvidersAndErrors) {
  StartServer();
  auto res = client_->Get("/api/fleet");
  ASSERT_TRUE(res);
  EXPECT_EQ(res->status, 200);
  EXPECT_EQ(res->body, "{\"devices\":[]}");
  EXPECT_EQ(res->get_header_value("Content-Type"), "application/json");
  res = client_->Get("/api/fleet?fail=1");
  ASSERT_TRUE(res);
  EXPECT_EQ(res->status, 400);
  EXPECT_THAT(res->body, Not(HasSubstr("bad filter")));
  res = client_->Get("/api/unknown");
  ASSERT_TRUE(res);
  EXPECT_EQ(res->status, 404);
}

TEST_F(AdminHttpTest, ReadOnly) {
  StartServer();
  auto res = client_->Post("/api/fleet", "{}", "application/json");
  ASSERT_TRUE(res);
  EXPECT_NE(res->status, 200);
}

TEST_F(AdminHttpTest, DashboardIsServedWithAStrictPolicy) {
  StartServer();
  auto res = client_->Get("/");
  ASSERT_TRUE(res);
  EXPECT_EQ(res->status, 200);
  EXPECT_THAT(res->body, HasSubstr("fieldsync fleet"));
  EXPECT_THAT(res->get_header_value("Content-Security-Policy"), HasSubstr("default-src 'none'"));
}

TEST(AdminHttpStartTest, RejectsBadAddressesAndBusyPorts) {
  Metrics metrics;
  AdminHttpOptions o;
  o.metrics = &metrics;
  o.listen = "no-port";
  EXPECT_EQ(AdminHttpServer::Start(o).status().code(), absl::StatusCode::kInvalidArgument);
  o.listen = "127.0.0.1:0";
  auto first = AdminHttpServer::Start(o);
  ASSERT_TRUE(first.ok());
  o.listen = "127.0.0.1:" + std::to_string((*first)->port());
  EXPECT_EQ(AdminHttpServer::Start(o).status().code(), absl::StatusCode::kUnavailable);
}

}  // namespace
}  // namespace fieldsync
