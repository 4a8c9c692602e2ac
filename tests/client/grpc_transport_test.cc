// Statuses across the wire: what the server's rpc layer makes (ToGrpcStatus) and what the
// SDK's transport reads back (FromGrpc), by code and details, never by the message's words.
#include "client-sdk/src/grpc_transport.h"

#include <string>

#include "gtest/gtest.h"
#include "server/common/model.h"
#include "server/common/status.h"
#include "server/rpc/grpc_status.h"

namespace fieldsync {
namespace {

TEST(FromGrpcTest, AStatusOurGrpcMadeForAResetStreamIsRetryable) {
  // gRPC's own statuses for a stream reset carry no details, whatever their wording.
  for (const char* message : {"Received RST_STREAM with error code 2", "Stream removed",
                              "anything else a transport might say"}) {
    absl::Status s = client::FromGrpc(grpc::Status(grpc::StatusCode::INTERNAL, message));
    EXPECT_EQ(s.code(), absl::StatusCode::kUnavailable) << message;
  }
}

TEST(FromGrpcTest, TheServersOwnInternalErrorStaysInternal) {
  // Even when its text looks like a transport's.
  absl::Status s =
      client::FromGrpc(rpc::ToGrpcStatus(absl::InternalError("storage failed after RST_STREAM")));
  EXPECT_EQ(s.code(), absl::StatusCode::kInternal);
  EXPECT_EQ(s.message(), "storage failed after RST_STREAM");
}

TEST(FromGrpcTest, EveryServerErrorCarriesDetailsAndCodesRoundTrip) {
  for (absl::Status core :
       {absl::NotFoundError("no such form"), absl::PermissionDeniedError("scope"),
        absl::FailedPreconditionError("gap"), absl::InternalError("bug")}) {
    grpc::Status wire = rpc::ToGrpcStatus(core);
    EXPECT_FALSE(wire.error_details().empty()) << core;
    EXPECT_EQ(client::FromGrpc(wire).code(), core.code());
  }
  absl::Status bad = client::FromGrpc(
      rpc::ToGrpcStatus(InvalidFieldsError("refused", {{"age", "must be at least 0"}})));
  ASSERT_EQ(client::FieldErrorsOf(bad).size(), 1u);
  EXPECT_EQ(client::FieldErrorsOf(bad)[0].field, "age");
  EXPECT_TRUE(IsResyncRequired(client::FromGrpc(rpc::ToGrpcStatus(ResyncRequiredError("old")))));
}

TEST(DiskFullTest, TheSdkTellsItsOwnDiskFromAServersOverload) {
  EXPECT_TRUE(client::IsDiskFull(DiskFullError("disk full: no space left on this device")));
  // A server's RESOURCE_EXHAUSTED (busy), whatever it says, is not this device's disk.
  absl::Status busy =
      client::FromGrpc(rpc::ToGrpcStatus(absl::ResourceExhaustedError("disk full on the server")));
  EXPECT_EQ(busy.code(), absl::StatusCode::kResourceExhausted);
  EXPECT_FALSE(client::IsDiskFull(busy));
}

}  // namespace
}  // namespace fieldsync
