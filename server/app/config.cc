#include "server/app/config.h"

#include <arpa/inet.h>

#include <fstream>
#include <functional>

#include "absl/strings/ascii.h"
#include "absl/strings/match.h"
#include "absl/strings/numbers.h"
#include "absl/strings/str_cat.h"
#include "absl/strings/str_replace.h"
#include "absl/strings/strip.h"
#include "server/common/log.h"
#include "server/common/status.h"

namespace fieldsync {
namespace {

struct Flag {
  bool is_bool;
  std::function<absl::Status(const std::string&)> set;
  std::function<std::string()> get;
};

template <typename T>
Flag NumberFlag(T* v) {
  return Flag{false,
              [v](const std::string& s) -> absl::Status {
                if (!absl::SimpleAtoi(s, v)) {
                  return absl::InvalidArgumentError(absl::StrCat("'", s, "' is not a number"));
                }
                return absl::OkStatus();
              },
              [v] { return absl::StrCat(*v); }};
}

Flag StringFlag(std::string* v) {
  return Flag{false,
              [v](const std::string& s) {
                *v = s;
                return absl::OkStatus();
              },
              [v] { return *v; }};
}

Flag BoolFlag(bool* v) {
  return Flag{true,
              [v](const std::string& s) -> absl::Status {
                if (s.empty() || s == "true" || s == "1") {
                  *v = true;
                } else if (s == "false" || s == "0") {
                  *v = false;
                } else {
                  return absl::InvalidArgumentError(absl::StrCat("'", s, "' is not a boolean"));
                }
                return absl::OkStatus();
              },
              [v] { return std::string(*v ? "true" : "false"); }};
}

std::map<std::string, Flag> Flags(ServerConfig* c) {
  return {
      {"data-dir", StringFlag(&c->data_dir)},
      {"listen", StringFlag(&c->listen)},
      {"dev-plaintext", BoolFlag(&c->dev_plaintext)},
      {"tls-cert-file", StringFlag(&c->tls_cert_file)},
      {"tls-key-file", StringFlag(&c->tls_key_file)},
      {"forms-dir", StringFlag(&c->forms_dir)},
      {"reflection", BoolFlag(&c->reflection)},
      {"port-file", StringFlag(&c->port_file)},
      {"retention-changes", NumberFlag(&c->retention_changes)},
      {"retention-ms", NumberFlag(&c->retention_ms)},
      {"retention-interval-ms", NumberFlag(&c->retention_interval_ms)},
      {"block-cache-mb", NumberFlag(&c->block_cache_mb)},
      {"write-buffer-mb", NumberFlag(&c->write_buffer_mb)},
      {"max-message-bytes", NumberFlag(&c->max_message_bytes)},
      {"max-batch", NumberFlag(&c->max_batch)},
      {"max-fields-per-record", NumberFlag(&c->max_fields_per_record)},
      {"max-value-bytes", NumberFlag(&c->max_value_bytes)},
      {"max-pull-records", NumberFlag(&c->max_pull_records)},
      {"pull-page", NumberFlag(&c->pull_page)},
      {"max-receipts-page", NumberFlag(&c->max_receipts_page)},
      {"max-changes-page", NumberFlag(&c->max_changes_page)},
      {"shutdown-grace-ms", NumberFlag(&c->shutdown_grace_ms)},
      {"no-aggregation", BoolFlag(&c->no_aggregation)},
      {"aggregates-dir", StringFlag(&c->aggregates_dir)},
      {"token-lifetime-ms", NumberFlag(&c->token_lifetime_ms)},
      {"bundle-key-grace-ms", NumberFlag(&c->bundle_key_grace_ms)},
      {"public-address", StringFlag(&c->public_address)},
      {"enroll-attempts-per-peer", NumberFlag(&c->enroll_attempts_per_peer)},
      {"enroll-attempts-global", NumberFlag(&c->enroll_attempts_global)},
      {"enroll-attempt-window-ms", NumberFlag(&c->enroll_attempt_window_ms)},
      {"pii-key-file", StringFlag(&c->pii_key_file)},
      {"tls-client-ca-file", StringFlag(&c->tls_client_ca_file)},
      {"tls-reload-interval-s", NumberFlag(&c->tls_reload_interval_s)},
      {"max-requests-per-second", NumberFlag(&c->max_requests_per_second)},
      {"request-burst", NumberFlag(&c->request_burst)},
      {"max-streams-per-device", NumberFlag(&c->max_streams_per_device)},
      {"max-streams-total", NumberFlag(&c->max_streams_total)},
      {"backup-dir", StringFlag(&c->backup_dir)},
      {"attachments-dir", StringFlag(&c->attachments_dir)},
      {"max-attachment-bytes", NumberFlag(&c->max_attachment_bytes)},
      {"attachment-quota-bytes", NumberFlag(&c->attachment_quota_bytes)},
      {"silent-after-ms", NumberFlag(&c->silent_after_ms)},
      {"admin-listen", StringFlag(&c->admin_listen)},
      {"admin-port-file", StringFlag(&c->admin_port_file)},
      {"log-level", StringFlag(&c->log_level)},
      {"handshake-timeout-ms", NumberFlag(&c->handshake_timeout_ms)},
      {"max-connection-idle-ms", NumberFlag(&c->max_connection_idle_ms)},
      {"keepalive-time-ms", NumberFlag(&c->keepalive_time_ms)},
      {"keepalive-timeout-ms", NumberFlag(&c->keepalive_timeout_ms)},
      {"config", StringFlag(&c->config_file)},
  };
}

// Applies "name = value" lines of the config file at `path` (flag names; '#' starts a
// comment line; values may be quoted).
absl::Status ApplyConfigFile(const std::string& path, std::map<std::string, Flag>& flags) {
  std::ifstream in(path);
  if (!in) return absl::InvalidArgumentError(absl::StrCat("cannot read config file ", path));
  std::string line;
  int number = 0;
  size_t total = 0;
  while (std::getline(in, line)) {
    ++number;
    total += line.size() + 1;
    if (total > (1u << 20)) return absl::InvalidArgumentError(path + ": larger than 1 MiB");
    absl::string_view text = absl::StripAsciiWhitespace(line);
    if (text.empty() || text.front() == '#') continue;
    const std::string where = absl::StrCat(path, ":", number);
    size_t eq = text.find('=');
    if (eq == absl::string_view::npos) {
      return absl::InvalidArgumentError(absl::StrCat(where, ": expected name = value"));
    }
    std::string name(absl::StripAsciiWhitespace(text.substr(0, eq)));
    std::string value(absl::StripAsciiWhitespace(text.substr(eq + 1)));
    if (value.size() >= 2 && (value.front() == '"' || value.front() == '\'') &&
        value.back() == value.front()) {
      value = value.substr(1, value.size() - 2);
    }
    auto it = flags.find(name);
    if (it == flags.end() || name == "config") {
      return absl::InvalidArgumentError(absl::StrCat(where, ": unknown setting '", name, "'"));
    }
    FS_RETURN_IF_ERROR_PREPEND(it->second.set(value), where);
  }
  return absl::OkStatus();
}

}  // namespace

bool IsLoopbackAddress(const std::string& listen) {
  size_t colon = listen.rfind(':');
  std::string host = colon == std::string::npos ? listen : listen.substr(0, colon);
  if (host == "[::1]" || host == "localhost") return true;
  // Only a literal IPv4 address in 127.0.0.0/8: a host name such as "127.example.org" could
  // resolve anywhere.
  in_addr addr{};
  return inet_pton(AF_INET, host.c_str(), &addr) == 1 && (ntohl(addr.s_addr) >> 24) == 127;
}

absl::StatusOr<ServerConfig> ParseServerConfig(const std::vector<std::string>& args,
                                               const std::map<std::string, std::string>& env) {
  ServerConfig c;
  auto flags = Flags(&c);
  // The config file first: the environment and then the flags override it.
  std::string config_path;
  if (auto it = env.find("FIELDSYNC_CONFIG"); it != env.end()) config_path = it->second;
  for (size_t i = 0; i < args.size(); ++i) {
    if (args[i] == "--config" && i + 1 < args.size()) config_path = args[i + 1];
    if (absl::StartsWith(args[i], "--config=")) config_path = args[i].substr(9);
  }
  if (!config_path.empty()) FS_RETURN_IF_ERROR(ApplyConfigFile(config_path, flags));
  for (auto& [name, flag] : flags) {
    std::string var = absl::StrCat("FIELDSYNC_", absl::StrReplaceAll(name, {{"-", "_"}}));
    for (auto& ch : var) ch = static_cast<char>(toupper(static_cast<unsigned char>(ch)));
    if (auto it = env.find(var); it != env.end()) {
      FS_RETURN_IF_ERROR_PREPEND(flag.set(it->second), var);
    }
  }
  for (size_t i = 0; i < args.size(); ++i) {
    const std::string& a = args[i];
    if (!absl::StartsWith(a, "--")) {
      return absl::InvalidArgumentError(absl::StrCat("unexpected argument '", a, "'"));
    }
    std::string name = a.substr(2), value;
    bool has_value = false;
    if (size_t eq = name.find('='); eq != std::string::npos) {
      value = name.substr(eq + 1);
      name = name.substr(0, eq);
      has_value = true;
    }
    auto it = flags.find(name);
    if (it == flags.end()) return absl::InvalidArgumentError(absl::StrCat("unknown flag --", name));
    if (!has_value && !it->second.is_bool) {
      if (i + 1 >= args.size()) {
        return absl::InvalidArgumentError(absl::StrCat("--", name, " needs a value"));
      }
      value = args[++i];
    }
    FS_RETURN_IF_ERROR_PREPEND(it->second.set(value), absl::StrCat("--", name));
  }
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
  return c;
}

std::string DescribeConfig(const ServerConfig& c) {
  ServerConfig copy = c;
  std::string out;
  for (auto& [name, flag] : Flags(&copy)) absl::StrAppend(&out, name, "=", flag.get(), "\n");
  return out;
}

}  // namespace fieldsync
