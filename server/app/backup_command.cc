#include "server/app/backup_command.h"

#include <iostream>

#include "absl/strings/numbers.h"
#include "server/app/config.h"
#include "server/app/offline.h"
#include "server/app/server.h"
#include "server/storage/backup.h"

namespace fieldsync {
namespace {

int BackupUsage() {
  std::cerr << "usage:\n"
               "  fieldsyncd backup create  --backup-dir D [--data-dir DIR]   (server stopped)\n"
               "  fieldsyncd backup list    --backup-dir D\n"
               "  fieldsyncd backup verify  --backup-dir D --backup-id N\n"
               "  fieldsyncd backup restore --backup-dir D --backup-id N --data-dir NEW_DIR\n";
  return 2;
}

void Print(const BackupSummary& b) {
  std::cout << b.backup_id << "\t" << b.timestamp_s << "\t" << b.size_bytes << " bytes\t"
            << b.file_count << " files\n";
}

}  // namespace

int BackupCommand(const std::vector<std::string>& args,
                  const std::map<std::string, std::string>& env) {
  if (args.empty()) return BackupUsage();
  const std::string verb = args[0];
  uint32_t backup_id = 0;
  std::vector<std::string> rest;
  for (size_t i = 1; i < args.size(); ++i) {
    if (args[i] == "--backup-id" && i + 1 < args.size()) {
      if (!absl::SimpleAtoi(args[++i], &backup_id) || backup_id == 0) {
        std::cerr << "fieldsyncd: --backup-id must be a backup number\n";
        return 2;
      }
    } else {
      rest.push_back(args[i]);
    }
  }
  OfflineContext off;
  if (int rc = OpenOffline(rest, env, /*open_store=*/false, &off); rc != 0) return rc;
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
  if (backup_id == 0) return BackupUsage();
  if (verb == "verify") {
    absl::Status s = (*backups)->Verify(backup_id);
    if (!s.ok()) {
      std::cerr << "fieldsyncd: " << s << "\n";
      return 1;
    }
    std::cout << "backup " << backup_id << " ok\n";
    return 0;
  }
  if (verb == "restore") {
    absl::Status s = (*backups)->Restore(backup_id, config->data_dir);
    if (!s.ok()) {
      std::cerr << "fieldsyncd: " << s << "\n";
      return 1;
    }
    std::cout << "backup " << backup_id << " restored into " << config->data_dir << "\n";
    return 0;
  }
  return BackupUsage();
}

}  // namespace fieldsync
