// openrosa_bench (issue 14): submissions per second through the OpenRosa door (multipart POST
// of an XForm instance, as ODK Collect sends it) against gRPC Push of the same records (one
// record per Push batch, one batch in flight per device), for 1 and 16 devices, on one real
// fieldsyncd in one run; and the bytes on the wire per record of each (counted by a TCP proxy
// in front of the server; gRPC with and without gzip).
//
//   ./build/bench/openrosa_bench [--devices=1,16] [--records-per-device=300]
//
// The records are bench/workload.h's displacement_household creates (about 500 bytes).
#include <httplib.h>

#include <atomic>
#include <chrono>
#include <cstdio>
#include <string>
#include <thread>
#include <vector>

#include "absl/strings/numbers.h"
#include "absl/strings/str_cat.h"
#include "absl/strings/str_join.h"
#include "absl/strings/str_split.h"
#include "bench/sync_load.h"
#include "bench/workload.h"
#include "tests/testing/server_process.h"
#include "tests/testing/tcp_proxy.h"
#include "tests/testing/temp_dir.h"
#include "tests/testing/test_client.h"

namespace fieldsync::bench {
namespace {

using testing::TcpProxy;

std::string ValueText(const v1::Value& v) {
  switch (v.kind_case()) {
    case v1::Value::kText:
      return v.text();
    case v1::Value::kInteger:
      return absl::StrCat(v.integer());
    case v1::Value::kDecimal:
      return absl::StrCat(v.decimal());
    case v1::Value::kBoolean:
      return v.boolean() ? "true" : "false";
    case v1::Value::kChoices:
      return absl::StrJoin(v.choices().values(), " ");
    case v1::Value::kGeopoint:
      return absl::StrCat(v.geopoint().latitude(), " ", v.geopoint().longitude(), " 0 0");
    default:
      return "";
  }
}

// The instance Collect would send for mutation `m` (same fields, instanceID = record id).
std::string InstanceXml(const v1::Mutation& m) {
  std::string xml = "<?xml version='1.0' ?><data id=\"displacement_household\" version=\"1\">";
  std::map<std::string, v1::Value> sorted(m.fields().begin(), m.fields().end());
  for (const auto& [name, v] : sorted)
    absl::StrAppend(&xml, "<", name, ">", ValueText(v), "</", name, ">");
  absl::StrAppend(&xml, "<meta><instanceID>", m.record_id(), "</instanceID></meta></data>");
  return xml;
}

// Posts `n` submissions of device `device` to `port`; false on any answer but 201.
bool PostAll(int port, const std::string& token, int device, uint64_t n, uint64_t first_index,
             const v1::Mutation& tmpl) {
  httplib::Client c("127.0.0.1", port);
  c.set_keep_alive(true);
  c.set_read_timeout(60, 0);
  const std::string path = absl::StrCat("/key/", token, "/submission");
  for (uint64_t i = 0; i < n; ++i) {
    v1::Mutation m = tmpl;
    Stamp(device, first_index + i, &m);
    httplib::MultipartFormDataItems items{
        {"xml_submission_file", InstanceXml(m), "instance.xml", "text/xml"}};
    auto r = c.Post(path.c_str(), httplib::Headers{{"X-OpenRosa-Version", "1.0"}}, items);
    if (!r || r->status != 201) {
      fprintf(stderr, "device %d submission %llu: %d %s\n", device,
              static_cast<unsigned long long>(i), r ? r->status : -1,
              r ? r->body.c_str() : httplib::to_string(r.error()).c_str());
      return false;
    }
  }
  return true;
}

// Submissions/s of `tokens.size()` devices posting `n` each at once.
double OpenRosaRate(int port, const std::vector<std::string>& tokens, uint64_t n,
                    const v1::Mutation& tmpl) {
  std::atomic<bool> ok{true};
  auto t0 = std::chrono::steady_clock::now();
  std::vector<std::thread> threads;
  for (size_t d = 0; d < tokens.size(); ++d) {
    threads.emplace_back([&, d] {
      if (!PostAll(port, tokens[d], 1000 + static_cast<int>(d), n, 0, tmpl)) ok = false;
    });
  }
  for (auto& t : threads) t.join();
  double s = std::chrono::duration<double>(std::chrono::steady_clock::now() - t0).count();
  return ok ? tokens.size() * n / s : -1;
}

// Bytes on the wire per record (up + down) of `n` gRPC pushes, one record per batch.
double GrpcBytesPerRecord(const std::string& target, const std::string& token, int device,
                          uint64_t n, const v1::Mutation& tmpl, bool gzip) {
  testing::TestClient c(target, token);
  auto ctx = c.Context(600'000);
  if (gzip) ctx->set_compression_algorithm(GRPC_COMPRESS_GZIP);
  auto stream = c.sync()->Push(ctx.get());
  for (uint64_t i = 0; i < n; ++i) {
    v1::PushRequest req;
    *req.add_mutations() = tmpl;
    Stamp(device, i, req.mutable_mutations(0));
    v1::PushResponse resp;
    if (!stream->Write(req) || !stream->Read(&resp) || resp.receipts_size() != 1 ||
        resp.receipts(0).outcome() != v1::APPLIED) {
      fprintf(stderr, "grpc push %llu failed\n", static_cast<unsigned long long>(i));
      return -1;
    }
  }
  stream->WritesDone();
  stream->Finish();
  return 0;
}

int Main(int argc, char** argv) {
  std::vector<int> device_counts = {1, 16};
  uint64_t per_device = 300;
  for (int i = 1; i < argc; ++i) {
    std::string a = argv[i];
    if (a.rfind("--devices=", 0) == 0) {
      device_counts.clear();
      for (auto p : absl::StrSplit(a.substr(10), ',')) {
        int k = 0;
        if (!absl::SimpleAtoi(p, &k) || k <= 0) return 2;
        device_counts.push_back(k);
      }
    } else if (a.rfind("--records-per-device=", 0) == 0) {
      if (!absl::SimpleAtoi(a.substr(21), &per_device) || per_device == 0) return 2;
    } else {
      fprintf(stderr, "usage: openrosa_bench [--devices=1,16] [--records-per-device=N]\n");
      return 2;
    }
  }
  const v1::Mutation tmpl = HouseholdTemplate(500);
  printf("record: displacement_household create, %zu bytes serialized\n", tmpl.ByteSizeLong());
  for (int k : device_counts) {
    testing::TempDir dir;
    testing::ServerProcess server(
        dir.Sub("data"), {"--openrosa-listen", "127.0.0.1:0", "--max-requests-per-second", "0"});
    std::vector<std::string> or_tokens, grpc_tokens;
    for (int d = 0; d < k; ++d) {
      // RunPushLoad's device i is DeviceId(i); the OpenRosa devices are 1000 + i.
      grpc_tokens.push_back(server.AddDevice({DeviceId(d), "enumerator", {"governorate=Ninewa"}}));
      or_tokens.push_back(
          server.AddDevice({DeviceId(1000 + d), "enumerator", {"governorate=Ninewa"}}));
    }
    if (!server.Start() || server.openrosa_port() <= 0) {
      fprintf(stderr, "fieldsyncd did not start:\n%s\n", server.log().c_str());
      return 1;
    }
    const double or_rate = OpenRosaRate(server.openrosa_port(), or_tokens, per_device, tmpl);
    // gRPC Push of the same records from devices 0..k-1 (their own record ids).
    PushLoad load;
    load.target = server.target();
    load.records_per_device = per_device;
    load.batch = 1;
    load.record = tmpl;
    for (int d = 0; d < k; ++d) load.tokens.push_back(grpc_tokens[d]);
    PushLoadResult grpc = RunPushLoad(load);
    if (or_rate < 0 || !grpc.error.empty()) {
      fprintf(stderr, "failed: %s\n", grpc.error.c_str());
      return 1;
    }
    printf(
        "devices=%d records/device=%llu  openrosa %.0f submissions/s  grpc push %.0f "
        "records/s  (openrosa/grpc %.2f)\n",
        k, static_cast<unsigned long long>(per_device), or_rate, grpc.records_per_s(),
        or_rate / grpc.records_per_s());
  }

  // Bytes on the wire per record, one device, sequential, through a counting proxy.
  {
    testing::TempDir dir;
    testing::ServerProcess server(
        dir.Sub("data"), {"--openrosa-listen", "127.0.0.1:0", "--max-requests-per-second", "0"});
    std::vector<std::string> tokens;
    for (int d = 0; d < 3; ++d) {
      tokens.push_back(server.AddDevice({DeviceId(d), "enumerator", {"governorate=Ninewa"}}));
    }
    if (!server.Start()) return 1;
    const uint64_t n = 200;
    auto measure = [&](int port_target, auto&& run) -> double {
      auto proxy = TcpProxy::Start("127.0.0.1", port_target);
      if (!proxy.ok()) return -1;
      if (!run(**proxy)) return -1;
      return static_cast<double>((*proxy)->bytes(TcpProxy::Direction::kUpstream) +
                                 (*proxy)->bytes(TcpProxy::Direction::kDownstream)) /
             n;
    };
    double or_bytes = measure(server.openrosa_port(), [&](TcpProxy& p) {
      return PostAll(p.port(), tokens[0], 0, n, 0, tmpl);
    });
    double plain = measure(server.port(), [&](TcpProxy& p) {
      return GrpcBytesPerRecord(p.target(), tokens[1], 1, n, tmpl, false) == 0;
    });
    double gz = measure(server.port(), [&](TcpProxy& p) {
      return GrpcBytesPerRecord(p.target(), tokens[2], 2, n, tmpl, true) == 0;
    });
    printf(
        "bytes on the wire per record (up+down, %llu records, one connection): openrosa %.0f"
        "  grpc %.0f  grpc+gzip %.0f\n",
        static_cast<unsigned long long>(n), or_bytes, plain, gz);
  }
  return 0;
}

}  // namespace
}  // namespace fieldsync::bench

int main(int argc, char** argv) { return fieldsync::bench::Main(argc, argv); }
