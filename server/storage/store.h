// Store: the only code that talks to RocksDB. Typed reads and a typed write batch over the
// key layouts in keys.h. Thread-safe: any number of readers and writers; callers that need
// read-modify-write atomicity serialise themselves (see sync/lock_table.h).
#ifndef FIELDSYNC_SERVER_STORAGE_STORE_H_
#define FIELDSYNC_SERVER_STORAGE_STORE_H_

#include <cstdint>
#include <functional>
#include <memory>
#include <optional>
#include <string>
#include <string_view>
#include <utility>
#include <vector>

#include "absl/status/statusor.h"
#include "server/common/model.h"
#include "server/common/openrosa_submission.h"

namespace rocksdb {
class DB;
class Env;
class Snapshot;
class WriteBatch;
}  // namespace rocksdb

namespace fieldsync {

struct StoreOptions {
  // Folder of the RocksDB database; created if missing.
  std::string path;
  // Keep everything in memory (rocksdb's MemEnv): for unit tests.
  bool in_memory = false;
  // Memory bounds: block cache and memtables. Neither grows with data size.
  size_t block_cache_bytes = 64 << 20;
  size_t write_buffer_bytes = 32 << 20;
  int max_write_buffers = 3;
  // How long a write waits for RocksDB to lift a write stop before answering UNAVAILABLE.
  int64_t max_stall_wait_ms = 2'000;
  // The retry delay that UNAVAILABLE carries.
  int64_t stall_retry_ms = 1'000;
};

class Store {
 public:
  // The on-disk format this build reads and writes (keys::kFormatVersion). Raise it, with a
  // migration and a fixture under tests/storage/testdata/, when a change would make older
  // releases misread a database; adding a field to a storage.proto message does not.
  static constexpr uint64_t kFormatVersion = 1;

  // Opens (or creates) the database at options.path. A new database is stamped with
  // kFormatVersion; one written before format versions were kept is format 1 and is stamped on
  // first open. FAILED_PRECONDITION if the database has a newer format than this build reads
  // (opened by a newer release: run that release, or restore a backup made by this one);
  // other errors from RocksDB (a locked or unreadable folder).
  static absl::StatusOr<std::unique_ptr<Store>> Open(const StoreOptions& options);
  ~Store();
  Store(const Store&) = delete;
  Store& operator=(const Store&) = delete;

  // A set of writes applied atomically by Write(). Not thread-safe.
  class Batch {
   public:
    Batch();
    ~Batch();
    void PutRecord(const Record& r);
    void PutChange(const ChangeEntry& c);
    void DeleteChange(uint64_t seq);
    void PutScopeIndex(std::string_view form_id, const ScopePair& pair, uint64_t seq,
                       std::string_view record_id);
    void DeleteScopeIndex(std::string_view form_id, const ScopePair& pair, uint64_t seq);
    void PutReceipt(std::string_view device_id, const Receipt& r);
    void PutDeviceSyncState(std::string_view device_id, const DeviceSyncState& s);
    void PutQuarantine(const QuarantineEntry& q);
    void DeleteQuarantine(std::string_view device_id, uint64_t device_seq);
    void PutConflict(const ConflictEntry& c);
    // Lists `child_record_id` among the children of `parent_record_id` (ListChildIds).
    void PutChildIndex(std::string_view parent_record_id, std::string_view child_record_id);
    // Also maintains the token-hash index.
    void PutDevice(const Device& d);
    void DeleteTokenIndex(std::string_view token_hash);
    void PutForm(const Form& f);
    void PutMeta(std::string_view name, uint64_t value);
    void PutEnrollmentCode(const EnrollmentCode& c);
    // Audit entries are opaque here: server/audit encodes them and chains their hashes.
    void PutAuditEntry(uint64_t index, std::string_view encoded);
    // Never used by the server (the audit log is append-only); lets tests simulate tampering.
    void DeleteAuditEntry(uint64_t index);
    void PutAuditHead(uint64_t count, std::string_view last_hash);
    // The device's token hash before its last rotation, kept for verifying bundles it signed
    // (see GetRetiredToken); replaces an earlier one.
    void PutRetiredToken(std::string_view device_id, std::string_view token_hash,
                         int64_t valid_until_ms);
    void DeleteRetiredToken(std::string_view device_id);
    // OpenRosa submissions received (server/openrosa), by instance id.
    void PutOpenRosaSubmission(const OpenRosaSubmission& s);
    // Webhooks (server/webhook). DeleteWebhookTarget also deletes its state.
    void PutWebhookTarget(const WebhookTarget& t);
    void DeleteWebhookTarget(std::string_view target_id);
    void PutWebhookState(std::string_view target_id, const WebhookState& s);
    void PutDeadLetter(const DeadLetter& d);
    void DeleteDeadLetter(std::string_view target_id, uint64_t seq);
    // Adds every operation of `other`, after those already here, as if staged here in the same
    // order (group commit: several callers' batches written in one synced write). INTERNAL if
    // `other` holds an operation this copy does not know (none that a Batch stages today).
    absl::Status Append(const Batch& other);
    // Number of operations so far.
    int Count() const;
    // Bytes of the encoded batch.
    size_t ByteSize() const;

