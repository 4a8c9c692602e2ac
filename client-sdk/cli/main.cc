// fieldsync: the command-line device for field staff and admins, built on the SDK.
//
//   fieldsync [--data-dir DIR] init --server HOST:PORT
//             (--enroll-code CODE | --token T | --token-file F)
//             [--ca-file PEM | --plaintext] [--device-id ID]
//   fieldsync record add FORM key=value...      fieldsync record edit ID key=value...
//   fieldsync record delete ID                  fieldsync record get ID
//   fieldsync record list [FORM] [key=value...]
//   fieldsync import-csv FORM file.csv          fieldsync sync
//   fieldsync status                            fieldsync receipts [--since N]
//   fieldsync forms
//   fieldsync bundle export FILE         (a post with no link: its outbox to a signed file)
//   fieldsync bundle import FILE [OUT]   a bundle file: admins at head office apply it on the
//                                        server and get the receipts file (OUT, default
//                                        FILE.receipts); a receipts file: back on the
//                                        device, applies the receipts
//   fieldsync stats ...   fieldsync admin ...   statistics and fleet administration, straight
//                                        against the server (stats_command.h,
//                                        admin_commands.h)
//
// The data dir (default $FIELDSYNC_DATA_DIR, else ~/.fieldsync) holds the local store and
// `config` (server, TLS, device id) and `token` (mode 600).
// Tuning from the environment: FIELDSYNC_TIMEOUT_MS (per call), FIELDSYNC_MAX_ATTEMPTS,
// FIELDSYNC_PUSH_BATCH (mutations per push request).
// Exit codes: 0 done; 1 failed (message on stderr); 2 usage; 3 import-csv stored only some
// rows.
#include <sys/stat.h>
#include <unistd.h>

#include <cstdio>
#include <cstdlib>
#include <fstream>
#include <iostream>
#include <map>
#include <sstream>
#include <string>
#include <vector>

#include "absl/strings/str_cat.h"
#include "absl/strings/str_format.h"
#include "absl/strings/str_join.h"
#include "client-sdk/cli/admin_commands.h"
#include "client-sdk/cli/cli_common.h"
#include "client-sdk/cli/csv.h"
#include "client-sdk/cli/stats_command.h"
#include "fieldsync/client.h"

