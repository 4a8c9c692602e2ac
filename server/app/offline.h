// What the offline commands of fieldsyncd (run with the server stopped: device, admin init,
// enroll-code, audit, backup, bundle import) share: parsing the server's configuration and
// opening its store and audit log. Also the engine options every wiring derives from it.
#ifndef FIELDSYNC_SERVER_APP_OFFLINE_H_
#define FIELDSYNC_SERVER_APP_OFFLINE_H_

#include <map>
#include <memory>
#include <string>
#include <vector>

#include "server/app/config.h"
#include "server/audit/audit_log.h"
#include "server/storage/store.h"
#include "server/sync/sync_engine.h"

namespace fieldsync {

struct OfflineContext {
  ServerConfig config;
  std::unique_ptr<Store> store;     // null unless opened
  std::unique_ptr<AuditLog> audit;  // null unless opened
};

// Parses `flags` over `env` as `fieldsyncd serve` would (plus --dev-plaintext: an offline
// command opens no listener), then, with `open_store`, opens the store (RocksDB's lock fails
// while a server runs on it) and its audit log. On error prints the reason on stderr and
// returns the exit code (2 for a bad flag, 1 otherwise); 0 on success.
int OpenOffline(std::vector<std::string> flags, const std::map<std::string, std::string>& env,
                bool open_store, OfflineContext* out);

// The sync engine's limits from the configuration.
SyncEngineOptions EngineOptionsOf(const ServerConfig& config);

}  // namespace fieldsync

#endif  // FIELDSYNC_SERVER_APP_OFFLINE_H_
