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
#include "server/aggregation/consumer.h"
#include "server/aggregation/query.h"
#include "server/aggregation/sources.h"
#include "server/app/config.h"
#include "server/audit/audit_log.h"
#include "server/auth/device_registry.h"
#include "server/auth/enrollment.h"
#include "server/auth/limits.h"
#include "server/common/clock.h"
#include "server/export/exporter.h"
#include "server/forms/form_registry.h"
#include "server/forms/pseudonymizer.h"
#include "server/http/admin_http.h"
#include "server/metrics/metrics.h"
#include "server/openrosa/openrosa_http.h"
#include "server/openrosa/submission.h"
#include "server/rpc/admin_service.h"
#include "server/rpc/aggregation_service.h"
#include "server/rpc/attachment_service.h"
#include "server/rpc/auth_guard.h"
#include "server/rpc/bundle_service.h"
#include "server/rpc/export_service.h"
#include "server/rpc/form_service.h"
#include "server/rpc/health_service.h"
#include "server/rpc/identity_service.h"
#include "server/rpc/sync_service.h"
#include "server/storage/aggregate_store.h"
#include "server/storage/store.h"
#include "server/sync/sync_engine.h"
#include "server/webhook/dispatcher.h"

namespace fieldsync {

class FieldsyncServer {
 public:
  // Opens the store, publishes forms from config.forms_dir, binds and starts serving.
  static absl::StatusOr<std::unique_ptr<FieldsyncServer>> Start(const ServerConfig& config,
                                                                Clock* clock);
  ~FieldsyncServer();

  // The bound port (useful with port 0).
  int port() const { return port_; }
  // The admin HTTP port; 0 when it is off.
  int admin_port() const { return admin_http_ ? admin_http_->port() : 0; }

  // Health to NOT_SERVING, stops accepting calls, lets running calls finish until
  // `grace` and cancels the rest, stops background work, flushes and closes the store.
  // Idempotent.
  void Shutdown(std::chrono::milliseconds grace);

  Store* store() { return store_.get(); }
  DeviceRegistry* devices() { return devices_.get(); }
  FormRegistry* forms() { return forms_.get(); }
  AuditLog* audit() { return audit_.get(); }
  // Null with --no-aggregation (for /metrics: Verify drift counters, consumer freshness).
  aggregation::AggregationQueries* aggregation_queries() { return agg_queries_.get(); }
  aggregation::AggregationConsumer* aggregation_consumer() { return agg_consumer_.get(); }

 private:
  FieldsyncServer() = default;
  void RetentionLoop();
  // server_ops.cc: scrape-time gauges and the admin HTTP port.
  void RegisterGauges();
  absl::Status StartAdminHttp();
  absl::Status StartOpenRosa();
  // Builds the admin cores and AdminService over the running engine.
  absl::Status StartAdmin();
  // Opens the blob store and builds AttachmentService.
  absl::Status StartAttachments();
  // Opens the aggregate store and builds the embedded consumer and AggregationService.
  absl::Status StartAggregation();
  // Builds the export core and ExportService (issue 15).
  absl::Status StartExport();

  ServerConfig config_;
  Clock* clock_ = nullptr;
  std::unique_ptr<Pseudonymizer> pseudonymizer_;
  std::unique_ptr<DeviceLimits> limits_;
  std::unique_ptr<Store> store_;
  std::unique_ptr<FormRegistry> forms_;
  std::unique_ptr<DeviceRegistry> devices_;
  std::unique_ptr<AuditLog> audit_;
  std::unique_ptr<Enrollment> enrollment_;
  std::unique_ptr<rpc::IdentityServiceImpl> identity_service_;
  std::unique_ptr<SyncEngine> engine_;
  std::unique_ptr<rpc::AuthGuard> guard_;
  std::unique_ptr<rpc::SyncServiceImpl> sync_service_;
  std::unique_ptr<rpc::FormServiceImpl> form_service_;
  std::unique_ptr<BundleImporter> bundle_importer_;
  std::unique_ptr<rpc::BundleServiceImpl> bundle_service_;
  std::unique_ptr<rpc::HealthServiceImpl> health_service_;
  // Attachments (issue 13): blob bytes, who may download what, AttachmentService.
  std::unique_ptr<BlobStore> blobs_;
  std::unique_ptr<AttachmentAccess> attachment_access_;
  std::unique_ptr<rpc::AttachmentServiceImpl> attachment_service_;
  // AdminService (issue 6) and the cores behind it.
  std::unique_ptr<admin::ConflictResolver> resolver_;
  std::unique_ptr<admin::QuarantineReplayer> replayer_;
  std::unique_ptr<admin::FleetStatus> fleet_;
  std::unique_ptr<admin::ConflictReview> conflict_review_;
  std::unique_ptr<admin::QuarantineReview> quarantine_review_;
  std::unique_ptr<Backups> backups_;  // null without --backup-dir
  // Webhooks (issue 15): delivery workers over the local change feed.
  std::unique_ptr<webhook::HttplibPoster> webhook_poster_;
  std::unique_ptr<webhook::WebhookDispatcher> webhooks_;
  std::unique_ptr<rpc::AdminServiceImpl> admin_service_;
  // Aggregation (issue 4): the embedded consumer over the local feed, its own RocksDB and
  // AggregationService; all null with --no-aggregation.
  std::unique_ptr<AggregateStore> agg_store_;
  std::unique_ptr<aggregation::RegistryFormSource> agg_forms_;
  std::unique_ptr<aggregation::StoreRecordSource> agg_records_;
  std::unique_ptr<aggregation::AggregationConsumer> agg_consumer_;
  std::unique_ptr<aggregation::AggregationQueries> agg_queries_;
  std::unique_ptr<rpc::AggregationServiceImpl> aggregation_service_;
  // Exports (issue 15).
  std::unique_ptr<exporting::StoreRecordSource> export_source_;
  std::unique_ptr<exporting::Exporter> exporter_;
  std::unique_ptr<rpc::ExportServiceImpl> export_service_;
  std::unique_ptr<Metrics> metrics_;
  std::unique_ptr<AdminHttpServer> admin_http_;
  std::unique_ptr<openrosa::SubmissionCore> openrosa_core_;
  std::unique_ptr<openrosa::OpenRosaHttpServer> openrosa_http_;
  std::atomic<bool> serving_{false};  // /healthz
  std::unique_ptr<grpc::Server> server_;
  int port_ = 0;

  std::mutex mu_;
  std::condition_variable cv_;
  bool stopping_ = false;
  std::thread retention_thread_;
};

// Opens the store behind `config` (for offline admin commands).
absl::StatusOr<std::unique_ptr<Store>> OpenStore(const ServerConfig& config);

// The byte budget of one page of a paged answer: below --max-message-bytes, so that any
// stored content can be listed.
size_t PageBytes(const ServerConfig& config);

// Identity settings of `config`, for the server and the offline commands alike.
DeviceRegistryOptions RegistryOptionsOf(const ServerConfig& config);
EnrollmentOptions EnrollmentOptionsOf(const ServerConfig& config);

}  // namespace fieldsync

#endif  // FIELDSYNC_SERVER_APP_SERVER_H_
