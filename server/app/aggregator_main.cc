// fieldsync-aggregator: the aggregation service as a separate process. It reads the change
// feed of a fieldsyncd over gRPC with a feed_reader token, keeps the cells in its own RocksDB
// folder (the same code as the consumer embedded in fieldsyncd) and serves
// AggregationService (Query, GetAggregationStatus, ListAggregations; Verify needs the records
// and answers FAILED_PRECONDITION here).
//
//   fieldsync-aggregator --feed-target HOST:PORT --feed-token-file F [--feed-ca-file CA]
//       --data-dir DIR --listen HOST:PORT --query-token-file F [--port-file F]
//       [--tls-cert-file F --tls-key-file F | --dev-plaintext]
//
// This process has no device registry: its callers present the token in --query-token-file
// and are served as an all-scopes admin. Scoped callers query fieldsyncd's embedded service.
// TLS on the feed (--feed-ca-file) and the listener (--tls-cert-file/--tls-key-file);
// plaintext only with --dev-plaintext on loopback.
#include <grpcpp/grpcpp.h>
#include <signal.h>

#include <algorithm>
#include <fstream>
#include <iostream>
#include <map>
#include <memory>
#include <sstream>
#include <string>
#include <vector>

#include "absl/strings/ascii.h"
#include "absl/strings/str_cat.h"
#include "server/aggregation/consumer.h"
#include "server/aggregation/query.h"
#include "server/app/config.h"
#include "server/app/protobuf_log.h"
#include "server/app/transport_options.h"
#include "server/common/clock.h"
#include "server/common/hash.h"
#include "server/rpc/aggregation_service.h"
#include "server/rpc/decode_error_interceptor.h"
#include "server/rpc/remote_change_feed.h"
#include "server/storage/aggregate_store.h"

