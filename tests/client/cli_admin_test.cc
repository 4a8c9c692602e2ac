// `fieldsync stats` and `fieldsync admin ...` against a real fieldsyncd: statistics as a
// table and as CSV compared with what was pushed, bad queries, a non-admin caller, conflict
// resolution, quarantine replay/discard and backups run with --server/--token-file and no
// data dir (as the Kubernetes backup CronJob runs them).
#include <fcntl.h>
#include <signal.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <unistd.h>

#include <chrono>
#include <cstdlib>
#include <fstream>
#include <map>
#include <sstream>
#include <string>
#include <thread>
#include <vector>

#include "client-sdk/cli/csv.h"
#include "fieldsync/v1/aggregation.grpc.pb.h"
#include "gmock/gmock.h"
#include "gtest/gtest.h"
#include "tests/testing/run_program.h"
#include "tests/testing/server_process.h"
#include "tests/testing/temp_dir.h"
#include "tests/testing/test_client.h"

namespace fieldsync::testing {
namespace {

using ::testing::ContainsRegex;
using ::testing::HasSubstr;
using ::testing::Not;
using ::testing::SizeIs;

using CliResult = ProgramResult;

std::vector<std::string> Lines(const std::string& text) {
  std::vector<std::string> out;
  std::istringstream in(text);
  std::string line;
  while (std::getline(in, line)) out.push_back(line);
  return out;
}

// Whitespace-separated words of a table line.
std::vector<std::string> Words(const std::string& line) {
  std::vector<std::string> out;
  std::istringstream in(line);
  std::string w;
  while (in >> w) out.push_back(w);
  return out;
}

class CliAdminTest : public ::testing::Test {
 protected:
  void SetUp() override {
    server_ = std::make_unique<ServerProcess>(
        dir_.Sub("db"), std::vector<std::string>{"--backup-dir", dir_.Sub("backups")});
    admin_ = server_->AddDevice({"admin", "admin", {}, true});
    tab1_ = server_->AddDevice({"tab-1", "enumerator", {"governorate=Ninewa"}});
    tab2_ = server_->AddDevice({"tab-2", "enumerator", {"governorate=Ninewa"}});
    ASSERT_TRUE(server_->Start()) << server_->log();
  }
  void TearDown() override {
    if (server_ && server_->running()) server_->Stop(SIGKILL);
  }

  // Runs the CLI with `args` after `--data-dir <data>`.
  CliResult Cli(const std::vector<std::string>& args, const std::string& data = "admin-dir") {
    std::vector<std::string> argv = {FIELDSYNC_CLI_PATH, "--data-dir", dir_.Sub(data)};
    argv.insert(argv.end(), args.begin(), args.end());
    return RunProgram(argv, dir_.Sub("run" + std::to_string(runs_++)));
  }

  std::string TokenFile(const std::string& name, const std::string& token) {
    std::ofstream(dir_.Sub(name)) << token << "\n";
    return dir_.Sub(name);
  }

  // `fieldsync init` of data dir `data` with `token` (plaintext, loopback).
  void Init(const std::string& data, const std::string& token, const std::string& device) {
    CliResult r = Cli({"init", "--server", server_->target(), "--token-file",
                       TokenFile(data + ".token", token), "--plaintext", "--device-id", device},
                      data);
    ASSERT_EQ(r.code, 0) << r.out << r.err;
  }

  // Polls the aggregation consumer (with a deadline) until its cells include `seq`.
  bool WaitCaughtUp(uint64_t seq) {
    auto stub = v1::AggregationService::NewStub(
        grpc::CreateChannel(server_->target(), grpc::InsecureChannelCredentials()));
    const auto deadline = std::chrono::steady_clock::now() + std::chrono::seconds(30);
    while (std::chrono::steady_clock::now() < deadline) {
      grpc::ClientContext ctx;
      ctx.AddMetadata("authorization", "Bearer " + admin_);
      v1::AggregationStatus s;
      if (stub->GetAggregationStatus(&ctx, {}, &s).ok() && s.checkpoint_seq() >= seq) {
        return true;
      }
      std::this_thread::sleep_for(std::chrono::milliseconds(20));
    }
    return false;
  }

