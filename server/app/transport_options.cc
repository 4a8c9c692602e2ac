#include "server/app/transport_options.h"

#include <grpc/compression.h>

#include <algorithm>
#include <limits>

#include "server/app/inflate_limit.h"

namespace fieldsync {

void ApplyTransportOptions(const TransportOptions& options, grpc::ServerBuilder* builder) {
  const int max_message = static_cast<int>(
      std::min<size_t>(options.max_message_bytes, std::numeric_limits<int>::max()));
  builder->SetMaxReceiveMessageSize(max_message);
  builder->SetMaxSendMessageSize(max_message);
  // gzip stays accepted (devices save about 80% of their upload with it); what it inflates to
  // is bounded by the limit above, before any handler or authentication runs.
  SetInflateLimit(static_cast<size_t>(max_message));
  builder->AddChannelArgument(GRPC_ARG_KEEPALIVE_PERMIT_WITHOUT_CALLS, 1);
  builder->AddChannelArgument(GRPC_ARG_HTTP2_MIN_RECV_PING_INTERVAL_WITHOUT_DATA_MS, 10'000);
}

}  // namespace fieldsync
