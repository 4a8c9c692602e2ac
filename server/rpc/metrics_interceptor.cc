#include "server/rpc/metrics_interceptor.h"

#include <chrono>

namespace fieldsync::rpc {
namespace {

using grpc::experimental::InterceptionHookPoints;

RpcType TypeOf(grpc::experimental::ServerRpcInfo::Type t) {
  using T = grpc::experimental::ServerRpcInfo::Type;
  switch (t) {
    case T::CLIENT_STREAMING:
      return RpcType::kClientStream;
    case T::SERVER_STREAMING:
      return RpcType::kServerStream;
    case T::BIDI_STREAMING:
      return RpcType::kBidiStream;
    default:
      return RpcType::kUnary;
  }
}

class MetricsInterceptor final : public grpc::experimental::Interceptor {
 public:
  MetricsInterceptor(Metrics* metrics, grpc::experimental::ServerRpcInfo* info)
      : metrics_(metrics),
        call_(metrics->StartRpc(info->method(), TypeOf(info->type()))),
        start_(std::chrono::steady_clock::now()) {}

  // A call torn down without sending a status (client went away) counts as Canceled.
  ~MetricsInterceptor() override {
    if (!ended_) End(grpc::StatusCode::CANCELLED);
  }

  void Intercept(grpc::experimental::InterceptorBatchMethods* methods) override {
    if (methods->QueryInterceptionHookPoint(InterceptionHookPoints::POST_RECV_MESSAGE) &&
        methods->GetRecvMessage() != nullptr) {
      call_.msg_received->Increment();
    }
    if (methods->QueryInterceptionHookPoint(InterceptionHookPoints::PRE_SEND_MESSAGE)) {
      call_.msg_sent->Increment();
    }
    if (methods->QueryInterceptionHookPoint(InterceptionHookPoints::PRE_SEND_STATUS)) {
      End(methods->GetSendStatus().error_code());
    }
    methods->Proceed();
  }

 private:
  void End(grpc::StatusCode code) {
    ended_ = true;
    std::chrono::duration<double> d = std::chrono::steady_clock::now() - start_;
    metrics_->EndRpc(call_, static_cast<int>(code), d.count());
  }

  Metrics* metrics_;
  RpcCallMetrics call_;
  std::chrono::steady_clock::time_point start_;
  bool ended_ = false;
};

}  // namespace

grpc::experimental::Interceptor* MetricsInterceptorFactory::CreateServerInterceptor(
    grpc::experimental::ServerRpcInfo* info) {
  return new MetricsInterceptor(metrics_, info);
}

}  // namespace fieldsync::rpc
