// `fieldsync admin ...`: fleet status, conflict and quarantine review and backups
// (AdminService), straight against the server; no local store is opened.
//
//   admin devices [--status silent|behind|in_sync] [--role R]
//   admin overview
//   admin conflicts [--form F] [--open | --closed | --all]      (default: open)
//   admin conflict get RECORD DEVICE SEQ [FIELD]
//   admin conflict resolve RECORD DEVICE SEQ [FIELD]
//                          (--take server|device | --value V) --reason TEXT
//   admin quarantine [--device D] [--form F]
//   admin quarantine replay DEVICE SEQ [--form-version N] [--reason TEXT]
//   admin quarantine discard DEVICE SEQ --reason TEXT
//   admin backup create [--verify]     admin backup list     admin backup verify ID
//
// A conflict is named by its ConflictKey (admin.proto): the record, the device and
// device_seq of the edit that met it, and the field ("" or absent: a whole-record
// conflict); `admin conflicts` prints those columns. A quarantined edit is named by its
// device and device_seq. --value is parsed by the type of the field in the form's latest
// version ("" clears the field).
// Every command also takes --server HOST:PORT --token-file F [--ca-file PEM | --plaintext]
// (server_connection.h), e.g. the backup CronJob in deploy/k8s/backup-cronjob.yaml.
#ifndef FIELDSYNC_CLIENT_SDK_CLI_ADMIN_COMMANDS_H_
#define FIELDSYNC_CLIENT_SDK_CLI_ADMIN_COMMANDS_H_

#include <string>
#include <vector>

#include "client-sdk/cli/cli_common.h"

namespace fieldsync::cli {

// `args` starts with "admin". Returns the exit code: 0 done; 1 failed (message on stderr:
// a caller without the admin role reads that it needs one; `backup verify` / `backup create
// --verify` also when the backup is damaged; `quarantine replay` when the edit stays
// quarantined); 2 usage.
int CmdAdmin(const Settings& settings, std::vector<std::string> args);

}  // namespace fieldsync::cli

#endif  // FIELDSYNC_CLIENT_SDK_CLI_ADMIN_COMMANDS_H_
