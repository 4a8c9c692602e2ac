// fieldsyncd configuration: flags over FIELDSYNC_* environment variables over a config file
// over defaults (server/cmdline), one table for `serve` and the offline commands. Validated at
// start; secrets only from files.
#ifndef FIELDSYNC_SERVER_APP_CONFIG_H_
#define FIELDSYNC_SERVER_APP_CONFIG_H_

#include <cstdint>
#include <map>
#include <string>
#include <vector>

#include "absl/status/statusor.h"
#include "server/cmdline/cmdline_fwd.h"

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
  // The OpenRosa door (server/openrosa): HTTPS for ODK Collect and friends; "" = off. TLS with
  // the gRPC certificate; plaintext only with --dev-plaintext on a loopback address.
  std::string openrosa_listen;
  std::string openrosa_port_file;
  int openrosa_threads = 4;
  uint64_t openrosa_max_body_bytes = 10'000'000;
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
  // Aggregation (issue 4): the embedded consumer keeping the cells, on unless
  // --no-aggregation (e.g. when a separate fieldsync-aggregator runs); its own RocksDB folder
  // (empty: <data-dir>/aggregates).
  bool no_aggregation = false;
  std::string aggregates_dir;
  // Identity (issue 5 part A): token lifetime, the address put into enrollment URIs (default:
  // --listen), and failed enrollment attempts per peer address and overall per window.
  int64_t token_lifetime_ms = 90LL * 24 * 3600 * 1000;
  // After a token rotation, bundles signed with the previous token still verify this long
  // (bundle verification only, never authentication; 0: not at all).
  int64_t bundle_key_grace_ms = 30LL * 24 * 3600 * 1000;
  std::string public_address;
  uint32_t enroll_attempts_per_peer = 10;
  uint32_t enroll_attempts_global = 100;
  int64_t enroll_attempt_window_ms = 10 * 60 * 1000;
  // Issue 5 protection. The pii key is read from this file (never given as a value); forms
  // with pii fields are refused while it is empty.
  std::string pii_key_file;
  // Mutual TLS: client certificates are required and verified against this CA bundle.
  std::string tls_client_ca_file;
  // How often the certificate, key and client CA files are re-read (seconds).
  uint32_t tls_reload_interval_s = 60;
  // Per-device request rate (token bucket; 0 disables) and burst.
  uint32_t max_requests_per_second = 200;
  uint32_t request_burst = 400;
  // Concurrent Push/Pull/Changes streams per device and in total (0: no limit).
  uint32_t max_streams_per_device = 4;
  uint32_t max_streams_total = 512;
  // Admin (issue 6): BackupEngine folder for CreateBackup/ListBackups/VerifyBackup (empty: no
  // backups over the API), and the default "silent device" threshold.
  std::string backup_dir;
  // Attachments (issue 13): the blob folder (empty: <data-dir>/blobs), the largest attachment
  // and the most attachment bytes one device may store.
  std::string attachments_dir;
  uint64_t max_attachment_bytes = 50ull << 20;
  uint64_t attachment_quota_bytes = 2ull << 30;
  int64_t silent_after_ms = 6LL * 3600 * 1000;
  // Admin HTTP port: /metrics, /healthz, the dashboard. "" turns it off. It needs no
  // credential: keep it on loopback or a cluster-internal address.
  std::string admin_listen = "127.0.0.1:9090";
  std::string admin_port_file;     // the bound admin port is written here (for host:0)
  std::string log_level = "info";  // debug, info, warn, error
  // Connections (issue 10; transport_options.h): a client must finish the TLS handshake and
  // send HTTP/2 settings within handshake_timeout_ms; a connection without calls is closed
  // after max_connection_idle_ms; with calls open, a silent peer is pinged after
  // keepalive_time_ms and dropped keepalive_timeout_ms later.
  int64_t handshake_timeout_ms = 10'000;
  int64_t max_connection_idle_ms = 5 * 60'000;
  int64_t keepalive_time_ms = 2 * 60'000;
  int64_t keepalive_timeout_ms = 20'000;
};

// Declares every field of `c` as a setting of `command` (--data-dir, --max-batch, ...: flag,
// FIELDSYNC_* variable and config-file key) and adds --config. `c` must outlive the parse.
void AddServerSettings(cmdline::CommandLine* cl, CLI::App* command, ServerConfig* c);

// INVALID_ARGUMENT naming the flag for an inconsistent configuration (TLS files apart,
// plaintext off loopback, a zero limit, ...).
absl::Status ValidateServerConfig(const ServerConfig& c);

// `fieldsyncd serve`'s parse: `args` (flags --name=value or --name value; bools as --name)
// over the environment `env` (FIELDSYNC_NAME) over the config file (--config or
// FIELDSYNC_CONFIG), then validated. INVALID_ARGUMENT on unknown flags, bad numbers or an
// inconsistent configuration.
absl::StatusOr<ServerConfig> ParseServerConfig(const std::vector<std::string>& args,
                                               const std::map<std::string, std::string>& env);

// The effective configuration, one "name=value" per line (no secrets: key paths only).
std::string DescribeConfig(const ServerConfig& c);

// Whether "host:port" names a loopback host (127.0.0.0/8, ::1, localhost).
bool IsLoopbackAddress(const std::string& listen);

}  // namespace fieldsync

#endif  // FIELDSYNC_SERVER_APP_CONFIG_H_
