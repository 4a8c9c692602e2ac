// Every RocksDB key layout of fieldsync, and nothing else. All keys live in the default
// column family and start with a one-byte tag. Variable-length components followed by more
// components are length-prefixed (varint32), so a prefix scan of one entity never reaches
// another's keys; integers are big-endian so that byte order is numeric order. Keys whose last
// component is a raw string ('m', 'd', 'a', 'e', 'r') are read one at a time or scanned by tag
// only, never by a prefix of that string.
//
//   'm' name                                  -> meta value (head seq, retention watermark)
//   'd' device_id                             -> Device (identity, role, scopes, token hash)
//   'a' token_hash                            -> device_id
//   'e' device_id                             -> DeviceSyncState (acked seq, last seen, report)
//   'f' lp(form_id) be32(version)             -> Form
//   'r' record_id                             -> Record (fields + per-field metadata)
//   'c' be64(seq)                             -> ChangeEntry
//   's' lp(form_id) lp(field) lp(value) be64(seq) -> record_id   (per-scope change index)
//   'p' lp(device_id) be64(device_seq)        -> Receipt
//   'q' lp(device_id) be64(device_seq)        -> QuarantineEntry
//   'x' lp(record_id) lp(device_id) be64(device_seq) lp(field) -> ConflictEntry
#ifndef FIELDSYNC_SERVER_STORAGE_KEYS_H_
#define FIELDSYNC_SERVER_STORAGE_KEYS_H_

#include <cstdint>
#include <optional>
#include <string>
#include <string_view>

namespace fieldsync::keys {

inline constexpr char kMeta = 'm';
inline constexpr char kDevice = 'd';
inline constexpr char kToken = 'a';
inline constexpr char kDeviceState = 'e';
inline constexpr char kForm = 'f';
inline constexpr char kRecord = 'r';
inline constexpr char kChange = 'c';
inline constexpr char kScopeIndex = 's';
inline constexpr char kReceipt = 'p';
inline constexpr char kQuarantine = 'q';
inline constexpr char kConflict = 'x';

// Meta names.
inline constexpr std::string_view kHeadSeq = "head_seq";
inline constexpr std::string_view kMinRetainedSeq = "min_retained_seq";
// Every seq ever handed out is below this (see sync/seq_floor.h).
inline constexpr std::string_view kSeqReserved = "seq_reserved";

void PutBigEndian64(std::string* out, uint64_t v);
void PutBigEndian32(std::string* out, uint32_t v);
void PutLengthPrefixed(std::string* out, std::string_view s);
// Read from the front of `*in` and advance it; false if `*in` is too short or malformed.
bool GetBigEndian64(std::string_view* in, uint64_t* v);
bool GetBigEndian32(std::string_view* in, uint32_t* v);
bool GetLengthPrefixed(std::string_view* in, std::string_view* s);

std::string MetaKey(std::string_view name);
std::string DeviceKey(std::string_view device_id);
std::string TokenKey(std::string_view token_hash);
std::string DeviceStateKey(std::string_view device_id);

std::string FormKey(std::string_view form_id, uint32_t version);
// Prefix of every version of `form_id`.
std::string FormPrefix(std::string_view form_id);
std::string FormsPrefix();
struct FormKeyParts {
  std::string form_id;
  uint32_t version = 0;
};
std::optional<FormKeyParts> ParseFormKey(std::string_view key);

std::string RecordKey(std::string_view record_id);

std::string ChangeKey(uint64_t seq);
std::optional<uint64_t> ParseChangeKey(std::string_view key);

// Per-scope change index: one entry per (record, scope coordinate) at the seq of the record's
// last change, plus "exit" entries where a record left a coordinate.
std::string ScopeIndexPrefix(std::string_view form_id, std::string_view field,
                             std::string_view value);
std::string ScopeIndexKey(std::string_view form_id, std::string_view field, std::string_view value,
                          uint64_t seq);
// The seq of a scope index key with the given prefix.
std::optional<uint64_t> ParseScopeIndexSeq(std::string_view key, std::string_view prefix);

std::string ReceiptPrefix(std::string_view device_id);
std::string ReceiptKey(std::string_view device_id, uint64_t device_seq);
std::optional<uint64_t> ParseReceiptSeq(std::string_view key, std::string_view prefix);

std::string QuarantinePrefix(std::string_view device_id);
std::string QuarantineKey(std::string_view device_id, uint64_t device_seq);

std::string ConflictPrefix(std::string_view record_id);
// A conflict is identified by the record, the mutation that met it and the field.
std::string ConflictKey(std::string_view record_id, std::string_view device_id, uint64_t device_seq,
                        std::string_view field);

// The smallest key greater than every key that starts with `prefix` (for upper bounds).
std::string PrefixSuccessor(std::string prefix);

}  // namespace fieldsync::keys

#endif  // FIELDSYNC_SERVER_STORAGE_KEYS_H_
