// `fieldsyncd backup create|list|verify|restore`: offline backup commands (the server must be
// stopped for create and restore; while it runs, use AdminService.CreateBackup).
//
//   fieldsyncd backup create  --backup-dir D [--data-dir DIR]
//   fieldsyncd backup list    --backup-dir D
//   fieldsyncd backup verify  --backup-dir D --backup-id N
//   fieldsyncd backup restore --backup-dir D --backup-id N --data-dir NEW_EMPTY_DIR
#ifndef FIELDSYNC_SERVER_APP_BACKUP_COMMAND_H_
#define FIELDSYNC_SERVER_APP_BACKUP_COMMAND_H_

#include "server/app/offline.h"

namespace fieldsync {

// Adds `backup create|list|verify|restore` (with the server settings) to `p`. Each exits 0 ok,
// 1 failed, 2 usage.
void AddBackupCommands(Program* p);

}  // namespace fieldsync

#endif  // FIELDSYNC_SERVER_APP_BACKUP_COMMAND_H_
