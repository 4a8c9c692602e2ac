#ifndef FIELDSYNC_SERVER_APP_FORM_LOADER_H_
#define FIELDSYNC_SERVER_APP_FORM_LOADER_H_

#include <string>
#include <vector>

#include "absl/status/statusor.h"
#include "server/common/model.h"

namespace fieldsync {

// Parses one form definition in the protobuf JSON mapping of fieldsync.v1.Form.
absl::StatusOr<Form> ParseFormJson(const std::string& json);

// Every *.json file (a form in the JSON mapping) and *.xlsx file (an XLSForm, converted with
// server/xlsform; its settings give the form id and version) of `dir`, sorted by file name.
// INVALID_ARGUMENT (or RESOURCE_EXHAUSTED for an .xlsx past the converter's bounds) names
// the file that failed and, for an XLSForm, the sheet, row and column.
absl::StatusOr<std::vector<Form>> LoadFormsDir(const std::string& dir);

}  // namespace fieldsync

#endif  // FIELDSYNC_SERVER_APP_FORM_LOADER_H_
