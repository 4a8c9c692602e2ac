// `fieldsyncd backup create|list|verify|restore`: offline backup commands (the server must be
// stopped for create and restore; while it runs, use AdminService.CreateBackup).
//
//   fieldsyncd backup create  --backup-dir D [--data-dir DIR]
//   fieldsyncd backup list    --backup-dir D
//   fieldsyncd backup verify  --backup-dir D --backup-id N
//   fieldsyncd backup restore --backup-dir D --backup-id N --data-dir NEW_EMPTY_DIR
#ifndef FIELDSYNC_SERVER_APP_BACKUP_COMMAND_H_
#define FIELDSYNC_SERVER_APP_BACKUP_COMMAND_H_

#include <map>
#include <string>
#include <vector>

namespace fieldsync {

// Runs one backup command; returns the process exit code (0 ok, 1 failed, 2 usage).
int BackupCommand(const std::vector<std::string>& args,
                  const std::map<std::string, std::string>& env);

}  // namespace fieldsync

#endif  // FIELDSYNC_SERVER_APP_BACKUP_COMMAND_H_