namespace fieldsync::cli {
namespace {

using client::Client;
using client::ClientOptions;

constexpr char kUsageText[] =
    "usage: fieldsync [--data-dir DIR] COMMAND ...\n"
    "  init --server HOST:PORT (--enroll-code CODE | --token T | --token-file F)\n"
    "       [--ca-file PEM | --plaintext] [--device-id ID] [--label TEXT]\n"
    "  record add FORM key=value...     record edit ID key=value...\n"
    "  record delete ID                 record get ID\n"
    "  record list [FORM] [key=value...]\n"
    "  import-csv FORM file.csv         sync\n"
    "  status                           receipts [--since N]\n"
    "  forms\n"
    "  bundle export FILE               bundle import FILE [RECEIPTS_OUT]\n"
    "  stats ...                        admin ...   (`fieldsync stats help`, `fieldsync admin "
    "help`)\n";

bool SaveConfig(const std::string& dir, const Config& c, std::string* error) {
  mkdir(dir.c_str(), 0700);
  {
    std::ofstream out(dir + "/config", std::ios::trunc);
    out << "server=" << c.server << "\nca_file=" << c.ca_file
        << "\nplaintext=" << (c.plaintext ? "true" : "false") << "\ndevice_id=" << c.device_id
        << "\n";
    if (!out) {
      *error = "cannot write " + dir + "/config";
      return false;
    }
  }
  const std::string token_path = dir + "/token";
  FILE* f = fopen(token_path.c_str(), "w");
  if (f == nullptr) {
    *error = "cannot write " + token_path;
    return false;
  }
  fchmod(fileno(f), 0600);
  fputs(c.token.c_str(), f);
  fputc('\n', f);
  return fclose(f) == 0;
}

absl::StatusOr<std::unique_ptr<Client>> OpenClient(const std::string& dir, const Config& cfg) {
  ClientOptions o;
  o.data_dir = dir;
  o.device_id = cfg.device_id;
  o.app_version = "fieldsync-cli/0.1";
  o.server.target = cfg.server.empty() ? "unconfigured:0" : cfg.server;
  o.server.token = cfg.token;
  o.server.plaintext = cfg.plaintext;
  if (!cfg.ca_file.empty()) {
    bool ok = false;
    o.server.ca_pem = ReadFile(cfg.ca_file, &ok);
    if (!ok) return absl::FailedPreconditionError("cannot read CA file " + cfg.ca_file);
  }
  if (const char* ms = getenv("FIELDSYNC_TIMEOUT_MS"); ms != nullptr && *ms) {
    o.server.call_timeout_ms = atoll(ms);
  }
  if (const char* n = getenv("FIELDSYNC_MAX_ATTEMPTS"); n != nullptr && *n) {
    o.max_attempts = atoi(n);
  }
  if (const char* n = getenv("FIELDSYNC_PUSH_BATCH"); n != nullptr && *n) {
    o.push_batch = static_cast<size_t>(atoi(n));
  }
  return Client::Open(std::move(o));
}

// key=value arguments -> (key, value) pairs.
bool SplitPairs(const std::vector<std::string>& args, size_t from,
                std::vector<std::pair<std::string, std::string>>* out) {
  for (size_t i = from; i < args.size(); ++i) {
    auto eq = args[i].find('=');
    if (eq == std::string::npos || eq == 0) {
      std::cerr << "fieldsync: expected key=value, got \"" << args[i] << "\"\n";
      return false;
    }
    out->emplace_back(args[i].substr(0, eq), args[i].substr(eq + 1));
  }
  return true;
}

std::string RecordState(const client::Record& r) {
  if (r.deleted) return r.pending_edits > 0 ? "deleted (pending)" : "deleted";
  if (r.rejected) return "REJECTED";
  if (r.conflict) return "conflict";
  if (r.pending_edits > 0) return "pending";
  return "synced";
}

void PrintRecord(const client::Record& r) {
  std::vector<std::string> kv;
  for (const auto& [k, v] : r.fields) {
    kv.push_back(absl::StrCat(k, "=", client::ValueToString(v)));
  }
  std::cout << r.record_id << "  " << r.form_id << "  v" << r.server_version << "  "
            << RecordState(r) << "  " << absl::StrJoin(kv, " ") << "\n";
  for (const auto& e : r.rejection) {
    std::cout << "    rejected: field " << e.field << ": " << e.description << "\n";
  }
}

std::string Ago(int64_t then_ms) {
  return AgeText(then_ms, static_cast<int64_t>(time(nullptr)) * 1000);
}

class CliObserver final : public client::SyncObserver {
 public:
  explicit CliObserver(bool tty) : tty_(tty) {}
  void OnProgress(const client::SyncProgress& p) override {
    const char* what = p.phase == client::SyncProgress::Phase::kPull ? "pulled" : "sent";
    if (tty_) {
      if (p.total > 0) {
        const int width = 30;
        const int filled = static_cast<int>(width * std::min<uint64_t>(p.done, p.total) / p.total);
        std::cout << "\r[" << std::string(filled, '#') << std::string(width - filled, '.') << "] "
                  << p.done << "/" << p.total << " " << what << "   " << std::flush;
      } else {
        std::cout << "\r" << p.done << " " << what << "              " << std::flush;
      }
      dirty_ = true;
    } else if (p.phase != client::SyncProgress::Phase::kReconcile) {
      std::cout << what << " " << p.done;
      if (p.total > 0) std::cout << "/" << p.total;
      std::cout << "\n";
    }
  }
  void OnRejected(const client::ReceiptInfo& r) override {
    EndLine();
    std::cout << "rejected: record " << r.record_id << " (edit #" << r.device_seq << ")\n";
    for (const auto& e : r.errors) {
      std::cout << "  field " << (e.field.empty() ? "(record)" : e.field) << ": " << e.description
                << "\n";
    }
  }
  void OnConflict(const client::ReceiptInfo& r) override {
    EndLine();
    std::cout << "conflict: record " << r.record_id << " fields "
              << absl::StrJoin(r.conflict_fields, ", ")
              << " were also changed on the server (both values kept for a supervisor)\n";
  }
  void OnRetry(const absl::Status& error, int attempt, int64_t delay_ms) override {
    EndLine();
    std::cout << "link problem (" << error.message() << "); retry " << attempt << " in " << delay_ms
              << " ms\n";
  }
  void EndLine() {
    if (dirty_) std::cout << "\n";
    dirty_ = false;
  }

