#include "server/app/offline.h"

#include <iostream>

#include "server/app/server.h"
#include "server/common/clock.h"

namespace fieldsync {

int OpenOffline(std::vector<std::string> flags, const std::map<std::string, std::string>& env,
                bool open_store, OfflineContext* out) {
  flags.push_back("--dev-plaintext");
  auto config = ParseServerConfig(flags, env);
  if (!config.ok()) {
    std::cerr << "fieldsyncd: " << config.status().message() << "\n";
    return 2;
  }
  out->config = *config;
  if (!open_store) return 0;
  auto store = OpenStore(*config);
  if (!store.ok()) {
    std::cerr << "fieldsyncd: " << store.status() << " (is the server running?)\n";
    return 1;
  }
  out->store = std::move(*store);
  auto audit = AuditLog::Open(out->store.get(), SystemClock::Default());
  if (!audit.ok()) {
    std::cerr << "fieldsyncd: audit log: " << audit.status() << "\n";
    return 1;
  }
  out->audit = std::move(*audit);
  return 0;
}

SyncEngineOptions EngineOptionsOf(const ServerConfig& config) {
  SyncEngineOptions o;
  o.push.max_mutations_per_batch = config.max_batch;
  o.push.record.max_fields_per_record = config.max_fields_per_record;
  o.push.record.max_value_bytes = config.max_value_bytes;
  return o;
}

}  // namespace fieldsync
