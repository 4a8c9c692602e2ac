// Pseudonymizer: replaces the values of a form's `pii` fields by a keyed HMAC-SHA256 at
// ingest, so the same person's document number always gives the same pseudonym (crossings can
// be counted per traveller, duplicates detected) while the store never holds the document
// number itself.
//
// A pseudonym is "h:" + key id (8 hex characters, derived from the key) + ":" + the base64url
// (no padding) HMAC-SHA256 of the normalised value, 54 characters in all, e.g.
//   h:3fa2c41b:Xq9...-_A
// Normalisation before hashing: text values are trimmed of ASCII whitespace at both ends,
// runs of inner ASCII whitespace become one space, and ASCII letters are lower-cased ("AB 123"
// and " ab  123 " give the same pseudonym); other bytes (non-ASCII letters) are kept as they
// are. Values of other types are hashed by their canonical encoding (CanonicalEncoding in
// value.h) and become text pseudonyms too. The field name is not part of the input, so the
// same document number gives the same pseudonym in every form (that is the point: counting a
// traveller across crossing logs); a different key gives unrelated pseudonyms.
//
// A text value that already is a pseudonym of the current key (a device sending back what it
// pulled, a quarantined mutation replayed) is kept as it is rather than hashed twice.
//
// Immutable after construction; thread-safe.
#ifndef FIELDSYNC_SERVER_FORMS_PSEUDONYMIZER_H_
#define FIELDSYNC_SERVER_FORMS_PSEUDONYMIZER_H_

#include <memory>
#include <string>
#include <string_view>
#include <vector>

#include "absl/status/statusor.h"
#include "server/common/model.h"
#include "server/common/value.h"

namespace fieldsync {

// HMAC-SHA256 of `data` under `key`: 32 raw bytes.
std::string HmacSha256(std::string_view key, std::string_view data);

class Pseudonymizer {
 public:
  // Bytes a key must have at least (after trailing whitespace is stripped).
  static constexpr size_t kMinKeyBytes = 32;

  // A pseudonymizer without a key: it pseudonymises nothing, and CheckForm() refuses forms
  // with pii fields.
  Pseudonymizer() = default;

  // A pseudonymizer with `key` (raw bytes). INVALID_ARGUMENT if shorter than kMinKeyBytes.
  static absl::StatusOr<std::unique_ptr<Pseudonymizer>> FromKey(std::string key);

  // Reads the key from `path`: the whole file with trailing whitespace (a final newline)
  // removed, so `openssl rand -hex 32 > key` works. FAILED_PRECONDITION if the file cannot be
  // read; INVALID_ARGUMENT if the key is too short. Never puts key bytes in a message.
  static absl::StatusOr<std::unique_ptr<Pseudonymizer>> FromKeyFile(const std::string& path);

  bool has_key() const { return !key_.empty(); }
  // 8 hex characters identifying the key (not secret: derived by SHA-256), "" without a key.
  const std::string& key_id() const { return key_id_; }

  // OK if `form` can be accepted: it has no pii field, or a key is configured.
  // FAILED_PRECONDITION naming the form and its first pii field otherwise.
  absl::Status CheckForm(const Form& form) const;

  // The pseudonym of `v` (nulls stay null). Requires has_key().
  Value Pseudonymize(const Value& v) const;

  // Replaces, in `fields`, the value of every field that `form` marks pii. OK if the form has
  // no pii field present in `fields`; FAILED_PRECONDITION (and `fields` unchanged) if it has
  // one and no key is configured.
  absl::Status Apply(const Form& form, FieldMap* fields) const;

  // Validation errors describe values; an error about a pii field whose description quotes
  // (part of) its plaintext value in `plain` gets a neutral description instead, so REJECTED
  // receipts and quarantine entries never repeat it. Needs no key.
  static void ScrubErrors(const Form& form, const FieldMap& plain, std::vector<FieldError>* errors);

  // Whether `text` is a pseudonym made with this key.
  bool IsPseudonym(std::string_view text) const;

 private:
  std::string key_;
  std::string key_id_;
};

// The normalised form of a text value that Pseudonymize() hashes (exposed for tests).
std::string NormalizePiiText(std::string_view text);

}  // namespace fieldsync

#endif  // FIELDSYNC_SERVER_FORMS_PSEUDONYMIZER_H_
