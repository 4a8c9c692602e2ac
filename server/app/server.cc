#include "server/app/server.h"

#include <grpcpp/ext/proto_server_reflection_plugin.h>
#include <grpcpp/security/server_credentials.h>
#include <grpcpp/server_builder.h>

#include <fstream>
#include <iostream>
#include <sstream>

#include "absl/strings/str_cat.h"
#include "server/app/form_loader.h"
#include "server/common/status.h"

namespace fieldsync {
namespace {

absl::StatusOr<std::string> ReadFile(const std::string& path) {
  std::ifstream in(path);
  if (!in) return absl::InvalidArgumentError(absl::StrCat("cannot read ", path));
  std::stringstream ss;
  ss << in.rdbuf();
  return ss.str();
}

}  // namespace

absl::StatusOr<std::unique_ptr<Store>> OpenStore(const ServerConfig& config) {
  StoreOptions so;
  so.path = config.data_dir;
  so.block_cache_bytes = config.block_cache_mb << 20;
  so.write_buffer_bytes = config.write_buffer_mb << 20;
  return Store::Open(so);
}

absl::StatusOr<std::unique_ptr<FieldsyncServer>> FieldsyncServer::Start(const ServerConfig& config,
                                                                        Clock* clock) {
  std::unique_ptr<FieldsyncServer> s(new FieldsyncServer());
  s->config_ = config;
  s->clock_ = clock;
  FS_ASSIGN_OR_RETURN(s->store_, OpenStore(config));
  s->forms_ = std::make_unique<FormRegistry>(s->store_.get(), SchemaLimits{});
  if (!config.forms_dir.empty()) {
    FS_ASSIGN_OR_RETURN(std::vector<Form> forms, LoadFormsDir(config.forms_dir));
    for (const auto& f : forms) {
      FS_RETURN_IF_ERROR_PREPEND(s->forms_->Publish(f).status(),
                                 absl::StrCat("publishing ", f.form_id, " v", f.version));
    }
  }
  s->devices_ = std::make_unique<DeviceRegistry>(s->store_.get(), clock);
  SyncEngineOptions engine_options;
  engine_options.push.max_mutations_per_batch = config.max_batch;
  engine_options.push.record.max_fields_per_record = config.max_fields_per_record;
  engine_options.push.record.max_value_bytes = config.max_value_bytes;
  FS_ASSIGN_OR_RETURN(s->engine_,
                      SyncEngine::Open(s->store_.get(), s->forms_.get(), clock, engine_options));
  s->guard_ = std::make_unique<rpc::AuthGuard>(s->devices_.get());
  rpc::SyncServiceLimits rpc_limits;
  rpc_limits.max_pull_records = config.max_pull_records;
  rpc_limits.pull_page = config.pull_page;
  rpc_limits.max_receipts_page = config.max_receipts_page;
  rpc_limits.max_changes_page = config.max_changes_page;
  s->sync_service_ = std::make_unique<rpc::SyncServiceImpl>(
      s->guard_.get(), s->engine_->push(), s->engine_->pull(), s->engine_->feed(), rpc_limits);
  s->form_service_ = std::make_unique<rpc::FormServiceImpl>(s->guard_.get(), s->forms_.get());
  s->health_service_ = std::make_unique<rpc::HealthServiceImpl>();

  if (config.reflection) grpc::reflection::InitProtoReflectionServerBuilderPlugin();
  grpc::ServerBuilder builder;
  std::shared_ptr<grpc::ServerCredentials> creds;
  if (!config.tls_cert_file.empty()) {
    FS_ASSIGN_OR_RETURN(std::string cert, ReadFile(config.tls_cert_file));
    FS_ASSIGN_OR_RETURN(std::string key, ReadFile(config.tls_key_file));
    grpc::SslServerCredentialsOptions opts;
    opts.pem_key_cert_pairs.push_back({key, cert});
    creds = grpc::SslServerCredentials(opts);
  } else {
    creds = grpc::InsecureServerCredentials();
  }
  builder.AddListeningPort(config.listen, creds, &s->port_);
  // Without this a second server on a busy port silently shares it.
  builder.AddChannelArgument(GRPC_ARG_ALLOW_REUSEPORT, 0);
  builder.SetMaxReceiveMessageSize(static_cast<int>(config.max_message_bytes));
  builder.SetMaxSendMessageSize(static_cast<int>(config.max_message_bytes));
  builder.AddChannelArgument(GRPC_ARG_KEEPALIVE_PERMIT_WITHOUT_CALLS, 1);
  builder.AddChannelArgument(GRPC_ARG_HTTP2_MIN_RECV_PING_INTERVAL_WITHOUT_DATA_MS, 10'000);
  // Sync-server pollers wake this often; it bounds how long shutdown waits for them.
  builder.SetSyncServerOption(grpc::ServerBuilder::SyncServerOption::CQ_TIMEOUT_MSEC, 100);
  builder.RegisterService(s->sync_service_.get());
  builder.RegisterService(s->form_service_.get());
  builder.RegisterService(s->health_service_.get());
  s->server_ = builder.BuildAndStart();
  if (!s->server_ || s->port_ == 0) {
    return absl::UnavailableError(absl::StrCat("cannot listen on ", config.listen));
  }
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
  return s;
}

void FieldsyncServer::RetentionLoop() {
  RetentionPolicy policy{config_.retention_changes, config_.retention_ms};
  std::unique_lock<std::mutex> l(mu_);
  while (!stopping_) {
    l.unlock();
    auto dropped = engine_->retention()->PurgeOnce(policy);
    if (!dropped.ok()) std::cerr << "retention: " << dropped.status() << "\n";
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
  health_service_->Shutdown();
  sync_service_->Shutdown();
  engine_->sequencer()->Wake();
  server_->Shutdown(std::chrono::system_clock::now() + grace);
  server_->Wait();
  if (retention_thread_.joinable()) retention_thread_.join();
  if (auto s = store_->Flush(); !s.ok()) std::cerr << "flush at shutdown: " << s << "\n";
}

FieldsyncServer::~FieldsyncServer() {
  if (server_) Shutdown(std::chrono::milliseconds(0));
}

}  // namespace fieldsync
