// FieldsyncServer wires the store, the cores and the gRPC services into a running server.
// main.cc and the in-process integration tests use it.
#ifndef FIELDSYNC_SERVER_APP_SERVER_H_
#define FIELDSYNC_SERVER_APP_SERVER_H_

#include <grpcpp/server.h>

#include <atomic>
#include <chrono>
#include <condition_variable>
#include <memory>
#include <mutex>
#include <thread>

#include "absl/status/statusor.h"
#include "server/app/config.h"
#include "server/auth/device_registry.h"
#include "server/common/clock.h"
#include "server/forms/form_registry.h"
#include "server/rpc/auth_guard.h"
#include "server/rpc/form_service.h"
#include "server/rpc/health_service.h"
#include "server/rpc/sync_service.h"
#include "server/storage/store.h"
#include "server/sync/sync_engine.h"

namespace fieldsync {

class FieldsyncServer {
 public:
  // Opens the store, publishes forms from config.forms_dir, binds and starts serving.
  static absl::StatusOr<std::unique_ptr<FieldsyncServer>> Start(const ServerConfig& config,
                                                                Clock* clock);
  ~FieldsyncServer();

  // The bound port (useful with port 0).
  int port() const { return port_; }

  // Health to NOT_SERVING, stops accepting calls, lets running calls finish until
  // `grace` and cancels the rest, stops background work, flushes and closes the store.
  // Idempotent.
  void Shutdown(std::chrono::milliseconds grace);

  Store* store() { return store_.get(); }
  DeviceRegistry* devices() { return devices_.get(); }
  FormRegistry* forms() { return forms_.get(); }

 private:
  FieldsyncServer() = default;
  void RetentionLoop();

  ServerConfig config_;
  Clock* clock_ = nullptr;
  std::unique_ptr<Store> store_;
  std::unique_ptr<FormRegistry> forms_;
  std::unique_ptr<DeviceRegistry> devices_;
  std::unique_ptr<SyncEngine> engine_;
  std::unique_ptr<rpc::AuthGuard> guard_;
  std::unique_ptr<rpc::SyncServiceImpl> sync_service_;
  std::unique_ptr<rpc::FormServiceImpl> form_service_;
  std::unique_ptr<rpc::HealthServiceImpl> health_service_;
  std::unique_ptr<grpc::Server> server_;
  int port_ = 0;

  std::mutex mu_;
  std::condition_variable cv_;
  bool stopping_ = false;
  std::thread retention_thread_;
};

// Opens the store behind `config` (for offline admin commands).
absl::StatusOr<std::unique_ptr<Store>> OpenStore(const ServerConfig& config);

}  // namespace fieldsync

#endif  // FIELDSYNC_SERVER_APP_SERVER_H_
