#include "server/forms/pseudonymizer.h"

#include <openssl/evp.h>
#include <openssl/hmac.h>

#include <fstream>
#include <sstream>

#include "absl/strings/escaping.h"
#include "absl/strings/str_cat.h"
#include "server/common/hash.h"

namespace fieldsync {
namespace {

constexpr size_t kMacB64Chars = 43;  // 32 bytes in unpadded base64url

bool IsAsciiSpace(char c) {
  return c == ' ' || c == '\t' || c == '\n' || c == '\r' || c == '\f' || c == '\v';
}

bool IsB64UrlChar(char c) {
  return (c >= 'A' && c <= 'Z') || (c >= 'a' && c <= 'z') || (c >= '0' && c <= '9') || c == '-' ||
         c == '_';
}

}  // namespace

std::string HmacSha256(std::string_view key, std::string_view data) {
  unsigned char mac[EVP_MAX_MD_SIZE];
  unsigned int len = 0;
  HMAC(EVP_sha256(), key.data(), static_cast<int>(key.size()),
       reinterpret_cast<const unsigned char*>(data.data()), data.size(), mac, &len);
  return std::string(reinterpret_cast<const char*>(mac), len);
}

std::string NormalizePiiText(std::string_view text) {
  std::string out;
  out.reserve(text.size());
  bool pending_space = false;
  for (char c : text) {
    if (IsAsciiSpace(c)) {
      pending_space = !out.empty();
      continue;
    }
    if (pending_space) out.push_back(' ');
    pending_space = false;
    out.push_back((c >= 'A' && c <= 'Z') ? static_cast<char>(c - 'A' + 'a') : c);
  }
  return out;
}

absl::StatusOr<std::unique_ptr<Pseudonymizer>> Pseudonymizer::FromKey(std::string key) {
  if (key.size() < kMinKeyBytes) {
    return absl::InvalidArgumentError(absl::StrCat("the pii key must have at least ", kMinKeyBytes,
                                                   " bytes; it has ", key.size()));
  }
  auto p = std::make_unique<Pseudonymizer>();
  p->key_id_ = Sha256Hex(absl::StrCat("fieldsync-pii-key-id:", key)).substr(0, 8);
  p->key_ = std::move(key);
  return p;
}

absl::StatusOr<std::unique_ptr<Pseudonymizer>> Pseudonymizer::FromKeyFile(const std::string& path) {
  std::ifstream in(path, std::ios::binary);
  if (!in) {
    return absl::FailedPreconditionError(absl::StrCat("cannot read the pii key file ", path));
  }
  std::stringstream ss;
  ss << in.rdbuf();
  if (in.bad()) {
    return absl::FailedPreconditionError(absl::StrCat("cannot read the pii key file ", path));
  }
  std::string key = ss.str();
  while (!key.empty() && IsAsciiSpace(key.back())) key.pop_back();
  auto p = FromKey(std::move(key));
  if (!p.ok()) return absl::InvalidArgumentError(absl::StrCat(path, ": ", p.status().message()));
  return p;
}

absl::Status Pseudonymizer::CheckForm(const Form& form) const {
  if (has_key()) return absl::OkStatus();
  for (const auto& f : form.fields) {
    if (f.pii) {
      return absl::FailedPreconditionError(
          absl::StrCat("form ", form.form_id, " v", form.version, " has pii field '", f.name,
                       "' but the server has no pii key: start fieldsyncd with --pii-key-file"));
    }
  }
  return absl::OkStatus();
}

bool Pseudonymizer::IsPseudonym(std::string_view text) const {
  if (!has_key()) return false;
  const size_t prefix = 2 + key_id_.size() + 1;
  if (text.size() != prefix + kMacB64Chars) return false;
  if (text.substr(0, 2) != "h:" || text.substr(2, key_id_.size()) != key_id_ ||
      text[prefix - 1] != ':') {
    return false;
  }
  for (char c : text.substr(prefix)) {
    if (!IsB64UrlChar(c)) return false;
  }
  return true;
}

Value Pseudonymizer::Pseudonymize(const Value& v) const {
  if (IsNull(v)) return v;
  std::string input;
  if (const auto* s = std::get_if<std::string>(&v)) {
    if (IsPseudonym(*s)) return v;
    input = absl::StrCat("t:", NormalizePiiText(*s));
  } else {
    input = absl::StrCat("v:", CanonicalEncoding(v));
  }
  const std::string mac = HmacSha256(key_, input);
  std::string b64;
  absl::WebSafeBase64Escape(absl::string_view(mac.data(), mac.size()), &b64);
  return absl::StrCat("h:", key_id_, ":", b64);
}

void Pseudonymizer::ScrubErrors(const Form& form, const FieldMap& plain,
                                std::vector<FieldError>* errors) {
  for (auto& e : *errors) {
    const FieldDef* def = form.FindField(e.field);
    if (def == nullptr || !def->pii) continue;
    auto it = plain.find(e.field);
    if (it == plain.end()) continue;
    std::vector<std::string> texts;
    if (const auto* s = std::get_if<std::string>(&it->second)) texts.push_back(*s);
    if (const auto* l = std::get_if<std::vector<std::string>>(&it->second)) texts = *l;
    for (const auto& t : texts) {
      if (!t.empty() && e.description.find(t) != std::string::npos) {
        e.description = "invalid value (a pii field: the value is not repeated)";
        break;
      }
    }
  }
}

absl::Status Pseudonymizer::Apply(const Form& form, FieldMap* fields) const {
  for (const auto& f : form.fields) {
    if (!f.pii) continue;
    auto it = fields->find(f.name);
    if (it == fields->end() || IsNull(it->second)) continue;
    if (!has_key()) return CheckForm(form);
    it->second = Pseudonymize(it->second);
  }
  return absl::OkStatus();
}

}  // namespace fieldsync
