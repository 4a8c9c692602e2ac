// Offline identity commands of fieldsyncd (run while the server is stopped: they open the
// database directly). Each returns the process exit status: 0 done, 1 failed, 2 bad usage.
//
//   fieldsyncd admin init --token-file PATH [--id ID] [--data-dir DIR]
//       The first admin credential (all scopes). Refuses if an admin that is not revoked
//       exists, or if PATH exists; PATH is created with mode 0600 (O_CREAT|O_EXCL).
//   fieldsyncd enroll-code create --role ROLE (--scope FIELD=VALUE... | --all-scopes)
//       [--ttl 24h] [--server HOST:PORT] [--data-dir DIR]
//       A one-time enrollment code; prints the code, its QR-ready URI, id and expiry.
//   fieldsyncd audit verify [--expect-head HASH] [--data-dir DIR]
//       Recomputes the audit hash chain; with --expect-head, also checks that HASH (a head
//       recorded earlier) is still in the chain. Exit 0 intact, 1 tampered.
//   fieldsyncd audit list [--from N] [--limit N] [--data-dir DIR]
#ifndef FIELDSYNC_SERVER_APP_IDENTITY_COMMANDS_H_
#define FIELDSYNC_SERVER_APP_IDENTITY_COMMANDS_H_

#include <cstdint>
#include <string>

#include "server/app/offline.h"

namespace fieldsync {

// Adds `admin init`, `enroll-code create` and `audit verify|list` (each with the server
// settings, for --data-dir and the limits) to `p`.
void AddIdentityCommands(Program* p);

// "90" (seconds), "90s", "15m", "24h", "7d" in milliseconds; -1 if malformed.
int64_t ParseDurationMs(const std::string& text);

}  // namespace fieldsync

#endif  // FIELDSYNC_SERVER_APP_IDENTITY_COMMANDS_H_
