#include "client-sdk/cli/export_command.h"

#include <unistd.h>

#include <cstdio>
#include <iostream>

#include "absl/strings/numbers.h"
#include "absl/strings/str_cat.h"
#include "client-sdk/cli/cli_common.h"
#include "client-sdk/cli/server_connection.h"
#include "fieldsync/v1/export.grpc.pb.h"

namespace fieldsync::cli {
namespace {

constexpr char kExportUsage[] =
    "usage: fieldsync export FORM [--format csv|xlsx|geojson] -o FILE [--labels] [--lang CODE]\n"
    "                        [--since SEQ] [--where FIELD=VALUE ...] [--include-deleted]\n"
    "                        [--choice-columns] [--raw] [--geo-field FIELD]\n"
    "  --since SEQ        only records changed after SEQ (the number the last export printed)\n"
    "  --raw              CSV: text beginning with = + - @ as is (default: a leading ' so\n"
    "                     spreadsheets do not run it as a formula)\n"
    "  connection: the data dir's config, or --server HOST:PORT --token-file F\n"
    "              [--ca-file PEM | --plaintext]\n";

// An export may run for many minutes; the per-call default (30 s) is for queries.
constexpr int64_t kExportDeadlineMs = 6LL * 3600 * 1000;

int Usage(const std::string& why) {
  if (!why.empty()) std::cerr << "fieldsync export: " << why << "\n";
  std::cerr << kExportUsage;
  return kUsage;
}

std::string Size(uint64_t bytes) {
  if (bytes >= (10u << 20)) return absl::StrCat(bytes >> 20, " MiB");
  if (bytes >= (10u << 10)) return absl::StrCat(bytes >> 10, " KiB");
  return absl::StrCat(bytes, " B");
}

// The progress line on a terminal: the share of the change range (since, head] read so far.
void ShowProgress(const v1::ExportProgress& p) {
  const uint64_t span = p.head_seq() > p.since_seq() ? p.head_seq() - p.since_seq() : 0;
  const uint64_t done = std::min(p.seq() > p.since_seq() ? p.seq() - p.since_seq() : 0, span);
  const int width = 30;
  const int filled = span == 0 ? width : static_cast<int>(width * done / span);
  std::cerr << "\r[" << std::string(filled, '#') << std::string(width - filled, '.') << "] "
            << (span == 0 ? 100 : 100 * done / span) << "%  " << p.records() << " records  "
            << Size(p.bytes()) << "   " << std::flush;
}

}  // namespace

int CmdExport(const Settings& settings, std::vector<std::string> args) {
  if (args.size() >= 2 && (args[1] == "help" || args[1] == "--help")) {
    std::cout << kExportUsage;
    return kOk;
  }
  auto conn = ConnectToServer(settings, &args);
  if (!conn.ok()) {
    if (conn.status().code() == absl::StatusCode::kInvalidArgument) {
      return Usage(std::string(conn.status().message()));
    }
    std::cerr << "fieldsync: " << conn.status().message() << "\n";
    return kFailed;
  }
  v1::ExportRequest req;
  std::string out_path;
  for (size_t i = 1; i < args.size(); ++i) {
    const std::string& a = args[i];
    // --flag VALUE or --flag=VALUE.
    auto value = [&](const std::string& flag, std::string* out) {
      if (a.rfind(flag + "=", 0) == 0) {
        *out = a.substr(flag.size() + 1);
        return true;
      }
      if (a != flag || i + 1 >= args.size()) return false;
      *out = args[++i];
      return true;
    };
    std::string v;
    if (a == "--labels") {
      req.set_labels(true);
    } else if (a == "--include-deleted") {
      req.set_include_deleted(true);
    } else if (a == "--choice-columns") {
      req.set_choice_columns(true);
    } else if (a == "--raw") {
      req.set_raw_text(true);
    } else if (value("--format", &v)) {
      if (v == "csv") {
        req.set_format(v1::ExportRequest::CSV);
      } else if (v == "xlsx") {
        req.set_format(v1::ExportRequest::XLSX);
      } else if (v == "geojson") {
        req.set_format(v1::ExportRequest::GEOJSON);
      } else {
        return Usage(absl::StrCat("unknown format \"", v, "\""));
      }
    } else if (value("--lang", &v)) {
      req.set_language(v);
    } else if (value("--geo-field", &v)) {
      req.set_geo_field(v);
    } else if (value("--since", &v)) {
      uint64_t since = 0;
      if (!absl::SimpleAtoi(v, &since)) return Usage(absl::StrCat("--since wants a number"));
      req.set_since_seq(since);
    } else if (value("--where", &v)) {
      const auto eq = v.find('=');
      if (eq == std::string::npos || eq == 0) {
        return Usage(absl::StrCat("--where wants FIELD=VALUE, got \"", v, "\""));
      }
      auto* w = req.add_where();
      w->set_field(v.substr(0, eq));
      w->set_value(v.substr(eq + 1));
    } else if (value("-o", &v) || value("--output", &v)) {
      out_path = v;
    } else if (a.rfind("-", 0) == 0) {
      return Usage(absl::StrCat("unknown flag ", a));
    } else if (req.form_id().empty()) {
      req.set_form_id(a);
    } else {
      return Usage(absl::StrCat("unexpected \"", a, "\""));
    }
  }
  if (req.form_id().empty()) return Usage("which form?");
  if (out_path.empty()) return Usage("-o FILE is required");

  const std::string partial = out_path + ".partial";
  FILE* f = fopen(partial.c_str(), "wb");
  if (f == nullptr) {
    std::cerr << "fieldsync: cannot write " << partial << "\n";
    return kFailed;
  }
  const bool tty = isatty(STDERR_FILENO) == 1;
  auto stub = v1::ExportService::NewStub(conn->channel);
  auto ctx = conn->Context(kExportDeadlineMs);
  auto reader = stub->Export(ctx.get(), req);
  v1::ExportChunk chunk;
  v1::ExportSummary summary;
  bool have_summary = false;
  bool write_failed = false;
  while (reader->Read(&chunk)) {
    if (!chunk.data().empty() &&
        fwrite(chunk.data().data(), 1, chunk.data().size(), f) != chunk.data().size()) {
      write_failed = true;
      ctx->TryCancel();
      break;
    }
    if (chunk.has_progress() && tty) ShowProgress(chunk.progress());
    if (chunk.has_summary()) {
      summary = chunk.summary();
      have_summary = true;
    }
  }
  absl::Status s = FromGrpcStatus(reader->Finish());
  if (tty) std::cerr << "\n";
  const bool closed = fclose(f) == 0;
  if (write_failed || !closed) {
    std::remove(partial.c_str());
    std::cerr << "fieldsync: writing " << partial << " failed (disk full?)\n";
    return kFailed;
  }
  if (!s.ok() || !have_summary) {
    std::remove(partial.c_str());
    if (s.ok()) s = absl::DataLossError("the export ended without its summary");
    std::cerr << "fieldsync: " << ExplainServerCall(s, conn->config, "export refused:") << "\n";
    return kFailed;
  }
  if (std::rename(partial.c_str(), out_path.c_str()) != 0) {
    std::cerr << "fieldsync: cannot rename " << partial << " to " << out_path << "\n";
    return kFailed;
  }
  std::cout << summary.records() << " records, " << Size(summary.bytes()) << " written to "
            << out_path;
  if (summary.truncated_cells() > 0) {
    std::cout << " (" << summary.truncated_cells() << " cells cut to the format's limit)";
  }
  std::cout << "\nnext incremental export: --since " << summary.head_seq() << "\n";
  return kOk;
}

}  // namespace fieldsync::cli
