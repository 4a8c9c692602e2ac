#include "server/app/identity_commands.h"

#include <fcntl.h>
#include <sys/stat.h>
#include <unistd.h>

#include <iostream>
#include <memory>
#include <utility>
#include <vector>

#include "absl/strings/numbers.h"
#include "absl/strings/str_cat.h"
#include "server/app/config.h"
#include "server/app/offline.h"
#include "server/app/server.h"
#include "server/audit/audit_log.h"
#include "server/auth/device_registry.h"
#include "server/auth/enrollment.h"

namespace fieldsync {
namespace {

int Fail(const absl::Status& s) {
  std::cerr << "fieldsyncd: " << s.message() << "\n";
  return 1;
}

}  // namespace

int64_t ParseDurationMs(const std::string& text) {
  if (text.empty()) return -1;
  int64_t unit = 1000;
  std::string digits = text;
  switch (text.back()) {
    case 's':
      digits.pop_back();
      break;
    case 'm':
      unit = 60'000;
      digits.pop_back();
      break;
    case 'h':
      unit = 3'600'000;
      digits.pop_back();
      break;
    case 'd':
      unit = 86'400'000;
      digits.pop_back();
      break;
  }
  int64_t n = 0;
  if (!absl::SimpleAtoi(digits, &n) || n <= 0 || n > INT64_MAX / unit) return -1;
  return n * unit;
}

namespace {

int RunAdminInit(const ServerConfig& config, const std::string& token_file, const std::string& id) {
  OfflineContext off;
  if (int rc = OpenOffline(config, /*open_store=*/true, &off); rc != 0) return rc;
  // Created before the admin exists, never over an existing file or through a symlink, and
  // readable by its owner only.
  int fd = open(token_file.c_str(), O_WRONLY | O_CREAT | O_EXCL | O_NOFOLLOW | O_CLOEXEC, 0600);
  if (fd < 0) {
    std::cerr << "fieldsyncd: cannot create " << token_file << " (it must not exist yet)\n";
    return 1;
  }
  fchmod(fd, 0600);
  DeviceRegistry registry(off.store.get(), SystemClock::Default(), off.audit.get(),
                          RegistryOptionsOf(off.config));
  auto admin = registry.CreateFirstAdmin(id);
  if (!admin.ok()) {
    close(fd);
    unlink(token_file.c_str());
    return Fail(admin.status());
  }
  const std::string line = admin->token + "\n";
  const bool written =
      write(fd, line.data(), line.size()) == static_cast<ssize_t>(line.size()) && fsync(fd) == 0;
  close(fd);
  if (!written) {
    std::cerr << "fieldsyncd: admin " << admin->device.device_id << " created but " << token_file
              << " could not be written: revoke it and run admin init again\n";
    return 1;
  }
  std::cout << "admin " << admin->device.device_id << " created; token written to " << token_file
            << " (expires_ms " << admin->device.token_expires_ms << ")\n";
  return 0;
}

struct EnrollCodeArgs {
  std::string role;
  std::vector<std::string> scopes;
  bool all_scopes = false;
  std::string ttl;
  std::string server;
};

int RunEnrollCodeCreate(const ServerConfig& config, const EnrollCodeArgs& args) {
  auto role = ParseRole(args.role);
  if (!role) {
    std::cerr << "fieldsyncd: --role must be one of enumerator border_officer supervisor admin "
                 "feed_reader\n";
    return 2;
  }
  CodeRequest req;
  req.role = *role;
  req.all_scopes = args.all_scopes;
  for (const auto& text : args.scopes) {
    auto s = ParseScope(text);
    if (!s.ok()) {
      std::cerr << "fieldsyncd: " << s.status().message() << "\n";
      return 2;
    }
    req.scopes.push_back(*s);
  }
  if (!args.ttl.empty()) {
    req.ttl_ms = ParseDurationMs(args.ttl);
    if (req.ttl_ms < 0) {
      std::cerr << "fieldsyncd: --ttl takes a duration such as 900s, 30m, 24h or 7d\n";
      return 2;
    }
  }
  req.server_address = args.server;
  OfflineContext off;
  if (int rc = OpenOffline(config, /*open_store=*/true, &off); rc != 0) return rc;
  DeviceRegistry registry(off.store.get(), SystemClock::Default(), off.audit.get(),
                          RegistryOptionsOf(off.config));
  Enrollment enrollment(off.store.get(), SystemClock::Default(), &registry,
                        EnrollmentOptionsOf(off.config));
  auto code = enrollment.CreateCode(req, AuditContext::Cli());
  if (!code.ok()) return Fail(code.status());
  std::cout << "code " << code->code << "\n"
            << "uri " << code->uri << "\n"
            << "id " << code->stored.code_id << "\n"
            << "expires_ms " << code->stored.expires_ms << "\n";
  return 0;
}

int RunAuditList(const ServerConfig& config, uint64_t from, uint64_t limit) {
  OfflineContext off;
  if (int rc = OpenOffline(config, /*open_store=*/true, &off); rc != 0) return rc;
  auto entries = off.audit->List(from, limit);
  if (!entries.ok()) return Fail(entries.status());
  for (const auto& e : *entries) {
    std::cout << e.index << "\t" << e.time_ms << "\t" << e.event.who.actor_device_id << "\t"
              << e.event.who.actor_role << "\t" << e.event.action << "\t" << e.event.target << "\t"
              << e.event.detail << "\t" << e.event.who.request_id << "\t" << e.hash << "\n";
  }
  return 0;
}

int RunAuditVerify(const ServerConfig& config, const std::string& expect) {
  OfflineContext off;
  if (int rc = OpenOffline(config, /*open_store=*/true, &off); rc != 0) return rc;
  auto v = VerifyAuditChain(*off.store);
  if (!v.ok()) return Fail(v.status());
  if (!v->ok) {
    std::cout << "TAMPERED: " << v->problem << "\n";
    return 1;
  }
  if (!expect.empty()) {
    bool found = expect == kAuditGenesisHash;
    absl::Status read = off.store->ScanAudit(0, [&](uint64_t, std::string_view encoded) {
      auto e = DecodeAuditEntry(encoded);
      if (e.ok() && e->hash == expect) found = true;
      return !found;
    });
    if (!read.ok()) return Fail(read);
    if (!found) {
      std::cout << "TAMPERED: the recorded head " << expect
                << " is not in the chain (the log was rewritten)\n";
      return 1;
    }
  }
  std::cout << "ok entries " << v->entries << " head " << v->head_hash << "\n";
  return 0;
}

}  // namespace

void AddIdentityCommands(Program* p) {
  CLI::App* root = p->cl.app();
  CLI::App* admin = root->add_subcommand("admin", "the first admin of a new database");
  admin->require_subcommand(1);
  auto token_file = std::make_shared<std::string>();
  auto id = std::make_shared<std::string>("admin");
  CLI::App* init = p->AddCommand(
      admin, "init",
      "create the first admin (all scopes); its token goes to a new file of mode "
      "600; refused while an admin exists",
      true, [p, token_file, id] { return RunAdminInit(p->config, *token_file, *id); });
  init->add_option("--token-file", *token_file, "new file for the admin token")->required();
  init->add_option("--id", *id, "the admin's device id")->capture_default_str();

  CLI::App* codes = root->add_subcommand("enroll-code", "one-time enrollment codes");
  codes->require_subcommand(1);
  auto code = std::make_shared<EnrollCodeArgs>();
  CLI::App* create =
      p->AddCommand(codes, "create", "create a code; prints it, its QR-ready URI, id and expiry",
                    true, [p, code] { return RunEnrollCodeCreate(p->config, *code); });
  create->add_option("--role", code->role, "enumerator border_officer supervisor admin feed_reader")
      ->required();
  create->add_option("--scope", code->scopes, "FIELD=VALUE, repeatable");
  create->add_flag("--all-scopes", code->all_scopes, "every scope");
  create->add_option("--ttl", code->ttl, "lifetime: 900s, 30m, 24h (default), 7d");
  create->add_option("--server", code->server, "HOST:PORT put into the URI");

  CLI::App* audit = root->add_subcommand("audit", "the audit log's hash chain");
  audit->require_subcommand(1);
  auto expect = std::make_shared<std::string>();
  CLI::App* verify = p->AddCommand(
      audit, "verify", "recompute the hash chain; exit 1 if an entry was edited or removed", true,
      [p, expect] { return RunAuditVerify(p->config, *expect); });
  verify->add_option("--expect-head", *expect, "a head recorded earlier must still be in it");
  auto range = std::make_shared<std::pair<uint64_t, uint64_t>>(0, 1000);
  CLI::App* list = p->AddCommand(audit, "list", "print entries", true, [p, range] {
    return RunAuditList(p->config, range->first, range->second);
  });
  list->add_option("--from", range->first, "first entry index")->capture_default_str();
  list->add_option("--limit", range->second, "entries at most")->capture_default_str();
}

}  // namespace fieldsync