   private:
    friend class Store;
    std::unique_ptr<rocksdb::WriteBatch> batch_;
  };

  // A consistent read view of the database as it was when taken (a RocksDB snapshot), for
  // reads that must not see a record twice or miss one while writers move it (exports). While
  // one is held, compaction keeps the data it can see: hold it for one scan, not longer. Must
  // not outlive the Store.
  class Snapshot {
   public:
    ~Snapshot();
    Snapshot(const Snapshot&) = delete;
    Snapshot& operator=(const Snapshot&) = delete;

   private:
    friend class Store;
    Snapshot(rocksdb::DB* db, const rocksdb::Snapshot* snapshot) : db_(db), snapshot_(snapshot) {}
    rocksdb::DB* db_;
    const rocksdb::Snapshot* snapshot_;
  };
  std::unique_ptr<Snapshot> TakeSnapshot() const;

  // Applies `batch` atomically. With `sync`, returns only after the WAL is on disk;
  // concurrent synced writers share fsyncs (RocksDB group commit). When RocksDB has stopped
  // writes (too many level-0 files or full memtables, until compaction or flush catches up)
  // and they stay stopped for options.max_stall_wait_ms, UNAVAILABLE with a retry delay
  // (WithRetryDelay) instead of blocking the caller for as long as the stall lasts; a write
  // RocksDB only slows down is paced, not refused.
  absl::Status Write(Batch& batch, bool sync);

  // Whether RocksDB has stopped writes now, and its level-0 file count (health, metrics).
  struct WriteStall {
    bool stopped = false;
    uint64_t l0_files = 0;
  };
  WriteStall GetWriteStall() const;

  // ---- Point reads. NOT_FOUND is reported as std::nullopt, not as an error. ----
  absl::StatusOr<std::optional<Record>> GetRecord(std::string_view record_id) const;
  // The records with these ids, in the given order (std::nullopt where absent); one batched
  // lookup. With `at`, as they were in that snapshot.
  absl::StatusOr<std::vector<std::optional<Record>>> GetRecords(
      const std::vector<std::string>& record_ids, const Snapshot* at = nullptr) const;
  absl::StatusOr<std::optional<Device>> GetDevice(std::string_view device_id) const;
  absl::StatusOr<std::optional<std::string>> GetDeviceIdByTokenHash(
      std::string_view token_hash) const;
  // A device that never synced has the default state.
  absl::StatusOr<DeviceSyncState> GetDeviceSyncState(std::string_view device_id) const;
  absl::StatusOr<std::optional<Receipt>> GetReceipt(std::string_view device_id,
                                                    uint64_t device_seq) const;
  // version 0 is the latest version of form_id.
  absl::StatusOr<std::optional<Form>> GetForm(std::string_view form_id, uint32_t version) const;
  absl::StatusOr<uint64_t> GetMeta(std::string_view name) const;  // 0 if absent
  absl::StatusOr<std::optional<EnrollmentCode>> GetEnrollmentCode(std::string_view code_hash) const;
  // The audit chain's head as last written by PutAuditHead (std::nullopt if never written).
  struct AuditHead {
    uint64_t count = 0;
    std::string last_hash;
  };
  absl::StatusOr<std::optional<AuditHead>> GetAuditHead() const;
  // The token hash a device held before its last rotation (std::nullopt if none); expiry is
  // the caller's to check. Never indexed for authentication.
  struct RetiredToken {
    std::string token_hash;
    int64_t valid_until_ms = 0;
  };
  absl::StatusOr<std::optional<RetiredToken>> GetRetiredToken(std::string_view device_id) const;

