// What an `attachment` field's value holds: the blob it references by SHA-256, its size, media
// type and file name. The value travels and is stored as text (a Value's string), in the one
// canonical form FormatAttachmentRef writes:
//   sha256=<64 lowercase hex>;size=<bytes>;type=<media type>;name=<file name>
// The name comes last and runs to the end, so it may hold ';' and '='.
#ifndef FIELDSYNC_SERVER_COMMON_ATTACHMENT_REF_H_
#define FIELDSYNC_SERVER_COMMON_ATTACHMENT_REF_H_

#include <cstdint>
#include <string>

#include "absl/status/statusor.h"
#include "absl/strings/string_view.h"

namespace fieldsync {

struct AttachmentRef {
  std::string sha256;  // 64 lowercase hex characters
  uint64_t size = 0;
  std::string media_type;  // "type/subtype", lowercase, e.g. "image/jpeg"
  std::string file_name;   // a base name: no folders, no control characters

  bool operator==(const AttachmentRef& o) const {
    return sha256 == o.sha256 && size == o.size && media_type == o.media_type &&
           file_name == o.file_name;
  }
};

inline constexpr size_t kMaxAttachmentFileNameBytes = 255;
inline constexpr size_t kMaxAttachmentMediaTypeBytes = 127;

// The canonical text of `ref` (not validated: see ParseAttachmentRef).
std::string FormatAttachmentRef(const AttachmentRef& ref);

// Parses and validates the canonical text. INVALID_ARGUMENT, saying which part is wrong: not
// the canonical form, a hash that is not 64 lowercase hex characters, a size that is not a
// decimal number, a media type that is not lowercase "type/subtype" (at most 127 bytes), a
// file name that is empty, longer than 255 bytes, ".", "..", or holds '/', '\' or control
// characters.
absl::StatusOr<AttachmentRef> ParseAttachmentRef(absl::string_view text);

// A media type for a file name by its extension (jpg, png, pdf, ...), or
// "application/octet-stream".
std::string MediaTypeForFileName(absl::string_view file_name);

}  // namespace fieldsync

#endif  // FIELDSYNC_SERVER_COMMON_ATTACHMENT_REF_H_
