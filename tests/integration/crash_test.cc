// Crash test: fieldsyncd is killed with SIGKILL at random moments while several devices push.
// After each restart the devices resend what was not acknowledged. At the end every
// acknowledged mutation is present with the acknowledged content and version, nothing
// partial is visible, and pushing everything again changes nothing.
#include <signal.h>
#include <sys/wait.h>

#include <atomic>
#include <cstdlib>
#include <map>
#include <random>
#include <thread>

#include "gtest/gtest.h"
#include "tests/testing/server_process.h"
#include "tests/testing/temp_dir.h"
#include "tests/testing/test_client.h"

namespace fieldsync::testing {
namespace {

constexpr int kDevices = 3;
constexpr int kMutationsPerDevice = 1500;
constexpr int kBatch = 10;
// FIELDSYNC_CRASH_KILLS raises the number of kills for a longer run outside CI.
int KillsFromEnv() {
  const char* v = std::getenv("FIELDSYNC_CRASH_KILLS");
  return v != nullptr && std::atoi(v) > 0 ? std::atoi(v) : 5;
}
const int kKills = KillsFromEnv();

// Device d's script: creates, each followed by two edits of the same record (sequential
// versions), so the final state of every record is known in advance.
std::vector<v1::Mutation> Script(int d) {
  std::vector<v1::Mutation> out;
  uint64_t seq = 0;
  for (int i = 0; out.size() < kMutationsPerDevice; ++i) {
    std::string id = "crash-" + std::to_string(d) + "-" + std::to_string(i);
    out.push_back(HouseholdCreate(++seq, id, "Ninewa", 1));
    for (int e = 1; e <= 2 && out.size() < kMutationsPerDevice; ++e) {
      out.push_back(MakeMutation(
          {++seq,
           id,
           "displacement_household",
           static_cast<uint64_t>(e),
           {{"household_size", Int(1 + e)}, {"district", Text("edit-" + std::to_string(e))}}}));
    }
  }
  return out;
}

struct Ack {
  v1::Receipt receipt;
};

class Device {
 public:
  Device(int index, std::string token)
      : index_(index), token_(std::move(token)), script_(Script(index)) {}

