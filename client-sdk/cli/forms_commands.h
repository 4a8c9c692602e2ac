// `fieldsync forms convert|publish FILE.xlsx`: XLSForm import from the command line.
//   convert FILE.xlsx [--form-id ID] [--version N]   prints the form as JSON (the protobuf JSON
//                                                    mapping of fieldsync.v1.Form); no server
//   publish FILE.xlsx [--form-id ID] [--version N] [connection flags]
//                                                    sends the workbook to PublishForm (admin)
// Errors name the sheet, row and column of the workbook. Not thread-safe (one per process).
#ifndef FIELDSYNC_CLIENT_SDK_CLI_FORMS_COMMANDS_H_
#define FIELDSYNC_CLIENT_SDK_CLI_FORMS_COMMANDS_H_

#include <string>
#include <vector>

#include "client-sdk/cli/cli_common.h"

namespace fieldsync::cli {

// Runs `args` = {"forms", "convert"|"publish"|"help", ...}; returns the exit code
// (cli_common.h).
int CmdFormsFile(const Settings& settings, std::vector<std::string> args);

}  // namespace fieldsync::cli

#endif  // FIELDSYNC_CLIENT_SDK_CLI_FORMS_COMMANDS_H_
