#include "server/storage/store.h"

#include <rocksdb/cache.h>
#include <rocksdb/db.h>
#include <rocksdb/env.h>
#include <rocksdb/filter_policy.h>
#include <rocksdb/table.h>
#include <rocksdb/write_batch.h>

#include <chrono>
#include <cstdlib>
#include <thread>

#include "absl/strings/str_cat.h"
#include "server/common/status.h"
#include "server/storage/codec.h"
#include "server/storage/keys.h"
#include "server/storage/rocks_status.h"

namespace fieldsync {
namespace {

template <typename T>
absl::StatusOr<std::optional<T>> GetDecoded(rocksdb::DB* db, const std::string& key,
                                            const char* what) {
  std::string value;
  rocksdb::Status s = db->Get(rocksdb::ReadOptions(), key, &value);
  if (s.IsNotFound()) return std::optional<T>();
  FS_RETURN_IF_ERROR(FromRocks(s, what));
  T out;
  FS_RETURN_IF_ERROR(codec::Decode(value, &out));
  return std::optional<T>(std::move(out));
}

// Iterates keys in [prefix_or_start, upper) calling fn(key, value) until it returns false.
absl::Status Scan(rocksdb::DB* db, const std::string& start, const std::string& upper,
                  const std::function<absl::StatusOr<bool>(rocksdb::Slice, rocksdb::Slice)>& fn,
                  const rocksdb::Snapshot* snapshot = nullptr) {
  rocksdb::ReadOptions ro;
  ro.snapshot = snapshot;
  rocksdb::Slice upper_slice(upper);
  if (!upper.empty()) ro.iterate_upper_bound = &upper_slice;
  std::unique_ptr<rocksdb::Iterator> it(db->NewIterator(ro));
  for (it->Seek(start); it->Valid(); it->Next()) {
    FS_ASSIGN_OR_RETURN(bool more, fn(it->key(), it->value()));
    if (!more) break;
  }
  return FromRocks(it->status(), "scan");
}

std::string_view View(rocksdb::Slice s) { return std::string_view(s.data(), s.size()); }

// The last key (and value) starting with `prefix`; false if there is none.
absl::StatusOr<bool> LastWithPrefix(rocksdb::DB* db, const std::string& prefix, std::string* key,
                                    std::string* value) {
  std::string upper = keys::PrefixSuccessor(prefix);
  rocksdb::ReadOptions ro;
  rocksdb::Slice upper_slice(upper);
  ro.iterate_upper_bound = &upper_slice;
  std::unique_ptr<rocksdb::Iterator> it(db->NewIterator(ro));
  it->SeekToLast();
  FS_RETURN_IF_ERROR(FromRocks(it->status(), "reverse scan"));
  if (!it->Valid() || !it->key().starts_with(prefix)) return false;
  if (key) *key = it->key().ToString();
  if (value) *value = it->value().ToString();
  return true;
}

// Decodes every value in [start, upper) into a T, at most `limit` of them.
template <typename T>
absl::StatusOr<std::vector<T>> ScanDecoded(rocksdb::DB* db, const std::string& start,
                                           const std::string& upper, size_t limit = SIZE_MAX) {
  std::vector<T> out;
  if (limit == 0) return out;
  FS_RETURN_IF_ERROR(
      Scan(db, start, upper, [&](rocksdb::Slice, rocksdb::Slice v) -> absl::StatusOr<bool> {
        T item;
        FS_RETURN_IF_ERROR(codec::Decode(View(v), &item));
        out.push_back(std::move(item));
        return out.size() < limit;
      }));
  return out;
}

// Every value whose key starts with `prefix`.
template <typename T>
absl::StatusOr<std::vector<T>> ScanPrefix(rocksdb::DB* db, const std::string& prefix) {
  return ScanDecoded<T>(db, prefix, keys::PrefixSuccessor(prefix));
}

}  // namespace

absl::StatusOr<std::unique_ptr<Store>> Store::Open(const StoreOptions& options) {
  std::unique_ptr<Store> store(new Store());
  rocksdb::Options ro;
  ro.create_if_missing = true;
  ro.write_buffer_size = options.write_buffer_bytes;
  ro.max_write_buffer_number = options.max_write_buffers;
  ro.max_background_jobs = 2;
  ro.bytes_per_sync = 1 << 20;
  // Concurrent synced writers join one write group and share the fsync.
  ro.enable_pipelined_write = false;
  ro.max_total_wal_size = 4 * options.write_buffer_bytes;
  // Recovered WAL data stays in the memtable instead of being flushed into a new level-0 file
  // at every open: a crash loop (a restart every few hundred ms) otherwise adds level-0 files
  // faster than compaction removes them, until RocksDB stops all writes (issue 10).
  ro.avoid_flush_during_recovery = true;
  rocksdb::BlockBasedTableOptions table;
  // Index and filter blocks live in the (bounded) block cache, in its high-priority pool, so
  // random record reads do not evict them; partitioned, so only the small top level is pinned.
  table.block_cache = rocksdb::NewLRUCache(options.block_cache_bytes, /*num_shard_bits=*/-1,
                                           /*strict_capacity_limit=*/false,
                                           /*high_pri_pool_ratio=*/0.5);
  table.cache_index_and_filter_blocks = true;
  table.cache_index_and_filter_blocks_with_high_priority = true;
  table.pin_l0_filter_and_index_blocks_in_cache = true;
  table.pin_top_level_index_and_filter = true;
  table.index_type = rocksdb::BlockBasedTableOptions::kTwoLevelIndexSearch;
  table.partition_filters = true;
  table.block_size = 16 * 1024;
  table.filter_policy.reset(rocksdb::NewBloomFilterPolicy(10));
  ro.table_factory.reset(rocksdb::NewBlockBasedTableFactory(table));
  if (options.in_memory) {
    store->mem_env_.reset(rocksdb::NewMemEnv(rocksdb::Env::Default()));
    ro.env = store->mem_env_.get();
  }
  rocksdb::DB* db = nullptr;
  FS_RETURN_IF_ERROR(FromRocks(rocksdb::DB::Open(ro, options.path, &db),
                               absl::StrCat("opening database at ", options.path)));
  store->db_.reset(db);
  store->max_stall_wait_ms_ = options.max_stall_wait_ms;
  store->stall_retry_ms_ = options.stall_retry_ms;
  FS_RETURN_IF_ERROR(store->CheckFormatVersion(options.path));
  return store;
}

absl::Status Store::CheckFormatVersion(const std::string& path) {
  FS_ASSIGN_OR_RETURN(uint64_t version, GetMeta(keys::kFormatVersion));
  if (version > kFormatVersion) {
    return absl::FailedPreconditionError(absl::StrCat(
        "the database at ", path, " has on-disk format version ", version,
        "; this build reads formats up to ", kFormatVersion,
        ". It was written by a newer fieldsyncd: run that release, or restore a backup made "
        "by this one"));
  }
  if (version != 0) return absl::OkStatus();
  // A new database gets this build's format; one that holds data but no version was written
  // before versions were kept, in format 1.
  std::unique_ptr<rocksdb::Iterator> it(db_->NewIterator(rocksdb::ReadOptions()));
  it->SeekToFirst();
  FS_RETURN_IF_ERROR(FromRocks(it->status(), "reading the database"));
  const uint64_t found = it->Valid() ? 1 : kFormatVersion;
  static_assert(kFormatVersion == 1, "a database in format 1 needs a migration to this format");
  Batch batch;
  batch.PutMeta(keys::kFormatVersion, found);
  return Write(batch, /*sync=*/true);
}

Store::~Store() {
  if (db_) {
    db_->Close().PermitUncheckedError();
    db_.reset();
  }
}

// ---- Batch ---------------------------------------------------------------------------------

Store::Batch::Batch() : batch_(std::make_unique<rocksdb::WriteBatch>()) {}
Store::Batch::~Batch() = default;

void Store::Batch::PutRecord(const Record& r) {
  batch_->Put(keys::RecordKey(r.record_id), codec::Encode(r)).PermitUncheckedError();
}
void Store::Batch::PutChange(const ChangeEntry& c) {
  batch_->Put(keys::ChangeKey(c.seq), codec::Encode(c)).PermitUncheckedError();
}
void Store::Batch::DeleteChange(uint64_t seq) {
  batch_->Delete(keys::ChangeKey(seq)).PermitUncheckedError();
}
void Store::Batch::PutScopeIndex(std::string_view form_id, const ScopePair& pair, uint64_t seq,
                                 std::string_view record_id) {
  batch_
      ->Put(keys::ScopeIndexKey(form_id, pair.field, pair.value, seq),
            rocksdb::Slice(record_id.data(), record_id.size()))
      .PermitUncheckedError();
}
void Store::Batch::DeleteScopeIndex(std::string_view form_id, const ScopePair& pair, uint64_t seq) {
  batch_->Delete(keys::ScopeIndexKey(form_id, pair.field, pair.value, seq)).PermitUncheckedError();
}
void Store::Batch::PutReceipt(std::string_view device_id, const Receipt& r) {
  batch_->Put(keys::ReceiptKey(device_id, r.device_seq), codec::Encode(r)).PermitUncheckedError();
}
void Store::Batch::PutDeviceSyncState(std::string_view device_id, const DeviceSyncState& s) {
  batch_->Put(keys::DeviceStateKey(device_id), codec::Encode(s)).PermitUncheckedError();
}
void Store::Batch::PutQuarantine(const QuarantineEntry& q) {
  batch_->Put(keys::QuarantineKey(q.device_id, q.mutation.device_seq), codec::Encode(q))
      .PermitUncheckedError();
}
void Store::Batch::DeleteQuarantine(std::string_view device_id, uint64_t device_seq) {
  batch_->Delete(keys::QuarantineKey(device_id, device_seq)).PermitUncheckedError();
}
void Store::Batch::PutChildIndex(std::string_view parent_record_id,
                                 std::string_view child_record_id) {
  batch_->Put(keys::ChildIndexKey(parent_record_id, child_record_id), "").PermitUncheckedError();
}

void Store::Batch::PutConflict(const ConflictEntry& c) {
  batch_
      ->Put(keys::ConflictKey(c.record_id, c.device_writer, c.device_seq, c.field),
            codec::Encode(c))
      .PermitUncheckedError();
}
void Store::Batch::PutDevice(const Device& d) {
  batch_->Put(keys::DeviceKey(d.device_id), codec::Encode(d)).PermitUncheckedError();
  if (!d.token_hash.empty()) {
    batch_->Put(keys::TokenKey(d.token_hash), d.device_id).PermitUncheckedError();
  }
}
void Store::Batch::DeleteTokenIndex(std::string_view token_hash) {
  batch_->Delete(keys::TokenKey(token_hash)).PermitUncheckedError();
}
void Store::Batch::PutForm(const Form& f) {
  batch_->Put(keys::FormKey(f.form_id, f.version), codec::Encode(f)).PermitUncheckedError();
}
void Store::Batch::PutMeta(std::string_view name, uint64_t value) {
  std::string v;
  keys::PutBigEndian64(&v, value);
  batch_->Put(keys::MetaKey(name), v).PermitUncheckedError();
}
void Store::Batch::PutEnrollmentCode(const EnrollmentCode& c) {
  batch_->Put(keys::EnrollmentCodeKey(c.code_hash), codec::Encode(c)).PermitUncheckedError();
}
void Store::Batch::PutWebhookTarget(const WebhookTarget& t) {
  batch_->Put(keys::WebhookTargetKey(t.target_id), codec::Encode(t)).PermitUncheckedError();
}
void Store::Batch::DeleteWebhookTarget(std::string_view target_id) {
  batch_->Delete(keys::WebhookTargetKey(target_id)).PermitUncheckedError();
  batch_->Delete(keys::WebhookStateKey(target_id)).PermitUncheckedError();
}
void Store::Batch::PutOpenRosaSubmission(const OpenRosaSubmission& s) {
  batch_->Put(keys::OpenRosaSubmissionKey(s.instance_id), codec::Encode(s)).PermitUncheckedError();
}

void Store::Batch::PutWebhookState(std::string_view target_id, const WebhookState& s) {
  batch_->Put(keys::WebhookStateKey(target_id), codec::Encode(s)).PermitUncheckedError();
}
void Store::Batch::PutDeadLetter(const DeadLetter& d) {
  batch_->Put(keys::DeadLetterKey(d.target_id, d.seq), codec::Encode(d)).PermitUncheckedError();
}
void Store::Batch::DeleteDeadLetter(std::string_view target_id, uint64_t seq) {
  batch_->Delete(keys::DeadLetterKey(target_id, seq)).PermitUncheckedError();
}
void Store::Batch::PutAuditEntry(uint64_t index, std::string_view encoded) {
  batch_->Put(keys::AuditKey(index), rocksdb::Slice(encoded.data(), encoded.size()))
      .PermitUncheckedError();
}
void Store::Batch::DeleteAuditEntry(uint64_t index) {
  batch_->Delete(keys::AuditKey(index)).PermitUncheckedError();
}
void Store::Batch::PutAuditHead(uint64_t count, std::string_view last_hash) {
  std::string v;
  keys::PutBigEndian64(&v, count);
  v.append(last_hash.data(), last_hash.size());
  batch_->Put(keys::MetaKey(keys::kAuditHead), v).PermitUncheckedError();
}
void Store::Batch::PutRetiredToken(std::string_view device_id, std::string_view token_hash,
                                   int64_t valid_until_ms) {
  std::string v;
  keys::PutBigEndian64(&v, static_cast<uint64_t>(valid_until_ms));
  v.append(token_hash.data(), token_hash.size());
  batch_->Put(keys::RetiredTokenKey(device_id), v).PermitUncheckedError();
}
void Store::Batch::DeleteRetiredToken(std::string_view device_id) {
  batch_->Delete(keys::RetiredTokenKey(device_id)).PermitUncheckedError();
}
absl::Status Store::Batch::Append(const Batch& other) {
  // Replays `other` into this batch. Every operation a Batch stages is a Put or a Delete in
  // the default column family, which is all the handler needs to copy.
  struct Copier : rocksdb::WriteBatch::Handler {
    explicit Copier(rocksdb::WriteBatch* to) : to(to) {}
    rocksdb::Status PutCF(uint32_t cf, const rocksdb::Slice& key,
                          const rocksdb::Slice& value) override {
      if (cf != 0) return rocksdb::Status::NotSupported("column family");
      return to->Put(key, value);
    }
    rocksdb::Status DeleteCF(uint32_t cf, const rocksdb::Slice& key) override {
      if (cf != 0) return rocksdb::Status::NotSupported("column family");
      return to->Delete(key);
    }
    rocksdb::WriteBatch* to;
  } copier(batch_.get());
  rocksdb::Status s = other.batch_->Iterate(&copier);
  if (!s.ok()) return absl::InternalError(absl::StrCat("appending a batch: ", s.ToString()));
  return absl::OkStatus();
}
int Store::Batch::Count() const { return batch_->Count(); }
size_t Store::Batch::ByteSize() const { return batch_->GetDataSize(); }

absl::Status Store::Write(Batch& batch, bool sync) {
  rocksdb::WriteOptions wo;
  wo.sync = sync;
  // Refused (Incomplete) rather than blocked while RocksDB stalls writes: a stop can last
  // until a compaction finishes, and a caller must never wait that long without an answer.
  wo.no_slowdown = true;
  const auto deadline =
      std::chrono::steady_clock::now() + std::chrono::milliseconds(max_stall_wait_ms_);
  while (true) {
    rocksdb::Status s = db_->Write(wo, batch.batch_.get());
    if (!s.IsIncomplete()) return FromRocks(s, "write");
    if (!WritesStopped()) {
      // Only slowed down: RocksDB paces this write (delayed_write_rate), which is bounded.
      wo.no_slowdown = false;
      return FromRocks(db_->Write(wo, batch.batch_.get()), "write");
    }
    if (std::chrono::steady_clock::now() >= deadline) {
      return WithRetryDelay(
          absl::UnavailableError(absl::StrCat(
              "the store has stopped writes until compaction catches up (",
              GetWriteStall().l0_files, " level-0 files); nothing was written, retry later")),
          stall_retry_ms_);
    }
    // A stop for full memtables lasts one flush (milliseconds): wait for it, bounded.
    std::this_thread::sleep_for(std::chrono::milliseconds(10));
  }
}

bool Store::WritesStopped() const {
  uint64_t v = 0;
  return db_->GetIntProperty("rocksdb.is-write-stopped", &v) && v != 0;
}

Store::WriteStall Store::GetWriteStall() const {
  WriteStall w;
  w.stopped = WritesStopped();
  std::string l0;  // a string property
  if (db_->GetProperty("rocksdb.num-files-at-level0", &l0)) {
    w.l0_files = std::strtoull(l0.c_str(), nullptr, 10);
  }
  return w;
}

void Store::PauseBackgroundWorkForTest() { db_->PauseBackgroundWork().PermitUncheckedError(); }
void Store::ContinueBackgroundWorkForTest() {
  db_->ContinueBackgroundWork().PermitUncheckedError();
}

// ---- Point reads ---------------------------------------------------------------------------

absl::StatusOr<std::optional<Record>> Store::GetRecord(std::string_view record_id) const {
  return GetDecoded<Record>(db_.get(), keys::RecordKey(record_id), "reading record");
}

Store::Snapshot::~Snapshot() { db_->ReleaseSnapshot(snapshot_); }

std::unique_ptr<Store::Snapshot> Store::TakeSnapshot() const {
  return std::unique_ptr<Snapshot>(new Snapshot(db_.get(), db_->GetSnapshot()));
}

absl::StatusOr<std::vector<std::optional<Record>>> Store::GetRecords(
    const std::vector<std::string>& record_ids, const Snapshot* at) const {
  std::vector<std::string> keys;
  keys.reserve(record_ids.size());
  for (const auto& id : record_ids) keys.push_back(keys::RecordKey(id));
  std::vector<rocksdb::Slice> slices(keys.begin(), keys.end());
  std::vector<std::string> values;
  rocksdb::ReadOptions ro;
  if (at != nullptr) ro.snapshot = at->snapshot_;
  std::vector<rocksdb::Status> statuses = db_->MultiGet(ro, slices, &values);
  std::vector<std::optional<Record>> out(record_ids.size());
  for (size_t i = 0; i < keys.size(); ++i) {
    if (statuses[i].IsNotFound()) continue;
    FS_RETURN_IF_ERROR(FromRocks(statuses[i], "reading records"));
    Record r;
    FS_RETURN_IF_ERROR(codec::Decode(values[i], &r));
    out[i] = std::move(r);
  }
  return out;
}

absl::StatusOr<std::optional<Device>> Store::GetDevice(std::string_view device_id) const {
  return GetDecoded<Device>(db_.get(), keys::DeviceKey(device_id), "reading device");
}

absl::StatusOr<std::optional<std::string>> Store::GetDeviceIdByTokenHash(
    std::string_view token_hash) const {
  std::string value;
  rocksdb::Status s = db_->Get(rocksdb::ReadOptions(), keys::TokenKey(token_hash), &value);
  if (s.IsNotFound()) return std::optional<std::string>();
  FS_RETURN_IF_ERROR(FromRocks(s, "reading token index"));
  return std::optional<std::string>(std::move(value));
}

absl::StatusOr<DeviceSyncState> Store::GetDeviceSyncState(std::string_view device_id) const {
  FS_ASSIGN_OR_RETURN(auto state,
                      GetDecoded<DeviceSyncState>(db_.get(), keys::DeviceStateKey(device_id),
                                                  "reading device state"));
  return state.value_or(DeviceSyncState{});
}

absl::StatusOr<std::optional<Receipt>> Store::GetReceipt(std::string_view device_id,
                                                         uint64_t device_seq) const {
  return GetDecoded<Receipt>(db_.get(), keys::ReceiptKey(device_id, device_seq), "reading receipt");
}

absl::StatusOr<std::optional<Form>> Store::GetForm(std::string_view form_id,
                                                   uint32_t version) const {
  if (version != 0) {
    return GetDecoded<Form>(db_.get(), keys::FormKey(form_id, version), "reading form");
  }
  std::string value;
  FS_ASSIGN_OR_RETURN(bool found,
                      LastWithPrefix(db_.get(), keys::FormPrefix(form_id), nullptr, &value));
  if (!found) return std::optional<Form>();
  Form f;
  FS_RETURN_IF_ERROR(codec::Decode(value, &f));
  return std::optional<Form>(std::move(f));
}

absl::StatusOr<uint64_t> Store::GetMeta(std::string_view name) const {
  std::string value;
  rocksdb::Status s = db_->Get(rocksdb::ReadOptions(), keys::MetaKey(name), &value);
  if (s.IsNotFound()) return 0;
  FS_RETURN_IF_ERROR(FromRocks(s, "reading meta"));
  std::string_view in(value);
  uint64_t v = 0;
  if (!keys::GetBigEndian64(&in, &v)) return absl::DataLossError("corrupt meta value");
  return v;
}

absl::StatusOr<std::optional<EnrollmentCode>> Store::GetEnrollmentCode(
    std::string_view code_hash) const {
  return GetDecoded<EnrollmentCode>(db_.get(), keys::EnrollmentCodeKey(code_hash),
                                    "reading enrollment code");
}

absl::StatusOr<std::optional<Store::AuditHead>> Store::GetAuditHead() const {
  std::string value;
  rocksdb::Status s = db_->Get(rocksdb::ReadOptions(), keys::MetaKey(keys::kAuditHead), &value);
  if (s.IsNotFound()) return std::optional<AuditHead>();
  FS_RETURN_IF_ERROR(FromRocks(s, "reading audit head"));
  std::string_view in(value);
  AuditHead head;
  if (!keys::GetBigEndian64(&in, &head.count)) return absl::DataLossError("corrupt audit head");
  head.last_hash = std::string(in);
  return std::optional<AuditHead>(std::move(head));
}

absl::StatusOr<std::optional<Store::RetiredToken>> Store::GetRetiredToken(
    std::string_view device_id) const {
  std::string value;
  rocksdb::Status s = db_->Get(rocksdb::ReadOptions(), keys::RetiredTokenKey(device_id), &value);
  if (s.IsNotFound()) return std::optional<RetiredToken>();
  FS_RETURN_IF_ERROR(FromRocks(s, "reading retired token"));
  std::string_view in(value);
  uint64_t until = 0;
  if (!keys::GetBigEndian64(&in, &until)) return absl::DataLossError("corrupt retired token");
  RetiredToken t;
  t.valid_until_ms = static_cast<int64_t>(until);
  t.token_hash = std::string(in);
  return std::optional<RetiredToken>(std::move(t));
}

// ---- Scans ---------------------------------------------------------------------------------

absl::StatusOr<std::vector<Receipt>> Store::ListReceipts(std::string_view device_id, uint64_t since,
                                                         size_t limit) const {
  return ScanDecoded<Receipt>(db_.get(), keys::ReceiptKey(device_id, since),
                              keys::PrefixSuccessor(keys::ReceiptPrefix(device_id)), limit);
}

absl::StatusOr<std::vector<Form>> Store::ListForms() const {
  return ScanPrefix<Form>(db_.get(), keys::FormsPrefix());
}

absl::StatusOr<std::vector<Device>> Store::ListDevices() const {
  return ScanPrefix<Device>(db_.get(), std::string(1, keys::kDevice));
}

absl::StatusOr<std::vector<ChangeEntry>> Store::ReadChanges(uint64_t from_seq, uint64_t to_seq,
                                                            size_t limit) const {
  if (to_seq < from_seq) return std::vector<ChangeEntry>();
  std::string upper = to_seq == UINT64_MAX ? keys::PrefixSuccessor(std::string(1, keys::kChange))
                                           : keys::ChangeKey(to_seq + 1);
  return ScanDecoded<ChangeEntry>(db_.get(), keys::ChangeKey(from_seq), upper, limit);
}

absl::StatusOr<uint64_t> Store::LastChangeSeq() const {
  std::string key;
  FS_ASSIGN_OR_RETURN(bool found,
                      LastWithPrefix(db_.get(), std::string(1, keys::kChange), &key, nullptr));
  if (!found) return 0;
  auto seq = keys::ParseChangeKey(key);
  if (!seq) return absl::DataLossError("corrupt change key");
  return *seq;
}

absl::Status Store::ScanScopeIndex(
    std::string_view form_id, const ScopePair& pair, uint64_t after_seq, uint64_t to_seq,
    const std::function<bool(uint64_t seq, std::string_view record_id)>& fn,
    const Snapshot* at) const {
  if (to_seq <= after_seq) return absl::OkStatus();
  std::string prefix = keys::ScopeIndexPrefix(form_id, pair.field, pair.value);
  std::string start = keys::ScopeIndexKey(form_id, pair.field, pair.value, after_seq + 1);
  std::string upper = to_seq == UINT64_MAX
                          ? keys::PrefixSuccessor(prefix)
                          : keys::ScopeIndexKey(form_id, pair.field, pair.value, to_seq + 1);
  return Scan(
      db_.get(), start, upper,
      [&](rocksdb::Slice k, rocksdb::Slice v) -> absl::StatusOr<bool> {
        auto seq = keys::ParseScopeIndexSeq(View(k), prefix);
        if (!seq) return absl::DataLossError("corrupt scope index key");
        return fn(*seq, View(v));
      },
      at != nullptr ? at->snapshot_ : nullptr);
}

absl::StatusOr<std::vector<ConflictEntry>> Store::ListConflicts(std::string_view record_id) const {
  return ScanPrefix<ConflictEntry>(db_.get(), keys::ConflictPrefix(record_id));
}

absl::StatusOr<std::vector<std::string>> Store::ListChildIds(std::string_view parent_record_id,
                                                             size_t limit) const {
  std::vector<std::string> out;
  if (limit == 0) return out;
  const std::string prefix = keys::ChildIndexPrefix(parent_record_id);
  FS_RETURN_IF_ERROR(Scan(db_.get(), prefix, keys::PrefixSuccessor(prefix),
                          [&](rocksdb::Slice k, rocksdb::Slice) -> absl::StatusOr<bool> {
                            k.remove_prefix(prefix.size());
                            out.emplace_back(k.data(), k.size());
                            return out.size() < limit;
                          }));
  return out;
}

absl::StatusOr<std::vector<QuarantineEntry>> Store::ListQuarantine(
    std::string_view device_id) const {
  return ScanPrefix<QuarantineEntry>(db_.get(), keys::QuarantinePrefix(device_id));
}

absl::StatusOr<std::vector<WebhookTarget>> Store::ListWebhookTargets() const {
  return ScanPrefix<WebhookTarget>(db_.get(), std::string(1, keys::kWebhookTarget));
}

absl::StatusOr<std::optional<OpenRosaSubmission>> Store::GetOpenRosaSubmission(
    std::string_view instance_id) const {
  return GetDecoded<OpenRosaSubmission>(db_.get(), keys::OpenRosaSubmissionKey(instance_id),
                                        "openrosa submission");
}

absl::StatusOr<WebhookState> Store::GetWebhookState(std::string_view target_id) const {
  FS_ASSIGN_OR_RETURN(std::optional<WebhookState> s,
                      GetDecoded<WebhookState>(db_.get(), keys::WebhookStateKey(target_id),
                                               "reading webhook state"));
  return s ? *s : WebhookState{};
}

absl::Status Store::ScanDeadLetters(std::string_view target_id, uint64_t from_seq,
                                    const std::function<bool(const DeadLetter&)>& fn) const {
  const std::string prefix = keys::DeadLetterPrefix(target_id);
  return Scan(db_.get(), keys::DeadLetterKey(target_id, from_seq), keys::PrefixSuccessor(prefix),
              [&](rocksdb::Slice, rocksdb::Slice v) -> absl::StatusOr<bool> {
                DeadLetter d;
                FS_RETURN_IF_ERROR(codec::Decode(View(v), &d));
                return fn(d);
              });
}

absl::StatusOr<std::vector<EnrollmentCode>> Store::ListEnrollmentCodes() const {
  return ScanPrefix<EnrollmentCode>(db_.get(), std::string(1, keys::kEnrollmentCode));
}

absl::Status Store::ScanAudit(
    uint64_t from_index,
    const std::function<bool(uint64_t index, std::string_view encoded)>& fn) const {
  return Scan(db_.get(), keys::AuditKey(from_index),
              keys::PrefixSuccessor(std::string(1, keys::kAudit)),
              [&](rocksdb::Slice k, rocksdb::Slice v) -> absl::StatusOr<bool> {
                auto index = keys::ParseAuditKey(View(k));
                if (!index) return absl::DataLossError("corrupt audit key");
                return fn(*index, View(v));
              });
}

absl::StatusOr<std::optional<std::pair<uint64_t, std::string>>> Store::LastAuditEntry() const {
  using Out = std::optional<std::pair<uint64_t, std::string>>;
  std::string key, value;
  FS_ASSIGN_OR_RETURN(bool found,
                      LastWithPrefix(db_.get(), std::string(1, keys::kAudit), &key, &value));
  if (!found) return Out();
  auto index = keys::ParseAuditKey(key);
  if (!index) return absl::DataLossError("corrupt audit key");
  return Out(std::make_pair(*index, std::move(value)));
}

absl::StatusOr<std::optional<ConflictEntry>> Store::GetConflict(std::string_view record_id,
                                                                std::string_view device_id,
                                                                uint64_t device_seq,
                                                                std::string_view field) const {
  return GetDecoded<ConflictEntry>(
      db_.get(), keys::ConflictKey(record_id, device_id, device_seq, field), "reading conflict");
}

namespace {

// Scans the values under `prefix` whose keys sort after `after` (or all, if empty); the key
// is handed to fn as the opaque resume position.
template <typename T>
absl::Status ScanAfter(rocksdb::DB* db, const std::string& prefix, std::string_view after,
                       const std::function<bool(std::string_view, const T&)>& fn) {
  std::string start = prefix;
  if (!after.empty()) {
    if (after.substr(0, prefix.size()) != prefix) {
      return absl::InvalidArgumentError("position does not belong to this scan");
    }
    start = std::string(after);
    start.push_back('\0');  // the smallest key after `after`
  }
  return Scan(db, start, keys::PrefixSuccessor(prefix),
              [&](rocksdb::Slice k, rocksdb::Slice v) -> absl::StatusOr<bool> {
                T item;
                FS_RETURN_IF_ERROR(codec::Decode(View(v), &item));
                return fn(View(k), item);
              });
}

}  // namespace

absl::Status Store::ScanConflicts(
    std::string_view after,
    const std::function<bool(std::string_view position, const ConflictEntry&)>& fn) const {
  return ScanAfter<ConflictEntry>(db_.get(), std::string(1, keys::kConflict), after, fn);
}

absl::StatusOr<std::optional<QuarantineEntry>> Store::GetQuarantine(std::string_view device_id,
                                                                    uint64_t device_seq) const {
  return GetDecoded<QuarantineEntry>(db_.get(), keys::QuarantineKey(device_id, device_seq),
                                     "reading quarantine entry");
}

absl::Status Store::ScanQuarantine(
    std::string_view device_id, std::string_view after,
    const std::function<bool(std::string_view position, const QuarantineEntry&)>& fn) const {
  std::string prefix =
      device_id.empty() ? std::string(1, keys::kQuarantine) : keys::QuarantinePrefix(device_id);
  return ScanAfter<QuarantineEntry>(db_.get(), prefix, after, fn);
}

absl::Status Store::Flush() { return FromRocks(db_->Flush(rocksdb::FlushOptions()), "flush"); }

std::optional<uint64_t> Store::GetIntProperty(const std::string& name) const {
  uint64_t v = 0;
  if (!db_->GetIntProperty(name, &v)) return std::nullopt;
  return v;
}

}  // namespace fieldsync
