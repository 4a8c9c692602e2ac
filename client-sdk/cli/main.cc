// fieldsync: the command-line device for field staff and admins, built on the SDK.
//
//   fieldsync [--data-dir DIR] init --server HOST:PORT
//             (--enroll-code CODE | --token T | --token-file F)
//             [--ca-file PEM | --plaintext] [--device-id ID]
//   fieldsync record add FORM key=value...      fieldsync record edit ID key=value...
//   fieldsync record add --parent ID --repeat NAME key=value...   (a roster member)
//   fieldsync record delete ID                  fieldsync record get ID   (with its children)
//   fieldsync record list [FORM] [key=value...]
//   fieldsync import-csv FORM file.csv [--repeat NAME [--parent-column COL]]
//   fieldsync sync
//   fieldsync status                            fieldsync receipts [--since N]
//   fieldsync forms                      the forms cached on this device
//   fieldsync forms convert|publish FILE.xlsx   XLSForm import (forms_commands.h)
//   fieldsync bundle export FILE         (a post with no link: its outbox to a signed file)
//   fieldsync bundle import FILE [OUT]   a bundle file: admins at head office apply it on the
//                                        server and get the receipts file (OUT, default
//                                        FILE.receipts); a receipts file: back on the
//                                        device, applies the receipts
//   fieldsync export FORM --format csv|xlsx|geojson -o FILE ...   records as a file for
//                                        analysts (export_command.h)
//   fieldsync stats ...   fieldsync admin ...   statistics and fleet administration, straight
//                                        against the server (stats_command.h,
//                                        admin_commands.h)
//
// `fieldsync --help` and `fieldsync COMMAND --help` list the options (server/cmdline).
// Settings of every command, each a flag, else FIELDSYNC_<NAME>, else a line of the
// --config file: --data-dir (default ~/.fieldsync), --timeout-ms (per call),
// --max-attempts, --push-batch (mutations per push request).
// The data dir holds the local store and `config` (server, TLS, device id) and `token`
// (mode 600).
// Exit codes: 0 done; 1 failed (message on stderr); 2 usage; 3 import-csv stored only some
// rows.
#include <sys/stat.h>
#include <unistd.h>

#include <algorithm>
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
#include "client-sdk/cli/export_command.h"
#include "client-sdk/cli/forms_commands.h"
#include "client-sdk/cli/stats_command.h"
#include "fieldsync/client.h"
#include "server/cmdline/cmdline.h"
#include "server/common/status.h"

