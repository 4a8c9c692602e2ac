#include "server/audit/audit_log.h"

#include <condition_variable>
#include <utility>

#include "absl/strings/str_cat.h"
#include "server/common/hash.h"
#include "server/common/status.h"
#include "server/storage/keys.h"

namespace fieldsync {
namespace {

// Version tag of the encoding; a new layout gets a new tag, old entries keep theirs.
constexpr std::string_view kMagic = "FSA1";

// Bounds of one group commit: the first writer's batch always goes, whatever its size.
constexpr size_t kMaxGroupWriters = 128;
constexpr size_t kMaxGroupBytes = 1 << 20;

}  // namespace

AuditContext AuditContext::Of(const Device& device, std::string request_id) {
  return AuditContext{device.device_id, RoleName(device.role), std::move(request_id)};
}

AuditContext AuditContext::Cli() { return AuditContext{"cli", "operator", RandomHex(8)}; }

std::string EncodeAuditEntry(const AuditEntry& e) {
  std::string out(kMagic);
  keys::PutBigEndian64(&out, e.index);
  keys::PutBigEndian64(&out, static_cast<uint64_t>(e.time_ms));
  keys::PutLengthPrefixed(&out, e.event.who.actor_device_id);
  keys::PutLengthPrefixed(&out, e.event.who.actor_role);
  keys::PutLengthPrefixed(&out, e.event.who.request_id);
  keys::PutLengthPrefixed(&out, e.event.action);
  keys::PutLengthPrefixed(&out, e.event.target);
  keys::PutLengthPrefixed(&out, e.event.detail);
  keys::PutLengthPrefixed(&out, e.prev_hash);
  return out;
}

absl::StatusOr<AuditEntry> DecodeAuditEntry(std::string_view encoded) {
  const absl::Status corrupt = absl::DataLossError("audit entry does not decode");
  std::string_view in = encoded;
  if (in.substr(0, kMagic.size()) != kMagic) return corrupt;
  in.remove_prefix(kMagic.size());
  AuditEntry e;
  uint64_t time = 0;
  if (!keys::GetBigEndian64(&in, &e.index) || !keys::GetBigEndian64(&in, &time)) return corrupt;
  e.time_ms = static_cast<int64_t>(time);
  std::string* fields[] = {&e.event.who.actor_device_id,
                           &e.event.who.actor_role,
                           &e.event.who.request_id,
                           &e.event.action,
                           &e.event.target,
                           &e.event.detail,
                           &e.prev_hash};
  for (std::string* f : fields) {
    std::string_view v;
    if (!keys::GetLengthPrefixed(&in, &v)) return corrupt;
    f->assign(v.data(), v.size());
  }
  if (!in.empty()) return corrupt;
  e.hash = Sha256Hex(encoded);
  return e;
}

absl::StatusOr<std::unique_ptr<AuditLog>> AuditLog::Open(Store* store, Clock* clock,
                                                         WriteFn write) {
  if (!write) {
    write = [store](Store::Batch& batch) { return store->Write(batch, /*sync=*/true); };
  }
  std::unique_ptr<AuditLog> log(new AuditLog(store, clock, std::move(write)));
  FS_ASSIGN_OR_RETURN(auto last, store->LastAuditEntry());
  if (last) {
    FS_ASSIGN_OR_RETURN(AuditEntry e, DecodeAuditEntry(last->second));
    log->count_ = last->first;
    log->last_hash_ = e.hash;
  }
  return log;
}

struct AuditLog::Writer {
  Writer(Store::Batch* batch, const AuditEvent* event) : batch(batch), event(event) {}
  Store::Batch* batch;
  const AuditEvent* event;
  bool done = false;                  // guarded by mu_
  absl::StatusOr<AuditEntry> result;  // set before done
  std::condition_variable cv;
};

absl::StatusOr<AuditEntry> AuditLog::CommitWith(Store::Batch& batch, const AuditEvent& event) {
  Writer w(&batch, &event);
  std::unique_lock<std::mutex> lock(mu_);
  writers_.push_back(&w);
  while (!w.done && &w != writers_.front()) w.cv.wait(lock);
  if (w.done) return std::move(w.result);

  // The leader: take what is queued now (bounded, so one write never grows without limit;
  // the leader's own batch always goes), then write it with mu_ released.
  std::vector<Writer*> group;
  size_t bytes = 0;
  for (Writer* x : writers_) {
    const size_t size = x->batch->ByteSize();
    if (!group.empty() && (group.size() >= kMaxGroupWriters || bytes + size > kMaxGroupBytes)) {
      break;
    }
    group.push_back(x);
    bytes += size;
  }
  const uint64_t count = count_;
  std::string last_hash = last_hash_;
  lock.unlock();
  std::vector<absl::StatusOr<AuditEntry>> results = WriteGroup(group, count, std::move(last_hash));
  lock.lock();

  if (results.back().ok()) {
    count_ = results.back()->index;
    last_hash_ = results.back()->hash;
  }
  for (size_t i = 0; i < group.size(); ++i) {
    Writer* x = writers_.front();
    writers_.pop_front();
    if (x == &w) continue;
    x->result = std::move(results[i]);
    x->done = true;
    x->cv.notify_one();
  }
  if (!writers_.empty()) writers_.front()->cv.notify_one();  // the next leader
  return std::move(results[0]);
}

std::vector<absl::StatusOr<AuditEntry>> AuditLog::WriteGroup(const std::vector<Writer*>& group,
                                                             uint64_t count,
                                                             std::string last_hash) {
  std::vector<AuditEntry> entries;
  entries.reserve(group.size());
  for (const Writer* x : group) {
    AuditEntry e;
    e.index = ++count;
    e.time_ms = clock_->NowMs();
    e.event = *x->event;
    e.prev_hash = std::move(last_hash);
    const std::string encoded = EncodeAuditEntry(e);
    e.hash = Sha256Hex(encoded);
    last_hash = e.hash;
    x->batch->PutAuditEntry(e.index, encoded);
    entries.push_back(std::move(e));
  }
  // Alone, the caller's batch is written as it is; a group goes into one batch, in queue
  // order, so the entries and the head commit with every action or not at all.
  absl::Status written;
  if (group.size() == 1) {
    group[0]->batch->PutAuditHead(count, last_hash);
    written = write_(*group[0]->batch);
  } else {
    Store::Batch combined;
    for (const Writer* x : group) {
      written.Update(combined.Append(*x->batch));
    }
    combined.PutAuditHead(count, last_hash);
    if (written.ok()) written = write_(combined);
  }
  std::vector<absl::StatusOr<AuditEntry>> out;
  out.reserve(group.size());
  for (auto& e : entries) {
    if (written.ok()) {
      out.emplace_back(std::move(e));
    } else {
      out.emplace_back(written);
    }
  }
  return out;
}

absl::StatusOr<AuditEntry> AuditLog::Append(const AuditEvent& event) {
  Store::Batch batch;
  return CommitWith(batch, event);
}

absl::StatusOr<std::vector<AuditEntry>> AuditLog::List(uint64_t from_index, size_t limit) const {
  std::vector<AuditEntry> out;
  if (limit == 0) return out;
  absl::Status decode_status;
  FS_RETURN_IF_ERROR(store_->ScanAudit(from_index, [&](uint64_t, std::string_view encoded) -> bool {
    auto e = DecodeAuditEntry(encoded);
    if (!e.ok()) {
      decode_status = e.status();
      return false;
    }
    out.push_back(*std::move(e));
    return out.size() < limit;
  }));
  FS_RETURN_IF_ERROR(decode_status);
  return out;
}

uint64_t AuditLog::size() const {
  std::lock_guard<std::mutex> lock(mu_);
  return count_;
}

size_t AuditLog::queued() const {
  std::lock_guard<std::mutex> lock(mu_);
  return writers_.size();
}

absl::StatusOr<AuditVerification> VerifyAuditChain(const Store& store) {
  AuditVerification v;
  v.head_hash = kAuditGenesisHash;
  auto fail = [&v](uint64_t index, std::string problem) {
    v.ok = false;
    v.bad_index = index;
    v.problem = std::move(problem);
    return false;
  };
  bool bad = false;
  FS_RETURN_IF_ERROR(store.ScanAudit(0, [&](uint64_t index, std::string_view encoded) -> bool {
    const uint64_t expected = v.entries + 1;
    if (index != expected) {
      bad = true;
      return fail(expected,
                  absl::StrCat("entry ", expected, " is missing (next stored is ", index, ")"));
    }
    auto e = DecodeAuditEntry(encoded);
    if (!e.ok()) {
      bad = true;
      return fail(index, absl::StrCat("entry ", index, " does not decode"));
    }
    if (e->index != index) {
      bad = true;
      return fail(index, absl::StrCat("entry stored at ", index, " says it is entry ", e->index,
                                      " (reordered)"));
    }
    if (e->prev_hash != v.head_hash) {
      bad = true;
      return fail(index, absl::StrCat("entry ", index,
                                      " does not chain to the entry before it (edited, "
                                      "removed or reordered)"));
    }
    v.entries = index;
    v.head_hash = e->hash;
    return true;
  }));
  if (bad) return v;
  FS_ASSIGN_OR_RETURN(auto head, store.GetAuditHead());
  const uint64_t head_count = head ? head->count : 0;
  const std::string head_hash = head ? head->last_hash : std::string(kAuditGenesisHash);
  if (head_count != v.entries) {
    fail(0, absl::StrCat("the log holds ", v.entries, " entries but its head records ", head_count,
                         " (entries removed or added at the end)"));
    return v;
  }
  if (head_hash != v.head_hash) {
    fail(v.entries, absl::StrCat("the last entry (", v.entries,
                                 ") does not match the recorded head (edited)"));
    return v;
  }
  v.ok = true;
  return v;
}

}  // namespace fieldsync
