#include "server/audit/audit_log.h"

#include <atomic>
#include <chrono>
#include <condition_variable>
#include <memory>
#include <mutex>
#include <set>
#include <string>
#include <thread>
#include <vector>

#include "gmock/gmock.h"
#include "gtest/gtest.h"
#include "server/common/clock.h"
#include "server/common/hash.h"
#include "server/storage/store.h"

namespace fieldsync {
namespace {

using ::testing::HasSubstr;

class AuditLogTest : public ::testing::Test {
 protected:
  void SetUp() override {
    static std::atomic<int> counter{0};
    StoreOptions options;
    options.in_memory = true;
    options.path = "/mem/audit_test" + std::to_string(counter++);
    auto store = Store::Open(options);
    ASSERT_TRUE(store.ok()) << store.status();
    store_ = std::move(*store);
    auto log = AuditLog::Open(store_.get(), &clock_);
    ASSERT_TRUE(log.ok()) << log.status();
    log_ = std::move(*log);
  }

  AuditEvent Event(const std::string& target) {
    return {{"admin-1", "admin", "req-" + target}, audit_action::kRevoke, target, ""};
  }

  // Appends entries targeting t1..tn.
  void AppendN(int n) {
    for (int i = 1; i <= n; ++i) {
      clock_.AdvanceMs(1000);
      auto e = log_->Append(Event("t" + std::to_string(i)));
      ASSERT_TRUE(e.ok()) << e.status();
    }
  }

  std::string RawEntry(uint64_t index) {
    std::string out;
    EXPECT_TRUE(store_
                    ->ScanAudit(index,
                                [&](uint64_t i, std::string_view v) {
                                  if (i == index) out = std::string(v);
                                  return false;
                                })
                    .ok());
    return out;
  }

  void Overwrite(uint64_t index, const std::string& encoded) {
    Store::Batch b;
    b.PutAuditEntry(index, encoded);
    ASSERT_TRUE(store_->Write(b, true).ok());
  }

  AuditVerification Verify() {
    auto v = VerifyAuditChain(*store_);
    EXPECT_TRUE(v.ok()) << v.status();
    return v.ok() ? *v : AuditVerification{};
  }

