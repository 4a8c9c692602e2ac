// The gRPC transport settings every listener of ours applies (fieldsyncd and the separate
// aggregator): message size, the bound on inflating compressed messages, and keepalive.
#ifndef FIELDSYNC_SERVER_APP_TRANSPORT_OPTIONS_H_
#define FIELDSYNC_SERVER_APP_TRANSPORT_OPTIONS_H_

#include <grpcpp/server_builder.h>

#include <cstddef>
#include <cstdint>

namespace fieldsync {

struct TransportOptions {
  // Largest message received or sent, compressed or inflated (RESOURCE_EXHAUSTED beyond).
  size_t max_message_bytes = 4 << 20;
};

// Sets `options` on `builder`, and bounds this process's inflation of compressed messages to
// options.max_message_bytes (inflate_limit.h). Call before BuildAndStart.
void ApplyTransportOptions(const TransportOptions& options, grpc::ServerBuilder* builder);

}  // namespace fieldsync

#endif  // FIELDSYNC_SERVER_APP_TRANSPORT_OPTIONS_H_
