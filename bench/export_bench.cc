// export_bench (issue 15): an export of many household records to CSV and XLSX through the
// export core, against the floor of a raw RocksDB scan of the same records, each phase in a
// process of its own so that its peak RSS is its own.
//
//   export_bench [--records=N] [--dir=DIR] [--keep]   seed, then every phase below, one line each
//   export_bench seed --dir=DIR --records=N           N households through the push path
//   export_bench scan --dir=DIR                       raw iterator over the records ('r' keys)
//   export_bench export --dir=DIR --format=csv|xlsx --out=FILE
//
// Each phase prints: phase, records, bytes, seconds, records/s, peak RSS (MiB).
#include <rocksdb/db.h>
#include <sys/resource.h>
#include <sys/wait.h>
#include <unistd.h>

#include <chrono>
#include <cstdio>
#include <cstdlib>
#include <filesystem>
#include <iostream>
#include <string>
#include <vector>

#include "absl/strings/str_cat.h"
#include "server/app/form_loader.h"
#include "server/common/clock.h"
#include "server/export/exporter.h"
#include "server/forms/pseudonymizer.h"
#include "server/sync/sync_engine.h"
#include "tests/testing/server_process.h"

namespace fieldsync::bench {
namespace {

using Clock = std::chrono::steady_clock;

struct Args {
  std::string phase = "all";
  std::string dir;
  std::string format = "csv";
  std::string out;
  uint64_t records = 100'000;
  bool keep = false;
};

double PeakRssMiB() {
  rusage u{};
  getrusage(RUSAGE_SELF, &u);
  return u.ru_maxrss / 1024.0;  // ru_maxrss is KiB on Linux
}

void Report(const std::string& phase, uint64_t records, uint64_t bytes, double seconds) {
  std::printf(
      "%-12s records=%-9llu bytes=%-11llu seconds=%-8.2f records/s=%-9.0f peak_rss_mib=%.1f\n",
      phase.c_str(), static_cast<unsigned long long>(records),
      static_cast<unsigned long long>(bytes), seconds, seconds > 0 ? records / seconds : 0,
      PeakRssMiB());
  std::fflush(stdout);
}

int Fail(const absl::Status& s) {
  std::cerr << "export_bench: " << s << "\n";
  return 1;
}

absl::StatusOr<std::unique_ptr<Store>> OpenStore(const std::string& dir) {
  StoreOptions o;
  o.path = dir;
  return Store::Open(o);
}

// Households in eight governorates, every field type, through PushCore (validation,
// pseudonymisation, index, change log) in synced batches of 500, as pushes would write them.
int Seed(const Args& a) {
  auto store = OpenStore(a.dir);
  if (!store.ok()) return Fail(store.status());
  FormRegistry forms(store->get(), SchemaLimits{});
  auto loaded = LoadFormsDir(testing::FormsDir());
  if (!loaded.ok()) return Fail(loaded.status());
  for (const Form& f : *loaded) {
    if (auto s = forms.Publish(f); !s.ok()) return Fail(s.status());
  }
  auto pii = Pseudonymizer::FromKeyFile(testing::TestPiiKeyFile());
  if (!pii.ok()) return Fail(pii.status());
  SystemClock clock;
  auto engine = SyncEngine::Open(store->get(), &forms, &clock, SyncEngineOptions{});
  if (!engine.ok()) return Fail(engine.status());
  (*engine)->push()->set_pseudonymizer(pii->get());
  const std::vector<std::string> govs = {"Ninewa", "Anbar",   "Salah al-Din", "Kirkuk",
                                         "Diyala", "Baghdad", "Duhok",        "Erbil"};
  Device device;
  device.device_id = "bench-seeder";
  device.role = Role::kAdmin;
  device.all_scopes = true;
  const auto start = Clock::now();
  std::vector<Mutation> batch;
  for (uint64_t i = 0; i < a.records; ++i) {
    Mutation m;
    m.device_seq = i + 1;
    m.record_id = absl::StrCat("hh-", i);
    m.form_id = "displacement_household";
    m.form_version = 1;
    m.hlc = Hlc{static_cast<int64_t>(1'700'000'000'000 + i), 0, device.device_id};
    FieldMap& f = m.fields;
    f["governorate"] = govs[i % govs.size()];
    f["district"] = absl::StrCat("District ", i % 97);
    f["team"] = absl::StrCat("T", i % 13);
    f["visit_date"] = std::string("2026-11-") + (i % 2 ? "20" : "21");
    f["location"] = GeoPoint{33.0 + (i % 1000) / 1000.0, 43.0 + (i % 777) / 1000.0};
    f["head_of_household_name"] = absl::StrCat("Name ", i);
    f["household_size"] = static_cast<int64_t>(1 + i % 12);
    f["children_under_5"] = static_cast<int64_t>(i % 4);
    f["shelter_type"] = std::string("camp");
    f["needs"] = std::vector<std::string>{"food", "water"};
    f["intends_to_return"] = i % 3 == 0;
    f["monthly_income"] = 100.25 + static_cast<double>(i % 500);
    batch.push_back(std::move(m));
    if (batch.size() == 500 || i + 1 == a.records) {
      auto receipts = (*engine)->push()->Push(device, batch, nullptr);
      if (!receipts.ok()) return Fail(receipts.status());
      for (const auto& r : *receipts) {
        if (r.outcome != Outcome::kApplied) {
          std::cerr << "export_bench: record " << r.record_id << " " << OutcomeName(r.outcome)
                    << "\n";
          return 1;
        }
      }
      batch.clear();
    }
  }
  if (auto s = (*store)->Flush(); !s.ok()) return Fail(s);
  Report("seed", a.records, 0, std::chrono::duration<double>(Clock::now() - start).count());
  return 0;
}

// The floor: one raw iterator over every record key, reading each value (as `ldb scan`
// does), with RocksDB's default options.
int Scan(const Args& a) {
  rocksdb::Options o;
  rocksdb::DB* raw = nullptr;
  rocksdb::Status s = rocksdb::DB::OpenForReadOnly(o, a.dir, &raw);
  if (!s.ok()) return Fail(absl::InternalError(s.ToString()));
  std::unique_ptr<rocksdb::DB> db(raw);
  const auto start = Clock::now();
  uint64_t n = 0, bytes = 0;
  std::unique_ptr<rocksdb::Iterator> it(db->NewIterator(rocksdb::ReadOptions()));
  for (it->Seek("r"); it->Valid() && it->key()[0] == 'r'; it->Next()) {
    ++n;
    bytes += it->key().size() + it->value().size();
  }
  if (!it->status().ok()) return Fail(absl::InternalError(it->status().ToString()));
  Report("raw_scan", n, bytes, std::chrono::duration<double>(Clock::now() - start).count());
  return 0;
}

class FileSink final : public exporting::ExportSink {
 public:
  explicit FileSink(FILE* f) : f_(f) {}
  absl::Status Write(std::string_view bytes) override {
    if (fwrite(bytes.data(), 1, bytes.size(), f_) != bytes.size()) {
      return absl::DataLossError("short write");
    }
    return absl::OkStatus();
  }
  absl::Status Progress(const exporting::ExportProgress&) override { return absl::OkStatus(); }

