#include "server/blob/blob_store.h"

#include <signal.h>
#include <sys/wait.h>
#include <unistd.h>

#include <filesystem>
#include <random>
#include <string>

#include "gtest/gtest.h"
#include "server/common/hash.h"
#include "tests/testing/temp_dir.h"

namespace fieldsync {
namespace {

using testing::TempDir;

std::string Bytes(size_t n, uint32_t seed) {
  std::mt19937 rng(seed);
  std::string out(n, '\0');
  for (char& c : out) c = static_cast<char>(rng() & 0xff);
  return out;
}

class BlobStoreTest : public ::testing::Test {
 protected:
  BlobStoreOptions Options() {
    BlobStoreOptions o;
    o.dir = dir_.Sub("blobs");
    o.max_blob_bytes = 1 << 20;
    o.device_quota_bytes = 3 << 20;
    o.max_chunk_bytes = 64 << 10;
    o.sync_every_bytes = 64 << 10;
    return o;
  }
  std::unique_ptr<BlobStore> OpenStore() {
    auto store = BlobStore::Open(Options());
    EXPECT_TRUE(store.ok()) << store.status();
    return store.ok() ? *std::move(store) : nullptr;
  }
  // Appends data[from, to) in chunks of `chunk` bytes.
  static absl::Status Send(BlobWriter& w, const std::string& data, size_t from, size_t to,
                           size_t chunk = 64 << 10) {
    for (size_t pos = from; pos < to; pos += chunk) {
      absl::Status s =
          w.Append(pos, absl::string_view(data).substr(pos, std::min(chunk, to - pos)));
      if (!s.ok()) return s;
    }
    return absl::OkStatus();
  }

