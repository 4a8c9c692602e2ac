// Webhooks: filters, payload and signature, and the dispatcher against a real HTTP receiver on
// 127.0.0.1 port 0 that answers 500, times out, closes the connection, then recovers: every
// change delivered at least once, in seq order per target, signatures valid; a target that
// fails forever ends in the dead-letter list and replay delivers it; retention keeps what an
// enabled target has not delivered.
#include <httplib.h>

#include <chrono>
#include <mutex>
#include <nlohmann/json.hpp>
#include <set>
#include <thread>

#include "absl/strings/str_cat.h"
#include "gtest/gtest.h"
#include "server/webhook/dispatcher.h"
#include "server/webhook/payload.h"
#include "tests/sync/sync_fixture.h"

namespace fieldsync::webhook {
namespace {

using sync_test::Create;
using sync_test::Delete;
using sync_test::Household;
using sync_test::Upsert;

constexpr char kSecret[] = "0123456789abcdef-secret";

// A receiver on loopback port 0. Each request is answered by the next scripted behaviour
// (then 200 forever): 500, a stall longer than the client's timeout, or a closed connection.
class Receiver {
 public:
  enum class Act { kOk, k500, kStall, kClose };

  Receiver() {
    server_.Post("/hook", [this](const httplib::Request& req, httplib::Response& res) {
      Act act = Act::kOk;
      {
        std::lock_guard<std::mutex> l(mu_);
        if (!script_.empty()) {
          act = script_.front();
          script_.erase(script_.begin());
        }
        ++requests_;
      }
      switch (act) {
        case Act::k500:
          res.status = 500;
          return;
        case Act::kStall:
          std::this_thread::sleep_for(std::chrono::milliseconds(400));
          res.status = 200;
          return;
        case Act::kClose:
          // Headers promise 100 bytes; the connection closes before any of them.
          res.status = 200;
          res.set_content_provider(100, "text/plain",
                                   [](size_t, size_t, httplib::DataSink&) { return false; });
          return;
        case Act::kOk:
          break;
      }
      std::lock_guard<std::mutex> l(mu_);
      const uint64_t seq = std::stoull(req.get_header_value("Idempotency-Key"));
      const std::string sig = req.get_header_value("X-Fieldsync-Signature");
      if (sig != SignatureHeader(kSecret, req.body)) ++bad_signatures_;
      auto body = nlohmann::json::parse(req.body, nullptr, false);
      if (body.is_discarded() || body["seq"] != seq) ++bad_bodies_;
      deliveries_.push_back(seq);
      events_.push_back(req.get_header_value("X-Fieldsync-Event"));
      res.status = 200;
    });
    port_ = server_.bind_to_any_port("127.0.0.1");
    thread_ = std::thread([this] { server_.listen_after_bind(); });
  }
  ~Receiver() {
    server_.stop();
    thread_.join();
  }
  std::string Url() const { return absl::StrCat("http://127.0.0.1:", port_, "/hook"); }
  void Script(std::vector<Act> acts) {
    std::lock_guard<std::mutex> l(mu_);
    script_ = std::move(acts);
  }
  std::vector<uint64_t> Deliveries() {
    std::lock_guard<std::mutex> l(mu_);
    return deliveries_;
  }
  std::vector<std::string> Events() {
    std::lock_guard<std::mutex> l(mu_);
    return events_;
  }
  int requests() {
    std::lock_guard<std::mutex> l(mu_);
    return requests_;
  }
  int bad_signatures() {
    std::lock_guard<std::mutex> l(mu_);
    return bad_signatures_;
  }
  int bad_bodies() {
    std::lock_guard<std::mutex> l(mu_);
    return bad_bodies_;
  }

