// Compression bombs: a gzip request of 128 KB that inflates to 128 MiB, sent to every service
// of a real fieldsyncd, must be refused after inflating at most --max-message-bytes, so the
// server's peak resident memory grows by less than a few messages.
#include <grpc/grpc.h>

#include <iostream>
#include <string>
#include <vector>

#include "gtest/gtest.h"
#include "tests/hostile/raw_call.h"
#include "tests/testing/deflate.h"
#include "tests/testing/server_process.h"
#include "tests/testing/server_test.h"

namespace fieldsync::testing {
namespace {

constexpr int64_t kMaxMessage = 1 << 20;
constexpr size_t kBombInflated = 128 << 20;

class BombTest : public ServerTest {
 protected:
  static const std::string& Bomb() {
    static const std::string bomb = GzipOfZeros(kBombInflated);
    return bomb;
  }
};

TEST_F(BombTest, AGzipBombOnEveryServiceRaisesPeakMemoryByLessThanFourMessages) {
  server_ = std::make_unique<ServerProcess>(
      dir_.Sub("db"),
      std::vector<std::string>{"--max-message-bytes", std::to_string(kMaxMessage), "--reflection"});
  const std::string admin = server_->AddDevice({"admin", "admin", {}, true});
  ASSERT_TRUE(server_->Start()) << server_->log();
  ASSERT_LT(Bomb().size(), static_cast<size_t>(kMaxMessage));  // passes the compressed check

  struct Case {
    std::string method;
    std::string token;
  };
  const std::vector<Case> cases = {
      {"/fieldsync.v1.SyncService/ListReceipts", ""},  // before authentication
      {"/fieldsync.v1.IdentityService/Enroll", ""},    // needs no token at all
      {"/grpc.health.v1.Health/Check", ""},
      {"/grpc.reflection.v1alpha.ServerReflection/ServerReflectionInfo", ""},
      {"/fieldsync.v1.SyncService/Push", admin},  // a stream the handler reads
      {"/fieldsync.v1.SyncService/Pull", admin},
      {"/fieldsync.v1.AdminService/ListQuarantine", admin},
      {"/fieldsync.v1.FormService/ListForms", admin},
  };
  for (const auto& c : cases) {
    SCOPED_TRACE(c.method);
    // Warm: threads, connection buffers and the method's first allocations are not the bomb's.
    RawCall(server_->target(), c.method, "", GRPC_COMPRESS_NONE, c.token);
    RawCall(server_->target(), c.method, Deflate("", true), GRPC_COMPRESS_GZIP, c.token);
    ResetPeakRss(server_->pid());
    const int64_t before = PeakRssBytes(server_->pid());
    RawCallResult r = RawCall(server_->target(), c.method, Bomb(), GRPC_COMPRESS_GZIP, c.token);
    const int64_t growth = PeakRssBytes(server_->pid()) - before;
    std::cout << c.method << ": peak RSS +" << (growth >> 10) << " KiB\n";
    EXPECT_EQ(r.code, GRPC_STATUS_RESOURCE_EXHAUSTED) << r.message;
    EXPECT_LT(growth, 4 * kMaxMessage) << "peak RSS grew by " << (growth >> 10) << " KiB";
  }
  // Still serving, with gzip.
  RawCallResult ok = RawCall(server_->target(), "/grpc.health.v1.Health/Check", Deflate("", true),
                             GRPC_COMPRESS_GZIP);
  EXPECT_EQ(ok.code, GRPC_STATUS_OK) << ok.message;
}

}  // namespace
}  // namespace fieldsync::testing