  FakeClock clock_{1'700'000'000'000};
  std::unique_ptr<Store> store_;
  std::unique_ptr<AuditLog> log_;
};

TEST_F(AuditLogTest, EntriesAreNumberedTimedAndChained) {
  AppendN(3);
  auto entries = log_->List(0, 100);
  ASSERT_TRUE(entries.ok()) << entries.status();
  ASSERT_EQ(entries->size(), 3u);
  std::string prev = kAuditGenesisHash;
  for (size_t i = 0; i < entries->size(); ++i) {
    const AuditEntry& e = (*entries)[i];
    EXPECT_EQ(e.index, i + 1);
    EXPECT_EQ(e.time_ms, 1'700'000'000'000 + 1000 * static_cast<int64_t>(i + 1));
    EXPECT_EQ(e.event.target, "t" + std::to_string(i + 1));
    EXPECT_EQ(e.event.who.actor_device_id, "admin-1");
    EXPECT_EQ(e.event.who.actor_role, "admin");
    EXPECT_EQ(e.event.who.request_id, "req-t" + std::to_string(i + 1));
    EXPECT_EQ(e.event.action, "device.revoke");
    EXPECT_EQ(e.prev_hash, prev);
    EXPECT_EQ(e.hash, Sha256Hex(EncodeAuditEntry(e)));
    prev = e.hash;
  }
  EXPECT_EQ(log_->size(), 3u);
  // Paging.
  auto page = log_->List(2, 1);
  ASSERT_TRUE(page.ok());
  ASSERT_EQ(page->size(), 1u);
  EXPECT_EQ((*page)[0].index, 2u);

  AuditVerification v = Verify();
  EXPECT_TRUE(v.ok) << v.problem;
  EXPECT_EQ(v.entries, 3u);
  EXPECT_EQ(v.head_hash, (*entries)[2].hash);
}

TEST_F(AuditLogTest, EmptyLogVerifies) {
  AuditVerification v = Verify();
  EXPECT_TRUE(v.ok) << v.problem;
  EXPECT_EQ(v.entries, 0u);
  EXPECT_EQ(v.head_hash, kAuditGenesisHash);
}

TEST_F(AuditLogTest, EncodingRoundTripsAndRejectsGarbage) {
  AuditEntry e;
  e.index = 7;
  e.time_ms = 123;
  e.event = {{"dev-1", "enumerator", "r1"}, audit_action::kEnroll, "dev-1", "code=code-1"};
  e.prev_hash = std::string(64, 'a');
  const std::string encoded = EncodeAuditEntry(e);
  auto back = DecodeAuditEntry(encoded);
  ASSERT_TRUE(back.ok()) << back.status();
  EXPECT_EQ(back->index, 7u);
  EXPECT_EQ(back->event.detail, "code=code-1");
  EXPECT_EQ(back->prev_hash, e.prev_hash);
  EXPECT_EQ(back->hash, Sha256Hex(encoded));
  for (const std::string& bad :
       {std::string(), std::string("FSA1"), encoded.substr(0, encoded.size() - 1), encoded + "x",
        "XSA1" + encoded.substr(4)}) {
    EXPECT_EQ(DecodeAuditEntry(bad).status().code(), absl::StatusCode::kDataLoss);
  }
}

TEST_F(AuditLogTest, EditedEntryIsDetected) {
  AppendN(4);
  auto e = DecodeAuditEntry(RawEntry(2));
  ASSERT_TRUE(e.ok());
  e->event.target = "someone-else";  // rewrite who was revoked, keep everything else
  Overwrite(2, EncodeAuditEntry(*e));
  AuditVerification v = Verify();
  EXPECT_FALSE(v.ok);
  EXPECT_EQ(v.bad_index, 3u);  // entry 3 no longer chains to entry 2
  EXPECT_THAT(v.problem, HasSubstr("does not chain"));
}

TEST_F(AuditLogTest, EditedLastEntryIsDetectedByTheHead) {
  AppendN(3);
  auto e = DecodeAuditEntry(RawEntry(3));
  ASSERT_TRUE(e.ok());
  e->event.action = audit_action::kRotateToken;
  Overwrite(3, EncodeAuditEntry(*e));
  AuditVerification v = Verify();
  EXPECT_FALSE(v.ok);
  EXPECT_EQ(v.bad_index, 3u);
  EXPECT_THAT(v.problem, HasSubstr("head"));
}

TEST_F(AuditLogTest, CorruptBytesAreDetected) {
  AppendN(3);
  std::string raw = RawEntry(2);
  raw[raw.size() / 2] ^= 0x01;
  Overwrite(2, raw);
  AuditVerification v = Verify();
  EXPECT_FALSE(v.ok);
  EXPECT_TRUE(v.bad_index == 2u || v.bad_index == 3u) << v.bad_index;
}

TEST_F(AuditLogTest, RemovedEntryIsDetected) {
  AppendN(4);
  Store::Batch b;
  b.DeleteAuditEntry(2);
  ASSERT_TRUE(store_->Write(b, true).ok());
  AuditVerification v = Verify();
  EXPECT_FALSE(v.ok);
  EXPECT_EQ(v.bad_index, 2u);
  EXPECT_THAT(v.problem, HasSubstr("missing"));
}

TEST_F(AuditLogTest, RemovedEntryWithRenumberedSuccessorsIsDetected) {
  AppendN(4);
  // Drop entry 2 and move 3 and 4 down, fixing their own index fields.
  Store::Batch b;
  for (uint64_t i : {3, 4}) {
    auto e = DecodeAuditEntry(RawEntry(i));
    ASSERT_TRUE(e.ok());
    e->index = i - 1;
    b.PutAuditEntry(i - 1, EncodeAuditEntry(*e));
  }
  b.DeleteAuditEntry(4);
  ASSERT_TRUE(store_->Write(b, true).ok());
  AuditVerification v = Verify();
  EXPECT_FALSE(v.ok);
  EXPECT_EQ(v.bad_index, 2u);
}

TEST_F(AuditLogTest, RemovedLastEntryIsDetectedByTheHead) {
  AppendN(3);
  Store::Batch b;
  b.DeleteAuditEntry(3);
  ASSERT_TRUE(store_->Write(b, true).ok());
  AuditVerification v = Verify();
  EXPECT_FALSE(v.ok);
  EXPECT_THAT(v.problem, HasSubstr("head records 3"));
}

TEST_F(AuditLogTest, ReorderedEntriesAreDetected) {
  AppendN(4);
  const std::string two = RawEntry(2), three = RawEntry(3);
  Overwrite(2, three);
  Overwrite(3, two);
  AuditVerification v = Verify();
  EXPECT_FALSE(v.ok);
  EXPECT_EQ(v.bad_index, 2u);
  EXPECT_THAT(v.problem, HasSubstr("reordered"));
}

TEST_F(AuditLogTest, ReorderedEntriesWithFixedIndicesAreDetected) {
  AppendN(4);
  auto two = DecodeAuditEntry(RawEntry(2));
  auto three = DecodeAuditEntry(RawEntry(3));
  ASSERT_TRUE(two.ok() && three.ok());
  std::swap(two->index, three->index);
  Overwrite(2, EncodeAuditEntry(*three));
  Overwrite(3, EncodeAuditEntry(*two));
  AuditVerification v = Verify();
  EXPECT_FALSE(v.ok);
  EXPECT_EQ(v.bad_index, 2u);
}

TEST_F(AuditLogTest, ReopenedLogContinuesTheChain) {
  AppendN(2);
  auto reopened = AuditLog::Open(store_.get(), &clock_);
  ASSERT_TRUE(reopened.ok()) << reopened.status();
  EXPECT_EQ((*reopened)->size(), 2u);
  auto e = (*reopened)->Append(Event("after-restart"));
  ASSERT_TRUE(e.ok());
  EXPECT_EQ(e->index, 3u);
  AuditVerification v = Verify();
  EXPECT_TRUE(v.ok) << v.problem;
  EXPECT_EQ(v.entries, 3u);
}

TEST_F(AuditLogTest, CommitWithWritesTheActionAndTheEntryTogether) {
  Store::Batch batch;
  batch.PutMeta("audit_test_action", 42);
  auto e = log_->CommitWith(batch, Event("x"));
  ASSERT_TRUE(e.ok()) << e.status();
  auto meta = store_->GetMeta("audit_test_action");
  ASSERT_TRUE(meta.ok());
  EXPECT_EQ(*meta, 42u);
  auto head = store_->GetAuditHead();
  ASSERT_TRUE(head.ok() && head->has_value());
  EXPECT_EQ((*head)->count, 1u);
  EXPECT_EQ((*head)->last_hash, e->hash);
}

TEST_F(AuditLogTest, ConcurrentAppendsKeepOneChain) {
  std::vector<std::thread> threads;
  for (int t = 0; t < 4; ++t) {
    threads.emplace_back([this, t] {
      for (int i = 0; i < 25; ++i) {
        EXPECT_TRUE(log_->Append(Event(std::to_string(t) + "-" + std::to_string(i))).ok());
      }
    });
  }
  for (auto& th : threads) th.join();
  AuditVerification v = Verify();
  EXPECT_TRUE(v.ok) << v.problem;
  EXPECT_EQ(v.entries, 100u);
}

// The audit log must not hold its lock across a synced write: while one write is on its way
// to disk, other callers queue, and the next write carries all of them at once.
TEST_F(AuditLogTest, WritersQueueBehindASyncedWriteAndShareTheNextOne) {
  std::mutex mu;
  std::condition_variable cv;
  bool first_started = false, release = false;
  std::vector<int> ops_per_write;
  auto slow_write = [&](Store::Batch& batch) -> absl::Status {
    {
      std::unique_lock<std::mutex> l(mu);
      ops_per_write.push_back(batch.Count());
      if (ops_per_write.size() == 1) {
        first_started = true;
        cv.notify_all();
        cv.wait(l, [&] { return release; });  // a slow fsync
      }
    }
    return store_->Write(batch, /*sync=*/true);
  };
  auto log = AuditLog::Open(store_.get(), &clock_, slow_write);
  ASSERT_TRUE(log.ok()) << log.status();
  AuditLog& audit = **log;

  constexpr int kFollowers = 7;
  std::vector<absl::StatusOr<AuditEntry>> results(kFollowers + 1);
  std::vector<std::thread> threads;
  threads.emplace_back([&] {
    Store::Batch b;
    b.PutMeta("action-0", 100);
    results[0] = audit.CommitWith(b, Event("first"));
  });
  {
    std::unique_lock<std::mutex> l(mu);
    ASSERT_TRUE(cv.wait_for(l, std::chrono::seconds(20), [&] { return first_started; }));
  }
  for (int i = 1; i <= kFollowers; ++i) {
    threads.emplace_back([&, i] {
      Store::Batch b;
      b.PutMeta("action-" + std::to_string(i), 100 + i);
      results[i] = audit.CommitWith(b, Event("t" + std::to_string(i)));
    });
  }
  // Every follower reaches the queue while the first write is still on its way; a lock held
  // across that write would keep them out (and this wait would time out).
  const auto deadline = std::chrono::steady_clock::now() + std::chrono::seconds(20);
  while (audit.queued() < kFollowers + 1 && std::chrono::steady_clock::now() < deadline) {
    std::this_thread::sleep_for(std::chrono::milliseconds(1));
  }
  EXPECT_EQ(audit.queued(), size_t{kFollowers + 1});
  EXPECT_EQ(audit.size(), 0u) << "readers are not blocked by the write either";
  {
    std::lock_guard<std::mutex> l(mu);
    release = true;
  }
  cv.notify_all();
  for (auto& t : threads) t.join();

  // Two synced writes: the first alone (its action, entry and head), then the seven followers'
  // actions and entries and one head.
  ASSERT_EQ(ops_per_write.size(), 2u);
  EXPECT_EQ(ops_per_write[0], 3);
  EXPECT_EQ(ops_per_write[1], 2 * kFollowers + 1);
  std::set<uint64_t> indices;
  for (int i = 0; i <= kFollowers; ++i) {
    ASSERT_TRUE(results[i].ok()) << results[i].status();
    indices.insert(results[i]->index);
    auto meta = store_->GetMeta("action-" + std::to_string(i));
    ASSERT_TRUE(meta.ok());
    EXPECT_EQ(*meta, uint64_t(100 + i));
  }
  EXPECT_EQ(results[0]->index, 1u);
  EXPECT_EQ(indices.size(), size_t{kFollowers + 1});
  EXPECT_EQ(audit.size(), uint64_t{kFollowers + 1});
  EXPECT_EQ(audit.queued(), 0u);
  AuditVerification v = Verify();
  EXPECT_TRUE(v.ok) << v.problem;
  EXPECT_EQ(v.entries, uint64_t{kFollowers + 1});
}

TEST_F(AuditLogTest, AFailedGroupWriteFailsEveryWriterInItAndKeepsTheChain) {
  bool fail = true;
  auto flaky = [&](Store::Batch& batch) -> absl::Status {
    if (fail) return absl::UnavailableError("injected: disk gone");
    return store_->Write(batch, /*sync=*/true);
  };
  auto log = AuditLog::Open(store_.get(), &clock_, flaky);
  ASSERT_TRUE(log.ok()) << log.status();
  Store::Batch lost;
  lost.PutMeta("lost-action", 1);
  auto e = (*log)->CommitWith(lost, Event("lost"));
  ASSERT_FALSE(e.ok());
  EXPECT_EQ(e.status().code(), absl::StatusCode::kUnavailable);
  EXPECT_EQ((*log)->size(), 0u);
  auto meta = store_->GetMeta("lost-action");
  ASSERT_TRUE(meta.ok());
  EXPECT_EQ(*meta, 0u) << "nothing of a failed commit is written";
  fail = false;
  auto next = (*log)->Append(Event("next"));
  ASSERT_TRUE(next.ok()) << next.status();
  EXPECT_EQ(next->index, 1u);
  EXPECT_EQ(next->prev_hash, kAuditGenesisHash);
  AuditVerification v = Verify();
  EXPECT_TRUE(v.ok) << v.problem;
}

}  // namespace
}  // namespace fieldsync
