#include "client-sdk/cli/stats_command.h"

#include <ctime>
#include <iostream>
#include <utility>

#include "absl/strings/str_cat.h"
#include "absl/strings/str_format.h"
#include "absl/strings/str_join.h"
#include "absl/strings/str_split.h"
#include "client-sdk/cli/cli_common.h"
#include "client-sdk/cli/csv.h"
#include "client-sdk/cli/server_connection.h"
#include "fieldsync/v1/aggregation.grpc.pb.h"

namespace fieldsync::cli {
namespace {

constexpr char kStatsUsage[] =
    "usage: fieldsync stats                       (lists the aggregations)\n"
    "       fieldsync stats FORM AGGREGATION [--by FIELD,...] [--where FIELD=V1,V2 ...]\n"
    "                       [--from YYYY-MM-DD] [--to YYYY-MM-DD] [--total] [--csv]\n"
    "       fieldsync stats verify FORM AGGREGATION   (admin: recompute and compare)\n"
    "  connection: the data dir's config, or --server HOST:PORT --token-file F\n"
    "              [--ca-file PEM | --plaintext]\n";

int Usage(const std::string& why) {
  if (!why.empty()) std::cerr << "fieldsync stats: " << why << "\n";
  std::cerr << kStatsUsage;
  return kUsage;
}

int FailQuery(const absl::Status& s, const Config& cfg) {
  std::cerr << "fieldsync: " << ExplainServerCall(s, cfg, "query refused:") << "\n";
  return kFailed;
}

int64_t NowMs() { return static_cast<int64_t>(time(nullptr)) * 1000; }

std::string FreshnessLine(const v1::AggregationStatus& f, uint64_t cells_read) {
  std::string line =
      absl::StrCat("freshness: cells at change ", f.checkpoint_seq(), " of ", f.head_seq(),
                   " (lag ", f.lag(), " changes); last change committed ",
                   AgeText(f.last_commit_time_ms(), NowMs()), "; ", cells_read, " cells read");
  if (!f.mode().empty()) absl::StrAppend(&line, " (", f.mode(), ")");
  if (f.skipped_changes() > 0) absl::StrAppend(&line, "; ", f.skipped_changes(), " skipped");
  if (!f.last_error().empty()) absl::StrAppend(&line, "; consumer error: ", f.last_error());
  return line;
}

// The cell text of a measure: the exact decimal the server keeps, else the double.
std::string MeasureText(const v1::MeasureValue& m) {
  if (!m.exact().empty()) return m.exact();
  return absl::StrFormat("%.15g", m.value());
}

int ListAggregations(const ServerConnection& conn) {
  auto stub = v1::AggregationService::NewStub(conn.channel);
  v1::ListAggregationsResponse resp;
  absl::Status s = FromGrpcStatus(
      stub->ListAggregations(conn.Context().get(), v1::ListAggregationsRequest(), &resp));
  if (!s.ok()) return FailQuery(s, conn.config);
  std::vector<std::vector<std::string>> rows;
  for (const auto& a : resp.aggregations()) {
    rows.push_back({a.form_id(), a.name(), absl::StrJoin(a.group_by(), ","),
                    absl::StrCat(a.time_field(), "/", a.bucket()),
                    absl::StrJoin(a.measures(), ",")});
  }
  PrintTable(std::cout, {"form", "aggregation", "group by", "time", "measures"}, rows);
  std::cout << rows.size() << " aggregations\n";
  return kOk;
}

int Verify(const ServerConnection& conn, const std::vector<std::string>& args) {
  if (args.size() != 4) return Usage("verify needs FORM AGGREGATION");
  auto stub = v1::AggregationService::NewStub(conn.channel);
  v1::VerifyAggregationRequest req;
  req.set_form_id(args[2]);
  req.set_aggregation(args[3]);
  v1::VerifyAggregationResponse resp;
  // Verify reads every record of the form: allow it minutes, not the per-call default.
  absl::Status s = FromGrpcStatus(stub->Verify(conn.Context(600'000).get(), req, &resp));
  if (!s.ok()) return FailQuery(s, conn.config);
  std::cout << (resp.ok() ? "ok" : "DRIFT") << ": " << resp.records_scanned()
            << " records scanned, " << resp.cells_compared() << " cells compared at change "
            << resp.checkpoint_seq() << ", " << resp.invalid_measures()
            << " records with a missing or invalid measure value";
  if (!resp.ok()) std::cout << "; " << resp.drift_cells() << " cells differ";
  std::cout << "\n";
  if (resp.ok()) return kOk;
  std::vector<std::vector<std::string>> rows;
  for (const auto& d : resp.drift()) {
    rows.push_back({d.bucket(), absl::StrJoin(d.key(), " "), absl::StrCat(d.expected_count()),
                    absl::StrCat(d.actual_count()), absl::StrJoin(d.measures(), "; ")});
  }
  PrintTable(std::cout, {"bucket", "cell", "expected count", "cell count", "measures"}, rows,
             {2, 3});
  if (resp.drift_cells() > static_cast<uint64_t>(resp.drift_size())) {
    std::cout << "(first " << resp.drift_size() << " of " << resp.drift_cells() << " shown)\n";
  }
  return kFailed;
}

int Query(const ServerConnection& conn, const std::vector<std::string>& args) {
  v1::AggregationQueryRequest req;
  bool csv = false;
  std::vector<std::string> positional;
  for (size_t i = 1; i < args.size(); ++i) {
    const std::string& a = args[i];
    // --flag VALUE or --flag=VALUE.
    auto value = [&](const std::string& flag, std::string* out) {
      if (a.rfind(flag + "=", 0) == 0) {
        *out = a.substr(flag.size() + 1);
        return true;
      }
      if (a != flag) return false;
      if (i + 1 >= args.size()) return false;
      *out = args[++i];
      return true;
    };
    std::string v;
    if (a == "--csv") {
      csv = true;
    } else if (a == "--total") {
      req.set_rollup_time(true);
    } else if (value("--by", &v)) {
      auto* by = req.mutable_group_by();
      for (absl::string_view f :
           absl::StrSplit(absl::string_view(v.data(), v.size()), ',', absl::SkipEmpty())) {
        by->add_fields(std::string(f));
      }
    } else if (value("--where", &v)) {
      const auto eq = v.find('=');
      if (eq == std::string::npos || eq == 0) {
        return Usage(absl::StrCat("--where wants FIELD=V1,V2, got \"", v, "\""));
      }
      v1::AggregationFilter* f = req.add_filters();
      f->set_field(v.substr(0, eq));
      const std::string values = v.substr(eq + 1);
      for (absl::string_view x :
           absl::StrSplit(absl::string_view(values.data(), values.size()), ',')) {
        f->add_values(std::string(x));
      }
    } else if (value("--from", &v)) {
      req.set_from_date(v);
    } else if (value("--to", &v)) {
      req.set_to_date(v);
    } else if (!a.empty() && a[0] == '-') {
      return Usage(absl::StrCat("bad argument ", a));
    } else {
      positional.push_back(a);
    }
  }
  if (positional.size() != 2) return Usage("expected FORM AGGREGATION");
  req.set_form_id(positional[0]);
  req.set_aggregation(positional[1]);

  auto stub = v1::AggregationService::NewStub(conn.channel);
  v1::AggregationQueryResponse resp;
  absl::Status s = FromGrpcStatus(stub->Query(conn.Context().get(), req, &resp));
  if (!s.ok()) return FailQuery(s, conn.config);

  const std::vector<std::string> header(resp.columns().begin(), resp.columns().end());
  std::vector<std::vector<std::string>> rows;
  for (const auto& r : resp.rows()) {
    std::vector<std::string> row;
    if (!req.rollup_time()) row.push_back(r.bucket());
    row.insert(row.end(), r.group_values().begin(), r.group_values().end());
    row.push_back(absl::StrCat(r.count()));
    for (const auto& m : r.measures()) row.push_back(MeasureText(m));
    rows.push_back(std::move(row));
  }
  const std::string freshness = FreshnessLine(resp.freshness(), resp.cells_read());
  if (csv) {
    std::cout << CsvLine(header);
    for (const auto& row : rows) std::cout << CsvLine(row);
    std::cerr << freshness << "\n";
    return kOk;
  }
  // Numbers (count and the measures) are right-aligned: everything from "count" on.
  std::vector<size_t> right;
  for (size_t i = 0; i < header.size(); ++i) {
    if (header[i] == "count" && right.empty()) {
      for (size_t k = i; k < header.size(); ++k) right.push_back(k);
    }
  }
  PrintTable(std::cout, header, rows, right);
  std::cout << rows.size() << " rows\n" << freshness << "\n";
  return kOk;
}

}  // namespace

int CmdStats(const Settings& settings, std::vector<std::string> args) {
  if (args.size() >= 2 && (args[1] == "help" || args[1] == "--help")) {
    std::cout << kStatsUsage;
    return kOk;
  }
  auto conn = ConnectToServer(settings, &args);
  if (!conn.ok()) {
    std::cerr << "fieldsync stats: " << conn.status().message() << "\n";
    return conn.status().code() == absl::StatusCode::kInvalidArgument ? kUsage : kFailed;
  }
  if (args.size() == 1) return ListAggregations(*conn);
  if (args[1] == "verify") return Verify(*conn, args);
  return Query(*conn, args);
}

}  // namespace fieldsync::cli
