// The `fieldsync` CLI as a field user runs it, against a real fieldsyncd: init, CSV import
// with bad rows, record add/edit/list, sync, status, the failure messages (unreachable,
// token revoked, record rejected) and a CLI process SIGKILLed during sync.
#include <fcntl.h>
#include <signal.h>
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

#include "fieldsync/v1/identity.grpc.pb.h"
#include "gmock/gmock.h"
#include "gtest/gtest.h"
#include "tests/testing/server_process.h"
#include "tests/testing/temp_dir.h"
#include "tests/testing/test_client.h"

extern char** environ;

namespace fieldsync::testing {
namespace {

using ::testing::HasSubstr;
using ::testing::Not;

struct CliResult {
  int code = -1;
  std::string out;
  std::string err;
};

std::string Slurp(const std::string& path) {
  std::ifstream in(path);
  std::stringstream ss;
  ss << in.rdbuf();
  return ss.str();
}

class CliTest : public ::testing::Test {
 protected:
  void SetUp() override {
    server_ = std::make_unique<ServerProcess>(dir_.Sub("db"));
    ninewa_ = server_->AddDevice({"tab-ninewa", "enumerator", {"governorate=Ninewa"}});
    admin_ = server_->AddDevice({"admin", "admin", {}, true});
    ASSERT_TRUE(server_->Start()) << server_->log();
  }
  void TearDown() override {
    if (server_ && server_->running()) server_->Stop(SIGTERM);
  }

  // Starts the CLI with `args` (after --data-dir, unless `data` is empty), stdout/stderr to
  // files; returns its pid.
  pid_t Spawn(const std::vector<std::string>& args, const std::map<std::string, std::string>& env,
              const std::string& tag, const std::string& data = "device") {
    std::vector<std::string> argv = {FIELDSYNC_CLI_PATH};
    if (!data.empty()) argv.insert(argv.end(), {"--data-dir", dir_.Sub(data)});
    argv.insert(argv.end(), args.begin(), args.end());
    const std::string out = dir_.Sub(tag + ".out"), err = dir_.Sub(tag + ".err");
    pid_t pid = fork();
    if (pid == 0) {
      int o = open(out.c_str(), O_WRONLY | O_CREAT | O_TRUNC, 0600);
      int e = open(err.c_str(), O_WRONLY | O_CREAT | O_TRUNC, 0600);
      dup2(o, 1);
      dup2(e, 2);
      // Only the test's own FIELDSYNC_* settings (never the shell's).
      std::vector<std::string> inherited;
      for (char** e = environ; *e != nullptr; ++e) {
        const std::string kv(*e);
        if (kv.rfind("FIELDSYNC_", 0) == 0) inherited.push_back(kv.substr(0, kv.find('=')));
      }
      for (const auto& name : inherited) unsetenv(name.c_str());
      for (const auto& [k, v] : env) setenv(k.c_str(), v.c_str(), 1);
      setenv("FIELDSYNC_MAX_ATTEMPTS",
             env.count("FIELDSYNC_MAX_ATTEMPTS") ? env.at("FIELDSYNC_MAX_ATTEMPTS").c_str() : "2",
             1);
      std::vector<char*> cargv;
      for (auto& a : argv) cargv.push_back(a.data());
      cargv.push_back(nullptr);
      execv(cargv[0], cargv.data());
      _exit(127);
    }
    return pid;
  }

  CliResult Cli(const std::vector<std::string>& args,
                const std::map<std::string, std::string>& env = {},
                const std::string& data = "device") {
    const std::string tag = "run" + std::to_string(runs_++);
    pid_t pid = Spawn(args, env, tag, data);
    int status = 0;
    waitpid(pid, &status, 0);
    CliResult r;
    r.code = WIFEXITED(status) ? WEXITSTATUS(status) : -1;
    r.out = Slurp(dir_.Sub(tag + ".out"));
    r.err = Slurp(dir_.Sub(tag + ".err"));
    return r;
  }

  void Init(const std::string& token) {
    std::ofstream(dir_.Sub("token")) << token << "\n";
    CliResult r = Cli({"init", "--server", server_->target(), "--token-file", dir_.Sub("token"),
                       "--plaintext", "--device-id", "tab-ninewa"});
    ASSERT_EQ(r.code, 0) << r.out << r.err;
    ASSERT_THAT(r.out, HasSubstr("forms cached"));
  }

