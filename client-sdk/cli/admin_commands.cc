#include "client-sdk/cli/admin_commands.h"

#include <algorithm>
#include <ctime>
#include <iostream>
#include <map>
#include <set>
#include <utility>

#include "absl/strings/numbers.h"
#include "absl/strings/str_cat.h"
#include "absl/strings/str_join.h"
#include "client-sdk/cli/cli_common.h"
#include "client-sdk/cli/server_connection.h"
#include "client-sdk/cli/webhook_commands.h"
#include "client-sdk/src/values.h"
#include "fieldsync/v1/admin.grpc.pb.h"
#include "fieldsync/v1/forms.grpc.pb.h"

namespace fieldsync::cli {
namespace {

constexpr char kAdminUsage[] =
    "usage: fieldsync admin COMMAND ...\n"
    "  devices [--status silent|behind|in_sync] [--role R]\n"
    "  overview\n"
    "  conflicts [--form F] [--open | --closed | --all]   (default: open ones)\n"
    "  conflict get RECORD DEVICE SEQ [FIELD]\n"
    "  conflict resolve RECORD DEVICE SEQ [FIELD] (--take server|device | --value V)\n"
    "                   --reason TEXT\n"
    "  quarantine [--device D] [--form F]\n"
    "  quarantine replay DEVICE SEQ [--form-version N] [--reason TEXT]\n"
    "  quarantine discard DEVICE SEQ --reason TEXT\n"
    "  backup create [--verify]   backup list   backup verify ID\n"
    "  webhooks add URL --secret-file F [--form F] [--scope F=V] [--events E,...] [--disabled]\n"
    "  webhooks list | remove ID | dead ID | replay ID [--seq N]\n"
    "  connection: the data dir's config, or --server HOST:PORT --token-file F\n"
    "              [--ca-file PEM | --plaintext]\n";

// Backups copy the whole database: allow them far more than a query.
constexpr int64_t kBackupTimeoutMs = 3'600'000;

int Usage(const std::string& why) {
  if (!why.empty()) std::cerr << "fieldsync admin: " << why << "\n";
  std::cerr << kAdminUsage;
  return kUsage;
}

int FailAdmin(const absl::Status& s, const Config& cfg) {
  std::cerr << "fieldsync: " << ExplainServerCall(s, cfg, "request refused:") << "\n";
  if (s.code() == absl::StatusCode::kPermissionDenied) {
    std::cerr << "`fieldsync admin` needs a token of a device with the admin role (conflict "
                 "review: a supervisor too, within its scopes); this one has not.\n";
  }
  return kFailed;
}

int64_t NowMs() { return static_cast<int64_t>(time(nullptr)) * 1000; }

// Positional arguments and --flag values (`--flag V` or `--flag=V`) after args[from].
struct Parsed {
  std::vector<std::string> positional;
  std::map<std::string, std::string> values;
  std::set<std::string> switches;
  std::string error;
};

Parsed Parse(const std::vector<std::string>& args, size_t from,
             const std::set<std::string>& value_flags, const std::set<std::string>& switch_flags) {
  Parsed p;
  for (size_t i = from; i < args.size(); ++i) {
    const std::string& a = args[i];
    if (a.rfind("--", 0) != 0) {
      p.positional.push_back(a);
      continue;
    }
    const auto eq = a.find('=');
    const std::string name = a.substr(0, eq);
    if (switch_flags.count(name) && eq == std::string::npos) {
      p.switches.insert(name);
    } else if (value_flags.count(name) && eq != std::string::npos) {
      p.values[name] = a.substr(eq + 1);
    } else if (value_flags.count(name) && i + 1 < args.size()) {
      p.values[name] = args[++i];
    } else {
      p.error = absl::StrCat("bad argument ", a);
      return p;
    }
  }
  return p;
}

std::string ValueText(const v1::Value& v) {
  if (v.kind_case() == v1::Value::KIND_NOT_SET) return "(empty)";
  return client::ValueToString(client::FromProto(v));
}

std::string StatusName(v1::DeviceStatus s) {
  switch (s) {
    case v1::IN_SYNC:
      return "in_sync";
    case v1::BEHIND:
      return "behind";
    case v1::SILENT:
      return "silent";
    default:
      return "?";
  }
}

// ---- devices, overview ------------------------------------------------------------------

int Devices(const ServerConnection& conn, const std::vector<std::string>& args) {
  Parsed p = Parse(args, 2, {"--status", "--role"}, {});
  if (!p.error.empty() || !p.positional.empty()) return Usage(p.error);
  v1::ListDevicesRequest req;
  req.set_role(p.values["--role"]);
  if (p.values.count("--status")) {
    const std::string& s = p.values["--status"];
    if (s == "silent") {
      req.set_status(v1::SILENT);
    } else if (s == "behind") {
      req.set_status(v1::BEHIND);
    } else if (s == "in_sync") {
      req.set_status(v1::IN_SYNC);
    } else {
      return Usage("--status is one of silent, behind, in_sync");
    }
  }
  auto stub = v1::AdminService::NewStub(conn.channel);
  std::vector<std::vector<std::string>> rows;
  do {
    v1::ListDevicesResponse resp;
    absl::Status s = FromGrpcStatus(stub->ListDevices(conn.Context().get(), req, &resp));
    if (!s.ok()) return FailAdmin(s, conn.config);
    for (const auto& d : resp.devices()) {
      rows.push_back({d.device_id(), d.role() + (d.revoked() ? " (revoked)" : ""),
                      StatusName(d.status()), AgeText(d.last_seen_ms(), resp.server_time_ms()),
                      absl::StrCat(d.cursor_lag()), absl::StrCat(d.report().outbox_depth()),
                      absl::StrCat(d.open_conflicts()), absl::StrCat(d.quarantined())});
    }
    req.set_page_token(resp.next_page_token());
  } while (!req.page_token().empty());
  PrintTable(
      std::cout,
      {"device", "role", "status", "last seen", "cursor lag", "outbox", "conflicts", "quarantined"},
      rows, {4, 5, 6, 7});
  std::cout << rows.size() << " devices\n";
  return kOk;
}

int Overview(const ServerConnection& conn, const std::vector<std::string>& args) {
  if (args.size() != 2) return Usage("overview takes no arguments");
  auto stub = v1::AdminService::NewStub(conn.channel);
  v1::SyncOverview o;
  absl::Status s =
      FromGrpcStatus(stub->GetSyncOverview(conn.Context().get(), v1::GetSyncOverviewRequest(), &o));
  if (!s.ok()) return FailAdmin(s, conn.config);
  std::cout << "devices:        " << o.devices() << " (in sync " << o.in_sync() << ", behind "
            << o.behind() << ", silent " << o.silent() << ", revoked " << o.revoked() << ")\n"
            << "open conflicts: " << o.open_conflicts() << "\n"
            << "quarantined:    " << o.quarantined() << "\n"
            << "outbox backlog: " << o.outbox_depth() << " edits reported by devices\n"
            << "head seq:       " << o.head_seq() << "\n"
            << "silent after:   " << o.silent_after_ms() / 1000 << " s\n";
  if (o.silent_devices_size() > 0) {
    std::cout << "\nsilent devices (longest silent first):\n";
    std::vector<std::vector<std::string>> rows;
    for (const auto& d : o.silent_devices()) {
      rows.push_back({d.device_id(), d.role(), AgeText(d.last_seen_ms(), o.server_time_ms()),
                      absl::StrCat(d.report().outbox_depth())});
    }
    PrintTable(std::cout, {"device", "role", "last seen", "outbox"}, rows, {3});
  }
  if (o.backlog_size() > 0) {
    std::cout << "\nbacklog by scope:\n";
    std::vector<std::vector<std::string>> rows;
    for (const auto& b : o.backlog()) {
      rows.push_back(
          {absl::StrCat(b.scope().field(), "=", b.scope().value()), absl::StrCat(b.devices()),
           absl::StrCat(b.silent_devices()), absl::StrCat(b.outbox_depth()),
           absl::StrCat(b.quarantined()), absl::StrCat(b.open_conflicts()),
           b.oldest_unsent_age_ms() > 0
               ? AgeText(o.server_time_ms() - b.oldest_unsent_age_ms(), o.server_time_ms())
               : "-"});
    }
    PrintTable(
        std::cout,
        {"scope", "devices", "silent", "outbox", "quarantined", "conflicts", "oldest unsent"}, rows,
        {1, 2, 3, 4, 5});
  }
  return kOk;
}

// ---- conflicts ----------------------------------------------------------------------------

void PrintConflict(const v1::Conflict& c) {
  const auto& k = c.key();
  std::cout << "conflict " << k.record_id() << " " << k.device_id() << " " << k.device_seq() << " "
            << (k.field().empty() ? "(whole record)" : k.field()) << "\n"
            << "  form:          " << c.form_id() << " (record now at version "
            << c.record_version() << ")\n"
            << "  state:         " << (c.open() ? "open" : "closed") << ", met at change "
            << c.seq() << ", " << AgeText(c.created_ms(), NowMs()) << "\n"
            << "  kind:          " << (c.delete_conflict() ? "delete against edit" : "edit")
            << ", base version " << c.base_version() << "\n"
            << "  server value:  " << ValueText(c.server_value()) << "  (by " << c.server_writer()
            << ")\n"
            << "  device value:  " << ValueText(c.device_value()) << "  (by " << c.device_writer()
            << ")\n"
            << "  policy kept:   " << (c.device_won() ? "device" : "server") << "\n";
  std::vector<std::string> scope;
  for (const auto& g : c.scope()) scope.push_back(absl::StrCat(g.field(), "=", g.value()));
  if (!scope.empty()) std::cout << "  scope:         " << absl::StrJoin(scope, " ") << "\n";
}

int Conflicts(const ServerConnection& conn, const std::vector<std::string>& args) {
  Parsed p = Parse(args, 2, {"--form"}, {"--open", "--closed", "--all"});
  if (!p.error.empty() || !p.positional.empty()) return Usage(p.error);
  if (p.switches.size() > 1) return Usage("--open, --closed and --all exclude each other");
  v1::ListConflictsRequest req;
  req.set_form_id(p.values["--form"]);
  req.set_state(p.switches.count("--all")      ? v1::ListConflictsRequest::ALL
                : p.switches.count("--closed") ? v1::ListConflictsRequest::CLOSED
                                               : v1::ListConflictsRequest::OPEN);
  auto stub = v1::AdminService::NewStub(conn.channel);
  std::vector<std::vector<std::string>> rows;
  do {
    v1::ListConflictsResponse resp;
    absl::Status s = FromGrpcStatus(stub->ListConflicts(conn.Context().get(), req, &resp));
    if (!s.ok()) return FailAdmin(s, conn.config);
    for (const auto& c : resp.conflicts()) {
      const auto& k = c.key();
      rows.push_back({k.record_id(), k.device_id(), absl::StrCat(k.device_seq()),
                      k.field().empty() ? "-" : k.field(), c.form_id(), ValueText(c.server_value()),
                      ValueText(c.device_value()), c.open() ? "open" : "closed"});
    }
    req.set_page_token(resp.next_page_token());
  } while (!req.page_token().empty());
  PrintTable(std::cout,
             {"record", "device", "seq", "field", "form", "server value", "device value", "state"},
             rows, {2});
  std::cout << rows.size() << " conflicts";
  if (!rows.empty())
    std::cout << " (resolve: fieldsync admin conflict resolve RECORD DEVICE SEQ "
                 "[FIELD] ...; \"-\" is a whole-record conflict)";
  std::cout << "\n";
  return kOk;
}

// RECORD DEVICE SEQ [FIELD] -> key; false (with *error) if malformed.
bool ParseConflictKey(const std::vector<std::string>& pos, v1::ConflictKey* key,
                      std::string* error) {
  if (pos.size() != 3 && pos.size() != 4) {
    *error = "a conflict is named RECORD DEVICE SEQ [FIELD] (see `fieldsync admin conflicts`)";
    return false;
  }
  uint64_t seq = 0;
  if (!absl::SimpleAtoi(pos[2], &seq) || seq == 0) {
    *error = absl::StrCat("SEQ must be a positive number, got \"", pos[2], "\"");
    return false;
  }
  key->set_record_id(pos[0]);
  key->set_device_id(pos[1]);
  key->set_device_seq(seq);
  if (pos.size() == 4 && pos[3] != "-") key->set_field(pos[3]);
  return true;
}

// Parses `text` by the type `field` has in the latest version of `form_id`.
absl::StatusOr<v1::Value> ParseFieldValue(const ServerConnection& conn, const std::string& form_id,
                                          const std::string& field, const std::string& text) {
  auto forms = v1::FormService::NewStub(conn.channel);
  v1::GetFormRequest req;
  req.set_form_id(form_id);
  v1::Form form;
  absl::Status s = FromGrpcStatus(forms->GetForm(conn.Context().get(), req, &form));
  if (!s.ok()) return s;
  for (const auto& def : form.fields()) {
    if (def.name() != field) continue;
    auto value = client::ParseText(def.type(), text);
    if (!value.ok()) {
      return absl::InvalidArgumentError(
          absl::StrCat("--value for field ", field, ": ", value.status().message()));
    }
    v1::Value out;
    client::ToProto(*value, &out);
    return out;
  }
  return absl::InvalidArgumentError(
      absl::StrCat("--value: form ", form_id, " has no field \"", field,
                   "\" (whole-record conflicts take --take server|device)"));
}

int Conflict(const ServerConnection& conn, const std::vector<std::string>& args) {
  if (args.size() < 3) return Usage("conflict get|resolve ...");
  const std::string& sub = args[2];
  auto stub = v1::AdminService::NewStub(conn.channel);
  if (sub == "get") {
    Parsed p = Parse(args, 3, {}, {});
    v1::GetConflictRequest req;
    std::string error = p.error;
    if (!error.empty() || !ParseConflictKey(p.positional, req.mutable_key(), &error)) {
      return Usage(error);
    }
    v1::Conflict c;
    absl::Status s = FromGrpcStatus(stub->GetConflict(conn.Context().get(), req, &c));
    if (!s.ok()) return FailAdmin(s, conn.config);
    PrintConflict(c);
    return kOk;
  }
  if (sub != "resolve") return Usage(absl::StrCat("unknown conflict command ", sub));
  Parsed p = Parse(args, 3, {"--take", "--value", "--reason"}, {});
  v1::ResolveConflictRequest req;
  std::string error = p.error;
  if (!error.empty() || !ParseConflictKey(p.positional, req.mutable_key(), &error)) {
    return Usage(error);
  }
  if (p.values.count("--take") == p.values.count("--value")) {
    return Usage("give one of --take server|device or --value V");
  }
  if (!p.values.count("--reason") || p.values["--reason"].empty()) {
    return Usage("--reason TEXT is required (it is kept in the audit log)");
  }
  req.set_reason(p.values["--reason"]);
  if (p.values.count("--take")) {
    const std::string& take = p.values["--take"];
    if (take == "server") {
      req.set_choice(v1::ResolveConflictRequest::SERVER);
    } else if (take == "device") {
      req.set_choice(v1::ResolveConflictRequest::DEVICE);
    } else {
      return Usage("--take is server or device");
    }
  } else {
    // The value's type comes from the form: look the conflict up for its form.
    v1::GetConflictRequest get;
    *get.mutable_key() = req.key();
    v1::Conflict c;
    absl::Status s = FromGrpcStatus(stub->GetConflict(conn.Context().get(), get, &c));
    if (!s.ok()) return FailAdmin(s, conn.config);
    if (req.key().field().empty()) {
      return Usage("a whole-record conflict takes --take server|device, not --value");
    }
    auto value = ParseFieldValue(conn, c.form_id(), req.key().field(), p.values["--value"]);
    if (!value.ok()) return FailAdmin(value.status(), conn.config);
    req.set_choice(v1::ResolveConflictRequest::VALUE);
    *req.mutable_value() = *std::move(value);
  }
  v1::ResolveConflictResponse resp;
  absl::Status s = FromGrpcStatus(stub->ResolveConflict(conn.Context().get(), req, &resp));
  if (!s.ok()) return FailAdmin(s, conn.config);
  const v1::RecordState& r = resp.record();
  std::cout << "resolved: record " << r.record_id() << " is now at version " << r.version()
            << " (change " << r.seq() << ")";
  if (r.deleted()) {
    std::cout << ", deleted";
  } else if (!req.key().field().empty()) {
    auto it = r.fields().find(req.key().field());
    std::cout << ", " << req.key().field() << "="
              << (it == r.fields().end() ? "(empty)" : ValueText(it->second));
  }
  std::cout << (r.has_open_conflict() ? "; other conflicts on it remain open" : "") << "\n";
  return kOk;
}

// ---- quarantine ---------------------------------------------------------------------------

bool ParseQuarantineKey(const std::vector<std::string>& pos, std::string* device, uint64_t* seq,
                        std::string* error) {
  if (pos.size() != 2) {
    *error = "a quarantined edit is named DEVICE SEQ (see `fieldsync admin quarantine`)";
    return false;
  }
  if (!absl::SimpleAtoi(pos[1], seq) || *seq == 0) {
    *error = absl::StrCat("SEQ must be a positive number, got \"", pos[1], "\"");
    return false;
  }
  *device = pos[0];
  return true;
}

int Quarantine(const ServerConnection& conn, const std::vector<std::string>& args) {
  auto stub = v1::AdminService::NewStub(conn.channel);
  const std::string sub = args.size() > 2 ? args[2] : "";
  if (sub == "replay") {
    Parsed p = Parse(args, 3, {"--form-version", "--reason"}, {});
    v1::ReplayQuarantinedRequest req;
    std::string device, error = p.error;
    uint64_t seq = 0;
    if (!error.empty() || !ParseQuarantineKey(p.positional, &device, &seq, &error)) {
      return Usage(error);
    }
    req.set_device_id(device);
    req.set_device_seq(seq);
    req.set_reason(p.values["--reason"]);
    if (p.values.count("--form-version")) {
      uint32_t version = 0;
      if (!absl::SimpleAtoi(p.values["--form-version"], &version)) {
        return Usage("--form-version is a number");
      }
      req.set_form_version(version);
    }
    v1::ReplayQuarantinedResponse resp;
    absl::Status s = FromGrpcStatus(stub->ReplayQuarantined(conn.Context().get(), req, &resp));
    if (!s.ok()) return FailAdmin(s, conn.config);
    if (resp.applied()) {
      std::cout << "applied: " << device << " edit #" << seq << " -> record "
                << resp.receipt().record_id() << " " << v1::Outcome_Name(resp.receipt().outcome())
                << ", version " << resp.receipt().record_version() << "\n";
      return kOk;
    }
    std::cout << "still invalid, stays quarantined: " << device << " edit #" << seq << "\n";
    for (const auto& e : resp.errors()) {
      std::cout << "  field " << (e.field().empty() ? "(record)" : e.field()) << ": "
                << e.description() << "\n";
    }
    return kFailed;
  }
  if (sub == "discard") {
    Parsed p = Parse(args, 3, {"--reason"}, {});
    v1::DiscardQuarantinedRequest req;
    std::string device, error = p.error;
    uint64_t seq = 0;
    if (!error.empty() || !ParseQuarantineKey(p.positional, &device, &seq, &error)) {
      return Usage(error);
    }
    if (p.values["--reason"].empty()) {
      return Usage("--reason TEXT is required (it is kept in the audit log)");
    }
    req.set_device_id(device);
    req.set_device_seq(seq);
    req.set_reason(p.values["--reason"]);
    v1::DiscardQuarantinedResponse resp;
    absl::Status s = FromGrpcStatus(stub->DiscardQuarantined(conn.Context().get(), req, &resp));
    if (!s.ok()) return FailAdmin(s, conn.config);
    std::cout << "discarded: " << device << " edit #" << seq << "\n";
    return kOk;
  }
  Parsed p = Parse(args, 2, {"--device", "--form"}, {});
  if (!p.error.empty() || !p.positional.empty()) return Usage(p.error);
  v1::ListQuarantineRequest req;
  req.set_device_id(p.values["--device"]);
  req.set_form_id(p.values["--form"]);
  std::vector<std::vector<std::string>> rows;
  do {
    v1::ListQuarantineResponse resp;
    absl::Status s = FromGrpcStatus(stub->ListQuarantine(conn.Context().get(), req, &resp));
    if (!s.ok()) return FailAdmin(s, conn.config);
    for (const auto& q : resp.entries()) {
      std::vector<std::string> errors;
      for (const auto& e : q.errors()) {
        errors.push_back(
            absl::StrCat(e.field().empty() ? "(record)" : e.field(), ": ", e.description()));
      }
      rows.push_back({q.device_id(), absl::StrCat(q.mutation().device_seq()),
                      q.mutation().record_id(),
                      absl::StrCat(q.mutation().form_id(), " v", q.mutation().form_version()),
                      q.reason(), AgeText(q.received_ms(), NowMs()), absl::StrJoin(errors, "; ")});
    }
    req.set_page_token(resp.next_page_token());
  } while (!req.page_token().empty());
  PrintTable(std::cout, {"device", "seq", "record", "form", "reason", "received", "errors"}, rows,
             {1});
  std::cout << rows.size() << " quarantined edits\n";
  return kOk;
}

// ---- backups ------------------------------------------------------------------------------

std::string BackupLine(const v1::BackupInfo& b) {
  char when[32] = "?";
  const time_t t = static_cast<time_t>(b.timestamp_s());
  struct tm tm_utc;
  if (gmtime_r(&t, &tm_utc) != nullptr) strftime(when, sizeof(when), "%Y-%m-%d %H:%M:%SZ", &tm_utc);
  return absl::StrCat("backup ", b.backup_id(), "  ", when, "  ", b.size_bytes(), " bytes  ",
                      b.file_count(), " files");
}

int VerifyOne(const ServerConnection& conn, v1::AdminService::Stub* stub, uint32_t id) {
  v1::VerifyBackupRequest req;
  req.set_backup_id(id);
  v1::VerifyBackupResponse resp;
  absl::Status s =
      FromGrpcStatus(stub->VerifyBackup(conn.Context(kBackupTimeoutMs).get(), req, &resp));
  if (!s.ok()) return FailAdmin(s, conn.config);
  if (!resp.ok()) {
    std::cerr << "fieldsync: backup " << id << " is damaged: " << resp.error() << "\n";
    return kFailed;
  }
  std::cout << "backup " << id << " verified: every file present with its checksum\n";
  return kOk;
}

int Backup(const ServerConnection& conn, const std::vector<std::string>& args) {
  auto stub = v1::AdminService::NewStub(conn.channel);
  const std::string sub = args.size() > 2 ? args[2] : "";
  if (sub == "create") {
    Parsed p = Parse(args, 3, {}, {"--verify"});
    if (!p.error.empty() || !p.positional.empty()) return Usage(p.error);
    v1::BackupInfo info;
    absl::Status s = FromGrpcStatus(
        stub->CreateBackup(conn.Context(kBackupTimeoutMs).get(), v1::CreateBackupRequest(), &info));
    if (!s.ok()) return FailAdmin(s, conn.config);
    std::cout << "created " << BackupLine(info) << "\n";
    if (p.switches.count("--verify")) return VerifyOne(conn, stub.get(), info.backup_id());
    return kOk;
  }
  if (sub == "list") {
    if (args.size() != 3) return Usage("backup list takes no arguments");
    v1::ListBackupsResponse resp;
    absl::Status s =
        FromGrpcStatus(stub->ListBackups(conn.Context().get(), v1::ListBackupsRequest(), &resp));
    if (!s.ok()) return FailAdmin(s, conn.config);
    for (const auto& b : resp.backups()) std::cout << BackupLine(b) << "\n";
    std::cout << resp.backups_size() << " backups\n";
    return kOk;
  }
  if (sub == "verify") {
    uint32_t id = 0;
    if (args.size() != 4 || !absl::SimpleAtoi(args[3], &id) || id == 0) {
      return Usage("backup verify takes a backup ID (see `fieldsync admin backup list`)");
    }
    return VerifyOne(conn, stub.get(), id);
  }
  return Usage("backup create|list|verify");
}

}  // namespace

int CmdAdmin(const Settings& settings, std::vector<std::string> args) {
  if (args.size() < 2 || args[1] == "help" || args[1] == "--help") {
    (args.size() < 2 ? std::cerr : std::cout) << kAdminUsage;
    return args.size() < 2 ? kUsage : kOk;
  }
  auto conn = ConnectToServer(settings, &args);
  if (!conn.ok()) {
    std::cerr << "fieldsync admin: " << conn.status().message() << "\n";
    return conn.status().code() == absl::StatusCode::kInvalidArgument ? kUsage : kFailed;
  }
  if (args.size() < 2) return Usage("");
  const std::string& cmd = args[1];
  if (cmd == "devices") return Devices(*conn, args);
  if (cmd == "overview") return Overview(*conn, args);
  if (cmd == "conflicts") return Conflicts(*conn, args);
  if (cmd == "conflict") return Conflict(*conn, args);
  if (cmd == "quarantine") return Quarantine(*conn, args);
  if (cmd == "backup") return Backup(*conn, args);
  if (cmd == "webhooks") return CmdWebhooks(*conn, args);
  return Usage(absl::StrCat("unknown command ", cmd));
}

}  // namespace fieldsync::cli
