// Request ids and audit entries for calls, shared by the gRPC services.
#ifndef FIELDSYNC_SERVER_RPC_REQUEST_ID_H_
#define FIELDSYNC_SERVER_RPC_REQUEST_ID_H_

#include <grpcpp/server_context.h>

#include <string>

#include "absl/status/status.h"
#include "server/audit/audit_log.h"
#include "server/common/model.h"

namespace fieldsync::rpc {

// The call's `x-request-id` when it is 1-64 characters of letters, digits, '-', '_', '.' or
// ':'; otherwise a fresh random id (a client cannot inject arbitrary text into the log).
std::string RequestIdOf(const grpc::ServerContext* ctx);

// Appends an audit entry for `device` reading `target` in this call. The read is refused
// (the error returned) if the entry cannot be written: no unaudited admin reads.
absl::Status AuditRead(AuditLog* audit, const grpc::ServerContext* ctx, const Device& device,
                       const char* action, std::string target);

}  // namespace fieldsync::rpc

#endif  // FIELDSYNC_SERVER_RPC_REQUEST_ID_H_
