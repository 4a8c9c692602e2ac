// UTF-8 decoding for the lexer and the string functions (which count characters, not
// bytes, as XPath does). Internal to server/expr.
#ifndef FIELDSYNC_SERVER_EXPR_UTF8_H_
#define FIELDSYNC_SERVER_EXPR_UTF8_H_

#include <cstddef>

#include "absl/strings/string_view.h"

namespace fieldsync::expr {

inline constexpr char32_t kInvalidChar = 0xFFFFFFFF;

// Decodes the character at `pos` (< s.size()); *len is its byte length. kInvalidChar (and
// *len 1) for a malformed, truncated, overlong or surrogate sequence.
inline char32_t DecodeUtf8(absl::string_view s, size_t pos, size_t* len) {
  const auto b0 = static_cast<unsigned char>(s[pos]);
  *len = 1;
  if (b0 < 0x80) return b0;
  int n = 0;
  char32_t cp = 0;
  if ((b0 & 0xE0) == 0xC0) {
    n = 1;
    cp = b0 & 0x1F;
  } else if ((b0 & 0xF0) == 0xE0) {
    n = 2;
    cp = b0 & 0x0F;
  } else if ((b0 & 0xF8) == 0xF0) {
    n = 3;
    cp = b0 & 0x07;
  } else {
    return kInvalidChar;
  }
  if (pos + n >= s.size()) return kInvalidChar;
  for (int i = 1; i <= n; ++i) {
    const auto b = static_cast<unsigned char>(s[pos + i]);
    if ((b & 0xC0) != 0x80) return kInvalidChar;
    cp = (cp << 6) | (b & 0x3F);
  }
  constexpr char32_t kMin[] = {0, 0x80, 0x800, 0x10000};
  if (cp < kMin[n] || cp > 0x10FFFF || (cp >= 0xD800 && cp <= 0xDFFF)) return kInvalidChar;
  *len = static_cast<size_t>(n) + 1;
  return cp;
}

// Bytes of the character at `pos` (1 for a byte that starts no valid character).
inline size_t CharLen(absl::string_view s, size_t pos) {
  size_t len = 1;
  DecodeUtf8(s, pos, &len);
  return len;
}

}  // namespace fieldsync::expr

#endif  // FIELDSYNC_SERVER_EXPR_UTF8_H_
