// fieldsync-aggregator: the aggregation service as a separate process. It reads the change
// feed of a fieldsyncd over gRPC with a feed_reader token, keeps the cells in its own RocksDB
// folder (the same code as the consumer embedded in fieldsyncd) and serves
// AggregationService (Query, GetAggregationStatus, ListAggregations; Verify needs the records
// and answers FAILED_PRECONDITION here).
//
//   fieldsync-aggregator --feed-target HOST:PORT --feed-token-file F [--feed-ca-file CA]
//       --data-dir DIR --listen HOST:PORT --query-token-file F [--port-file F]
//       [--tls-cert-file F --tls-key-file F | --dev-plaintext] [--config FILE]
// Each setting also as FIELDSYNC_<NAME> or a line of the config file (aggregator_config.h).
//
// This process has no device registry: its callers present the token in --query-token-file
// and are served as an all-scopes admin. Scoped callers query fieldsyncd's embedded service.
// TLS on the feed (--feed-ca-file) and the listener (--tls-cert-file/--tls-key-file);
// plaintext only with --dev-plaintext on loopback.
#include <grpcpp/grpcpp.h>
#include <signal.h>

#include <algorithm>
#include <cstdio>
#include <fstream>
#include <iostream>
#include <memory>
#include <string>
#include <vector>

#include "server/aggregation/consumer.h"
#include "server/aggregation/query.h"
#include "server/app/aggregator_config.h"
#include "server/app/protobuf_log.h"
#include "server/app/transport_options.h"
#include "server/cmdline/cmdline.h"
#include "server/common/clock.h"
#include "server/common/file.h"
#include "server/common/hash.h"
#include "server/rpc/aggregation_service.h"
#include "server/rpc/decode_error_interceptor.h"
#include "server/rpc/remote_change_feed.h"
#include "server/storage/aggregate_store.h"

