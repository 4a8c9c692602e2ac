// What a hostile client sends, below grpc++: a message already compressed (sent as is with
// the compressed flag and grpc-encoding, never recompressed), or bytes that are not a valid
// message at all; and the server process's peak memory.
#ifndef FIELDSYNC_TESTS_HOSTILE_RAW_CALL_H_
#define FIELDSYNC_TESTS_HOSTILE_RAW_CALL_H_

#include <grpc/compression.h>
#include <grpc/status.h>
#include <sys/types.h>

#include <cstdint>
#include <map>
#include <string>

namespace fieldsync::testing {

struct RawCallResult {
  grpc_status_code code = GRPC_STATUS_UNKNOWN;
  std::string message;
  std::string response;  // the first response message, if any
  std::multimap<std::string, std::string> trailers;
};

// Calls `method` ("/pkg.Service/Method") on `target` (plaintext) with `payload` as its one
// request message, compressed beforehand with `algorithm` (GRPC_COMPRESS_NONE: raw bytes),
// then half-closes and waits for the status (at most `timeout_ms`). `token`: a bearer token
// ("" for none). Works for every method type.
RawCallResult RawCall(const std::string& target, const std::string& method,
                      const std::string& payload, grpc_compression_algorithm algorithm,
                      const std::string& token = "", int timeout_ms = 20'000);

// The peak resident set of `pid` (VmHWM, bytes), and its reset to the current resident set.
int64_t PeakRssBytes(pid_t pid);
void ResetPeakRss(pid_t pid);

}  // namespace fieldsync::testing

#endif  // FIELDSYNC_TESTS_HOSTILE_RAW_CALL_H_
