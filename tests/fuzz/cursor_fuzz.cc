// Fuzz target: the pull cursor codec of server/sync/pull.h. A cursor is client input.
//   - DecodeCursor never crashes; a cursor it accepts is exactly what EncodeCursor makes of
//     the decoded value (one encoding per cursor); everything else is INVALID_ARGUMENT.
//   - Any (seq, fingerprint) survives EncodeCursor -> DecodeCursor.
#include <cstdint>
#include <string_view>

#include "server/sync/pull.h"
#include "tests/fuzz/fuzz_input.h"

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  using fieldsync::Cursor;
  const std::string_view raw(reinterpret_cast<const char*>(data), size);
  auto decoded = fieldsync::DecodeCursor(raw);
  if (decoded.ok()) {
    FUZZ_CHECK(fieldsync::EncodeCursor(*decoded) == raw);
  } else {
    FUZZ_CHECK(decoded.status().code() == absl::StatusCode::kInvalidArgument);
  }
  fieldsync::fuzz::FuzzInput in(data, size);
  Cursor c{in.U64(), in.U64()};
  auto back = fieldsync::DecodeCursor(fieldsync::EncodeCursor(c));
  FUZZ_CHECK(back.ok() && back->seq == c.seq && back->fingerprint == c.fingerprint);
  return 0;
}
