// Backups of the server's RocksDB database with rocksdb::BackupEngine: incremental (files
// shared between backups), checksummed, restorable into a new folder. Only storage/ knows
// RocksDB; callers see plain structs and absl::Status.
#ifndef FIELDSYNC_SERVER_STORAGE_BACKUP_H_
#define FIELDSYNC_SERVER_STORAGE_BACKUP_H_

#include <cstdint>
#include <memory>
#include <mutex>
#include <string>
#include <vector>

#include "absl/status/statusor.h"
#include "server/storage/store.h"

namespace rocksdb {
class BackupEngine;
}  // namespace rocksdb

namespace fieldsync {

struct BackupSummary {
  uint32_t backup_id = 0;
  int64_t timestamp_s = 0;  // creation time, seconds since the epoch
  uint64_t size_bytes = 0;
  uint32_t file_count = 0;
};

// The backups kept in one folder. Thread-safe: calls are serialised (BackupEngine is not
// safe for concurrent use); a backup runs while the store keeps serving reads and writes.
class Backups {
 public:
  // Opens (creating if missing) the backup folder `backup_dir`. INVALID_ARGUMENT if it is
  // empty; other errors from the file system.
  static absl::StatusOr<std::unique_ptr<Backups>> Open(const std::string& backup_dir);
  ~Backups();
  Backups(const Backups&) = delete;
  Backups& operator=(const Backups&) = delete;

  // Flushes the memtables and backs up a consistent snapshot of `store` (which must be
  // on-disk, not in_memory: FAILED_PRECONDITION otherwise).
  absl::StatusOr<BackupSummary> Create(Store* store);
  // Every intact backup, oldest first.
  absl::StatusOr<std::vector<BackupSummary>> List() const;
  // OK if every file of backup `id` exists with the recorded size and checksum. NOT_FOUND for
  // an unknown id; DATA_LOSS (with the reason) for a damaged backup.
  absl::Status Verify(uint32_t id) const;
  // Restores backup `id` into `data_dir`, which must not exist or be empty
  // (FAILED_PRECONDITION otherwise: a restore never overwrites a database). NOT_FOUND for an
  // unknown id. Offline: no server may use `data_dir`.
  absl::Status Restore(uint32_t id, const std::string& data_dir) const;

 private:
  Backups() = default;
  mutable std::mutex mu_;
  std::unique_ptr<rocksdb::BackupEngine> engine_;
};

}  // namespace fieldsync

#endif  // FIELDSYNC_SERVER_STORAGE_BACKUP_H_
