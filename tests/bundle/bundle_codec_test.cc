// Bundle and receipts files: round trips, and every way a file can be wrong is refused with a
// message that says what is wrong.
#include "server/bundle/bundle_codec.h"

#include <openssl/hmac.h>
#include <zstd.h>

#include <random>

#include "gmock/gmock.h"
#include "google/protobuf/util/message_differencer.h"
#include "gtest/gtest.h"
#include "server/common/hash.h"

namespace fieldsync::bundle {
namespace {

using ::testing::HasSubstr;

constexpr char kToken[] = "fs_0123456789abcdef";

v1::Mutation Household(uint64_t seq, const std::string& id, int64_t size) {
  v1::Mutation m;
  m.set_device_seq(seq);
  m.set_record_id(id);
  m.set_form_id("displacement_household");
  m.set_form_version(1);
  m.set_op(v1::Mutation::UPSERT);
  (*m.mutable_fields())["governorate"].set_text("Ninewa");
  (*m.mutable_fields())["household_size"].set_integer(size);
  (*m.mutable_fields())["notes"].set_text(std::string(200, 'n'));
  m.mutable_hlc()->set_physical_ms(1'700'000'000'000 + seq);
  m.mutable_hlc()->set_device_id("tab-1");
  return m;
}

v1::Bundle MakeBundle(uint64_t first, int n, const std::string& device = "tab-1") {
  v1::Bundle b;
  b.set_device_id(device);
  b.set_created_ms(1'700'000'000'123);
  if (n > 0) {
    b.set_first_device_seq(first);
    b.set_last_device_seq(first + n - 1);
  }
  for (int i = 0; i < n; ++i) {
    *b.add_mutations() = Household(first + i, "hh-" + std::to_string(first + i), 3 + i);
  }
  b.mutable_report()->set_app_version("1.2.3");
  b.mutable_report()->set_outbox_depth(n);
  return b;
}

std::string Key() { return KeyFromToken(kToken); }

std::string MustWrite(const v1::Bundle& b, const std::string& key = Key()) {
  auto f = WriteBundle(b, key);
  EXPECT_TRUE(f.ok()) << f.status();
  return f.ok() ? *f : "";
}

// Re-signs a file whose signed bytes a test changed on purpose.
std::string Resign(std::string file, const std::string& key) {
  file.resize(file.size() - kSignatureBytes);
  unsigned char out[EVP_MAX_MD_SIZE];
  unsigned int len = 0;
  HMAC(EVP_sha256(), key.data(), static_cast<int>(key.size()),
       reinterpret_cast<const unsigned char*>(file.data()), file.size(), out, &len);
  return file + std::string(reinterpret_cast<char*>(out), len);
}

bool Same(const google::protobuf::Message& a, const google::protobuf::Message& b) {
  return google::protobuf::util::MessageDifferencer::Equals(a, b);
}

TEST(BundleCodecTest, RoundTrip) {
  const v1::Bundle b = MakeBundle(7, 50);
  const std::string file = MustWrite(b);
  EXPECT_EQ(file.substr(0, 8), "FSBUNDLE");
  EXPECT_NE(file.find("tab-1"), std::string::npos);                   // the device id is in clear
  EXPECT_LT(file.size(), static_cast<size_t>(b.ByteSizeLong()) / 4);  // compressed
  auto back = ReadBundle(file, Key());
  ASSERT_TRUE(back.ok()) << back.status();
  EXPECT_TRUE(Same(*back, b));
  auto header = PeekHeader(file);
  ASSERT_TRUE(header.ok());
  EXPECT_EQ(header->kind, FileKind::kBundle);
  EXPECT_EQ(header->device_id, "tab-1");
  EXPECT_EQ(header->raw_bytes, b.ByteSizeLong());
}

TEST(BundleCodecTest, EmptyBundleRoundTrips) {
  const v1::Bundle b = MakeBundle(0, 0);
  auto back = ReadBundle(MustWrite(b), Key());
  ASSERT_TRUE(back.ok()) << back.status();
  EXPECT_TRUE(Same(*back, b));
}

TEST(BundleCodecTest, ReceiptsRoundTripAndAreNotABundle) {
  v1::BundleReceipts r;
  r.set_device_id("tab-1");
  r.set_acked_device_seq(9);
  r.set_bundle_sha256(Sha256Hex("x"));
  auto* rc = r.add_receipts();
  rc->set_device_seq(9);
  rc->set_outcome(v1::DUPLICATE);
  rc->set_original_outcome(v1::APPLIED);
  auto file = WriteReceipts(r, Key());
  ASSERT_TRUE(file.ok()) << file.status();
  auto back = ReadReceipts(*file, Key());
  ASSERT_TRUE(back.ok()) << back.status();
  EXPECT_TRUE(Same(*back, r));
  auto as_bundle = ReadBundle(*file, Key());
  EXPECT_EQ(as_bundle.status().code(), absl::StatusCode::kInvalidArgument);
  EXPECT_THAT(as_bundle.status().message(), HasSubstr("receipts file, not a bundle"));
  auto as_receipts = ReadReceipts(MustWrite(MakeBundle(1, 1)), Key());
  EXPECT_THAT(as_receipts.status().message(), HasSubstr("bundle, not a receipts file"));
}

TEST(BundleCodecTest, KeyFromTokenHashEqualsKeyFromToken) {
  auto k = KeyFromTokenHash(Sha256Hex(kToken));
  ASSERT_TRUE(k.ok());
  EXPECT_EQ(*k, Key());
  EXPECT_EQ(k->size(), 32u);
  EXPECT_FALSE(KeyFromTokenHash("abc").ok());
  EXPECT_FALSE(KeyFromTokenHash(std::string(64, 'z')).ok());
}

TEST(BundleCodecTest, WrongKeyIsRefused) {
  auto r = ReadBundle(MustWrite(MakeBundle(1, 3)), KeyFromToken("fs_other"));
  EXPECT_EQ(r.status().code(), absl::StatusCode::kInvalidArgument);
  EXPECT_THAT(r.status().message(), HasSubstr("signature does not verify for device tab-1"));
}

TEST(BundleCodecTest, EveryAlteredByteIsRefused) {
  const std::string file = MustWrite(MakeBundle(1, 2));
  for (size_t i = 0; i < file.size(); ++i) {
    std::string bad = file;
    bad[i] = static_cast<char>(bad[i] ^ 0x01);
    EXPECT_FALSE(ReadBundle(bad, Key()).ok()) << "byte " << i << " of " << file.size();
  }
}

TEST(BundleCodecTest, EveryTruncationIsRefused) {
  const std::string file = MustWrite(MakeBundle(1, 2));
  for (size_t n = 0; n < file.size(); ++n) {
    auto r = ReadBundle(file.substr(0, n), Key());
    ASSERT_FALSE(r.ok()) << "length " << n;
    EXPECT_EQ(r.status().code(), absl::StatusCode::kInvalidArgument);
  }
  auto r = ReadBundle(file.substr(0, file.size() - 1), Key());
  EXPECT_THAT(r.status().message(), HasSubstr("truncated"));
  EXPECT_THAT(ReadBundle(file.substr(0, 12), Key()).status().message(), HasSubstr("truncated"));
  EXPECT_THAT(ReadBundle(file + "x", Key()).status().message(),
              HasSubstr("unexpected bytes after the signature"));
}

TEST(BundleCodecTest, NotABundle) {
  auto r = ReadBundle("PK\x03\x04 this is a zip file", Key());
  EXPECT_THAT(r.status().message(), HasSubstr("not a fieldsync bundle"));
}

TEST(BundleCodecTest, UnsupportedVersionIsNamed) {
  std::string file = MustWrite(MakeBundle(1, 1));
  file[8] = 2;
  EXPECT_THAT(ReadBundle(Resign(file, Key()), Key()).status().message(),
              HasSubstr("format version 2 is not supported"));
}

TEST(BundleCodecTest, FileOverTheSizeLimitIsRefused) {
  const std::string file = MustWrite(MakeBundle(1, 20));
  BundleLimits limits;
  limits.max_file_bytes = file.size() - 1;
  EXPECT_THAT(ReadBundle(file, Key(), limits).status().message(),
              HasSubstr("over the limit of " + std::to_string(file.size() - 1)));
  limits.max_file_bytes = file.size();
  EXPECT_TRUE(ReadBundle(file, Key(), limits).ok());
}

TEST(BundleCodecTest, DecompressedSizeOverTheLimitIsRefusedBeforeDecompressing) {
  const v1::Bundle b = MakeBundle(1, 20);
  const std::string file = MustWrite(b);
  BundleLimits limits;
  limits.max_decompressed_bytes = b.ByteSizeLong() - 1;
  auto r = ReadBundle(file, Key(), limits);
  EXPECT_THAT(r.status().message(), HasSubstr("decompresses to"));
  limits.max_decompressed_bytes = b.ByteSizeLong();
  EXPECT_TRUE(ReadBundle(file, Key(), limits).ok());
}

TEST(BundleCodecTest, TooManyMutationsAreRefused) {
  const std::string file = MustWrite(MakeBundle(1, 3));
  BundleLimits limits;
  limits.max_mutations = 2;
  EXPECT_THAT(ReadBundle(file, Key(), limits).status().message(),
              HasSubstr("3 mutations, over the limit of 2"));
  limits.max_mutations = 3;
  EXPECT_TRUE(ReadBundle(file, Key(), limits).ok());
}

TEST(BundleCodecTest, TooManyReceiptsAreRefused) {
  v1::BundleReceipts r;
  r.set_device_id("tab-1");
  for (int i = 0; i < 3; ++i) r.add_receipts()->set_device_seq(i + 1);
  auto file = WriteReceipts(r, Key());
  ASSERT_TRUE(file.ok());
  BundleLimits limits;
  limits.max_receipts = 2;
  EXPECT_THAT(ReadReceipts(*file, Key(), limits).status().message(),
              HasSubstr("3 receipts, over the limit of 2"));
}

TEST(BundleCodecTest, ValidlySignedGarbagePayloadIsCorrupt) {
  std::string file = MustWrite(MakeBundle(1, 5));
  auto h = PeekHeader(file);
  ASSERT_TRUE(h.ok());
  const size_t payload_at = 11 + h->device_id.size() + 16;
  std::mt19937 rng(3);
  for (size_t i = payload_at; i < payload_at + h->payload_bytes; ++i) {
    file[i] = static_cast<char>(rng());
  }
  EXPECT_THAT(ReadBundle(Resign(file, Key()), Key()).status().message(),
              HasSubstr("payload is corrupt"));
}

TEST(BundleCodecTest, DeviceIdInsideMustMatchTheHeader) {
  std::string file = MustWrite(MakeBundle(1, 1, "tab-a"));
  file[11 + 4] = 'b';  // header now says tab-b; signed with tab-b's key
  auto r = ReadBundle(Resign(file, Key()), Key());
  EXPECT_THAT(r.status().message(), HasSubstr("names device 'tab-a' inside but 'tab-b'"));
}

TEST(BundleCodecTest, WriterRefusesInconsistentBundles) {
  v1::Bundle gap = MakeBundle(1, 3);
  gap.mutable_mutations(1)->set_device_seq(5);
  EXPECT_THAT(WriteBundle(gap, Key()).status().message(), HasSubstr("contiguous"));
  v1::Bundle last = MakeBundle(1, 3);
  last.set_last_device_seq(4);
  EXPECT_THAT(WriteBundle(last, Key()).status().message(), HasSubstr("last_device_seq"));
  v1::Bundle zero = MakeBundle(0, 1);
  EXPECT_FALSE(WriteBundle(zero, Key()).ok());
  EXPECT_FALSE(WriteBundle(MakeBundle(1, 1, ""), Key()).ok());
  EXPECT_FALSE(WriteBundle(MakeBundle(1, 1, std::string(65, 'd')), Key()).ok());
  EXPECT_FALSE(WriteBundle(MakeBundle(1, 1), "").ok());
}

TEST(BundleCodecTest, ReaderRechecksContiguityOfASignedFile) {
  // Assembled by hand (the writer refuses this bundle): a valid signature does not make
  // inconsistent contents acceptable.
  v1::Bundle bad = MakeBundle(1, 2);
  bad.mutable_mutations(1)->set_device_seq(9);
  std::string raw = bad.SerializeAsString();
  std::string payload(ZSTD_compressBound(raw.size()), '\0');
  payload.resize(ZSTD_compress(payload.data(), payload.size(), raw.data(), raw.size(), 1));
  std::string file("FSBUNDLE\x01\x01\x05tab-1", 16);
  for (uint64_t v : {static_cast<uint64_t>(raw.size()), static_cast<uint64_t>(payload.size())}) {
    for (int i = 7; i >= 0; --i) file.push_back(static_cast<char>((v >> (8 * i)) & 0xff));
  }
  file += payload + std::string(kSignatureBytes, '\0');
  auto r = ReadBundle(Resign(file, Key()), Key());
  EXPECT_THAT(r.status().message(), HasSubstr("bundle contents are inconsistent"));
  EXPECT_THAT(r.status().message(), HasSubstr("expected device_seq 2, found 9"));
}

}  // namespace
}  // namespace fieldsync::bundle
