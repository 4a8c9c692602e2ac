// Offline bundle files and receipts files: encode, sign, verify, decode. Used by fieldsyncd
// (import) and by the device SDK (export, receipts import), so this library depends only on
// protobuf messages, OpenSSL and zstd: no gRPC, no RocksDB.
//
// File layout (all integers big-endian):
//   magic          8 bytes  "FSBUNDLE" (bundle) or "FSRCPTS\0" (receipts)
//   version        1 byte   1
//   compression    1 byte   1 = zstd
//   id length      1 byte   1..64
//   device id      id length bytes (in clear, so the reader can find the key first)
//   raw length     8 bytes  the payload's length after decompression
//   payload length 8 bytes
//   payload        zstd frame of the serialised fieldsync.v1.Bundle / BundleReceipts
//   signature      32 bytes HMAC-SHA256(key, every byte before it)
//
// Signing key: SHA-256(device token), 32 raw bytes. The device knows its token; the server
// stores exactly SHA-256(token) (hex) for authentication, so both sides have the key without a
// new secret. Trade-off: anyone who can read the server's device table can forge a bundle for
// that device (the hash is a bearer-equivalent for bundles, though not for gRPC calls). An
// Ed25519 key pair generated on the device at enrolment, with only the public key on the
// server, would not have that weakness; it needs an enrolment change and is not done here.
//
// The reader checks, in this order, so nothing untrusted is decompressed before it is
// authenticated: size limit of the file, magic/version/compression, header lengths and
// truncation, the signature (constant time), the declared decompressed size against its limit,
// decompression, parsing, the device id inside against the header, the mutation count, and
// that mutations are contiguous in device_seq and match first/last_device_seq.
//
// Thread safety: free functions with no shared state.
#ifndef FIELDSYNC_SERVER_BUNDLE_BUNDLE_CODEC_H_
#define FIELDSYNC_SERVER_BUNDLE_BUNDLE_CODEC_H_

#include <cstddef>
#include <cstdint>
#include <string>
#include <string_view>

#include "absl/status/statusor.h"
#include "fieldsync/v1/bundle.pb.h"

namespace fieldsync::bundle {

inline constexpr size_t kSignatureBytes = 32;
inline constexpr size_t kMaxDeviceIdBytes = 64;

struct BundleLimits {
  size_t max_file_bytes = 64 << 20;           // the whole file as read
  size_t max_decompressed_bytes = 256 << 20;  // the payload after decompression
  size_t max_mutations = 200'000;             // per bundle
  size_t max_receipts = 200'000;              // per receipts file
};

enum class FileKind { kBundle, kReceipts };

// What a file says about itself before any verification.
struct FileHeader {
  FileKind kind = FileKind::kBundle;
  uint8_t version = 0;
  std::string device_id;
  uint64_t raw_bytes = 0;
  uint64_t payload_bytes = 0;
};

// The signing key of a device: SHA-256(token) as 32 raw bytes.
std::string KeyFromToken(std::string_view token);
// The same key from the server's stored token hash (64 hex characters).
// INVALID_ARGUMENT if `token_hash_hex` is not 64 hex characters.
absl::StatusOr<std::string> KeyFromTokenHash(std::string_view token_hash_hex);

// Reads the header without verifying anything else (to find the key). INVALID_ARGUMENT
// ("not a fieldsync bundle", "truncated", ...) on a malformed or truncated file.
absl::StatusOr<FileHeader> PeekHeader(std::string_view file, const BundleLimits& limits = {});

// Serialises, compresses and signs `bundle` with `key`. INVALID_ARGUMENT if the device id is
// empty or over 64 bytes, if `key` is empty, or if the mutations are not contiguous in
// device_seq order matching first/last_device_seq (an empty bundle has both 0).
absl::StatusOr<std::string> WriteBundle(const v1::Bundle& bundle, std::string_view key);

// Verifies and decodes a bundle file. INVALID_ARGUMENT with a message saying what is wrong:
// not a bundle (or a receipts file), unsupported version, truncated, over a limit, signature
// mismatch (tampered, or signed with another device's key), corrupt payload, inconsistent
// contents.
absl::StatusOr<v1::Bundle> ReadBundle(std::string_view file, std::string_view key,
                                      const BundleLimits& limits = {});

// The same for receipts files (no contiguity rule: receipts follow the bundle's order).
absl::StatusOr<std::string> WriteReceipts(const v1::BundleReceipts& receipts, std::string_view key);
absl::StatusOr<v1::BundleReceipts> ReadReceipts(std::string_view file, std::string_view key,
                                                const BundleLimits& limits = {});

}  // namespace fieldsync::bundle

#endif  // FIELDSYNC_SERVER_BUNDLE_BUNDLE_CODEC_H_
