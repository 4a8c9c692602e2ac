// GrpcTransport: the Transport over a gRPC channel to fieldsyncd (TLS unless plaintext is
// asked for), with a deadline on every call, keepalive settings for mobile links and gzip.
#ifndef FIELDSYNC_CLIENT_SDK_SRC_GRPC_TRANSPORT_H_
#define FIELDSYNC_CLIENT_SDK_SRC_GRPC_TRANSPORT_H_

#include <grpcpp/grpcpp.h>

#include <memory>

#include "client-sdk/src/transport.h"
#include "fieldsync/client.h"

namespace fieldsync::client {

// The channel arguments the SDK uses (exposed for tests): keepalive pings every 30 s while
// a call is open, none when idle (radios sleep), 10 s to answer; gzip if options.gzip.
grpc::ChannelArguments ChannelArgs(const ServerOptions& options);

// grpc::Status -> absl::Status: same code and message; a fieldsync.v1.ResyncRequired detail
// becomes ResyncRequiredError(), a google.rpc.BadRequest becomes InvalidFieldsError().
absl::Status FromGrpc(const grpc::Status& s);

// INVALID_ARGUMENT if options.target is empty.
absl::StatusOr<std::unique_ptr<Transport>> NewGrpcTransport(const ServerOptions& options);

}  // namespace fieldsync::client

#endif  // FIELDSYNC_CLIENT_SDK_SRC_GRPC_TRANSPORT_H_
