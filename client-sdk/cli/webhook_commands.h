// `fieldsync admin webhooks ...`: webhook targets through AdminService (admin only).
//
//   fieldsync admin webhooks add URL --secret-file F [--form FORM ...] [--scope FIELD=VALUE ...]
//                                [--events create,update,delete] [--disabled]
//   fieldsync admin webhooks list
//   fieldsync admin webhooks remove ID
//   fieldsync admin webhooks dead ID          the changes the target refused after every attempt
//   fieldsync admin webhooks replay ID [--seq N]
//
// The secret is read from a file (never a flag: flags end up in shell history and `ps`).
#ifndef FIELDSYNC_CLIENT_SDK_CLI_WEBHOOK_COMMANDS_H_
#define FIELDSYNC_CLIENT_SDK_CLI_WEBHOOK_COMMANDS_H_

#include <string>
#include <vector>

#include "client-sdk/cli/server_connection.h"

namespace fieldsync::cli {

// `args` starts with "admin", "webhooks". Returns the exit code: 0 done; 1 refused or failed;
// 2 usage.
int CmdWebhooks(const ServerConnection& conn, const std::vector<std::string>& args);

}  // namespace fieldsync::cli

#endif  // FIELDSYNC_CLIENT_SDK_CLI_WEBHOOK_COMMANDS_H_
