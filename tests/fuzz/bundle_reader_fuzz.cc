// Fuzz target: the offline bundle reader of server/bundle/bundle_codec.h (files arrive on USB
// sticks from posts with no link: untrusted input). The first byte picks the mode:
//   0: the rest is a bundle or receipts file as read from disk (header parsing, limits,
//      signature check); nothing may crash, errors are INVALID_ARGUMENT.
//   1: the rest is the payload of a correctly signed file, so the fuzzer reaches what only
//      authenticated input reaches: the declared size, zstd decompression, protobuf parsing and
//      the consistency checks.
//   2: the rest is a fieldsync.v1.Bundle; WriteBundle then ReadBundle gives it back unchanged.
#include <openssl/evp.h>
#include <openssl/hmac.h>

#include <cstdint>
#include <string>

#include "google/protobuf/util/message_differencer.h"
#include "server/bundle/bundle_codec.h"
#include "tests/fuzz/fuzz_input.h"

namespace fieldsync::fuzz {
namespace {

const std::string& Key() {
  static const std::string key(32, 'k');
  return key;
}

void PutU64(uint64_t v, std::string* out) {
  for (int i = 7; i >= 0; --i) out->push_back(static_cast<char>((v >> (8 * i)) & 0xff));
}

// A file with a valid header and signature around `payload` (see the layout in
// bundle_codec.h).
std::string SignedFile(bool receipts, const std::string& device_id, uint64_t raw_bytes,
                       std::string_view payload) {
  std::string f = receipts ? std::string("FSRCPTS\0", 8) : std::string("FSBUNDLE", 8);
  f.push_back(1);  // version
  f.push_back(1);  // zstd
  f.push_back(static_cast<char>(device_id.size()));
  f += device_id;
  PutU64(raw_bytes, &f);
  PutU64(payload.size(), &f);
  f.append(payload.data(), payload.size());
  unsigned char mac[EVP_MAX_MD_SIZE];
  unsigned int len = 0;
  HMAC(EVP_sha256(), Key().data(), static_cast<int>(Key().size()),
       reinterpret_cast<const unsigned char*>(f.data()), f.size(), mac, &len);
  f.append(reinterpret_cast<const char*>(mac), len);
  return f;
}

bundle::BundleLimits SmallLimits() {
  bundle::BundleLimits limits;
  limits.max_file_bytes = 1 << 20;
  limits.max_decompressed_bytes = 4 << 20;
  limits.max_mutations = 1000;
  limits.max_receipts = 1000;
  return limits;
}

void CheckError(const absl::Status& s) {
  FUZZ_CHECK(s.ok() || s.code() == absl::StatusCode::kInvalidArgument);
}

}  // namespace
}  // namespace fieldsync::fuzz

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  using namespace fieldsync;
  using namespace fieldsync::fuzz;
  FuzzInput in(data, size);
  const uint8_t mode = in.Byte() % 3;
  if (mode == 0) {
    const std::string_view file = in.Rest();
    CheckError(bundle::PeekHeader(file, SmallLimits()).status());
    CheckError(bundle::ReadBundle(file, Key(), SmallLimits()).status());
    CheckError(bundle::ReadReceipts(file, Key(), SmallLimits()).status());
  } else if (mode == 1) {
    const bool receipts = in.Byte() % 2 == 1;
    const std::string device_id = in.Short();
    const uint64_t raw_bytes = in.U32();  // the limit check itself is covered by mode 0
    const std::string file = SignedFile(receipts, device_id, raw_bytes, in.Rest());
    if (receipts) {
      CheckError(bundle::ReadReceipts(file, Key(), SmallLimits()).status());
    } else {
      CheckError(bundle::ReadBundle(file, Key(), SmallLimits()).status());
    }
  } else {
    const std::string_view rest = in.Rest();
    v1::Bundle b;
    if (!b.ParseFromArray(rest.data(), static_cast<int>(rest.size()))) return 0;
    if (b.mutations_size() > 1000) return 0;
    auto file = bundle::WriteBundle(b, Key());
    if (!file.ok()) return 0;
    auto back = bundle::ReadBundle(*file, Key(), SmallLimits());
    FUZZ_CHECK(back.ok());
    FUZZ_CHECK(google::protobuf::util::MessageDifferencer::Equals(b, *back));
  }
  return 0;
}
