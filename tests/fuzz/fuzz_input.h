// FuzzInput: splits a fuzzer's bytes into typed pieces, deterministically, for targets that
// need more than one input (works with gcc as well, unlike clang's FuzzedDataProvider).
#ifndef FIELDSYNC_TESTS_FUZZ_FUZZ_INPUT_H_
#define FIELDSYNC_TESTS_FUZZ_FUZZ_INPUT_H_

#include <cstddef>
#include <cstdint>
#include <cstdio>
#include <cstdlib>
#include <string>
#include <string_view>

namespace fieldsync::fuzz {

class FuzzInput {
 public:
  FuzzInput(const uint8_t* data, size_t size) : rest_(reinterpret_cast<const char*>(data), size) {}

  // One byte (0 when exhausted).
  uint8_t Byte() {
    if (rest_.empty()) return 0;
    uint8_t b = static_cast<uint8_t>(rest_[0]);
    rest_.remove_prefix(1);
    return b;
  }
  // A big-endian integer of up to 8 bytes (missing bytes are 0).
  uint64_t U64() {
    uint64_t v = 0;
    for (int i = 0; i < 8; ++i) v = (v << 8) | Byte();
    return v;
  }
  uint32_t U32() {
    uint32_t v = 0;
    for (int i = 0; i < 4; ++i) v = (v << 8) | Byte();
    return v;
  }
  // A string whose length is the next byte (capped by what is left).
  std::string Short() {
    size_t n = Byte();
    n = n < rest_.size() ? n : rest_.size();
    std::string s(rest_.substr(0, n));
    rest_.remove_prefix(n);
    return s;
  }
  // Everything left.
  std::string_view Rest() {
    std::string_view r = rest_;
    rest_ = {};
    return r;
  }

 private:
  std::string_view rest_;
};

}  // namespace fieldsync::fuzz

// Stops the target with a message when a property does not hold (a finding, like a crash).
#define FUZZ_CHECK(cond)                                                          \
  do {                                                                            \
    if (!(cond)) {                                                                \
      fprintf(stderr, "%s:%d: property failed: %s\n", __FILE__, __LINE__, #cond); \
      abort();                                                                    \
    }                                                                             \
  } while (0)

#endif  // FIELDSYNC_TESTS_FUZZ_FUZZ_INPUT_H_
