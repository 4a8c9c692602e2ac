#include "server/app/inflate_limit.h"

#include <grpc/compression.h>
#include <grpc/slice.h>
#include <grpc/slice_buffer.h>

#include <string>

#include "gtest/gtest.h"
#include "tests/testing/deflate.h"

// The replacement of libgrpc's function (inflate_limit.cc).
int grpc_msg_decompress(grpc_compression_algorithm algorithm, grpc_slice_buffer* input,
                        grpc_slice_buffer* output);

namespace fieldsync {
namespace {

std::string Text(size_t n) {
  std::string s;
  for (size_t i = 0; s.size() < n; ++i) s += "record " + std::to_string(i * 7919 % 10007) + ";";
  s.resize(n);
  return s;
}

TEST(BoundedInflateTest, InflatesGzipAndZlibWithinTheLimit) {
  const std::string raw = Text(300'000);  // several 64 KiB blocks
  std::string out;
  EXPECT_EQ(BoundedInflate(InflateFormat::kGzip, testing::Deflate(raw, true), raw.size(), &out),
            InflateResult::kOk);
  EXPECT_EQ(out, raw);
  EXPECT_EQ(BoundedInflate(InflateFormat::kZlib, testing::Deflate(raw, false), raw.size(), &out),
            InflateResult::kOk);
  EXPECT_EQ(out, raw);
}

TEST(BoundedInflateTest, StopsOneByteOverTheLimit) {
  const std::string raw = Text(100'000);
  std::string out;
  EXPECT_EQ(BoundedInflate(InflateFormat::kGzip, testing::Deflate(raw, true), raw.size() - 1, &out),
            InflateResult::kTooLarge);
  EXPECT_EQ(out.size(), raw.size());  // limit + 1
  EXPECT_EQ(out, raw.substr(0, out.size()));
}

TEST(BoundedInflateTest, ABombInflatesOnlyToTheLimit) {
  const std::string bomb = testing::Deflate(std::string(16 << 20, '\0'), true);
  ASSERT_LT(bomb.size(), 64u << 10);  // 16 MiB of zeros fit in a few KB
  std::string out;
  EXPECT_EQ(BoundedInflate(InflateFormat::kGzip, bomb, 1 << 20, &out), InflateResult::kTooLarge);
  EXPECT_EQ(out.size(), (1u << 20) + 1);
}

TEST(BoundedInflateTest, CorruptTruncatedAndTrailingInputIsRefused) {
  const std::string raw = Text(10'000);
  const std::string gz = testing::Deflate(raw, true);
  std::string out;
  EXPECT_EQ(BoundedInflate(InflateFormat::kGzip, "not gzip at all", 1 << 20, &out),
            InflateResult::kCorrupt);
  EXPECT_EQ(BoundedInflate(InflateFormat::kGzip, gz.substr(0, gz.size() - 9), 1 << 20, &out),
            InflateResult::kCorrupt);
  EXPECT_EQ(BoundedInflate(InflateFormat::kGzip, gz + "xx", 1 << 20, &out),
            InflateResult::kCorrupt);
  EXPECT_EQ(BoundedInflate(InflateFormat::kZlib, gz, 1 << 20, &out), InflateResult::kCorrupt);
}

// What libgrpc's decompression filter calls: many input slices, the process-wide limit.
TEST(GrpcMsgDecompressTest, ReplacesGrpcsInflateWithTheBoundedOne) {
  SetInflateLimit(1 << 20);
  SetInflateLimit(4096);  // a second, smaller server's limit does not lower it
  EXPECT_EQ(InflateLimit(), 1u << 20);
  auto run = [](const std::string& compressed, grpc_compression_algorithm algorithm,
                std::string* out) {
    grpc_slice_buffer in, result;
    grpc_slice_buffer_init(&in);
    grpc_slice_buffer_init(&result);
    // Three slices, cut inside the stream.
    const size_t third = compressed.size() / 3;
    for (size_t at = 0; at < compressed.size(); at += third) {
      std::string part = compressed.substr(at, third);
      grpc_slice_buffer_add(&in, grpc_slice_from_copied_buffer(part.data(), part.size()));
    }
    int ok = grpc_msg_decompress(algorithm, &in, &result);
    out->clear();
    for (size_t i = 0; i < result.count; ++i) {
      out->append(reinterpret_cast<const char*>(GRPC_SLICE_START_PTR(result.slices[i])),
                  GRPC_SLICE_LENGTH(result.slices[i]));
    }
    grpc_slice_buffer_destroy(&in);
    grpc_slice_buffer_destroy(&result);
    return ok;
  };
  const std::string raw = Text(200'000);
  std::string out;
  EXPECT_EQ(run(testing::Deflate(raw, true), GRPC_COMPRESS_GZIP, &out), 1);
  EXPECT_EQ(out, raw);
  EXPECT_EQ(run(testing::Deflate(raw, false), GRPC_COMPRESS_DEFLATE, &out), 1);
  EXPECT_EQ(out, raw);
  EXPECT_EQ(run(raw, GRPC_COMPRESS_NONE, &out), 1);
  EXPECT_EQ(out, raw);
  EXPECT_EQ(run("garbage, not gzip", GRPC_COMPRESS_GZIP, &out), 0);
  // A bomb: one byte over the limit, and that byte stream can never parse as a message.
  EXPECT_EQ(run(testing::Deflate(std::string(8 << 20, 'a'), true), GRPC_COMPRESS_GZIP, &out), 1);
  ASSERT_EQ(out.size(), (1u << 20) + 1);
  EXPECT_EQ(out[0], 0x07);
}

}  // namespace
}  // namespace fieldsync
