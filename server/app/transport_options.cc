#include "server/app/transport_options.h"

#include <grpc/compression.h>

#include <algorithm>
#include <limits>

#include "server/app/inflate_limit.h"

namespace fieldsync {

namespace {

int ClampToInt(int64_t v) {
  return static_cast<int>(std::clamp<int64_t>(v, 0, std::numeric_limits<int>::max()));
}

}  // namespace

void ApplyTransportOptions(const TransportOptions& options, grpc::ServerBuilder* builder) {
  const int max_message = static_cast<int>(
      std::min<size_t>(options.max_message_bytes, std::numeric_limits<int>::max()));
  builder->SetMaxReceiveMessageSize(max_message);
  builder->SetMaxSendMessageSize(max_message);
  // gzip stays accepted (devices save about 80% of their upload with it); what it inflates to
  // is bounded by the limit above, before any handler or authentication runs.
  SetInflateLimit(static_cast<size_t>(max_message));
  builder->AddChannelArgument(GRPC_ARG_SERVER_HANDSHAKE_TIMEOUT_MS,
                              ClampToInt(options.handshake_timeout_ms));
  builder->AddChannelArgument(GRPC_ARG_MAX_CONNECTION_IDLE_MS,
                              ClampToInt(options.max_connection_idle_ms));
  builder->AddChannelArgument(GRPC_ARG_KEEPALIVE_TIME_MS, ClampToInt(options.keepalive_time_ms));
  builder->AddChannelArgument(GRPC_ARG_KEEPALIVE_TIMEOUT_MS,
                              ClampToInt(options.keepalive_timeout_ms));
  // Devices keep a connection warm with pings only while a call is open (client.h); allowing
  // them without calls too costs nothing, as idle connections are closed above.
  builder->AddChannelArgument(GRPC_ARG_KEEPALIVE_PERMIT_WITHOUT_CALLS, 1);
  builder->AddChannelArgument(GRPC_ARG_HTTP2_MIN_RECV_PING_INTERVAL_WITHOUT_DATA_MS,
                              ClampToInt(options.min_client_ping_interval_ms));
  builder->AddChannelArgument(GRPC_ARG_HTTP2_MAX_PING_STRIKES, 2);
}

}  // namespace fieldsync
