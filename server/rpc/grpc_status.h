// Core absl::Status -> grpc::Status, with google.rpc error details: BadRequest for
// per-field violations, fieldsync.v1.ResyncRequired for a cursor that needs a full resync,
// RetryInfo for overload.
#ifndef FIELDSYNC_SERVER_RPC_GRPC_STATUS_H_
#define FIELDSYNC_SERVER_RPC_GRPC_STATUS_H_

#include <grpcpp/support/status.h>

#include "absl/status/status.h"

namespace fieldsync::rpc {

grpc::Status ToGrpcStatus(const absl::Status& s);

}  // namespace fieldsync::rpc

#endif  // FIELDSYNC_SERVER_RPC_GRPC_STATUS_H_
