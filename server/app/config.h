// fieldsyncd configuration: flags over FIELDSYNC_* environment variables over defaults.
// Validated at start; secrets only from files.
#ifndef FIELDSYNC_SERVER_APP_CONFIG_H_
#define FIELDSYNC_SERVER_APP_CONFIG_H_

#include <cstdint>
#include <map>
#include <string>
#include <vector>

#include "absl/status/statusor.h"

namespace fieldsync {

struct ServerConfig {
  std::string data_dir = "./fieldsync-data";
  std::string listen = "127.0.0.1:7443";
  // Plaintext is allowed only with this flag and only on a loopback address.
  bool dev_plaintext = false;
  std::string tls_cert_file;
  std::string tls_key_file;
  std::string forms_dir;  // form definitions (JSON) published at start
  bool reflection = false;
  std::string port_file;  // the bound port is written here (for --listen host:0)
  uint64_t retention_changes = 10'000'000;
  int64_t retention_ms = 30LL * 24 * 3600 * 1000;
  int64_t retention_interval_ms = 60'000;
  size_t block_cache_mb = 64;
  size_t write_buffer_mb = 32;
  size_t max_message_bytes = 4 << 20;
  size_t max_batch = 500;
  size_t max_fields_per_record = 200;
  size_t max_value_bytes = 4096;
  uint32_t max_pull_records = 50'000;   // per Pull call
  uint32_t pull_page = 500;             // records per PullResponse
  uint32_t max_receipts_page = 10'000;  // per ListReceipts call
  uint32_t max_changes_page = 5'000;    // changes per ChangesResponse
  int64_t shutdown_grace_ms = 10'000;
};

// Parses `args` (flags --name=value or --name value; bools as --name) over the environment
// (FIELDSYNC_NAME, dashes as underscores). INVALID_ARGUMENT on unknown flags, bad numbers or
// an inconsistent configuration.
absl::StatusOr<ServerConfig> ParseServerConfig(const std::vector<std::string>& args,
                                               const std::map<std::string, std::string>& env);

// The effective configuration, one "name=value" per line (no secrets: key paths only).
std::string DescribeConfig(const ServerConfig& c);

// Whether "host:port" names a loopback host (127.0.0.0/8, ::1, localhost).
bool IsLoopbackAddress(const std::string& listen);

}  // namespace fieldsync

#endif  // FIELDSYNC_SERVER_APP_CONFIG_H_
