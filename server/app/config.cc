#include "server/app/config.h"

#include <arpa/inet.h>

#include "absl/strings/str_cat.h"
#include "server/cmdline/cmdline.h"
#include "server/common/log.h"
#include "server/common/status.h"

namespace fieldsync {

void AddServerSettings(cmdline::CommandLine* cl, CLI::App* cmd, ServerConfig* c) {
  cl->AddConfigOption(cmd);
  // Storage and listeners.
  cl->Add(cmd, "--data-dir", &c->data_dir, "RocksDB folder");
  cl->Add(cmd, "--listen", &c->listen, "gRPC address HOST:PORT (port 0: any free port)");
  cl->AddFlag(cmd, "--dev-plaintext", &c->dev_plaintext,
              "serve plaintext (development, loopback --listen only)");
  cl->Add(cmd, "--tls-cert-file", &c->tls_cert_file, "server certificate chain (PEM)");
  cl->Add(cmd, "--tls-key-file", &c->tls_key_file, "server private key (PEM)");
  cl->Add(cmd, "--tls-client-ca-file", &c->tls_client_ca_file,
          "CA bundle: client certificates become mandatory (mutual TLS)");
  cl->Add(cmd, "--tls-reload-interval-s", &c->tls_reload_interval_s,
          "seconds between re-reads of the certificate, key and client CA");
  cl->Add(cmd, "--forms-dir", &c->forms_dir,
          "form definitions (JSON, or XLSForm .xlsx) published at start");
  cl->AddFlag(cmd, "--reflection", &c->reflection, "serve gRPC server reflection");
  cl->Add(cmd, "--port-file", &c->port_file, "write the bound gRPC port here");
  cl->Add(cmd, "--admin-listen", &c->admin_listen,
          "admin HTTP address (metrics, health, dashboard; no credential: keep it internal; "
          "empty: off)");
  cl->Add(cmd, "--admin-port-file", &c->admin_port_file, "write the bound admin port here");
  cl->Add(cmd, "--openrosa-listen", &c->openrosa_listen,
          "OpenRosa (ODK Collect, KoboCollect, Enketo) HTTPS address HOST:PORT (empty: off)");
  cl->Add(cmd, "--openrosa-port-file", &c->openrosa_port_file,
          "write the bound OpenRosa port here");
  cl->Add(cmd, "--openrosa-threads", &c->openrosa_threads, "OpenRosa request threads");
  cl->Add(cmd, "--openrosa-max-body-bytes", &c->openrosa_max_body_bytes,
          "largest OpenRosa request (Collect splits larger submissions)");
  cl->Add(cmd, "--log-level", &c->log_level, "debug, info, warn or error");
  cl->Add(cmd, "--shutdown-grace-ms", &c->shutdown_grace_ms,
          "on SIGTERM, how long open calls may finish");
  // Connections (transport_options.h).
  cl->Add(cmd, "--handshake-timeout-ms", &c->handshake_timeout_ms,
          "a client must finish the TLS handshake and HTTP/2 settings within this");
  cl->Add(cmd, "--max-connection-idle-ms", &c->max_connection_idle_ms,
          "a connection without calls is closed after this");
  cl->Add(cmd, "--keepalive-time-ms", &c->keepalive_time_ms,
          "with calls open, a silent peer is pinged after this");
  cl->Add(cmd, "--keepalive-timeout-ms", &c->keepalive_timeout_ms,
          "and dropped this long after an unanswered ping");
  // Change log retention and RocksDB memory.
  cl->Add(cmd, "--retention-changes", &c->retention_changes, "change-log entries kept");
  cl->Add(cmd, "--retention-ms", &c->retention_ms, "change-log age kept");
  cl->Add(cmd, "--retention-interval-ms", &c->retention_interval_ms, "how often retention runs");
  cl->Add(cmd, "--block-cache-mb", &c->block_cache_mb, "RocksDB block cache");
  cl->Add(cmd, "--write-buffer-mb", &c->write_buffer_mb, "RocksDB write buffer");
  // Limits per call.
  cl->Add(cmd, "--max-message-bytes", &c->max_message_bytes, "largest gRPC message");
  cl->Add(cmd, "--max-batch", &c->max_batch, "mutations per push batch");
  cl->Add(cmd, "--max-fields-per-record", &c->max_fields_per_record, "fields per record");
  cl->Add(cmd, "--max-value-bytes", &c->max_value_bytes, "bytes per field value");
  cl->Add(cmd, "--max-pull-records", &c->max_pull_records, "records per Pull call");
  cl->Add(cmd, "--pull-page", &c->pull_page, "records per PullResponse");
  cl->Add(cmd, "--max-receipts-page", &c->max_receipts_page, "receipts per ListReceipts call");
  cl->Add(cmd, "--max-changes-page", &c->max_changes_page, "changes per ChangesResponse");
  cl->Add(cmd, "--max-requests-per-second", &c->max_requests_per_second,
          "per-device request rate (0: no limit)");
  cl->Add(cmd, "--request-burst", &c->request_burst, "per-device request burst");
  cl->Add(cmd, "--max-streams-per-device", &c->max_streams_per_device,
          "concurrent Push/Pull/Changes streams per device (0: no limit)");
  cl->Add(cmd, "--max-streams-total", &c->max_streams_total,
          "concurrent streams in total (0: no limit)");
  // Aggregation.
  cl->AddFlag(cmd, "--no-aggregation", &c->no_aggregation,
              "no embedded aggregation consumer (a separate fieldsync-aggregator runs)");
  cl->Add(cmd, "--aggregates-dir", &c->aggregates_dir,
          "aggregation RocksDB folder (empty: DATA_DIR/aggregates)");
  // Identity.
  cl->Add(cmd, "--token-lifetime-ms", &c->token_lifetime_ms, "device token lifetime");
  cl->Add(cmd, "--bundle-key-grace-ms", &c->bundle_key_grace_ms,
          "after a token rotation, bundles signed with the previous token still verify this "
          "long (0: not at all)");
  cl->Add(cmd, "--public-address", &c->public_address,
          "address put into enrollment URIs (empty: --listen)");
  cl->Add(cmd, "--enroll-attempts-per-peer", &c->enroll_attempts_per_peer,
          "failed enrollments per peer address per window");
  cl->Add(cmd, "--enroll-attempts-global", &c->enroll_attempts_global,
          "failed enrollments in total per window");
  cl->Add(cmd, "--enroll-attempt-window-ms", &c->enroll_attempt_window_ms,
          "window of the enrollment attempt limits");
  cl->Add(cmd, "--pii-key-file", &c->pii_key_file,
          "key for pseudonymising pii fields (never given as a value)");
  // Administration.
  cl->Add(cmd, "--backup-dir", &c->backup_dir, "BackupEngine folder (empty: no backups)");
  // Attachments.
  cl->Add(cmd, "--attachments-dir", &c->attachments_dir, "blob folder (empty: DATA_DIR/blobs)");
  cl->Add(cmd, "--max-attachment-bytes", &c->max_attachment_bytes, "the largest attachment");
  cl->Add(cmd, "--attachment-quota-bytes", &c->attachment_quota_bytes,
          "the most attachment bytes one device may store");
  cl->Add(cmd, "--silent-after-ms", &c->silent_after_ms,
          "a device unseen this long counts as silent");
}

bool IsLoopbackAddress(const std::string& listen) {
  size_t colon = listen.rfind(':');
  std::string host = colon == std::string::npos ? listen : listen.substr(0, colon);
  if (host == "[::1]" || host == "localhost") return true;
  // Only a literal IPv4 address in 127.0.0.0/8: a host name such as "127.example.org" could
  // resolve anywhere.
  in_addr addr{};
  return inet_pton(AF_INET, host.c_str(), &addr) == 1 && (ntohl(addr.s_addr) >> 24) == 127;
}

absl::Status ValidateServerConfig(const ServerConfig& c) {
  if (c.data_dir.empty()) return absl::InvalidArgumentError("--data-dir must not be empty");
  const bool tls = !c.tls_cert_file.empty() || !c.tls_key_file.empty();
  if (tls && (c.tls_cert_file.empty() || c.tls_key_file.empty())) {
    return absl::InvalidArgumentError("--tls-cert-file and --tls-key-file go together");
  }
  if (!tls && !c.dev_plaintext) {
    return absl::InvalidArgumentError(
        "no TLS certificate: pass --tls-cert-file/--tls-key-file, or --dev-plaintext on a "
        "loopback address for development");
  }
  if (!tls && !IsLoopbackAddress(c.listen)) {
    return absl::InvalidArgumentError(
        absl::StrCat("plaintext is allowed only on loopback; ", c.listen, " is not"));
  }
  if (!c.openrosa_listen.empty() && !tls && !IsLoopbackAddress(c.openrosa_listen)) {
    return absl::InvalidArgumentError(absl::StrCat(
        "plaintext is allowed only on loopback; --openrosa-listen ", c.openrosa_listen, " is not"));
  }
  if (!c.openrosa_listen.empty() && (c.openrosa_threads <= 0 || c.openrosa_max_body_bytes < 1024)) {
    return absl::InvalidArgumentError(
        "--openrosa-threads must be positive and --openrosa-max-body-bytes at least 1024");
  }
  if (!c.tls_client_ca_file.empty() && !tls) {
    return absl::InvalidArgumentError("--tls-client-ca-file needs --tls-cert-file/--tls-key-file");
  }
  if (tls && c.tls_reload_interval_s == 0) {
    return absl::InvalidArgumentError("--tls-reload-interval-s must be positive");
  }
  if (c.max_requests_per_second != 0 && c.request_burst == 0) {
    return absl::InvalidArgumentError("--request-burst must be positive");
  }
  if (c.token_lifetime_ms <= 0 || c.enroll_attempts_per_peer == 0 ||
      c.enroll_attempts_global == 0 || c.enroll_attempt_window_ms <= 0) {
    return absl::InvalidArgumentError(
        "--token-lifetime-ms, --enroll-attempts-* and --enroll-attempt-window-ms must be positive");
  }
  if (c.bundle_key_grace_ms < 0) {
    return absl::InvalidArgumentError("--bundle-key-grace-ms must be 0 or more");
  }
  if (c.max_batch == 0 || c.max_message_bytes < 1024 || c.block_cache_mb == 0 ||
      c.write_buffer_mb == 0 || c.max_pull_records == 0 || c.pull_page == 0 ||
      c.max_receipts_page == 0 || c.max_changes_page == 0) {
    return absl::InvalidArgumentError("limits and memory sizes must be positive");
  }
  if (LogLevel level; !ParseLogLevel(c.log_level, &level)) {
    return absl::InvalidArgumentError("--log-level must be debug, info, warn or error");
  }
  if (c.handshake_timeout_ms <= 0 || c.max_connection_idle_ms <= 0 || c.keepalive_time_ms <= 0 ||
      c.keepalive_timeout_ms <= 0) {
    return absl::InvalidArgumentError(
        "--handshake-timeout-ms, --max-connection-idle-ms, --keepalive-time-ms and "
        "--keepalive-timeout-ms must be positive");
  }
  if (c.max_attachment_bytes == 0 || c.attachment_quota_bytes < c.max_attachment_bytes) {
    return absl::InvalidArgumentError(
        "--max-attachment-bytes must be positive and at most --attachment-quota-bytes");
  }
  if (c.silent_after_ms <= 0) {
    return absl::InvalidArgumentError("--silent-after-ms must be positive");
  }
  return absl::OkStatus();
}

absl::StatusOr<ServerConfig> ParseServerConfig(const std::vector<std::string>& args,
                                               const std::map<std::string, std::string>& env) {
  ServerConfig c;
  CLI::App app("fieldsync sync server", "fieldsyncd serve");
  cmdline::CommandLine cl(&app);
  AddServerSettings(&cl, &app, &c);
  FS_RETURN_IF_ERROR(cl.ParseArgs(args, env));
  FS_RETURN_IF_ERROR(ValidateServerConfig(c));
  return c;
}

std::string DescribeConfig(const ServerConfig& c) {
  ServerConfig copy = c;
  CLI::App app;
  cmdline::CommandLine cl(&app);
  AddServerSettings(&cl, &app, &copy);
  std::string out;
  for (const auto& [name, value] : cl.Describe(&app)) absl::StrAppend(&out, name, "=", value, "\n");
  return out;
}

}  // namespace fieldsync
