// fieldsyncd: the fieldsync sync server.
//
//   fieldsyncd serve [flags]                       run the server
//   fieldsyncd device add --id ID --role ROLE (--scope field=value ... | --all-scopes)
//                         [--token-file FILE] [--data-dir DIR]
//   fieldsyncd device revoke --id ID [--data-dir DIR]
//   fieldsyncd device list [--data-dir DIR]
//   fieldsyncd admin init | enroll-code create | audit verify|list   (identity_commands.h)
//
// Device commands open the database directly, so run them while the server is stopped.
#include <malloc.h>
#include <signal.h>
#include <sys/stat.h>

#include <cstdlib>
#include <fstream>
#include <iostream>
#include <map>
#include <string>
#include <vector>

#include "absl/strings/str_cat.h"
#include "absl/strings/str_join.h"
#include "absl/strings/str_split.h"
#include "server/app/backup_command.h"
#include "server/app/bundle_command.h"
#include "server/app/config.h"
#include "server/app/health_check.h"
#include "server/app/identity_commands.h"
#include "server/app/offline.h"
#include "server/app/protobuf_log.h"
#include "server/app/server.h"
#include "server/common/log.h"

extern char** environ;

namespace fieldsync {
namespace {

int Usage() {
  std::cerr << "usage:\n"
               "  fieldsyncd serve [--data-dir DIR] [--listen HOST:PORT] [--dev-plaintext]\n"
               "                   [--tls-cert-file F --tls-key-file F] [--forms-dir DIR]\n"
               "                   [--reflection] [--port-file F] (see docs/ARCHITECTURE.md)\n"
               "  fieldsyncd device add --id ID --role ROLE (--scope FIELD=VALUE... | "
               "--all-scopes)\n"
               "                        [--token-file FILE] [--data-dir DIR]\n"
               "  fieldsyncd device revoke --id ID [--data-dir DIR]\n"
               "  fieldsyncd device list [--data-dir DIR]\n"
               "  fieldsyncd admin init --token-file PATH [--id ID] [--data-dir DIR]\n"
               "  fieldsyncd enroll-code create --role ROLE (--scope FIELD=VALUE... | "
               "--all-scopes)\n"
               "                        [--ttl 24h] [--server HOST:PORT] [--data-dir DIR]\n"
               "  fieldsyncd audit verify [--expect-head HASH] [--data-dir DIR]\n"
               "  fieldsyncd audit list [--from N] [--limit N] [--data-dir DIR]\n"
               "  fieldsyncd backup create|list|verify|restore --backup-dir D [--backup-id N]\n"
               "                        [--data-dir DIR]   (backup_command.h)\n"
               "  fieldsyncd bundle import FILE [--receipts-out FILE] [--data-dir DIR]\n"
               "                        (server stopped; bundle_command.h)\n"
               "  fieldsyncd health-check --target HOST:PORT (--ca-file PEM | --plaintext)\n"
               "                        [--authority NAME]   (exit 0 when SERVING)\n"
               "roles: enumerator border_officer supervisor admin feed_reader\n";
  return 2;
}

std::map<std::string, std::string> Environment() {
  std::map<std::string, std::string> env;
  for (char** e = environ; *e; ++e) {
    std::string kv(*e);
    size_t eq = kv.find('=');
    if (eq != std::string::npos && kv.rfind("FIELDSYNC_", 0) == 0) {
      env[kv.substr(0, eq)] = kv.substr(eq + 1);
    }
  }
  return env;
}

int Serve(const std::vector<std::string>& args) {
  auto config = ParseServerConfig(args, Environment());
  if (!config.ok()) {
    std::cerr << "fieldsyncd: " << config.status().message() << "\n";
    return 2;
  }
  // Handle SIGTERM/SIGINT on this thread with sigwait; block them everywhere else.
  sigset_t set;
  sigemptyset(&set);
  sigaddset(&set, SIGTERM);
  sigaddset(&set, SIGINT);
  pthread_sigmask(SIG_BLOCK, &set, nullptr);

  LogLevel level = LogLevel::kInfo;
  ParseLogLevel(config->log_level, &level);  // validated by ParseServerConfig
  SetLogLevel(level);
  RouteProtobufLogs();
  {
    // The effective configuration, one field per flag (paths only, never secrets).
    LogEvent event(LogLevel::kInfo, "config");
    for (absl::string_view line :
         absl::StrSplit(DescribeConfig(*config), '\n', absl::SkipEmpty())) {
      size_t eq = line.find('=');
      event.Str(std::string(line.substr(0, eq)), std::string(line.substr(eq + 1)));
    }
  }
  auto server = FieldsyncServer::Start(*config, SystemClock::Default());
  if (!server.ok()) {
    LogEvent(LogLevel::kError, "start_failed").Str("status", server.status().ToString());
    std::cerr << "fieldsyncd: " << server.status() << "\n";
    return 1;
  }
  LogEvent(LogLevel::kInfo, "serving")
      .Int("port", (*server)->port())
      .Int("admin_port", (*server)->admin_port())
      .Str("transport", config->tls_cert_file.empty() ? "plaintext-dev" : "tls");
  int sig = 0;
  sigwait(&set, &sig);
  LogEvent(LogLevel::kInfo, "signal").Int("signal", sig).Str("action", "draining");
  (*server)->Shutdown(std::chrono::milliseconds(config->shutdown_grace_ms));
  server->reset();
  LogEvent(LogLevel::kInfo, "stopped").Bool("clean", true);
  return 0;
}

int DeviceCommand(const std::vector<std::string>& args) {
  if (args.empty()) return Usage();
  const std::string verb = args[0];
  std::string id, role_name, token_file;
  std::vector<ScopePair> scopes;
  bool all_scopes = false;
  std::vector<std::string> rest;
  for (size_t i = 1; i < args.size(); ++i) {
    const std::string& a = args[i];
    auto value = [&]() -> std::string { return i + 1 < args.size() ? args[++i] : ""; };
    if (a == "--id") {
      id = value();
    } else if (a == "--role") {
      role_name = value();
    } else if (a == "--scope") {
      auto s = ParseScope(value());
      if (!s.ok()) {
        std::cerr << "fieldsyncd: " << s.status().message() << "\n";
        return 2;
      }
      scopes.push_back(*s);
    } else if (a == "--all-scopes") {
      all_scopes = true;
    } else if (a == "--token-file") {
      token_file = value();
    } else {
      rest.push_back(a);
      if (a.rfind("--", 0) == 0 && a.find('=') == std::string::npos && a != "--dev-plaintext" &&
          i + 1 < args.size()) {
        rest.push_back(args[++i]);
      }
    }
  }
  OfflineContext off;
  if (int rc = OpenOffline(rest, Environment(), /*open_store=*/true, &off); rc != 0) return rc;
  DeviceRegistry registry(off.store.get(), SystemClock::Default(), off.audit.get(),
                          RegistryOptionsOf(off.config));
  if (verb == "add") {
    auto role = ParseRole(role_name);
    if (!role) {
      std::cerr << "fieldsyncd: unknown role '" << role_name << "'\n";
      return Usage();
    }
    auto created = registry.Create(id, *role, scopes, all_scopes);
    if (!created.ok()) {
      std::cerr << "fieldsyncd: " << created.status().message() << "\n";
      return 1;
    }
    if (!token_file.empty()) {
      // Readable by the owner only.
      umask(077);
      std::ofstream out(token_file, std::ios::trunc);
      out << created->token << "\n";
      if (!out) {
        std::cerr << "fieldsyncd: cannot write " << token_file << "\n";
        return 1;
      }
      chmod(token_file.c_str(), 0600);
      std::cout << "device " << id << " created; token written to " << token_file << "\n";
    } else {
      std::cout << created->token << "\n";
    }
    return 0;
  }
  if (verb == "revoke") {
    auto s = registry.Revoke(id);
    if (!s.ok()) {
      std::cerr << "fieldsyncd: " << s.message() << "\n";
      return 1;
    }
    std::cout << "device " << id << " revoked\n";
    return 0;
  }
  if (verb == "list") {
    auto devices = registry.List();
    if (!devices.ok()) {
      std::cerr << "fieldsyncd: " << devices.status() << "\n";
      return 1;
    }
    for (const auto& d : *devices) {
      std::vector<std::string> s;
      for (const auto& p : d.scopes) s.push_back(absl::StrCat(p.field, "=", p.value));
      std::cout << d.device_id << "\t" << RoleName(d.role) << "\t"
                << (d.all_scopes ? "*" : absl::StrJoin(s, ",")) << "\t"
                << (d.revoked ? "revoked" : "active") << "\t"
                << "token_expires_ms=" << d.token_expires_ms << "\n";
    }
    return 0;
  }
  return Usage();
}

}  // namespace
}  // namespace fieldsync

int main(int argc, char** argv) {
  // One malloc arena per handler thread would let memory grow with the number of streams;
  // a few arenas keep it bounded by configuration.
  mallopt(M_ARENA_MAX, 4);
  std::vector<std::string> args(argv + 1, argv + argc);
  if (args.empty()) return fieldsync::Usage();
  const std::string cmd = args[0];
  args.erase(args.begin());
  if (cmd == "serve") return fieldsync::Serve(args);
  if (cmd == "device") return fieldsync::DeviceCommand(args);
  if (cmd == "admin") return fieldsync::AdminCommand(args, fieldsync::Environment());
  if (cmd == "enroll-code") return fieldsync::EnrollCodeCommand(args, fieldsync::Environment());
  if (cmd == "audit") return fieldsync::AuditCommand(args, fieldsync::Environment());
  if (cmd == "backup") return fieldsync::BackupCommand(args, fieldsync::Environment());
  if (cmd == "bundle") return fieldsync::BundleCommand(args, fieldsync::Environment());
  if (cmd == "health-check") return fieldsync::HealthCheckCommand(args);
  return fieldsync::Usage();
}
