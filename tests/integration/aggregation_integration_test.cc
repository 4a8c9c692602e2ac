// The aggregation service against real processes: fieldsyncd with the embedded consumer, and
// fieldsync-aggregator reading the same server's feed over gRPC with a feed_reader token.
//   - Query through fieldsyncd: rows, caller scopes, bad input (INVALID_ARGUMENT with a
//     google.rpc.BadRequest), roles.
//   - Crash (label crash): fieldsyncd SIGKILLed while its consumer ingests; after restart the
//     cells equal the recomputation from the records (Verify) and the brute-force totals.
//   - The separate process gives the same cells as the embedded consumer, also after it is
//     SIGKILLed mid-ingest and restarted.
#include <fcntl.h>
#include <signal.h>
#include <sys/wait.h>
#include <unistd.h>

#include <chrono>
#include <fstream>
#include <thread>

#include "fieldsync/v1/aggregation.grpc.pb.h"
#include "google/rpc/error_details.pb.h"
#include "google/rpc/status.pb.h"
#include "gtest/gtest.h"
#include "tests/testing/server_process.h"
#include "tests/testing/temp_dir.h"
#include "tests/testing/test_client.h"

namespace fieldsync::testing {
namespace {

using Clock = std::chrono::steady_clock;

std::string AggregatorPath() { return FIELDSYNC_AGGREGATOR_PATH; }

// A running fieldsync-aggregator (SIGKILLed on destruction).
class AggregatorProcess {
 public:
  AggregatorProcess(std::string dir, std::string feed_target, std::string feed_token,
                    std::string query_token)
      : dir_(std::move(dir)) {
    std::ofstream(dir_ + "/feed.token") << feed_token << "\n";
    std::ofstream(dir_ + "/query.token") << query_token << "\n";
    feed_target_ = std::move(feed_target);
  }
  ~AggregatorProcess() { Kill(); }
  bool Start() {
    std::string port_file = dir_ + "/port";
    unlink(port_file.c_str());
    std::vector<std::string> argv = {AggregatorPath(),
                                     "--feed-target",
                                     feed_target_,
                                     "--feed-token-file",
                                     dir_ + "/feed.token",
                                     "--query-token-file",
                                     dir_ + "/query.token",
                                     "--data-dir",
                                     dir_ + "/cells",
                                     "--listen",
                                     "127.0.0.1:0",
                                     "--port-file",
                                     port_file,
                                     "--dev-plaintext"};
    pid_ = fork();
    if (pid_ == 0) {
      int fd = open((dir_ + "/log").c_str(), O_WRONLY | O_CREAT | O_APPEND, 0600);
      dup2(fd, 2);
      std::vector<char*> args;
      for (auto& a : argv) args.push_back(a.data());
      args.push_back(nullptr);
      execv(args[0], args.data());
      _exit(127);
    }
    auto deadline = Clock::now() + std::chrono::seconds(30);
    while (Clock::now() < deadline) {
      std::ifstream in(port_file);
      if (in >> port_ && port_ > 0) return true;
      if (waitpid(pid_, nullptr, WNOHANG) == pid_) {
        pid_ = -1;
        return false;
      }
      std::this_thread::sleep_for(std::chrono::milliseconds(20));  // polling a child's file
    }
    return false;
  }
  void Kill() {
    if (pid_ > 0) {
      kill(pid_, SIGKILL);
      waitpid(pid_, nullptr, 0);
      pid_ = -1;
    }
  }
  std::string target() const { return "127.0.0.1:" + std::to_string(port_); }

 private:
  std::string dir_;
  std::string feed_target_;
  pid_t pid_ = -1;
  int port_ = 0;
};

class AggClient {
 public:
  AggClient(const std::string& target, std::string token)
      : token_(std::move(token)),
        stub_(v1::AggregationService::NewStub(
            grpc::CreateChannel(target, grpc::InsecureChannelCredentials()))) {}
  grpc::Status Query(const v1::AggregationQueryRequest& req, v1::AggregationQueryResponse* resp) {
    grpc::ClientContext ctx;
    ctx.AddMetadata("authorization", "Bearer " + token_);
    ctx.set_deadline(std::chrono::system_clock::now() + std::chrono::seconds(30));
    return stub_->Query(&ctx, req, resp);
  }
  grpc::Status Verify(const std::string& form, const std::string& agg,
                      v1::VerifyAggregationResponse* resp) {
    grpc::ClientContext ctx;
    ctx.AddMetadata("authorization", "Bearer " + token_);
    v1::VerifyAggregationRequest req;
    req.set_form_id(form);
    req.set_aggregation(agg);
    return stub_->Verify(&ctx, req, resp);
  }
  grpc::Status Status(v1::AggregationStatus* resp) {
    grpc::ClientContext ctx;
    ctx.AddMetadata("authorization", "Bearer " + token_);
    return stub_->GetAggregationStatus(&ctx, v1::GetAggregationStatusRequest(), resp);
  }
  // Polls (with a deadline) until the cells caught up with at least `seq`.
  bool WaitCaughtUp(uint64_t seq) {
    auto deadline = Clock::now() + std::chrono::seconds(30);
    while (Clock::now() < deadline) {
      v1::AggregationStatus s;
      if (Status(&s).ok() && s.checkpoint_seq() >= seq) return true;
      std::this_thread::sleep_for(std::chrono::milliseconds(20));
    }
    return false;
  }

