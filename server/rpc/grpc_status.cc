#include "server/rpc/grpc_status.h"

#include "fieldsync/v1/sync.pb.h"
#include "google/protobuf/duration.pb.h"
#include "google/rpc/error_details.pb.h"
#include "google/rpc/status.pb.h"
#include "server/common/model.h"
#include "server/common/status.h"

namespace fieldsync::rpc {

grpc::Status ToGrpcStatus(const absl::Status& s) {
  if (s.ok()) return grpc::Status::OK;
  const auto code = static_cast<grpc::StatusCode>(s.code());
  google::rpc::Status details;
  details.set_code(static_cast<int>(s.code()));
  details.set_message(std::string(s.message()));
  if (auto violations = FieldViolations(s); !violations.empty()) {
    google::rpc::BadRequest bad;
    for (const auto& v : violations) {
      auto* fv = bad.add_field_violations();
      fv->set_field(v.field);
      fv->set_description(v.description);
    }
    details.add_details()->PackFrom(bad);
  }
  if (IsResyncRequired(s)) {
    v1::ResyncRequired resync;
    resync.set_reason(std::string(s.message()));
    details.add_details()->PackFrom(resync);
  }
  if (s.code() == absl::StatusCode::kResourceExhausted ||
      s.code() == absl::StatusCode::kUnavailable) {
    google::rpc::RetryInfo retry;
    // The core's own hint (WithRetryDelay) when it has one, else one second.
    const int64_t delay_ms = RetryDelayMs(s);
    if (delay_ms >= 0) {
      retry.mutable_retry_delay()->set_seconds(delay_ms / 1000);
      retry.mutable_retry_delay()->set_nanos(static_cast<int32_t>(delay_ms % 1000) * 1'000'000);
    } else {
      retry.mutable_retry_delay()->set_seconds(1);
    }
    details.add_details()->PackFrom(retry);
  }
  // Details go with every error, even without a detail message: a client tells a status this
  // server made (INTERNAL: our failure, not retried) from one its gRPC library made (a reset
  // stream, also INTERNAL, retried) by their presence, not by the words of the message.
  return grpc::Status(code, std::string(s.message()), details.SerializeAsString());
}

}  // namespace fieldsync::rpc