  TempDir dir_;
};

TEST_F(BlobStoreTest, ChunkedUploadIsVerifiedStoredAndReadBack) {
  auto store = OpenStore();
  const std::string data = Bytes(300'000, 1);
  const std::string hash = Sha256Hex(data);
  EXPECT_EQ(store->Stat(hash)->kind, BlobState::Kind::kAbsent);
  auto w = store->OpenWriter("dev-a", hash, data.size());
  ASSERT_TRUE(w.ok()) << w.status();
  EXPECT_FALSE((*w)->complete());
  ASSERT_TRUE(Send(**w, data, 0, data.size()).ok());
  EXPECT_TRUE((*w)->complete());
  auto state = store->Stat(hash);
  EXPECT_EQ(state->kind, BlobState::Kind::kComplete);
  EXPECT_EQ(state->size, data.size());
  std::string back;
  ASSERT_TRUE(store->Read(hash, 0, data.size() + 10, &back).ok());
  EXPECT_EQ(back, data);
  ASSERT_TRUE(store->Read(hash, 299'990, 100, &back).ok());
  EXPECT_EQ(back, data.substr(299'990));
  EXPECT_EQ(*store->DeviceUsage("dev-a"), data.size());
}

TEST_F(BlobStoreTest, ABlobAlreadyHeldIsCompleteAtOnceAndChargedOnce) {
  auto store = OpenStore();
  const std::string data = Bytes(100'000, 2);
  const std::string hash = Sha256Hex(data);
  auto a = store->OpenWriter("dev-a", hash, data.size());
  ASSERT_TRUE(Send(**a, data, 0, data.size()).ok());
  a->reset();
  auto b = store->OpenWriter("dev-b", hash, data.size());
  ASSERT_TRUE(b.ok());
  EXPECT_TRUE((*b)->complete());
  EXPECT_EQ((*b)->durable_offset(), data.size());
  EXPECT_EQ(*store->DeviceUsage("dev-b"), 0u);
  EXPECT_EQ(*store->DeviceUsage("dev-a"), data.size());
  // One file for the blob.
  size_t files = 0;
  for (const auto& e : std::filesystem::recursive_directory_iterator(Options().dir + "/objects")) {
    files += e.is_regular_file() ? 1 : 0;
  }
  EXPECT_EQ(files, 1u);
}

TEST_F(BlobStoreTest, ContentThatDoesNotMatchItsHashIsRefusedAndDiscarded) {
  auto store = OpenStore();
  const std::string data = Bytes(100'000, 3);
  const std::string hash = Sha256Hex(Bytes(100'000, 4));
  auto w = store->OpenWriter("dev-a", hash, data.size());
  ASSERT_TRUE(w.ok());
  absl::Status s = Send(**w, data, 0, data.size());
  EXPECT_EQ(s.code(), absl::StatusCode::kInvalidArgument) << s;
  EXPECT_NE(s.message().find("does not match"), std::string::npos);
  EXPECT_FALSE((*w)->complete());
  EXPECT_EQ(store->Stat(hash)->kind, BlobState::Kind::kAbsent);
  EXPECT_EQ((*w)->Append(data.size(), "x").code(), absl::StatusCode::kFailedPrecondition);
  w->reset();
  EXPECT_EQ(*store->DeviceUsage("dev-a"), 0u);
  std::string out;
  EXPECT_EQ(store->Read(hash, 0, 10, &out).code(), absl::StatusCode::kNotFound);
}

TEST_F(BlobStoreTest, BoundsAndBadInputAreInvalidArgument) {
  auto store = OpenStore();
  const std::string data = Bytes(200'000, 5);
  const std::string hash = Sha256Hex(data);
  EXPECT_EQ(store->OpenWriter("dev-a", "ABC", 10).status().code(),
            absl::StatusCode::kInvalidArgument);
  EXPECT_EQ(store->Stat(std::string(64, 'G')).status().code(), absl::StatusCode::kInvalidArgument);
  auto too_big = store->OpenWriter("dev-a", hash, (1 << 20) + 1);
  EXPECT_EQ(too_big.status().code(), absl::StatusCode::kInvalidArgument);
  EXPECT_NE(too_big.status().message().find("1048576"), std::string::npos);

  auto w = store->OpenWriter("dev-a", hash, data.size());
  ASSERT_TRUE(w.ok());
  EXPECT_EQ((*w)->Append(0, data.substr(0, (64 << 10) + 1)).code(),
            absl::StatusCode::kInvalidArgument);  // chunk too big
  EXPECT_EQ((*w)->Append(10, data.substr(10, 10)).code(),
            absl::StatusCode::kInvalidArgument);  // not at the current offset
  ASSERT_TRUE(Send(**w, data, 0, 190'000).ok());
  auto past = (*w)->Append(190'000, std::string(20'000, 'x'));
  EXPECT_EQ(past.code(), absl::StatusCode::kInvalidArgument);
  EXPECT_NE(past.message().find("past the blob's size 200000"), std::string::npos);
  // Another size than the unfinished upload declared.
  w->reset();
  EXPECT_EQ(store->OpenWriter("dev-a", hash, 5).status().code(),
            absl::StatusCode::kInvalidArgument);
}

TEST_F(BlobStoreTest, QuotaCountsStoredBlobsAndUnfinishedUploads) {
  auto store = OpenStore();  // quota 3 MiB, blobs up to 1 MiB
  std::vector<std::string> blobs;
  for (uint32_t i = 0; i < 2; ++i) {
    blobs.push_back(Bytes(1 << 20, 10 + i));
    auto w = store->OpenWriter("dev-a", Sha256Hex(blobs.back()), blobs.back().size());
    ASSERT_TRUE(Send(**w, blobs.back(), 0, blobs.back().size()).ok());
  }
  const std::string third = Bytes(1 << 20, 20);
  auto started = store->OpenWriter("dev-a", Sha256Hex(third), third.size());  // reserves 1 MiB
  ASSERT_TRUE(started.ok());
  const std::string fourth = Bytes(10, 21);
  auto refused = store->OpenWriter("dev-a", Sha256Hex(fourth), fourth.size());
  ASSERT_EQ(refused.status().code(), absl::StatusCode::kResourceExhausted);
  EXPECT_NE(refused.status().message().find("holds 3145728 bytes"), std::string::npos)
      << refused.status();
  EXPECT_NE(refused.status().message().find("quota is 3145728"), std::string::npos);
  // Another device has its own quota; and the quota is kept across a restart.
  EXPECT_TRUE(store->OpenWriter("dev-b", Sha256Hex(fourth), fourth.size()).ok());
  started->reset();
  store.reset();
  store = OpenStore();
  EXPECT_EQ(*store->DeviceUsage("dev-a"), 3u << 20);
  const std::string fifth = Bytes(10, 22);
  EXPECT_EQ(store->OpenWriter("dev-a", Sha256Hex(fifth), fifth.size()).status().code(),
            absl::StatusCode::kResourceExhausted);
  // dev-b's unfinished upload of `fourth` may be finished by dev-a: nothing new is stored.
  EXPECT_TRUE(store->OpenWriter("dev-a", Sha256Hex(fourth), fourth.size()).ok());
}

TEST_F(BlobStoreTest, OneWriterPerHash) {
  auto store = OpenStore();
  const std::string data = Bytes(1000, 6);
  auto first = store->OpenWriter("dev-a", Sha256Hex(data), data.size());
  ASSERT_TRUE(first.ok());
  EXPECT_EQ(store->OpenWriter("dev-b", Sha256Hex(data), data.size()).status().code(),
            absl::StatusCode::kUnavailable);
  first->reset();
  EXPECT_TRUE(store->OpenWriter("dev-b", Sha256Hex(data), data.size()).ok());
}

TEST_F(BlobStoreTest, AResumedUploadContinuesFromTheDurableOffset) {
  auto store = OpenStore();
  const std::string data = Bytes(500'000, 7);
  const std::string hash = Sha256Hex(data);
  {
    auto w = store->OpenWriter("dev-a", hash, data.size());
    ASSERT_TRUE(Send(**w, data, 0, 200'000).ok());
    ASSERT_TRUE((*w)->Sync().ok());
    EXPECT_EQ((*w)->durable_offset(), 200'000u);
  }
  auto state = store->Stat(hash);
  EXPECT_EQ(state->kind, BlobState::Kind::kPartial);
  EXPECT_EQ(state->durable_offset, 200'000u);
  // A device that uploads the same photo picks the upload up; nothing is charged to it.
  auto w = store->OpenWriter("dev-b", hash, data.size());
  ASSERT_TRUE(w.ok());
  EXPECT_EQ((*w)->written_offset(), 200'000u);
  ASSERT_TRUE(Send(**w, data, 200'000, data.size()).ok());
  EXPECT_TRUE((*w)->complete());
  EXPECT_EQ(*store->DeviceUsage("dev-a"), data.size());
  EXPECT_EQ(*store->DeviceUsage("dev-b"), 0u);
}

// A process killed between chunks: bytes past the last durable offset are dropped on reopen,
// the upload resumes there and the blob verifies.
TEST_F(BlobStoreTest, UploadSurvivesSigkillBetweenChunks) {
  const std::string data = Bytes(400'000, 8);
  const std::string hash = Sha256Hex(data);
  const pid_t pid = fork();
  ASSERT_GE(pid, 0);
  if (pid == 0) {
    BlobStoreOptions options = Options();
    options.sync_every_bytes = 3 * 65536;
    auto store = BlobStore::Open(options);
    if (!store.ok()) _exit(2);
    auto w = (*store)->OpenWriter("dev-a", hash, data.size());
    if (!w.ok()) _exit(3);
    // Three synced chunks, then one written but not yet synced.
    for (size_t pos = 0; pos < 4 * 65536; pos += 65536) {
      if (!(*w)->Append(pos, absl::string_view(data).substr(pos, 65536)).ok()) _exit(4);
      if (pos == 2 * 65536 && (*w)->durable_offset() != 3 * 65536) _exit(5);
    }
    raise(SIGKILL);
  }
  int wstatus = 0;
  ASSERT_EQ(waitpid(pid, &wstatus, 0), pid);
  ASSERT_TRUE(WIFSIGNALED(wstatus)) << "child exit " << WEXITSTATUS(wstatus);
  auto store = OpenStore();
  auto state = store->Stat(hash);
  ASSERT_EQ(state->kind, BlobState::Kind::kPartial);
  EXPECT_EQ(state->durable_offset, 3u * 65536);
  auto w = store->OpenWriter("dev-a", hash, data.size());
  ASSERT_TRUE(w.ok()) << w.status();
  const uint64_t from = (*w)->written_offset();
  EXPECT_EQ(from, state->durable_offset);
  ASSERT_TRUE(Send(**w, data, from, data.size()).ok());
  ASSERT_TRUE((*w)->complete());
  std::string back;
  ASSERT_TRUE(store->Read(hash, 0, data.size(), &back).ok());
  EXPECT_EQ(Sha256Hex(back), hash);
}

TEST_F(BlobStoreTest, BytesPastTheDurableOffsetAreCutOffOnReopen) {
  const std::string data = Bytes(300'000, 9);
  const std::string hash = Sha256Hex(data);
  {
    auto store = OpenStore();
    auto w = store->OpenWriter("dev-a", hash, data.size());
    ASSERT_TRUE(Send(**w, data, 0, 65536).ok());                    // synced (sync_every_bytes)
    ASSERT_TRUE((*w)->Append(65536, std::string(1000, 'z')).ok());  // wrong bytes, unsynced
  }
  auto store = OpenStore();
  EXPECT_EQ(std::filesystem::file_size(Options().dir + "/partial/" + hash + ".part"), 65536u);
  auto w = store->OpenWriter("dev-a", hash, data.size());
  ASSERT_TRUE(Send(**w, data, 65536, data.size()).ok());
  EXPECT_TRUE((*w)->complete());
}

TEST_F(BlobStoreTest, ReadErrors) {
  auto store = OpenStore();
  const std::string data = Bytes(10, 11);
  auto w = store->OpenWriter("dev-a", Sha256Hex(data), data.size());
  ASSERT_TRUE((*w)->Append(0, data).ok());
  std::string out = "stale";
  ASSERT_TRUE(store->Read(Sha256Hex(data), 10, 5, &out).ok());
  EXPECT_EQ(out, "");
  EXPECT_EQ(store->Read(Sha256Hex(data), 11, 5, &out).code(), absl::StatusCode::kOutOfRange);
  EXPECT_EQ(store->Read(Sha256Hex("other"), 0, 5, &out).code(), absl::StatusCode::kNotFound);
  // The empty blob is a blob too.
  auto empty = store->OpenWriter("dev-a", Sha256Hex(""), 0);
  ASSERT_TRUE(empty.ok()) << empty.status();
  EXPECT_TRUE((*empty)->complete());
}

}  // namespace
}  // namespace fieldsync
