#ifndef FIELDSYNC_SERVER_APP_FORM_LOADER_H_
#define FIELDSYNC_SERVER_APP_FORM_LOADER_H_

#include <string>
#include <vector>

#include "absl/status/statusor.h"
#include "server/common/model.h"

namespace fieldsync {

// Parses one form definition in the protobuf JSON mapping of fieldsync.v1.Form.
absl::StatusOr<Form> ParseFormJson(const std::string& json);

// Every *.json file of `dir`, sorted by name. INVALID_ARGUMENT names the file that failed.
absl::StatusOr<std::vector<Form>> LoadFormsDir(const std::string& dir);

}  // namespace fieldsync

#endif  // FIELDSYNC_SERVER_APP_FORM_LOADER_H_
