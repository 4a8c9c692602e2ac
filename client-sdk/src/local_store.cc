#include "client-sdk/src/local_store.h"

#include <rocksdb/options.h>
#include <sys/statvfs.h>

#include <utility>

#include "absl/strings/numbers.h"
#include "absl/strings/str_cat.h"
#include "server/common/status.h"

namespace fieldsync::client {

namespace {

constexpr char kTagMeta = 'M';
constexpr char kTagRecord = 'R';
constexpr char kTagFormIndex = 'I';
constexpr char kTagOutbox = 'O';
constexpr char kTagPending = 'P';
constexpr char kTagReceipt = 'C';
constexpr char kTagProblem = 'X';
constexpr char kTagForm = 'F';
constexpr char kTagChildIndex = 'K';

void PutBe64(std::string* out, uint64_t v) {
  for (int i = 7; i >= 0; --i) out->push_back(static_cast<char>((v >> (8 * i)) & 0xff));
}

uint64_t GetBe64(const rocksdb::Slice& s, size_t offset) {
  uint64_t v = 0;
  for (size_t i = 0; i < 8; ++i) {
    v = (v << 8) | static_cast<unsigned char>(s.data()[offset + i]);
  }
  return v;
}

std::string Key(char tag, const std::string& a) { return std::string(1, tag) + a; }

std::string SeqKey(char tag, uint64_t seq) {
  std::string k(1, tag);
  PutBe64(&k, seq);
  return k;
}

std::string FormIndexKey(const std::string& form_id, const std::string& record_id) {
  std::string k(1, kTagFormIndex);
  k += form_id;
  k.push_back('\0');
  k += record_id;
  return k;
}

std::string ChildPrefix(const std::string& parent_id) {
  std::string k(1, kTagChildIndex);
  k += parent_id;
  k.push_back('\0');
  return k;
}

std::string PendingPrefix(const std::string& record_id) {
  std::string k(1, kTagPending);
  k += record_id;
  k.push_back('\0');
  return k;
}

// Iterates keys starting with `prefix` from `start` (>= prefix) while fn returns true.
absl::Status Scan(rocksdb::DB* db, const std::string& prefix, const std::string& start,
                  const std::function<bool(const rocksdb::Slice&, const rocksdb::Slice&)>& fn) {
  rocksdb::ReadOptions ro;
  std::unique_ptr<rocksdb::Iterator> it(db->NewIterator(ro));
  for (it->Seek(start); it->Valid() && it->key().starts_with(prefix); it->Next()) {
    if (!fn(it->key(), it->value())) break;
  }
  return FromRocks(it->status(), "scan");
}

// The rest of every key that starts with `prefix` (the ids an index lists), in key order.
absl::StatusOr<std::vector<std::string>> IdsAfter(rocksdb::DB* db, const std::string& prefix) {
  std::vector<std::string> ids;
  absl::Status s = Scan(db, prefix, prefix, [&](const rocksdb::Slice& k, const rocksdb::Slice&) {
    ids.emplace_back(k.data() + prefix.size(), k.size() - prefix.size());
    return true;
  });
  if (!s.ok()) return s;
  return ids;
}

template <typename T>
absl::Status ParseInto(const rocksdb::Slice& v, T* out, const char* what) {
  if (!out->ParseFromArray(v.data(), static_cast<int>(v.size()))) {
    return absl::DataLossError(absl::StrCat("corrupt ", what, " in the local store"));
  }
  return absl::OkStatus();
}

}  // namespace

absl::Status FromRocks(const rocksdb::Status& s, const char* what) {
  if (s.ok()) return absl::OkStatus();
  // RocksDB's POSIX layer turns ENOSPC into the NoSpace subcode.
  if (s.IsNoSpace()) {
    return DiskFullError(absl::StrCat("disk full: no space left on this device to ", what,
                                      "; free some space and try again (nothing was lost)"));
  }
  if (s.IsCorruption()) return absl::DataLossError(absl::StrCat(what, ": ", s.ToString()));
  if (s.IsBusy() || s.IsTryAgain()) {
    return absl::UnavailableError(absl::StrCat(what, ": ", s.ToString()));
  }
  if (s.IsIOError() && s.ToString().find("lock") != std::string::npos) {
    return absl::FailedPreconditionError(
        absl::StrCat(what, ": the local store is in use by another process (", s.ToString(), ")"));
  }
  return absl::InternalError(absl::StrCat(what, ": ", s.ToString()));
}

LocalStore::LocalStore(std::string path, std::unique_ptr<rocksdb::DB> db)
    : path_(std::move(path)), db_(std::move(db)) {}

LocalStore::~LocalStore() = default;

absl::StatusOr<std::unique_ptr<LocalStore>> LocalStore::Open(const std::string& path) {
  rocksdb::Options options;
  options.create_if_missing = true;
  // A device store is small: keep memory modest.
  options.write_buffer_size = 8 << 20;
  options.max_write_buffer_number = 2;
  options.keep_log_file_num = 2;
  rocksdb::DB* raw = nullptr;
  rocksdb::Status s = rocksdb::DB::Open(options, path, &raw);
  if (!s.ok()) return FromRocks(s, "open the local store");
  return std::unique_ptr<LocalStore>(new LocalStore(path, std::unique_ptr<rocksdb::DB>(raw)));
}

void LocalStore::Batch::PutRecord(const local::LocalRecord& r) {
  wb_.Put(Key(kTagRecord, r.record_id()), r.SerializeAsString());
  wb_.Put(FormIndexKey(r.form_id(), r.record_id()), "");
  if (!r.parent_record_id().empty()) wb_.Put(ChildPrefix(r.parent_record_id()) + r.record_id(), "");
}

void LocalStore::Batch::DeleteRecord(const local::LocalRecord& r) {
  wb_.Delete(Key(kTagRecord, r.record_id()));
  wb_.Delete(FormIndexKey(r.form_id(), r.record_id()));
  if (!r.parent_record_id().empty()) wb_.Delete(ChildPrefix(r.parent_record_id()) + r.record_id());
}

void LocalStore::Batch::PutOutbox(const local::OutboxEntry& e) {
  const auto& m = e.mutation();
  wb_.Put(SeqKey(kTagOutbox, m.device_seq()), e.SerializeAsString());
  std::string p = PendingPrefix(m.record_id());
  PutBe64(&p, m.device_seq());
  wb_.Put(p, "");
}

void LocalStore::Batch::DeleteOutbox(uint64_t device_seq, const std::string& record_id) {
  wb_.Delete(SeqKey(kTagOutbox, device_seq));
  std::string p = PendingPrefix(record_id);
  PutBe64(&p, device_seq);
  wb_.Delete(p);
}

void LocalStore::Batch::PutReceipt(const local::StoredReceipt& r, bool problem) {
  wb_.Put(SeqKey(kTagReceipt, r.receipt().device_seq()), r.SerializeAsString());
  if (problem) wb_.Put(SeqKey(kTagProblem, r.receipt().device_seq()), "");
}

void LocalStore::Batch::PutForm(const v1::Form& f) {
  wb_.Put(Key(kTagForm, f.form_id()), f.SerializeAsString());
}

void LocalStore::Batch::PutMeta(const std::string& name, const std::string& value) {
  wb_.Put(Key(kTagMeta, name), value);
}

void LocalStore::Batch::PutMetaU64(const std::string& name, uint64_t value) {
  PutMeta(name, std::to_string(value));
}

absl::Status LocalStore::Write(Batch* batch) {
  rocksdb::WriteOptions wo;
  wo.sync = true;
  return FromRocks(db_->Write(wo, &batch->wb_), "save changes");
}

absl::StatusOr<std::optional<std::string>> LocalStore::Get(const std::string& key) const {
  std::string value;
  rocksdb::Status s = db_->Get(rocksdb::ReadOptions(), key, &value);
  if (s.IsNotFound()) return std::optional<std::string>();
  if (!s.ok()) return FromRocks(s, "read the local store");
  return std::optional<std::string>(std::move(value));
}

absl::StatusOr<std::optional<local::LocalRecord>> LocalStore::GetRecord(
    const std::string& record_id) const {
  auto v = Get(Key(kTagRecord, record_id));
  if (!v.ok()) return v.status();
  if (!v->has_value()) return std::optional<local::LocalRecord>();
  local::LocalRecord r;
  if (!r.ParseFromString(**v)) return absl::DataLossError("corrupt record in the local store");
  return std::optional<local::LocalRecord>(std::move(r));
}

absl::Status LocalStore::ForEachRecord(
    const std::string& form_id, const std::function<bool(const local::LocalRecord&)>& fn) const {
  if (form_id.empty()) {
    const std::string prefix(1, kTagRecord);
    absl::Status parse_error;
    absl::Status s =
        Scan(db_.get(), prefix, prefix, [&](const rocksdb::Slice&, const rocksdb::Slice& v) {
          local::LocalRecord r;
          parse_error = ParseInto(v, &r, "record");
          return parse_error.ok() && fn(r);
        });
    return s.ok() ? parse_error : s;
  }
  std::string prefix(1, kTagFormIndex);
  prefix += form_id;
  prefix.push_back('\0');
  absl::StatusOr<std::vector<std::string>> ids = IdsAfter(db_.get(), prefix);
  if (!ids.ok()) return ids.status();
  for (const auto& id : *ids) {
    auto r = GetRecord(id);
    if (!r.ok()) return r.status();
    if (r->has_value() && !fn(**r)) break;
  }
  return absl::OkStatus();
}

absl::StatusOr<std::vector<std::string>> LocalStore::ChildIds(const std::string& parent_id) const {
  return IdsAfter(db_.get(), ChildPrefix(parent_id));
}

absl::StatusOr<std::vector<local::OutboxEntry>> LocalStore::ReadOutbox(uint64_t from,
                                                                       size_t limit) const {
  std::vector<local::OutboxEntry> out;
  absl::Status parse_error;
  absl::Status s = Scan(db_.get(), std::string(1, kTagOutbox), SeqKey(kTagOutbox, from),
                        [&](const rocksdb::Slice&, const rocksdb::Slice& v) {
                          if (out.size() >= limit) return false;
                          out.emplace_back();
                          parse_error = ParseInto(v, &out.back(), "outbox entry");
                          return parse_error.ok();
                        });
  if (!s.ok()) return s;
  if (!parse_error.ok()) return parse_error;
  return out;
}

absl::StatusOr<std::vector<local::OutboxEntry>> LocalStore::PendingFor(
    const std::string& record_id) const {
  const std::string prefix = PendingPrefix(record_id);
  std::vector<uint64_t> seqs;
  absl::Status s =
      Scan(db_.get(), prefix, prefix, [&](const rocksdb::Slice& k, const rocksdb::Slice&) {
        if (k.size() == prefix.size() + 8) seqs.push_back(GetBe64(k, prefix.size()));
        return true;
      });
  if (!s.ok()) return s;
  std::vector<local::OutboxEntry> out;
  for (uint64_t seq : seqs) {
    auto v = Get(SeqKey(kTagOutbox, seq));
    if (!v.ok()) return v.status();
    if (!v->has_value()) continue;
    out.emplace_back();
    if (!out.back().ParseFromString(**v)) return absl::DataLossError("corrupt outbox entry");
  }
  return out;
}

absl::StatusOr<std::optional<local::OutboxEntry>> LocalStore::GetOutbox(uint64_t device_seq) const {
  auto v = Get(SeqKey(kTagOutbox, device_seq));
  if (!v.ok()) return v.status();
  if (!v->has_value()) return std::optional<local::OutboxEntry>();
  local::OutboxEntry e;
  if (!e.ParseFromString(**v)) return absl::DataLossError("corrupt outbox entry");
  return std::optional<local::OutboxEntry>(std::move(e));
}

absl::StatusOr<uint64_t> LocalStore::OutboxDepth() const {
  uint64_t n = 0;
  const std::string prefix(1, kTagOutbox);
  absl::Status s =
      Scan(db_.get(), prefix, prefix, [&](const rocksdb::Slice&, const rocksdb::Slice&) {
        ++n;
        return true;
      });
  if (!s.ok()) return s;
  return n;
}

absl::StatusOr<std::vector<local::StoredReceipt>> LocalStore::ReadReceipts(uint64_t since,
                                                                           size_t limit) const {
  std::vector<local::StoredReceipt> out;
  absl::Status parse_error;
  absl::Status s = Scan(db_.get(), std::string(1, kTagReceipt), SeqKey(kTagReceipt, since),
                        [&](const rocksdb::Slice&, const rocksdb::Slice& v) {
                          if (out.size() >= limit) return false;
                          out.emplace_back();
                          parse_error = ParseInto(v, &out.back(), "receipt");
                          return parse_error.ok();
                        });
  if (!s.ok()) return s;
  if (!parse_error.ok()) return parse_error;
  return out;
}

absl::StatusOr<std::vector<local::StoredReceipt>> LocalStore::RecentProblems(size_t limit) const {
  std::vector<local::StoredReceipt> out;
  std::unique_ptr<rocksdb::Iterator> it(db_->NewIterator(rocksdb::ReadOptions()));
  const std::string prefix(1, kTagProblem);
  for (it->SeekForPrev(SeqKey(kTagProblem, UINT64_MAX));
       it->Valid() && it->key().starts_with(prefix) && out.size() < limit; it->Prev()) {
    if (it->key().size() != 9) continue;
    auto v = Get(SeqKey(kTagReceipt, GetBe64(it->key(), 1)));
    if (!v.ok()) return v.status();
    if (!v->has_value()) continue;
    out.emplace_back();
    if (!out.back().ParseFromString(**v)) return absl::DataLossError("corrupt receipt");
  }
  if (!it->status().ok()) return FromRocks(it->status(), "scan");
  return out;
}

absl::StatusOr<std::vector<v1::Form>> LocalStore::Forms() const {
  std::vector<v1::Form> out;
  absl::Status parse_error;
  const std::string prefix(1, kTagForm);
  absl::Status s =
      Scan(db_.get(), prefix, prefix, [&](const rocksdb::Slice&, const rocksdb::Slice& v) {
        out.emplace_back();
        parse_error = ParseInto(v, &out.back(), "form");
        return parse_error.ok();
      });
  if (!s.ok()) return s;
  if (!parse_error.ok()) return parse_error;
  return out;
}

absl::StatusOr<std::optional<v1::Form>> LocalStore::GetForm(const std::string& form_id) const {
  auto v = Get(Key(kTagForm, form_id));
  if (!v.ok()) return v.status();
  if (!v->has_value()) return std::optional<v1::Form>();
  v1::Form f;
  if (!f.ParseFromString(**v)) return absl::DataLossError("corrupt form in the local store");
  return std::optional<v1::Form>(std::move(f));
}

absl::StatusOr<std::string> LocalStore::GetMeta(const std::string& name) const {
  auto v = Get(Key(kTagMeta, name));
  if (!v.ok()) return v.status();
  return v->value_or("");
}

absl::StatusOr<uint64_t> LocalStore::GetMetaU64(const std::string& name) const {
  auto v = GetMeta(name);
  if (!v.ok()) return v.status();
  if (v->empty()) return uint64_t{0};
  uint64_t n = 0;
  if (!absl::SimpleAtoi(absl::string_view(v->data(), v->size()), &n)) {
    return absl::DataLossError(absl::StrCat("corrupt meta value ", name));
  }
  return n;
}

uint64_t LocalStore::FreeBytes() const {
  struct statvfs st;
  if (statvfs(path_.c_str(), &st) != 0) return 0;
  return static_cast<uint64_t>(st.f_bavail) * st.f_frsize;
}

}  // namespace fieldsync::client