  std::string WriteFile(const std::string& name, const std::string& text) {
    std::ofstream(dir_.Sub(name)) << text;
    return dir_.Sub(name);
  }

  TempDir dir_;
  std::unique_ptr<ServerProcess> server_;
  std::string ninewa_, admin_;
  int runs_ = 0;
};

TEST_F(CliTest, SettingsFlagOverEnvironmentOverConfigFile) {
  // `status` on a data dir that is not set up names the data dir it used.
  const std::string file = WriteFile("cli.conf", "data-dir = " + dir_.Sub("from-file") + "\n");
  CliResult r = Cli({"--config", file, "status"}, {}, "");
  EXPECT_EQ(r.code, 1);
  EXPECT_THAT(r.err, HasSubstr(dir_.Sub("from-file") + " is not set up"));
  r = Cli({"status"}, {{"FIELDSYNC_CONFIG", file}, {"FIELDSYNC_DATA_DIR", dir_.Sub("from-env")}},
          "");
  EXPECT_THAT(r.err, HasSubstr(dir_.Sub("from-env") + " is not set up"));
  r = Cli({"--data-dir", dir_.Sub("from-flag"), "status"},
          {{"FIELDSYNC_CONFIG", file}, {"FIELDSYNC_DATA_DIR", dir_.Sub("from-env")}}, "");
  EXPECT_THAT(r.err, HasSubstr(dir_.Sub("from-flag") + " is not set up"));
  // A setting may follow the command; a bad value names its source.
  r = Cli({"status", "--data-dir", dir_.Sub("after")}, {}, "");
  EXPECT_THAT(r.err, HasSubstr(dir_.Sub("after") + " is not set up"));
  r = Cli({"status"}, {{"FIELDSYNC_TIMEOUT_MS", "soon"}});
  EXPECT_EQ(r.code, 2);
  EXPECT_THAT(r.err, HasSubstr("FIELDSYNC_TIMEOUT_MS"));
  r = Cli({"--config", WriteFile("bad.conf", "server = x\n"), "status"});
  EXPECT_EQ(r.code, 2);
  EXPECT_THAT(r.err, HasSubstr("bad.conf:1: unknown setting 'server'"));
  // --help comes from the same table, with the variables.
  r = Cli({"--help"}, {}, "");
  EXPECT_EQ(r.code, 0);
  EXPECT_THAT(r.out, HasSubstr("[env FIELDSYNC_PUSH_BATCH]"));
  r = Cli({"record", "add", "--help"}, {}, "");
  EXPECT_EQ(r.code, 0);
  EXPECT_THAT(r.out, HasSubstr("key=value"));
}

TEST_F(CliTest, ImportCsvWithBadRowsThenSyncAndStatus) {
  Init(ninewa_);
  const std::string csv =
      WriteFile("border.csv",
                "governorate,district,visit_date,household_size,needs,head_of_household_name\n"
                "Ninewa,Mosul,2026-11-20,5,food;water,\"Doe, Jane\"\n"
                "Ninewa,Mosul,2026-11-20,five,,\n"       // line 3: not a number
                "Ninewa,\"Tel\nAfar\",2026-11-21,3,,\n"  // lines 4-5: quoted line break
                "Ninewa,Sinjar,2026-11-32,2,,\n"         // line 6: no such date
                "Ninewa,Sinjar,2026-11-22,2,,,\n"        // line 7: one cell too many
                "Ninewa,Bashiqa,2026-11-23,7,shelter,\n");
  CliResult r = Cli({"import-csv", "displacement_household", csv});
  EXPECT_EQ(r.code, 3) << r.out << r.err;
  EXPECT_THAT(r.out, HasSubstr("border.csv:3: field household_size: expected a whole number"));
  EXPECT_THAT(r.out, HasSubstr("border.csv:6: field visit_date"));
  EXPECT_THAT(r.out, HasSubstr("border.csv:7: has 7 cells, the header has 6"));
  EXPECT_THAT(r.out, Not(HasSubstr("border.csv:4")));
  EXPECT_THAT(r.out, HasSubstr("imported 3 of 6 rows; 3 rows with errors"));

  r = Cli({"record", "list", "displacement_household"});
  ASSERT_EQ(r.code, 0) << r.err;
  EXPECT_THAT(r.out, HasSubstr("3 records"));
  EXPECT_THAT(r.out, HasSubstr("district=Tel\nAfar"));
  EXPECT_THAT(r.out, HasSubstr("pending"));

  r = Cli({"record", "add", "displacement_household", "governorate=Ninewa", "district=Mosul",
           "visit_date=2026-11-24", "household_size=99"});
  EXPECT_EQ(r.code, 1);
  EXPECT_THAT(r.err, HasSubstr("field household_size"));

  r = Cli({"status"});
  EXPECT_THAT(r.out, HasSubstr("pending:    3"));
  EXPECT_THAT(r.out, HasSubstr("last sync:  never"));

  r = Cli({"sync"});
  ASSERT_EQ(r.code, 0) << r.out << r.err;
  EXPECT_THAT(r.out, HasSubstr("sent 3/3"));  // plain progress lines: not a terminal
  EXPECT_THAT(r.out, HasSubstr("sync done: sent 3 (applied 3"));

  r = Cli({"status"});
  EXPECT_THAT(r.out, HasSubstr("pending:    0"));
  EXPECT_THAT(r.out, HasSubstr("records:    3"));
  EXPECT_THAT(r.out, HasSubstr(" s ago"));
  r = Cli({"receipts"});
  EXPECT_THAT(r.out, HasSubstr("#3"));
  EXPECT_THAT(r.out, HasSubstr("APPLIED"));

  TestClient admin(server_->target(), admin_);
  EXPECT_EQ(admin.Pull("").records.size(), 3u);
}

TEST_F(CliTest, RecordAddEditRejectedAndExplained) {
  Init(ninewa_);
  CliResult r = Cli({"record", "add", "displacement_household", "governorate=Ninewa",
                     "district=Mosul", "visit_date=2026-11-24", "household_size=4"});
  ASSERT_EQ(r.code, 0) << r.err;
  const std::string id = r.out.substr(0, r.out.find('\n'));
  r = Cli({"record", "edit", id, "household_size=6", "intends_to_return=yes"});
  ASSERT_EQ(r.code, 0) << r.err;
  // Another governorate: valid for the form, refused by the server (scope).
  r = Cli({"record", "add", "displacement_household", "governorate=Anbar", "district=Ramadi",
           "visit_date=2026-11-24", "household_size=4"});
  ASSERT_EQ(r.code, 0) << r.err;
  r = Cli({"sync"});
  ASSERT_EQ(r.code, 0) << r.out << r.err;
  EXPECT_THAT(r.out, HasSubstr("rejected: record"));
  EXPECT_THAT(r.out, HasSubstr("outside your scope"));
  r = Cli({"status"});
  EXPECT_THAT(r.out, HasSubstr("rejected:   1"));
  EXPECT_THAT(r.out, HasSubstr("REJECTED record"));
  r = Cli({"record", "get", id});
  EXPECT_THAT(r.out, HasSubstr("household_size=6"));
  EXPECT_THAT(r.out, HasSubstr("synced"));
}

TEST_F(CliTest, RosterMembersWithParentAndRepeatImportedAndShownAsATree) {
  Init(admin_);  // dtm_household is scoped by lower-case governorate names
  CliResult r =
      Cli({"record", "add", "dtm_household", "visit_date=2026-11-20", "governorate=ninewa",
           "district=mosul", "consent=yes", "hh_size=3", "children_under_5=0"});
  ASSERT_EQ(r.code, 0) << r.out << r.err;
  const std::string hh = r.out.substr(0, r.out.find('\n'));
  r = Cli({"record", "add", "--parent", hh, "--repeat", "members", "sex=female", "age=40",
           "relationship=head"});
  ASSERT_EQ(r.code, 0) << r.out << r.err;
  // The form's own message, before anything is queued.
  r = Cli({"record", "add", "--parent", hh, "--repeat", "members", "sex=male", "age=130",
           "relationship=child"});
  EXPECT_EQ(r.code, 1);
  EXPECT_THAT(r.err, HasSubstr("Age must be between 0 and 120"));
  r = Cli({"record", "add", "--parent", hh, "sex=male"});
  EXPECT_EQ(r.code, 2);
  const std::string csv = WriteFile("members.csv", "parent_record_id,sex,age,relationship\n" + hh +
                                                       ",male,9,child\n" + hh +
                                                       ",male,130,child\n"
                                                       "no-such-household,female,3,child\n");
  r = Cli({"import-csv", "dtm_household", csv, "--repeat", "members"});
  EXPECT_EQ(r.code, 3) << r.out << r.err;
  EXPECT_THAT(r.out, HasSubstr("members.csv:3: field age: Age must be between 0 and 120"));
  EXPECT_THAT(r.out, HasSubstr("members.csv:4: no record no-such-household"));
  EXPECT_THAT(r.out, HasSubstr("imported 1 of 3 rows"));
  r = Cli({"import-csv", "dtm_household", csv, "--repeat", "members", "--parent-column", "x"});
  EXPECT_EQ(r.code, 1);
  EXPECT_THAT(r.err, HasSubstr("has no column x"));

  r = Cli({"record", "get", hh});
  ASSERT_EQ(r.code, 0) << r.err;
  EXPECT_THAT(r.out, HasSubstr("hh_size=3"));
  EXPECT_THAT(r.out, HasSubstr("  members[1] "));
  EXPECT_THAT(r.out, HasSubstr("relationship=head"));
  EXPECT_THAT(r.out, HasSubstr("  members[2] "));
  EXPECT_LT(r.out.find("members[1]"), r.out.find("members[2]"));

  r = Cli({"sync"});
  ASSERT_EQ(r.code, 0) << r.out << r.err;
  EXPECT_THAT(r.out, HasSubstr("applied 3"));
  TestClient admin(server_->target(), admin_);
  size_t members = 0;
  for (const auto& rec : admin.Pull("").records) {
    if (rec.parent_record_id() == hh) ++members;
  }
  EXPECT_EQ(members, 2u);
}

TEST_F(CliTest, ClearMessagesForUnreachableServerAndRevokedToken) {
  Init(ninewa_);
  CliResult r = Cli({"record", "add", "displacement_household", "governorate=Ninewa",
                     "district=Mosul", "visit_date=2026-11-24", "household_size=4"});
  ASSERT_EQ(r.code, 0) << r.err;
  server_->Stop(SIGTERM);
  r = Cli({"sync"});
  EXPECT_EQ(r.code, 1);
  EXPECT_THAT(r.err, HasSubstr("server unreachable"));
  EXPECT_THAT(r.err, HasSubstr("edits are safe"));
  r = Cli({"status"});
  EXPECT_THAT(r.out, HasSubstr("pending:    1"));
  EXPECT_THAT(r.out, HasSubstr("last error:"));

  server_->RevokeDevice("tab-ninewa");
  ASSERT_TRUE(server_->Start()) << server_->log();
  // The port changed with the restart: point the device at it again. init already meets the
  // refused token (it fetches the forms) and says so; the configuration is kept.
  r = Cli({"init", "--server", server_->target(), "--token", ninewa_, "--plaintext"});
  EXPECT_EQ(r.code, 1);
  EXPECT_THAT(r.err, HasSubstr("refused this device's token"));
  r = Cli({"sync"});
  EXPECT_EQ(r.code, 1);
  EXPECT_THAT(r.err, HasSubstr("refused this device's token"));
  r = Cli({"status"});
  EXPECT_THAT(r.out, HasSubstr("pending:    1"));
}

// On a terminal `sync` draws a progress bar (run under util-linux `script`, which gives the
// CLI a pseudo-terminal); the plain-lines case is covered above.
TEST_F(CliTest, SyncDrawsAProgressBarOnATerminal) {
  if (std::system("command -v script >/dev/null 2>&1") != 0) GTEST_SKIP() << "no script(1)";
  Init(ninewa_);
  std::string csv = "governorate,district,visit_date,household_size\n";
  for (int i = 0; i < 20; ++i) csv += "Ninewa,Mosul,2026-11-20,3\n";
  ASSERT_EQ(Cli({"import-csv", "displacement_household", WriteFile("tty.csv", csv)}).code, 0);
  const std::string cmd = "script -qec \"'" + std::string(FIELDSYNC_CLI_PATH) + "' --data-dir '" +
                          dir_.Sub("device") + "' sync\" /dev/null > '" + dir_.Sub("tty.out") +
                          "' 2>&1";
  ASSERT_EQ(std::system(cmd.c_str()), 0) << Slurp(dir_.Sub("tty.out"));
  const std::string out = Slurp(dir_.Sub("tty.out"));
  EXPECT_THAT(out, HasSubstr("\r[" + std::string(30, '#') + "] 20/20 sent"));
  EXPECT_THAT(out, Not(HasSubstr("\nsent 20/20")));
  EXPECT_THAT(out, HasSubstr("sync done: sent 20"));
}

TEST_F(CliTest, EnrollWithACodeThenSync) {
  TestClient admin(server_->target(), admin_);
  auto identity = v1::IdentityService::NewStub(admin.channel());
  v1::CreateEnrollmentCodeRequest req;
  req.set_role("enumerator");
  auto* scope = req.add_scopes();
  scope->set_field("governorate");
  scope->set_value("Ninewa");
  v1::CreateEnrollmentCodeResponse resp;
  auto ctx = admin.Context();
  grpc::Status s = identity->CreateEnrollmentCode(ctx.get(), req, &resp);
  ASSERT_TRUE(s.ok()) << s.error_message();

  CliResult r = Cli({"init", "--server", server_->target(), "--enroll-code", resp.code(),
                     "--plaintext", "--label", "tablet 7"});
  ASSERT_EQ(r.code, 0) << r.out << r.err;
  EXPECT_THAT(r.out, HasSubstr("enrolled as device"));
  EXPECT_THAT(r.out, HasSubstr("forms cached"));
  r = Cli({"record", "add", "displacement_household", "governorate=Ninewa", "district=Mosul",
           "visit_date=2026-11-24", "household_size=4"});
  ASSERT_EQ(r.code, 0) << r.err;
  r = Cli({"sync"});
  ASSERT_EQ(r.code, 0) << r.out << r.err;
  EXPECT_THAT(r.out, HasSubstr("applied 1"));
  // The code was for one use only.
  r = Cli({"init", "--server", server_->target(), "--enroll-code", resp.code(), "--plaintext"}, {},
          "second");
  EXPECT_EQ(r.code, 1);
  EXPECT_THAT(r.err, HasSubstr("enrollment failed"));
}

TEST_F(CliTest, TlsWithTheServersCaFile) {
  const std::string script = FormsDir() + "/../../scripts/dev-cert.sh";
  ASSERT_EQ(std::system(("'" + script + "' '" + dir_.Sub("certs") + "' >/dev/null").c_str()), 0);
  ASSERT_EQ(std::system(("'" + script + "' '" + dir_.Sub("other") + "' >/dev/null").c_str()), 0);
  server_->Stop(SIGTERM);
  server_ = std::make_unique<ServerProcess>(
      dir_.Sub("db"), std::vector<std::string>{"--tls-cert-file", dir_.Sub("certs/server.crt"),
                                               "--tls-key-file", dir_.Sub("certs/server.key")});
  ASSERT_TRUE(server_->Start()) << server_->log();
  // A device that trusts another CA cannot talk to the server.
  CliResult r = Cli({"init", "--server", server_->target(), "--token", ninewa_, "--ca-file",
                     dir_.Sub("other/server.crt")},
                    {{"FIELDSYNC_TIMEOUT_MS", "3000"}});
  EXPECT_EQ(r.code, 0) << r.err;
  EXPECT_THAT(r.out, HasSubstr("could not be fetched"));
  r = Cli({"init", "--server", server_->target(), "--token", ninewa_, "--ca-file",
           dir_.Sub("certs/server.crt")});
  ASSERT_EQ(r.code, 0) << r.err;
  EXPECT_THAT(r.out, HasSubstr("forms cached"));
  r = Cli({"record", "add", "displacement_household", "governorate=Ninewa", "district=Mosul",
           "visit_date=2026-11-24", "household_size=4"});
  ASSERT_EQ(r.code, 0) << r.err;
  r = Cli({"sync"});
  ASSERT_EQ(r.code, 0) << r.out << r.err;
  EXPECT_THAT(r.out, HasSubstr("sync done: sent 1 (applied 1"));
  r = Cli(
      {"init", "--server", server_->target(), "--token", ninewa_, "--ca-file", "x", "--plaintext"});
  EXPECT_EQ(r.code, 2);
}

TEST_F(CliTest, InitAgainstNothingStillConfiguresAndSaysSo) {
  CliResult r = Cli({"init", "--server", "127.0.0.1:1", "--token", "t", "--plaintext"},
                    {{"FIELDSYNC_TIMEOUT_MS", "2000"}});
  EXPECT_EQ(r.code, 0) << r.err;
  EXPECT_THAT(r.out, HasSubstr("could not be fetched now"));
  r = Cli({"record", "add", "displacement_household", "household_size=4"});
  EXPECT_EQ(r.code, 1);
  EXPECT_THAT(r.err, HasSubstr("not known on this device"));
  r = Cli({"bogus"});
  EXPECT_EQ(r.code, 2);
}

TEST_F(CliTest, BundleExportImportAndReceiptsRoundTrip) {
  Init(ninewa_);
  for (int i = 0; i < 3; ++i) {
    CliResult r =
        Cli({"record", "add", "displacement_household", "governorate=Ninewa", "district=Mosul",
             "visit_date=2026-11-24", "household_size=" + std::to_string(i + 2)});
    ASSERT_EQ(r.code, 0) << r.err;
  }
  const std::string bundle = dir_.Sub("post.fsb"), receipts = dir_.Sub("post.fsr");
  CliResult r = Cli({"bundle", "export", bundle});
  ASSERT_EQ(r.code, 0) << r.err;
  EXPECT_THAT(r.out, HasSubstr("wrote 3 pending edits"));

  // Head office: an admin imports the file through the server's push path.
  r = Cli({"init", "--server", server_->target(), "--token", admin_, "--plaintext", "--device-id",
           "admin"},
          {}, "office");
  ASSERT_EQ(r.code, 0) << r.err;
  r = Cli({"bundle", "import", bundle, receipts}, {}, "office");
  ASSERT_EQ(r.code, 0) << r.out << r.err;
  EXPECT_THAT(r.out, HasSubstr("imported 3 mutations: APPLIED 3"));
  r = Cli({"bundle", "import", bundle, receipts + ".again"}, {}, "office");
  ASSERT_EQ(r.code, 0) << r.out << r.err;  // a second import applies nothing new
  EXPECT_THAT(r.out, HasSubstr("imported 3 mutations: APPLIED 3"));  // original outcomes
  TestClient admin(server_->target(), admin_);
  auto records = admin.Pull("").records;
  ASSERT_EQ(records.size(), 3u);
  for (const auto& rec : records) EXPECT_EQ(rec.version(), 1u);

  // Back on the device: the receipts clear the outbox; a later sync sends nothing.
  r = Cli({"bundle", "import", receipts});
  ASSERT_EQ(r.code, 0) << r.err;
  EXPECT_THAT(r.out, HasSubstr("applied 3 receipts"));
  r = Cli({"status"});
  EXPECT_THAT(r.out, HasSubstr("pending:    0"));
  r = Cli({"sync"});
  ASSERT_EQ(r.code, 0) << r.err;
  EXPECT_THAT(r.out, HasSubstr("sync done: sent 0"));
  // Receipts signed for another device are refused.
  r = Cli({"bundle", "export", dir_.Sub("empty.fsb")}, {}, "office");
  ASSERT_EQ(r.code, 0) << r.err;
  r = Cli({"bundle", "import", dir_.Sub("empty.fsb"), dir_.Sub("office.fsr")}, {}, "office");
  ASSERT_EQ(r.code, 0) << r.err;
  r = Cli({"bundle", "import", dir_.Sub("office.fsr")});
  EXPECT_EQ(r.code, 1);
  EXPECT_THAT(r.err, HasSubstr("signature"));
}

// A CLI killed at a random point of a long sync, then run again: the server holds every
// mutation exactly once.
// `forms convert` prints an XLSForm as the form's JSON without a server (or a data dir);
// `forms publish` sends it to PublishForm as an admin; a bad workbook is named by its cell.
TEST_F(CliTest, FormsConvertAndPublishAnXlsForm) {
  const std::string example =
      std::string(FIELDSYNC_SOURCE_DIR) + "/deploy/forms/dtm_household.xlsx";
  CliResult r = Cli({"forms", "convert", example}, {}, "no-such-dir");
  ASSERT_EQ(r.code, 0) << r.err;
  EXPECT_THAT(r.out, HasSubstr("\"formId\": \"dtm_household\""));
  EXPECT_THAT(r.out, HasSubstr("\"repeatCount\": \"${hh_size}\""));
  EXPECT_THAT(r.out, HasSubstr("Kurdish (ku)"));

  r = Cli({"forms", "convert", WriteFile("bad.xlsx", "not a workbook")}, {}, "no-such-dir");
  EXPECT_EQ(r.code, 1);
  EXPECT_THAT(r.err, HasSubstr("not an .xlsx workbook"));
  EXPECT_EQ(Cli({"forms", "convert"}, {}, "no-such-dir").code, 2);
  EXPECT_EQ(Cli({"forms", "convert", example, "--version", "x"}, {}, "no-such-dir").code, 2);

  std::ofstream(dir_.Sub("admin-token")) << admin_ << "\n";
  r = Cli({"forms", "publish", example, "--version", "2026120299", "--server", server_->target(),
           "--token-file", dir_.Sub("admin-token"), "--plaintext"},
          {}, "no-such-dir");
  ASSERT_EQ(r.code, 0) << r.err;
  EXPECT_THAT(r.out, HasSubstr("published dtm_household version 2026120299"));
  // An enumerator may not publish.
  std::ofstream(dir_.Sub("tablet-token")) << ninewa_ << "\n";
  r = Cli({"forms", "publish", example, "--version", "2026120300", "--server", server_->target(),
           "--token-file", dir_.Sub("tablet-token"), "--plaintext"},
          {}, "no-such-dir");
  EXPECT_EQ(r.code, 1);
}

TEST_F(CliTest, KilledDuringSyncThenResumedAppliesEachMutationOnce) {
  Init(ninewa_);
  constexpr int kRows = 1200;
  std::string csv = "governorate,district,visit_date,household_size\n";
  for (int i = 0; i < kRows; ++i) {
    csv += "Ninewa,D" + std::to_string(i) + ",2026-11-20," + std::to_string(1 + i % 50) + "\n";
  }
  CliResult r = Cli({"import-csv", "displacement_household", WriteFile("big.csv", csv)});
  ASSERT_EQ(r.code, 0) << r.out;

  TestClient device(server_->target(), ninewa_);
  pid_t pid = Spawn({"sync"}, {{"FIELDSYNC_PUSH_BATCH", "5"}}, "killed");
  // Wait (polling with a deadline, as the admin so the device's own rate limit is left to
  // the sync) until part of the outbox is on the server, then kill.
  TestClient admin(server_->target(), admin_);
  size_t seen = 0;
  const auto deadline = std::chrono::steady_clock::now() + std::chrono::seconds(60);
  while (std::chrono::steady_clock::now() < deadline && seen < 100) {
    PullResult p = admin.Pull("", {}, 100);
    if (p.status.ok()) seen = p.records.size();
    std::this_thread::sleep_for(std::chrono::milliseconds(5));  // poll interval
  }
  kill(pid, SIGKILL);
  int status = 0;
  waitpid(pid, &status, 0);
  ASSERT_TRUE(WIFSIGNALED(status)) << "the sync finished before it could be killed";
  ASSERT_GE(seen, 100u);
  {
    v1::ListReceiptsResponse resp;
    ASSERT_TRUE(device.ListReceipts(kRows, &resp).ok());
    ASSERT_LT(resp.acked_device_seq(), static_cast<uint64_t>(kRows)) << "killed too late";
  }

  r = Cli({"sync"}, {{"FIELDSYNC_PUSH_BATCH", "200"}});
  ASSERT_EQ(r.code, 0) << r.out << r.err;
  v1::ListReceiptsResponse resp;
  ASSERT_TRUE(device.ListReceipts(1, &resp).ok());
  EXPECT_EQ(resp.acked_device_seq(), static_cast<uint64_t>(kRows));
  EXPECT_EQ(resp.receipts_size(), kRows);
  for (const auto& rc : resp.receipts()) EXPECT_EQ(rc.outcome(), v1::APPLIED);
  auto records = admin.Pull("").records;
  EXPECT_EQ(records.size(), static_cast<size_t>(kRows));
  for (const auto& rec : records) ASSERT_EQ(rec.version(), 1u);
  r = Cli({"status"});
  EXPECT_THAT(r.out, HasSubstr("pending:    0"));
  EXPECT_THAT(r.out, HasSubstr("records:    1200"));
}

}  // namespace
}  // namespace fieldsync::testing
