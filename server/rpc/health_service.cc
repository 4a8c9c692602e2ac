#include "server/rpc/health_service.h"

#include <chrono>

namespace fieldsync::rpc {

using grpc::health::v1::HealthCheckResponse;

void HealthServiceImpl::SetServing(bool serving) {
  std::lock_guard<std::mutex> l(mu_);
  serving_ = serving;
  cv_.notify_all();
}

void HealthServiceImpl::Shutdown() {
  std::lock_guard<std::mutex> l(mu_);
  serving_ = false;
  shutdown_ = true;
  cv_.notify_all();
}

bool HealthServiceImpl::Known(const std::string& service) const {
  return service.empty() || service == "fieldsync.v1.SyncService" ||
         service == "fieldsync.v1.FormService";
}

HealthCheckResponse::ServingStatus HealthServiceImpl::StatusOf(const std::string& service) const {
  if (!serving_) return HealthCheckResponse::NOT_SERVING;
  if (service == "fieldsync.v1.SyncService" && writable_ && !writable_()) {
    return HealthCheckResponse::NOT_SERVING;
  }
  return HealthCheckResponse::SERVING;
}

grpc::Status HealthServiceImpl::Check(grpc::ServerContext*,
                                      const grpc::health::v1::HealthCheckRequest* req,
                                      HealthCheckResponse* resp) {
  if (!Known(req->service())) return grpc::Status(grpc::StatusCode::NOT_FOUND, "unknown service");
  std::lock_guard<std::mutex> l(mu_);
  resp->set_status(StatusOf(req->service()));
  return grpc::Status::OK;
}

grpc::Status HealthServiceImpl::Watch(grpc::ServerContext* ctx,
                                      const grpc::health::v1::HealthCheckRequest* req,
                                      grpc::ServerWriter<HealthCheckResponse>* writer) {
  std::unique_lock<std::mutex> l(mu_);
  bool sent = false;
  HealthCheckResponse::ServingStatus last = HealthCheckResponse::UNKNOWN;
  while (!ctx->IsCancelled()) {
    // Re-evaluated at every wake (a write stall changes without a SetServing call).
    const HealthCheckResponse::ServingStatus now =
        Known(req->service()) ? StatusOf(req->service()) : HealthCheckResponse::SERVICE_UNKNOWN;
    if (!sent || now != last) {
      sent = true;
      last = now;
      HealthCheckResponse resp;
      resp.set_status(now);
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
