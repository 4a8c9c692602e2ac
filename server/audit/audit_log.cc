#include "server/audit/audit_log.h"

#include <utility>

#include "absl/strings/str_cat.h"
#include "server/common/hash.h"
#include "server/common/status.h"
#include "server/storage/keys.h"

namespace fieldsync {
namespace {

// Version tag of the encoding; a new layout gets a new tag, old entries keep theirs.
constexpr std::string_view kMagic = "FSA1";

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

absl::StatusOr<std::unique_ptr<AuditLog>> AuditLog::Open(Store* store, Clock* clock) {
  std::unique_ptr<AuditLog> log(new AuditLog(store, clock));
  FS_ASSIGN_OR_RETURN(auto last, store->LastAuditEntry());
  if (last) {
    FS_ASSIGN_OR_RETURN(AuditEntry e, DecodeAuditEntry(last->second));
    log->count_ = last->first;
    log->last_hash_ = e.hash;
  }
  return log;
}

absl::StatusOr<AuditEntry> AuditLog::CommitWith(Store::Batch& batch, const AuditEvent& event) {
  std::lock_guard<std::mutex> lock(mu_);
  AuditEntry e;
  e.index = count_ + 1;
  e.time_ms = clock_->NowMs();
  e.event = event;
  e.prev_hash = last_hash_;
  const std::string encoded = EncodeAuditEntry(e);
  e.hash = Sha256Hex(encoded);
  batch.PutAuditEntry(e.index, encoded);
  batch.PutAuditHead(e.index, e.hash);
  FS_RETURN_IF_ERROR(store_->Write(batch, /*sync=*/true));
  count_ = e.index;
  last_hash_ = e.hash;
  return e;
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