 private:
  httplib::Server server_;
  std::thread thread_;
  int port_ = 0;
  std::mutex mu_;
  std::vector<Act> script_;
  std::vector<uint64_t> deliveries_;
  std::vector<std::string> events_;
  int requests_ = 0;
  int bad_signatures_ = 0;
  int bad_bodies_ = 0;
};

// Polls `done` until it holds or 10 s pass.
template <typename F>
bool Eventually(F done) {
  const auto deadline = std::chrono::steady_clock::now() + std::chrono::seconds(10);
  while (std::chrono::steady_clock::now() < deadline) {
    if (done()) return true;
    std::this_thread::sleep_for(std::chrono::milliseconds(5));
  }
  return done();
}

class WebhookTest : public sync_test::SyncFixture {
 protected:
  DispatcherOptions Fast() {
    DispatcherOptions o;
    o.first_backoff = std::chrono::milliseconds(2);
    o.max_backoff = std::chrono::milliseconds(20);
    o.timeout = std::chrono::milliseconds(150);
    o.max_attempts = 5;
    o.jitter_seed = 7;
    return o;
  }
  void StartDispatcher(DispatcherOptions o) {
    dispatcher_ = std::make_unique<WebhookDispatcher>(store_.get(), feed_, &poster_, &clock_, o);
    ASSERT_TRUE(dispatcher_->Start().ok());
  }
  WebhookTarget Target(const std::string& url) {
    WebhookTarget t;
    t.url = url;
    t.secret = kSecret;
    t.events = 7;
    return t;
  }
  // Creates, edits and deletes households; returns the seqs of their changes.
  std::vector<uint64_t> Changes(int n, const std::string& prefix = "h") {
    std::vector<uint64_t> seqs;
    for (int i = 0; i < n; ++i) {
      seqs.push_back(
          PushNext(field_, Create(0, prefix + std::to_string(i), Household("Anbar"), At(i))).seq);
    }
    FieldMap edit;
    edit["household_size"] = int64_t{9};
    seqs.push_back(PushNext(field_, Upsert(0, prefix + "0", 1, edit, At(100))).seq);
    seqs.push_back(PushNext(field_, Delete(0, prefix + "1", 1, At(101))).seq);
    return seqs;
  }
  static Hlc At(int64_t ms) { return sync_test::At(ms, "tab"); }

