#include "server/rpc/decode_error_interceptor.h"

#include <string>

#include "absl/strings/str_cat.h"

namespace fieldsync::rpc {
namespace {

using grpc::experimental::InterceptionHookPoints;
using grpc::experimental::ServerRpcInfo;

class DecodeErrorInterceptor final : public grpc::experimental::Interceptor {
 public:
  explicit DecodeErrorInterceptor(ServerRpcInfo* info) : info_(info) {}

  void Intercept(grpc::experimental::InterceptorBatchMethods* methods) override {
    // Only where the request is one message decoded by gRPC: there a missing message after
    // receiving means it did not decode (a stream's reads end with none at their end too).
    const bool single_request = info_->type() == ServerRpcInfo::Type::UNARY ||
                                info_->type() == ServerRpcInfo::Type::SERVER_STREAMING;
    if (single_request &&
        methods->QueryInterceptionHookPoint(InterceptionHookPoints::POST_RECV_MESSAGE) &&
        methods->GetRecvMessage() == nullptr) {
      undecodable_ = true;
    }
    if (undecodable_ &&
        methods->QueryInterceptionHookPoint(InterceptionHookPoints::PRE_SEND_STATUS) &&
        methods->GetSendStatus().error_code() == grpc::StatusCode::INTERNAL) {
      methods->ModifySendStatus(grpc::Status(
          grpc::StatusCode::INVALID_ARGUMENT,
          absl::StrCat("the request to ", info_->method(),
                       " could not be decoded (malformed protobuf, or invalid UTF-8 in a string "
                       "field)")));
    }
    methods->Proceed();
  }

 private:
  ServerRpcInfo* info_;
  bool undecodable_ = false;
};

}  // namespace

grpc::experimental::Interceptor* DecodeErrorInterceptorFactory::CreateServerInterceptor(
    ServerRpcInfo* info) {
  return new DecodeErrorInterceptor(info);
}

}  // namespace fieldsync::rpc
