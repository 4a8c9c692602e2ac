// roster_bench (issue 12): what child records and the XLSForm re-check cost at ingest. In one
// run, through the server's push core on an on-disk store (every batch one synced write, as
// fieldsyncd does), the same number of households as
//   flat     displacement_household (deploy/forms, JSON form v1: no expressions)
//   dtm      dtm_household (deploy/forms/dtm_household.xlsx) without members
//   roster   dtm_household with a 6-member roster: 7 records per household (1 + 6 children)
// then the re-check alone (forms/record_checks.h on the household's tree, as the push path
// runs it) per household root and per member, in microseconds.
//
//   build/bench/roster_bench [--households=2000] [--batch=98] [--forms-dir=deploy/forms]
#include <chrono>
#include <cstdint>
#include <cstdio>
#include <cstdlib>
#include <memory>
#include <string>
#include <vector>

#include "server/app/form_loader.h"
#include "server/common/clock.h"
#include "server/forms/form_registry.h"
#include "server/forms/record_checks.h"
#include "server/storage/store.h"
#include "server/sync/sync_engine.h"
#include "tests/testing/temp_dir.h"

namespace fieldsync::bench {
namespace {

using Steady = std::chrono::steady_clock;

struct Flags {
  uint64_t households = 2000;
  size_t batch = 98;  // 14 households with their rosters
  std::string forms_dir = "deploy/forms";
};

bool ParseFlags(int argc, char** argv, Flags* f) {
  for (int i = 1; i < argc; ++i) {
    const std::string arg = argv[i];
    const size_t eq = arg.find('=');
    const std::string name = arg.substr(0, eq);
    const std::string value = eq == std::string::npos ? "" : arg.substr(eq + 1);
    char* end = nullptr;
    const unsigned long long n = std::strtoull(value.c_str(), &end, 10);
    const bool number = !value.empty() && end != nullptr && *end == '\0';
    if (name == "--households" && number && n > 0 && n <= 1'000'000) {
      f->households = n;
    } else if (name == "--batch" && number && n > 0 && n <= 500) {
      f->batch = n;
    } else if (name == "--forms-dir" && !value.empty()) {
      f->forms_dir = value;
    } else {
      std::fprintf(stderr,
                   "usage: roster_bench [--households=1..1000000] [--batch=1..500] "
                   "[--forms-dir=DIR]\n");
      return false;
    }
  }
  return true;
}

Mutation Make(const std::string& form_id, uint32_t version, std::string id, FieldMap fields) {
  Mutation m;
  m.record_id = std::move(id);
  m.form_id = form_id;
  m.form_version = version;
  m.op = MutationOp::kUpsert;
  m.fields = std::move(fields);
  m.hlc = Hlc{1'795'000'000'000, 0, "bench"};
  return m;
}

FieldMap FlatHousehold() {
  return {{"governorate", std::string("Ninewa")},    {"district", std::string("Mosul")},
          {"visit_date", std::string("2026-11-20")}, {"household_size", int64_t{7}},
          {"children_under_5", int64_t{2}},          {"needs", std::vector<std::string>{"food"}}};
}

FieldMap DtmHousehold() {
  return {{"visit_date", std::string("2026-11-20")},
          {"governorate", std::string("ninewa")},
          {"district", std::string("mosul")},
          {"consent", std::string("yes")},
          {"hh_size", int64_t{7}},
          {"children_under_5", int64_t{2}},
          {"needs", std::vector<std::string>{"food", "water"}},
          {"intends_to_return", std::string("no")}};
}

FieldMap DtmMember(int i) {
  FieldMap f = {{"sex", std::string(i % 2 ? "female" : "male")},
                {"age", int64_t{4 + 9 * i}},
                {"relationship", std::string(i == 1 ? "head" : "child")}};
  if (4 + 9 * i >= 5) f["disability"] = std::string("no");
  if (4 + 9 * i >= 6 && 4 + 9 * i <= 17) f["in_school"] = std::string("yes");
  return f;
}

struct Run {
  const char* name;
  uint64_t records = 0;
  uint64_t households = 0;
  double seconds = 0;
};

// Pushes `all` in batches through `push` as `device`; every receipt must be APPLIED.
bool PushAll(PushCore* push, const Device& device, std::vector<Mutation>* all, size_t batch,
             Run* run) {
  uint64_t seq = 0;
  for (auto& m : *all) m.device_seq = ++seq;
  const auto start = Steady::now();
  for (size_t i = 0; i < all->size(); i += batch) {
    std::vector<Mutation> b(all->begin() + i, all->begin() + std::min(all->size(), i + batch));
    auto receipts = push->Push(device, b, nullptr);
    if (!receipts.ok()) {
      std::fprintf(stderr, "%s: push failed: %s\n", run->name,
                   std::string(receipts.status().message()).c_str());
      return false;
    }
    for (const auto& r : *receipts) {
      if (r.outcome != Outcome::kApplied) {
        std::fprintf(
            stderr, "%s: record %s: %s %s\n", run->name, r.record_id.c_str(),
            OutcomeName(r.outcome),
            r.errors.empty() ? "" : (r.errors[0].field + ": " + r.errors[0].description).c_str());
        return false;
      }
    }
  }
  run->seconds = std::chrono::duration<double>(Steady::now() - start).count();
  run->records = all->size();
  return true;
}

int Main(int argc, char** argv) {
  Flags flags;
  if (!ParseFlags(argc, argv, &flags)) return 2;
  auto forms = LoadFormsDir(flags.forms_dir);
  if (!forms.ok()) {
    std::fprintf(stderr, "%s\n", std::string(forms.status().message()).c_str());
    return 1;
  }
  testing::TempDir dir;
  StoreOptions so;
  so.path = dir.path() + "/db";
  auto store = Store::Open(so);
  if (!store.ok()) return 1;
  FormRegistry registry(store->get(), SchemaLimits{});
  uint32_t dtm_version = 0;
  for (const Form& f : *forms) {
    if (f.form_id == "dtm_household") dtm_version = f.version;
    if (!registry.Publish(f).ok()) return 1;
  }
  auto schema = registry.Get("dtm_household", dtm_version);
  if (dtm_version == 0 || !schema.ok()) {
    std::fprintf(stderr, "no dtm_household form in %s\n", flags.forms_dir.c_str());
    return 1;
  }
  fieldsync::Clock* clock = SystemClock::Default();
  auto engine = SyncEngine::Open(store->get(), &registry, clock, SyncEngineOptions{});
  if (!engine.ok()) return 1;
  Device device;
  device.device_id = "bench";
  device.role = Role::kAdmin;
  device.all_scopes = true;

  const uint64_t n = flags.households;
  std::vector<Run> runs = {{"flat"}, {"dtm"}, {"roster"}};
  std::vector<Mutation> flat, dtm, roster;
  for (uint64_t h = 0; h < n; ++h) {
    flat.push_back(Make("displacement_household", 1, "f" + std::to_string(h), FlatHousehold()));
    dtm.push_back(Make("dtm_household", dtm_version, "d" + std::to_string(h), DtmHousehold()));
    const std::string root = "r" + std::to_string(h);
    roster.push_back(Make("dtm_household", dtm_version, root, DtmHousehold()));
    for (int i = 1; i <= 6; ++i) {
      Mutation m =
          Make("dtm_household", dtm_version, root + "-m" + std::to_string(i), DtmMember(i));
      m.parent_record_id = root;
      m.repeat = "members";
      m.ordinal = static_cast<uint32_t>(i);
      roster.push_back(std::move(m));
    }
  }
  Device d1 = device, d2 = device, d3 = device;
  d1.device_id = "bench-flat";
  d2.device_id = "bench-dtm";
  d3.device_id = "bench-roster";
  if (!PushAll((*engine)->push(), d1, &flat, flags.batch, &runs[0])) return 1;
  if (!PushAll((*engine)->push(), d2, &dtm, flags.batch, &runs[1])) return 1;
  if (!PushAll((*engine)->push(), d3, &roster, flags.batch, &runs[2])) return 1;
  for (auto& r : runs) r.households = n;

  std::printf("roster_bench: %llu households per run, batches of %zu records, synced writes\n",
              static_cast<unsigned long long>(n), flags.batch);
  std::printf("%-8s %9s %10s %12s %14s %12s\n", "run", "records", "seconds", "records/s",
              "households/s", "us/household");
  for (const auto& r : runs) {
    std::printf("%-8s %9llu %10.3f %12.0f %14.0f %12.1f\n", r.name,
                static_cast<unsigned long long>(r.records), r.seconds, r.records / r.seconds,
                r.households / r.seconds, 1e6 * r.seconds / r.households);
  }
  std::printf("roster household / flat household time: %.2fx (7 records vs 1)\n",
              runs[2].seconds / runs[0].seconds);

  // The re-check alone, on one household's tree.
  FieldMap root_fields = DtmHousehold();
  std::vector<FieldMap> members;
  for (int i = 1; i <= 6; ++i) members.push_back(DtmMember(i));
  std::vector<TreeRecord> tree = {{"h", "", "", 0, &root_fields}};
  for (int i = 1; i <= 6; ++i) {
    tree.push_back(
        {"m" + std::to_string(i), "h", "members", static_cast<uint32_t>(i), &members[i - 1]});
  }
  RecordCheckOptions options;
  const int iterations = 20000;
  size_t errors = 0;
  auto time_check = [&](const std::string& id) {
    const auto start = Steady::now();
    for (int i = 0; i < iterations; ++i) {
      errors += CheckRecordExpressions(**schema, tree, id, options).size();
    }
    return 1e6 * std::chrono::duration<double>(Steady::now() - start).count() / iterations;
  };
  const double root_us = time_check("h");
  const double member_us = time_check("m3");
  std::printf(
      "re-check: household root %.2f us, member %.2f us; household with 6 members "
      "%.1f us (%.1f%% of its ingest time)%s\n",
      root_us, member_us, root_us + 6 * member_us,
      100 * (root_us + 6 * member_us) / (1e6 * runs[2].seconds / n),
      errors ? " [ERRORS: the sample records fail the checks]" : "");
  return errors == 0 ? 0 : 1;
}

}  // namespace
}  // namespace fieldsync::bench

int main(int argc, char** argv) { return fieldsync::bench::Main(argc, argv); }
