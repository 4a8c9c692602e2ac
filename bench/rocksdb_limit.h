// Limit A: what the storage engine alone can do with the benchmark's records, configured as
// fieldsyncd configures it (server/storage/store.cc), in a database of its own.
#ifndef FIELDSYNC_BENCH_ROCKSDB_LIMIT_H_
#define FIELDSYNC_BENCH_ROCKSDB_LIMIT_H_

#include <cstdint>
#include <string>

#include "fieldsync/v1/sync.pb.h"

namespace fieldsync::bench {

struct RocksLimitResult {
  std::string error;
  uint64_t written = 0;
  double write_seconds = 0;
  uint64_t scanned = 0;
  uint64_t scanned_bytes = 0;
  double scan_seconds = 0;
  double write_records_per_s() const { return write_seconds > 0 ? written / write_seconds : 0; }
  double scan_records_per_s() const { return scan_seconds > 0 ? scanned / scan_seconds : 0; }
};

// Opens a fresh database in `dir`; `devices` threads each write records_per_device records
// (key 'r' + record id, value the serialized mutation Stamp() makes from `record`) in
// WriteBatches of `batch`, each written with sync=true, all at once so that RocksDB's group
// commit shares fsyncs as it does for fieldsyncd. Then scans every record with one iterator.
RocksLimitResult RunRocksLimit(const std::string& dir, int devices, uint64_t records_per_device,
                               int batch, const v1::Mutation& record);

}  // namespace fieldsync::bench

#endif  // FIELDSYNC_BENCH_ROCKSDB_LIMIT_H_
