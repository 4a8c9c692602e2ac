// Core absl::Status -> grpc::Status, with a google.rpc.Status in the error details of every
// error (so a client can tell a status this server made from one its own gRPC library made):
// BadRequest for per-field violations, fieldsync.v1.ResyncRequired for a cursor that needs a
// full resync, RetryInfo for overload.
#ifndef FIELDSYNC_SERVER_RPC_GRPC_STATUS_H_
#define FIELDSYNC_SERVER_RPC_GRPC_STATUS_H_

#include <grpcpp/support/status.h>

#include "absl/status/status.h"

namespace fieldsync::rpc {

grpc::Status ToGrpcStatus(const absl::Status& s);

}  // namespace fieldsync::rpc

#endif  // FIELDSYNC_SERVER_RPC_GRPC_STATUS_H_
