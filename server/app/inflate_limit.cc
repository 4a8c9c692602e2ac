#include "server/app/inflate_limit.h"

#include <grpc/compression.h>
#include <grpc/slice.h>
#include <grpc/slice_buffer.h>
#include <zlib.h>

#include <algorithm>
#include <atomic>
#include <functional>
#include <limits>
#include <memory>
#include <vector>

#include "server/common/log.h"

namespace fieldsync {
namespace {

constexpr size_t kBlock = 64 << 10;

std::atomic<size_t> g_limit{std::numeric_limits<size_t>::max()};
std::atomic<bool> g_limit_set{false};

// Inflates `chunks` in order, handing every inflated block to `emit`; stops after
// max_bytes + 1 bytes. Nothing but one block is held here: the caller owns the output.
InflateResult InflateChunks(InflateFormat format, const std::vector<absl::string_view>& chunks,
                            size_t max_bytes,
                            const std::function<void(const char*, size_t)>& emit) {
  size_t in_total = 0;
  for (auto c : chunks) in_total += c.size();
  if (in_total == 0) return InflateResult::kOk;  // as gRPC: an empty message stays empty
  z_stream zs{};
  // 15: the largest window; +16: a gzip header and trailer instead of zlib's.
  if (inflateInit2(&zs, format == InflateFormat::kGzip ? 15 + 16 : 15) != Z_OK) {
    return InflateResult::kCorrupt;
  }
  std::unique_ptr<char[]> block(new char[kBlock]);
  const size_t cap = max_bytes == std::numeric_limits<size_t>::max() ? max_bytes : max_bytes + 1;
  size_t total = 0;
  bool ended = false;
  bool trailing = false;  // input left after the end of the stream
  InflateResult result = InflateResult::kOk;
  for (size_t i = 0; i < chunks.size() && result == InflateResult::kOk; ++i) {
    absl::string_view chunk = chunks[i];
    if (ended) {
      trailing = trailing || !chunk.empty();
      continue;
    }
    // Until this chunk is used up and inflate has output room left over (nothing pending).
    do {
      // uInt is 32 bits: a larger chunk goes in pieces.
      const size_t feed = std::min<size_t>(chunk.size(), std::numeric_limits<uInt>::max());
      zs.next_in = reinterpret_cast<Bytef*>(const_cast<char*>(chunk.data()));
      zs.avail_in = static_cast<uInt>(feed);
      const size_t room = std::min(kBlock, cap - total);
      zs.next_out = reinterpret_cast<Bytef*>(block.get());
      zs.avail_out = static_cast<uInt>(room);
      const int r = inflate(&zs, Z_NO_FLUSH);
      const size_t consumed = feed - zs.avail_in;
      const size_t produced = room - zs.avail_out;
      chunk.remove_prefix(consumed);
      if (produced > 0) emit(block.get(), produced);
      total += produced;
      if (r != Z_OK && r != Z_STREAM_END && r != Z_BUF_ERROR) {
        result = InflateResult::kCorrupt;
      } else if (total > max_bytes) {
        result = InflateResult::kTooLarge;
      } else if (r == Z_STREAM_END) {
        ended = true;
        trailing = !chunk.empty();
      } else if (consumed == 0 && produced == 0) {
        break;  // no progress possible: needs the next chunk
      }
    } while (result == InflateResult::kOk && !ended && (!chunk.empty() || zs.avail_out == 0));
  }
  inflateEnd(&zs);
  if (result != InflateResult::kOk) return result;
  // A stream cut short, or bytes after its end, are errors, as in gRPC.
  return ended && !trailing ? InflateResult::kOk : InflateResult::kCorrupt;
}

}  // namespace

void SetInflateLimit(size_t max_bytes) {
  if (!g_limit_set.exchange(true)) {
    g_limit.store(max_bytes);
    return;
  }
  size_t cur = g_limit.load();
  while (max_bytes > cur && !g_limit.compare_exchange_weak(cur, max_bytes)) {
  }
}

size_t InflateLimit() { return g_limit.load(); }

InflateResult BoundedInflate(InflateFormat format, absl::string_view in, size_t max_bytes,
                             std::string* out) {
  out->clear();
  return InflateChunks(format, {in}, max_bytes,
                       [out](const char* p, size_t n) { out->append(p, n); });
}

}  // namespace fieldsync

// Replaces libgrpc's grpc_msg_decompress (src/core/lib/compression/message_compress.h,
// same signature and contract: append the decompressed `input` to `output`, 1 on success, 0
// on failure). Over the limit it answers max + 1 bytes, which the message-size filter that
// runs next refuses with RESOURCE_EXHAUSTED "Received message larger than max"; their first
// byte is made an invalid protobuf tag (field 0), so that even a channel with a larger receive
// limit in this process can never parse a truncated prefix as a shorter message.
int grpc_msg_decompress(grpc_compression_algorithm algorithm, grpc_slice_buffer* input,
                        grpc_slice_buffer* output) {
  using fieldsync::InflateFormat;
  using fieldsync::InflateResult;
  InflateFormat format;
  switch (algorithm) {
    case GRPC_COMPRESS_NONE:
      for (size_t i = 0; i < input->count; ++i) {
        grpc_slice_buffer_add(output, grpc_slice_ref(input->slices[i]));
      }
      return 1;
    case GRPC_COMPRESS_DEFLATE:
      format = InflateFormat::kZlib;
      break;
    case GRPC_COMPRESS_GZIP:
      format = InflateFormat::kGzip;
      break;
    default:
      return 0;
  }
  std::vector<absl::string_view> chunks;
  chunks.reserve(input->count);
  for (size_t i = 0; i < input->count; ++i) {
    chunks.emplace_back(reinterpret_cast<const char*>(GRPC_SLICE_START_PTR(input->slices[i])),
                        GRPC_SLICE_LENGTH(input->slices[i]));
  }
  grpc_slice_buffer inflated;
  grpc_slice_buffer_init(&inflated);
  const size_t limit = fieldsync::InflateLimit();
  InflateResult r = fieldsync::InflateChunks(format, chunks, limit, [&](const char* p, size_t n) {
    grpc_slice_buffer_add(&inflated, grpc_slice_from_copied_buffer(p, n));
  });
  if (r == InflateResult::kCorrupt) {
    grpc_slice_buffer_destroy(&inflated);
    return 0;
  }
  if (r == InflateResult::kTooLarge) {
    GRPC_SLICE_START_PTR(inflated.slices[0])[0] = 0x07;  // field 0, wire type 7: invalid
    fieldsync::LogEvent(fieldsync::LogLevel::kWarn, "inflate_limit")
        .Int("compressed_bytes", static_cast<int64_t>(input->length))
        .Int("limit_bytes", static_cast<int64_t>(limit));
  }
  grpc_slice_buffer_move_into(&inflated, output);
  grpc_slice_buffer_destroy(&inflated);
  return 1;
}
