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
  // A connection must finish its TLS handshake and send its HTTP/2 settings within this time,
  // or it is closed (a client that connects and never speaks holds nothing for long).
  int64_t handshake_timeout_ms = 10'000;
  // A connection with no call open for this long is closed (GOAWAY).
  int64_t max_connection_idle_ms = 5 * 60'000;
  // With calls open, the server pings the client after this much silence and closes the
  // connection when no answer comes within keepalive_timeout_ms: a device that vanished
  // mid-stream (half-open TCP) frees its streams.
  int64_t keepalive_time_ms = 2 * 60'000;
  int64_t keepalive_timeout_ms = 20'000;
  // Client pings more often than this (without data) count as strikes; two strikes close
  // the connection.
  int64_t min_client_ping_interval_ms = 10'000;
};

// Sets `options` on `builder`, and bounds this process's inflation of compressed messages to
// options.max_message_bytes (inflate_limit.h). Call before BuildAndStart.
void ApplyTransportOptions(const TransportOptions& options, grpc::ServerBuilder* builder);

}  // namespace fieldsync

#endif  // FIELDSYNC_SERVER_APP_TRANSPORT_OPTIONS_H_
