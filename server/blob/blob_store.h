// BlobStore: attachment bytes (photos, signatures, scans) content-addressed by SHA-256, as
// files under one folder. No gRPC, no RocksDB: rpc/attachment_service.cc moves bytes in and
// out; the records that reference blobs live in storage/.
//
// Guarantees:
// - A blob counts (Stat says complete, Read serves it) only after its bytes were hashed and
//   matched the SHA-256 it was uploaded under, and after the file and its folder were fsynced.
// - One file per blob: a blob uploaded by many devices is stored once.
// - An upload is resumable: its bytes go to a partial file, and a durable offset (written only
//   after the partial's bytes up to it are fsynced) survives a crash. A resumed upload continues
//   from that offset; bytes past it are discarded.
// - Bounds: a blob is at most `max_blob_bytes`; a device holds at most `device_quota_bytes`
//   (blobs it stored first plus the declared sizes of its unfinished uploads).
//
// Layout under `dir`: `objects/<2 hex>/<hash>` (complete blobs), `partial/<hash>.part` (bytes
// so far), `partial/<hash>.meta` (declared size and uploading device, written once),
// `partial/<hash>.off` (the durable offset), `owners/<device key>/<hash>` (the size, for quota).
//
// Thread-safe. At most one BlobWriter per hash exists at a time.
#ifndef FIELDSYNC_SERVER_BLOB_BLOB_STORE_H_
#define FIELDSYNC_SERVER_BLOB_BLOB_STORE_H_

#include <cstdint>
#include <map>
#include <memory>
#include <mutex>
#include <set>
#include <string>

#include "absl/status/statusor.h"
#include "absl/strings/string_view.h"

namespace fieldsync {

struct BlobStoreOptions {
  // Folder of the store; created if missing.
  std::string dir;
  // Largest blob accepted (--max-attachment-bytes).
  uint64_t max_blob_bytes = 50ull << 20;
  // Most bytes one device may hold (--attachment-quota-bytes).
  uint64_t device_quota_bytes = 2ull << 30;
  // Largest piece one Append takes; bounds memory per upload.
  uint64_t max_chunk_bytes = 1ull << 20;
  // A writer makes its bytes durable (fsync, then the offset) at least every this many bytes,
  // so a crash loses at most this much of an upload.
  uint64_t sync_every_bytes = 1ull << 20;
};

// What the store holds of one hash.
struct BlobState {
  enum class Kind { kAbsent, kPartial, kComplete };
  Kind kind = Kind::kAbsent;
  uint64_t size = 0;            // complete: the blob's size; partial: the declared size
  uint64_t durable_offset = 0;  // bytes that survive a crash (== size when complete)
};

class BlobStore;

// One upload in progress of one blob. Not thread-safe; owned by one stream. Destroying it
// keeps the partial file at its durable offset (call Sync() first to keep every byte
// appended so far) and lets another writer open the hash.
class BlobWriter {
 public:
  ~BlobWriter();
  BlobWriter(const BlobWriter&) = delete;
  BlobWriter& operator=(const BlobWriter&) = delete;

  const std::string& hash() const { return hash_; }
  uint64_t size() const { return size_; }
  // Bytes that survive a crash: the offset a resumed upload continues from.
  uint64_t durable_offset() const { return durable_; }
  // Bytes appended so far (>= durable_offset()).
  uint64_t written_offset() const { return written_; }
  // True once the blob is verified and stored (at once for a blob the store already held).
  bool complete() const { return complete_; }

  // Writes `data` at `offset`, which must equal written_offset(). Syncs every
  // sync_every_bytes; the piece that reaches size() syncs, verifies the hash and publishes
  // the blob (complete() turns true). INVALID_ARGUMENT: another offset, a piece larger than
  // max_chunk_bytes, bytes past the declared size, or (on the last piece) content whose
  // SHA-256 is not the hash; after a hash mismatch the partial is discarded and the writer
  // is unusable. FAILED_PRECONDITION after complete(). INTERNAL on I/O errors.
  absl::Status Append(uint64_t offset, absl::string_view data);