 private:
  FILE* f_;
};

int Export(const Args& a) {
  auto store = OpenStore(a.dir);
  if (!store.ok()) return Fail(store.status());
  FormRegistry forms(store->get(), SchemaLimits{});
  SystemClock clock;
  auto engine = SyncEngine::Open(store->get(), &forms, &clock, SyncEngineOptions{});
  if (!engine.ok()) return Fail(engine.status());
  exporting::StoreRecordSource source(store->get(), (*engine)->sequencer());
  exporting::ExportLimits limits;
  limits.xlsx.temp_dir = std::filesystem::path(a.out).parent_path().string();
  if (limits.xlsx.temp_dir.empty()) limits.xlsx.temp_dir = ".";
  exporting::Exporter exporter(&source, &forms, limits);
  exporting::ExportRequest req;
  req.form_id = "displacement_household";
  req.format = a.format == "xlsx" ? exporting::Format::kXlsx : exporting::Format::kCsv;
  Device admin;
  admin.device_id = "bench-admin";
  admin.role = Role::kAdmin;
  admin.all_scopes = true;
  FILE* f = fopen(a.out.c_str(), "wb");
  if (f == nullptr) return Fail(absl::InternalError("cannot write " + a.out));
  FileSink sink(f);
  const auto start = Clock::now();
  auto summary = exporter.Run(admin, req, &sink);
  fclose(f);
  if (!summary.ok()) return Fail(summary.status());
  Report("export_" + a.format, summary->records, summary->bytes,
         std::chrono::duration<double>(Clock::now() - start).count());
  return 0;
}

// Runs this binary with `phase_args` and waits: each phase's peak RSS is its own.
int RunPhase(const std::vector<std::string>& phase_args) {
  pid_t pid = fork();
  if (pid == 0) {
    std::vector<std::string> argv = {"/proc/self/exe"};
    argv.insert(argv.end(), phase_args.begin(), phase_args.end());
    std::vector<char*> cargv;
    for (auto& s : argv) cargv.push_back(s.data());
    cargv.push_back(nullptr);
    execv("/proc/self/exe", cargv.data());
    _exit(127);
  }
  int status = 0;
  waitpid(pid, &status, 0);
  return WIFEXITED(status) ? WEXITSTATUS(status) : 1;
}

int All(Args a) {
  bool own_dir = a.dir.empty();
  if (own_dir) {
    char tmpl[] = "/tmp/export_bench_XXXXXX";
    if (mkdtemp(tmpl) == nullptr) return Fail(absl::InternalError("mkdtemp"));
    a.dir = tmpl;
  }
  const std::string db = a.dir + "/db";
  std::cout << "export_bench: " << a.records << " household records in " << db << std::endl;
  int rc = RunPhase({"seed", "--dir=" + db, "--records=" + std::to_string(a.records)});
  if (rc == 0) rc = RunPhase({"scan", "--dir=" + db});
  if (rc == 0)
    rc = RunPhase({"export", "--dir=" + db, "--format=csv", "--out=" + a.dir + "/h.csv"});
  if (rc == 0) {
    rc = RunPhase({"export", "--dir=" + db, "--format=xlsx", "--out=" + a.dir + "/h.xlsx"});
  }
  if (own_dir && !a.keep) {
    std::error_code ec;
    std::filesystem::remove_all(a.dir, ec);
  }
  return rc;
}

}  // namespace
}  // namespace fieldsync::bench

int main(int argc, char** argv) {
  fieldsync::bench::Args a;
  for (int i = 1; i < argc; ++i) {
    std::string s = argv[i];
    auto value = [&](const char* flag, std::string* out) {
      const std::string prefix = std::string(flag) + "=";
      if (s.rfind(prefix, 0) != 0) return false;
      *out = s.substr(prefix.size());
      return true;
    };
    std::string v;
    if (i == 1 && s.rfind("--", 0) != 0) {
      a.phase = s;
    } else if (value("--dir", &a.dir) || value("--format", &a.format) || value("--out", &a.out)) {
    } else if (value("--records", &v)) {
      a.records = std::strtoull(v.c_str(), nullptr, 10);
    } else if (s == "--keep") {
      a.keep = true;
    } else {
      std::cerr << "export_bench: unknown argument " << s << "\n";
      return 2;
    }
  }
  if (a.phase == "seed") return fieldsync::bench::Seed(a);
  if (a.phase == "scan") return fieldsync::bench::Scan(a);
  if (a.phase == "export") return fieldsync::bench::Export(a);
  if (a.phase == "all") return fieldsync::bench::All(a);
  std::cerr << "export_bench: unknown phase " << a.phase << "\n";
  return 2;
}
