// Every RocksDB key layout of fieldsync, and nothing else. All keys live in the default
// column family and start with a one-byte tag. Variable-length components followed by more
// components are length-prefixed (varint32), so a prefix scan of one entity never reaches
// another's keys; integers are big-endian so that byte order is numeric order. Keys whose last
// component is a raw string ('m', 'd', 'a', 'e', 'r', 'n') are read one at a time or scanned by tag
// only, never by a prefix of that string.
//
//   'm' name                                  -> meta value, be64 (format version, seq floor,
//                                                retention watermark)
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
//   'n' code_hash                             -> EnrollmentCode (one-time enrollment codes)
//   'l' be64(index)                           -> audit entry, encoded by server/audit
//   'm' "audit_head"                          -> be64(count) sha256hex(last entry) (not be64 only)
//   'b' device_id                             -> be64(valid_until_ms) sha256hex(token): the
//                                                token before the last rotation, for bundle
//                                                verification only (never authentication)
//   'h' target_id                             -> WebhookTarget
//   'k' target_id                             -> WebhookState (checkpoint, counters)
//   'y' lp(target_id) be64(seq)               -> DeadLetter
//   'i' lp(parent_record_id) child_record_id  -> "" (child records of a record; kept when
//                                                either is deleted, as records are)
//   'o' instance_id                           -> OpenRosaSubmission (server/openrosa)
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
inline constexpr char kEnrollmentCode = 'n';
inline constexpr char kAudit = 'l';
inline constexpr char kRetiredToken = 'b';
inline constexpr char kWebhookTarget = 'h';
inline constexpr char kWebhookState = 'k';
inline constexpr char kDeadLetter = 'y';
inline constexpr char kChildIndex = 'i';
inline constexpr char kOpenRosaSubmission = 'o';

// Meta names.
// The on-disk format of the database: storage.proto's messages, the value encodings of
// codec.h and the key layouts above. Written when a database is created; Store::Open refuses
// a database of a newer format. A database without it predates the key and is format 1.
inline constexpr std::string_view kFormatVersion = "format_version";
inline constexpr std::string_view kHeadSeq = "head_seq";
inline constexpr std::string_view kMinRetainedSeq = "min_retained_seq";
// Every seq ever handed out is below this (see sync/seq_floor.h).
inline constexpr std::string_view kSeqReserved = "seq_reserved";
// The audit chain's head: entry count and the hash of the last entry (see server/audit).
inline constexpr std::string_view kAuditHead = "audit_head";

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

// Child index: every child record of `parent_record_id`, by child id.
std::string ChildIndexPrefix(std::string_view parent_record_id);
std::string ChildIndexKey(std::string_view parent_record_id, std::string_view child_record_id);

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

std::string EnrollmentCodeKey(std::string_view code_hash);

std::string WebhookTargetKey(std::string_view target_id);
std::string WebhookStateKey(std::string_view target_id);
std::string OpenRosaSubmissionKey(std::string_view instance_id);
std::string DeadLetterPrefix(std::string_view target_id);
std::string DeadLetterKey(std::string_view target_id, uint64_t seq);

std::string AuditKey(uint64_t index);
std::string RetiredTokenKey(std::string_view device_id);
std::optional<uint64_t> ParseAuditKey(std::string_view key);

// The smallest key greater than every key that starts with `prefix` (for upper bounds).
std::string PrefixSuccessor(std::string prefix);

// ---- The aggregate store (server/storage/aggregate_store.h) -----------------------------
// A SEPARATE RocksDB database (its own folder), so these tags never meet the ones above.
// `scope` is an encoded tuple of the record's scope coordinates (EncodeScopeTuple), `group`
// the encoded group-by values (EncodeGroupTuple); buckets are big-endian, so a bucket range
// of one (aggregation, scope) is one contiguous scan.
//
//   'M' name                                          -> meta (checkpoint)
//   'C' lp(form_id) lp(aggregation) lp(scope) be64(bucket) group -> AggCell
//   'S' lp(form_id) lp(aggregation) scope             -> "" (scope tuples that have cells)
//   'R' lp(form_id) record_id                         -> AggRecordState
namespace agg {

inline constexpr char kAggMeta = 'M';
inline constexpr char kAggCell = 'C';
inline constexpr char kAggScope = 'S';
inline constexpr char kAggRecord = 'R';
inline constexpr std::string_view kCheckpoint = "checkpoint";

inline std::string AggMetaKey(std::string_view name) {
  std::string k(1, kAggMeta);
  k.append(name.data(), name.size());
  return k;
}
inline std::string AggregationPart(char tag, std::string_view form_id,
                                   std::string_view aggregation) {
  std::string k(1, tag);
  PutLengthPrefixed(&k, form_id);
  PutLengthPrefixed(&k, aggregation);
  return k;
}
// Every cell of one (aggregation, scope tuple), buckets ascending.
inline std::string CellPrefix(std::string_view form_id, std::string_view aggregation,
                              std::string_view scope) {
  std::string k = AggregationPart(kAggCell, form_id, aggregation);
  PutLengthPrefixed(&k, scope);
  return k;
}
// Every cell of one aggregation (all scope tuples).
inline std::string CellsPrefix(std::string_view form_id, std::string_view aggregation) {
  return AggregationPart(kAggCell, form_id, aggregation);
}
inline std::string CellKey(std::string_view form_id, std::string_view aggregation,
                           std::string_view scope, uint64_t bucket, std::string_view group) {
  std::string k = CellPrefix(form_id, aggregation, scope);
  PutBigEndian64(&k, bucket);
  k.append(group.data(), group.size());
  return k;
}
inline std::string ScopeDirPrefix(std::string_view form_id, std::string_view aggregation) {
  return AggregationPart(kAggScope, form_id, aggregation);
}
inline std::string ScopeDirKey(std::string_view form_id, std::string_view aggregation,
                               std::string_view scope) {
  std::string k = ScopeDirPrefix(form_id, aggregation);
  k.append(scope.data(), scope.size());
  return k;
}
inline std::string AggRecordKey(std::string_view form_id, std::string_view record_id) {
  std::string k(1, kAggRecord);
  PutLengthPrefixed(&k, form_id);
  k.append(record_id.data(), record_id.size());
  return k;
}

}  // namespace agg

}  // namespace fieldsync::keys

#endif  // FIELDSYNC_SERVER_STORAGE_KEYS_H_
