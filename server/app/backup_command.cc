#include "server/app/backup_command.h"

#include <iostream>
#include <memory>
#include <string>

#include "server/app/config.h"
#include "server/app/offline.h"
#include "server/app/server.h"
#include "server/storage/backup.h"

namespace fieldsync {
namespace {

void Print(const BackupSummary& b) {
  std::cout << b.backup_id << "\t" << b.timestamp_s << "\t" << b.size_bytes << " bytes\t"
            << b.file_count << " files\n";
}

// Runs `verb` (create, list, verify, restore); `backup_id` only for verify and restore.
int RunBackup(const ServerConfig& server_config, const std::string& verb, uint32_t backup_id) {
  OfflineContext off;
  if (int rc = OpenOffline(server_config, /*open_store=*/false, &off); rc != 0) return rc;
  const ServerConfig* config = &off.config;
  if (config->backup_dir.empty()) {
    std::cerr << "fieldsyncd: --backup-dir is required\n";
    return 2;
  }
  auto backups = Backups::Open(config->backup_dir);
  if (!backups.ok()) {
    std::cerr << "fieldsyncd: " << backups.status() << "\n";
    return 1;
  }
  if (verb == "create") {
    auto store = OpenStore(*config);
    if (!store.ok()) {
      std::cerr << "fieldsyncd: " << store.status() << " (is the server running?)\n";
      return 1;
    }
    auto created = (*backups)->Create(store->get());
    if (!created.ok()) {
      std::cerr << "fieldsyncd: " << created.status() << "\n";
      return 1;
    }
    Print(*created);
    return 0;
  }
  if (verb == "list") {
    auto list = (*backups)->List();
    if (!list.ok()) {
      std::cerr << "fieldsyncd: " << list.status() << "\n";
      return 1;
    }
    for (const auto& b : *list) Print(b);
    return 0;
  }
  if (verb == "verify") {
    absl::Status s = (*backups)->Verify(backup_id);
    if (!s.ok()) {
      std::cerr << "fieldsyncd: " << s << "\n";
      return 1;
    }
    std::cout << "backup " << backup_id << " ok\n";
    return 0;
  }
  absl::Status s = (*backups)->Restore(backup_id, config->data_dir);
  if (!s.ok()) {
    std::cerr << "fieldsyncd: " << s << "\n";
    return 1;
  }
  std::cout << "backup " << backup_id << " restored into " << config->data_dir << "\n";
  return 0;
}

}  // namespace

void AddBackupCommands(Program* p) {
  CLI::App* backup = p->cl.app()->add_subcommand(
      "backup", "RocksDB backups in --backup-dir (create and restore: server stopped)");
  backup->require_subcommand(1);
  auto id = std::make_shared<uint32_t>(0);
  for (const char* verb : {"create", "list", "verify", "restore"}) {
    const std::string help = std::string(verb) == "create"   ? "back up --data-dir"
                             : std::string(verb) == "list"   ? "list the backups"
                             : std::string(verb) == "verify" ? "check a backup's files"
                                                             : "restore into a new --data-dir";
    CLI::App* cmd = p->AddCommand(backup, verb, help, true, [p, id, verb = std::string(verb)] {
      return RunBackup(p->config, verb, *id);
    });
    if (std::string(verb) == "verify" || std::string(verb) == "restore") {
      cmd->add_option("--backup-id", *id, "backup number")->required()->check(CLI::PositiveNumber);
    }
  }
}

}  // namespace fieldsync
