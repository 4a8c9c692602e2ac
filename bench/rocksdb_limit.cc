#include "bench/rocksdb_limit.h"

#include <rocksdb/cache.h>
#include <rocksdb/db.h>
#include <rocksdb/filter_policy.h>
#include <rocksdb/options.h>
#include <rocksdb/table.h>
#include <rocksdb/write_batch.h>

#include <chrono>
#include <memory>
#include <mutex>
#include <thread>
#include <vector>

#include "bench/workload.h"

namespace fieldsync::bench {

namespace {

using Clock = std::chrono::steady_clock;

// fieldsyncd's defaults (server/app/config.h, server/storage/store.cc).
rocksdb::Options ServerLikeOptions() {
  rocksdb::Options o;
  o.create_if_missing = true;
  o.write_buffer_size = 32 << 20;
  o.max_write_buffer_number = 3;
  o.max_background_jobs = 2;
  o.bytes_per_sync = 1 << 20;
  o.enable_pipelined_write = false;
  o.max_total_wal_size = 4 * o.write_buffer_size;
  rocksdb::BlockBasedTableOptions table;
  table.block_cache = rocksdb::NewLRUCache(64 << 20);
  table.cache_index_and_filter_blocks = true;
  table.filter_policy.reset(rocksdb::NewBloomFilterPolicy(10));
  o.table_factory.reset(rocksdb::NewBlockBasedTableFactory(table));
  return o;
}

}  // namespace

RocksLimitResult RunRocksLimit(const std::string& dir, int devices, uint64_t records_per_device,
                               int batch, const v1::Mutation& record) {
  RocksLimitResult result;
  rocksdb::DB* raw = nullptr;
  rocksdb::Status s = rocksdb::DB::Open(ServerLikeOptions(), dir, &raw);
  if (!s.ok()) {
    result.error = "opening " + dir + ": " + s.ToString();
    return result;
  }
  std::unique_ptr<rocksdb::DB> db(raw);

  std::mutex mu;
  std::vector<std::thread> threads;
  const auto start = Clock::now();
  for (int d = 0; d < devices; ++d) {
    threads.emplace_back([&, d] {
      v1::Mutation m = record;
      rocksdb::WriteOptions wo;
      wo.sync = true;
      rocksdb::WriteBatch wb;
      std::string key, value;
      uint64_t written = 0;
      rocksdb::Status st;
      for (uint64_t next = 0; next < records_per_device && st.ok();) {
        const uint64_t n = std::min<uint64_t>(batch, records_per_device - next);
        wb.Clear();
        for (uint64_t i = 0; i < n; ++i) {
          Stamp(d, next + i, &m);
          key = "r" + m.record_id();
          m.SerializeToString(&value);
          wb.Put(key, value);
        }
        st = db->Write(wo, &wb);
        if (st.ok()) written += n;
        next += n;
      }
      std::lock_guard<std::mutex> l(mu);
      result.written += written;
      if (!st.ok() && result.error.empty()) result.error = "write: " + st.ToString();
    });
  }
  for (auto& t : threads) t.join();
  result.write_seconds = std::chrono::duration<double>(Clock::now() - start).count();
  if (!result.error.empty()) return result;

  const auto scan_start = Clock::now();
  std::unique_ptr<rocksdb::Iterator> it(db->NewIterator(rocksdb::ReadOptions()));
  for (it->Seek("r"); it->Valid() && it->key().starts_with("r"); it->Next()) {
    ++result.scanned;
    result.scanned_bytes += it->value().size();
  }
  result.scan_seconds = std::chrono::duration<double>(Clock::now() - scan_start).count();
  if (!it->status().ok()) result.error = "scan: " + it->status().ToString();
  return result;
}

}  // namespace fieldsync::bench