  std::vector<v1::Receipt> Push(const std::string& token, const std::vector<v1::Mutation>& b) {
    TestClient c(server_->target(), token);
    std::vector<v1::Receipt> receipts;
    grpc::Status s = c.PushOne(b, &receipts);
    EXPECT_TRUE(s.ok()) << s.error_message();
    return receipts;
  }

  TempDir dir_;
  std::unique_ptr<ServerProcess> server_;
  std::string admin_, tab1_, tab2_;
  int runs_ = 0;
};

struct PointTotals {
  int64_t count = 0;
  int64_t people = 0;
};

TEST_F(CliAdminTest, StatsTableAndCsvMatchThePushedCrossings) {
  // 30 crossings at three border points with group sizes 1..7; the expected totals are
  // computed here from exactly what is pushed.
  std::vector<v1::Mutation> batch;
  std::map<std::string, PointTotals> expected;
  const char* points[] = {"BP-001", "BP-002", "BP-003"};
  for (int i = 1; i <= 30; ++i) {
    const std::string point = points[i % 3];
    const int64_t size = 1 + (i * 5) % 7;
    batch.push_back(CrossingCreate(i, "x-" + std::to_string(i), point, size));
    expected[point].count += 1;
    expected[point].people += size;
  }
  uint64_t head = 0;
  for (const auto& r : Push(admin_, batch)) head = std::max(head, r.seq());
  ASSERT_TRUE(WaitCaughtUp(head));
  Init("admin-dir", admin_, "admin");

  CliResult list = Cli({"stats"});
  ASSERT_EQ(list.code, 0) << list.err;
  EXPECT_THAT(list.out, HasSubstr("crossings_per_point_day"));
  EXPECT_THAT(list.out, HasSubstr("households_per_governorate"));

  CliResult table = Cli(
      {"stats", "border_crossing", "crossings_per_point_day", "--by", "border_point", "--total"});
  ASSERT_EQ(table.code, 0) << table.err;
  std::vector<std::string> lines = Lines(table.out);
  ASSERT_GE(lines.size(), 6u) << table.out;
  EXPECT_EQ(Words(lines[0]),
            (std::vector<std::string>{"border_point", "count", "crossings", "people"}));
  std::map<std::string, PointTotals> shown;
  for (size_t i = 1; i <= 3; ++i) {
    std::vector<std::string> w = Words(lines[i]);
    ASSERT_THAT(w, SizeIs(4)) << lines[i];
    shown[w[0]].count = std::stoll(w[1]);
    EXPECT_EQ(w[2], w[1]);  // the COUNT measure repeats the count
    EXPECT_DOUBLE_EQ(std::stod(w[3]), 0.0 + std::stoll(w[3]));  // exact: whole people
    shown[w[0]].people = std::stoll(w[3]);
  }
  for (const auto& [point, totals] : expected) {
    EXPECT_EQ(shown[point].count, totals.count) << point;
    EXPECT_EQ(shown[point].people, totals.people) << point;
  }
  // Columns are aligned: every line of the table puts "count" and its numbers flush right.
  const size_t count_end = lines[0].find("count") + 5;
  for (size_t i = 1; i <= 3; ++i) EXPECT_NE(lines[i][count_end - 1], ' ') << lines[i];
  EXPECT_EQ(lines[4], "3 rows");
  EXPECT_THAT(lines[5], HasSubstr("freshness: cells at change "));
  EXPECT_THAT(lines[5], HasSubstr("(lag 0 changes)"));

  // CSV with a filter and the day buckets kept: the freshness line goes to stderr.
  CliResult csv = Cli({"stats", "border_crossing", "crossings_per_point_day",
                       "--where=border_point=BP-001,BP-002", "--by=border_point", "--from",
                       "2026-11-01", "--to", "2026-11-30", "--csv"});
  ASSERT_EQ(csv.code, 0) << csv.err;
  EXPECT_THAT(csv.err, HasSubstr("freshness: "));
  EXPECT_THAT(csv.out, Not(HasSubstr("freshness")));
  std::vector<cli::CsvRow> rows = cli::ParseCsv(csv.out);
  ASSERT_THAT(rows, SizeIs(3)) << csv.out;
  EXPECT_EQ(rows[0].cells,
            (std::vector<std::string>{"bucket", "border_point", "count", "crossings", "people"}));
  for (size_t i = 1; i < rows.size(); ++i) {
    ASSERT_THAT(rows[i].cells, SizeIs(5));
    EXPECT_EQ(rows[i].cells[0], "2026-11-21");  // CrossingCreate's date
    const PointTotals& want = expected[rows[i].cells[1]];
    EXPECT_EQ(std::stoll(rows[i].cells[2]), want.count) << rows[i].cells[1];
    EXPECT_EQ(std::stod(rows[i].cells[4]), static_cast<double>(want.people));
  }
  EXPECT_NE(rows[1].cells[1], rows[2].cells[1]);
  EXPECT_THAT(csv.out, HasSubstr("\r\n"));  // RFC 4180 line ends

  // A range with no crossing: the header and no rows.
  CliResult empty = Cli({"stats", "border_crossing", "crossings_per_point_day", "--from",
                         "2025-01-01", "--to", "2025-01-31", "--csv"});
  ASSERT_EQ(empty.code, 0) << empty.err;
  EXPECT_THAT(cli::ParseCsv(empty.out), SizeIs(1));

  // Verify (admin): cells match the records.
  CliResult verify = Cli({"stats", "verify", "border_crossing", "crossings_per_point_day"});
  ASSERT_EQ(verify.code, 0) << verify.out << verify.err;
  EXPECT_THAT(verify.out, HasSubstr("ok: 30 records scanned"));
}

TEST_F(CliAdminTest, BadStatsQueriesAreClearErrors) {
  Init("admin-dir", admin_, "admin");
  CliResult r = Cli({"stats", "border_crossing", "no_such_aggregation"});
  EXPECT_EQ(r.code, 1);
  EXPECT_THAT(r.err, HasSubstr("query refused:"));
  EXPECT_THAT(r.err, HasSubstr("field aggregation: "));
  EXPECT_EQ(r.out, "");

  r = Cli({"stats", "border_crossing", "crossings_per_point_day", "--from", "2026-11-20", "--to",
           "2026-11-01"});
  EXPECT_EQ(r.code, 1);
  EXPECT_THAT(r.err, HasSubstr("field to_date: "));

  r = Cli({"stats", "border_crossing", "crossings_per_point_day", "--where", "border_point"});
  EXPECT_EQ(r.code, 2);
  EXPECT_THAT(r.err, HasSubstr("--where wants FIELD=V1,V2"));
  r = Cli({"stats", "border_crossing"});
  EXPECT_EQ(r.code, 2);

  // An enumerator may query statistics but not verify them.
  Init("tab-dir", tab1_, "tab-1");
  r = Cli({"stats", "verify", "border_crossing", "crossings_per_point_day"}, "tab-dir");
  EXPECT_EQ(r.code, 1);
  EXPECT_THAT(r.err, HasSubstr("not allowed"));

  // The server is down: an operator's message (no device outbox is involved).
  server_->Stop(SIGKILL);
  r = Cli({"stats"});
  EXPECT_EQ(r.code, 1);
  EXPECT_THAT(r.err, HasSubstr("server unreachable (" + server_->target() + ")"));
  EXPECT_THAT(r.err, Not(HasSubstr("edits are safe")));
}

TEST_F(CliAdminTest, DevicesOverviewAndANonAdminCaller) {
  Push(tab1_, {HouseholdCreate(1, "r-1", "Ninewa", 3)});
  Init("admin-dir", admin_, "admin");
  CliResult r = Cli({"admin", "devices"});
  ASSERT_EQ(r.code, 0) << r.err;
  std::map<std::string, std::vector<std::string>> by_device;
  for (const auto& line : Lines(r.out)) {
    auto w = Words(line);
    if (!w.empty()) by_device[w[0]] = w;
  }
  ASSERT_EQ(by_device.count("tab-1"), 1u) << r.out;
  EXPECT_EQ(by_device["tab-1"][1], "enumerator");
  EXPECT_EQ(by_device["tab-1"][2], "behind");
  EXPECT_THAT(r.out, ContainsRegex("tab-1 +enumerator +behind +[0-9]+ s ago"));
  EXPECT_EQ(by_device["tab-2"][2], "silent");
  EXPECT_THAT(r.out, ContainsRegex("tab-2 +enumerator +silent +never"));
  EXPECT_THAT(r.out, HasSubstr("3 devices"));

  r = Cli({"admin", "devices", "--status", "silent"});
  ASSERT_EQ(r.code, 0) << r.err;
  EXPECT_THAT(r.out, HasSubstr("tab-2"));
  EXPECT_THAT(r.out, Not(HasSubstr("tab-1")));
  r = Cli({"admin", "devices", "--status", "asleep"});
  EXPECT_EQ(r.code, 2);
  r = Cli({"admin", "devices", "--role", "pilot"});
  EXPECT_EQ(r.code, 1);
  EXPECT_THAT(r.err, HasSubstr("field role"));

  r = Cli({"admin", "overview"});
  ASSERT_EQ(r.code, 0) << r.err;
  EXPECT_THAT(r.out, HasSubstr("devices:        3 (in sync 0, behind 1, silent 2, revoked 0)"));
  EXPECT_THAT(r.out, HasSubstr("silent devices"));

  Init("tab-dir", tab1_, "tab-1");
  r = Cli({"admin", "devices"}, "tab-dir");
  EXPECT_EQ(r.code, 1);
  EXPECT_THAT(r.err, HasSubstr("not allowed"));
  EXPECT_THAT(r.err, HasSubstr("needs a token of a device with the admin role"));
  EXPECT_EQ(r.out, "");
}

TEST_F(CliAdminTest, ConflictResolvedThroughTheCliReachesAPull) {
  // tab-1 creates rec-1 and sets household_size 5; tab-2, still at version 1, sets 7.
  Push(tab1_, {HouseholdCreate(1, "rec-1", "Ninewa", 4)});
  Push(tab1_, {MakeMutation({2,
                             "rec-1",
                             "displacement_household",
                             1,
                             {{"household_size", Int(5)}},
                             false,
                             2000,
                             "tab-1"})});
  auto r2 = Push(tab2_, {MakeMutation({1,
                                       "rec-1",
                                       "displacement_household",
                                       1,
                                       {{"household_size", Int(7)}},
                                       false,
                                       3000,
                                       "tab-2"})});
  ASSERT_THAT(r2, SizeIs(1));
  ASSERT_EQ(r2[0].outcome(), v1::CONFLICT);
  TestClient tab1(server_->target(), tab1_);
  PullResult before = tab1.Pull("");
  ASSERT_TRUE(before.status.ok());

  Init("admin-dir", admin_, "admin");
  CliResult r = Cli({"admin", "conflicts"});
  ASSERT_EQ(r.code, 0) << r.err;
  EXPECT_THAT(r.out, ContainsRegex("rec-1 +tab-2 +1 +household_size +displacement_household +5 +7 "
                                   "+open"));
  EXPECT_THAT(r.out, HasSubstr("1 conflicts"));

  r = Cli({"admin", "conflict", "get", "rec-1", "tab-2", "1", "household_size"});
  ASSERT_EQ(r.code, 0) << r.err;
  EXPECT_THAT(r.out, HasSubstr("server value:  5"));
  EXPECT_THAT(r.out, HasSubstr("device value:  7"));
  r = Cli({"admin", "conflict", "get", "rec-1", "tab-2", "9", "household_size"});
  EXPECT_EQ(r.code, 1);

  // No reason, both --take and --value, a value of the wrong type: refused before any change.
  r = Cli(
      {"admin", "conflict", "resolve", "rec-1", "tab-2", "1", "household_size", "--value", "6"});
  EXPECT_EQ(r.code, 2);
  EXPECT_THAT(r.err, HasSubstr("--reason TEXT is required"));
  r = Cli({"admin", "conflict", "resolve", "rec-1", "tab-2", "1", "household_size", "--value", "6",
           "--take", "server", "--reason", "x"});
  EXPECT_EQ(r.code, 2);
  r = Cli({"admin", "conflict", "resolve", "rec-1", "tab-2", "1", "household_size", "--value",
           "six", "--reason", "x"});
  EXPECT_EQ(r.code, 1);
  EXPECT_THAT(r.err, HasSubstr("--value for field household_size"));

  r = Cli({"admin", "conflict", "resolve", "rec-1", "tab-2", "1", "household_size", "--value", "6",
           "--reason", "confirmed by phone with team leader"});
  ASSERT_EQ(r.code, 0) << r.err;
  EXPECT_THAT(r.out, HasSubstr("household_size=6"));
  r = Cli({"admin", "conflict", "resolve", "rec-1", "tab-2", "1", "household_size", "--take",
           "device", "--reason", "again"});
  EXPECT_EQ(r.code, 1);  // already closed: FAILED_PRECONDITION
  r = Cli({"admin", "conflicts"});
  EXPECT_THAT(r.out, HasSubstr("0 conflicts"));
  r = Cli({"admin", "conflicts", "--all"});
  EXPECT_THAT(r.out, ContainsRegex("rec-1 +tab-2 +1 +household_size .* closed"));

  PullResult after = tab1.Pull(before.cursor);
  ASSERT_TRUE(after.status.ok());
  auto by_id = ById(after.records);
  ASSERT_EQ(by_id.count("rec-1"), 1u);
  EXPECT_EQ(by_id["rec-1"].fields().at("household_size").integer(), 6);
  EXPECT_EQ(by_id["rec-1"].last_writer_device(), "admin");
  EXPECT_FALSE(by_id["rec-1"].has_open_conflict());
}

TEST_F(CliAdminTest, QuarantineReplayAndDiscardThroughTheCli) {
  auto receipts = Push(tab1_, {HouseholdCreate(1, "big-1", "Ninewa", 80),
                               HouseholdCreate(2, "big-2", "Ninewa", 90)});
  ASSERT_THAT(receipts, SizeIs(2));
  ASSERT_EQ(receipts[0].outcome(), v1::REJECTED);
  Init("admin-dir", admin_, "admin");
  CliResult r = Cli({"admin", "quarantine", "--device", "tab-1"});
  ASSERT_EQ(r.code, 0) << r.err;
  EXPECT_THAT(r.out, ContainsRegex("tab-1 +1 +big-1 +displacement_household v1"));
  EXPECT_THAT(r.out, ContainsRegex("tab-1 +2 +big-2 "));
  EXPECT_THAT(r.out, HasSubstr("household_size: "));
  EXPECT_THAT(r.out, HasSubstr("2 quarantined edits"));

  // Replaying against the same form version: still invalid, stays quarantined.
  r = Cli({"admin", "quarantine", "replay", "tab-1", "1"});
  EXPECT_EQ(r.code, 1);
  EXPECT_THAT(r.out, HasSubstr("still invalid"));
  EXPECT_THAT(r.out, HasSubstr("field household_size"));

  // Fix the form (households of up to 100), then replay #1 against it and discard #2.
  TestClient admin(server_->target(), admin_);
  v1::GetFormRequest get;
  get.set_form_id("displacement_household");
  v1::Form form;
  ASSERT_TRUE(admin.forms()->GetForm(admin.Context().get(), get, &form).ok());
  form.set_version(2);
  for (auto& f : *form.mutable_fields()) {
    if (f.name() == "household_size") f.set_max(100);
  }
  bool created = false;
  ASSERT_TRUE(admin.PublishForm(form, &created).ok());

  r = Cli({"admin", "quarantine", "replay", "tab-1", "1", "--form-version", "2", "--reason",
           "form fixed"});
  ASSERT_EQ(r.code, 0) << r.out << r.err;
  EXPECT_THAT(r.out, HasSubstr("applied: tab-1 edit #1 -> record big-1 APPLIED"));
  r = Cli({"admin", "quarantine", "discard", "tab-1", "2"});
  EXPECT_EQ(r.code, 2);
  EXPECT_THAT(r.err, HasSubstr("--reason TEXT is required"));
  r = Cli({"admin", "quarantine", "discard", "tab-1", "two", "--reason", "dup"});
  EXPECT_EQ(r.code, 2);
  r = Cli({"admin", "quarantine", "discard", "tab-1", "2", "--reason", "duplicate of big-1"});
  ASSERT_EQ(r.code, 0) << r.err;
  EXPECT_THAT(r.out, HasSubstr("discarded: tab-1 edit #2"));

  r = Cli({"admin", "quarantine"});
  ASSERT_EQ(r.code, 0) << r.err;
  EXPECT_THAT(r.out, HasSubstr("0 quarantined edits"));
  TestClient tab2(server_->target(), tab2_);
  auto pulled = ById(tab2.Pull("").records);
  ASSERT_EQ(pulled.count("big-1"), 1u);
  EXPECT_EQ(pulled["big-1"].fields().at("household_size").integer(), 80);
  EXPECT_EQ(pulled.count("big-2"), 0u);
}

TEST_F(CliAdminTest, BackupsWithServerAndTokenFileFlagsAndNoDataDir) {
  Push(tab1_, {HouseholdCreate(1, "r-1", "Ninewa", 3)});
  const std::string token = TokenFile("admin.token", admin_);
  const std::string server = "--server=" + server_->target();
  // The data dir does not exist and must stay so (the CronJob's root filesystem is read-only).
  const std::string none = "no-such-dir";

  CliResult r =
      Cli({"admin", "backup", "create", "--verify", server, "--plaintext", "--token-file=" + token},
          none);
  ASSERT_EQ(r.code, 0) << r.out << r.err;
  EXPECT_THAT(r.out, ContainsRegex("created backup 1 .* [0-9]+ bytes +[0-9]+ files"));
  EXPECT_THAT(r.out, HasSubstr("backup 1 verified"));
  r = Cli({"admin", "backup", "create", "--server", server_->target(), "--token-file", token,
           "--plaintext"},
          none);
  ASSERT_EQ(r.code, 0) << r.err;
  EXPECT_THAT(r.out, HasSubstr("created backup 2"));

  r = Cli({"admin", "backup", "list", server, "--plaintext", "--token-file=" + token}, none);
  ASSERT_EQ(r.code, 0) << r.err;
  EXPECT_THAT(r.out, HasSubstr("backup 1 "));
  EXPECT_THAT(r.out, HasSubstr("backup 2 "));
  EXPECT_THAT(r.out, HasSubstr("2 backups"));
  r = Cli({"admin", "backup", "verify", "2", server, "--plaintext", "--token-file=" + token}, none);
  ASSERT_EQ(r.code, 0) << r.err;
  EXPECT_THAT(r.out, HasSubstr("backup 2 verified"));
  r = Cli({"admin", "backup", "verify", "42", server, "--plaintext", "--token-file=" + token},
          none);
  EXPECT_EQ(r.code, 1);
  EXPECT_THAT(r.err, HasSubstr("fieldsync: "));

  // A field token through the same flags: a clear refusal; missing flags: usage.
  r = Cli({"admin", "backup", "list", server, "--plaintext",
           "--token-file=" + TokenFile("tab.token", tab1_)},
          none);
  EXPECT_EQ(r.code, 1);
  EXPECT_THAT(r.err, HasSubstr("needs a token of a device with the admin role"));
  r = Cli({"admin", "backup", "list", server, "--plaintext"}, none);
  EXPECT_EQ(r.code, 2);
  EXPECT_THAT(r.err, HasSubstr("--server needs --token-file"));
  r = Cli({"admin", "backup", "list", server, "--plaintext", "--ca-file=x.pem",
           "--token-file=" + token},
          none);
  EXPECT_EQ(r.code, 2);
  r = Cli({"admin", "backup", "list"}, none);
  EXPECT_EQ(r.code, 1);
  EXPECT_THAT(r.err, HasSubstr("is not set up"));

  struct stat st;
  EXPECT_NE(stat(dir_.Sub(none).c_str(), &st), 0) << "the CLI created its data dir";
}

// The exact invocation of deploy/k8s/backup-cronjob.yaml: TLS with the server's CA file.
TEST_F(CliAdminTest, BackupCronJobInvocationOverTls) {
  const std::string script = FormsDir() + "/../../scripts/dev-cert.sh";
  ASSERT_EQ(std::system(("'" + script + "' '" + dir_.Sub("certs") + "' >/dev/null").c_str()), 0);
  ASSERT_EQ(std::system(("'" + script + "' '" + dir_.Sub("other") + "' >/dev/null").c_str()), 0);
  server_->Stop(SIGTERM);
  server_ = std::make_unique<ServerProcess>(
      dir_.Sub("db"), std::vector<std::string>{"--backup-dir", dir_.Sub("backups"),
                                               "--tls-cert-file", dir_.Sub("certs/server.crt"),
                                               "--tls-key-file", dir_.Sub("certs/server.key")});
  ASSERT_TRUE(server_->Start()) << server_->log();
  const std::string token = TokenFile("admin.token", admin_);
  CliResult r = Cli({"admin", "backup", "create", "--verify", "--server=" + server_->target(),
                     "--ca-file=" + dir_.Sub("certs/server.crt"), "--token-file=" + token},
                    "no-such-dir");
  ASSERT_EQ(r.code, 0) << r.out << r.err;
  EXPECT_THAT(r.out, HasSubstr("created backup 1"));
  EXPECT_THAT(r.out, HasSubstr("backup 1 verified"));
  // A CA that did not sign the server's certificate: no connection, exit 1.
  r = Cli({"admin", "backup", "create", "--verify", "--server=" + server_->target(),
           "--ca-file=" + dir_.Sub("other/server.crt"), "--token-file=" + token},
          "no-such-dir");
  EXPECT_EQ(r.code, 1);
  EXPECT_THAT(r.err, HasSubstr("server unreachable"));
}

TEST(CsvLineTest, QuotesWhatNeedsQuotingAndRoundTrips) {
  const std::vector<std::string> cells = {"plain", "a,b", "say \"hi\"", "two\nlines", ""};
  const std::string line = cli::CsvLine(cells);
  EXPECT_EQ(line, "plain,\"a,b\",\"say \"\"hi\"\"\",\"two\nlines\",\r\n");
  std::vector<cli::CsvRow> rows = cli::ParseCsv(line);
  ASSERT_THAT(rows, SizeIs(1));
  EXPECT_EQ(rows[0].cells, cells);
}

}  // namespace
}  // namespace fieldsync::testing
