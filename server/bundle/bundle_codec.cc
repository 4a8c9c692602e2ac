#include "server/bundle/bundle_codec.h"

#include <openssl/hmac.h>
#include <openssl/sha.h>
#include <zstd.h>

#include <cstring>

#include "absl/strings/str_cat.h"
#include "server/common/hash.h"
#include "server/common/status.h"

namespace fieldsync::bundle {
namespace {

constexpr char kBundleMagic[8] = {'F', 'S', 'B', 'U', 'N', 'D', 'L', 'E'};
constexpr char kReceiptsMagic[8] = {'F', 'S', 'R', 'C', 'P', 'T', 'S', '\0'};
constexpr uint8_t kVersion = 1;
constexpr uint8_t kZstd = 1;
constexpr int kZstdLevel = 3;
// magic + version + compression + id length
constexpr size_t kFixedPrefix = 8 + 1 + 1 + 1;

const char* KindName(FileKind k) { return k == FileKind::kBundle ? "bundle" : "receipts file"; }

void PutU64(uint64_t v, std::string* out) {
  for (int i = 7; i >= 0; --i) out->push_back(static_cast<char>((v >> (8 * i)) & 0xff));
}

uint64_t GetU64(const char* p) {
  uint64_t v = 0;
  for (int i = 0; i < 8; ++i) v = (v << 8) | static_cast<uint8_t>(p[i]);
  return v;
}

std::string Hmac(std::string_view key, std::string_view data) {
  unsigned char out[EVP_MAX_MD_SIZE];
  unsigned int len = 0;
  HMAC(EVP_sha256(), key.data(), static_cast<int>(key.size()),
       reinterpret_cast<const unsigned char*>(data.data()), data.size(), out, &len);
  return std::string(reinterpret_cast<char*>(out), len);
}

absl::Status CheckDeviceId(const std::string& id) {
  if (id.empty() || id.size() > kMaxDeviceIdBytes) {
    return absl::InvalidArgumentError(
        absl::StrCat("device id must be 1 to ", kMaxDeviceIdBytes, " bytes"));
  }
  return absl::OkStatus();
}

absl::StatusOr<std::string> Seal(FileKind kind, const std::string& device_id,
                                 const google::protobuf::MessageLite& msg, std::string_view key) {
  FS_RETURN_IF_ERROR(CheckDeviceId(device_id));
  if (key.empty()) return absl::InvalidArgumentError("empty signing key");
  std::string raw;
  if (!msg.SerializeToString(&raw)) return absl::InternalError("cannot serialise payload");
  std::string payload(ZSTD_compressBound(raw.size()), '\0');
  const size_t n =
      ZSTD_compress(payload.data(), payload.size(), raw.data(), raw.size(), kZstdLevel);
  if (ZSTD_isError(n)) {
    return absl::InternalError(absl::StrCat("zstd: ", ZSTD_getErrorName(n)));
  }
  payload.resize(n);
  std::string out(kind == FileKind::kBundle ? kBundleMagic : kReceiptsMagic, 8);
  out.push_back(static_cast<char>(kVersion));
  out.push_back(static_cast<char>(kZstd));
  out.push_back(static_cast<char>(device_id.size()));
  out += device_id;
  PutU64(raw.size(), &out);
  PutU64(payload.size(), &out);
  out += payload;
  out += Hmac(key, out);
  return out;
}

absl::StatusOr<FileHeader> ParseHeader(std::string_view file, const BundleLimits& limits,
                                       size_t* payload_offset) {
  if (file.size() > limits.max_file_bytes) {
    return absl::InvalidArgumentError(
        absl::StrCat("file is ", file.size(), " bytes, over the limit of ", limits.max_file_bytes));
  }
  if (file.size() < 8) {
    return absl::InvalidArgumentError("not a fieldsync bundle or receipts file (too short)");
  }
  FileHeader h;
  if (std::memcmp(file.data(), kBundleMagic, 8) == 0) {
    h.kind = FileKind::kBundle;
  } else if (std::memcmp(file.data(), kReceiptsMagic, 8) == 0) {
    h.kind = FileKind::kReceipts;
  } else {
    return absl::InvalidArgumentError("not a fieldsync bundle or receipts file (bad magic)");
  }
  if (file.size() < kFixedPrefix) {
    return absl::InvalidArgumentError(
        absl::StrCat(KindName(h.kind), " is truncated: the header is incomplete"));
  }
  h.version = static_cast<uint8_t>(file[8]);
  if (h.version != kVersion) {
    return absl::InvalidArgumentError(absl::StrCat(KindName(h.kind), " format version ", h.version,
                                                   " is not supported (this build "
                                                   "reads version ",
                                                   kVersion, ")"));
  }
  if (static_cast<uint8_t>(file[9]) != kZstd) {
    return absl::InvalidArgumentError(
        absl::StrCat("unsupported compression ", static_cast<int>(file[9])));
  }
  const size_t id_len = static_cast<uint8_t>(file[10]);
  if (id_len == 0 || id_len > kMaxDeviceIdBytes) {
    return absl::InvalidArgumentError(absl::StrCat("bad device id length ", id_len));
  }
  const size_t lengths_at = kFixedPrefix + id_len;
  if (file.size() < lengths_at + 16) {
    return absl::InvalidArgumentError(
        absl::StrCat(KindName(h.kind), " is truncated: the header is incomplete"));
  }
  h.device_id = std::string(file.substr(kFixedPrefix, id_len));
  h.raw_bytes = GetU64(file.data() + lengths_at);
  h.payload_bytes = GetU64(file.data() + lengths_at + 8);
  *payload_offset = lengths_at + 16;
  const uint64_t have = file.size() - *payload_offset;
  if (h.payload_bytes > have || have - h.payload_bytes < kSignatureBytes) {
    return absl::InvalidArgumentError(absl::StrCat(
        KindName(h.kind), " is truncated: expected ", *payload_offset, " + ", h.payload_bytes,
        " + ", kSignatureBytes, " bytes, the file has ", file.size()));
  }
  if (have - h.payload_bytes > kSignatureBytes) {
    return absl::InvalidArgumentError(absl::StrCat(KindName(h.kind), " has ",
                                                   have - h.payload_bytes - kSignatureBytes,
                                                   " unexpected bytes after the signature"));
  }
  return h;
}

// Verifies the signature, then decompresses (bounded) and parses into `msg`.
absl::StatusOr<FileHeader> Open(std::string_view file, FileKind want, std::string_view key,
                                const BundleLimits& limits, google::protobuf::MessageLite* msg) {
  size_t offset = 0;
  FS_ASSIGN_OR_RETURN(FileHeader h, ParseHeader(file, limits, &offset));
  if (h.kind != want) {
    return absl::InvalidArgumentError(
        absl::StrCat("this is a ", KindName(h.kind), ", not a ", KindName(want)));
  }
  if (key.empty()) return absl::InvalidArgumentError("empty signing key");
  const size_t signed_bytes = file.size() - kSignatureBytes;
  const std::string expected = Hmac(key, file.substr(0, signed_bytes));
  if (!ConstantTimeEquals(expected, file.substr(signed_bytes))) {
    return absl::InvalidArgumentError(
        absl::StrCat(KindName(h.kind), " signature does not verify for device ", h.device_id,
                     ": the file was altered or signed with another key"));
  }
  if (h.raw_bytes > limits.max_decompressed_bytes) {
    return absl::InvalidArgumentError(absl::StrCat(KindName(h.kind), " decompresses to ",
                                                   h.raw_bytes, " bytes, over the limit of ",
                                                   limits.max_decompressed_bytes));
  }
  std::string_view payload = file.substr(offset, h.payload_bytes);
  const unsigned long long frame = ZSTD_getFrameContentSize(payload.data(), payload.size());
  if (frame == ZSTD_CONTENTSIZE_ERROR || frame == ZSTD_CONTENTSIZE_UNKNOWN ||
      frame != h.raw_bytes) {
    return absl::InvalidArgumentError(
        absl::StrCat(KindName(h.kind), " payload is corrupt (bad compressed frame)"));
  }
  std::string raw(h.raw_bytes, '\0');
  const size_t n = ZSTD_decompress(raw.data(), raw.size(), payload.data(), payload.size());
  if (ZSTD_isError(n) || n != h.raw_bytes) {
    return absl::InvalidArgumentError(absl::StrCat(KindName(h.kind), " payload is corrupt (",
                                                   ZSTD_isError(n) ? ZSTD_getErrorName(n) : "short",
                                                   ")"));
  }
  if (!msg->ParseFromString(raw)) {
    return absl::InvalidArgumentError(
        absl::StrCat(KindName(h.kind), " payload is corrupt (cannot parse)"));
  }
  return h;
}

absl::Status CheckContiguous(const v1::Bundle& b) {
  if (b.mutations().empty()) {
    if (b.first_device_seq() != 0 || b.last_device_seq() != 0) {
      return absl::InvalidArgumentError("an empty bundle must have first/last_device_seq 0");
    }
    return absl::OkStatus();
  }
  uint64_t expect = b.first_device_seq();
  if (expect == 0) return absl::InvalidArgumentError("first_device_seq must be 1 or more");
  for (const auto& m : b.mutations()) {
    if (m.device_seq() != expect) {
      return absl::InvalidArgumentError(
          absl::StrCat("mutations must be contiguous from first_device_seq: expected device_seq ",
                       expect, ", found ", m.device_seq()));
    }
    ++expect;
  }
  if (b.last_device_seq() != expect - 1) {
    return absl::InvalidArgumentError(absl::StrCat("last_device_seq is ", b.last_device_seq(),
                                                   " but the last mutation has ", expect - 1));
  }
  return absl::OkStatus();
}

}  // namespace

std::string KeyFromToken(std::string_view token) {
  unsigned char out[SHA256_DIGEST_LENGTH];
  SHA256(reinterpret_cast<const unsigned char*>(token.data()), token.size(), out);
  return std::string(reinterpret_cast<char*>(out), sizeof(out));
}

absl::StatusOr<std::string> KeyFromTokenHash(std::string_view hex) {
  if (hex.size() != 2 * SHA256_DIGEST_LENGTH) {
    return absl::InvalidArgumentError("token hash must be 64 hex characters");
  }
  auto nibble = [](char c) -> int {
    if (c >= '0' && c <= '9') return c - '0';
    if (c >= 'a' && c <= 'f') return c - 'a' + 10;
    if (c >= 'A' && c <= 'F') return c - 'A' + 10;
    return -1;
  };
  std::string out;
  out.reserve(SHA256_DIGEST_LENGTH);
  for (size_t i = 0; i < hex.size(); i += 2) {
    const int hi = nibble(hex[i]), lo = nibble(hex[i + 1]);
    if (hi < 0 || lo < 0) return absl::InvalidArgumentError("token hash must be hex");
    out.push_back(static_cast<char>((hi << 4) | lo));
  }
  return out;
}

absl::StatusOr<FileHeader> PeekHeader(std::string_view file, const BundleLimits& limits) {
  size_t offset = 0;
  return ParseHeader(file, limits, &offset);
}

absl::StatusOr<std::string> WriteBundle(const v1::Bundle& bundle, std::string_view key) {
  FS_RETURN_IF_ERROR(CheckContiguous(bundle));
  return Seal(FileKind::kBundle, bundle.device_id(), bundle, key);
}

absl::StatusOr<v1::Bundle> ReadBundle(std::string_view file, std::string_view key,
                                      const BundleLimits& limits) {
  v1::Bundle b;
  FS_ASSIGN_OR_RETURN(FileHeader h, Open(file, FileKind::kBundle, key, limits, &b));
  if (b.device_id() != h.device_id) {
    return absl::InvalidArgumentError(absl::StrCat(
        "bundle names device '", b.device_id(), "' inside but '", h.device_id, "' in its header"));
  }
  if (static_cast<size_t>(b.mutations_size()) > limits.max_mutations) {
    return absl::InvalidArgumentError(absl::StrCat("bundle holds ", b.mutations_size(),
                                                   " mutations, over the limit of ",
                                                   limits.max_mutations));
  }
  FS_RETURN_IF_ERROR_PREPEND(CheckContiguous(b), "bundle contents are inconsistent");
  return b;
}

absl::StatusOr<std::string> WriteReceipts(const v1::BundleReceipts& receipts,
                                          std::string_view key) {
  return Seal(FileKind::kReceipts, receipts.device_id(), receipts, key);
}

absl::StatusOr<v1::BundleReceipts> ReadReceipts(std::string_view file, std::string_view key,
                                                const BundleLimits& limits) {
  v1::BundleReceipts r;
  FS_ASSIGN_OR_RETURN(FileHeader h, Open(file, FileKind::kReceipts, key, limits, &r));
  if (r.device_id() != h.device_id) {
    return absl::InvalidArgumentError(absl::StrCat("receipts file names device '", r.device_id(),
                                                   "' inside but '", h.device_id,
                                                   "' in its header"));
  }
  if (static_cast<size_t>(r.receipts_size()) > limits.max_receipts) {
    return absl::InvalidArgumentError(absl::StrCat("receipts file holds ", r.receipts_size(),
                                                   " receipts, over the limit of ",
                                                   limits.max_receipts));
  }
  return r;
}

}  // namespace fieldsync::bundle
