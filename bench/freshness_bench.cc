// freshness_bench (issue 4): aggregation freshness end to end through a real fieldsyncd with
// the embedded consumer. K devices push households at full speed (the load of fieldsync_bench:
// RunPushLoad, batches of 100, one batch in flight per device) while a probe device pushes one
// marker record at a time (its own district "probe-N") and, from its durable receipt, polls
// AggregationService.Query (filtered on that district) until the record is counted. The time
// receipt -> visible is the freshness. After the load, the consumer's rate is the records it
// applied over the time until it caught up.
//
//   freshness_bench [--devices=10] [--records-per-device=100000] [--probe-gap-ms=100]
#include <algorithm>
#include <atomic>
#include <chrono>
#include <cstdio>
#include <string>
#include <thread>
#include <vector>

#include "absl/strings/numbers.h"
#include "bench/sync_load.h"
#include "bench/workload.h"
#include "fieldsync/v1/aggregation.grpc.pb.h"
#include "tests/testing/server_process.h"
#include "tests/testing/temp_dir.h"
#include "tests/testing/test_client.h"

namespace fieldsync::bench {
namespace {

using Clock = std::chrono::steady_clock;

double Ms(Clock::duration d) { return std::chrono::duration<double, std::milli>(d).count(); }

double Pct(std::vector<double> v, double p) {
  if (v.empty()) return 0;
  std::sort(v.begin(), v.end());
  return v[std::min(v.size() - 1, static_cast<size_t>(p * v.size()))];
}

struct Probe {
  double at_s;      // since the load started
  double fresh_ms;  // receipt -> visible in Query
};

int Run(int devices, uint64_t per_device, int gap_ms) {
  fieldsync::testing::TempDir tmp;
  fieldsync::testing::ServerProcess server(tmp.Sub("data"));
  std::vector<std::string> tokens;
  for (int i = 0; i < devices; ++i) {
    tokens.push_back(server.AddDevice({DeviceId(i), "enumerator", {"governorate=Ninewa"}}));
  }
  const std::string admin = server.AddDevice({"bench-admin", "admin", {}, true});
  const std::string probe_token =
      server.AddDevice({"bench-probe", "enumerator", {"governorate=Ninewa"}});
  if (!server.Start()) {
    std::fprintf(stderr, "fieldsyncd did not start:\n%s\n", server.log().c_str());
    return 1;
  }
  fieldsync::testing::TestClient probe(server.target(), probe_token);
  fieldsync::testing::TestClient admin_client(server.target(), admin);
  auto stats = v1::AggregationService::NewStub(admin_client.channel());

  std::atomic<bool> done{false};
  PushLoadResult load;
  const auto start = Clock::now();
  std::thread pusher([&] {
    load = RunPushLoad({server.target(), tokens, per_device, 100, HouseholdTemplate(500)});
    done = true;
  });

  std::vector<Probe> probes;
  std::string error;
  for (uint64_t i = 1; !done && error.empty(); ++i) {
    const std::string district = "probe-" + std::to_string(i);
    v1::Mutation m = fieldsync::testing::HouseholdCreate(i, "probe-r" + std::to_string(i), "Ninewa",
                                                         1, "bench-probe");
    (*m.mutable_fields())["district"] = fieldsync::testing::Text(district);
    std::vector<v1::Receipt> receipts;
    grpc::Status s = probe.PushOne({m}, &receipts);
    if (!s.ok() || receipts.size() != 1 || receipts[0].outcome() != v1::APPLIED) {
      error = "probe push: " + s.error_message();
      break;
    }
    const auto receipt = Clock::now();
    v1::AggregationQueryRequest req;
    req.set_form_id("displacement_household");
    req.set_aggregation("households_per_governorate");
    auto* f = req.add_filters();
    f->set_field("district");
    f->add_values(district);
    req.set_rollup_time(true);
    req.mutable_group_by();  // present and empty: one row
    while (true) {
      v1::AggregationQueryResponse resp;
      auto ctx = admin_client.Context(10'000);
      s = stats->Query(ctx.get(), req, &resp);
      if (!s.ok()) {
        error = "query: " + s.error_message();
        break;
      }
      if (resp.rows_size() == 1 && resp.rows(0).count() == 1) break;
      if (Clock::now() - receipt > std::chrono::seconds(120)) {
        error = "probe not visible after 120 s";
        break;
      }
      // Under the server's per-device request rate (200/s).
      std::this_thread::sleep_for(std::chrono::milliseconds(6));
    }
    if (!error.empty()) break;
    probes.push_back(
        {std::chrono::duration<double>(receipt - start).count(), Ms(Clock::now() - receipt)});
    std::this_thread::sleep_for(std::chrono::milliseconds(gap_ms));
  }
  pusher.join();
  const auto load_end = Clock::now();
  if (!error.empty() || !load.error.empty()) {
    std::fprintf(stderr, "FAILED: %s %s\n", error.c_str(), load.error.c_str());
    return 1;
  }
  // The consumer's rate: until its checkpoint reaches the head.
  v1::AggregationStatus st;
  while (true) {
    auto ctx = admin_client.Context(10'000);
    v1::GetAggregationStatusRequest status_req;
    grpc::Status s = stats->GetAggregationStatus(ctx.get(), status_req, &st);
    if (!s.ok()) {
      std::fprintf(stderr, "status: %s\n", s.error_message().c_str());
      return 1;
    }
    if (st.lag() == 0 && st.checkpoint_seq() > 0) break;
    std::this_thread::sleep_for(std::chrono::milliseconds(20));
  }
  const double consume_s = std::chrono::duration<double>(Clock::now() - start).count();
  std::vector<double> all, last;
  for (const auto& p : probes) {
    all.push_back(p.fresh_ms);
    if (p.at_s >= 0.75 * load.seconds) last.push_back(p.fresh_ms);
  }
  const uint64_t records = load.receipts + probes.size();
  std::printf(
      "devices=%d records=%llu ingest=%.0f records/s (%.1f s); consumer caught up after %.1f s "
      "(%.1f s after the load) = %.0f changes/s\n"
      "freshness (receipt -> visible in Query), %zu probes: p50=%.0f ms p99=%.0f ms max=%.0f ms"
      "; last quarter of the load (%zu probes): p50=%.0f ms p99=%.0f ms\n",
      devices, static_cast<unsigned long long>(records), load.records_per_s(), load.seconds,
      consume_s, std::chrono::duration<double>(Clock::now() - load_end).count(),
      records / consume_s, all.size(), Pct(all, 0.5), Pct(all, 0.99), Pct(all, 1.0), last.size(),
      Pct(last, 0.5), Pct(last, 0.99));
  return 0;
}

}  // namespace
}  // namespace fieldsync::bench

int main(int argc, char** argv) {
  int devices = 10, gap_ms = 100;
  uint64_t per_device = 100'000;
  for (int i = 1; i < argc; ++i) {
    std::string a = argv[i];
    if (a.rfind("--devices=", 0) == 0) {
      absl::SimpleAtoi(a.substr(10), &devices);
    } else if (a.rfind("--records-per-device=", 0) == 0) {
      absl::SimpleAtoi(a.substr(21), &per_device);
    } else if (a.rfind("--probe-gap-ms=", 0) == 0) {
      absl::SimpleAtoi(a.substr(15), &gap_ms);
    } else {
      std::fprintf(stderr,
                   "usage: freshness_bench [--devices=10] [--records-per-device=100000] "
                   "[--probe-gap-ms=100]\n");
      return 2;
    }
  }
  return fieldsync::bench::Run(devices, per_device, gap_ms);
}
