// A store whose RocksDB stops writes (here: flushes paused, memtables full) answers
// UNAVAILABLE with a retry delay within max_stall_wait_ms instead of blocking the writer for as
// long as the stall lasts, and writes again once RocksDB catches up.
#include <chrono>
#include <future>
#include <memory>
#include <string>

#include "gtest/gtest.h"
#include "server/common/status.h"
#include "server/storage/store.h"

namespace fieldsync {
namespace {

TEST(WriteStallTest, AStoppedStoreAnswersUnavailableInBoundedTimeAndRecovers) {
  StoreOptions o;
  o.in_memory = true;
  o.path = "/mem/write_stall_test";
  o.write_buffer_bytes = 64 << 10;
  o.max_write_buffers = 2;
  o.max_stall_wait_ms = 200;
  o.stall_retry_ms = 1'500;
  auto store = Store::Open(o);
  ASSERT_TRUE(store.ok()) << store.status();
  Store* s = store->get();
  s->PauseBackgroundWorkForTest();

  // Fill the memtables until RocksDB stops writes; every write must answer within 2 s (the
  // writer thread is abandoned, and the store unblocked, if one does not).
  auto writer = std::async(std::launch::async, [s] {
    absl::Status last;
    for (int i = 0; i < 200'000 && last.ok(); ++i) {
      Store::Batch b;
      b.PutMeta("stall-test-" + std::to_string(i), static_cast<uint64_t>(i));
      const auto started = std::chrono::steady_clock::now();
      last = s->Write(b, /*sync=*/false);
      EXPECT_LT(std::chrono::steady_clock::now() - started, std::chrono::seconds(2));
    }
    return last;
  });
  if (writer.wait_for(std::chrono::seconds(20)) != std::future_status::ready) {
    s->ContinueBackgroundWorkForTest();  // lets the blocked write, and the test, finish
    FAIL() << "a write blocked on the stalled store";
  }
  absl::Status stalled = writer.get();
  EXPECT_EQ(stalled.code(), absl::StatusCode::kUnavailable) << stalled;
  EXPECT_EQ(RetryDelayMs(stalled), 1'500);
  EXPECT_TRUE(s->GetWriteStall().stopped);

  s->ContinueBackgroundWorkForTest();
  absl::Status after;
  const auto deadline = std::chrono::steady_clock::now() + std::chrono::seconds(10);
  do {  // the flushes that lift the stop take a moment
    Store::Batch b;
    b.PutMeta("after-stall", 1);
    after = s->Write(b, /*sync=*/true);
  } while (!after.ok() && std::chrono::steady_clock::now() < deadline);
  EXPECT_TRUE(after.ok()) << after;
  EXPECT_FALSE(s->GetWriteStall().stopped);
}

}  // namespace
}  // namespace fieldsync
