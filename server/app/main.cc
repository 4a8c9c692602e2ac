// fieldsyncd: the fieldsync sync server.
//
//   fieldsyncd serve [settings]                    run the server
//   fieldsyncd device add|revoke|list ...          devices, straight in the database
//   fieldsyncd admin init | enroll-code create | audit verify|list   (identity_commands.h)
//   fieldsyncd backup ... | bundle import ... | health-check ...
//
// One command table (server/cmdline, CLI11): `fieldsyncd --help` and `fieldsyncd COMMAND
// --help` list every command and option. Every command but health-check takes the server
// settings (config.h), each a flag, else FIELDSYNC_<NAME>, else a line of the --config file.
// The offline commands open the database directly, so run them while the server is stopped.
#include <malloc.h>
#include <signal.h>
#include <sys/stat.h>

#include <cstdlib>
#include <fstream>
#include <iostream>
#include <memory>
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

namespace fieldsync {
namespace {

int Serve(const ServerConfig* config) {
  if (absl::Status s = ValidateServerConfig(*config); !s.ok()) {
    std::cerr << "fieldsyncd: " << s.message() << "\n";
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

struct DeviceArgs {
  std::string id, role, token_file;
  std::vector<std::string> scopes;
  bool all_scopes = false;
};

int RunDevice(const ServerConfig& config, const std::string& verb, const DeviceArgs& args) {
  const std::string& id = args.id;
  std::vector<ScopePair> scopes;
  for (const auto& text : args.scopes) {
    auto s = ParseScope(text);
    if (!s.ok()) {
      std::cerr << "fieldsyncd: " << s.status().message() << "\n";
      return 2;
    }
    scopes.push_back(*s);
  }
  OfflineContext off;
  if (int rc = OpenOffline(config, /*open_store=*/true, &off); rc != 0) return rc;
  DeviceRegistry registry(off.store.get(), SystemClock::Default(), off.audit.get(),
                          RegistryOptionsOf(off.config));
  if (verb == "add") {
    auto role = ParseRole(args.role);
    if (!role) {
      std::cerr << "fieldsyncd: unknown role '" << args.role
                << "' (enumerator border_officer supervisor admin feed_reader)\n";
      return 2;
    }
    auto created = registry.Create(id, *role, scopes, args.all_scopes);
    if (!created.ok()) {
      std::cerr << "fieldsyncd: " << created.status().message() << "\n";
      return 1;
    }
    if (const std::string& token_file = args.token_file; !token_file.empty()) {
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
  return 2;
}

void AddServeCommand(Program* p) {
  p->AddCommand(p->cl.app(), "serve", "run the server (SIGTERM: drain, flush, stop)", true,
                [p] { return Serve(&p->config); });
}

void AddDeviceCommands(Program* p) {
  CLI::App* device = p->cl.app()->add_subcommand(
      "device", "devices and their tokens, straight in the database (server stopped)");
  device->require_subcommand(1);
  auto args = std::make_shared<DeviceArgs>();
  auto command = [p, device, args](const char* verb, const char* help) {
    return p->AddCommand(device, verb, help, true,
                         [p, args, verb] { return RunDevice(p->config, verb, *args); });
  };
  CLI::App* add = command("add", "create a device; prints its token (or writes --token-file)");
  add->add_option("--id", args->id, "device id")->required();
  add->add_option("--role", args->role, "enumerator border_officer supervisor admin feed_reader")
      ->required();
  add->add_option("--scope", args->scopes, "FIELD=VALUE, repeatable");
  add->add_flag("--all-scopes", args->all_scopes, "every scope");
  add->add_option("--token-file", args->token_file, "write the token here (mode 600)");
  command("revoke", "revoke a device's token")
      ->add_option("--id", args->id, "device id")
      ->required();
  command("list", "id, role, scopes, state and token expiry per device");
}

}  // namespace
}  // namespace fieldsync

int main(int argc, char** argv) {
  // One malloc arena per handler thread would let memory grow with the number of streams;
  // a few arenas keep it bounded by configuration.
  mallopt(M_ARENA_MAX, 4);
  CLI::App app(
      "fieldsync sync server. A setting comes from its flag, else FIELDSYNC_<NAME>, "
      "else the --config file.",
      "fieldsyncd");
  app.require_subcommand(1);
  fieldsync::Program program(&app);
  fieldsync::AddServeCommand(&program);
  fieldsync::AddDeviceCommands(&program);
  fieldsync::AddIdentityCommands(&program);
  fieldsync::AddBackupCommands(&program);
  fieldsync::AddBundleCommands(&program);
  fieldsync::AddHealthCheckCommand(&program);
  if (auto exit_code =
          program.cl.ParseOrExit(argc, argv, fieldsync::cmdline::ProcessEnvironment())) {
    return *exit_code;
  }
  return program.run();
}
