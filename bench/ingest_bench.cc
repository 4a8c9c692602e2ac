// fieldsync_bench: durable ingest and pull through fieldsyncd, against the two limits the
// design's performance budget names (docs: DESIGN.md "Performance budget"), all in one run so
// that the ratios are comparable on a noisy machine. See bench/README.md.
#include <signal.h>
#include <sys/types.h>

#include <algorithm>
#include <cstdint>
#include <cstdio>
#include <cstdlib>
#include <fstream>
#include <sstream>
#include <string>
#include <vector>

#include "bench/bare_sync_server.h"
#include "bench/rocksdb_limit.h"
#include "bench/sync_load.h"
#include "bench/workload.h"
#include "tests/testing/server_process.h"
#include "tests/testing/temp_dir.h"

namespace fieldsync::bench {
namespace {

// The budget: each figure at least this fraction of its limit.
constexpr double kBudgetRatio = 0.5;
// fieldsyncd's records per Pull call (rpc::SyncServiceLimits::max_pull_records).
constexpr uint64_t kMaxPullRecordsPerCall = 50'000;

struct Flags {
  std::vector<int> devices = {1, 10, 100};
  // 0: enough for a steady figure at every K, max(2000, 20000 / K).
  uint64_t records_per_device = 0;
  int batch = 100;
  size_t record_bytes = 500;
  // Clients accept gzip answers (both servers then compress them, as for the SDK); off: the
  // answers go uncompressed on both sides, comparable with runs before gzip answers existed.
  bool gzip_answers = false;
};

const char kUsage[] =
    "usage: fieldsync_bench [--devices=1,10,100] [--records-per-device=N] [--batch=100]\n"
    "                       [--record-bytes=500] [--gzip-answers=0|1]\n"
    "  --records-per-device  default max(2000, 20000 / K) for each K\n";

uint64_t RecordsPerDevice(const Flags& flags, int k) {
  if (flags.records_per_device > 0) return flags.records_per_device;
  return std::max<uint64_t>(2000, 20000 / static_cast<uint64_t>(k));
}

bool ParseUint(const std::string& s, uint64_t* out) {
  if (s.empty() || s.size() > 12 || s.find_first_not_of("0123456789") != std::string::npos) {
    return false;
  }
  *out = std::strtoull(s.c_str(), nullptr, 10);
  return true;
}

// Returns false (after saying why) on a bad flag.
bool ParseFlags(int argc, char** argv, Flags* flags) {
  for (int i = 1; i < argc; ++i) {
    const std::string arg = argv[i];
    const size_t eq = arg.find('=');
    const std::string name = arg.substr(0, eq);
    const std::string value = eq == std::string::npos ? "" : arg.substr(eq + 1);
    uint64_t n = 0;
    if (name == "--devices") {
      flags->devices.clear();
      std::stringstream ss(value);
      std::string part;
      while (std::getline(ss, part, ',')) {
        if (!ParseUint(part, &n) || n == 0 || n > 1000) {
          std::fprintf(stderr, "--devices: '%s' is not a count in 1..1000\n", part.c_str());
          return false;
        }
        flags->devices.push_back(static_cast<int>(n));
      }
      if (flags->devices.empty()) {
        std::fprintf(stderr, "--devices: give at least one count\n");
        return false;
      }
    } else if (name == "--records-per-device" && ParseUint(value, &n) && n > 0) {
      flags->records_per_device = n;
    } else if (name == "--batch" && ParseUint(value, &n) && n > 0 && n <= 500) {
      flags->batch = static_cast<int>(n);  // fieldsyncd accepts at most 500 per batch
    } else if (name == "--record-bytes" && ParseUint(value, &n) && n <= 4000) {
      flags->record_bytes = n;
    } else if (name == "--gzip-answers" && ParseUint(value, &n) && n <= 1) {
      flags->gzip_answers = n == 1;
    } else {
      std::fprintf(stderr, "bad flag '%s'\n%s", arg.c_str(), kUsage);
      return false;
    }
  }
  return true;
}

// VmHWM (peak resident set) of `pid` in MiB; -1 if unreadable.
double PeakRssMb(pid_t pid) {
  std::ifstream in("/proc/" + std::to_string(pid) + "/status");
  std::string line;
  while (std::getline(in, line)) {
    if (line.rfind("VmHWM:", 0) == 0) return std::strtod(line.c_str() + 6, nullptr) / 1024.0;
  }
  return -1;
}

// Average serialized size of the mutations a run with `k` devices sends (sampled).
double AverageRecordBytes(const v1::Mutation& tmpl, int k, uint64_t per_device) {
  v1::Mutation m = tmpl;
  const uint64_t step = std::max<uint64_t>(1, per_device / 100);
  uint64_t n = 0, bytes = 0;
  for (int d = 0; d < k; ++d) {
    for (uint64_t i = 0; i < per_device; i += step) {
      Stamp(d, i, &m);
      bytes += m.ByteSizeLong();
      ++n;
    }
  }
  return n ? static_cast<double>(bytes) / n : 0;
}

// What fieldsyncd sends back for one of the benchmark's records, for the bare Pull.
v1::RecordState RecordStateLike(const v1::Mutation& m) {
  v1::RecordState r;
  r.set_record_id(m.record_id());
  r.set_form_id(m.form_id());
  r.set_form_version(m.form_version());
  r.set_version(1);
  r.set_seq(123'456);
  *r.mutable_fields() = m.fields();
  r.set_last_writer_device(m.hlc().device_id());
  return r;
}

struct Row {
  int k = 0;
  uint64_t per_device = 0;
  int batch = 0;
  uint64_t records = 0;
  double record_bytes = 0;
  PushLoadResult ingest;
  PullLoadResult pull;
  double rss_mb = 0;
  RocksLimitResult rocks;
  PushLoadResult bare_ingest;
  PullLoadResult bare_pull;

  double ingest_limit() const {
    return std::min(rocks.write_records_per_s(), bare_ingest.records_per_s());
  }
  double pull_limit() const {
    return std::min(rocks.scan_records_per_s(), bare_pull.records_per_s());
  }
  double ingest_ratio() const {
    return ingest_limit() > 0 ? ingest.records_per_s() / ingest_limit() : 0;
  }
  double pull_ratio() const { return pull_limit() > 0 ? pull.records_per_s() / pull_limit() : 0; }
};

const char* Verdict(double ratio) { return ratio >= kBudgetRatio ? "ok" : "BELOW BUDGET"; }

void PrintRow(const Row& r) {
  std::vector<double> lat = r.ingest.batch_ms;
  std::vector<double> bare_lat = r.bare_ingest.batch_ms;
  const double p50 = Percentile(&lat, 50), p99 = Percentile(&lat, 99);
  const double bp50 = Percentile(&bare_lat, 50), bp99 = Percentile(&bare_lat, 99);
  std::printf("\n== K=%d devices x %llu records = %llu, batch %d, %.0f B/record serialized ==\n",
              r.k, static_cast<unsigned long long>(r.per_device),
              static_cast<unsigned long long>(r.records), r.batch, r.record_bytes);
  std::printf("%-24s %12s %12s %12s %12s %7s\n", "records/s", "fieldsync", "raw RocksDB",
              "bare gRPC", "limit", "ratio");
  std::printf("%-24s %12.0f %12.0f %12.0f %12.0f %7.2f  %s\n", "durable ingest",
              r.ingest.records_per_s(), r.rocks.write_records_per_s(),
              r.bare_ingest.records_per_s(), r.ingest_limit(), r.ingest_ratio(),
              Verdict(r.ingest_ratio()));
  std::printf("%-24s %12.0f %12.0f %12.0f %12.0f %7.2f  %s\n", "pull (empty cursor)",
              r.pull.records_per_s(), r.rocks.scan_records_per_s(), r.bare_pull.records_per_s(),
              r.pull_limit(), r.pull_ratio(), Verdict(r.pull_ratio()));
  std::printf(
      "batch latency (Write to receipts, %zu batches): p50 %.2f ms, p99 %.2f ms"
      " (bare gRPC: p50 %.2f ms, p99 %.2f ms)\n",
      r.ingest.batch_ms.size(), p50, p99, bp50, bp99);
  std::vector<double> first = r.ingest.first_receipt_ms;
  std::vector<double> bare_first = r.bare_ingest.first_receipt_ms;
  std::printf(
      "first receipts per device after start: median %.1f ms, slowest %.1f ms"
      " (bare gRPC: median %.1f ms, slowest %.1f ms)\n",
      Percentile(&first, 50), Percentile(&first, 100), Percentile(&bare_first, 50),
      Percentile(&bare_first, 100));
  std::printf("pull: %llu pages in %llu calls, %.0f B/record on the wire (bare: %.0f B)\n",
              static_cast<unsigned long long>(r.pull.pages),
              static_cast<unsigned long long>(r.pull.calls), r.pull.first_page_bytes_per_record,
              r.bare_pull.first_page_bytes_per_record);
  std::printf("fieldsyncd peak RSS (VmHWM): %.1f MiB\n", r.rss_mb);
  std::printf(
      "RESULT k=%d records=%llu record_bytes=%.0f ingest=%.0f ingest_limit=%.0f "
      "ingest_ratio=%.3f rocksdb_write=%.0f grpc_push=%.0f pull=%.0f pull_limit=%.0f "
      "pull_ratio=%.3f rocksdb_scan=%.0f grpc_pull=%.0f p50_ms=%.3f p99_ms=%.3f rss_mb=%.1f\n",
      r.k, static_cast<unsigned long long>(r.records), r.record_bytes, r.ingest.records_per_s(),
      r.ingest_limit(), r.ingest_ratio(), r.rocks.write_records_per_s(),
      r.bare_ingest.records_per_s(), r.pull.records_per_s(), r.pull_limit(), r.pull_ratio(),
      r.rocks.scan_records_per_s(), r.bare_pull.records_per_s(), p50, p99, r.rss_mb);
  std::fflush(stdout);
}

void Progress(const std::string& what) {
  std::printf("  ... %s\n", what.c_str());
  std::fflush(stdout);
}

// The last `n` bytes of a server log, to show why it failed.
std::string Tail(const std::string& s, size_t n = 2000) {
  return s.size() <= n ? s : s.substr(s.size() - n);
}

// Measures one device count. Returns false (having said why on stderr) on any failure.
bool RunOne(const Flags& flags, int k, const v1::Mutation& tmpl, BareSyncServer* bare, Row* row) {
  const uint64_t n = RecordsPerDevice(flags, k);
  row->k = k;
  row->per_device = n;
  row->batch = flags.batch;
  row->records = n * k;
  row->record_bytes = AverageRecordBytes(tmpl, k, n);
  fieldsync::testing::TempDir tmp;

  // 1-3: fieldsyncd.
  {
    fieldsync::testing::ServerProcess server(tmp.Sub("data"));
    Progress("creating " + std::to_string(k) + " devices");
    std::vector<std::string> tokens;
    for (int i = 0; i < k; ++i) {
      tokens.push_back(server.AddDevice({DeviceId(i), "enumerator", {"governorate=Ninewa"}}));
    }
    const std::string admin = server.AddDevice({"bench-admin", "admin", {}, true});
    if (!server.Start()) {
      std::fprintf(stderr, "FATAL: fieldsyncd did not start:\n%s\n", Tail(server.log()).c_str());
      return false;
    }
    Progress("fieldsyncd: durable ingest");
    row->ingest = RunPushLoad({server.target(), tokens, n, flags.batch, tmpl, flags.gzip_answers});
    if (!row->ingest.error.empty() || row->ingest.receipts != row->records) {
      std::fprintf(stderr, "FATAL: ingest into fieldsyncd: %s (%llu of %llu APPLIED)\n%s\n",
                   row->ingest.error.c_str(), static_cast<unsigned long long>(row->ingest.receipts),
                   static_cast<unsigned long long>(row->records), Tail(server.log()).c_str());
      return false;
    }
    Progress("fieldsyncd: pull");
    row->pull = RunPullAll(server.target(), admin, flags.gzip_answers);
    if (!row->pull.error.empty() || row->pull.records != row->records) {
      std::fprintf(stderr, "FATAL: pull from fieldsyncd: %s (%llu of %llu records)\n%s\n",
                   row->pull.error.c_str(), static_cast<unsigned long long>(row->pull.records),
                   static_cast<unsigned long long>(row->records), Tail(server.log()).c_str());
      return false;
    }
    row->rss_mb = PeakRssMb(server.pid());
    server.Stop(SIGTERM);
  }

  // 4: limit A.
  Progress("raw RocksDB: synced batches and scan");
  row->rocks = RunRocksLimit(tmp.Sub("rocks"), k, n, flags.batch, tmpl);
  if (!row->rocks.error.empty() || row->rocks.scanned != row->records) {
    std::fprintf(stderr, "FATAL: raw RocksDB: %s (%llu of %llu scanned)\n",
                 row->rocks.error.c_str(), static_cast<unsigned long long>(row->rocks.scanned),
                 static_cast<unsigned long long>(row->records));
    return false;
  }

  // 5: limit B, with fieldsyncd's page size so the messages match.
  Progress("bare gRPC: push and pull");
  const std::vector<std::string> no_tokens(k);
  row->bare_ingest =
      RunPushLoad({bare->target(), no_tokens, n, flags.batch, tmpl, flags.gzip_answers});
  if (!row->bare_ingest.error.empty() || row->bare_ingest.receipts != row->records) {
    std::fprintf(stderr, "FATAL: bare gRPC push: %s\n", row->bare_ingest.error.c_str());
    return false;
  }
  v1::Mutation sample = tmpl;
  Stamp(0, 0, &sample);
  const int page = static_cast<int>(
      std::max<uint64_t>(1, (row->pull.records + row->pull.pages - 1) / row->pull.pages));
  bare->service()->SetPullData(RecordStateLike(sample), row->records, page, kMaxPullRecordsPerCall);
  row->bare_pull = RunPullAll(bare->target(), "", flags.gzip_answers);
  if (!row->bare_pull.error.empty() || row->bare_pull.records != row->records) {
    std::fprintf(stderr, "FATAL: bare gRPC pull: %s (%llu of %llu records)\n",
                 row->bare_pull.error.c_str(),
                 static_cast<unsigned long long>(row->bare_pull.records),
                 static_cast<unsigned long long>(row->records));
    return false;
  }
  return true;
}

int Main(int argc, char** argv) {
  Flags flags;
  if (!ParseFlags(argc, argv, &flags)) return 2;
  const v1::Mutation tmpl = HouseholdTemplate(flags.record_bytes);
  std::printf("fieldsync_bench: devices=");
  for (size_t i = 0; i < flags.devices.size(); ++i) {
    std::printf("%s%d", i ? "," : "", flags.devices[i]);
  }
  if (flags.records_per_device > 0) {
    std::printf(" records-per-device=%llu",
                static_cast<unsigned long long>(flags.records_per_device));
  } else {
    std::printf(" records-per-device=max(2000,20000/K)");
  }
  std::printf(" batch=%d record-bytes=%zu (target) gzip-answers=%d\n", flags.batch,
              flags.record_bytes, flags.gzip_answers ? 1 : 0);
  std::printf("budget: each figure >= %.1f x its limit = min(raw RocksDB, bare gRPC)\n",
              kBudgetRatio);
  std::fflush(stdout);

  BareSyncServer bare;
  if (!bare.ok()) {
    std::fprintf(stderr, "FATAL: the bare gRPC server did not start\n");
    return 1;
  }
  std::vector<Row> rows;
  for (int k : flags.devices) {
    Row row;
    if (!RunOne(flags, k, tmpl, &bare, &row)) return 1;
    PrintRow(row);
    rows.push_back(std::move(row));
  }

  std::printf("\n== summary (ratio = fieldsync / limit; budget >= %.1f) ==\n", kBudgetRatio);
  std::printf("%6s %12s %8s %12s %8s %9s %9s %9s\n", "K", "ingest/s", "ratio", "pull/s", "ratio",
              "p50 ms", "p99 ms", "RSS MiB");
  for (const Row& r : rows) {
    std::vector<double> lat = r.ingest.batch_ms;
    const double p50 = Percentile(&lat, 50), p99 = Percentile(&lat, 99);
    std::printf("%6d %12.0f %8.2f %12.0f %8.2f %9.2f %9.2f %9.1f\n", r.k, r.ingest.records_per_s(),
                r.ingest_ratio(), r.pull.records_per_s(), r.pull_ratio(), p50, p99, r.rss_mb);
  }
  return 0;
}

}  // namespace
}  // namespace fieldsync::bench

int main(int argc, char** argv) { return fieldsync::bench::Main(argc, argv); }