namespace fieldsync::cli {
namespace {

using client::Client;
using client::ClientOptions;

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

absl::StatusOr<std::unique_ptr<Client>> OpenClient(const Settings& settings, const Config& cfg) {
  ClientOptions o;
  o.data_dir = settings.data_dir;
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
  o.server.call_timeout_ms = settings.timeout_ms;
  o.max_attempts = settings.max_attempts;
  o.push_batch = settings.push_batch;
  o.language = settings.language;
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

struct InitArgs {
  Config cfg;
  std::string token_file, enroll_code, label;
};

int CmdInit(const Settings& settings, InitArgs args) {
  Config& cfg = args.cfg;
  const std::string& dir = settings.data_dir;
  const std::string& token_file = args.token_file;
  const std::string& enroll_code = args.enroll_code;
  const std::string& label = args.label;
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
  auto c = OpenClient(settings, cfg);
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

// Where `record add` puts a child record: --parent and --repeat ("" for a root record).
struct ChildArgs {
  std::string parent;
  std::string repeat;
};

// `record add FORM key=value...`, `record add --parent ID --repeat NAME key=value...` and
// `record edit ID key=value...`.
int CmdRecordWrite(Client* c, const Config& cfg, bool add, const std::string& target,
                   const std::vector<std::string>& pairs_text, const ChildArgs& child) {
  std::vector<std::string> words = pairs_text;
  std::string form_id = target;
  if (add && child.parent.empty() != child.repeat.empty()) {
    std::cerr << "fieldsync: --parent and --repeat go together\n";
    return kUsage;
  }
  if (add && !child.parent.empty()) {
    // The form is the parent's; a first word with '=' is a field.
    auto parent = c->Get(child.parent);
    if (!parent.ok()) return Fail(parent.status(), cfg);
    if (target.find('=') != std::string::npos) words.insert(words.begin(), target);
    if (!target.empty() && target.find('=') == std::string::npos && target != parent->form_id) {
      std::cerr << "fieldsync: record " << child.parent << " is a record of form "
                << parent->form_id << ", not " << target << "\n";
      return kUsage;
    }
    form_id = parent->form_id;
  } else if (add && target.empty()) {
    std::cerr << "fieldsync: record add needs a FORM (or --parent and --repeat)\n";
    return kUsage;
  }
  std::vector<std::pair<std::string, std::string>> pairs;
  if (!SplitPairs(words, 0, &pairs)) return kUsage;
  if (!add) {
    auto rec = c->Get(target);
    if (!rec.ok()) return Fail(rec.status(), cfg);
    form_id = rec->form_id;
  }
  auto fields = c->ParseFields(form_id, pairs);
  if (!fields.ok()) return Fail(fields.status(), cfg);
  if (add) {
    auto id = child.parent.empty() ? c->Create(form_id, *fields)
                                   : c->CreateChild(child.parent, child.repeat, *fields);
    if (!id.ok()) return Fail(id.status(), cfg);
    std::cout << *id << "\n";
    return kOk;
  }
  absl::Status s = c->Update(target, *fields);
  if (!s.ok()) return Fail(s, cfg);
  std::cout << "edited " << target << "\n";
  return kOk;
}

int CmdRecordDelete(Client* c, const Config& cfg, const std::string& id) {
  absl::Status s = c->Delete(id);
  if (!s.ok()) return Fail(s, cfg);
  std::cout << "deleted " << id << "\n";
  return kOk;
}

// Prints the children of `id` under it, indented by depth (repeat, ordinal first).
absl::Status PrintChildren(Client* c, const std::string& id, int depth) {
  if (depth > 32) return absl::OkStatus();  // repeats nest a few levels; never loop
  FS_ASSIGN_OR_RETURN(std::vector<client::Record> children, c->Children(id));
  for (const auto& child : children) {
    std::cout << std::string(2 * depth, ' ') << child.repeat << "[" << child.ordinal << "] ";
    PrintRecord(child);
    FS_RETURN_IF_ERROR(PrintChildren(c, child.record_id, depth + 1));
  }
  return absl::OkStatus();
}

int CmdRecordGet(Client* c, const Config& cfg, const std::string& id) {
  auto rec = c->Get(id);
  if (!rec.ok()) return Fail(rec.status(), cfg);
  if (rec->parent_record_id.empty()) {
    PrintRecord(*rec);
  } else {
    std::cout << rec->repeat << "[" << rec->ordinal << "] of " << rec->parent_record_id << ": ";
    PrintRecord(*rec);
  }
  absl::Status s = PrintChildren(c, id, 1);
  if (!s.ok()) return Fail(s, cfg);
  return kOk;
}

// `record list [FORM] [key=value...]`.
int CmdRecordList(Client* c, const Config& cfg, const std::vector<std::string>& args) {
  client::Query q;
  size_t from = 0;
  if (!args.empty() && args[0].find('=') == std::string::npos) {
    q.form_id = args[0];
    from = 1;
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

// `import-csv FORM file.csv --repeat NAME [--parent-column COL]`: each row is a child record
// (an instance of repeat NAME) under the record whose id is in column COL.
struct CsvChildArgs {
  std::string repeat;
  std::string parent_column = "parent_record_id";
};

int CmdImportCsv(Client* c, const Config& cfg, const std::string& form_id,
                 const std::string& csv_path, const CsvChildArgs& child) {
  bool ok = false;
  const std::string text = ReadFile(csv_path, &ok);
  if (!ok) {
    std::cerr << "fieldsync: cannot read " << csv_path << "\n";
    return kFailed;
  }
  std::vector<CsvRow> rows = ParseCsv(text);
  if (rows.empty()) {
    std::cerr << "fieldsync: " << csv_path << " is empty (the first row must name the fields)\n";
    return kFailed;
  }
  const std::vector<std::string>& header = rows[0].cells;
  // With --repeat, the parent column names each row's parent and is no field.
  size_t parent_col = header.size();
  if (!child.repeat.empty()) {
    parent_col = std::find(header.begin(), header.end(), child.parent_column) - header.begin();
    if (parent_col == header.size()) {
      std::cerr << "fieldsync: " << csv_path << " has no column " << child.parent_column
                << " (the parent record id of each row)\n";
      return kFailed;
    }
  }
  std::vector<client::Fields> valid;
  std::vector<std::string> valid_parents;
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
      if (k != parent_col && !row.cells[k].empty()) pairs.emplace_back(header[k], row.cells[k]);
    }
    if (parent_col < header.size() && row.cells[parent_col].empty()) {
      report(absl::StrCat("field ", child.parent_column, ": the parent record id is missing"));
      ++bad;
      continue;
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
    valid_parents.push_back(parent_col < header.size() ? row.cells[parent_col] : "");
    valid_lines.push_back(row.line);
  }
  int imported = 0;
  if (!valid.empty()) {
    std::vector<absl::StatusOr<std::string>> results;
    if (child.repeat.empty()) {
      results = c->CreateMany(form_id, valid);
    } else {
      for (size_t i = 0; i < valid.size(); ++i) {
        results.push_back(c->CreateChild(valid_parents[i], child.repeat, valid[i]));
      }
    }
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
    for (const auto& why : whys) std::cout << csv_path << ":" << line << ": " << why << "\n";
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

int CmdReceipts(Client* c, const Config& cfg, uint64_t since) {
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

int CmdBundleExport(Client* c, const Config& cfg, const std::string& path) {
  auto n = c->ExportBundle(path);
  if (!n.ok()) return Fail(n.status(), cfg);
  std::cout << "wrote " << *n << " pending edits to " << path
            << "; they stay pending here until the receipts come back\n";
  return kOk;
}

// A receipts file is applied here; a bundle is imported on the server (receipts to `out`,
// default PATH.receipts).
int CmdBundleImport(Client* c, const Config& cfg, const std::string& path,
                    const std::string& out_arg) {
  bool ok = false;
  const std::string head = ReadFile(path, &ok).substr(0, 8);
  if (!ok) {
    std::cerr << "fieldsync: cannot read " << path << "\n";
    return kFailed;
  }
  if (head == std::string("FSRCPTS\0", 8)) {
    auto n = c->ImportReceipts(path);
    if (!n.ok()) return Fail(n.status(), cfg);
    std::cout << "applied " << *n << " receipts\n";
    return kOk;
  }
  const std::string out = out_arg.empty() ? path + ".receipts" : out_arg;
  auto rs = c->ImportBundleOnServer(path, out);
  if (!rs.ok()) return Fail(rs.status(), cfg);
  std::map<std::string, int> counts;
  for (const auto& r : *rs) ++counts[client::OutcomeName(r.outcome)];
  std::cout << "imported " << rs->size() << " mutations:";
  for (const auto& [k, n] : counts) std::cout << " " << k << " " << n;
  std::cout << "\nreceipts file for the device: " << out << "\n";
  return kOk;
}

// Runs `body` with the data dir's client (commands that work on the local store).
int WithClient(const Settings& settings, const std::function<int(Client*, const Config&)>& body) {
  Config cfg;
  if (!LoadConfig(settings.data_dir, &cfg)) {
    std::cerr << "fieldsync: " << settings.data_dir
              << " is not set up; run `fieldsync init` first\n";
    return kFailed;
  }
  auto c = OpenClient(settings, cfg);
  if (!c.ok()) return Fail(c.status(), cfg);
  return body(c->get(), cfg);
}

// The command table: every command, its arguments and options, and what it runs.
class Commands {
 public:
  explicit Commands(CLI::App* app) : app_(app), cl_(app) {}

  void Declare() {
    const char* home = getenv("HOME");
    settings_.data_dir = std::string(home != nullptr ? home : ".") + "/.fieldsync";
    const ClientOptions defaults;
    settings_.timeout_ms = defaults.server.call_timeout_ms;
    settings_.max_attempts = defaults.max_attempts;
    settings_.push_batch = defaults.push_batch;
    // Settings may also follow the command (`fieldsync sync --data-dir D`).
    app_->fallthrough();
    app_->require_subcommand(1);
    cl_.AddConfigOption(app_);
    cl_.Add(app_, "--data-dir", &settings_.data_dir, "the device's local store and config");
    cl_.Add(app_, "--timeout-ms", &settings_.timeout_ms, "deadline per server call")
        ->check(CLI::PositiveNumber);
    cl_.Add(app_, "--max-attempts", &settings_.max_attempts,
            "sync attempts without progress before giving up")
        ->check(CLI::PositiveNumber);
    cl_.Add(app_, "--push-batch", &settings_.push_batch, "mutations per push request")
        ->check(CLI::Range(1, 100'000));
    cl_.Add(app_, "--language", &settings_.language,
            "language of the form's messages, as the form names it (\"Arabic (ar)\")");
    DeclareInit();
    DeclareRecord();
    DeclareLocal();
    DeclareServerOnly();
    Add(app_, "help", "", [this] {
      // The root's help (app_->help() would describe the chosen `help` command).
      std::cout << app_->get_formatter()->make_help(app_, app_->get_name(),
                                                    CLI::AppFormatMode::Normal);
      return kOk;
    })->group("");  // hidden: `fieldsync help` as before, same text as --help
  }

  int Run(int argc, char** argv) {
    if (auto exit_code = cl_.ParseOrExit(argc, argv, cmdline::ProcessEnvironment())) {
      return *exit_code;
    }
    return run_();
  }

 private:
  // A subcommand of `parent`; when it is chosen, `run_` becomes `body`.
  CLI::App* Add(CLI::App* parent, const std::string& name, const std::string& help,
                std::function<int()> body) {
    CLI::App* cmd = parent->add_subcommand(name, help);
    cmd->callback([this, body = std::move(body)] { run_ = body; });
    return cmd;
  }
  // The same for a command on the local store.
  CLI::App* AddLocal(CLI::App* parent, const std::string& name, const std::string& help,
                     std::function<int(Client*, const Config&)> body) {
    return Add(parent, name, help,
               [this, body = std::move(body)] { return WithClient(settings_, body); });
  }

  void DeclareInit() {
    CLI::App* init = Add(app_, "init", "set up the data dir for a server, enrolling if asked",
                         [this] { return CmdInit(settings_, init_); });
    init->add_option("--server", init_.cfg.server, "HOST:PORT")->required();
    init->add_option("--enroll-code", init_.enroll_code, "a one-time enrollment code");
    init->add_option("--token", init_.cfg.token, "this device's token");
    init->add_option("--token-file", init_.token_file, "a file holding the token");
    init->add_option("--ca-file", init_.cfg.ca_file, "CA to trust (TLS)");
    init->add_flag("--plaintext", init_.cfg.plaintext, "no TLS (development server)");
    init->add_option("--device-id", init_.cfg.device_id, "device id (default: the host name)");
    init->add_option("--label", init_.label, "label shown to admins when enrolling");
  }

  void DeclareRecord() {
    CLI::App* record = app_->add_subcommand("record", "records on this device");
    record->require_subcommand(1);
    CLI::App* add =
        AddLocal(record, "add", "create a record", [this](Client* c, const Config& cfg) {
          return CmdRecordWrite(c, cfg, /*add=*/true, target_, words_, child_);
        });
    add->add_option("form", target_, "form id (not with --parent: the parent's form)");
    add->add_option("fields", words_, "key=value ...");
    add->add_option("--parent", child_.parent, "the record a roster member belongs to");
    add->add_option("--repeat", child_.repeat, "the repeat of the parent's form (e.g. members)");
    CLI::App* edit =
        AddLocal(record, "edit", "change fields of a record", [this](Client* c, const Config& cfg) {
          return CmdRecordWrite(c, cfg, /*add=*/false, target_, words_, ChildArgs{});
        });
    edit->add_option("id", target_, "record id")->required();
    edit->add_option("fields", words_, "key=value ...");
    AddLocal(record, "delete", "delete a record",
             [this](Client* c, const Config& cfg) { return CmdRecordDelete(c, cfg, target_); })
        ->add_option("id", target_, "record id")
        ->required();
    AddLocal(record, "get", "print a record",
             [this](Client* c, const Config& cfg) { return CmdRecordGet(c, cfg, target_); })
        ->add_option("id", target_, "record id")
        ->required();
    AddLocal(record, "list", "list records, of a form and with field values if given",
             [this](Client* c, const Config& cfg) { return CmdRecordList(c, cfg, words_); })
        ->add_option("filter", words_, "[FORM] [key=value ...]");
  }

  void DeclareLocal() {
    CLI::App* csv = AddLocal(app_, "import-csv", "create one record per CSV row",
                             [this](Client* c, const Config& cfg) {
                               return CmdImportCsv(c, cfg, target_, path_, csv_child_);
                             });
    csv->add_option("form", target_, "form id")->required();
    csv->add_option("file", path_, "CSV file; the first row names the fields")->required();
    csv->add_option("--repeat", csv_child_.repeat,
                    "rows are instances of this repeat (roster members), each under the "
                    "record named in the parent column");
    csv->add_option("--parent-column", csv_child_.parent_column,
                    "with --repeat: the column holding each row's parent record id");
    AddLocal(app_, "sync", "send pending edits, receive the scope's changes", CmdSync);
    AddLocal(app_, "status", "pending, rejected and conflicting edits", CmdStatus);
    AddLocal(app_, "receipts", "the server's receipts for this device",
             [this](Client* c, const Config& cfg) { return CmdReceipts(c, cfg, since_); })
        ->add_option("--since", since_, "from this device seq");
    // `forms` alone lists the cached forms; `forms convert|publish FILE.xlsx` is XLSForm
    // import (forms_commands.h), which needs no local store.
    CLI::App* forms =
        Add(app_, "forms", "the cached forms; forms convert|publish FILE.xlsx (XLSForm import)",
            [this] {
              std::vector<std::string> args = {"forms"};
              for (auto& a : app_->get_subcommand("forms")->remaining()) {
                args.push_back(std::move(a));
              }
              if (args.size() == 1) return WithClient(settings_, CmdForms);
              return CmdFormsFile(settings_, args);
            });
    forms->prefix_command();
    forms->fallthrough(false);
    forms->set_help_flag();
    CLI::App* bundle = app_->add_subcommand("bundle", "offline bundle files (USB stick)");
    bundle->require_subcommand(1);
    AddLocal(bundle, "export", "write the outbox to a signed bundle file",
             [this](Client* c, const Config& cfg) { return CmdBundleExport(c, cfg, path_); })
        ->add_option("file", path_, "bundle file to write")
        ->required();
    CLI::App* import = AddLocal(
        bundle, "import",
        "a bundle: apply it on the server (admin) and write the receipts file; a receipts "
        "file: apply it here",
        [this](Client* c, const Config& cfg) { return CmdBundleImport(c, cfg, path_, out_); });
    import->add_option("file", path_, "bundle or receipts file")->required();
    import->add_option("out", out_, "receipts file to write (default FILE.receipts)");
  }

  // `stats`, `admin` and `export` talk to the server directly; no local store is opened (a CronJob
  // runs them without a data dir). Their own arguments are parsed by stats_command.h and
  // admin_commands.h.
  void DeclareServerOnly() {
    const std::vector<std::pair<std::string, std::string>> commands = {
        {"stats", "aggregated statistics (`fieldsync stats help`)"},
        {"admin", "fleet, conflicts, quarantine, backups (`fieldsync admin help`)"},
        {"export", "a form's records as CSV, XLSX or GeoJSON (`fieldsync export help`)"}};
    for (const auto& [name, help] : commands) {
      CLI::App* cmd = Add(app_, name, help, [this, name = name] {
        std::vector<std::string> args = {name};
        for (auto& a : app_->get_subcommand(name)->remaining()) args.push_back(std::move(a));
        if (name == "stats") return CmdStats(settings_, args);
        if (name == "export") return CmdExport(settings_, args);
        return CmdAdmin(settings_, args);
      });
      cmd->prefix_command();
      cmd->fallthrough(false);
      cmd->set_help_flag();  // `stats --help` is answered by the command itself
    }
  }

  CLI::App* app_;
  cmdline::CommandLine cl_;
  Settings settings_;
  std::function<int()> run_;
  InitArgs init_;
  std::string target_, path_, out_;
  std::vector<std::string> words_;
  ChildArgs child_;
  CsvChildArgs csv_child_;
  uint64_t since_ = 0;
};

}  // namespace
}  // namespace fieldsync::cli

int main(int argc, char** argv) {
  CLI::App app(
      "The fieldsync field device. A setting comes from its flag, else FIELDSYNC_<NAME>, "
      "else the --config file.",
      "fieldsync");
  fieldsync::cli::Commands commands(&app);
  commands.Declare();
  return commands.Run(argc, argv);
}