  Device field_ = sync_test::InGovernorate("tab", "Anbar");
  HttplibPoster poster_;
  std::unique_ptr<WebhookDispatcher> dispatcher_;
};

TEST(PayloadTest, FilterEventsAndSignature) {
  ChangeEntry c;
  c.seq = 5;
  c.form_id = "f";
  c.created = true;
  c.scope_after = {{"governorate", "Anbar"}};
  WebhookTarget t;
  t.events = static_cast<uint32_t>(WebhookEvent::kCreate);
  EXPECT_TRUE(Wants(t, c));
  t.form_ids = {"other"};
  EXPECT_FALSE(Wants(t, c));
  t.form_ids = {"f"};
  t.scopes = {{"governorate", "Ninewa"}};
  EXPECT_FALSE(Wants(t, c));
  c.scope_before = {{"governorate", "Ninewa"}};  // left Ninewa: Ninewa's target hears of it
  EXPECT_TRUE(Wants(t, c));
  c.created = false;
  EXPECT_EQ(EventOf(c), WebhookEvent::kUpdate);
  EXPECT_FALSE(Wants(t, c));
  c.deleted_after = true;
  EXPECT_EQ(EventOf(c), WebhookEvent::kDelete);
  EXPECT_EQ(ParseEvent("delete"), WebhookEvent::kDelete);
  EXPECT_FALSE(ParseEvent("conflict").has_value());
  // RFC 4231 test case 2.
  EXPECT_EQ(SignatureHeader("Jefe", "what do ya want for nothing?"),
            "sha256=5bdcc146bf60754e6a042426089575c75a003f089d2739839dec58b964ec3843");
}

TEST(PayloadTest, BodyCarriesTheChangeAndTheRecord) {
  ChangeEntry c;
  c.seq = 9;
  c.record_id = "r1";
  c.form_id = "f";
  c.version = 2;
  c.device_id = "tab";
  c.commit_time_ms = 1764656387123;
  c.changes = {{"n", int64_t{1}, int64_t{2}}, {"loc", Value{}, GeoPoint{1.5, 2.5}}};
  Record r;
  r.version = 2;
  r.fields["n"] = int64_t{2};
  r.fields["needs"] = std::vector<std::string>{"food"};
  auto body = nlohmann::json::parse(PayloadJson(c, r));
  EXPECT_EQ(body["seq"], 9);
  EXPECT_EQ(body["event"], "update");
  EXPECT_EQ(body["commit_time"], "2025-12-02T06:19:47.123Z");
  EXPECT_EQ(body["changes"][0]["before"], 1);
  EXPECT_EQ(body["changes"][1]["after"]["longitude"], 2.5);
  EXPECT_TRUE(body["changes"][1]["before"].is_null());
  EXPECT_EQ(body["record"]["fields"]["needs"][0], "food");
  EXPECT_TRUE(nlohmann::json::parse(PayloadJson(c, std::nullopt))["record"].is_null());
}

TEST(TargetUrlTest, HttpsOrLoopbackOnly) {
  EXPECT_TRUE(CheckTargetUrl("https://example.org/hook").ok());
  EXPECT_TRUE(CheckTargetUrl("https://example.org:8443").ok());
  EXPECT_TRUE(CheckTargetUrl("http://127.0.0.1:8080/x").ok());
  EXPECT_TRUE(CheckTargetUrl("http://localhost/x").ok());
  EXPECT_FALSE(CheckTargetUrl("http://example.org/hook").ok());
  EXPECT_FALSE(CheckTargetUrl("http://127.evil.org/").ok());
  EXPECT_FALSE(CheckTargetUrl("ftp://example.org/").ok());
  EXPECT_FALSE(CheckTargetUrl("https://user@example.org/").ok());
  EXPECT_FALSE(CheckTargetUrl("https:///x").ok());
  EXPECT_FALSE(CheckTargetUrl("https://a.org/x y").ok());
  EXPECT_FALSE(CheckTargetUrl("https://a.org/" + std::string(2048, 'x')).ok());
}

TEST_F(WebhookTest, DeliversInOrderThroughErrorsTimeoutsAndCuts) {
  Receiver receiver;
  StartDispatcher(Fast());
  auto added = dispatcher_->Add(Target(receiver.Url()));
  ASSERT_TRUE(added.ok()) << added.status();
  receiver.Script(
      {Receiver::Act::k500, Receiver::Act::kStall, Receiver::Act::kClose, Receiver::Act::k500});
  std::vector<uint64_t> seqs = Changes(4);
  ASSERT_TRUE(Eventually([&] {
    auto d = receiver.Deliveries();
    return std::set<uint64_t>(d.begin(), d.end()).size() == seqs.size();
  })) << receiver.Deliveries().size();
  std::vector<uint64_t> got = receiver.Deliveries();
  // At least once and in order: dropping repeats of the same seq gives exactly the seqs.
  got.erase(std::unique(got.begin(), got.end()), got.end());
  EXPECT_EQ(got, seqs);
  EXPECT_GE(receiver.requests(), static_cast<int>(seqs.size()) + 4);
  EXPECT_EQ(receiver.bad_signatures(), 0);
  EXPECT_EQ(receiver.bad_bodies(), 0);
  auto events = receiver.Events();
  EXPECT_EQ(events.front(), "create");
  EXPECT_EQ(events.back(), "delete");
  auto list = dispatcher_->List();
  ASSERT_TRUE(list.ok());
  ASSERT_EQ(list->size(), 1u);
  EXPECT_EQ((*list)[0].lag, 0u);
  EXPECT_EQ((*list)[0].state.delivered, seqs.size());
  EXPECT_EQ((*list)[0].dead_letters, 0u);
  EXPECT_TRUE((*list)[0].target.secret.empty());
  EXPECT_NE((*list)[0].state.last_error, "");  // the 500s were seen
}

TEST_F(WebhookTest, ASlowTargetDoesNotHoldBackAnother) {
  Receiver slow, fast;
  DispatcherOptions o = Fast();
  o.max_attempts = 1000;
  StartDispatcher(o);
  ASSERT_TRUE(dispatcher_->Add(Target(slow.Url())).ok());
  ASSERT_TRUE(dispatcher_->Add(Target(fast.Url())).ok());
  slow.Script(std::vector<Receiver::Act>(1000, Receiver::Act::kStall));
  std::vector<uint64_t> seqs = Changes(3);
  ASSERT_TRUE(Eventually([&] { return fast.Deliveries().size() == seqs.size(); }));
  EXPECT_TRUE(slow.Deliveries().empty());
  // The slow target holds retention back; the fast one would not.
  EXPECT_EQ(dispatcher_->KeepFromSeq(), seqs.front());
}

TEST_F(WebhookTest, DeadLettersAndReplay) {
  Receiver receiver;
  StartDispatcher(Fast());
  WebhookTarget t = Target(receiver.Url());
  t.events = static_cast<uint32_t>(WebhookEvent::kCreate);
  auto added = dispatcher_->Add(t);
  ASSERT_TRUE(added.ok());
  receiver.Script(std::vector<Receiver::Act>(10, Receiver::Act::k500));  // 2 changes x 5
  std::vector<uint64_t> seqs = Changes(2);
  ASSERT_TRUE(Eventually([&] {
    auto d = dispatcher_->DeadLetters(added->target_id, 100);
    return d.ok() && d->size() == 2;
  }));
  auto dead = dispatcher_->DeadLetters(added->target_id, 100);
  EXPECT_EQ((*dead)[0].seq, seqs[0]);
  EXPECT_EQ((*dead)[0].attempts, 5u);
  EXPECT_EQ((*dead)[0].last_error, "HTTP 500");
  EXPECT_EQ(receiver.requests(), 10);
  EXPECT_EQ(dispatcher_->Replay(added->target_id, 12345).status().code(),
            absl::StatusCode::kNotFound);
  auto one = dispatcher_->Replay(added->target_id, seqs[1]);
  ASSERT_TRUE(one.ok()) << one.status();
  EXPECT_EQ(*one, 1u);
  auto rest = dispatcher_->Replay(added->target_id, 0);
  ASSERT_TRUE(rest.ok());
  EXPECT_EQ(*rest, 1u);
  EXPECT_EQ(receiver.Deliveries(), (std::vector<uint64_t>{seqs[1], seqs[0]}));
  EXPECT_EQ(receiver.bad_signatures(), 0);
  EXPECT_TRUE(dispatcher_->DeadLetters(added->target_id, 100)->empty());
  ASSERT_TRUE(dispatcher_->Remove(added->target_id).ok());
  EXPECT_EQ(dispatcher_->Remove(added->target_id).code(), absl::StatusCode::kNotFound);
  EXPECT_TRUE(dispatcher_->List()->empty());
}

TEST_F(WebhookTest, ResumesFromItsCheckpointAfterARestart) {
  Receiver receiver;
  StartDispatcher(Fast());
  auto added = dispatcher_->Add(Target(receiver.Url()));
  ASSERT_TRUE(added.ok());
  std::vector<uint64_t> first = Changes(2, "a");
  ASSERT_TRUE(Eventually([&] { return receiver.Deliveries().size() == first.size(); }));
  dispatcher_->Stop();
  std::vector<uint64_t> second = Changes(2, "b");  // committed while it is down
  StartDispatcher(Fast());
  ASSERT_TRUE(
      Eventually([&] { return receiver.Deliveries().size() == first.size() + second.size(); }));
  std::vector<uint64_t> all = first;
  all.insert(all.end(), second.begin(), second.end());
  EXPECT_EQ(receiver.Deliveries(), all);
}

TEST_F(WebhookTest, RefusesBadTargets) {
  StartDispatcher(Fast());
  WebhookTarget t = Target("http://example.org/hook");
  EXPECT_EQ(dispatcher_->Add(t).status().code(), absl::StatusCode::kInvalidArgument);
  t = Target("https://example.org/hook");
  t.secret = "short";
  EXPECT_EQ(dispatcher_->Add(t).status().code(), absl::StatusCode::kInvalidArgument);
  t = Target("https://example.org/hook");
  t.events = 0;
  EXPECT_EQ(dispatcher_->Add(t).status().code(), absl::StatusCode::kInvalidArgument);
  t = Target("https://example.org/hook");
  t.scopes.assign(65, ScopePair{"governorate", "Anbar"});
  EXPECT_EQ(dispatcher_->Add(t).status().code(), absl::StatusCode::kInvalidArgument);
  DispatcherOptions two = Fast();
  two.max_targets = 2;
  dispatcher_.reset();
  StartDispatcher(two);
  t = Target("https://example.org/hook");
  t.enabled = false;  // never contacted
  ASSERT_TRUE(dispatcher_->Add(t).ok());
  ASSERT_TRUE(dispatcher_->Add(t).ok());
  EXPECT_EQ(dispatcher_->Add(t).status().code(), absl::StatusCode::kResourceExhausted);
}

}  // namespace
}  // namespace fieldsync::webhook
