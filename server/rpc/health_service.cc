#include "server/rpc/health_service.h"

#include <chrono>

namespace fieldsync::rpc {

using grpc::health::v1::HealthCheckResponse;

void HealthServiceImpl::SetServing(bool serving) {
  std::lock_guard<std::mutex> l(mu_);
  serving_ = serving;
  ++generation_;
  cv_.notify_all();
}

void HealthServiceImpl::Shutdown() {
  std::lock_guard<std::mutex> l(mu_);
  serving_ = false;
  shutdown_ = true;
  ++generation_;
  cv_.notify_all();
}

bool HealthServiceImpl::Known(const std::string& service) const {
  return service.empty() || service == "fieldsync.v1.SyncService" ||
         service == "fieldsync.v1.FormService";
}

grpc::Status HealthServiceImpl::Check(grpc::ServerContext*,
                                      const grpc::health::v1::HealthCheckRequest* req,
                                      HealthCheckResponse* resp) {
  if (!Known(req->service())) return grpc::Status(grpc::StatusCode::NOT_FOUND, "unknown service");
  std::lock_guard<std::mutex> l(mu_);
  resp->set_status(serving_ ? HealthCheckResponse::SERVING : HealthCheckResponse::NOT_SERVING);
  return grpc::Status::OK;
}

grpc::Status HealthServiceImpl::Watch(grpc::ServerContext* ctx,
                                      const grpc::health::v1::HealthCheckRequest* req,
                                      grpc::ServerWriter<HealthCheckResponse>* writer) {
  std::unique_lock<std::mutex> l(mu_);
  uint64_t seen = generation_ + 1;  // force a first write
  while (!ctx->IsCancelled()) {
    if (seen != generation_) {
      seen = generation_;
      HealthCheckResponse resp;
      if (!Known(req->service())) {
        resp.set_status(HealthCheckResponse::SERVICE_UNKNOWN);
      } else {
        resp.set_status(serving_ ? HealthCheckResponse::SERVING : HealthCheckResponse::NOT_SERVING);
      }
      l.unlock();
      const bool ok = writer->Write(resp);
      l.lock();
      if (!ok) break;
    }
    if (shutdown_) break;
    cv_.wait_for(l, std::chrono::milliseconds(200));
  }
  return grpc::Status::OK;
}

}  // namespace fieldsync::rpc
