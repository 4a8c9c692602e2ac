#include "server/app/server.h"

#include <grpcpp/ext/proto_server_reflection_plugin.h>
#include <grpcpp/security/server_credentials.h>
#include <grpcpp/security/tls_certificate_provider.h>
#include <grpcpp/security/tls_credentials_options.h>
#include <grpcpp/server_builder.h>

#include <algorithm>
#include <filesystem>
#include <fstream>
#include <iostream>

#include "absl/strings/str_cat.h"
#include "server/app/form_loader.h"
#include "server/app/offline.h"
#include "server/app/transport_options.h"
#include "server/common/file.h"
#include "server/common/log.h"
#include "server/common/status.h"
#include "server/rpc/decode_error_interceptor.h"
#include "server/rpc/metrics_interceptor.h"

namespace fieldsync {

size_t PageBytes(const ServerConfig& config) {
  // A quarter of the send limit is left for what a page carries besides its entries and for
  // the estimate's error (entities are measured with ApproxWireBytes, an upper estimate).
  return config.max_message_bytes / 4 * 3;
}

absl::StatusOr<std::unique_ptr<Store>> OpenStore(const ServerConfig& config) {
  StoreOptions so;
  so.path = config.data_dir;
  so.block_cache_bytes = config.block_cache_mb << 20;
  so.write_buffer_bytes = config.write_buffer_mb << 20;
  return Store::Open(so);
}

DeviceRegistryOptions RegistryOptionsOf(const ServerConfig& config) {
  DeviceRegistryOptions o;
  o.token_lifetime_ms = config.token_lifetime_ms;
  o.bundle_key_grace_ms = config.bundle_key_grace_ms;
  return o;
}

EnrollmentOptions EnrollmentOptionsOf(const ServerConfig& config) {
  EnrollmentOptions o;
  o.server_address = config.public_address.empty() ? config.listen : config.public_address;
  o.attempts.per_peer = config.enroll_attempts_per_peer;
  o.attempts.global = config.enroll_attempts_global;
  o.attempts.window_ms = config.enroll_attempt_window_ms;
  return o;
}

absl::StatusOr<std::unique_ptr<FieldsyncServer>> FieldsyncServer::Start(const ServerConfig& config,
                                                                        Clock* clock) {
  std::unique_ptr<FieldsyncServer> s(new FieldsyncServer());
  s->config_ = config;
  s->clock_ = clock;
  if (config.pii_key_file.empty()) {
    s->pseudonymizer_ = std::make_unique<Pseudonymizer>();
  } else {
    FS_ASSIGN_OR_RETURN(s->pseudonymizer_, Pseudonymizer::FromKeyFile(config.pii_key_file));
  }
  FS_ASSIGN_OR_RETURN(s->store_, OpenStore(config));
  s->forms_ = std::make_unique<FormRegistry>(s->store_.get(), SchemaLimits{});
  // Forms with pii fields need the key: refuse to publish them without it, and refuse to
  // start if such a form is already published.
  s->forms_->set_publish_check(
      [p = s->pseudonymizer_.get()](const Form& f) { return p->CheckForm(f); });
  {
    FS_ASSIGN_OR_RETURN(std::vector<Form> published, s->forms_->List());
    for (const auto& f : published) FS_RETURN_IF_ERROR(s->pseudonymizer_->CheckForm(f));
  }
  if (!config.forms_dir.empty()) {
    FS_ASSIGN_OR_RETURN(std::vector<Form> forms, LoadFormsDir(config.forms_dir));
    for (const auto& f : forms) {
      FS_RETURN_IF_ERROR_PREPEND(s->forms_->Publish(f).status(),
                                 absl::StrCat("publishing ", f.form_id, " v", f.version));
    }
  }
  FS_ASSIGN_OR_RETURN(s->audit_, AuditLog::Open(s->store_.get(), clock));
  s->devices_ = std::make_unique<DeviceRegistry>(s->store_.get(), clock, s->audit_.get(),
                                                 RegistryOptionsOf(config));
  s->enrollment_ = std::make_unique<Enrollment>(s->store_.get(), clock, s->devices_.get(),
                                                EnrollmentOptionsOf(config));
  FS_ASSIGN_OR_RETURN(s->engine_, SyncEngine::Open(s->store_.get(), s->forms_.get(), clock,
                                                   EngineOptionsOf(config)));
  s->engine_->push()->set_pseudonymizer(s->pseudonymizer_.get());
  s->guard_ = std::make_unique<rpc::AuthGuard>(s->devices_.get());
  s->limits_ = std::make_unique<DeviceLimits>(
      clock,
      RateLimitOptions{static_cast<double>(config.max_requests_per_second),
                       static_cast<double>(config.request_burst)},
      StreamLimitOptions{config.max_streams_per_device, config.max_streams_total});
  s->guard_->set_limits(s->limits_.get());
  rpc::SyncServiceLimits rpc_limits;
  rpc_limits.max_pull_records = config.max_pull_records;
  rpc_limits.pull_page = config.pull_page;
  rpc_limits.max_receipts_page = config.max_receipts_page;
  rpc_limits.max_changes_page = config.max_changes_page;
  rpc_limits.max_page_bytes = PageBytes(config);
  s->sync_service_ = std::make_unique<rpc::SyncServiceImpl>(
      s->guard_.get(), s->engine_->push(), s->engine_->pull(), s->engine_->feed(), rpc_limits);
  s->form_service_ = std::make_unique<rpc::FormServiceImpl>(s->guard_.get(), s->forms_.get());
  s->sync_service_->set_audit(s->audit_.get());
  s->form_service_->set_audit(s->audit_.get());
  s->identity_service_ = std::make_unique<rpc::IdentityServiceImpl>(
      s->guard_.get(), s->devices_.get(), s->enrollment_.get(), s->audit_.get(), s->store_.get());
  s->bundle_importer_ =
      std::make_unique<BundleImporter>(s->store_.get(), s->engine_->push(), clock);
  s->bundle_importer_->set_audit(s->audit_.get());
  s->bundle_service_ =
      std::make_unique<rpc::BundleServiceImpl>(s->guard_.get(), s->bundle_importer_.get());
  s->health_service_ = std::make_unique<rpc::HealthServiceImpl>();
  s->health_service_->set_writable_probe(
      [store = s->store_.get()] { return !store->GetWriteStall().stopped; });
  FS_RETURN_IF_ERROR(s->StartAdmin());
  FS_RETURN_IF_ERROR(s->StartAggregation());
  FS_RETURN_IF_ERROR(s->StartAttachments());
  FS_RETURN_IF_ERROR(s->StartExport());

  if (config.reflection) grpc::reflection::InitProtoReflectionServerBuilderPlugin();
  grpc::ServerBuilder builder;
  s->metrics_ = std::make_unique<Metrics>();
  {
    std::vector<std::unique_ptr<grpc::experimental::ServerInterceptorFactoryInterface>> creators;
    // First, so that the metrics count the status it rewrites.
    creators.push_back(std::make_unique<rpc::DecodeErrorInterceptorFactory>());
    creators.push_back(std::make_unique<rpc::MetricsInterceptorFactory>(s->metrics_.get()));
    builder.experimental().SetInterceptorCreators(std::move(creators));
  }
  s->sync_service_->set_metrics(s->metrics_.get());
  s->attachment_service_->set_metrics(s->metrics_.get());
  std::shared_ptr<grpc::ServerCredentials> creds;
  if (!config.tls_cert_file.empty()) {
    // Read once here so that a missing file stops the start with a clear error; from then on
    // the provider re-reads the files every tls_reload_interval_s, so a renewed certificate
    // is served to new connections without a restart.
    FS_RETURN_IF_ERROR(ReadFileToString(config.tls_cert_file).status());
    FS_RETURN_IF_ERROR(ReadFileToString(config.tls_key_file).status());
    const bool mtls = !config.tls_client_ca_file.empty();
    if (mtls) FS_RETURN_IF_ERROR(ReadFileToString(config.tls_client_ca_file).status());
    auto provider = std::make_shared<grpc::experimental::FileWatcherCertificateProvider>(
        config.tls_key_file, config.tls_cert_file, mtls ? config.tls_client_ca_file : "",
        config.tls_reload_interval_s);
    grpc::experimental::TlsServerCredentialsOptions opts(provider);
    opts.watch_identity_key_cert_pairs();
    if (mtls) {
      opts.watch_root_certs();
      opts.set_cert_request_type(GRPC_SSL_REQUEST_AND_REQUIRE_CLIENT_CERTIFICATE_AND_VERIFY);
    } else {
      opts.set_cert_request_type(GRPC_SSL_DONT_REQUEST_CLIENT_CERTIFICATE);
    }
    creds = grpc::experimental::TlsServerCredentials(opts);
  } else {
    creds = grpc::InsecureServerCredentials();
  }
  builder.AddListeningPort(config.listen, creds, &s->port_);
  // Without this a second server on a busy port silently shares it.
  builder.AddChannelArgument(GRPC_ARG_ALLOW_REUSEPORT, 0);
  TransportOptions transport;
  transport.max_message_bytes = config.max_message_bytes;
  transport.handshake_timeout_ms = config.handshake_timeout_ms;
  transport.max_connection_idle_ms = config.max_connection_idle_ms;
  transport.keepalive_time_ms = config.keepalive_time_ms;
  transport.keepalive_timeout_ms = config.keepalive_timeout_ms;
  ApplyTransportOptions(transport, &builder);
  // Sync-server pollers wake this often; it bounds how long shutdown waits for them.
  builder.SetSyncServerOption(grpc::ServerBuilder::SyncServerOption::CQ_TIMEOUT_MSEC, 100);
  builder.RegisterService(s->sync_service_.get());
  builder.RegisterService(s->form_service_.get());
  builder.RegisterService(s->identity_service_.get());
  builder.RegisterService(s->bundle_service_.get());
  builder.RegisterService(s->health_service_.get());
  builder.RegisterService(s->admin_service_.get());
  builder.RegisterService(s->attachment_service_.get());
  if (s->aggregation_service_) builder.RegisterService(s->aggregation_service_.get());
  builder.RegisterService(s->export_service_.get());
  s->server_ = builder.BuildAndStart();
  if (!s->server_ || s->port_ == 0) {
    return absl::UnavailableError(absl::StrCat("cannot listen on ", config.listen));
  }
  s->RegisterGauges();
  s->serving_ = true;
  // Before the port file: whoever waits for it finds the admin port ready too.
  FS_RETURN_IF_ERROR(s->StartAdminHttp());
  FS_RETURN_IF_ERROR(s->StartOpenRosa());
  if (!config.port_file.empty()) {
    std::string tmp = config.port_file + ".tmp";
    {
      std::ofstream out(tmp);
      out << s->port_ << "\n";
    }
    std::rename(tmp.c_str(), config.port_file.c_str());
  }
  s->health_service_->SetServing(true);
  s->retention_thread_ = std::thread([p = s.get()] { p->RetentionLoop(); });
  if (s->agg_consumer_) s->agg_consumer_->Start();
  FS_RETURN_IF_ERROR(s->webhooks_->Start());
  return s;
}

absl::Status FieldsyncServer::StartAttachments() {
  BlobStoreOptions options;
  options.dir =
      config_.attachments_dir.empty() ? config_.data_dir + "/blobs" : config_.attachments_dir;
  options.max_blob_bytes = config_.max_attachment_bytes;
  options.device_quota_bytes = config_.attachment_quota_bytes;
  // A chunk and its framing must fit in one gRPC message.
  options.max_chunk_bytes =
      std::min<uint64_t>(options.max_chunk_bytes, config_.max_message_bytes / 2);
  FS_ASSIGN_OR_RETURN(blobs_, BlobStore::Open(options));
  attachment_access_ = std::make_unique<AttachmentAccess>(engine_->context());
  attachment_service_ = std::make_unique<rpc::AttachmentServiceImpl>(
      guard_.get(), blobs_.get(), attachment_access_.get(), rpc::AttachmentServiceLimits{});
  return absl::OkStatus();
}

absl::Status FieldsyncServer::StartAggregation() {
  if (config_.no_aggregation) return absl::OkStatus();
  AggregateStoreOptions options;
  options.path =
      config_.aggregates_dir.empty() ? config_.data_dir + "/aggregates" : config_.aggregates_dir;
  FS_ASSIGN_OR_RETURN(agg_store_, AggregateStore::Open(options));
  agg_forms_ = std::make_unique<aggregation::RegistryFormSource>(forms_.get());
  agg_records_ = std::make_unique<aggregation::StoreRecordSource>(store_.get());
  agg_consumer_ = std::make_unique<aggregation::AggregationConsumer>(
      engine_->feed(), agg_forms_.get(), agg_store_.get(), clock_);
  FS_RETURN_IF_ERROR(agg_consumer_->Init());
  agg_queries_ = std::make_unique<aggregation::AggregationQueries>(
      agg_store_.get(), agg_forms_.get(), agg_consumer_.get(), agg_records_.get());
  rpc::AuthGuard* guard = guard_.get();
  aggregation_service_ = std::make_unique<rpc::AggregationServiceImpl>(
      [guard](const grpc::ServerContext* ctx,
              std::initializer_list<Role> roles) -> absl::StatusOr<Device> {
        auto device = guard->Check(ctx, roles);
        if (device.ok()) FS_RETURN_IF_ERROR(guard->ChargeRequest(*device));
        return device;
      },
      agg_queries_.get(), agg_consumer_.get(), "embedded");
  return absl::OkStatus();
}

absl::Status FieldsyncServer::StartExport() {
  exporting::ExportLimits limits;
  // XLSX workbooks are assembled on the data disk, not in a /tmp that may be memory; what a
  // killed export left behind is removed here.
  limits.xlsx.temp_dir = config_.data_dir + "/export-tmp";
  std::error_code ec;
  std::filesystem::remove_all(limits.xlsx.temp_dir, ec);
  std::filesystem::create_directories(limits.xlsx.temp_dir, ec);
  if (ec) {
    return absl::FailedPreconditionError(
        absl::StrCat("cannot create ", limits.xlsx.temp_dir, ": ", ec.message()));
  }
  export_source_ =
      std::make_unique<exporting::StoreRecordSource>(store_.get(), engine_->sequencer());
  exporter_ = std::make_unique<exporting::Exporter>(export_source_.get(), forms_.get(), limits);
  export_service_ = std::make_unique<rpc::ExportServiceImpl>(
      guard_.get(), exporter_.get(), audit_.get(), rpc::ExportServiceLimits{});
  return absl::OkStatus();
}

absl::Status FieldsyncServer::StartAdmin() {
  SyncEngine* e = engine_.get();
  resolver_ = std::make_unique<admin::ConflictResolver>(e->context());
  // Replay checks the very limits push checks.
  replayer_ = std::make_unique<admin::QuarantineReplayer>(e->context(), e->push()->limits());
  admin::FleetOptions fleet_options;
  fleet_options.silent_after_ms = config_.silent_after_ms;
  fleet_options.max_page_bytes = PageBytes(config_);
  fleet_ =
      std::make_unique<admin::FleetStatus>(store_.get(), e->sequencer(), clock_, fleet_options);
  admin::ReviewOptions review_options;
  review_options.max_page_bytes = PageBytes(config_);
  conflict_review_ = std::make_unique<admin::ConflictReview>(
      store_.get(), forms_.get(), resolver_.get(), audit_.get(), review_options);
  quarantine_review_ = std::make_unique<admin::QuarantineReview>(store_.get(), replayer_.get(),
                                                                 audit_.get(), review_options);
  if (!config_.backup_dir.empty()) {
    FS_ASSIGN_OR_RETURN(backups_, Backups::Open(config_.backup_dir));
  }
  webhook_poster_ = std::make_unique<webhook::HttplibPoster>();
  webhooks_ = std::make_unique<webhook::WebhookDispatcher>(
      store_.get(), e->feed(), webhook_poster_.get(), clock_, webhook::DispatcherOptions{});
  rpc::AdminServiceDeps deps;
  deps.guard = guard_.get();
  deps.fleet = fleet_.get();
  deps.conflicts = conflict_review_.get();
  deps.quarantine = quarantine_review_.get();
  deps.backups = backups_.get();
  deps.store = store_.get();
  deps.audit = audit_.get();
  deps.webhooks = webhooks_.get();
  admin_service_ = std::make_unique<rpc::AdminServiceImpl>(deps, rpc::AdminServiceLimits{});
  return absl::OkStatus();
}

void FieldsyncServer::RetentionLoop() {
  RetentionPolicy policy{config_.retention_changes, config_.retention_ms};
  std::unique_lock<std::mutex> l(mu_);
  while (!stopping_) {
    l.unlock();
    // The embedded aggregation consumer must never find its next change purged.
    policy.keep_from_seq = agg_consumer_ ? agg_consumer_->status().checkpoint_seq + 1 : 0;
    // Nor an enabled webhook target its next undelivered change.
    const uint64_t webhook_keep = webhooks_->KeepFromSeq();
    if (webhook_keep != UINT64_MAX) {
      policy.keep_from_seq =
          policy.keep_from_seq == 0 ? webhook_keep : std::min(policy.keep_from_seq, webhook_keep);
    }
    auto dropped = engine_->retention()->PurgeOnce(policy);
    if (!dropped.ok()) {
      LogEvent(LogLevel::kError, "retention_failed").Str("status", dropped.status().ToString());
    } else if (*dropped > 0) {
      LogEvent(LogLevel::kInfo, "retention").Int("dropped_changes", static_cast<int64_t>(*dropped));
    }
    l.lock();
    cv_.wait_for(l, std::chrono::milliseconds(config_.retention_interval_ms),
                 [&] { return stopping_; });
  }
}

void FieldsyncServer::Shutdown(std::chrono::milliseconds grace) {
  {
    std::lock_guard<std::mutex> l(mu_);
    if (stopping_) return;
    stopping_ = true;
  }
  cv_.notify_all();
  serving_ = false;
  LogEvent(LogLevel::kInfo, "shutdown_started").Int("grace_ms", grace.count());
  health_service_->Shutdown();
  sync_service_->Shutdown();
  admin_service_->Shutdown();
  engine_->sequencer()->Wake();
  // Submissions in progress finish (each is acknowledged only once durable); no new ones.
  if (openrosa_http_) openrosa_http_->Stop();
  server_->Shutdown(std::chrono::system_clock::now() + grace);
  server_->Wait();
  if (retention_thread_.joinable()) retention_thread_.join();
  if (agg_consumer_) agg_consumer_->Stop();
  webhooks_->Stop();
  if (admin_http_) admin_http_->Stop();
  metrics_->ClearGauges();
  if (auto s = store_->Flush(); !s.ok()) {
    LogEvent(LogLevel::kError, "flush_failed").Str("status", s.ToString());
  }
  LogEvent(LogLevel::kInfo, "shutdown_finished");
}

FieldsyncServer::~FieldsyncServer() {
  if (server_) Shutdown(std::chrono::milliseconds(0));
}

}  // namespace fieldsync
