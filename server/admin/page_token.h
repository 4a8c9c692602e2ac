// Page tokens of the admin lists: an opaque, versioned encoding of a resume position.
#ifndef FIELDSYNC_SERVER_ADMIN_PAGE_TOKEN_H_
#define FIELDSYNC_SERVER_ADMIN_PAGE_TOKEN_H_

#include <string>
#include <string_view>

#include "absl/status/statusor.h"

namespace fieldsync::admin {

// "" stays "" (the first page / no more pages).
std::string EncodePageToken(std::string_view position);
// INVALID_ARGUMENT (with a page_token violation) for a token this server did not issue.
absl::StatusOr<std::string> DecodePageToken(std::string_view token);

// Clamps a requested page size: 0 means `default_size`; above `max_size` is cut to it.
uint32_t PageSize(uint32_t requested, uint32_t default_size, uint32_t max_size);

}  // namespace fieldsync::admin

#endif  // FIELDSYNC_SERVER_ADMIN_PAGE_TOKEN_H_
