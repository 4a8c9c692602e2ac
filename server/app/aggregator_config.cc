#include "server/app/aggregator_config.h"

#include <utility>

#include "absl/strings/str_cat.h"
#include "server/app/config.h"
#include "server/cmdline/cmdline.h"
#include "server/common/status.h"

namespace fieldsync {

void AddAggregatorSettings(cmdline::CommandLine* cl, CLI::App* cmd, AggregatorConfig* c) {
  cl->AddConfigOption(cmd);
  cl->Add(cmd, "--feed-target", &c->feed_target, "fieldsyncd's gRPC address HOST:PORT");
  cl->Add(cmd, "--feed-token-file", &c->feed_token_file, "a feed_reader token");
  cl->Add(cmd, "--feed-ca-file", &c->feed_ca_file, "CA to trust on the feed (TLS)");
  cl->Add(cmd, "--data-dir", &c->data_dir, "the cells' RocksDB folder");
  cl->Add(cmd, "--listen", &c->listen, "query listener HOST:PORT (port 0: any free port)");
  cl->Add(cmd, "--query-token-file", &c->query_token_file,
          "the token query callers present (served as an all-scopes admin)");
  cl->Add(cmd, "--port-file", &c->port_file, "write the bound query port here");
  cl->Add(cmd, "--tls-cert-file", &c->tls_cert_file, "listener certificate chain (PEM)");
  cl->Add(cmd, "--tls-key-file", &c->tls_key_file, "listener private key (PEM)");
  cl->AddFlag(cmd, "--dev-plaintext", &c->dev_plaintext,
              "plaintext feed and listener (development, loopback only)");
}

absl::Status ValidateAggregatorConfig(const AggregatorConfig& c) {
  for (const auto& [name, value] :
       {std::pair<const char*, const std::string*>{"feed-target", &c.feed_target},
        {"feed-token-file", &c.feed_token_file},
        {"data-dir", &c.data_dir},
        {"listen", &c.listen},
        {"query-token-file", &c.query_token_file}}) {
    if (value->empty()) return absl::InvalidArgumentError(absl::StrCat("--", name, " is required"));
  }
  // TLS on both sides unless --dev-plaintext, and plaintext only on loopback.
  const bool listen_tls = !c.tls_cert_file.empty() || !c.tls_key_file.empty();
  if (listen_tls && (c.tls_cert_file.empty() || c.tls_key_file.empty())) {
    return absl::InvalidArgumentError("--tls-cert-file and --tls-key-file go together");
  }
  if (!listen_tls && (!c.dev_plaintext || !IsLoopbackAddress(c.listen))) {
    return absl::InvalidArgumentError(
        "without --tls-cert-file/--tls-key-file the query listener is plaintext: it needs "
        "--dev-plaintext and a loopback --listen");
  }
  if (c.feed_ca_file.empty() && (!c.dev_plaintext || !IsLoopbackAddress(c.feed_target))) {
    return absl::InvalidArgumentError(
        "without --feed-ca-file the feed is plaintext: it needs --dev-plaintext and a loopback "
        "--feed-target");
  }
  return absl::OkStatus();
}

absl::StatusOr<AggregatorConfig> ParseAggregatorConfig(
    const std::vector<std::string>& args, const std::map<std::string, std::string>& env) {
  AggregatorConfig c;
  CLI::App app("aggregation service", "fieldsync-aggregator");
  cmdline::CommandLine cl(&app);
  AddAggregatorSettings(&cl, &app, &c);
  FS_RETURN_IF_ERROR(cl.ParseArgs(args, env));
  FS_RETURN_IF_ERROR(ValidateAggregatorConfig(c));
  return c;
}

}  // namespace fieldsync
