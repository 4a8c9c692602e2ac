// Reading a whole (small) file: configuration, keys, certificates, tokens, form definitions.
// Every read has a size bound, so a wrong path (a device, a log) cannot exhaust memory.
#ifndef FIELDSYNC_SERVER_COMMON_FILE_H_
#define FIELDSYNC_SERVER_COMMON_FILE_H_

#include <cstddef>
#include <string>

#include "absl/status/statusor.h"

namespace fieldsync {

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

}  // namespace fieldsync

#endif  // FIELDSYNC_SERVER_COMMON_FILE_H_
