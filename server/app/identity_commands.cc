#include "server/app/identity_commands.h"

#include <fcntl.h>
#include <sys/stat.h>
#include <unistd.h>

#include <iostream>
#include <memory>
#include <set>

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

// The command's own options and everything else (server configuration such as --data-dir).
struct Parsed {
  std::map<std::string, std::vector<std::string>> opts;
  std::vector<std::string> rest;
};

Parsed Split(const std::vector<std::string>& args, const std::set<std::string>& with_value,
             const std::set<std::string>& bools) {
  Parsed p;
  for (size_t i = 0; i < args.size(); ++i) {
    const std::string& a = args[i];
    if (with_value.count(a) && i + 1 < args.size()) {
      p.opts[a].push_back(args[++i]);
    } else if (bools.count(a)) {
      p.opts[a].push_back("true");
    } else {
      p.rest.push_back(a);
      if (a.rfind("--", 0) == 0 && a.find('=') == std::string::npos && a != "--dev-plaintext" &&
          i + 1 < args.size()) {
        p.rest.push_back(args[++i]);
      }
    }
  }
  return p;
}

std::string Opt(const Parsed& p, const std::string& name, const std::string& def = "") {
  auto it = p.opts.find(name);
  return it == p.opts.end() ? def : it->second.back();
}

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

int AdminCommand(const std::vector<std::string>& args,
                 const std::map<std::string, std::string>& env) {
  if (args.empty() || args[0] != "init") {
    std::cerr << "usage: fieldsyncd admin init --token-file PATH [--id ID] [--data-dir DIR]\n";
    return 2;
  }
  Parsed p = Split({args.begin() + 1, args.end()}, {"--token-file", "--id"}, {});
  const std::string token_file = Opt(p, "--token-file");
  if (token_file.empty()) {
    std::cerr << "fieldsyncd: admin init needs --token-file PATH\n";
    return 2;
  }
  OfflineContext off;
  if (int rc = OpenOffline(p.rest, env, /*open_store=*/true, &off); rc != 0) return rc;
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
  auto admin = registry.CreateFirstAdmin(Opt(p, "--id", "admin"));
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

int EnrollCodeCommand(const std::vector<std::string>& args,
                      const std::map<std::string, std::string>& env) {
  if (args.empty() || args[0] != "create") {
    std::cerr << "usage: fieldsyncd enroll-code create --role ROLE (--scope FIELD=VALUE... | "
                 "--all-scopes) [--ttl 24h] [--server HOST:PORT] [--data-dir DIR]\n";
    return 2;
  }
  Parsed p = Split({args.begin() + 1, args.end()}, {"--role", "--scope", "--ttl", "--server"},
                   {"--all-scopes"});
  auto role = ParseRole(Opt(p, "--role"));
  if (!role) {
    std::cerr << "fieldsyncd: --role must be one of enumerator border_officer supervisor admin "
                 "feed_reader\n";
    return 2;
  }
  CodeRequest req;
  req.role = *role;
  req.all_scopes = !Opt(p, "--all-scopes").empty();
  if (auto it = p.opts.find("--scope"); it != p.opts.end()) {
    for (const auto& text : it->second) {
      auto s = ParseScope(text);
      if (!s.ok()) {
        std::cerr << "fieldsyncd: " << s.status().message() << "\n";
        return 2;
      }
      req.scopes.push_back(*s);
    }
  }
  if (const std::string ttl = Opt(p, "--ttl"); !ttl.empty()) {
    req.ttl_ms = ParseDurationMs(ttl);
    if (req.ttl_ms < 0) {
      std::cerr << "fieldsyncd: --ttl takes a duration such as 900s, 30m, 24h or 7d\n";
      return 2;
    }
  }
  req.server_address = Opt(p, "--server");
  OfflineContext off;
  if (int rc = OpenOffline(p.rest, env, /*open_store=*/true, &off); rc != 0) return rc;
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

int AuditCommand(const std::vector<std::string>& args,
                 const std::map<std::string, std::string>& env) {
  const std::string verb = args.empty() ? "" : args[0];
  if (verb != "verify" && verb != "list") {
    std::cerr << "usage: fieldsyncd audit verify [--expect-head HASH] [--data-dir DIR]\n"
                 "       fieldsyncd audit list [--from N] [--limit N] [--data-dir DIR]\n";
    return 2;
  }
  Parsed p = Split({args.begin() + 1, args.end()}, {"--expect-head", "--from", "--limit"}, {});
  OfflineContext off;
  if (int rc = OpenOffline(p.rest, env, /*open_store=*/true, &off); rc != 0) return rc;
  if (verb == "list") {
    uint64_t from = 0, limit = 1000;
    if (!absl::SimpleAtoi(Opt(p, "--from", "0"), &from) ||
        !absl::SimpleAtoi(Opt(p, "--limit", "1000"), &limit)) {
      std::cerr << "fieldsyncd: --from and --limit take numbers\n";
      return 2;
    }
    auto entries = off.audit->List(from, limit);
    if (!entries.ok()) return Fail(entries.status());
    for (const auto& e : *entries) {
      std::cout << e.index << "\t" << e.time_ms << "\t" << e.event.who.actor_device_id << "\t"
                << e.event.who.actor_role << "\t" << e.event.action << "\t" << e.event.target
                << "\t" << e.event.detail << "\t" << e.event.who.request_id << "\t" << e.hash
                << "\n";
    }
    return 0;
  }
  auto v = VerifyAuditChain(*off.store);
  if (!v.ok()) return Fail(v.status());
  if (!v->ok) {
    std::cout << "TAMPERED: " << v->problem << "\n";
    return 1;
  }
  if (const std::string expect = Opt(p, "--expect-head"); !expect.empty()) {
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

}  // namespace fieldsync
