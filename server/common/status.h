// Status helpers used across the server. The one error type is absl::Status /
// absl::StatusOr<T>; nothing throws. Codes carry retry meaning:
//   UNAVAILABLE          retry the call
//   ABORTED              re-pull, then retry
//   FAILED_PRECONDITION  stop until fixed
//   INVALID_ARGUMENT     the caller's bug
#ifndef FIELDSYNC_SERVER_COMMON_STATUS_H_
#define FIELDSYNC_SERVER_COMMON_STATUS_H_

#include <utility>

#include "absl/status/status.h"
#include "absl/status/statusor.h"
#include "absl/strings/str_cat.h"

#define FS_STATUS_CONCAT_INNER_(a, b) a##b
#define FS_STATUS_CONCAT_(a, b) FS_STATUS_CONCAT_INNER_(a, b)

// Returns from the enclosing function if `expr` (an absl::Status) is not OK.
#define FS_RETURN_IF_ERROR(expr)             \
  do {                                       \
    ::absl::Status fs_status_ = (expr);      \
    if (!fs_status_.ok()) return fs_status_; \
  } while (0)

// Like FS_RETURN_IF_ERROR, with `context` prepended to the message going up; the code and
// every payload (field violations, retry delay, resync mark, ...) are kept.
#define FS_RETURN_IF_ERROR_PREPEND(expr, context)                             \
  do {                                                                        \
    ::absl::Status fs_status_ = (expr);                                       \
    if (!fs_status_.ok()) return ::fieldsync::Prepend(fs_status_, (context)); \
  } while (0)

// `lhs = value of expr`, or returns its error status.
#define FS_ASSIGN_OR_RETURN(lhs, expr) \
  FS_ASSIGN_OR_RETURN_IMPL_(FS_STATUS_CONCAT_(fs_statusor_, __LINE__), lhs, expr)
#define FS_ASSIGN_OR_RETURN_IMPL_(tmp, lhs, expr) \
  auto tmp = (expr);                              \
  if (!tmp.ok()) return tmp.status();             \
  lhs = std::move(tmp).value()

namespace fieldsync {

// Payload keys of core statuses; rpc/ turns them into google.rpc error details.
inline constexpr char kResyncRequiredPayload[] = "fieldsync/resync_required";
inline constexpr char kFieldViolationsPayload[] = "fieldsync/field_violations";
inline constexpr char kRetryDelayPayload[] = "fieldsync/retry_delay_ms";
inline constexpr char kDiskFullPayload[] = "fieldsync/disk_full";

// `s` with "`context`: " before its message; code and payloads unchanged. OK stays OK.
absl::Status Prepend(const absl::Status& s, absl::string_view context);

}  // namespace fieldsync

#include <cstdint>
#include <string>
#include <vector>

namespace fieldsync {

struct FieldError;

// FAILED_PRECONDITION marked as "drop the local copy and pull a full snapshot".
absl::Status ResyncRequiredError(absl::string_view message);
bool IsResyncRequired(const absl::Status& s);

// INVALID_ARGUMENT carrying per-field violations.
absl::Status InvalidFieldsError(absl::string_view message, const std::vector<FieldError>& errors);
// The per-field violations of a status made by InvalidFieldsError (empty otherwise).
std::vector<FieldError> FieldViolations(const absl::Status& s);

// `s` (an overload status: RESOURCE_EXHAUSTED or UNAVAILABLE) carrying "retry after
// `delay_ms`"; rpc/ sends it as google.rpc.RetryInfo.
absl::Status WithRetryDelay(absl::Status s, int64_t delay_ms);
// The delay set by WithRetryDelay, or -1 if none.
int64_t RetryDelayMs(const absl::Status& s);

// RESOURCE_EXHAUSTED marked as "this machine's own disk is full" (ENOSPC, RocksDB NoSpace),
// as opposed to a peer's overload, which is worth retrying.
absl::Status DiskFullError(absl::string_view message);
bool IsDiskFull(const absl::Status& s);

}  // namespace fieldsync

#endif  // FIELDSYNC_SERVER_COMMON_STATUS_H_
