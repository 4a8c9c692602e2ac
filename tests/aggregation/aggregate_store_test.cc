// AggregateStore's layout: cells, scope directory and checkpoint in their own column family,
// apart from the per-record states, written atomically together and read back after a
// reopen; a folder of the earlier one-family layout is refused rather than silently
// double-counted.
#include "server/storage/aggregate_store.h"

#include <rocksdb/db.h>

#include <memory>

#include "gtest/gtest.h"
#include "server/storage/keys.h"
#include "tests/testing/temp_dir.h"

namespace fieldsync {
namespace {

AggCell Cell(int64_t count) {
  AggCell c;
  c.count = count;
  c.measures = {AggMeasureCell{count * 1'000'000, 0}};
  return c;
}

TEST(AggregateStoreTest, CellsLiveApartFromRecordStatesAndSurviveReopen) {
  testing::TempDir tmp;
  AggregateStoreOptions o;
  o.path = tmp.Sub("agg");
  {
    auto store = AggregateStore::Open(o);
    ASSERT_TRUE(store.ok()) << store.status();
    AggregateStore::Batch b;
    for (uint64_t bucket = 1; bucket <= 3; ++bucket) {
      b.PutCell("f", "a", "s", bucket, "g", Cell(static_cast<int64_t>(bucket)));
    }
    b.PutScope("f", "a", "s");
    for (int i = 0; i < 10; ++i) b.PutRecordState("f", "r" + std::to_string(i), AggRecordState{});
    b.PutCheckpoint({42, 7, 1});
    ASSERT_TRUE((*store)->Write(b).ok());
    // Many overwrites of one cell stay one cell.
    for (int64_t n = 1; n <= 500; ++n) {
      AggregateStore::Batch w;
      w.PutCell("f", "a", "s", 1, "g", Cell(n));
      ASSERT_TRUE((*store)->Write(w).ok());
    }
    ASSERT_TRUE((*store)->Flush().ok());
    // 3 cells + 1 scope + checkpoint in the cells family; the 10 record states elsewhere.
    EXPECT_EQ((*store)->GetIntProperty("rocksdb.estimate-num-keys", true), 5u);
    EXPECT_EQ((*store)->GetIntProperty("rocksdb.estimate-num-keys", false), 10u);
  }
  auto store = AggregateStore::Open(o);
  ASSERT_TRUE(store.ok()) << store.status();
  auto cp = (*store)->GetCheckpoint();
  ASSERT_TRUE(cp.ok());
  EXPECT_EQ(cp->seq, 42u);
  EXPECT_EQ(cp->skipped_changes, 1u);
  auto state = (*store)->GetRecordState("f", "r3");
  ASSERT_TRUE(state.ok());
  EXPECT_TRUE(state->has_value());
  std::vector<int64_t> counts;
  ASSERT_TRUE((*store)
                  ->ScanCells("f", "a", "s", 1, 3,
                              [&](uint64_t, std::string_view, const AggCell& c) {
                                counts.push_back(c.count);
                                return true;
                              })
                  .ok());
  EXPECT_EQ(counts, (std::vector<int64_t>{500, 2, 3}));
  auto scopes = (*store)->ListScopes("f", "a");
  ASSERT_TRUE(scopes.ok());
  EXPECT_EQ(*scopes, std::vector<std::string>{"s"});
}

TEST(AggregateStoreTest, RefusesTheEarlierOneFamilyLayout) {
  testing::TempDir tmp;
  const std::string path = tmp.Sub("old");
  {
    rocksdb::Options ro;
    ro.create_if_missing = true;
    rocksdb::DB* db = nullptr;
    ASSERT_TRUE(rocksdb::DB::Open(ro, path, &db).ok());
    ASSERT_TRUE(db->Put(rocksdb::WriteOptions(), keys::agg::AggMetaKey(keys::agg::kCheckpoint),
                        std::string(24, '\0'))
                    .ok());
    delete db;
  }
  AggregateStoreOptions o;
  o.path = path;
  auto store = AggregateStore::Open(o);
  EXPECT_EQ(store.status().code(), absl::StatusCode::kFailedPrecondition) << store.status();
  // Still refused the second time (the refusal changed nothing in the folder).
  EXPECT_EQ(AggregateStore::Open(o).status().code(), absl::StatusCode::kFailedPrecondition);

  // An empty folder (no checkpoint) is fine.
  o.path = tmp.Sub("fresh");
  EXPECT_TRUE(AggregateStore::Open(o).ok());
}

}  // namespace
}  // namespace fieldsync
