// Backups (server/storage/backup.h) of an on-disk store: create, list, verify, restore into a
// new folder and read every record back; damaged backups and non-empty targets are refused.
#include "server/storage/backup.h"

#include <filesystem>
#include <fstream>

#include "gmock/gmock.h"
#include "gtest/gtest.h"
#include "tests/sync/sync_fixture.h"
#include "tests/testing/temp_dir.h"

namespace fieldsync {
namespace {

using ::testing::SizeIs;

std::unique_ptr<Store> OpenAt(const std::string& path) {
  StoreOptions o;
  o.path = path;
  o.block_cache_bytes = 1 << 20;
  o.write_buffer_bytes = 1 << 20;
  auto s = Store::Open(o);
  EXPECT_TRUE(s.ok()) << s.status();
  return s.ok() ? *std::move(s) : nullptr;
}

void PutRecords(Store* store, int from, int to) {
  Store::Batch batch;
  for (int i = from; i < to; ++i) {
    Record r;
    r.record_id = "rec-" + std::to_string(i);
    r.form_id = "f";
    r.version = 1;
    r.fields["n"] = int64_t{i};
    batch.PutRecord(r);
  }
  ASSERT_TRUE(store->Write(batch, true).ok());
}

TEST(BackupTest, CreateListVerifyRestoreFindsEveryRecord) {
  testing::TempDir dir;
  auto store = OpenAt(dir.Sub("db"));
  ASSERT_TRUE(store);
  PutRecords(store.get(), 0, 100);
  auto backups = Backups::Open(dir.Sub("backups"));
  ASSERT_TRUE(backups.ok()) << backups.status();
  auto first = (*backups)->Create(store.get());
  ASSERT_TRUE(first.ok()) << first.status();
  EXPECT_EQ(first->backup_id, 1u);
  EXPECT_GT(first->size_bytes, 0u);
  PutRecords(store.get(), 100, 150);  // only in the second backup
  auto second = (*backups)->Create(store.get());
  ASSERT_TRUE(second.ok());
  auto list = (*backups)->List();
  ASSERT_TRUE(list.ok());
  ASSERT_THAT(*list, SizeIs(2));
  EXPECT_EQ((*list)[1].backup_id, 2u);
  EXPECT_TRUE((*backups)->Verify(1).ok());
  EXPECT_EQ((*backups)->Verify(9).code(), absl::StatusCode::kNotFound);

  ASSERT_TRUE((*backups)->Restore(1, dir.Sub("restored-1")).ok());
  ASSERT_TRUE((*backups)->Restore(2, dir.Sub("restored-2")).ok());
  auto r1 = OpenAt(dir.Sub("restored-1"));
  auto r2 = OpenAt(dir.Sub("restored-2"));
  ASSERT_TRUE(r1 && r2);
  for (int i = 0; i < 150; ++i) {
    auto in1 = r1->GetRecord("rec-" + std::to_string(i));
    auto in2 = r2->GetRecord("rec-" + std::to_string(i));
    ASSERT_TRUE(in1.ok() && in2.ok());
    EXPECT_EQ(in1->has_value(), i < 100) << i;
    ASSERT_TRUE(in2->has_value()) << i;
    EXPECT_EQ((*in2)->fields.at("n"), Value(int64_t{i}));
  }
}

TEST(BackupTest, RestoreNeverOverwritesAndUnknownIdsAreNotFound) {
  testing::TempDir dir;
  auto store = OpenAt(dir.Sub("db"));
  PutRecords(store.get(), 0, 3);
  auto backups = Backups::Open(dir.Sub("backups"));
  ASSERT_TRUE(backups.ok());
  ASSERT_TRUE((*backups)->Create(store.get()).ok());
  EXPECT_EQ((*backups)->Restore(1, dir.Sub("db")).code(), absl::StatusCode::kFailedPrecondition);
  EXPECT_EQ((*backups)->Restore(7, dir.Sub("new")).code(), absl::StatusCode::kNotFound);
  EXPECT_EQ(Backups::Open("").status().code(), absl::StatusCode::kInvalidArgument);
}

TEST(BackupTest, VerifyDetectsADamagedFile) {
  testing::TempDir dir;
  auto store = OpenAt(dir.Sub("db"));
  PutRecords(store.get(), 0, 50);
  auto backups = Backups::Open(dir.Sub("backups"));
  ASSERT_TRUE(backups.ok());
  ASSERT_TRUE((*backups)->Create(store.get()).ok());
  // Flip bytes in the backed-up table file (same size: only the checksum can tell).
  bool damaged = false;
  for (const auto& e : std::filesystem::recursive_directory_iterator(dir.Sub("backups"))) {
    if (e.path().extension() != ".sst") continue;
    std::fstream f(e.path(), std::ios::in | std::ios::out | std::ios::binary);
    f.seekp(10);
    f.write("XXXX", 4);
    damaged = true;
  }
  ASSERT_TRUE(damaged);
  auto s = (*backups)->Verify(1);
  EXPECT_FALSE(s.ok());
  EXPECT_NE(s.code(), absl::StatusCode::kNotFound);
}

TEST(BackupTest, AnInMemoryStoreCannotBeBackedUp) {
  testing::TempDir dir;
  StoreOptions o;
  o.in_memory = true;
  o.path = "/mem/backup_test";
  auto store = Store::Open(o);
  ASSERT_TRUE(store.ok());
  auto backups = Backups::Open(dir.Sub("backups"));
  ASSERT_TRUE(backups.ok());
  EXPECT_EQ((*backups)->Create(store->get()).status().code(),
            absl::StatusCode::kFailedPrecondition);
}

}  // namespace
}  // namespace fieldsync