  // Pushes from the first unacknowledged mutation until done or the stream breaks.
  // Returns true when every mutation is acknowledged.
  bool RunUntilBroken(const std::string& target) {
    TestClient c(target, token_);
    auto ctx = c.Context(60'000);
    auto stream = c.sync()->Push(ctx.get());
    while (next_ < script_.size()) {
      v1::PushRequest req;
      size_t end = std::min(script_.size(), next_ + kBatch);
      for (size_t i = next_; i < end; ++i) *req.add_mutations() = script_[i];
      if (!stream->Write(req)) break;
      v1::PushResponse resp;
      if (!stream->Read(&resp)) break;
      for (const auto& r : resp.receipts()) {
        EXPECT_NE(r.outcome(), v1::REJECTED) << r.ShortDebugString();
        EXPECT_NE(r.outcome(), v1::OUT_OF_ORDER) << r.ShortDebugString();
        EXPECT_NE(r.outcome(), v1::CONFLICT) << r.ShortDebugString();
        acks_[r.device_seq()] = r;
      }
      next_ = end;
    }
    ctx->TryCancel();
    stream->Finish();
    return next_ >= script_.size();
  }

  const std::vector<v1::Mutation>& script() const { return script_; }
  const std::map<uint64_t, v1::Receipt>& acks() const { return acks_; }
  const std::string& token() const { return token_; }

 private:
  int index_;
  std::string token_;
  std::vector<v1::Mutation> script_;
  size_t next_ = 0;
  std::map<uint64_t, v1::Receipt> acks_;
};

TEST(CrashTest, KillNineDuringMultiDevicePushLosesAndDuplicatesNothing) {
  TempDir dir;
  ServerProcess server(dir.Sub("db"));
  std::vector<std::unique_ptr<Device>> devices;
  for (int d = 0; d < kDevices; ++d) {
    devices.push_back(std::make_unique<Device>(
        d, server.AddDevice(
               {"crash-tab-" + std::to_string(d), "enumerator", {"governorate=Ninewa"}})));
  }
  std::string admin = server.AddDevice({"crash-admin", "admin", {}, true});
  std::string feed = server.AddDevice({"crash-feed", "feed_reader", {}, true});

  std::mt19937 rng(20261127);
  int kills = 0;
  int interrupted = 0;  // kills that hit devices with work left
  std::vector<bool> done(kDevices, false);
  for (int round = 0; round < kKills + 20; ++round) {
    ASSERT_TRUE(server.Start()) << server.log();
    std::vector<std::thread> threads;
    for (int d = 0; d < kDevices; ++d) {
      threads.emplace_back([&, d] { done[d] = devices[d]->RunUntilBroken(server.target()); });
    }
    if (kills < kKills) {
      std::this_thread::sleep_for(std::chrono::milliseconds(5 + rng() % 150));  // a random moment
      server.Kill();
      ++kills;
      for (auto& t : threads) t.join();
      threads.clear();
      if (!std::all_of(done.begin(), done.end(), [](bool b) { return b; })) ++interrupted;
    }
    for (auto& t : threads) t.join();
    if (kills >= kKills && std::all_of(done.begin(), done.end(), [](bool b) { return b; })) break;
    if (server.running()) server.Kill();
  }
  ASSERT_EQ(kills, kKills);
  EXPECT_GE(interrupted, 1) << "no kill landed during a push: the test proved nothing";
  if (!server.running()) ASSERT_TRUE(server.Start()) << server.log();
  for (int d = 0; d < kDevices; ++d) ASSERT_TRUE(done[d]) << "device " << d << " did not finish";

  // Every acknowledged mutation is there with its acknowledged version and content.
  TestClient admin_client(server.target(), admin);
  PullResult pull = admin_client.Pull("");
  ASSERT_TRUE(pull.status.ok()) << pull.status.error_message();
  auto records = ById(pull.records);
  size_t expected_records = 0;
  for (const auto& dev : devices) {
    ASSERT_EQ(dev->acks().size(), dev->script().size());
    std::map<std::string, uint64_t> last_version;
    for (const auto& [seq, r] : dev->acks()) {
      const auto& m = dev->script()[seq - 1];
      EXPECT_EQ(r.record_id(), m.record_id());
      EXPECT_GT(r.record_version(), 0u) << r.ShortDebugString();
      last_version[m.record_id()] = std::max(last_version[m.record_id()], r.record_version());
    }
    for (const auto& [id, version] : last_version) {
      ++expected_records;
      ASSERT_EQ(records.count(id), 1u) << id;
      const auto& rec = records[id];
      EXPECT_EQ(rec.version(), version) << id;
      // Nothing partial: the fields are exactly those of the acknowledged version.
      EXPECT_EQ(rec.fields().at("household_size").integer(), static_cast<int64_t>(version)) << id;
      EXPECT_EQ(rec.fields().at("governorate").text(), "Ninewa");
      EXPECT_EQ(rec.fields().at("district").text(),
                version == 1 ? "Mosul" : "edit-" + std::to_string(version - 1));
    }
  }
  EXPECT_EQ(records.size(), expected_records);

  // Re-pushing everything changes nothing: every receipt is a duplicate of the stored one.
  std::vector<v1::Change> before;
  uint64_t head_before = 0;
  ASSERT_TRUE(TestClient(server.target(), feed).Changes(1, &before, &head_before).ok());
  EXPECT_EQ(before.size(), kDevices * static_cast<size_t>(kMutationsPerDevice));
  for (const auto& dev : devices) {
    TestClient c(server.target(), dev->token());
    std::vector<std::vector<v1::Mutation>> batches;
    for (size_t i = 0; i < dev->script().size(); i += 100) {
      batches.emplace_back(dev->script().begin() + i,
                           dev->script().begin() + std::min(dev->script().size(), i + 100));
    }
    std::vector<v1::Receipt> receipts;
    ASSERT_TRUE(c.Push(batches, &receipts).ok());
    ASSERT_EQ(receipts.size(), dev->script().size());
    for (const auto& r : receipts) {
      EXPECT_EQ(r.outcome(), v1::DUPLICATE);
      const auto& first = dev->acks().at(r.device_seq());
      EXPECT_EQ(r.seq(), first.seq());
      EXPECT_EQ(r.record_version(), first.record_version());
    }
  }
  std::vector<v1::Change> after;
  uint64_t head_after = 0;
  ASSERT_TRUE(TestClient(server.target(), feed).Changes(1, &after, &head_after).ok());
  EXPECT_EQ(head_after, head_before);
  EXPECT_EQ(after.size(), before.size());

  int status = server.Stop(SIGTERM);
  EXPECT_TRUE(WIFEXITED(status) && WEXITSTATUS(status) == 0) << server.log();
  EXPECT_EQ(server.SanitizerReport(), "");
}

}  // namespace
}  // namespace fieldsync::testing
