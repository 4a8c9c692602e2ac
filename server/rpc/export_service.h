// fieldsync.v1.ExportService over the export core (server/export): who is calling, proto to
// core request, an audit entry, one core call streaming chunks, status back.
#ifndef FIELDSYNC_SERVER_RPC_EXPORT_SERVICE_H_
#define FIELDSYNC_SERVER_RPC_EXPORT_SERVICE_H_

#include <atomic>

#include "fieldsync/v1/export.grpc.pb.h"
#include "server/audit/audit_log.h"
#include "server/export/exporter.h"
#include "server/rpc/auth_guard.h"

namespace fieldsync::rpc {

// Roles that export: supervisors (their scopes), admins and feed readers (every record).
inline constexpr std::initializer_list<Role> kExportRoles = {Role::kSupervisor, Role::kAdmin,
                                                             Role::kFeedReader};

struct ExportServiceLimits {
  // Exports running at once on this server (each holds a store snapshot and, for XLSX, a
  // temporary file); one more is RESOURCE_EXHAUSTED with a retry hint.
  int max_concurrent = 2;
};

class ExportServiceImpl final : public v1::ExportService::Service {
 public:
  // None owned; all must outlive the service. `audit` may not be null: no unaudited export.
  ExportServiceImpl(const AuthGuard* guard, const exporting::Exporter* exporter, AuditLog* audit,
                    ExportServiceLimits limits)
      : guard_(guard), exporter_(exporter), audit_(audit), limits_(limits) {}

  grpc::Status Export(grpc::ServerContext* ctx, const v1::ExportRequest* req,
                      grpc::ServerWriter<v1::ExportChunk>* writer) override;

 private:
  const AuthGuard* guard_;
  const exporting::Exporter* exporter_;
  AuditLog* audit_;
  ExportServiceLimits limits_;
  std::atomic<int> running_{0};
};

}  // namespace fieldsync::rpc

#endif  // FIELDSYNC_SERVER_RPC_EXPORT_SERVICE_H_
