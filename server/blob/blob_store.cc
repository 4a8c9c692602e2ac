#include "server/blob/blob_store.h"

#include <dirent.h>
#include <fcntl.h>
#include <openssl/evp.h>
#include <sys/stat.h>
#include <unistd.h>

#include <algorithm>
#include <cerrno>
#include <cstring>
#include <vector>

#include "absl/strings/match.h"
#include "absl/strings/numbers.h"
#include "absl/strings/str_cat.h"
#include "absl/strings/str_split.h"
#include "server/common/hash.h"
#include "server/common/status.h"

namespace fieldsync {
namespace {

// The durable offset file: the offset and its complement, little-endian. 16 bytes written at
// position 0 in one pwrite; a torn or zeroed file reads as offset 0 (the upload restarts).
constexpr size_t kOffsetRecordBytes = 16;
constexpr char kMetaMagic[] = "fieldsync-partial-v1";

absl::Status IoError(absl::string_view what, const std::string& path) {
  return absl::InternalError(absl::StrCat(what, " ", path, ": ", std::strerror(errno)));
}

// Fsyncs a folder so that entries created, renamed or removed in it survive a crash.
absl::Status SyncDir(const std::string& dir) {
  int fd = ::open(dir.c_str(), O_RDONLY | O_DIRECTORY | O_CLOEXEC);
  if (fd < 0) return IoError("open folder", dir);
  const int rc = ::fsync(fd);
  ::close(fd);
  if (rc != 0) return IoError("fsync folder", dir);
  return absl::OkStatus();
}

// Creates `dir` if missing and makes its entry durable in `parent`.
absl::Status EnsureDir(const std::string& dir, const std::string& parent) {
  if (::mkdir(dir.c_str(), 0700) == 0) return SyncDir(parent);
  if (errno == EEXIST) return absl::OkStatus();
  return IoError("create folder", dir);
}

absl::Status WriteAll(int fd, absl::string_view data, uint64_t offset, const std::string& path) {
  while (!data.empty()) {
    ssize_t n = ::pwrite(fd, data.data(), data.size(), static_cast<off_t>(offset));
    if (n < 0) {
      if (errno == EINTR) continue;
      return IoError("write", path);
    }
    data.remove_prefix(static_cast<size_t>(n));
    offset += static_cast<uint64_t>(n);
  }
  return absl::OkStatus();
}

// Writes a small file durably under its final name: temp file, fsync, rename, folder fsync.
absl::Status WriteFileDurably(const std::string& dir, const std::string& name,
                              absl::string_view content) {
  const std::string path = absl::StrCat(dir, "/", name);
  const std::string tmp = absl::StrCat(path, ".tmp");
  int fd = ::open(tmp.c_str(), O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, 0600);
  if (fd < 0) return IoError("create", tmp);
  absl::Status s = WriteAll(fd, content, 0, tmp);
  if (s.ok() && ::fsync(fd) != 0) s = IoError("fsync", tmp);
  ::close(fd);
  if (s.ok() && ::rename(tmp.c_str(), path.c_str()) != 0) s = IoError("rename", tmp);
  if (!s.ok()) {
    ::unlink(tmp.c_str());
    return s;
  }
  return SyncDir(dir);
}

absl::StatusOr<std::string> ReadSmallFile(const std::string& path, size_t max_bytes) {
  int fd = ::open(path.c_str(), O_RDONLY | O_CLOEXEC);
  if (fd < 0) return IoError("open", path);
  std::string out(max_bytes, '\0');
  ssize_t n = ::pread(fd, out.data(), out.size(), 0);
  ::close(fd);
  if (n < 0) return IoError("read", path);
  out.resize(static_cast<size_t>(n));
  return out;
}

std::vector<std::string> ListDir(const std::string& dir) {
  std::vector<std::string> names;
  DIR* d = ::opendir(dir.c_str());
  if (d == nullptr) return names;
  while (dirent* e = ::readdir(d)) {
    std::string name = e->d_name;
    if (name != "." && name != "..") names.push_back(std::move(name));
  }
  ::closedir(d);
  return names;
}

std::string EncodeOffset(uint64_t offset) {
  std::string out(kOffsetRecordBytes, '\0');
  const uint64_t check = ~offset;
  for (int i = 0; i < 8; ++i) {
    out[i] = static_cast<char>((offset >> (8 * i)) & 0xff);
    out[8 + i] = static_cast<char>((check >> (8 * i)) & 0xff);
  }
  return out;
}

uint64_t DecodeOffset(absl::string_view data) {
  if (data.size() != kOffsetRecordBytes) return 0;
  uint64_t offset = 0;
  uint64_t check = 0;
  for (int i = 0; i < 8; ++i) {
    offset |= static_cast<uint64_t>(static_cast<unsigned char>(data[i])) << (8 * i);
    check |= static_cast<uint64_t>(static_cast<unsigned char>(data[8 + i])) << (8 * i);
  }
  return check == ~offset ? offset : 0;
}

struct PartialMeta {
  uint64_t size = 0;
  std::string device_key;
};

std::string EncodeMeta(const PartialMeta& m) {
  return absl::StrCat(kMetaMagic, "\n", m.size, "\n", m.device_key, "\n");
}

bool DecodeMeta(absl::string_view text, PartialMeta* m) {
  std::vector<absl::string_view> lines = absl::StrSplit(text, '\n');
  if (lines.size() != 4 || lines[0] != kMetaMagic || !lines[3].empty()) return false;
  if (!absl::SimpleAtoi(lines[1], &m->size) || lines[2].empty()) return false;
  m->device_key = std::string(lines[2]);
  return true;
}

// Device ids are not file names: a fixed-length hex key names a device's owner folder.
std::string DeviceKey(absl::string_view device_id) {
  return Sha256Hex(std::string(device_id)).substr(0, 32);
}

}  // namespace

// Incremental SHA-256 over the bytes appended so far.
struct BlobWriter::HashState {
  EVP_MD_CTX* ctx = EVP_MD_CTX_new();
  HashState() { EVP_DigestInit_ex(ctx, EVP_sha256(), nullptr); }
  ~HashState() { EVP_MD_CTX_free(ctx); }
  void Update(absl::string_view data) { EVP_DigestUpdate(ctx, data.data(), data.size()); }
  std::string FinalHex() {
    unsigned char digest[EVP_MAX_MD_SIZE];
    unsigned int n = 0;
    EVP_DigestFinal_ex(ctx, digest, &n);
    static const char kDigits[] = "0123456789abcdef";
    std::string out;
    for (unsigned int i = 0; i < n; ++i) {
      out.push_back(kDigits[digest[i] >> 4]);
      out.push_back(kDigits[digest[i] & 0xf]);
    }
    return out;
  }
};

BlobWriter::BlobWriter(BlobStore* store, std::string hash, uint64_t size)
    : store_(store), hash_(std::move(hash)), size_(size), sha_(std::make_unique<HashState>()) {}

BlobWriter::~BlobWriter() {
  if (fd_ >= 0) ::close(fd_);
  if (off_fd_ >= 0) ::close(off_fd_);
  store_->Release(hash_);
}

absl::Status BlobWriter::Append(uint64_t offset, absl::string_view data) {
  if (complete_) return absl::FailedPreconditionError("blob already complete");
  if (broken_) return absl::FailedPreconditionError("upload was discarded; start again");
  const BlobStoreOptions& opt = store_->options();
  if (offset != written_) {
    return absl::InvalidArgumentError(
        absl::StrCat("chunk at offset ", offset, ", expected offset ", written_));
  }
  if (data.size() > opt.max_chunk_bytes) {
    return absl::InvalidArgumentError(
        absl::StrCat("chunk of ", data.size(), " bytes, at most ", opt.max_chunk_bytes));
  }
  if (data.size() > size_ - written_) {
    return absl::InvalidArgumentError(
        absl::StrCat("chunk ends at ", written_ + data.size(), ", past the blob's size ", size_));
  }
  const std::string path = store_->PartialPath(hash_, ".part");
  FS_RETURN_IF_ERROR(WriteAll(fd_, data, written_, path));
  sha_->Update(data);
  written_ += data.size();
  if (written_ == size_) return Finish();
  if (written_ - durable_ >= opt.sync_every_bytes) return Sync();
  return absl::OkStatus();
}

absl::Status BlobWriter::Sync() {
  if (complete_ || broken_ || written_ == durable_) return absl::OkStatus();
  const std::string off_path = store_->PartialPath(hash_, ".off");
  // The bytes first, then the offset that vouches for them.
  if (::fdatasync(fd_) != 0) return IoError("fsync", store_->PartialPath(hash_, ".part"));
  FS_RETURN_IF_ERROR(WriteAll(off_fd_, EncodeOffset(written_), 0, off_path));
  if (::fdatasync(off_fd_) != 0) return IoError("fsync", off_path);
  durable_ = written_;
  return absl::OkStatus();
}

absl::Status BlobWriter::Finish() {
  if (sha_->FinalHex() != hash_) {
    broken_ = true;
    store_->Discard(this);
    return absl::InvalidArgumentError(absl::StrCat("content of ", size_,
                                                   " bytes does not match SHA-256 ", hash_,
                                                   "; the partial upload was discarded"));
  }
  if (::fdatasync(fd_) != 0) return IoError("fsync", store_->PartialPath(hash_, ".part"));
  FS_RETURN_IF_ERROR(store_->Publish(this));
  durable_ = size_;
  complete_ = true;
  return absl::OkStatus();
}

absl::StatusOr<std::unique_ptr<BlobStore>> BlobStore::Open(const BlobStoreOptions& options) {
  if (options.dir.empty()) return absl::InvalidArgumentError("blob store folder not set");
  if (options.max_chunk_bytes == 0 || options.sync_every_bytes == 0) {
    return absl::InvalidArgumentError("blob store chunk and sync sizes must be positive");
  }
  std::unique_ptr<BlobStore> store(new BlobStore(options));
  if (::mkdir(options.dir.c_str(), 0700) != 0 && errno != EEXIST) {
    return IoError("create folder", options.dir);
  }
  for (const char* sub : {"objects", "partial", "owners"}) {
    FS_RETURN_IF_ERROR(EnsureDir(absl::StrCat(options.dir, "/", sub), options.dir));
  }
  FS_RETURN_IF_ERROR(store->Recover());
  return store;
}

BlobStore::~BlobStore() = default;

absl::Status BlobStore::Recover() {
  const std::string dir = absl::StrCat(options_.dir, "/partial");
  bool removed = false;
  for (const std::string& name : ListDir(dir)) {
    const std::string path = absl::StrCat(dir, "/", name);
    if (absl::EndsWith(name, ".tmp")) {
      ::unlink(path.c_str());
      removed = true;
      continue;
    }
    if (!absl::EndsWith(name, ".meta")) continue;
    const std::string hash = name.substr(0, name.size() - 5);
    PartialMeta meta;
    auto text = ReadSmallFile(path, 256);
    const bool has_part = ::access(PartialPath(hash, ".part").c_str(), F_OK) == 0;
    if (!CheckHash(hash).ok() || !text.ok() || !DecodeMeta(*text, &meta) || !has_part) {
      // A publication cut after the rename, or a partial never started: nothing to resume.
      for (const char* ext : {".part", ".off", ".meta"}) ::unlink(PartialPath(hash, ext).c_str());
      removed = true;
      continue;
    }
    // Bytes past the durable offset were never acknowledged: cut them off.
    auto off = ReadSmallFile(PartialPath(hash, ".off"), kOffsetRecordBytes);
    const uint64_t durable = off.ok() ? DecodeOffset(*off) : 0;
    if (::truncate(PartialPath(hash, ".part").c_str(), static_cast<off_t>(durable)) != 0) {
      return IoError("truncate", PartialPath(hash, ".part"));
    }
    partial_owner_[hash] = meta.device_key;
    partial_size_[hash] = meta.size;
  }
  // Leftovers of partials whose .meta was already removed.
  for (const std::string& name : ListDir(dir)) {
    const size_t dot = name.rfind('.');
    if (dot == std::string::npos || partial_owner_.count(name.substr(0, dot)) > 0) continue;
    ::unlink(absl::StrCat(dir, "/", name).c_str());
    removed = true;
  }
  return removed ? SyncDir(dir) : absl::OkStatus();
}

absl::Status BlobStore::CheckHash(absl::string_view hash) {
  bool ok = hash.size() == 64;
  for (char c : hash) ok = ok && ((c >= '0' && c <= '9') || (c >= 'a' && c <= 'f'));
  if (!ok) {
    return absl::InvalidArgumentError(
        "an attachment hash is the SHA-256 of its bytes as 64 lowercase hex characters");
  }
  return absl::OkStatus();
}

std::string BlobStore::ObjectPath(absl::string_view hash) const {
  return absl::StrCat(options_.dir, "/objects/", hash.substr(0, 2), "/", hash);
}

std::string BlobStore::PartialPath(absl::string_view hash, absl::string_view ext) const {
  return absl::StrCat(options_.dir, "/partial/", hash, ext);
}

std::string BlobStore::OwnerDir(absl::string_view device_key) const {
  return absl::StrCat(options_.dir, "/owners/", device_key);
}

absl::StatusOr<BlobState> BlobStore::Stat(absl::string_view hash) const {
  FS_RETURN_IF_ERROR(CheckHash(hash));
  BlobState state;
  struct stat st;
  if (::stat(ObjectPath(hash).c_str(), &st) == 0) {
    state.kind = BlobState::Kind::kComplete;
    state.size = static_cast<uint64_t>(st.st_size);
    state.durable_offset = state.size;
    return state;
  }
  std::lock_guard<std::mutex> lock(mu_);
  auto it = partial_size_.find(std::string(hash));
  if (it == partial_size_.end()) return state;
  state.kind = BlobState::Kind::kPartial;
  state.size = it->second;
  auto off = ReadSmallFile(PartialPath(hash, ".off"), kOffsetRecordBytes);
  state.durable_offset = off.ok() ? DecodeOffset(*off) : 0;
  return state;
}

absl::StatusOr<uint64_t> BlobStore::UsageLocked(const std::string& device_key) {
  auto it = usage_.find(device_key);
  if (it != usage_.end()) return it->second;
  uint64_t total = 0;
  const std::string dir = OwnerDir(device_key);
  for (const std::string& hash : ListDir(dir)) {
    if (!CheckHash(hash).ok() || partial_owner_.count(hash) > 0) continue;  // counted below
    auto text = ReadSmallFile(absl::StrCat(dir, "/", hash), 32);
    uint64_t size = 0;
    if (text.ok() && absl::SimpleAtoi(*text, &size)) total += size;
  }
  for (const auto& [hash, key] : partial_owner_) {
    if (key == device_key) total += partial_size_[hash];
  }
  usage_[device_key] = total;
  return total;
}

absl::StatusOr<uint64_t> BlobStore::DeviceUsage(absl::string_view device_id) {
  std::lock_guard<std::mutex> lock(mu_);
  return UsageLocked(DeviceKey(device_id));
}

absl::StatusOr<std::unique_ptr<BlobWriter>> BlobStore::OpenWriter(absl::string_view device_id,
                                                                  absl::string_view hash,
                                                                  uint64_t size) {
  FS_RETURN_IF_ERROR(CheckHash(hash));
  if (size > options_.max_blob_bytes) {
    return absl::InvalidArgumentError(absl::StrCat("attachment of ", size,
                                                   " bytes is larger than the limit of ",
                                                   options_.max_blob_bytes, " bytes"));
  }
  const std::string h(hash);
  const std::string device_key = DeviceKey(device_id);
  bool fresh = false;
  {
    std::lock_guard<std::mutex> lock(mu_);
    if (writing_.count(h) > 0) {
      return absl::UnavailableError("another stream is uploading this attachment; retry");
    }
    struct stat st;
    if (::stat(ObjectPath(h).c_str(), &st) != 0) {
      auto partial = partial_size_.find(h);
      if (partial != partial_size_.end() && partial->second != size) {
        return absl::InvalidArgumentError(absl::StrCat(
            "attachment ", h, " is being uploaded with size ", partial->second, ", not ", size));
      }
      if (partial == partial_size_.end()) {
        FS_ASSIGN_OR_RETURN(uint64_t used, UsageLocked(device_key));
        if (used + size > options_.device_quota_bytes) {
          return absl::ResourceExhaustedError(absl::StrCat(
              "attachment quota: the device holds ", used, " bytes, this attachment has ", size,
              ", the quota is ", options_.device_quota_bytes, " bytes"));
        }
        // Reserve now: the declared size counts until the upload finishes or is discarded.
        partial_owner_[h] = device_key;
        partial_size_[h] = size;
        usage_[device_key] = used + size;
        fresh = true;
      }
    }
    writing_.insert(h);
  }
  std::unique_ptr<BlobWriter> w(new BlobWriter(this, h, size));
  struct stat st;
  if (::stat(ObjectPath(h).c_str(), &st) == 0) {
    w->complete_ = true;
    w->durable_ = w->written_ = size;
    return w;
  }
  const std::string part = PartialPath(h, ".part");
  const std::string off = PartialPath(h, ".off");
  absl::Status s;
  if (fresh) {
    // The meta file is written (durably) last: Recover treats a partial without one as never
    // started.
    for (const std::string& path : {part, off}) {
      int fd = ::open(path.c_str(), O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, 0600);
      if (fd < 0) s = IoError("create", path);
      if (fd >= 0) ::close(fd);
    }
    if (s.ok()) {
      s = WriteFileDurably(absl::StrCat(options_.dir, "/partial"), absl::StrCat(h, ".meta"),
                           EncodeMeta({size, device_key}));
    }
  }
  if (s.ok()) {
    w->fd_ = ::open(part.c_str(), O_RDWR | O_CLOEXEC);
    w->off_fd_ = ::open(off.c_str(), O_RDWR | O_CLOEXEC);
    if (w->fd_ < 0 || w->off_fd_ < 0) s = IoError("open", part);
  }
  if (s.ok()) {
    // Resume: the durable prefix is hashed again (the hash state is not stored).
    auto off_text = ReadSmallFile(off, kOffsetRecordBytes);
    uint64_t durable = off_text.ok() ? DecodeOffset(*off_text) : 0;
    std::string buf(1 << 20, '\0');
    uint64_t pos = 0;
    while (s.ok() && pos < durable) {
      ssize_t n = ::pread(w->fd_, buf.data(), std::min<uint64_t>(buf.size(), durable - pos),
                          static_cast<off_t>(pos));
      if (n <= 0) {
        durable = pos;  // shorter than its offset says: resume from what is there
        break;
      }
      w->sha_->Update(absl::string_view(buf.data(), static_cast<size_t>(n)));
      pos += static_cast<uint64_t>(n);
    }
    w->durable_ = w->written_ = std::min(durable, size);
  }
  if (!s.ok()) {
    if (fresh) Discard(w.get());
    return s;
  }
  if (size == 0) FS_RETURN_IF_ERROR(w->Finish());
  return w;
}

absl::Status BlobStore::Publish(BlobWriter* w) {
  const std::string& h = w->hash_;
  std::string device_key;
  {
    std::lock_guard<std::mutex> lock(mu_);
    device_key = partial_owner_[h];
  }
  // The owner entry first (it is ignored while the partial exists), then the rename that makes
  // the blob count, then the partial's leftovers.
  const std::string owner_dir = OwnerDir(device_key);
  FS_RETURN_IF_ERROR(EnsureDir(owner_dir, absl::StrCat(options_.dir, "/owners")));
  FS_RETURN_IF_ERROR(WriteFileDurably(owner_dir, h, absl::StrCat(w->size_)));
  const std::string object_dir = absl::StrCat(options_.dir, "/objects/", h.substr(0, 2));
  FS_RETURN_IF_ERROR(EnsureDir(object_dir, absl::StrCat(options_.dir, "/objects")));
  const std::string part = PartialPath(h, ".part");
  if (::rename(part.c_str(), ObjectPath(h).c_str()) != 0) return IoError("rename", part);
  FS_RETURN_IF_ERROR(SyncDir(object_dir));
  ::unlink(PartialPath(h, ".meta").c_str());
  ::unlink(PartialPath(h, ".off").c_str());
  std::lock_guard<std::mutex> lock(mu_);
  partial_owner_.erase(h);
  partial_size_.erase(h);
  return absl::OkStatus();
}

void BlobStore::Discard(BlobWriter* w) {
  const std::string& h = w->hash_;
  ::unlink(PartialPath(h, ".meta").c_str());
  for (const char* ext : {".part", ".off"}) ::unlink(PartialPath(h, ext).c_str());
  std::lock_guard<std::mutex> lock(mu_);
  auto owner = partial_owner_.find(h);
  if (owner == partial_owner_.end()) return;
  auto usage = usage_.find(owner->second);
  if (usage != usage_.end()) usage->second -= std::min(usage->second, partial_size_[h]);
  partial_owner_.erase(owner);
  partial_size_.erase(h);
}

void BlobStore::Release(const std::string& hash) {
  std::lock_guard<std::mutex> lock(mu_);
  writing_.erase(hash);
}

absl::Status BlobStore::Read(absl::string_view hash, uint64_t offset, size_t max_bytes,
                             std::string* out) const {
  FS_RETURN_IF_ERROR(CheckHash(hash));
  const std::string path = ObjectPath(hash);
  int fd = ::open(path.c_str(), O_RDONLY | O_CLOEXEC);
  if (fd < 0) {
    if (errno == ENOENT) return absl::NotFoundError(absl::StrCat("no attachment ", hash));
    return IoError("open", path);
  }
  struct stat st;
  if (::fstat(fd, &st) != 0) {
    ::close(fd);
    return IoError("stat", path);
  }
  const uint64_t size = static_cast<uint64_t>(st.st_size);
  if (offset > size) {
    ::close(fd);
    return absl::OutOfRangeError(
        absl::StrCat("offset ", offset, " is past the end of attachment of ", size, " bytes"));
  }
  out->resize(std::min<uint64_t>(max_bytes, size - offset));
  size_t got = 0;
  while (got < out->size()) {
    ssize_t n = ::pread(fd, out->data() + got, out->size() - got, static_cast<off_t>(offset + got));
    if (n < 0 && errno == EINTR) continue;
    if (n <= 0) {
      ::close(fd);
      return IoError("read", path);
    }
    got += static_cast<size_t>(n);
  }
  ::close(fd);
  return absl::OkStatus();
}

}  // namespace fieldsync