 private:
  std::string token_;
  std::unique_ptr<v1::AggregationService::Stub> stub_;
};

v1::AggregationQueryRequest CrossingsQuery() {
  v1::AggregationQueryRequest q;
  q.set_form_id("border_crossing");
  q.set_aggregation("crossings_per_point_day");
  return q;
}

// Rows as text, for comparing two services.
std::vector<std::string> RowsText(const v1::AggregationQueryResponse& r) {
  std::vector<std::string> out;
  for (const auto& row : r.rows()) out.push_back(row.ShortDebugString());
  return out;
}

v1::Mutation Crossing(uint64_t seq, const std::string& id, const std::string& bp,
                      const std::string& date, const std::string& direction, int64_t size) {
  return MakeMutation({seq,
                       id,
                       "border_crossing",
                       0,
                       {{"border_point", Text(bp)},
                        {"crossing_date", Text(date)},
                        {"direction", Text(direction)},
                        {"nationality", Text(seq % 2 ? "SYR" : "IRQ")},
                        {"group_size", Int(size)}}});
}

// Pushes `n` crossings in batches of 50 from `first_seq`; returns the highest receipt seq.
uint64_t PushCrossings(TestClient& c, uint64_t first_seq, int n, const std::string& prefix) {
  std::vector<std::vector<v1::Mutation>> batches(1);
  const char* points[] = {"BP-001", "BP-002", "BP-003"};
  for (int i = 0; i < n; ++i) {
    uint64_t seq = first_seq + i;
    if (batches.back().size() == 50) batches.emplace_back();
    batches.back().push_back(Crossing(seq, prefix + std::to_string(seq), points[seq % 3],
                                      seq % 5 ? "2026-11-20" : "2026-11-02",
                                      seq % 4 ? "entry" : "exit", 1 + seq % 7));
  }
  std::vector<v1::Receipt> receipts;
  EXPECT_TRUE(c.Push(batches, &receipts).ok());
  uint64_t head = 0;
  for (const auto& r : receipts) head = std::max(head, r.seq());
  return head;
}

TEST(AggregationIntegrationTest, EmbeddedQueryScopesAndBadInput) {
  TempDir dir;
  ServerProcess server(dir.Sub("data"));
  std::string admin = server.AddDevice({"admin", "admin", {}, true});
  std::string post = server.AddDevice({"post-1", "border_officer", {"border_point=BP-001"}});
  std::string reader = server.AddDevice({"reader", "feed_reader", {}, true});
  ASSERT_TRUE(server.Start()) << server.log();
  TestClient pusher(server.target(), admin);
  uint64_t head = PushCrossings(pusher, 1, 120, "c-");
  AggClient agg(server.target(), admin);
  ASSERT_TRUE(agg.WaitCaughtUp(head));

  v1::AggregationQueryRequest q = CrossingsQuery();
  q.mutable_group_by()->add_fields("border_point");
  q.set_rollup_time(true);
  v1::AggregationQueryResponse all;
  ASSERT_TRUE(agg.Query(q, &all).ok());
  EXPECT_EQ(all.columns(0), "border_point");
  ASSERT_EQ(all.rows_size(), 3);
  int64_t total = 0;
  for (const auto& r : all.rows()) total += r.count();
  EXPECT_EQ(total, 120);
  EXPECT_EQ(all.freshness().lag(), 0u);
  EXPECT_EQ(all.freshness().mode(), "embedded");

  // The border officer sees only its post.
  AggClient officer(server.target(), post);
  v1::AggregationQueryResponse mine;
  ASSERT_TRUE(officer.Query(q, &mine).ok());
  ASSERT_EQ(mine.rows_size(), 1);
  EXPECT_EQ(mine.rows(0).group_values(0), "BP-001");
  EXPECT_EQ(mine.rows(0).count(), 40);

  // Bad input: INVALID_ARGUMENT with a BadRequest naming the field.
  v1::AggregationQueryRequest bad = CrossingsQuery();
  bad.set_from_date("2026-11-20");
  bad.set_to_date("2026-11-01");
  v1::AggregationQueryResponse ignored;
  grpc::Status s = agg.Query(bad, &ignored);
  EXPECT_EQ(s.error_code(), grpc::StatusCode::INVALID_ARGUMENT);
  google::rpc::Status details;
  ASSERT_TRUE(details.ParseFromString(s.error_details()));
  google::rpc::BadRequest br;
  ASSERT_GT(details.details_size(), 0);
  ASSERT_TRUE(details.details(0).UnpackTo(&br));
  EXPECT_EQ(br.field_violations(0).field(), "to_date");

  // Roles: a feed reader cannot query; a border officer cannot Verify.
  AggClient feed(server.target(), reader);
  EXPECT_EQ(feed.Query(q, &ignored).error_code(), grpc::StatusCode::PERMISSION_DENIED);
  v1::VerifyAggregationResponse v;
  EXPECT_EQ(officer.Verify("border_crossing", "crossings_per_point_day", &v).error_code(),
            grpc::StatusCode::PERMISSION_DENIED);
  ASSERT_TRUE(agg.Verify("border_crossing", "crossings_per_point_day", &v).ok());
  EXPECT_TRUE(v.ok());
  EXPECT_EQ(v.records_scanned(), 120u);
}

TEST(AggregationCrashTest, KilledServerRecoversExactCells) {
  TempDir dir;
  ServerProcess server(dir.Sub("data"));
  std::string admin = server.AddDevice({"admin", "admin", {}, true});
  ASSERT_TRUE(server.Start()) << server.log();
  uint64_t next = 1;
  int pushed = 0;
  for (int round = 0; round < 3; ++round) {
    {
      TestClient c(server.target(), admin);
      PushCrossings(c, next, 400, "k-");
      next += 400;
      pushed += 400;
    }
    server.Kill();  // the consumer is most likely mid-ingest
    ASSERT_TRUE(server.Start()) << server.log();
  }
  TestClient c(server.target(), admin);
  std::vector<v1::Change> changes;
  uint64_t head = 0;
  ASSERT_TRUE(c.Changes(1, &changes, &head).ok());
  AggClient agg(server.target(), admin);
  ASSERT_TRUE(agg.WaitCaughtUp(head));
  v1::VerifyAggregationResponse v;
  ASSERT_TRUE(agg.Verify("border_crossing", "crossings_per_point_day", &v).ok());
  EXPECT_TRUE(v.ok()) << v.ShortDebugString();
  EXPECT_EQ(v.records_scanned(), static_cast<uint64_t>(pushed));
  v1::AggregationQueryRequest q = CrossingsQuery();
  q.mutable_group_by();  // roll every group-by field up
  q.set_rollup_time(true);
  v1::AggregationQueryResponse r;
  ASSERT_TRUE(agg.Query(q, &r).ok());
  ASSERT_EQ(r.rows_size(), 1);
  EXPECT_EQ(r.rows(0).count(), pushed);  // nothing counted twice, nothing missed
}

TEST(AggregationCrashTest, SeparateProcessMatchesEmbeddedAcrossKills) {
  TempDir dir;
  ServerProcess server(dir.Sub("data"));
  std::string admin = server.AddDevice({"admin", "admin", {}, true});
  std::string reader = server.AddDevice({"reader", "feed_reader", {}, true});
  ASSERT_TRUE(server.Start()) << server.log();
  mkdir(dir.Sub("agg").c_str(), 0700);
  AggregatorProcess aggregator(dir.Sub("agg"), server.target(), reader, "query-secret");
  ASSERT_TRUE(aggregator.Start());
  TestClient c(server.target(), admin);
  uint64_t head = PushCrossings(c, 1, 300, "s-");
  aggregator.Kill();  // mid-ingest, most likely
  ASSERT_TRUE(aggregator.Start());
  head = std::max(head, PushCrossings(c, 301, 300, "s-"));
  AggClient embedded(server.target(), admin);
  AggClient remote(aggregator.target(), "query-secret");
  ASSERT_TRUE(embedded.WaitCaughtUp(head));
  ASSERT_TRUE(remote.WaitCaughtUp(head));
  for (bool rollup : {false, true}) {
    v1::AggregationQueryRequest q = CrossingsQuery();
    q.set_rollup_time(rollup);
    v1::AggregationQueryResponse a, b;
    ASSERT_TRUE(embedded.Query(q, &a).ok());
    ASSERT_TRUE(remote.Query(q, &b).ok());
    EXPECT_GT(a.rows_size(), 3);
    EXPECT_EQ(RowsText(a), RowsText(b));
    EXPECT_EQ(b.freshness().mode(), "remote");
  }
  // Verify needs the records: only fieldsyncd answers it.
  v1::VerifyAggregationResponse v;
  EXPECT_EQ(remote.Verify("border_crossing", "crossings_per_point_day", &v).error_code(),
            grpc::StatusCode::FAILED_PRECONDITION);
  // A wrong token is refused.
  AggClient stranger(aggregator.target(), "nope");
  v1::AggregationQueryResponse ignored;
  EXPECT_EQ(stranger.Query(CrossingsQuery(), &ignored).error_code(),
            grpc::StatusCode::UNAUTHENTICATED);
}

}  // namespace
}  // namespace fieldsync::testing