 private:
  bool tty_;
  bool dirty_ = false;
};

int CmdInit(const std::string& dir, const std::vector<std::string>& args) {
  Config cfg;
  std::string token_file, enroll_code, label;
  for (size_t i = 1; i < args.size(); ++i) {
    auto value = [&](std::string* out) {
      if (i + 1 >= args.size()) return false;
      *out = args[++i];
      return true;
    };
    bool ok = true;
    if (args[i] == "--server") {
      ok = value(&cfg.server);
    } else if (args[i] == "--token") {
      ok = value(&cfg.token);
    } else if (args[i] == "--token-file") {
      ok = value(&token_file);
    } else if (args[i] == "--ca-file") {
      ok = value(&cfg.ca_file);
    } else if (args[i] == "--device-id") {
      ok = value(&cfg.device_id);
    } else if (args[i] == "--enroll-code") {
      ok = value(&enroll_code);
    } else if (args[i] == "--label") {
      ok = value(&label);
    } else if (args[i] == "--plaintext") {
      cfg.plaintext = true;
    } else {
      ok = false;
    }
    if (!ok) {
      std::cerr << "fieldsync init: bad argument " << args[i] << "\n" << kUsageText;
      return kUsage;
    }
  }
  if (!token_file.empty()) {
    bool ok = false;
    cfg.token = Trim(ReadFile(token_file, &ok));
    if (!ok) {
      std::cerr << "fieldsync init: cannot read " << token_file << "\n";
      return kFailed;
    }
  }
  if (cfg.server.empty() || (cfg.token.empty() == enroll_code.empty())) {
    std::cerr << "fieldsync init: --server and one of --enroll-code, --token, --token-file "
                 "are required\n";
    return kUsage;
  }
  if (cfg.plaintext && !cfg.ca_file.empty()) {
    std::cerr << "fieldsync init: --ca-file and --plaintext exclude each other\n";
    return kUsage;
  }
  if (!enroll_code.empty()) {
    client::ServerOptions so;
    so.target = cfg.server;
    so.plaintext = cfg.plaintext;
    if (!cfg.ca_file.empty()) {
      bool ok = false;
      so.ca_pem = ReadFile(cfg.ca_file, &ok);
      if (!ok) {
        std::cerr << "fieldsync init: cannot read " << cfg.ca_file << "\n";
        return kFailed;
      }
    }
    char host[256] = {0};
    gethostname(host, sizeof(host) - 1);
    auto e = client::Enroll(so, enroll_code, label.empty() ? host : label);
    if (!e.ok()) {
      std::cerr << "fieldsync init: enrollment failed: " << Explain(e.status(), cfg) << "\n";
      return kFailed;
    }
    cfg.token = e->token;
    cfg.device_id = e->device_id;
    std::cout << "enrolled as device " << e->device_id << " (" << e->role << ")\n";
  }
  if (cfg.device_id.empty()) {
    char host[256] = {0};
    gethostname(host, sizeof(host) - 1);
    cfg.device_id = host;
  }
  std::string error;
  if (!SaveConfig(dir, cfg, &error)) {
    std::cerr << "fieldsync init: " << error << "\n";
    return kFailed;
  }
  auto c = OpenClient(dir, cfg);
  if (!c.ok()) return Fail(c.status(), cfg);
  absl::Status s = (*c)->RefreshForms();
  if (!s.ok()) {
    if (s.code() == absl::StatusCode::kUnavailable ||
        s.code() == absl::StatusCode::kDeadlineExceeded) {
      std::cout << "configured " << dir << " for " << cfg.server
                << ", but the forms could not be fetched now (server unreachable); run "
                   "`fieldsync sync` when online.\n";
      return kOk;
    }
    return Fail(s, cfg);
  }
  auto forms = (*c)->Forms();
  std::cout << "configured " << dir << " for " << cfg.server << "; "
            << (forms.ok() ? forms->size() : 0) << " forms cached\n";
  return kOk;
}

int CmdRecord(Client* c, const Config& cfg, const std::vector<std::string>& args) {
  if (args.size() < 2) {
    std::cerr << kUsageText;
    return kUsage;
  }
  const std::string& sub = args[1];
  if (sub == "add" || sub == "edit") {
    if (args.size() < 3) {
      std::cerr << kUsageText;
      return kUsage;
    }
    std::vector<std::pair<std::string, std::string>> pairs;
    if (!SplitPairs(args, 3, &pairs)) return kUsage;
    std::string form_id = args[2];
    if (sub == "edit") {
      auto rec = c->Get(args[2]);
      if (!rec.ok()) return Fail(rec.status(), cfg);
      form_id = rec->form_id;
    }
    auto fields = c->ParseFields(form_id, pairs);
    if (!fields.ok()) return Fail(fields.status(), cfg);
    if (sub == "add") {
      auto id = c->Create(form_id, *fields);
      if (!id.ok()) return Fail(id.status(), cfg);
      std::cout << *id << "\n";
      return kOk;
    }
    absl::Status s = c->Update(args[2], *fields);
    if (!s.ok()) return Fail(s, cfg);
    std::cout << "edited " << args[2] << "\n";
    return kOk;
  }
  if (sub == "delete" || sub == "get") {
    if (args.size() != 3) {
      std::cerr << kUsageText;
      return kUsage;
    }
    if (sub == "delete") {
      absl::Status s = c->Delete(args[2]);
      if (!s.ok()) return Fail(s, cfg);
      std::cout << "deleted " << args[2] << "\n";
      return kOk;
    }
    auto rec = c->Get(args[2]);
    if (!rec.ok()) return Fail(rec.status(), cfg);
    PrintRecord(*rec);
    return kOk;
  }
  if (sub == "list") {
    client::Query q;
    size_t from = 2;
    if (args.size() > 2 && args[2].find('=') == std::string::npos) {
      q.form_id = args[2];
      from = 3;
    }
    std::vector<std::pair<std::string, std::string>> pairs;
    if (!SplitPairs(args, from, &pairs)) return kUsage;
    if (!pairs.empty()) {
      if (q.form_id.empty()) {
        std::cerr << "fieldsync: filtering by field values needs a FORM\n";
        return kUsage;
      }
      auto fields = c->ParseFields(q.form_id, pairs);
      if (!fields.ok()) return Fail(fields.status(), cfg);
      q.equals = *fields;
    }
    auto recs = c->Find(q);
    if (!recs.ok()) return Fail(recs.status(), cfg);
    for (const auto& r : *recs) PrintRecord(r);
    std::cout << recs->size() << " records\n";
    return kOk;
  }
  std::cerr << kUsageText;
  return kUsage;
}

int CmdImportCsv(Client* c, const Config& cfg, const std::vector<std::string>& args) {
  if (args.size() != 3) {
    std::cerr << kUsageText;
    return kUsage;
  }
  const std::string& form_id = args[1];
  bool ok = false;
  const std::string text = ReadFile(args[2], &ok);
  if (!ok) {
    std::cerr << "fieldsync: cannot read " << args[2] << "\n";
    return kFailed;
  }
  std::vector<CsvRow> rows = ParseCsv(text);
  if (rows.empty()) {
    std::cerr << "fieldsync: " << args[2] << " is empty (the first row must name the fields)\n";
    return kFailed;
  }
  const std::vector<std::string>& header = rows[0].cells;
  std::vector<client::Fields> valid;
  std::vector<int> valid_lines;
  int bad = 0;
  std::map<int, std::vector<std::string>> problems;  // by line
  for (size_t i = 1; i < rows.size(); ++i) {
    const CsvRow& row = rows[i];
    auto report = [&](const std::string& why) { problems[row.line].push_back(why); };
    if (!row.error.empty()) {
      report(row.error);
      ++bad;
      continue;
    }
    if (row.cells.size() != header.size()) {
      report(absl::StrCat("has ", row.cells.size(), " cells, the header has ", header.size()));
      ++bad;
      continue;
    }
    std::vector<std::pair<std::string, std::string>> pairs;
    for (size_t k = 0; k < header.size(); ++k) {
      if (!row.cells[k].empty()) pairs.emplace_back(header[k], row.cells[k]);
    }
    auto fields = c->ParseFields(form_id, pairs);
    if (!fields.ok() && client::FieldErrorsOf(fields.status()).empty()) {
      return Fail(fields.status(), cfg);  // e.g. the form is not cached: nothing can work
    }
    if (!fields.ok()) {
      for (const auto& e : client::FieldErrorsOf(fields.status())) {
        report(absl::StrCat("field ", e.field, ": ", e.description));
      }
      ++bad;
      continue;
    }
    valid.push_back(*std::move(fields));
    valid_lines.push_back(row.line);
  }
  int imported = 0;
  if (!valid.empty()) {
    auto results = c->CreateMany(form_id, valid);
    for (size_t i = 0; i < results.size(); ++i) {
      if (results[i].ok()) {
        ++imported;
        continue;
      }
      const absl::Status& s = results[i].status();
      if (s.code() == absl::StatusCode::kResourceExhausted) return Fail(s, cfg);
      auto errors = client::FieldErrorsOf(s);
      if (errors.empty()) problems[valid_lines[i]].push_back(std::string(s.message()));
      for (const auto& e : errors) {
        problems[valid_lines[i]].push_back(absl::StrCat("field ", e.field, ": ", e.description));
      }
      ++bad;
    }
  }
  // Both passes' problems, in line order.
  for (const auto& [line, whys] : problems) {
    for (const auto& why : whys) std::cout << args[2] << ":" << line << ": " << why << "\n";
  }
  std::cout << "imported " << imported << " of " << rows.size() - 1 << " rows";
  if (bad > 0) std::cout << "; " << bad << " rows with errors (fix them and import those again)";
  std::cout << "\n";
  return bad > 0 ? kPartial : kOk;
}

int CmdSync(Client* c, const Config& cfg) {
  CliObserver obs(isatty(STDOUT_FILENO) != 0);
  auto r = c->Sync(&obs);
  obs.EndLine();
  if (!r.ok()) return Fail(r.status(), cfg);
  std::cout << "sync done: sent " << r->pushed << " (applied " << r->applied << ", merged "
            << r->merged << ", duplicates " << r->duplicates << ", conflicts " << r->conflicts
            << ", rejected " << r->rejected << "); received " << r->pulled;
  if (r->removed > 0) std::cout << "; removed " << r->removed << " (left this device's scope)";
  if (r->resynced) std::cout << "; full resync";
  std::cout << "\n";
  return kOk;
}

int CmdStatus(Client* c, const Config& cfg) {
  auto s = c->GetStatus();
  if (!s.ok()) return Fail(s.status(), cfg);
  std::cout << "server:     " << (cfg.server.empty() ? "(not configured)" : cfg.server) << "\n"
            << "records:    " << s->records << "\n"
            << "pending:    " << s->pending;
  if (s->pending > 0) std::cout << " (oldest " << s->oldest_unsent_age_ms / 1000 << " s)";
  std::cout << "\n"
            << "rejected:   " << s->rejected << "\n"
            << "conflicts:  " << s->conflicts << "\n"
            << "last sync:  " << Ago(s->last_sync_ms) << "\n";
  if (!s->last_error.empty()) std::cout << "last error: " << s->last_error << "\n";
  for (const auto& p : s->problems) {
    std::cout << "  " << client::OutcomeName(p.outcome) << " record " << p.record_id << " (edit #"
              << p.device_seq << ")";
    if (!p.conflict_fields.empty())
      std::cout << " fields " << absl::StrJoin(p.conflict_fields, ",");
    std::cout << "\n";
    for (const auto& e : p.errors) {
      std::cout << "    field " << e.field << ": " << e.description << "\n";
    }
  }
  return kOk;
}

int CmdReceipts(Client* c, const Config& cfg, const std::vector<std::string>& args) {
  uint64_t since = 0;
  if (args.size() == 3 && args[1] == "--since") since = strtoull(args[2].c_str(), nullptr, 10);
  auto rs = c->Receipts(since, 1000);
  if (!rs.ok()) return Fail(rs.status(), cfg);
  for (const auto& r : *rs) {
    std::cout << "#" << r.device_seq << "  " << r.record_id << "  "
              << client::OutcomeName(r.outcome) << "  v" << r.record_version << "\n";
  }
  return kOk;
}

int CmdForms(Client* c, const Config& cfg) {
  auto forms = c->Forms();
  if (!forms.ok()) return Fail(forms.status(), cfg);
  for (const auto& f : *forms) {
    std::cout << f.form_id << " v" << f.version << "  " << f.title
              << (f.append_only ? "  (append-only)" : "") << "\n";
    for (const auto& fd : f.fields) {
      std::cout << "  " << fd.name << "  " << fd.type << (fd.required ? "  required" : "");
      if (!fd.choices.empty()) std::cout << "  [" << absl::StrJoin(fd.choices, "|") << "]";
      std::cout << "\n";
    }
  }
  return kOk;
}

int CmdBundle(Client* c, const Config& cfg, const std::vector<std::string>& args) {
  if (args.size() == 3 && args[1] == "export") {
    auto n = c->ExportBundle(args[2]);
    if (!n.ok()) return Fail(n.status(), cfg);
    std::cout << "wrote " << *n << " pending edits to " << args[2]
              << "; they stay pending here until the receipts come back\n";
    return kOk;
  }
  if ((args.size() == 3 || args.size() == 4) && args[1] == "import") {
    bool ok = false;
    const std::string head = ReadFile(args[2], &ok).substr(0, 8);
    if (!ok) {
      std::cerr << "fieldsync: cannot read " << args[2] << "\n";
      return kFailed;
    }
    if (head == std::string("FSRCPTS\0", 8)) {
      auto n = c->ImportReceipts(args[2]);
      if (!n.ok()) return Fail(n.status(), cfg);
      std::cout << "applied " << *n << " receipts\n";
      return kOk;
    }
    const std::string out = args.size() == 4 ? args[3] : args[2] + ".receipts";
    auto rs = c->ImportBundleOnServer(args[2], out);
    if (!rs.ok()) return Fail(rs.status(), cfg);
    std::map<std::string, int> counts;
    for (const auto& r : *rs) ++counts[client::OutcomeName(r.outcome)];
    std::cout << "imported " << rs->size() << " mutations:";
    for (const auto& [k, n] : counts) std::cout << " " << k << " " << n;
    std::cout << "\nreceipts file for the device: " << out << "\n";
    return kOk;
  }
  std::cerr << kUsageText;
  return kUsage;
}

int Run(int argc, char** argv) {
  std::vector<std::string> args(argv + 1, argv + argc);
  std::string dir;
  if (const char* env = getenv("FIELDSYNC_DATA_DIR"); env != nullptr && *env) dir = env;
  if (args.size() >= 2 && args[0] == "--data-dir") {
    dir = args[1];
    args.erase(args.begin(), args.begin() + 2);
  }
  if (dir.empty()) {
    const char* home = getenv("HOME");
    dir = std::string(home != nullptr ? home : ".") + "/.fieldsync";
  }
  if (args.empty() || args[0] == "help" || args[0] == "--help") {
    std::cout << kUsageText;
    return args.empty() ? kUsage : kOk;
  }
  if (args[0] == "init") return CmdInit(dir, args);
  // Server-only commands: no local store is opened (a CronJob runs them without a data dir).
  if (args[0] == "stats") return CmdStats(dir, args);
  if (args[0] == "admin") return CmdAdmin(dir, args);
  Config cfg;
  if (!LoadConfig(dir, &cfg)) {
    std::cerr << "fieldsync: " << dir << " is not set up; run `fieldsync init` first\n";
    return kFailed;
  }
  auto c = OpenClient(dir, cfg);
  if (!c.ok()) return Fail(c.status(), cfg);
  const std::string& cmd = args[0];
  if (cmd == "record") return CmdRecord(c->get(), cfg, args);
  if (cmd == "import-csv") return CmdImportCsv(c->get(), cfg, args);
  if (cmd == "sync") return CmdSync(c->get(), cfg);
  if (cmd == "status") return CmdStatus(c->get(), cfg);
  if (cmd == "receipts") return CmdReceipts(c->get(), cfg, args);
  if (cmd == "forms") return CmdForms(c->get(), cfg);
  if (cmd == "bundle") return CmdBundle(c->get(), cfg, args);
  std::cerr << "fieldsync: unknown command " << cmd << "\n" << kUsageText;
  return kUsage;
}

}  // namespace
}  // namespace fieldsync::cli

int main(int argc, char** argv) { return fieldsync::cli::Run(argc, argv); }
