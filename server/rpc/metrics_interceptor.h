// Records the standard grpc_server_* metrics for every call through a gRPC server interceptor
// (interceptors can observe calls in gRPC 1.51; they cannot reject them, which is why
// authentication lives in AuthGuard instead).
#ifndef FIELDSYNC_SERVER_RPC_METRICS_INTERCEPTOR_H_
#define FIELDSYNC_SERVER_RPC_METRICS_INTERCEPTOR_H_

#include <grpcpp/support/server_interceptor.h>

#include "server/metrics/metrics.h"

namespace fieldsync::rpc {

class MetricsInterceptorFactory final
    : public grpc::experimental::ServerInterceptorFactoryInterface {
 public:
  // `metrics` is not owned and must outlive the server.
  explicit MetricsInterceptorFactory(Metrics* metrics) : metrics_(metrics) {}
  grpc::experimental::Interceptor* CreateServerInterceptor(
      grpc::experimental::ServerRpcInfo* info) override;

 private:
  Metrics* metrics_;
};

}  // namespace fieldsync::rpc

#endif  // FIELDSYNC_SERVER_RPC_METRICS_INTERCEPTOR_H_
