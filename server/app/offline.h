// What the commands of fieldsyncd share: the command table they declare themselves into
// (one CLI11 App, one set of server settings), and, for the offline commands (run with the
// server stopped: device, admin init, enroll-code, audit, backup, bundle import), opening the
// store and audit log of the configured server. Also the engine options every wiring derives
// from the configuration.
#ifndef FIELDSYNC_SERVER_APP_OFFLINE_H_
#define FIELDSYNC_SERVER_APP_OFFLINE_H_

#include <functional>
#include <memory>
#include <string>

#include "server/app/config.h"
#include "server/audit/audit_log.h"
#include "server/cmdline/cmdline.h"
#include "server/storage/store.h"
#include "server/sync/sync_engine.h"

namespace fieldsync {

// fieldsyncd's command table. Commands add themselves as subcommands of the root; the one the
// command line chooses sets `run`, which main() calls once parsing (flags, environment,
// config file) succeeded. Single-threaded; lives for the whole program run.
struct Program {
  explicit Program(CLI::App* root) : cl(root) {}

  // A subcommand `name` of `parent`, with every server setting (bound to `config`) when
  // `server_settings`; when it is the command chosen, `run` becomes `body`.
  CLI::App* AddCommand(CLI::App* parent, const std::string& name, const std::string& help,
                       bool server_settings, std::function<int()> body);

  cmdline::CommandLine cl;
  ServerConfig config;
  std::function<int()> run;
};

struct OfflineContext {
  ServerConfig config;
  std::unique_ptr<Store> store;     // null unless opened
  std::unique_ptr<AuditLog> audit;  // null unless opened
};

// Validates `config` as `fieldsyncd serve` would (with --dev-plaintext: an offline command
// opens no listener), then, with `open_store`, opens the store (RocksDB's lock fails while a
// server runs on it) and its audit log. On error prints the reason on stderr and returns the
// exit code (2 for a bad configuration, 1 otherwise); 0 on success.
int OpenOffline(ServerConfig config, bool open_store, OfflineContext* out);

// The sync engine's limits from the configuration.
SyncEngineOptions EngineOptionsOf(const ServerConfig& config);

}  // namespace fieldsync

#endif  // FIELDSYNC_SERVER_APP_OFFLINE_H_
