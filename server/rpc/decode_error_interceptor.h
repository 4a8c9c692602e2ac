// Reports a request that cannot be decoded as INVALID_ARGUMENT with a message saying so.
//
// For unary and server-streaming methods gRPC 1.51 decodes the request before the handler
// and, when that fails, ends the call itself with INTERNAL and an empty message: a client
// would take its own bad request for a server fault and retry it. This interceptor sees the
// failed decoding (POST_RECV_MESSAGE without a message) and rewrites that status. Client- and
// bidi-streaming methods decode in their handler instead (SyncServiceImpl::PushBatches),
// because there a failed read looks the same as the end of the stream.
#ifndef FIELDSYNC_SERVER_RPC_DECODE_ERROR_INTERCEPTOR_H_
#define FIELDSYNC_SERVER_RPC_DECODE_ERROR_INTERCEPTOR_H_

#include <grpcpp/support/server_interceptor.h>

namespace fieldsync::rpc {

class DecodeErrorInterceptorFactory final
    : public grpc::experimental::ServerInterceptorFactoryInterface {
 public:
  grpc::experimental::Interceptor* CreateServerInterceptor(
      grpc::experimental::ServerRpcInfo* info) override;
};

}  // namespace fieldsync::rpc

#endif  // FIELDSYNC_SERVER_RPC_DECODE_ERROR_INTERCEPTOR_H_