  // Makes every appended byte durable (fsync of the partial, then its offset).
  absl::Status Sync();

 private:
  friend class BlobStore;
  struct HashState;
  BlobWriter(BlobStore* store, std::string hash, uint64_t size);
  absl::Status Finish();

  BlobStore* store_;
  std::string hash_;
  uint64_t size_;
  uint64_t durable_ = 0;
  uint64_t written_ = 0;
  bool complete_ = false;
  bool broken_ = false;
  int fd_ = -1;
  int off_fd_ = -1;
  std::unique_ptr<HashState> sha_;
  std::string device_key_;
};

class BlobStore {
 public:
  // Opens (or creates) the store. Unfinished uploads are kept at their durable offsets (bytes
  // past them are cut off); leftovers of interrupted publications are removed.
  static absl::StatusOr<std::unique_ptr<BlobStore>> Open(const BlobStoreOptions& options);
  ~BlobStore();
  BlobStore(const BlobStore&) = delete;
  BlobStore& operator=(const BlobStore&) = delete;

  const BlobStoreOptions& options() const { return options_; }

  // INVALID_ARGUMENT unless `hash` is 64 lowercase hex characters.
  static absl::Status CheckHash(absl::string_view hash);

  // What the store holds of `hash` (kAbsent if nothing).
  absl::StatusOr<BlobState> Stat(absl::string_view hash) const;

  // Starts or resumes the upload of `hash` (`size` bytes) for `device_id`. A blob the store
  // already holds gives a writer that is complete() at once (no bytes needed, nothing
  // charged). Errors: INVALID_ARGUMENT (bad hash; size above max_blob_bytes; size other than
  // the one an unfinished upload of this hash declared), RESOURCE_EXHAUSTED (the device's
  // quota, with the numbers), UNAVAILABLE (another stream is uploading this hash: retry).
  absl::StatusOr<std::unique_ptr<BlobWriter>> OpenWriter(absl::string_view device_id,
                                                         absl::string_view hash, uint64_t size);

  // Up to `max_bytes` of complete blob `hash` from `offset` into *out (replaced).
  // NOT_FOUND: no complete blob; OUT_OF_RANGE: offset past its end (offset == size reads "").
  absl::Status Read(absl::string_view hash, uint64_t offset, size_t max_bytes,
                    std::string* out) const;

  // Bytes charged to `device_id`: complete blobs it stored first plus its unfinished uploads.
  absl::StatusOr<uint64_t> DeviceUsage(absl::string_view device_id);

 private:
  friend class BlobWriter;
  explicit BlobStore(BlobStoreOptions options) : options_(std::move(options)) {}
  absl::Status Recover();
  std::string ObjectPath(absl::string_view hash) const;
  std::string PartialPath(absl::string_view hash, absl::string_view ext) const;
  std::string OwnerDir(absl::string_view device_key) const;
  // Usage of a device key, computed from disk the first time; mu_ held.
  absl::StatusOr<uint64_t> UsageLocked(const std::string& device_key);
  // Called by writers: moves a verified partial into objects/ and records its owner.
  absl::Status Publish(BlobWriter* w);
  // Removes the partial of a writer whose content did not match its hash.
  void Discard(BlobWriter* w);
  void Release(const std::string& hash);

  BlobStoreOptions options_;
  mutable std::mutex mu_;
  std::set<std::string> writing_;                     // hashes with a live writer
  std::map<std::string, uint64_t> usage_;             // device key -> bytes (loaded lazily)
  std::map<std::string, std::string> partial_owner_;  // hash -> device key of unfinished uploads
  std::map<std::string, uint64_t> partial_size_;      // hash -> declared size
};

}  // namespace fieldsync

#endif  // FIELDSYNC_SERVER_BLOB_BLOB_STORE_H_
