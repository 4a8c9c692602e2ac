#include "client-sdk/cli/server_connection.h"

#include <chrono>
#include <cstdlib>
#include <utility>

#include "absl/strings/str_cat.h"
#include "client-sdk/src/grpc_transport.h"

namespace fieldsync::cli {

std::unique_ptr<grpc::ClientContext> ServerConnection::Context(int64_t override_ms) const {
  auto ctx = std::make_unique<grpc::ClientContext>();
  ctx->AddMetadata("authorization", "Bearer " + config.token);
  ctx->set_deadline(std::chrono::system_clock::now() +
                    std::chrono::milliseconds(override_ms > 0 ? override_ms : timeout_ms));
  return ctx;
}

absl::StatusOr<ServerConnection> ConnectToServer(const Settings& settings,
                                                 std::vector<std::string>* args) {
  const std::string& dir = settings.data_dir;
  std::string server, token_file, ca_file;
  bool plaintext = false;
  std::vector<std::string> rest;
  for (size_t i = 0; i < args->size(); ++i) {
    const std::string& a = (*args)[i];
    std::string* target = nullptr;
    std::string name;
    for (auto [flag, out] : {std::pair<const char*, std::string*>{"--server", &server},
                             {"--token-file", &token_file},
                             {"--ca-file", &ca_file}}) {
      if (a == flag || a.rfind(std::string(flag) + "=", 0) == 0) {
        target = out;
        name = flag;
      }
    }
    if (a == "--plaintext") {
      plaintext = true;
    } else if (target == nullptr) {
      rest.push_back(a);
    } else if (a.size() > name.size()) {
      *target = a.substr(name.size() + 1);
    } else if (i + 1 < args->size()) {
      *target = (*args)[++i];
    } else {
      return absl::InvalidArgumentError(absl::StrCat(name, " needs a value"));
    }
  }
  *args = std::move(rest);

  ServerConnection conn;
  Config& cfg = conn.config;
  if (server.empty()) {
    if (!LoadConfig(dir, &cfg)) {
      return absl::FailedPreconditionError(
          absl::StrCat(dir,
                       " is not set up; run `fieldsync init` first or pass --server "
                       "HOST:PORT --token-file F [--ca-file PEM | --plaintext]"));
    }
  } else {
    if (token_file.empty()) {
      return absl::InvalidArgumentError("--server needs --token-file (the admin token)");
    }
    cfg.server = server;
  }
  if (!token_file.empty()) {
    bool ok = false;
    cfg.token = Trim(ReadFile(token_file, &ok));
    if (!ok) return absl::FailedPreconditionError("cannot read token file " + token_file);
  }
  if (!ca_file.empty()) cfg.ca_file = ca_file;
  if (plaintext) cfg.plaintext = true;
  if (!ca_file.empty() && plaintext) {
    return absl::InvalidArgumentError("--ca-file and --plaintext exclude each other");
  }
  if (!ca_file.empty()) cfg.plaintext = false;  // a CA file flag means TLS

  client::ServerOptions options;
  options.target = cfg.server;
  options.plaintext = cfg.plaintext;
  options.gzip = false;  // admin answers are small; keep the server's CPU for devices
  std::shared_ptr<grpc::ChannelCredentials> creds;
  if (cfg.plaintext) {
    creds = grpc::InsecureChannelCredentials();
  } else {
    grpc::SslCredentialsOptions ssl;
    if (!cfg.ca_file.empty()) {
      bool ok = false;
      ssl.pem_root_certs = ReadFile(cfg.ca_file, &ok);
      if (!ok) return absl::FailedPreconditionError("cannot read CA file " + cfg.ca_file);
    }
    creds = grpc::SslCredentials(ssl);
  }
  conn.timeout_ms = settings.timeout_ms;
  conn.channel = grpc::CreateCustomChannel(cfg.server, creds, client::ChannelArgs(options));
  return conn;
}

std::string ExplainServerCall(const absl::Status& s, const Config& cfg,
                              const std::string& refused) {
  const std::string msg(s.message());
  switch (s.code()) {
    case absl::StatusCode::kUnavailable:
      return absl::StrCat("server unreachable (", cfg.server, "): ", msg,
                          "; check the address, TLS flags and the link, then try again.");
    case absl::StatusCode::kDeadlineExceeded:
      return absl::StrCat("the server did not answer in time (", cfg.server, "): ", msg,
                          "; try again later (FIELDSYNC_TIMEOUT_MS sets the limit in ms).");
    case absl::StatusCode::kUnauthenticated:
      return absl::StrCat("the server refused the token (revoked, expired or mistyped): ", msg);
    default:
      return Explain(s, cfg, refused);
  }
}

absl::Status FromGrpcStatus(const grpc::Status& s) { return client::FromGrpc(s); }

}  // namespace fieldsync::cli
