// aggregation_bench: the aggregation core's consumer throughput (how many changes per second
// it turns into cells, against the ingest rate of fieldsync_bench) and query latency for a
// month of daily cells over 50 border points, at 10 thousand and 1 million records. Uses the
// core directly (an in-memory feed of border-crossing creates, a RocksDB aggregate store in a
// temp folder), so it measures the aggregation code, not gRPC.
//
//   aggregation_bench [--records=10000,1000000] [--queries=200]
#include <rocksdb/perf_context.h>
#include <rocksdb/perf_level.h>
#include <unistd.h>

#include <chrono>
#include <cstdio>
#include <filesystem>
#include <iostream>
#include <string>
#include <thread>
#include <vector>

#include "absl/strings/numbers.h"
#include "absl/strings/str_split.h"
#include "absl/time/civil_time.h"
#include "server/aggregation/consumer.h"
#include "server/aggregation/query.h"

namespace fieldsync {
namespace {

using SteadyClock = std::chrono::steady_clock;

Form CrossingForm() {
  Form f;
  f.form_id = "border_crossing";
  f.version = 1;
  for (const char* n : {"border_point", "crossing_date", "direction", "nationality"}) {
    FieldDef d;
    d.name = n;
    d.type = std::string(n) == "crossing_date" ? FieldType::kDate : FieldType::kString;
    f.fields.push_back(d);
  }
  FieldDef g;
  g.name = "group_size";
  g.type = FieldType::kInt;
  f.fields.push_back(g);
  f.scope_fields = {"border_point"};
  AggregationDef a;
  a.name = "crossings_per_point_day";
  a.group_by = {"border_point", "direction", "nationality"};
  a.time_field = "crossing_date";
  a.bucket = TimeBucket::kDay;
  a.measures = {{"crossings", Measure::Kind::kCount, ""},
                {"people", Measure::Kind::kSum, "group_size"}};
  f.aggregations = {a};
  return f;
}

// Synthesises creates on demand: record i at border point i%50, over 30 days.
class SyntheticFeed final : public ChangeFeed {
 public:
  explicit SyntheticFeed(uint64_t n) : n_(n) {}
  absl::StatusOr<ChangeBatch> Read(uint64_t from, size_t limit) override {
    ChangeBatch b;
    b.head_seq = n_;
    static const char* kNat[] = {"SYR", "IRQ", "TUR", "IRN"};
    for (uint64_t s = std::max<uint64_t>(from, 1); s <= n_ && b.changes.size() < limit; ++s) {
      ChangeEntry c;
      c.seq = s;
      c.record_id = "r" + std::to_string(s);
      c.form_id = "border_crossing";
      c.form_version = 1;
      c.created = true;
      std::string bp = "BP-" + std::to_string(s % 50);
      absl::CivilDay day = absl::CivilDay(2026, 11, 1) + static_cast<int>((s / 50) % 30);
      c.changes = {{"border_point", Value{}, Value{bp}},
                   {"crossing_date", Value{}, Value{absl::FormatCivilTime(day)}},
                   {"direction", Value{}, Value{std::string(s % 2 ? "entry" : "exit")}},
                   {"nationality", Value{}, Value{std::string(kNat[s % 4])}},
                   {"group_size", Value{}, Value{static_cast<int64_t>(1 + s % 5)}}};
      c.scope_after = {{"border_point", bp}};
      c.commit_time_ms = static_cast<int64_t>(s);
      b.changes.push_back(std::move(c));
    }
    return b;
  }
  uint64_t Wait(uint64_t, SteadyClock::time_point) override { return n_; }

 private:
  uint64_t n_;
};

class OneForm final : public aggregation::FormSource {
 public:
  absl::StatusOr<Form> Latest(const std::string&, uint32_t) override { return form_; }
  absl::StatusOr<std::vector<Form>> ListLatest() override { return std::vector<Form>{form_}; }

