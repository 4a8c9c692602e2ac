#include "server/app/offline.h"

#include <iostream>
#include <utility>

#include "server/app/server.h"
#include "server/common/clock.h"

namespace fieldsync {

CLI::App* Program::AddCommand(CLI::App* parent, const std::string& name, const std::string& help,
                              bool server_settings, std::function<int()> body) {
  CLI::App* command = parent->add_subcommand(name, help);
  if (server_settings) {
    AddServerSettings(&cl, command, &config);
    // The command's own options come first in its --help; these are shared by all.
    if (name != "serve") {
      for (CLI::Option* opt : command->get_options()) {
        if (opt->get_name() != "-h,--help") opt->group("Server settings");
      }
    }
  }
  command->callback([this, body = std::move(body)] { run = body; });
  return command;
}

int OpenOffline(ServerConfig config, bool open_store, OfflineContext* out) {
  config.dev_plaintext = true;
  if (absl::Status s = ValidateServerConfig(config); !s.ok()) {
    std::cerr << "fieldsyncd: " << s.message() << "\n";
    return 2;
  }
  out->config = std::move(config);
  if (!open_store) return 0;
  auto store = OpenStore(out->config);
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
  o.pull.max_page_bytes = PageBytes(config);
  return o;
}

}  // namespace fieldsync
