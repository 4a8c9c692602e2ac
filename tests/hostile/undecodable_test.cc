// Requests the server cannot decode: a Push batch with invalid UTF-8 in a string field (a
// truncated emoji from a buggy client) and unary/server-streaming requests of bytes that are
// no protobuf at all must end the call with INVALID_ARGUMENT saying so; nothing of the batch
// is applied and the device's acknowledged seq stays where it was. libprotobuf's own message
// about it reaches the log as one JSON line. The SDK, pushing such a batch, stops at once
// with the error instead of retrying.
#include <grpc/grpc.h>

#include <memory>
#include <sstream>
#include <string>
#include <vector>

#include "fieldsync/client.h"
#include "gmock/gmock.h"
#include "gtest/gtest.h"
#include "tests/hostile/raw_call.h"
#include "tests/testing/deflate.h"
#include "tests/testing/server_process.h"
#include "tests/testing/server_test.h"
#include "tests/testing/test_client.h"

namespace fieldsync::testing {
namespace {

using ::testing::HasSubstr;

constexpr char kTruncatedEmoji[] = "Mosul \xF0\x9F";  // 2 of the 4 bytes of U+1F600

class UndecodableTest : public ServerTest {
 protected:
  void SetUp() override {
    server_ = std::make_unique<ServerProcess>(dir_.Sub("db"));
    tablet_ = server_->AddDevice({"tab-ninewa", "enumerator", {"governorate=Ninewa"}});
    ASSERT_TRUE(server_->Start()) << server_->log();
  }

  uint64_t AckedSeq() {
    v1::ListReceiptsResponse resp;
    grpc::Status s = Client(tablet_).ListReceipts(1, &resp);
    EXPECT_TRUE(s.ok()) << s.error_message();
    return resp.acked_device_seq();
  }

  std::string tablet_;
};

TEST_F(UndecodableTest, APushBatchThatDoesNotDecodeEndsTheCallWithInvalidArgument) {
  v1::Mutation bad = HouseholdCreate(3, "hh-3", "Ninewa");
  (*bad.mutable_fields())["district"] = Text(kTruncatedEmoji);
  std::vector<v1::Receipt> receipts;
  grpc::Status s = Client(tablet_).Push(
      {{HouseholdCreate(1, "hh-1", "Ninewa")}, {HouseholdCreate(2, "hh-2", "Ninewa"), bad}},
      &receipts);
  EXPECT_EQ(s.error_code(), grpc::StatusCode::INVALID_ARGUMENT) << s.error_message();
  EXPECT_THAT(s.error_message(), HasSubstr("Push batch 2 on this stream could not be decoded"));
  ASSERT_EQ(receipts.size(), 1u);  // the first batch only
  EXPECT_EQ(receipts[0].outcome(), v1::APPLIED);
  // Nothing of the second batch: seq 2 was valid but came in the undecodable batch.
  EXPECT_EQ(AckedSeq(), 1u);
  EXPECT_EQ(Client(tablet_).Pull("").records.size(), 1u);

  // libprotobuf's explanation went through the JSON log; no plain-text line on stderr.
  std::istringstream log(server_->log());
  std::string line;
  int protobuf_lines = 0;
  while (std::getline(log, line)) {
    EXPECT_EQ(line.rfind("{", 0), 0u) << "not a JSON line: " << line;
    if (line.find("\"event\":\"protobuf\"") != std::string::npos) {
      ++protobuf_lines;
      EXPECT_THAT(line, HasSubstr("invalid UTF-8"));
    }
  }
  EXPECT_EQ(protobuf_lines, 1);
}

TEST_F(UndecodableTest, UnaryAndServerStreamingRequestsThatDoNotDecodeAreInvalidArgument) {
  const std::string garbage = "\xff\xff\xff\xff";  // a field tag that never ends
  for (const std::string method :
       {"/fieldsync.v1.SyncService/ListReceipts", "/fieldsync.v1.SyncService/Pull",
        "/fieldsync.v1.FormService/ListForms", "/grpc.health.v1.Health/Check"}) {
    SCOPED_TRACE(method);
    for (const std::string& token : {tablet_, std::string()}) {
      RawCallResult r = RawCall(server_->target(), method, garbage, GRPC_COMPRESS_NONE, token);
      EXPECT_EQ(r.code, GRPC_STATUS_INVALID_ARGUMENT) << r.message;
      EXPECT_THAT(r.message, HasSubstr(method + " could not be decoded"));
    }
  }
  // The same bytes gzip-compressed: decoded after inflating, refused the same way.
  RawCallResult r = RawCall(server_->target(), "/fieldsync.v1.SyncService/ListReceipts",
                            Deflate(garbage, true), GRPC_COMPRESS_GZIP, tablet_);
  EXPECT_EQ(r.code, GRPC_STATUS_INVALID_ARGUMENT) << r.message;
  EXPECT_EQ(AckedSeq(), 0u);
}

// The SDK puts the app's version into every batch's device report: an app that passes
// invalid UTF-8 there makes every batch undecodable. Sync must stop with the server's
// INVALID_ARGUMENT on its first attempt, the edits kept in the outbox.
TEST_F(UndecodableTest, TheSdkStopsOnARejectedBatchInsteadOfRetrying) {
  client::ClientOptions o;
  o.data_dir = dir_.Sub("sdk");
  o.device_id = "tab-ninewa";
  o.app_version = std::string("2.1 ") + kTruncatedEmoji;
  o.server.target = server_->target();
  o.server.token = tablet_;
  o.server.plaintext = true;
  o.server.call_timeout_ms = 5'000;
  o.server.push_stream_timeout_ms = 5'000;
  o.initial_backoff_ms = 1;
  o.max_backoff_ms = 1;
  o.max_attempts = 5;
  o.seed = 1;
  auto c = client::Client::Open(o);
  ASSERT_TRUE(c.ok()) << c.status();
  ASSERT_TRUE((*c)->RefreshForms().ok());
  auto id = (*c)->Create("displacement_household", {{"governorate", std::string("Ninewa")},
                                                    {"district", std::string("Mosul")},
                                                    {"visit_date", std::string("2026-11-20")},
                                                    {"household_size", int64_t{4}}});
  ASSERT_TRUE(id.ok()) << id.status();

  struct CountRetries : client::SyncObserver {
    void OnRetry(const absl::Status&, int, int64_t) override { ++retries; }
    int retries = 0;
  } observer;
  auto report = (*c)->Sync(&observer);
  ASSERT_FALSE(report.ok());
  EXPECT_EQ(report.status().code(), absl::StatusCode::kInvalidArgument) << report.status();
  EXPECT_THAT(std::string(report.status().message()),
              HasSubstr("the server refused the batch of edits #1-#1 (kept in the outbox)"));
  EXPECT_THAT(std::string(report.status().message()), HasSubstr("could not be decoded"));
  EXPECT_EQ(observer.retries, 0);
  auto status = (*c)->GetStatus();
  ASSERT_TRUE(status.ok());
  EXPECT_EQ(status->pending, 1u);
  EXPECT_THAT(status->last_error, HasSubstr("could not be decoded"));
  EXPECT_EQ(AckedSeq(), 0u);
}

}  // namespace
}  // namespace fieldsync::testing
