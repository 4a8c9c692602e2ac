#include "server/admin/page_token.h"

#include <algorithm>

#include "server/common/model.h"
#include "server/common/status.h"

namespace fieldsync::admin {
namespace {
constexpr char kPrefix[] = "p1.";
constexpr char kHex[] = "0123456789abcdef";

int HexValue(char c) {
  if (c >= '0' && c <= '9') return c - '0';
  if (c >= 'a' && c <= 'f') return c - 'a' + 10;
  return -1;
}
}  // namespace

std::string EncodePageToken(std::string_view position) {
  if (position.empty()) return "";
  std::string out = kPrefix;
  for (unsigned char c : position) {
    out.push_back(kHex[c >> 4]);
    out.push_back(kHex[c & 0xf]);
  }
  return out;
}

absl::StatusOr<std::string> DecodePageToken(std::string_view token) {
  if (token.empty()) return std::string();
  auto bad = [] {
    return InvalidFieldsError("malformed page token",
                              {{"page_token", "pass back a next_page_token from this server"}});
  };
  const std::string_view prefix(kPrefix);
  if (token.substr(0, prefix.size()) != prefix) return bad();
  token.remove_prefix(prefix.size());
  if (token.empty() || token.size() % 2 != 0) return bad();
  std::string out;
  for (size_t i = 0; i < token.size(); i += 2) {
    const int hi = HexValue(token[i]);
    const int lo = HexValue(token[i + 1]);
    if (hi < 0 || lo < 0) return bad();
    out.push_back(static_cast<char>(hi * 16 + lo));
  }
  return out;
}

uint32_t PageSize(uint32_t requested, uint32_t default_size, uint32_t max_size) {
  if (requested == 0) return std::min(default_size, max_size);
  return std::min(requested, max_size);
}

}  // namespace fieldsync::admin
