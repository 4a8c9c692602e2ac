// Reading a whole (small) file: configuration, keys, certificates, tokens, form definitions.
// Every read has a size bound, so a wrong path (a device, a log) cannot exhaust memory.
#ifndef FIELDSYNC_SERVER_COMMON_FILE_H_
#define FIELDSYNC_SERVER_COMMON_FILE_H_

#include <cstddef>
#include <string>

#include "absl/status/statusor.h"
#include "absl/strings/string_view.h"

namespace fieldsync {

// `what` ("cannot write PATH") with the errno's text, by errno: ENOSPC/EDQUOT
// RESOURCE_EXHAUSTED marked IsDiskFull (status.h), ENOENT/ENOTDIR NOT_FOUND, EACCES/EPERM
// PERMISSION_DENIED, EISDIR FAILED_PRECONDITION, anything else UNAVAILABLE.
absl::Status ErrnoToStatus(int err, absl::string_view what);

// Files the programs read whole (certificates, keys, tokens, config files, forms) are far
// smaller than this.
inline constexpr size_t kMaxSmallFileBytes = 16 << 20;

// The whole content of the file at `path`. NOT_FOUND if it does not exist,
// PERMISSION_DENIED if it may not be read, FAILED_PRECONDITION if it is larger than
// `max_bytes` or not a regular file, UNAVAILABLE for any other I/O error. Messages name
// the path.
absl::StatusOr<std::string> ReadFileToString(const std::string& path,
                                             size_t max_bytes = kMaxSmallFileBytes);

// The same, without leading and trailing whitespace (a token or a secret written with a
// final newline). An empty result is FAILED_PRECONDITION.
absl::StatusOr<std::string> ReadSecretFile(const std::string& path,
                                           size_t max_bytes = kMaxSmallFileBytes);

// Writes `data` to `path` beside it first (PATH.tmp), synced, then renamed over `path`: a
// reader never sees half a file. RESOURCE_EXHAUSTED marked IsDiskFull (status.h) when the
// disk is full, PERMISSION_DENIED when the folder may not be written, UNAVAILABLE for any
// other I/O error.
absl::Status WriteFileAtomically(const std::string& path, absl::string_view data);

}  // namespace fieldsync

#endif  // FIELDSYNC_SERVER_COMMON_FILE_H_