namespace fieldsync {
namespace {

int Usage() {
  std::cerr << "usage: fieldsync-aggregator --feed-target HOST:PORT --feed-token-file F\n"
               "         [--feed-ca-file CA] --data-dir DIR --listen HOST:PORT\n"
               "         --query-token-file F [--port-file F]\n"
               "         [--tls-cert-file F --tls-key-file F | --dev-plaintext]\n";
  return 2;
}

bool ReadSecret(const std::string& path, std::string* out) {
  std::ifstream in(path);
  if (!in) return false;
  std::stringstream ss;
  ss << in.rdbuf();
  *out = std::string(absl::StripAsciiWhitespace(ss.str()));
  return !out->empty();
}

int Main(const std::vector<std::string>& args) {
  RouteProtobufLogs();
  std::map<std::string, std::string> flags;
  bool dev_plaintext = false;
  for (size_t i = 0; i < args.size(); ++i) {
    if (args[i] == "--dev-plaintext") {
      dev_plaintext = true;
    } else if (args[i].rfind("--", 0) == 0 && i + 1 < args.size()) {
      flags[args[i].substr(2)] = args[i + 1];
      ++i;
    } else {
      return Usage();
    }
  }
  for (const char* required :
       {"feed-target", "feed-token-file", "data-dir", "listen", "query-token-file"}) {
    if (flags[required].empty()) {
      std::cerr << "fieldsync-aggregator: --" << required << " is required\n";
      return Usage();
    }
  }
  for (const auto& [name, value] : flags) {
    if (name != "feed-target" && name != "feed-token-file" && name != "feed-ca-file" &&
        name != "data-dir" && name != "listen" && name != "query-token-file" &&
        name != "port-file" && name != "tls-cert-file" && name != "tls-key-file") {
      std::cerr << "fieldsync-aggregator: unknown flag --" << name << "\n";
      return Usage();
    }
  }
  std::string feed_token, query_token;
  if (!ReadSecret(flags["feed-token-file"], &feed_token) ||
      !ReadSecret(flags["query-token-file"], &query_token)) {
    std::cerr << "fieldsync-aggregator: cannot read the token files\n";
    return 2;
  }
  // TLS on both sides unless --dev-plaintext, and plaintext only on loopback.
  const bool listen_tls = !flags["tls-cert-file"].empty() || !flags["tls-key-file"].empty();
  if (listen_tls && (flags["tls-cert-file"].empty() || flags["tls-key-file"].empty())) {
    std::cerr << "fieldsync-aggregator: --tls-cert-file and --tls-key-file go together\n";
    return 2;
  }
  if (!listen_tls && (!dev_plaintext || !IsLoopbackAddress(flags["listen"]))) {
    std::cerr << "fieldsync-aggregator: without --tls-cert-file/--tls-key-file the query "
                 "listener is plaintext: it needs --dev-plaintext and a loopback --listen\n";
    return 2;
  }
  if (flags["feed-ca-file"].empty() &&
      (!dev_plaintext || !IsLoopbackAddress(flags["feed-target"]))) {
    std::cerr << "fieldsync-aggregator: without --feed-ca-file the feed is plaintext: it needs "
                 "--dev-plaintext and a loopback --feed-target\n";
    return 2;
  }
  std::shared_ptr<grpc::ServerCredentials> listen_creds = grpc::InsecureServerCredentials();
  if (listen_tls) {
    std::string cert, key;
    std::ifstream cert_in(flags["tls-cert-file"]), key_in(flags["tls-key-file"]);
    std::stringstream cert_ss, key_ss;
    cert_ss << cert_in.rdbuf();
    key_ss << key_in.rdbuf();
    if (!cert_in || !key_in || cert_ss.str().empty() || key_ss.str().empty()) {
      std::cerr << "fieldsync-aggregator: cannot read the TLS certificate or key\n";
      return 2;
    }
    grpc::SslServerCredentialsOptions opts;
    opts.pem_key_cert_pairs.push_back({key_ss.str(), cert_ss.str()});
    listen_creds = grpc::SslServerCredentials(opts);
  }
  std::shared_ptr<grpc::ChannelCredentials> creds;
  if (!flags["feed-ca-file"].empty()) {
    grpc::SslCredentialsOptions o;
    std::ifstream in(flags["feed-ca-file"]);
    std::stringstream ss;
    ss << in.rdbuf();
    o.pem_root_certs = ss.str();
    creds = grpc::SslCredentials(o);
  } else {
    creds = grpc::InsecureChannelCredentials();
  }
  auto channel = grpc::CreateChannel(flags["feed-target"], creds);

  sigset_t set;
  sigemptyset(&set);
  sigaddset(&set, SIGTERM);
  sigaddset(&set, SIGINT);
  pthread_sigmask(SIG_BLOCK, &set, nullptr);

  AggregateStoreOptions so;
  so.path = flags["data-dir"];
  auto store = AggregateStore::Open(so);
  if (!store.ok()) {
    std::cerr << "fieldsync-aggregator: " << store.status() << "\n";
    return 1;
  }
  rpc::RemoteChangeFeed feed(channel, feed_token);
  rpc::RemoteFormSource forms(channel, feed_token);
  aggregation::AggregationConsumer consumer(&feed, &forms, store->get(), SystemClock::Default());
  if (auto s = consumer.Init(); !s.ok()) {
    std::cerr << "fieldsync-aggregator: " << s << "\n";
    return 1;
  }
  aggregation::AggregationQueries queries(store->get(), &forms, &consumer, nullptr);
  const std::string query_token_hash = Sha256Hex(query_token);
  rpc::AggregationServiceImpl service(
      [&](const grpc::ServerContext* ctx,
          std::initializer_list<Role> roles) -> absl::StatusOr<Device> {
        auto it = ctx->client_metadata().find("authorization");
        std::string presented;
        if (it != ctx->client_metadata().end()) {
          std::string v(it->second.data(), it->second.size());
          if (v.rfind("Bearer ", 0) == 0) presented = v.substr(7);
        }
        if (presented.empty() || !ConstantTimeEquals(Sha256Hex(presented), query_token_hash)) {
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
      },
      &queries, &consumer, "remote");
  grpc::ServerBuilder builder;
  int port = 0;
  builder.AddListeningPort(flags["listen"], listen_creds, &port);
  builder.AddChannelArgument(GRPC_ARG_ALLOW_REUSEPORT, 0);
  ApplyTransportOptions(TransportOptions{}, &builder);
  {
    std::vector<std::unique_ptr<grpc::experimental::ServerInterceptorFactoryInterface>> creators;
    creators.push_back(std::make_unique<rpc::DecodeErrorInterceptorFactory>());
    builder.experimental().SetInterceptorCreators(std::move(creators));
  }
  builder.RegisterService(&service);
  auto server = builder.BuildAndStart();
  if (!server || port == 0) {
    std::cerr << "fieldsync-aggregator: cannot listen on " << flags["listen"] << "\n";
    return 1;
  }
  if (!flags["port-file"].empty()) {
    std::string tmp = flags["port-file"] + ".tmp";
    {
      std::ofstream out(tmp);
      out << port << "\n";
    }
    std::rename(tmp.c_str(), flags["port-file"].c_str());
  }
  consumer.Start();
  std::cerr << "fieldsync-aggregator: reading " << flags["feed-target"] << ", serving on port "
            << port << "\n";
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
  return fieldsync::Main(std::vector<std::string>(argv + 1, argv + argc));
}