namespace fieldsync {
namespace {

// The listener's credentials: TLS from the configured files, else plaintext (validated to be
// on loopback with --dev-plaintext).
absl::StatusOr<std::shared_ptr<grpc::ServerCredentials>> ListenCredentials(
    const AggregatorConfig& c) {
  if (c.tls_cert_file.empty()) return grpc::InsecureServerCredentials();
  absl::StatusOr<std::string> cert = ReadFileToString(c.tls_cert_file);
  if (!cert.ok()) return cert.status();
  absl::StatusOr<std::string> key = ReadFileToString(c.tls_key_file);
  if (!key.ok()) return key.status();
  grpc::SslServerCredentialsOptions opts;
  opts.pem_key_cert_pairs.push_back({*key, *cert});
  return grpc::SslServerCredentials(opts);
}

// The feed channel's credentials: TLS trusting --feed-ca-file, else plaintext.
absl::StatusOr<std::shared_ptr<grpc::ChannelCredentials>> FeedCredentials(
    const AggregatorConfig& c) {
  if (c.feed_ca_file.empty()) return grpc::InsecureChannelCredentials();
  absl::StatusOr<std::string> ca = ReadFileToString(c.feed_ca_file);
  if (!ca.ok()) return ca.status();
  grpc::SslCredentialsOptions o;
  o.pem_root_certs = *ca;
  return grpc::SslCredentials(o);
}

// Callers present the one query token and are served as an all-scopes admin.
rpc::CallerCheck QueryTokenAuthorizer(const std::string& query_token) {
  return
      [hash = Sha256Hex(query_token)](const grpc::ServerContext* ctx,
                                      std::initializer_list<Role> roles) -> absl::StatusOr<Device> {
        auto it = ctx->client_metadata().find("authorization");
        std::string presented;
        if (it != ctx->client_metadata().end()) {
          std::string v(it->second.data(), it->second.size());
          if (v.rfind("Bearer ", 0) == 0) presented = v.substr(7);
        }
        if (presented.empty() || !ConstantTimeEquals(Sha256Hex(presented), hash)) {
          return absl::UnauthenticatedError("missing or invalid token");
        }
        Device d;
        d.device_id = "aggregator-query";
        d.role = Role::kAdmin;
        d.all_scopes = true;
        if (std::find(roles.begin(), roles.end(), d.role) == roles.end()) {
          return absl::PermissionDeniedError("role not allowed");
        }
        return d;
      };
}

void WritePortFile(const std::string& path, int port) {
  if (path.empty()) return;
  const std::string tmp = path + ".tmp";
  {
    std::ofstream out(tmp);
    out << port << "\n";
  }
  std::rename(tmp.c_str(), path.c_str());
}

int Fail(const std::string& what) {
  std::cerr << "fieldsync-aggregator: " << what << "\n";
  return 1;
}

int Run(const AggregatorConfig& c) {
  absl::StatusOr<std::string> feed_token = ReadSecretFile(c.feed_token_file);
  absl::StatusOr<std::string> query_token = ReadSecretFile(c.query_token_file);
  if (!feed_token.ok() || !query_token.ok()) {
    std::cerr << "fieldsync-aggregator: cannot read the token files: "
              << (feed_token.ok() ? query_token.status() : feed_token.status()) << "\n";
    return 2;
  }
  auto listen_creds = ListenCredentials(c);
  if (!listen_creds.ok()) {
    std::cerr << "fieldsync-aggregator: TLS: " << listen_creds.status() << "\n";
    return 2;
  }
  auto feed_creds = FeedCredentials(c);
  if (!feed_creds.ok()) {
    std::cerr << "fieldsync-aggregator: feed CA: " << feed_creds.status() << "\n";
    return 2;
  }
  auto channel = grpc::CreateChannel(c.feed_target, *feed_creds);

  sigset_t set;
  sigemptyset(&set);
  sigaddset(&set, SIGTERM);
  sigaddset(&set, SIGINT);
  pthread_sigmask(SIG_BLOCK, &set, nullptr);

  AggregateStoreOptions so;
  so.path = c.data_dir;
  auto store = AggregateStore::Open(so);
  if (!store.ok()) return Fail(store.status().ToString());
  rpc::RemoteChangeFeed feed(channel, *feed_token);
  rpc::RemoteFormSource forms(channel, *feed_token);
  aggregation::AggregationConsumer consumer(&feed, &forms, store->get(), SystemClock::Default());
  if (auto s = consumer.Init(); !s.ok()) return Fail(s.ToString());
  aggregation::AggregationQueries queries(store->get(), &forms, &consumer, nullptr);
  rpc::AggregationServiceImpl service(QueryTokenAuthorizer(*query_token), &queries, &consumer,
                                      "remote");
  grpc::ServerBuilder builder;
  int port = 0;
  builder.AddListeningPort(c.listen, *listen_creds, &port);
  builder.AddChannelArgument(GRPC_ARG_ALLOW_REUSEPORT, 0);
  ApplyTransportOptions(TransportOptions{}, &builder);
  {
    std::vector<std::unique_ptr<grpc::experimental::ServerInterceptorFactoryInterface>> creators;
    creators.push_back(std::make_unique<rpc::DecodeErrorInterceptorFactory>());
    builder.experimental().SetInterceptorCreators(std::move(creators));
  }
  builder.RegisterService(&service);
  auto server = builder.BuildAndStart();
  if (!server || port == 0) return Fail("cannot listen on " + c.listen);
  WritePortFile(c.port_file, port);
  consumer.Start();
  std::cerr << "fieldsync-aggregator: reading " << c.feed_target << ", serving on port " << port
            << "\n";
  int sig = 0;
  sigwait(&set, &sig);
  std::cerr << "fieldsync-aggregator: signal " << sig << ", stopping\n";
  server->Shutdown(std::chrono::system_clock::now() + std::chrono::seconds(5));
  server->Wait();
  consumer.Stop();
  (*store)->Flush().IgnoreError();
  return 0;
}

}  // namespace
}  // namespace fieldsync

int main(int argc, char** argv) {
  fieldsync::RouteProtobufLogs();
  CLI::App app(
      "The aggregation service as a separate process. A setting comes from its flag, else "
      "FIELDSYNC_<NAME>, else the --config file.",
      "fieldsync-aggregator");
  fieldsync::cmdline::CommandLine cl(&app);
  fieldsync::AggregatorConfig config;
  fieldsync::AddAggregatorSettings(&cl, &app, &config);
  if (auto exit_code = cl.ParseOrExit(argc, argv, fieldsync::cmdline::ProcessEnvironment())) {
    return *exit_code;
  }
  if (absl::Status s = fieldsync::ValidateAggregatorConfig(config); !s.ok()) {
    std::cerr << "fieldsync-aggregator: " << s.message() << "\n";
    return 2;
  }
  return fieldsync::Run(config);
}
