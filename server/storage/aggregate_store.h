// AggregateStore: the aggregation service's own RocksDB database (a folder of its own, never
// the records' database): materialised cells, each record's last contribution, and the
// consumer's checkpoint. Key layouts are in keys.h ("The aggregate store"). The consumer
// writes cells, contributions and checkpoint in ONE Batch per feed page, so a crash leaves
// either all of a page or none of it.
//
// Two column families of one RocksDB database: "cells" holds the cells, the scope directory
// and the checkpoint (a few thousand small keys, each overwritten on every change that lands
// in it); "default" holds the per-record states (one key per record, written once per change
// of the record). They are apart so that reading a month of cells never merges through the
// flushes and compactions of a million record states, and the cells' small memtable keeps few
// versions of each cell: query cost depends on the cells read, not on the record count. One
// WriteBatch spans both families, so a page is still atomic.
//
// Thread-safe: any number of readers; the single consumer is the only writer.
#ifndef FIELDSYNC_SERVER_STORAGE_AGGREGATE_STORE_H_
#define FIELDSYNC_SERVER_STORAGE_AGGREGATE_STORE_H_

#include <cstdint>
#include <functional>
#include <memory>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "absl/numeric/int128.h"
#include "absl/status/statusor.h"
#include "server/common/model.h"

namespace rocksdb {
class ColumnFamilyHandle;
class DB;
class Env;
class WriteBatch;
}  // namespace rocksdb

namespace fieldsync {

// One SUM measure of a cell (COUNT measures keep nothing: they are the cell's count).
struct AggMeasureCell {
  absl::int128 sum_micros = 0;  // exact sum of the valid values, in millionths
  int64_t invalid = 0;          // records whose value was missing or invalid
  bool operator==(const AggMeasureCell& o) const {
    return sum_micros == o.sum_micros && invalid == o.invalid;
  }
};

struct AggCell {
  int64_t count = 0;
  std::vector<AggMeasureCell> measures;  // one per measure of the aggregation
  bool operator==(const AggCell& o) const { return count == o.count && measures == o.measures; }
  // True when the cell holds nothing (it is then deleted rather than stored).
  bool Empty() const;
};

// What one record added to one aggregation: the cell it landed in and its measure values.
struct AggContribution {
  std::string aggregation;
  std::string scope;  // EncodeScopeTuple
  uint64_t bucket = 0;
  std::string group;                     // EncodeGroupTuple
  std::vector<AggMeasureCell> measures;  // count is always 1
};

// The consumer's memory of one record: the fields aggregations read, its scope and what it
// contributed (retracted exactly on the next change of the record).
struct AggRecordState {
  bool deleted = false;
  FieldMap fields;  // only fields some aggregation of the form reads
  std::vector<AggContribution> contributions;
};

struct AggCheckpoint {
  uint64_t seq = 0;                 // last change applied
  int64_t last_commit_time_ms = 0;  // its commit time
  uint64_t skipped_changes = 0;     // changes that could not be applied (unknown form)
};

// Scope coordinates <-> bytes (field and value of each pair, in order).
std::string EncodeScopeTuple(const std::vector<ScopePair>& scope);
std::optional<std::vector<ScopePair>> DecodeScopeTuple(std::string_view in);
// Group-by values <-> bytes (std::nullopt = the record has no value).
std::string EncodeGroupTuple(const std::vector<std::optional<std::string>>& values);
std::optional<std::vector<std::optional<std::string>>> DecodeGroupTuple(std::string_view in);

struct AggregateStoreOptions {
  std::string path;        // folder; created if missing
  bool in_memory = false;  // rocksdb MemEnv, for unit tests
  size_t block_cache_bytes = 32 << 20;
  size_t write_buffer_bytes = 16 << 20;      // record states
  size_t cell_write_buffer_bytes = 1 << 20;  // cells: small, so few versions pile up
};

class AggregateStore {
 public:
  // FAILED_PRECONDITION for a folder written by the earlier one-family layout (delete it: the
  // consumer rebuilds from the feed).
  static absl::StatusOr<std::unique_ptr<AggregateStore>> Open(const AggregateStoreOptions& o);
  ~AggregateStore();
  AggregateStore(const AggregateStore&) = delete;
  AggregateStore& operator=(const AggregateStore&) = delete;

  // Writes applied atomically by Write(). Not thread-safe.
  class Batch {
   public:
    Batch();
    ~Batch();
    void PutCell(std::string_view form_id, std::string_view aggregation, std::string_view scope,
                 uint64_t bucket, std::string_view group, const AggCell& cell);
    void DeleteCell(std::string_view form_id, std::string_view aggregation, std::string_view scope,
                    uint64_t bucket, std::string_view group);
    void PutScope(std::string_view form_id, std::string_view aggregation, std::string_view scope);
    void PutRecordState(std::string_view form_id, std::string_view record_id,
                        const AggRecordState& s);
    void PutCheckpoint(const AggCheckpoint& c);
    int Count() const;

   private:
    friend class AggregateStore;
    struct Op {
      bool cells;  // column family: cells or record states
      bool del;
      std::string key, value;
    };
    std::vector<Op> ops_;
  };

  // Not synced: a lost tail (power cut) rolls cells and checkpoint back together, and the
  // consumer re-reads those changes; `sync` forces an fsync.
  absl::Status Write(Batch& batch, bool sync = false);

  // Zero checkpoint if none was written.
  absl::StatusOr<AggCheckpoint> GetCheckpoint() const;
  absl::StatusOr<std::optional<AggRecordState>> GetRecordState(std::string_view form_id,
                                                               std::string_view record_id) const;
  absl::StatusOr<std::optional<AggCell>> GetCell(std::string_view form_id,
                                                 std::string_view aggregation,
                                                 std::string_view scope, uint64_t bucket,
                                                 std::string_view group) const;
  // The encoded scope tuples that ever held a cell of the aggregation.
  absl::StatusOr<std::vector<std::string>> ListScopes(std::string_view form_id,
                                                      std::string_view aggregation) const;
  // Cells of (aggregation, scope) with bucket_from <= bucket <= bucket_to, ascending by
  // (bucket, group); fn returns false to stop. Reads only those cells.
  absl::Status ScanCells(
      std::string_view form_id, std::string_view aggregation, std::string_view scope,
      uint64_t bucket_from, uint64_t bucket_to,
      const std::function<bool(uint64_t bucket, std::string_view group, const AggCell&)>& fn) const;
  // Every cell of the aggregation (for Verify).
  absl::Status ScanAllCells(
      std::string_view form_id, std::string_view aggregation,
      const std::function<void(std::string_view scope, uint64_t bucket, std::string_view group,
                               const AggCell&)>& fn) const;
  absl::Status Flush();

  // A RocksDB integer property ("rocksdb.num-files-at-level0", ...) of the cells family
  // (cells = true) or the record states; std::nullopt if unknown. For benchmarks and metrics.
  std::optional<uint64_t> GetIntProperty(const std::string& name, bool cells) const;

 private:
  AggregateStore() = default;
  std::unique_ptr<rocksdb::Env> mem_env_;
  std::unique_ptr<rocksdb::DB> db_;
  rocksdb::ColumnFamilyHandle* states_cf_ = nullptr;  // owned by db_ (default family)
  rocksdb::ColumnFamilyHandle* cells_cf_ = nullptr;   // destroyed before db_ closes
};

}  // namespace fieldsync

#endif  // FIELDSYNC_SERVER_STORAGE_AGGREGATE_STORE_H_