  // ---- Scans. ----
  // Receipts of `device_id` with device_seq >= since, ascending, at most `limit`.
  absl::StatusOr<std::vector<Receipt>> ListReceipts(std::string_view device_id, uint64_t since,
                                                    size_t limit) const;
  // Every version of every form, in key order (form ids are length-prefixed, so shorter ids
  // sort first; versions ascend within a form).
  absl::StatusOr<std::vector<Form>> ListForms() const;
  // Every device, ordered by device id.
  absl::StatusOr<std::vector<Device>> ListDevices() const;
  // Change-log entries with from_seq <= seq <= to_seq, ascending, at most `limit`.
  absl::StatusOr<std::vector<ChangeEntry>> ReadChanges(uint64_t from_seq, uint64_t to_seq,
                                                       size_t limit) const;
  // The highest seq in the change log, 0 if empty.
  absl::StatusOr<uint64_t> LastChangeSeq() const;
  // Scope index entries of (form_id, pair) with after_seq < seq <= to_seq, ascending; calls
  // fn(seq, record_id) until it returns false. With `at`, as they were in that snapshot.
  absl::Status ScanScopeIndex(
      std::string_view form_id, const ScopePair& pair, uint64_t after_seq, uint64_t to_seq,
      const std::function<bool(uint64_t seq, std::string_view record_id)>& fn,
      const Snapshot* at = nullptr) const;
  absl::StatusOr<std::vector<ConflictEntry>> ListConflicts(std::string_view record_id) const;
  // The ids of the child records of `parent_record_id` (deleted ones too), in id order, at
  // most `limit`.
  absl::StatusOr<std::vector<std::string>> ListChildIds(std::string_view parent_record_id,
                                                        size_t limit) const;
  absl::StatusOr<std::vector<QuarantineEntry>> ListQuarantine(std::string_view device_id) const;

  // ---- Admin reads (server/admin). Positions are opaque resume points (for page tokens);
  // "" starts at the beginning. fn returns false to stop. ----
  absl::StatusOr<std::optional<ConflictEntry>> GetConflict(std::string_view record_id,
                                                           std::string_view device_id,
                                                           uint64_t device_seq,
                                                           std::string_view field) const;
  // Every conflict entry (open and closed) after `after`, in key order (by record id).
  absl::Status ScanConflicts(
      std::string_view after,
      const std::function<bool(std::string_view position, const ConflictEntry&)>& fn) const;
  absl::StatusOr<std::optional<QuarantineEntry>> GetQuarantine(std::string_view device_id,
                                                               uint64_t device_seq) const;
  // Quarantine entries of `device_id` ("" = every device) after `after`, in key order.
  absl::Status ScanQuarantine(
      std::string_view device_id, std::string_view after,
      const std::function<bool(std::string_view position, const QuarantineEntry&)>& fn) const;
  // Every enrollment code (used, unused and expired), in code-hash order.
  absl::StatusOr<std::vector<EnrollmentCode>> ListEnrollmentCodes() const;
  // Audit entries with index >= from_index, ascending; calls fn(index, encoded) until it
  // returns false. DATA_LOSS for a malformed audit key.
  absl::Status ScanAudit(
      uint64_t from_index,
      const std::function<bool(uint64_t index, std::string_view encoded)>& fn) const;
  // The last audit entry (index and encoding), std::nullopt if the log is empty.
  absl::StatusOr<std::optional<std::pair<uint64_t, std::string>>> LastAuditEntry() const;

  // The OpenRosa submission with `instance_id`, or nullopt.
  absl::StatusOr<std::optional<OpenRosaSubmission>> GetOpenRosaSubmission(
      std::string_view instance_id) const;

  // ---- Webhooks (server/webhook). ----
  // Every webhook target, by id.
  absl::StatusOr<std::vector<WebhookTarget>> ListWebhookTargets() const;
  // A target's state; the default state if none was written.
  absl::StatusOr<WebhookState> GetWebhookState(std::string_view target_id) const;
  // Dead letters of `target_id` with seq >= from_seq, ascending; calls fn until it returns
  // false.
  absl::Status ScanDeadLetters(std::string_view target_id, uint64_t from_seq,
                               const std::function<bool(const DeadLetter&)>& fn) const;

  // Flushes memtables (used by tests and benchmarks that measure on-disk state).
  absl::Status Flush();

  // A RocksDB integer property ("rocksdb.estimate-num-keys", ...); nullopt if unknown.
  std::optional<uint64_t> GetIntProperty(const std::string& name) const;

  // Tests only: stops and resumes flushes and compactions, to make RocksDB stall writes.
  void PauseBackgroundWorkForTest();
  void ContinueBackgroundWorkForTest();

 private:
  Store() = default;
  // Stamps a database without a format version; refuses a newer one (see Open).
  absl::Status CheckFormatVersion(const std::string& path);
  friend class Backups;  // storage/backup.h: BackupEngine needs the DB
  bool WritesStopped() const;
  std::unique_ptr<rocksdb::Env> mem_env_;
  std::unique_ptr<rocksdb::DB> db_;
  int64_t max_stall_wait_ms_ = 0;
  int64_t stall_retry_ms_ = 0;
};

}  // namespace fieldsync

#endif  // FIELDSYNC_SERVER_STORAGE_STORE_H_
