// fieldsync.v1.AdminService over the admin cores (server/admin), the backup engine wrapper
// (server/storage/backup.h) and the audit log. Handlers: who is calling, proto to core
// request, one core call, status back.
#ifndef FIELDSYNC_SERVER_RPC_ADMIN_SERVICE_H_
#define FIELDSYNC_SERVER_RPC_ADMIN_SERVICE_H_

#include <atomic>
#include <condition_variable>
#include <mutex>

#include "fieldsync/v1/admin.grpc.pb.h"
#include "server/admin/fleet_status.h"
#include "server/admin/review.h"
#include "server/audit/audit_log.h"
#include "server/rpc/auth_guard.h"
#include "server/storage/backup.h"
#include "server/storage/store.h"
#include "server/webhook/dispatcher.h"

namespace fieldsync::rpc {

struct AdminServiceLimits {
  uint32_t default_poll_ms = 1000;  // WatchSyncStatus comparison period
  uint32_t min_poll_ms = 100;
  uint32_t max_poll_ms = 60'000;
};

// The parts the service drives; none owned. `backups` may be null (no --backup-dir): the
// backup calls then fail with FAILED_PRECONDITION.
struct AdminServiceDeps {
  const AuthGuard* guard = nullptr;
  admin::FleetStatus* fleet = nullptr;
  admin::ConflictReview* conflicts = nullptr;
  admin::QuarantineReview* quarantine = nullptr;
  Backups* backups = nullptr;
  Store* store = nullptr;
  AuditLog* audit = nullptr;
  // Null: the webhook calls fail with FAILED_PRECONDITION.
  webhook::WebhookDispatcher* webhooks = nullptr;
};

class AdminServiceImpl final : public v1::AdminService::Service {
 public:
  AdminServiceImpl(AdminServiceDeps deps, AdminServiceLimits limits)
      : deps_(deps), limits_(limits) {}

  // Ends open WatchSyncStatus streams (shutdown).
  void Shutdown();

  grpc::Status ListDevices(grpc::ServerContext* ctx, const v1::ListDevicesRequest* req,
                           v1::ListDevicesResponse* resp) override;
  grpc::Status GetSyncOverview(grpc::ServerContext* ctx, const v1::GetSyncOverviewRequest* req,
                               v1::SyncOverview* resp) override;
  grpc::Status WatchSyncStatus(grpc::ServerContext* ctx, const v1::WatchSyncStatusRequest* req,
                               grpc::ServerWriter<v1::DeviceStatusEvent>* writer) override;
  grpc::Status ListConflicts(grpc::ServerContext* ctx, const v1::ListConflictsRequest* req,
                             v1::ListConflictsResponse* resp) override;
  grpc::Status GetConflict(grpc::ServerContext* ctx, const v1::GetConflictRequest* req,
                           v1::Conflict* resp) override;
  grpc::Status ResolveConflict(grpc::ServerContext* ctx, const v1::ResolveConflictRequest* req,
                               v1::ResolveConflictResponse* resp) override;
  grpc::Status ListQuarantine(grpc::ServerContext* ctx, const v1::ListQuarantineRequest* req,
                              v1::ListQuarantineResponse* resp) override;
  grpc::Status ReplayQuarantined(grpc::ServerContext* ctx, const v1::ReplayQuarantinedRequest* req,
                                 v1::ReplayQuarantinedResponse* resp) override;
  grpc::Status DiscardQuarantined(grpc::ServerContext* ctx,
                                  const v1::DiscardQuarantinedRequest* req,
                                  v1::DiscardQuarantinedResponse* resp) override;
  grpc::Status CreateBackup(grpc::ServerContext* ctx, const v1::CreateBackupRequest* req,
                            v1::BackupInfo* resp) override;
  grpc::Status ListBackups(grpc::ServerContext* ctx, const v1::ListBackupsRequest* req,
                           v1::ListBackupsResponse* resp) override;
  grpc::Status VerifyBackup(grpc::ServerContext* ctx, const v1::VerifyBackupRequest* req,
                            v1::VerifyBackupResponse* resp) override;
  // admin_webhooks.cc
  grpc::Status AddWebhook(grpc::ServerContext* ctx, const v1::AddWebhookRequest* req,
                          v1::WebhookTargetInfo* resp) override;
  grpc::Status ListWebhooks(grpc::ServerContext* ctx, const v1::ListWebhooksRequest* req,
                            v1::ListWebhooksResponse* resp) override;
  grpc::Status RemoveWebhook(grpc::ServerContext* ctx, const v1::RemoveWebhookRequest* req,
                             v1::RemoveWebhookResponse* resp) override;
  grpc::Status ListDeadLetters(grpc::ServerContext* ctx, const v1::ListDeadLettersRequest* req,
                               v1::ListDeadLettersResponse* resp) override;
  grpc::Status ReplayDeadLetters(grpc::ServerContext* ctx, const v1::ReplayDeadLettersRequest* req,
                                 v1::ReplayDeadLettersResponse* resp) override;

 private:
  AdminServiceDeps deps_;
  AdminServiceLimits limits_;
  std::mutex mu_;
  std::condition_variable cv_;
  bool shutting_down_ = false;  // guarded by mu_
};

}  // namespace fieldsync::rpc

#endif  // FIELDSYNC_SERVER_RPC_ADMIN_SERVICE_H_
