// grpc.health.v1.Health, generated from the standard proto (so server reflection lists it),
// with a serving flag the server flips to NOT_SERVING on shutdown. Unauthenticated, as load
// balancers and probes expect. Thread-safe.
#ifndef FIELDSYNC_SERVER_RPC_HEALTH_SERVICE_H_
#define FIELDSYNC_SERVER_RPC_HEALTH_SERVICE_H_

#include <condition_variable>
#include <mutex>

#include "grpc/health/v1/health.grpc.pb.h"

namespace fieldsync::rpc {

class HealthServiceImpl final : public grpc::health::v1::Health::Service {
 public:
  void SetServing(bool serving);
  // Ends Watch streams.
  void Shutdown();

  grpc::Status Check(grpc::ServerContext* ctx, const grpc::health::v1::HealthCheckRequest* req,
                     grpc::health::v1::HealthCheckResponse* resp) override;
  grpc::Status Watch(grpc::ServerContext* ctx, const grpc::health::v1::HealthCheckRequest* req,
                     grpc::ServerWriter<grpc::health::v1::HealthCheckResponse>* writer) override;

 private:
  // NOT_FOUND for services this server does not have.
  bool Known(const std::string& service) const;
  std::mutex mu_;
  std::condition_variable cv_;
  bool serving_ = false;
  bool shutdown_ = false;
  uint64_t generation_ = 0;
};

}  // namespace fieldsync::rpc

#endif  // FIELDSYNC_SERVER_RPC_HEALTH_SERVICE_H_
