// `fieldsync admin webhooks` against a real fieldsyncd and a receiver on 127.0.0.1 port 0:
// add, deliveries with valid signatures, list, SIGKILL of fieldsyncd while it delivers (the
// receiver still sees every seq, deduping by the idempotency key), remove; a non-admin and a
// plain-http URL off loopback are refused. (Retries, timeouts, dead letters and replay are in
// tests/webhook with fast backoff.)
#include <httplib.h>
#include <signal.h>

#include <chrono>
#include <fstream>
#include <mutex>
#include <set>
#include <thread>

#include "absl/strings/escaping.h"
#include "absl/strings/str_cat.h"
#include "gmock/gmock.h"
#include "gtest/gtest.h"
#include "server/forms/pseudonymizer.h"
#include "tests/testing/run_program.h"
#include "tests/testing/server_process.h"
#include "tests/testing/server_test.h"
#include "tests/testing/test_client.h"

namespace fieldsync::testing {
namespace {

using ::testing::HasSubstr;

constexpr char kSecret[] = "receiver-shared-secret-0123456789";

class Receiver {
 public:
  Receiver() {
    server_.Post("/hook", [this](const httplib::Request& req, httplib::Response& res) {
      std::lock_guard<std::mutex> l(mu_);
      const std::string want = "sha256=" + absl::BytesToHexString(HmacSha256(kSecret, req.body));
      if (req.get_header_value("X-Fieldsync-Signature") != want) ++bad_signatures_;
      seqs_.insert(std::stoull(req.get_header_value("Idempotency-Key")));
      res.status = 204;
    });
    port_ = server_.bind_to_any_port("127.0.0.1");
    thread_ = std::thread([this] { server_.listen_after_bind(); });
  }
  ~Receiver() {
    server_.stop();
    thread_.join();
  }
  std::string Url() const { return absl::StrCat("http://127.0.0.1:", port_, "/hook"); }
  std::set<uint64_t> seqs() {
    std::lock_guard<std::mutex> l(mu_);
    return seqs_;
  }
  int bad_signatures() {
    std::lock_guard<std::mutex> l(mu_);
    return bad_signatures_;
  }

 private:
  httplib::Server server_;
  std::thread thread_;
  int port_ = 0;
  std::mutex mu_;
  std::set<uint64_t> seqs_;
  int bad_signatures_ = 0;
};

template <typename F>
bool Eventually(F done, int seconds = 15) {
  const auto deadline = std::chrono::steady_clock::now() + std::chrono::seconds(seconds);
  while (std::chrono::steady_clock::now() < deadline) {
    if (done()) return true;
    std::this_thread::sleep_for(std::chrono::milliseconds(20));
  }
  return done();
}

class CliWebhookTest : public ServerTest {
 protected:
  void SetUp() override {
    server_ = std::make_unique<ServerProcess>(dir_.Sub("db"));
    admin_ = server_->AddDevice({"admin", "admin", {}, true});
    tab_ = server_->AddDevice({"tab-1", "enumerator", {"governorate=Ninewa"}});
    ASSERT_TRUE(server_->Start()) << server_->log();
    std::ofstream(dir_.Sub("secret")) << kSecret << "\n";
  }

  ProgramResult Admin(const std::string& token, const std::vector<std::string>& args) {
    const std::string token_file = dir_.Sub("token" + std::to_string(runs_));
    std::ofstream(token_file) << token << "\n";
    std::vector<std::string> argv = {
        FIELDSYNC_CLI_PATH, "--data-dir",   dir_.Sub("cli"), "admin",      "--server",
        server_->target(),  "--token-file", token_file,      "--plaintext"};
    argv.insert(argv.end(), args.begin(), args.end());
    return RunProgram(argv, dir_.Sub("run" + std::to_string(runs_++)));
  }

  // Pushes `n` Ninewa households; returns their seqs.
  std::vector<uint64_t> Push(int n) {
    std::vector<v1::Mutation> batch;
    for (int i = 0; i < n; ++i) {
      batch.push_back(HouseholdCreate(++device_seq_, "h" + std::to_string(device_seq_), "Ninewa"));
    }
    std::vector<v1::Receipt> receipts;
    EXPECT_TRUE(Client(tab_).PushOne(batch, &receipts).ok());
    std::vector<uint64_t> seqs;
    for (const auto& r : receipts) seqs.push_back(r.seq());
    return seqs;
  }

  std::string admin_, tab_;
  int runs_ = 0;
  uint64_t device_seq_ = 0;
};

TEST_F(CliWebhookTest, DeliversSurvivesAKillListsAndRemoves) {
  Receiver receiver;
  ProgramResult add = Admin(admin_, {"webhooks", "add", receiver.Url(), "--secret-file",
                                     dir_.Sub("secret"), "--form", "displacement_household"});
  ASSERT_EQ(add.code, 0) << add.out << add.err;
  const std::string id = add.out.substr(6, add.out.find(' ', 6) - 6);  // "added wh-…"
  ASSERT_EQ(id.rfind("wh-", 0), 0u) << add.out;

  std::vector<uint64_t> seqs = Push(5);
  ASSERT_TRUE(Eventually([&] { return receiver.seqs().size() == 5; }));

  // SIGKILL while changes are being delivered; after a restart every seq still arrives.
  std::vector<uint64_t> more = Push(40);
  server_->Kill();
  ASSERT_TRUE(server_->Start()) << server_->log();
  ASSERT_TRUE(Eventually([&] { return receiver.seqs().size() == 45; })) << receiver.seqs().size();
  std::set<uint64_t> want(seqs.begin(), seqs.end());
  want.insert(more.begin(), more.end());
  EXPECT_EQ(receiver.seqs(), want);
  EXPECT_EQ(receiver.bad_signatures(), 0);

  ProgramResult list = Admin(admin_, {"webhooks", "list"});
  ASSERT_EQ(list.code, 0) << list.err;
  EXPECT_THAT(list.out, HasSubstr(id));
  EXPECT_THAT(list.out, HasSubstr("1 webhook targets"));
  EXPECT_THAT(list.out, ::testing::Not(HasSubstr(kSecret)));

  // A non-admin cannot see or change targets.
  EXPECT_EQ(Admin(tab_, {"webhooks", "list"}).code, 1);
  // A plain-http URL off loopback is refused.
  ProgramResult bad = Admin(
      admin_, {"webhooks", "add", "http://example.org/x", "--secret-file", dir_.Sub("secret")});
  EXPECT_EQ(bad.code, 1);
  EXPECT_THAT(bad.err, HasSubstr("https"));

  ASSERT_EQ(Admin(admin_, {"webhooks", "remove", id}).code, 0);
  EXPECT_EQ(Admin(admin_, {"webhooks", "remove", id}).code, 1);
}

}  // namespace
}  // namespace fieldsync::testing
