// grpc.health.v1.Health, generated from the standard proto (so server reflection lists it),
// with a serving flag the server flips to NOT_SERVING on shutdown. Unauthenticated, as load
// balancers and probes expect. Thread-safe.
#ifndef FIELDSYNC_SERVER_RPC_HEALTH_SERVICE_H_
#define FIELDSYNC_SERVER_RPC_HEALTH_SERVICE_H_

#include <condition_variable>
#include <functional>
#include <mutex>

#include "grpc/health/v1/health.grpc.pb.h"

namespace fieldsync::rpc {

class HealthServiceImpl final : public grpc::health::v1::Health::Service {
 public:
  void SetServing(bool serving);
  // While `writable` answers false (the store has stopped writes: Store::GetWriteStall),
  // "fieldsync.v1.SyncService" is NOT_SERVING: pushes are refused with UNAVAILABLE, while the
  // server as a whole ("") stays SERVING, as reads still work. Set before serving.
  void set_writable_probe(std::function<bool()> writable) { writable_ = std::move(writable); }
  // Ends Watch streams.
  void Shutdown();

  grpc::Status Check(grpc::ServerContext* ctx, const grpc::health::v1::HealthCheckRequest* req,
                     grpc::health::v1::HealthCheckResponse* resp) override;
  grpc::Status Watch(grpc::ServerContext* ctx, const grpc::health::v1::HealthCheckRequest* req,
                     grpc::ServerWriter<grpc::health::v1::HealthCheckResponse>* writer) override;

 private:
  // NOT_FOUND for services this server does not have.
  bool Known(const std::string& service) const;
  // SERVING or NOT_SERVING for a known service; mu_ held.
  grpc::health::v1::HealthCheckResponse::ServingStatus StatusOf(const std::string& service) const;
  std::function<bool()> writable_;
  std::mutex mu_;
  std::condition_variable cv_;
  bool serving_ = false;
  bool shutdown_ = false;
};

}  // namespace fieldsync::rpc

#endif  // FIELDSYNC_SERVER_RPC_HEALTH_SERVICE_H_
