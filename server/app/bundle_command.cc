#include "server/app/bundle_command.h"

#include <fstream>
#include <iostream>
#include <map>
#include <memory>
#include <string>

#include "server/app/config.h"
#include "server/app/offline.h"
#include "server/app/server.h"
#include "server/audit/audit_log.h"
#include "server/bundle/bundle_codec.h"
#include "server/common/file.h"
#include "server/forms/form_registry.h"
#include "server/forms/pseudonymizer.h"
#include "server/sync/bundle_import.h"
#include "server/sync/sync_engine.h"

namespace fieldsync {
namespace {

int Fail(const std::string& what, const absl::Status& s) {
  std::cerr << "fieldsyncd: " << what << s << "\n";
  return 1;
}

int RunBundleImport(const ServerConfig& server_config, const std::string& file_path,
                    const std::string& receipts_out) {
  OfflineContext off;
  if (int rc = OpenOffline(server_config, /*open_store=*/true, &off); rc != 0) return rc;
  const ServerConfig* config = &off.config;
  const bundle::BundleLimits limits;
  auto file = ReadFileToString(file_path, limits.max_file_bytes);
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

}  // namespace

void AddBundleCommands(Program* p) {
  CLI::App* bundle = p->cl.app()->add_subcommand("bundle", "offline bundle files (server stopped)");
  bundle->require_subcommand(1);
  auto file = std::make_shared<std::string>();
  auto receipts_out = std::make_shared<std::string>();
  CLI::App* import = p->AddCommand(
      bundle, "import",
      "apply a device's bundle through the push path; pass the server's --max-batch, "
      "--pii-key-file, ... too",
      true, [p, file, receipts_out] { return RunBundleImport(p->config, *file, *receipts_out); });
  import->add_option("file", *file, "the bundle file")->required();
  import->add_option("--receipts-out", *receipts_out, "write the device's receipts file here");
}

}  // namespace fieldsync
