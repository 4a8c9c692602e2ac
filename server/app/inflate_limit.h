// A bound on how far fieldsyncd inflates a compressed gRPC message.
//
// gRPC 1.51 inflates a gzip/deflate message in full in its decompression filter, before any
// handler, before authentication, and only then compares the inflated size with
// GRPC_ARG_MAX_RECEIVE_MESSAGE_LENGTH; a 1 MB request could make the server allocate 1 GiB.
// 1.51 has no channel argument for the inflated size, so this file replaces the one function
// the filter calls, grpc_msg_decompress (a default-visibility symbol of libgrpc.so, called
// through its PLT, so the definition in the executable takes precedence), with one that stops
// at the limit. tests/hostile/ checks, against the real binary, that it does take effect.
#ifndef FIELDSYNC_SERVER_APP_INFLATE_LIMIT_H_
#define FIELDSYNC_SERVER_APP_INFLATE_LIMIT_H_

#include <cstddef>
#include <string>

#include "absl/strings/string_view.h"

namespace fieldsync {

// Sets the largest inflated message this process accepts (bytes). A process with several
// servers passes each server's receive limit: the largest one is kept. Until the first call
// nothing is bounded (gRPC's own behaviour). Thread-safe.
void SetInflateLimit(size_t max_bytes);
size_t InflateLimit();

enum class InflateFormat { kGzip, kZlib };

// The outcome of BoundedInflate.
enum class InflateResult {
  kOk,        // `out` holds the whole inflated input
  kTooLarge,  // the input inflates to more than max_bytes; `out` holds max_bytes + 1 bytes
  kCorrupt,   // not a valid stream of `format` (or trailing bytes after it)
};

// Inflates `in` into `out` (replacing it), never writing more than max_bytes + 1 bytes.
// Pure function, no global state.
InflateResult BoundedInflate(InflateFormat format, absl::string_view in, size_t max_bytes,
                             std::string* out);

}  // namespace fieldsync

#endif  // FIELDSYNC_SERVER_APP_INFLATE_LIMIT_H_
