#include "server/storage/keys.h"

namespace fieldsync::keys {

void PutBigEndian64(std::string* out, uint64_t v) {
  for (int i = 7; i >= 0; --i) out->push_back(static_cast<char>((v >> (8 * i)) & 0xff));
}

void PutBigEndian32(std::string* out, uint32_t v) {
  for (int i = 3; i >= 0; --i) out->push_back(static_cast<char>((v >> (8 * i)) & 0xff));
}

void PutLengthPrefixed(std::string* out, std::string_view s) {
  uint32_t n = static_cast<uint32_t>(s.size());
  while (n >= 0x80) {
    out->push_back(static_cast<char>((n & 0x7f) | 0x80));
    n >>= 7;
  }
  out->push_back(static_cast<char>(n));
  out->append(s.data(), s.size());
}

bool GetBigEndian64(std::string_view* in, uint64_t* v) {
  if (in->size() < 8) return false;
  uint64_t r = 0;
  for (int i = 0; i < 8; ++i) r = (r << 8) | static_cast<uint8_t>((*in)[i]);
  in->remove_prefix(8);
  *v = r;
  return true;
}

bool GetBigEndian32(std::string_view* in, uint32_t* v) {
  if (in->size() < 4) return false;
  uint32_t r = 0;
  for (int i = 0; i < 4; ++i) r = (r << 8) | static_cast<uint8_t>((*in)[i]);
  in->remove_prefix(4);
  *v = r;
  return true;
}

bool GetLengthPrefixed(std::string_view* in, std::string_view* s) {
  uint32_t n = 0;
  int shift = 0;
  size_t i = 0;
  while (true) {
    if (i >= in->size() || shift > 28) return false;
    uint8_t b = static_cast<uint8_t>((*in)[i++]);
    n |= static_cast<uint32_t>(b & 0x7f) << shift;
    if (!(b & 0x80)) break;
    shift += 7;
  }
  if (in->size() - i < n) return false;
  *s = in->substr(i, n);
  in->remove_prefix(i + n);
  return true;
}

namespace {

std::string Tagged(char tag, std::string_view rest) {
  std::string k;
  k.reserve(1 + rest.size());
  k.push_back(tag);
  k.append(rest.data(), rest.size());
  return k;
}

}  // namespace

std::string MetaKey(std::string_view name) { return Tagged(kMeta, name); }
std::string DeviceKey(std::string_view device_id) { return Tagged(kDevice, device_id); }
std::string TokenKey(std::string_view token_hash) { return Tagged(kToken, token_hash); }
std::string DeviceStateKey(std::string_view device_id) { return Tagged(kDeviceState, device_id); }
std::string RetiredTokenKey(std::string_view device_id) { return Tagged(kRetiredToken, device_id); }

std::string FormPrefix(std::string_view form_id) {
  std::string k(1, kForm);
  PutLengthPrefixed(&k, form_id);
  return k;
}

std::string FormsPrefix() { return std::string(1, kForm); }

std::string FormKey(std::string_view form_id, uint32_t version) {
  std::string k = FormPrefix(form_id);
  PutBigEndian32(&k, version);
  return k;
}

std::optional<FormKeyParts> ParseFormKey(std::string_view key) {
  if (key.empty() || key[0] != kForm) return std::nullopt;
  key.remove_prefix(1);
  std::string_view id;
  FormKeyParts parts;
  if (!GetLengthPrefixed(&key, &id) || !GetBigEndian32(&key, &parts.version) || !key.empty()) {
    return std::nullopt;
  }
  parts.form_id = std::string(id);
  return parts;
}

std::string RecordKey(std::string_view record_id) { return Tagged(kRecord, record_id); }

std::string ChildIndexPrefix(std::string_view parent_record_id) {
  std::string k(1, kChildIndex);
  PutLengthPrefixed(&k, parent_record_id);
  return k;
}

std::string ChildIndexKey(std::string_view parent_record_id, std::string_view child_record_id) {
  std::string k = ChildIndexPrefix(parent_record_id);
  k.append(child_record_id.data(), child_record_id.size());
  return k;
}

std::string EnrollmentCodeKey(std::string_view code_hash) {
  return Tagged(kEnrollmentCode, code_hash);
}

std::string AuditKey(uint64_t index) {
  std::string k(1, kAudit);
  PutBigEndian64(&k, index);
  return k;
}

std::optional<uint64_t> ParseAuditKey(std::string_view key) {
  if (key.size() != 9 || key[0] != kAudit) return std::nullopt;
  key.remove_prefix(1);
  uint64_t index;
  if (!GetBigEndian64(&key, &index)) return std::nullopt;
  return index;
}

std::string ChangeKey(uint64_t seq) {
  std::string k(1, kChange);
  PutBigEndian64(&k, seq);
  return k;
}

std::optional<uint64_t> ParseChangeKey(std::string_view key) {
  if (key.size() != 9 || key[0] != kChange) return std::nullopt;
  key.remove_prefix(1);
  uint64_t seq;
  if (!GetBigEndian64(&key, &seq)) return std::nullopt;
  return seq;
}

std::string ScopeIndexPrefix(std::string_view form_id, std::string_view field,
                             std::string_view value) {
  std::string k(1, kScopeIndex);
  PutLengthPrefixed(&k, form_id);
  PutLengthPrefixed(&k, field);
  PutLengthPrefixed(&k, value);
  return k;
}

std::string ScopeIndexKey(std::string_view form_id, std::string_view field, std::string_view value,
                          uint64_t seq) {
  std::string k = ScopeIndexPrefix(form_id, field, value);
  PutBigEndian64(&k, seq);
  return k;
}

namespace {

std::optional<uint64_t> ParseSeqAfterPrefix(std::string_view key, std::string_view prefix) {
  if (key.size() != prefix.size() + 8 || key.substr(0, prefix.size()) != prefix) {
    return std::nullopt;
  }
  key.remove_prefix(prefix.size());
  uint64_t seq;
  if (!GetBigEndian64(&key, &seq)) return std::nullopt;
  return seq;
}

}  // namespace

std::optional<uint64_t> ParseScopeIndexSeq(std::string_view key, std::string_view prefix) {
  return ParseSeqAfterPrefix(key, prefix);
}

std::string ReceiptPrefix(std::string_view device_id) {
  std::string k(1, kReceipt);
  PutLengthPrefixed(&k, device_id);
  return k;
}

std::string ReceiptKey(std::string_view device_id, uint64_t device_seq) {
  std::string k = ReceiptPrefix(device_id);
  PutBigEndian64(&k, device_seq);
  return k;
}

std::optional<uint64_t> ParseReceiptSeq(std::string_view key, std::string_view prefix) {
  return ParseSeqAfterPrefix(key, prefix);
}

std::string QuarantinePrefix(std::string_view device_id) {
  std::string k(1, kQuarantine);
  PutLengthPrefixed(&k, device_id);
  return k;
}

std::string QuarantineKey(std::string_view device_id, uint64_t device_seq) {
  std::string k = QuarantinePrefix(device_id);
  PutBigEndian64(&k, device_seq);
  return k;
}

std::string ConflictPrefix(std::string_view record_id) {
  std::string k(1, kConflict);
  PutLengthPrefixed(&k, record_id);
  return k;
}

std::string ConflictKey(std::string_view record_id, std::string_view device_id, uint64_t device_seq,
                        std::string_view field) {
  std::string k = ConflictPrefix(record_id);
  PutLengthPrefixed(&k, device_id);
  PutBigEndian64(&k, device_seq);
  PutLengthPrefixed(&k, field);
  return k;
}

std::string WebhookTargetKey(std::string_view target_id) {
  std::string k(1, kWebhookTarget);
  k.append(target_id.data(), target_id.size());
  return k;
}

std::string OpenRosaSubmissionKey(std::string_view instance_id) {
  std::string k(1, kOpenRosaSubmission);
  k.append(instance_id);
  return k;
}

std::string WebhookStateKey(std::string_view target_id) {
  std::string k(1, kWebhookState);
  k.append(target_id.data(), target_id.size());
  return k;
}

std::string DeadLetterPrefix(std::string_view target_id) {
  std::string k(1, kDeadLetter);
  PutLengthPrefixed(&k, target_id);
  return k;
}

std::string DeadLetterKey(std::string_view target_id, uint64_t seq) {
  std::string k = DeadLetterPrefix(target_id);
  PutBigEndian64(&k, seq);
  return k;
}

std::string PrefixSuccessor(std::string prefix) {
  while (!prefix.empty()) {
    uint8_t last = static_cast<uint8_t>(prefix.back());
    if (last != 0xff) {
      prefix.back() = static_cast<char>(last + 1);
      return prefix;
    }
    prefix.pop_back();
  }
  return prefix;  // empty: no upper bound
}

}  // namespace fieldsync::keys
