// fieldsync-aggregator's configuration: like fieldsyncd's (server/cmdline), each setting a
// flag, else FIELDSYNC_<NAME>, else a line of the --config file.
#ifndef FIELDSYNC_SERVER_APP_AGGREGATOR_CONFIG_H_
#define FIELDSYNC_SERVER_APP_AGGREGATOR_CONFIG_H_

#include <map>
#include <string>
#include <vector>

#include "absl/status/status.h"
#include "absl/status/statusor.h"
#include "server/cmdline/cmdline_fwd.h"

namespace fieldsync {

struct AggregatorConfig {
  std::string feed_target;       // fieldsyncd's gRPC address (required)
  std::string feed_token_file;   // a feed_reader token (required)
  std::string feed_ca_file;      // TLS on the feed; empty: plaintext (dev, loopback only)
  std::string data_dir;          // the cells' RocksDB folder (required)
  std::string listen;            // the query listener HOST:PORT (required)
  std::string query_token_file;  // the one token query callers present (required)
  std::string port_file;         // the bound query port is written here
  std::string tls_cert_file;     // TLS on the listener, with tls_key_file
  std::string tls_key_file;
  bool dev_plaintext = false;  // plaintext feed/listener, on loopback only
};

// Declares every field of `c` as a setting of `command` and adds --config.
void AddAggregatorSettings(cmdline::CommandLine* cl, CLI::App* command, AggregatorConfig* c);

// INVALID_ARGUMENT naming the flag: a required setting missing, TLS files apart, plaintext
// without --dev-plaintext or off loopback.
absl::Status ValidateAggregatorConfig(const AggregatorConfig& c);

// Parses `args` over `env` over the config file, then validates.
absl::StatusOr<AggregatorConfig> ParseAggregatorConfig(
    const std::vector<std::string>& args, const std::map<std::string, std::string>& env);

}  // namespace fieldsync

#endif  // FIELDSYNC_SERVER_APP_AGGREGATOR_CONFIG_H_
