#include "server/app/bundle_command.h"

#include <fstream>
#include <iostream>
#include <map>
#include <memory>

#include "server/app/config.h"
#include "server/app/offline.h"
#include "server/app/server.h"
#include "server/audit/audit_log.h"
#include "server/bundle/bundle_codec.h"
#include "server/forms/form_registry.h"
#include "server/forms/pseudonymizer.h"
#include "server/sync/bundle_import.h"
#include "server/sync/sync_engine.h"

namespace fieldsync {
namespace {

int BundleUsage() {
  std::cerr << "usage: fieldsyncd bundle import FILE [--receipts-out FILE] [--data-dir DIR]\n"
               "       (server stopped; pass the server's --max-batch, --pii-key-file, ... too)\n";
  return 2;
}

int Fail(const std::string& what, const absl::Status& s) {
  std::cerr << "fieldsyncd: " << what << s << "\n";
  return 1;
}

// Reads at most `max_bytes` (+1, so an oversized file is told apart without reading it all).
absl::StatusOr<std::string> ReadFileBounded(const std::string& path, size_t max_bytes) {
  std::ifstream in(path, std::ios::binary);
  if (!in) return absl::NotFoundError("cannot open " + path);
  std::string data;
  data.resize(max_bytes + 1);
  in.read(data.data(), static_cast<std::streamsize>(data.size()));
  if (in.bad()) return absl::UnavailableError("cannot read " + path);
  data.resize(static_cast<size_t>(in.gcount()));
  return data;  // the codec refuses a file over its limit
}

}  // namespace

int BundleCommand(const std::vector<std::string>& args,
                  const std::map<std::string, std::string>& env) {
  if (args.size() < 2 || args[0] != "import") return BundleUsage();
  const std::string file_path = args[1];
  std::string receipts_out;
  std::vector<std::string> rest;
  for (size_t i = 2; i < args.size(); ++i) {
    if (args[i] == "--receipts-out") {
      if (i + 1 >= args.size()) return BundleUsage();
      receipts_out = args[++i];
    } else {
      rest.push_back(args[i]);
    }
  }
  OfflineContext off;
  if (int rc = OpenOffline(rest, env, /*open_store=*/true, &off); rc != 0) return rc;
  const ServerConfig* config = &off.config;
  const bundle::BundleLimits limits;
  auto file = ReadFileBounded(file_path, limits.max_file_bytes);
  if (!file.ok()) return Fail("", file.status());

  // The server's push path, wired as FieldsyncServer::Start wires it.
  std::unique_ptr<Pseudonymizer> pseudonymizer = std::make_unique<Pseudonymizer>();
  if (!config->pii_key_file.empty()) {
    auto p = Pseudonymizer::FromKeyFile(config->pii_key_file);
    if (!p.ok()) return Fail("pii key: ", p.status());
    pseudonymizer = *std::move(p);
  }
  Store* store = off.store.get();
  FormRegistry forms(store, SchemaLimits{});
  Clock* clock = SystemClock::Default();
  auto engine = SyncEngine::Open(store, &forms, clock, EngineOptionsOf(*config));
  if (!engine.ok()) return Fail("", engine.status());
  (*engine)->push()->set_pseudonymizer(pseudonymizer.get());

  BundleImporter importer(store, (*engine)->push(), clock, limits);
  importer.set_audit(off.audit.get());
  auto result = importer.Import(*file, AuditContext::Cli());
  if (!result.ok()) return Fail("", result.status());

  std::map<std::string, size_t> outcomes;
  for (const auto& r : result->receipts) outcomes[OutcomeName(r.outcome)]++;
  std::cout << "device " << result->device_id << ": " << result->receipts.size()
            << " mutations, acked seq " << result->acked_device_seq << "\n";
  for (const auto& [name, n] : outcomes) std::cout << name << "\t" << n << "\n";
  if (!receipts_out.empty()) {
    std::ofstream out(receipts_out, std::ios::binary | std::ios::trunc);
    out.write(result->receipts_file.data(),
              static_cast<std::streamsize>(result->receipts_file.size()));
    out.close();
    if (!out) {
      // The import itself is done (and safe to repeat to get the receipts again).
      std::cerr << "fieldsyncd: cannot write " << receipts_out << "\n";
      return 1;
    }
    std::cout << "receipts written to " << receipts_out << "\n";
  }
  return 0;
}

}  // namespace fieldsync