 private:
  Form form_ = CrossingForm();
};

int Run(uint64_t records, int queries) {
  std::string dir = "/tmp/aggregation_bench_" + std::to_string(getpid());
  std::filesystem::remove_all(dir);
  AggregateStoreOptions so;
  so.path = dir;
  auto store = AggregateStore::Open(so);
  if (!store.ok()) {
    std::cerr << store.status() << "\n";
    return 1;
  }
  SyntheticFeed feed(records);
  OneForm forms;
  aggregation::AggregationConsumer consumer(&feed, &forms, store->get(), SystemClock::Default());
  if (!consumer.Init().ok()) return 1;
  auto t0 = SteadyClock::now();
  if (auto s = consumer.CatchUp(); !s.ok()) {
    std::cerr << s << "\n";
    return 1;
  }
  double ingest_s = std::chrono::duration<double>(SteadyClock::now() - t0).count();
  (void)(*store)->Flush();

  aggregation::AggregationQueries q(store->get(), &forms, &consumer, nullptr);
  Device admin;
  admin.role = Role::kAdmin;
  admin.all_scopes = true;
  aggregation::QueryRequest req;
  req.form_id = "border_crossing";
  req.aggregation = "crossings_per_point_day";
  req.from_date = "2026-11-01";
  req.to_date = "2026-11-30";
  req.group_by = std::vector<std::string>{"border_point"};
  // Timed queries with RocksDB's perf counters (counts only: negligible overhead), so a
  // latency change can be told apart: versions skipped inside RocksDB, blocks read, or time
  // outside RocksDB.
  auto measure = [&](const char* label) -> bool {
    std::vector<double> lat;
    uint64_t cells = 0, skipped = 0, deletes = 0, blocks = 0;
    size_t rows = 0;
    auto l0_cells = (*store)->GetIntProperty("rocksdb.num-files-at-level0", true);
    auto l0_states = (*store)->GetIntProperty("rocksdb.num-files-at-level0", false);
    auto mem_cells = (*store)->GetIntProperty("rocksdb.num-entries-active-mem-table", true);
    rocksdb::SetPerfLevel(rocksdb::PerfLevel::kEnableCount);
    for (int i = 0; i < queries; ++i) {
      rocksdb::get_perf_context()->Reset();
      auto a = SteadyClock::now();
      auto r = q.Query(admin, req);
      lat.push_back(std::chrono::duration<double, std::milli>(SteadyClock::now() - a).count());
      if (!r.ok()) {
        std::cerr << r.status() << "\n";
        return false;
      }
      const auto* pc = rocksdb::get_perf_context();
      skipped += pc->internal_key_skipped_count;
      deletes += pc->internal_delete_skipped_count;
      blocks += pc->block_read_count;
      cells = r->cells_read;
      rows = r->rows.size();
    }
    rocksdb::SetPerfLevel(rocksdb::PerfLevel::kDisable);
    std::sort(lat.begin(), lat.end());
    std::printf(
        "  query %-8s cells_read=%llu rows=%zu p50=%.2f ms p99=%.2f ms | per query: "
        "internal_keys_skipped=%.0f tombstones_skipped=%.0f blocks_read=%.1f | cells L0 files=%llu "
        "memtable entries=%llu, record-state L0 files=%llu\n",
        label, static_cast<unsigned long long>(cells), rows, lat[lat.size() / 2],
        lat[lat.size() * 99 / 100], double(skipped) / queries, double(deletes) / queries,
        double(blocks) / queries, static_cast<unsigned long long>(l0_cells.value_or(0)),
        static_cast<unsigned long long>(mem_cells.value_or(0)),
        static_cast<unsigned long long>(l0_states.value_or(0)));
    return true;
  };
  std::printf("records=%llu consume=%.0f changes/s (%.2f s)\n",
              static_cast<unsigned long long>(records), records / ingest_s, ingest_s);
  if (!measure("now")) return 1;
  // Then once background flushes and compactions are done (same data, quiet machine).
  auto settle = SteadyClock::now();
  while (SteadyClock::now() - settle < std::chrono::seconds(120)) {
    auto busy = (*store)->GetIntProperty("rocksdb.num-running-compactions", false).value_or(0) +
                (*store)->GetIntProperty("rocksdb.compaction-pending", false).value_or(0) +
                (*store)->GetIntProperty("rocksdb.num-running-compactions", true).value_or(0) +
                (*store)->GetIntProperty("rocksdb.compaction-pending", true).value_or(0);
    if (busy == 0) break;
    std::this_thread::sleep_for(std::chrono::milliseconds(100));
  }
  std::printf("  (compactions settled after %.1f s)\n",
              std::chrono::duration<double>(SteadyClock::now() - settle).count());
  if (!measure("settled")) return 1;
  std::filesystem::remove_all(dir);
  return 0;
}

}  // namespace
}  // namespace fieldsync

int main(int argc, char** argv) {
  std::vector<uint64_t> sizes = {10'000, 1'000'000};
  int queries = 200;
  for (int i = 1; i < argc; ++i) {
    std::string a = argv[i];
    if (a.rfind("--records=", 0) == 0) {
      sizes.clear();
      for (auto p : absl::StrSplit(a.substr(10), ',')) {
        uint64_t v;
        if (absl::SimpleAtoi(p, &v)) sizes.push_back(v);
      }
    } else if (a.rfind("--queries=", 0) == 0) {
      absl::SimpleAtoi(a.substr(10), &queries);
    }
  }
  for (uint64_t n : sizes) {
    if (int rc = fieldsync::Run(n, queries); rc != 0) return rc;
  }
  return 0;
}
