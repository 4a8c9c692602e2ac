#include "server/common/attachment_ref.h"

#include "absl/strings/ascii.h"
#include "absl/strings/match.h"
#include "absl/strings/numbers.h"
#include "absl/strings/str_cat.h"
#include "absl/strings/strip.h"

namespace fieldsync {
namespace {

bool IsLowerHex(absl::string_view s) {
  for (char c : s) {
    if (!((c >= '0' && c <= '9') || (c >= 'a' && c <= 'f'))) return false;
  }
  return true;
}

// RFC 6838 restricted-name characters, lowercase only (one canonical spelling).
bool IsTokenChar(char c) {
  return (c >= 'a' && c <= 'z') || (c >= '0' && c <= '9') || c == '!' || c == '#' || c == '$' ||
         c == '&' || c == '-' || c == '^' || c == '_' || c == '.' || c == '+';
}

bool ValidMediaType(absl::string_view t) {
  if (t.empty() || t.size() > kMaxAttachmentMediaTypeBytes) return false;
  const size_t slash = t.find('/');
  if (slash == absl::string_view::npos || slash == 0 || slash + 1 == t.size()) return false;
  for (size_t i = 0; i < t.size(); ++i) {
    if (i != slash && !IsTokenChar(t[i])) return false;
  }
  return true;
}

// Takes "<key>=" and the value up to the next ';' off the front of *rest.
bool TakePart(absl::string_view* rest, absl::string_view key, absl::string_view* value) {
  if (!absl::ConsumePrefix(rest, key) || !absl::ConsumePrefix(rest, "=")) return false;
  const size_t end = rest->find(';');
  if (end == absl::string_view::npos) return false;
  *value = rest->substr(0, end);
  rest->remove_prefix(end + 1);
  return true;
}

}  // namespace

std::string FormatAttachmentRef(const AttachmentRef& ref) {
  return absl::StrCat("sha256=", ref.sha256, ";size=", ref.size, ";type=", ref.media_type,
                      ";name=", ref.file_name);
}

absl::StatusOr<AttachmentRef> ParseAttachmentRef(absl::string_view text) {
  absl::string_view rest = text;
  absl::string_view hash, size, type;
  if (!TakePart(&rest, "sha256", &hash) || !TakePart(&rest, "size", &size) ||
      !TakePart(&rest, "type", &type) || !absl::ConsumePrefix(&rest, "name=")) {
    return absl::InvalidArgumentError(
        "an attachment is written sha256=<hex>;size=<bytes>;type=<media type>;name=<file name>");
  }
  AttachmentRef ref;
  if (hash.size() != 64 || !IsLowerHex(hash)) {
    return absl::InvalidArgumentError("attachment sha256 must be 64 lowercase hex characters");
  }
  ref.sha256 = std::string(hash);
  if (size.empty() || size.size() > 20 || !absl::ascii_isdigit(size[0]) ||
      !absl::SimpleAtoi(size, &ref.size)) {
    return absl::InvalidArgumentError("attachment size must be a number of bytes");
  }
  if (!ValidMediaType(type)) {
    return absl::InvalidArgumentError(
        "attachment type must be a lowercase media type like image/jpeg");
  }
  ref.media_type = std::string(type);
  const absl::string_view name = rest;
  bool name_ok =
      !name.empty() && name.size() <= kMaxAttachmentFileNameBytes && name != "." && name != "..";
  for (char c : name) {
    const auto u = static_cast<unsigned char>(c);
    name_ok = name_ok && u >= 0x20 && u != 0x7f && c != '/' && c != '\\';
  }
  if (!name_ok) {
    return absl::InvalidArgumentError(
        "attachment name must be a file name of 1 to 255 bytes without folders or control "
        "characters");
  }
  ref.file_name = std::string(name);
  return ref;
}

std::string MediaTypeForFileName(absl::string_view file_name) {
  static const std::pair<const char*, const char*> kTypes[] = {
      {".jpg", "image/jpeg"},      {".jpeg", "image/jpeg"}, {".png", "image/png"},
      {".gif", "image/gif"},       {".webp", "image/webp"}, {".heic", "image/heic"},
      {".pdf", "application/pdf"}, {".mp3", "audio/mpeg"},  {".m4a", "audio/mp4"},
      {".ogg", "audio/ogg"},       {".wav", "audio/wav"},   {".mp4", "video/mp4"},
      {".3gp", "video/3gpp"},      {".txt", "text/plain"},  {".csv", "text/csv"},
  };
  const std::string lower = absl::AsciiStrToLower(file_name);
  for (const auto& [ext, type] : kTypes) {
    if (absl::EndsWith(lower, ext)) return type;
  }
  return "application/octet-stream";
}

}  // namespace fieldsync
