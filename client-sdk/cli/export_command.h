// `fieldsync export`: the records of one form as a file (ExportService), for analysts.
//
//   fieldsync export FORM [--format csv|xlsx|geojson] -o FILE [--labels] [--lang CODE]
//                    [--since SEQ] [--where FIELD=VALUE ...] [--include-deleted]
//                    [--choice-columns] [--raw] [--geo-field FIELD]
//
// The file is written to FILE.partial and renamed to FILE only when the export is complete,
// so a cut connection never leaves a truncated file under the real name. On a terminal a
// progress bar goes to stderr (records come in commit order, so the bar is the share of the
// change range done). The last line names the `--since` of the next incremental export.
// Also takes --server/--token-file/--ca-file/--plaintext (server_connection.h).
#ifndef FIELDSYNC_CLIENT_SDK_CLI_EXPORT_COMMAND_H_
#define FIELDSYNC_CLIENT_SDK_CLI_EXPORT_COMMAND_H_

#include <string>
#include <vector>

#include "client-sdk/cli/cli_common.h"

namespace fieldsync::cli {

// `args` starts with "export". Returns the process exit code: 0 done; 1 the server refused or
// failed, or the file could not be written (message on stderr); 2 usage.
int CmdExport(const Settings& settings, std::vector<std::string> args);

}  // namespace fieldsync::cli

#endif  // FIELDSYNC_CLIENT_SDK_CLI_EXPORT_COMMAND_H_
