// sync_bench: a device that was offline with N pending records (default 10,000) syncs to a
// real fieldsyncd on loopback through the SDK. Measures the time of the sync (push of the
// outbox, then the pull that brings the device's scope back) and the bytes on the wire per
// record, counted by a TCP proxy in front of the server, with gRPC gzip on and off, against
// the raw size of the same records as JSON.
//
//   sync_bench [--records=10000]
#include <signal.h>

#include <chrono>
#include <cstdio>
#include <cstdlib>
#include <cstring>
#include <string>
#include <vector>

#include "absl/strings/str_cat.h"
#include "fieldsync/client.h"
#include "tests/testing/server_process.h"
#include "tests/testing/tcp_proxy.h"
#include "tests/testing/temp_dir.h"

namespace fieldsync::bench {
namespace {

using client::Fields;
using testing::TcpProxy;

// A household record as enumerators fill it in (about 350 bytes of JSON).
Fields Household(int i, const std::string& governorate) {
  static const char* kDistricts[] = {"Mosul", "Tel Afar", "Sinjar", "Hamdaniya", "Bashiqa"};
  static const char* kShelter[] = {"camp", "host_family", "rented", "unfinished_building"};
  Fields f;
  f["governorate"] = governorate;
  f["district"] = std::string(kDistricts[i % 5]);
  f["team"] = absl::StrCat("T", i % 12);
  f["visit_date"] = absl::StrCat("2026-11-", 10 + i % 18);
  f["household_size"] = int64_t{1 + i % 14};
  f["children_under_5"] = int64_t{i % 4};
  f["head_of_household_name"] = absl::StrCat("Household head ", i * 7919 % 100000);
  f["shelter_type"] = std::string(kShelter[i % 4]);
  f["needs"] = std::vector<std::string>{"food", i % 2 ? "water" : "health"};
  f["intends_to_return"] = (i % 3) == 0;
  f["monthly_income"] = 50.0 + (i * 37 % 400);
  f["location"] = client::GeoPoint{36.0 + (i % 1000) / 1000.0, 43.0 + (i % 777) / 1000.0};
  return f;
}

void JsonString(std::string* out, const std::string& s) {
  out->push_back('"');
  for (char c : s) {
    if (c == '"' || c == '\\') out->push_back('\\');
    out->push_back(c);
  }
  out->push_back('"');
}

// {"record_id":..,"form_id":..,"fields":{..}}: the record as a JSON API would carry it.
std::string RecordJson(const std::string& id, const std::string& form, const Fields& fields) {
  std::string out = "{\"record_id\":";
  JsonString(&out, id);
  out += ",\"form_id\":";
  JsonString(&out, form);
  out += ",\"fields\":{";
  bool first = true;
  for (const auto& [k, v] : fields) {
    if (!first) out += ",";
    first = false;
    JsonString(&out, k);
    out += ":";
    if (auto* s = std::get_if<std::string>(&v)) {
      JsonString(&out, *s);
    } else if (auto* l = std::get_if<std::vector<std::string>>(&v)) {
      out += "[";
      for (size_t i = 0; i < l->size(); ++i) {
        if (i) out += ",";
        JsonString(&out, (*l)[i]);
      }
      out += "]";
    } else if (auto* g = std::get_if<client::GeoPoint>(&v)) {
      out += absl::StrCat("{\"latitude\":", g->latitude, ",\"longitude\":", g->longitude, "}");
    } else {
      out += client::ValueToString(v);
    }
  }
  out += "}}";
  return out;
}

struct Result {
  double create_s = 0;
  double sync_s = 0;
  uint64_t up_bytes = 0;
  uint64_t down_bytes = 0;
  uint64_t json_bytes = 0;
};

int Run(int n, bool gzip, const std::string& governorate, const std::string& token,
        const std::string& device_id, testing::ServerProcess* server, const std::string& data_dir,
        Result* out) {
  auto proxy = TcpProxy::Start("127.0.0.1", server->port());
  if (!proxy.ok()) return 1;
  client::ClientOptions o;
  o.data_dir = data_dir;
  o.device_id = device_id;
  o.server.target = (*proxy)->target();
  o.server.token = token;
  o.server.plaintext = true;
  o.server.gzip = gzip;
  o.push_batch = 200;
  auto c = client::Client::Open(o);
  if (!c.ok() || !(*c)->RefreshForms().ok()) {
    fprintf(stderr, "open/forms failed\n");
    return 1;
  }
  auto t0 = std::chrono::steady_clock::now();
  std::vector<Fields> rows;
  for (int i = 0; i < n; ++i) {
    rows.push_back(Household(i, governorate));
    if (rows.size() == 1000 || i == n - 1) {
      auto ids = (*c)->CreateMany("displacement_household", rows);
      for (size_t k = 0; k < ids.size(); ++k) {
        if (!ids[k].ok()) {
          fprintf(stderr, "create: %s\n", std::string(ids[k].status().message()).c_str());
          return 1;
        }
        out->json_bytes += RecordJson(*ids[k], "displacement_household", rows[k]).size();
      }
      rows.clear();
    }
  }
  auto t1 = std::chrono::steady_clock::now();
  const uint64_t up0 = (*proxy)->bytes(TcpProxy::Direction::kUpstream);
  const uint64_t down0 = (*proxy)->bytes(TcpProxy::Direction::kDownstream);
  auto r = (*c)->Sync();
  auto t2 = std::chrono::steady_clock::now();
  if (!r.ok() || r->applied != static_cast<uint64_t>(n)) {
    fprintf(stderr, "sync failed: %s\n",
            r.ok() ? "not all applied" : std::string(r.status().message()).c_str());
    return 1;
  }
  out->create_s = std::chrono::duration<double>(t1 - t0).count();
  out->sync_s = std::chrono::duration<double>(t2 - t1).count();
  out->up_bytes = (*proxy)->bytes(TcpProxy::Direction::kUpstream) - up0;
  out->down_bytes = (*proxy)->bytes(TcpProxy::Direction::kDownstream) - down0;
  return 0;
}

int Main(int argc, char** argv) {
  int n = 10'000;
  for (int i = 1; i < argc; ++i) {
    if (strncmp(argv[i], "--records=", 10) == 0) n = atoi(argv[i] + 10);
  }
  testing::TempDir dir;
  testing::ServerProcess server(dir.Sub("db"));
  const std::string gz = server.AddDevice({"tab-gzip", "enumerator", {"governorate=Ninewa"}});
  const std::string plain = server.AddDevice({"tab-plain", "enumerator", {"governorate=Anbar"}});
  if (!server.Start()) {
    fprintf(stderr, "server: %s\n", server.log().c_str());
    return 1;
  }
  // Two devices in two governorates, so each pulls back exactly its own N records.
  Result with_gzip, without;
  if (Run(n, true, "Ninewa", gz, "tab-gzip", &server, dir.Sub("gzip"), &with_gzip) != 0) return 1;
  if (Run(n, false, "Anbar", plain, "tab-plain", &server, dir.Sub("plain"), &without) != 0) {
    return 1;
  }
  printf("records: %d (pending on the device, one sync)\n", n);
  printf("raw JSON of the same records: %.1f bytes/record\n",
         static_cast<double>(with_gzip.json_bytes) / n);
  auto row = [&](const char* name, const Result& r) {
    if (r.sync_s == 0) return;
    printf(
        "%-10s create %.2f s; sync %.2f s (%.0f records/s); up %.1f bytes/record "
        "(%.0f%% of JSON); down %.1f bytes/record\n",
        name, r.create_s, r.sync_s, n / r.sync_s, static_cast<double>(r.up_bytes) / n,
        100.0 * r.up_bytes / r.json_bytes, static_cast<double>(r.down_bytes) / n);
  };
  row("gzip", with_gzip);
  row("no gzip", without);
  server.Stop(SIGTERM);
  return 0;
}

}  // namespace
}  // namespace fieldsync::bench

int main(int argc, char** argv) { return fieldsync::bench::Main(argc, argv); }
