// LocalStore: the device's RocksDB folder. The only client code that knows RocksDB and the
// key layout below; everything else reads and writes typed values through it.
//
// Key layout (first byte is the tag; ids never contain '\0'; integers big-endian):
//   'M' name                          meta value (counters, cursor, clock, last sync)
//   'R' record_id                     local::LocalRecord
//   'I' form_id '\0' record_id        "" (records by form)
//   'O' be64(device_seq)              local::OutboxEntry (unreceipted edits, in seq order)
//   'P' record_id '\0' be64(seq)      "" (a record's pending outbox entries)
//   'C' be64(device_seq)              local::StoredReceipt (every receipt)
//   'X' be64(device_seq)              "" (receipts that were REJECTED or CONFLICT)
//   'F' form_id                       fieldsync.v1.Form (latest cached version)
//   'K' parent_id '\0' record_id      "" (child records by parent)
//
// Every Write() is one synced WriteBatch: it is on disk, whole or not at all, when it
// returns. Thread-safe (RocksDB is); read-modify-write sequences are serialised by callers.
#ifndef FIELDSYNC_CLIENT_SDK_SRC_LOCAL_STORE_H_
#define FIELDSYNC_CLIENT_SDK_SRC_LOCAL_STORE_H_

#include <rocksdb/db.h>
#include <rocksdb/write_batch.h>

#include <cstdint>
#include <functional>
#include <memory>
#include <optional>
#include <string>
#include <vector>

#include "absl/status/status.h"
#include "absl/status/statusor.h"
#include "client-sdk/src/local_store.pb.h"
#include "fieldsync/v1/forms.pb.h"

namespace fieldsync::client {

// Meta names.
inline constexpr char kMetaNextSeq[] = "next_seq";
inline constexpr char kMetaAckedSeq[] = "acked_seq";
inline constexpr char kMetaHlcMs[] = "hlc_ms";
inline constexpr char kMetaHlcLogical[] = "hlc_logical";
inline constexpr char kMetaCursor[] = "cursor";
inline constexpr char kMetaLastSyncMs[] = "last_sync_ms";
inline constexpr char kMetaLastAttemptMs[] = "last_attempt_ms";
inline constexpr char kMetaLastError[] = "last_error";
inline constexpr char kMetaRejected[] = "rejected_total";
inline constexpr char kMetaConflicts[] = "conflicts_total";
inline constexpr char kMetaResyncGen[] = "resync_gen";
inline constexpr char kMetaResyncActive[] = "resync_active";

// rocksdb::Status -> absl::Status. No space on the device becomes RESOURCE_EXHAUSTED
// "disk full: ...", so apps and the CLI can tell the user what to do.
absl::Status FromRocks(const rocksdb::Status& s, const char* what);

class LocalStore {
 public:
  // Opens or creates the store in `path`. Errors as FromRocks().
  static absl::StatusOr<std::unique_ptr<LocalStore>> Open(const std::string& path);
  ~LocalStore();

  // A set of changes written atomically by Write().
  class Batch {
   public:
    void PutRecord(const local::LocalRecord& r);
    // Removes the record and its index entries.
    void DeleteRecord(const local::LocalRecord& r);
    void PutOutbox(const local::OutboxEntry& e);
    void DeleteOutbox(uint64_t device_seq, const std::string& record_id);
    void PutReceipt(const local::StoredReceipt& r, bool problem);
    void PutForm(const v1::Form& f);
    void PutMeta(const std::string& name, const std::string& value);
    void PutMetaU64(const std::string& name, uint64_t value);
    int Count() const { return wb_.Count(); }

   private:
    friend class LocalStore;
    rocksdb::WriteBatch wb_;
  };

  // Writes `batch` with sync = true.
  absl::Status Write(Batch* batch);

  absl::StatusOr<std::optional<local::LocalRecord>> GetRecord(const std::string& record_id) const;
  // Calls `fn` for every record of `form_id` (all records if empty) in record-id order until
  // it returns false.
  absl::Status ForEachRecord(const std::string& form_id,
                             const std::function<bool(const local::LocalRecord&)>& fn) const;

  // The ids of the child records of `parent_id` held locally, in id order.
  absl::StatusOr<std::vector<std::string>> ChildIds(const std::string& parent_id) const;

  // Outbox entries with device_seq >= from, at most `limit`, in seq order.
  absl::StatusOr<std::vector<local::OutboxEntry>> ReadOutbox(uint64_t from, size_t limit) const;
  // The pending outbox entries of one record, in seq order.
  absl::StatusOr<std::vector<local::OutboxEntry>> PendingFor(const std::string& record_id) const;
  absl::StatusOr<uint64_t> OutboxDepth() const;
  absl::StatusOr<std::optional<local::OutboxEntry>> GetOutbox(uint64_t device_seq) const;

  // Receipts with device_seq >= since, at most `limit`, ascending.
  absl::StatusOr<std::vector<local::StoredReceipt>> ReadReceipts(uint64_t since,
                                                                 size_t limit) const;
  // The newest REJECTED/CONFLICT receipts, newest first.
  absl::StatusOr<std::vector<local::StoredReceipt>> RecentProblems(size_t limit) const;

  absl::StatusOr<std::vector<v1::Form>> Forms() const;
  absl::StatusOr<std::optional<v1::Form>> GetForm(const std::string& form_id) const;

  // "" if unset.
  absl::StatusOr<std::string> GetMeta(const std::string& name) const;
  // 0 if unset.
  absl::StatusOr<uint64_t> GetMetaU64(const std::string& name) const;

  // Free bytes on the file system holding the store (0 if unknown).
  uint64_t FreeBytes() const;

 private:
  LocalStore(std::string path, std::unique_ptr<rocksdb::DB> db);
  absl::StatusOr<std::optional<std::string>> Get(const std::string& key) const;

  std::string path_;
  std::unique_ptr<rocksdb::DB> db_;
};

}  // namespace fieldsync::client

#endif  // FIELDSYNC_CLIENT_SDK_SRC_LOCAL_STORE_H_
