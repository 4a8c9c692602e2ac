#include "server/storage/aggregate_store.h"

#include <rocksdb/cache.h>
#include <rocksdb/db.h>
#include <rocksdb/env.h>
#include <rocksdb/filter_policy.h>
#include <rocksdb/table.h>
#include <rocksdb/write_batch.h>

#include <algorithm>
#include <cstring>

#include "absl/strings/str_cat.h"
#include "server/common/status.h"
#include "server/storage/keys.h"
#include "server/storage/rocks_status.h"

namespace fieldsync {
namespace {

using keys::GetBigEndian32;
using keys::GetBigEndian64;
using keys::GetLengthPrefixed;
using keys::PutBigEndian32;
using keys::PutBigEndian64;
using keys::PutLengthPrefixed;

constexpr char kCellsFamily[] = "cells";

// The shared mapping (rocks_status.h), naming this store in the message.
absl::Status AggFromRocks(const rocksdb::Status& s, absl::string_view what) {
  return FromRocks(s, absl::StrCat("aggregate store: ", what));
}

absl::Status Corrupt(absl::string_view what) {
  return absl::DataLossError(absl::StrCat("aggregate store: undecodable ", what));
}

std::string_view View(const rocksdb::Slice& s) { return std::string_view(s.data(), s.size()); }

// ---- value encodings (internal to this file) ----

void PutI128(std::string* out, absl::int128 v) {
  PutBigEndian64(out, static_cast<uint64_t>(absl::Int128High64(v)));
  PutBigEndian64(out, absl::Int128Low64(v));
}
bool GetI128(std::string_view* in, absl::int128* v) {
  uint64_t hi, lo;
  if (!GetBigEndian64(in, &hi) || !GetBigEndian64(in, &lo)) return false;
  *v = absl::MakeInt128(static_cast<int64_t>(hi), lo);
  return true;
}
void PutDouble(std::string* out, double d) {
  uint64_t bits;
  std::memcpy(&bits, &d, sizeof bits);
  PutBigEndian64(out, bits);
}
bool GetDouble(std::string_view* in, double* d) {
  uint64_t bits;
  if (!GetBigEndian64(in, &bits)) return false;
  std::memcpy(d, &bits, sizeof bits);
  return true;
}

void PutMeasures(std::string* out, const std::vector<AggMeasureCell>& ms) {
  PutBigEndian32(out, static_cast<uint32_t>(ms.size()));
  for (const auto& m : ms) {
    PutI128(out, m.sum_micros);
    PutBigEndian64(out, static_cast<uint64_t>(m.invalid));
  }
}
bool GetMeasures(std::string_view* in, std::vector<AggMeasureCell>* ms) {
  uint32_t n;
  if (!GetBigEndian32(in, &n) || n > in->size() / 24) return false;
  ms->resize(n);
  for (auto& m : *ms) {
    uint64_t invalid;
    if (!GetI128(in, &m.sum_micros) || !GetBigEndian64(in, &invalid)) return false;
    m.invalid = static_cast<int64_t>(invalid);
  }
  return true;
}

std::string EncodeCell(const AggCell& c) {
  std::string out;
  PutBigEndian64(&out, static_cast<uint64_t>(c.count));
  PutMeasures(&out, c.measures);
  return out;
}
absl::StatusOr<AggCell> DecodeCell(std::string_view in) {
  AggCell c;
  uint64_t count;
  if (!GetBigEndian64(&in, &count) || !GetMeasures(&in, &c.measures) || !in.empty()) {
    return Corrupt("cell");
  }
  c.count = static_cast<int64_t>(count);
  return c;
}

enum ValueTag : char { kNull = 0, kText, kInt, kDouble, kBool, kList, kGeo };

void PutValue(std::string* out, const Value& v) {
  if (const auto* s = std::get_if<std::string>(&v)) {
    out->push_back(kText);
    PutLengthPrefixed(out, *s);
  } else if (const auto* i = std::get_if<int64_t>(&v)) {
    out->push_back(kInt);
    PutBigEndian64(out, static_cast<uint64_t>(*i));
  } else if (const auto* d = std::get_if<double>(&v)) {
    out->push_back(kDouble);
    PutDouble(out, *d);
  } else if (const auto* b = std::get_if<bool>(&v)) {
    out->push_back(kBool);
    out->push_back(*b ? 1 : 0);
  } else if (const auto* l = std::get_if<std::vector<std::string>>(&v)) {
    out->push_back(kList);
    PutBigEndian32(out, static_cast<uint32_t>(l->size()));
    for (const auto& e : *l) PutLengthPrefixed(out, e);
  } else if (const auto* g = std::get_if<GeoPoint>(&v)) {
    out->push_back(kGeo);
    PutDouble(out, g->latitude);
    PutDouble(out, g->longitude);
  } else {
    out->push_back(kNull);
  }
}
bool GetValue(std::string_view* in, Value* v) {
  if (in->empty()) return false;
  char tag = in->front();
  in->remove_prefix(1);
  std::string_view s;
  uint64_t u;
  switch (tag) {
    case kNull:
      *v = std::monostate{};
      return true;
    case kText:
      if (!GetLengthPrefixed(in, &s)) return false;
      *v = std::string(s);
      return true;
    case kInt:
      if (!GetBigEndian64(in, &u)) return false;
      *v = static_cast<int64_t>(u);
      return true;
    case kDouble: {
      double d;
      if (!GetDouble(in, &d)) return false;
      *v = d;
      return true;
    }
    case kBool:
      if (in->empty()) return false;
      *v = in->front() != 0;
      in->remove_prefix(1);
      return true;
    case kList: {
      uint32_t n;
      if (!GetBigEndian32(in, &n) || n > in->size()) return false;
      std::vector<std::string> l(n);
      for (auto& e : l) {
        if (!GetLengthPrefixed(in, &s)) return false;
        e = std::string(s);
      }
      *v = std::move(l);
      return true;
    }
    case kGeo: {
      GeoPoint g;
      if (!GetDouble(in, &g.latitude) || !GetDouble(in, &g.longitude)) return false;
      *v = g;
      return true;
    }
    default:
      return false;
  }
}

std::string EncodeRecordState(const AggRecordState& s) {
  std::string out;
  out.push_back(s.deleted ? 1 : 0);
  PutBigEndian32(&out, static_cast<uint32_t>(s.fields.size()));
  for (const auto& [name, value] : s.fields) {
    PutLengthPrefixed(&out, name);
    PutValue(&out, value);
  }
  PutBigEndian32(&out, static_cast<uint32_t>(s.contributions.size()));
  for (const auto& c : s.contributions) {
    PutLengthPrefixed(&out, c.aggregation);
    PutLengthPrefixed(&out, c.scope);
    PutBigEndian64(&out, c.bucket);
    PutLengthPrefixed(&out, c.group);
    PutMeasures(&out, c.measures);
  }
  return out;
}
absl::StatusOr<AggRecordState> DecodeRecordState(std::string_view in) {
  AggRecordState s;
  uint32_t n;
  std::string_view str;
  if (in.empty()) return Corrupt("record state");
  s.deleted = in.front() != 0;
  in.remove_prefix(1);
  if (!GetBigEndian32(&in, &n) || n > in.size()) return Corrupt("record state");
  for (uint32_t i = 0; i < n; ++i) {
    Value v;
    if (!GetLengthPrefixed(&in, &str) || !GetValue(&in, &v)) return Corrupt("record state");
    s.fields[std::string(str)] = std::move(v);
  }
  if (!GetBigEndian32(&in, &n) || n > in.size()) return Corrupt("record state");
  s.contributions.resize(n);
  for (auto& c : s.contributions) {
    std::string_view agg, scope, group;
    if (!GetLengthPrefixed(&in, &agg) || !GetLengthPrefixed(&in, &scope) ||
        !GetBigEndian64(&in, &c.bucket) || !GetLengthPrefixed(&in, &group) ||
        !GetMeasures(&in, &c.measures)) {
      return Corrupt("record state");
    }
    c.aggregation = std::string(agg);
    c.scope = std::string(scope);
    c.group = std::string(group);
  }
  if (!in.empty()) return Corrupt("record state");
  return s;
}

}  // namespace

bool AggCell::Empty() const {
  if (count != 0) return false;
  for (const auto& m : measures) {
    if (m.sum_micros != 0 || m.invalid != 0) return false;
  }
  return true;
}

std::string EncodeScopeTuple(const std::vector<ScopePair>& scope) {
  std::string out;
  for (const auto& p : scope) {
    PutLengthPrefixed(&out, p.field);
    PutLengthPrefixed(&out, p.value);
  }
  return out;
}

std::optional<std::vector<ScopePair>> DecodeScopeTuple(std::string_view in) {
  std::vector<ScopePair> out;
  while (!in.empty()) {
    std::string_view f, v;
    if (!GetLengthPrefixed(&in, &f) || !GetLengthPrefixed(&in, &v)) return std::nullopt;
    out.push_back({std::string(f), std::string(v)});
  }
  return out;
}

std::string EncodeGroupTuple(const std::vector<std::optional<std::string>>& values) {
  std::string out;
  for (const auto& v : values) {
    if (!v) {
      out.push_back(0);
    } else {
      out.push_back(1);
      PutLengthPrefixed(&out, *v);
    }
  }
  return out;
}

std::optional<std::vector<std::optional<std::string>>> DecodeGroupTuple(std::string_view in) {
  std::vector<std::optional<std::string>> out;
  while (!in.empty()) {
    char tag = in.front();
    in.remove_prefix(1);
    if (tag == 0) {
      out.emplace_back();
      continue;
    }
    std::string_view v;
    if (tag != 1 || !GetLengthPrefixed(&in, &v)) return std::nullopt;
    out.emplace_back(std::string(v));
  }
  return out;
}

absl::StatusOr<std::unique_ptr<AggregateStore>> AggregateStore::Open(
    const AggregateStoreOptions& options) {
  std::unique_ptr<AggregateStore> store(new AggregateStore());
  rocksdb::DBOptions dbo;
  dbo.create_if_missing = true;
  dbo.create_missing_column_families = true;
  // Two jobs: the cells' small flushes and compactions must not queue behind a long
  // compaction of record states.
  dbo.max_background_jobs = 2;
  if (options.in_memory) {
    store->mem_env_.reset(rocksdb::NewMemEnv(rocksdb::Env::Default()));
    dbo.env = store->mem_env_.get();
  }
  rocksdb::BlockBasedTableOptions table;
  table.block_cache = rocksdb::NewLRUCache(options.block_cache_bytes);
  table.cache_index_and_filter_blocks = true;
  table.filter_policy.reset(rocksdb::NewBloomFilterPolicy(10));
  auto family = [&](size_t write_buffer) {
    rocksdb::ColumnFamilyOptions cfo;
    cfo.write_buffer_size = write_buffer;
    cfo.max_write_buffer_number = 2;
    cfo.table_factory.reset(rocksdb::NewBlockBasedTableFactory(table));
    return cfo;
  };
  rocksdb::ColumnFamilyOptions cells = family(options.cell_write_buffer_bytes);
  // Few, small L0 files: the cells are a few MB, so merging them early is cheap and every
  // query then reads one sorted run (plus the memtables).
  cells.level0_file_num_compaction_trigger = 2;
  cells.max_bytes_for_level_base = 16 << 20;
  std::vector<std::string> existing;
  if (rocksdb::DB::ListColumnFamilies(dbo, options.path, &existing).ok() &&
      std::find(existing.begin(), existing.end(), kCellsFamily) == existing.end()) {
    // A database of the earlier layout (everything in the default family): opening it would
    // ignore its checkpoint and add the whole feed on top of its cells. Checked read-only, so
    // the folder stays refused until it is deleted.
    rocksdb::DB* old = nullptr;
    FS_RETURN_IF_ERROR(
        AggFromRocks(rocksdb::DB::OpenForReadOnly(
                         rocksdb::Options(dbo, rocksdb::ColumnFamilyOptions()), options.path, &old),
                     absl::StrCat("opening ", options.path)));
    std::string v;
    const bool old_checkpoint =
        old->Get(rocksdb::ReadOptions(), keys::agg::AggMetaKey(keys::agg::kCheckpoint), &v).ok();
    delete old;
    if (old_checkpoint) {
      return absl::FailedPreconditionError(
          absl::StrCat("aggregate store ", options.path,
                       " uses an older layout; delete the folder and the cells are rebuilt "
                       "from the change feed"));
    }
  }
  std::vector<rocksdb::ColumnFamilyDescriptor> families = {
      {rocksdb::kDefaultColumnFamilyName, family(options.write_buffer_bytes)},
      {kCellsFamily, cells}};
  std::vector<rocksdb::ColumnFamilyHandle*> handles;
  rocksdb::DB* db = nullptr;
  FS_RETURN_IF_ERROR(AggFromRocks(rocksdb::DB::Open(dbo, options.path, families, &handles, &db),
                                  absl::StrCat("opening ", options.path)));
  store->db_.reset(db);
  store->states_cf_ = handles[0];
  store->cells_cf_ = handles[1];
  return store;
}

AggregateStore::~AggregateStore() {
  if (db_) {
    if (cells_cf_ != nullptr) db_->DestroyColumnFamilyHandle(cells_cf_).PermitUncheckedError();
    if (states_cf_ != nullptr) db_->DestroyColumnFamilyHandle(states_cf_).PermitUncheckedError();
    db_->Close().PermitUncheckedError();
    db_.reset();
  }
}

AggregateStore::Batch::Batch() = default;
AggregateStore::Batch::~Batch() = default;

void AggregateStore::Batch::PutCell(std::string_view form_id, std::string_view aggregation,
                                    std::string_view scope, uint64_t bucket, std::string_view group,
                                    const AggCell& cell) {
  ops_.push_back({true, false, keys::agg::CellKey(form_id, aggregation, scope, bucket, group),
                  EncodeCell(cell)});
}
void AggregateStore::Batch::DeleteCell(std::string_view form_id, std::string_view aggregation,
                                       std::string_view scope, uint64_t bucket,
                                       std::string_view group) {
  ops_.push_back({true, true, keys::agg::CellKey(form_id, aggregation, scope, bucket, group), ""});
}
void AggregateStore::Batch::PutScope(std::string_view form_id, std::string_view aggregation,
                                     std::string_view scope) {
  ops_.push_back({true, false, keys::agg::ScopeDirKey(form_id, aggregation, scope), ""});
}
void AggregateStore::Batch::PutRecordState(std::string_view form_id, std::string_view record_id,
                                           const AggRecordState& s) {
  ops_.push_back({false, false, keys::agg::AggRecordKey(form_id, record_id), EncodeRecordState(s)});
}
void AggregateStore::Batch::PutCheckpoint(const AggCheckpoint& c) {
  std::string v;
  PutBigEndian64(&v, c.seq);
  PutBigEndian64(&v, static_cast<uint64_t>(c.last_commit_time_ms));
  PutBigEndian64(&v, c.skipped_changes);
  ops_.push_back({true, false, keys::agg::AggMetaKey(keys::agg::kCheckpoint), std::move(v)});
}
int AggregateStore::Batch::Count() const { return static_cast<int>(ops_.size()); }

absl::Status AggregateStore::Write(Batch& batch, bool sync) {
  rocksdb::WriteBatch wb;
  for (const auto& op : batch.ops_) {
    rocksdb::ColumnFamilyHandle* cf = op.cells ? cells_cf_ : states_cf_;
    if (op.del) {
      FS_RETURN_IF_ERROR(AggFromRocks(wb.Delete(cf, op.key), "batch"));
    } else {
      FS_RETURN_IF_ERROR(AggFromRocks(wb.Put(cf, op.key, op.value), "batch"));
    }
  }
  rocksdb::WriteOptions wo;
  wo.sync = sync;
  return AggFromRocks(db_->Write(wo, &wb), "write");
}

absl::StatusOr<AggCheckpoint> AggregateStore::GetCheckpoint() const {
  std::string v;
  rocksdb::Status s = db_->Get(rocksdb::ReadOptions(), cells_cf_,
                               keys::agg::AggMetaKey(keys::agg::kCheckpoint), &v);
  if (s.IsNotFound()) return AggCheckpoint{};
  FS_RETURN_IF_ERROR(AggFromRocks(s, "reading checkpoint"));
  AggCheckpoint c;
  std::string_view in(v);
  uint64_t t;
  if (!GetBigEndian64(&in, &c.seq) || !GetBigEndian64(&in, &t) ||
      !GetBigEndian64(&in, &c.skipped_changes)) {
    return Corrupt("checkpoint");
  }
  c.last_commit_time_ms = static_cast<int64_t>(t);
  return c;
}

absl::StatusOr<std::optional<AggRecordState>> AggregateStore::GetRecordState(
    std::string_view form_id, std::string_view record_id) const {
  std::string v;
  rocksdb::Status s =
      db_->Get(rocksdb::ReadOptions(), states_cf_, keys::agg::AggRecordKey(form_id, record_id), &v);
  if (s.IsNotFound()) return std::optional<AggRecordState>();
  FS_RETURN_IF_ERROR(AggFromRocks(s, "reading record state"));
  FS_ASSIGN_OR_RETURN(AggRecordState state, DecodeRecordState(v));
  return std::optional<AggRecordState>(std::move(state));
}

absl::StatusOr<std::optional<AggCell>> AggregateStore::GetCell(std::string_view form_id,
                                                               std::string_view aggregation,
                                                               std::string_view scope,
                                                               uint64_t bucket,
                                                               std::string_view group) const {
  std::string v;
  rocksdb::Status s = db_->Get(rocksdb::ReadOptions(), cells_cf_,
                               keys::agg::CellKey(form_id, aggregation, scope, bucket, group), &v);
  if (s.IsNotFound()) return std::optional<AggCell>();
  FS_RETURN_IF_ERROR(AggFromRocks(s, "reading cell"));
  FS_ASSIGN_OR_RETURN(AggCell cell, DecodeCell(v));
  return std::optional<AggCell>(std::move(cell));
}

absl::StatusOr<std::vector<std::string>> AggregateStore::ListScopes(
    std::string_view form_id, std::string_view aggregation) const {
  const std::string prefix = keys::agg::ScopeDirPrefix(form_id, aggregation);
  const std::string upper = keys::PrefixSuccessor(prefix);
  rocksdb::ReadOptions ro;
  rocksdb::Slice upper_slice(upper);
  ro.iterate_upper_bound = &upper_slice;
  std::unique_ptr<rocksdb::Iterator> it(db_->NewIterator(ro, cells_cf_));
  std::vector<std::string> out;
  for (it->Seek(prefix); it->Valid(); it->Next()) {
    out.emplace_back(View(it->key()).substr(prefix.size()));
  }
  FS_RETURN_IF_ERROR(AggFromRocks(it->status(), "listing scopes"));
  return out;
}

absl::Status AggregateStore::ScanCells(
    std::string_view form_id, std::string_view aggregation, std::string_view scope,
    uint64_t bucket_from, uint64_t bucket_to,
    const std::function<bool(uint64_t, std::string_view, const AggCell&)>& fn) const {
  if (bucket_from > bucket_to) return absl::OkStatus();
  const std::string prefix = keys::agg::CellPrefix(form_id, aggregation, scope);
  std::string start = prefix;
  PutBigEndian64(&start, bucket_from);
  std::string upper = prefix;
  if (bucket_to == UINT64_MAX) {
    upper = keys::PrefixSuccessor(prefix);
  } else {
    PutBigEndian64(&upper, bucket_to + 1);
  }
  rocksdb::ReadOptions ro;
  rocksdb::Slice upper_slice(upper);
  ro.iterate_upper_bound = &upper_slice;
  std::unique_ptr<rocksdb::Iterator> it(db_->NewIterator(ro, cells_cf_));
  for (it->Seek(start); it->Valid(); it->Next()) {
    std::string_view rest = View(it->key()).substr(prefix.size());
    uint64_t bucket;
    if (!GetBigEndian64(&rest, &bucket)) return Corrupt("cell key");
    FS_ASSIGN_OR_RETURN(AggCell cell, DecodeCell(View(it->value())));
    if (!fn(bucket, rest, cell)) break;
  }
  return AggFromRocks(it->status(), "scanning cells");
}

absl::Status AggregateStore::ScanAllCells(
    std::string_view form_id, std::string_view aggregation,
    const std::function<void(std::string_view, uint64_t, std::string_view, const AggCell&)>& fn)
    const {
  const std::string prefix = keys::agg::CellsPrefix(form_id, aggregation);
  const std::string upper = keys::PrefixSuccessor(prefix);
  rocksdb::ReadOptions ro;
  rocksdb::Slice upper_slice(upper);
  ro.iterate_upper_bound = &upper_slice;
  std::unique_ptr<rocksdb::Iterator> it(db_->NewIterator(ro, cells_cf_));
  for (it->Seek(prefix); it->Valid(); it->Next()) {
    std::string_view rest = View(it->key()).substr(prefix.size());
    std::string_view scope;
    uint64_t bucket;
    if (!GetLengthPrefixed(&rest, &scope) || !GetBigEndian64(&rest, &bucket)) {
      return Corrupt("cell key");
    }
    FS_ASSIGN_OR_RETURN(AggCell cell, DecodeCell(View(it->value())));
    fn(scope, bucket, rest, cell);
  }
  return AggFromRocks(it->status(), "scanning cells");
}

absl::Status AggregateStore::Flush() {
  return AggFromRocks(db_->Flush(rocksdb::FlushOptions(), {states_cf_, cells_cf_}), "flush");
}

std::optional<uint64_t> AggregateStore::GetIntProperty(const std::string& name, bool cells) const {
  uint64_t v = 0;
  if (!db_->GetIntProperty(cells ? cells_cf_ : states_cf_, name, &v)) return std::nullopt;
  return v;
}

}  // namespace fieldsync
