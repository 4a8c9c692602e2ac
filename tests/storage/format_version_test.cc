// The on-disk format version (keys::kFormatVersion, Store::kFormatVersion) and what the codec
// refuses to guess.
#include <memory>
#include <string>

#include "gtest/gtest.h"
#include "server/storage/codec.h"
#include "server/storage/keys.h"
#include "server/storage/store.h"
#include "tests/testing/temp_dir.h"

namespace fieldsync {
namespace {

std::unique_ptr<Store> OpenAt(const std::string& path) {
  StoreOptions options;
  options.path = path;
  auto store = Store::Open(options);
  EXPECT_TRUE(store.ok()) << store.status();
  return store.ok() ? *std::move(store) : nullptr;
}

TEST(FormatVersionTest, ANewDatabaseIsStampedWithThisBuildsFormat) {
  testing::TempDir dir;
  auto store = OpenAt(dir.Sub("db"));
  ASSERT_NE(store, nullptr);
  auto version = store->GetMeta(keys::kFormatVersion);
  ASSERT_TRUE(version.ok()) << version.status();
  EXPECT_EQ(*version, Store::kFormatVersion);
}

TEST(FormatVersionTest, ANewerFormatIsRefusedWithAClearMessage) {
  testing::TempDir dir;
  {
    auto store = OpenAt(dir.Sub("db"));
    ASSERT_NE(store, nullptr);
    Store::Batch batch;
    batch.PutMeta(keys::kFormatVersion, Store::kFormatVersion + 1);
    ASSERT_TRUE(store->Write(batch, /*sync=*/true).ok());
  }
  StoreOptions options;
  options.path = dir.Sub("db");
  auto again = Store::Open(options);
  ASSERT_FALSE(again.ok());
  EXPECT_EQ(again.status().code(), absl::StatusCode::kFailedPrecondition);
  EXPECT_NE(again.status().message().find("format version 2"), std::string::npos) << again.status();
  EXPECT_NE(again.status().message().find("newer fieldsyncd"), std::string::npos) << again.status();
}

TEST(FormatVersionTest, ADatabaseWithoutAVersionIsFormatOne) {
  testing::TempDir dir;
  {
    auto store = OpenAt(dir.Sub("db"));
    ASSERT_NE(store, nullptr);
    // As a release before format versions left it: data, no version.
    Store::Batch batch;
    batch.PutMeta(keys::kSeqReserved, 65537);
    ASSERT_TRUE(store->Write(batch, true).ok());
  }
  {
    // Remove the stamp through RocksDB's view of the store: reopen and overwrite with 0, which
    // GetMeta reads as absent.
    auto store = OpenAt(dir.Sub("db"));
    ASSERT_NE(store, nullptr);
    Store::Batch batch;
    batch.PutMeta(keys::kFormatVersion, 0);
    ASSERT_TRUE(store->Write(batch, true).ok());
  }
  auto store = OpenAt(dir.Sub("db"));
  ASSERT_NE(store, nullptr);
  auto version = store->GetMeta(keys::kFormatVersion);
  ASSERT_TRUE(version.ok());
  EXPECT_EQ(*version, 1u);
  auto reserved = store->GetMeta(keys::kSeqReserved);
  ASSERT_TRUE(reserved.ok());
  EXPECT_EQ(*reserved, 65537u);
}

TEST(CodecTest, AStoredRoleThatDoesNotDecodeIsDataLoss) {
  Record r;
  r.record_id = "rec-1";
  r.form_id = "f";
  r.version = 1;
  r.fields["a"] = std::string("x");
  r.field_meta["a"] = FieldMeta{1, Hlc{1, 0, "tab-1"}, "tab-1", static_cast<Role>(99)};
  Record out;
  absl::Status s = codec::Decode(codec::Encode(r), &out);
  EXPECT_EQ(s.code(), absl::StatusCode::kDataLoss) << s;

  Device d;
  d.device_id = "tab-1";
  d.role = static_cast<Role>(99);
  Device dout;
  EXPECT_EQ(codec::Decode(codec::Encode(d), &dout).code(), absl::StatusCode::kDataLoss);

  EnrollmentCode c;
  c.code_hash = "h";
  c.role = static_cast<Role>(0);
  EnrollmentCode cout;
  EXPECT_EQ(codec::Decode(codec::Encode(c), &cout).code(), absl::StatusCode::kDataLoss);

  // A known role survives.
  r.field_meta["a"].role = Role::kSupervisor;
  ASSERT_TRUE(codec::Decode(codec::Encode(r), &out).ok());
  EXPECT_EQ(out.field_meta.at("a").role, Role::kSupervisor);
}

TEST(CodecTest, StoredEnumsOutsideTheModelAreDataLoss) {
  Receipt r;
  r.device_seq = 1;
  r.outcome = static_cast<Outcome>(42);
  Receipt rout;
  EXPECT_EQ(codec::Decode(codec::Encode(r), &rout).code(), absl::StatusCode::kDataLoss);

  Form f;
  f.form_id = "f";
  f.version = 1;
  FieldDef fd;
  fd.name = "a";
  fd.type = static_cast<FieldType>(77);
  f.fields.push_back(fd);
  Form fout;
  absl::Status s = codec::Decode(codec::Encode(f), &fout);
  EXPECT_EQ(s.code(), absl::StatusCode::kDataLoss) << s;
  EXPECT_NE(s.message().find("'a'"), std::string::npos) << s;
}

TEST(CodecTest, BytesThatDoNotParseAreDataLoss) {
  Record r;
  EXPECT_EQ(codec::Decode(std::string("\xff\xff\xff", 3), &r).code(), absl::StatusCode::kDataLoss);
}

}  // namespace
}  // namespace fieldsync
