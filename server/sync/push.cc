#include "server/sync/push.h"

#include <map>
#include <set>
#include <unordered_map>

#include "absl/strings/str_cat.h"
#include "server/common/status.h"
#include "server/sync/merge.h"
#include "server/sync/scope.h"

namespace fieldsync {

// Everything one batch has read and decided so far; written in one WriteBatch at the end.
struct PushCore::BatchState {
  Store::Batch batch;
  DeviceSyncState device_state;
  // Every record the batch names, read once up front and updated as the batch changes them.
  std::unordered_map<std::string, std::optional<Record>> records;
  std::map<uint64_t, Receipt> receipts_by_seq;  // receipts stored by this batch
  std::vector<uint64_t> seqs;                   // allocated; Finish()ed by the caller
  int64_t now_ms = 0;
};

PushCore::PushCore(Store* store, FormRegistry* forms, LockTable* locks, CommitSequencer* sequencer,
                   Clock* clock, PushLimits limits)
    : store_(store),
      forms_(forms),
      locks_(locks),
      sequencer_(sequencer),
      clock_(clock),
      limits_(limits) {}

namespace {

// Finishes allocated seqs on every exit path, so a failed write never stalls readers.
class SeqReleaser {
 public:
  SeqReleaser(CommitSequencer* s, std::vector<uint64_t>* seqs) : s_(s), seqs_(seqs) {}
  ~SeqReleaser() {
    for (uint64_t seq : *seqs_) s_->Finish(seq);
  }

 private:
  CommitSequencer* s_;
  std::vector<uint64_t>* seqs_;
};

bool ValidRecordId(const std::string& id, size_t max_bytes) {
  if (id.empty() || id.size() > max_bytes) return false;
  for (unsigned char c : id) {
    if (c < 0x21 || c > 0x7e) return false;  // printable ASCII, no spaces
  }
  return true;
}

std::vector<ScopePair> WithFormWide(std::vector<ScopePair> pairs) {
  pairs.push_back(FormWidePair());
  return pairs;
}

}  // namespace

absl::StatusOr<std::vector<Receipt>> PushCore::Push(const Device& device,
                                                    const std::vector<Mutation>& batch,
                                                    const DeviceReport* report) {
  if (batch.size() > limits_.max_mutations_per_batch) {
    return InvalidFieldsError(
        "batch too large", {{"mutations", absl::StrCat("at most ", limits_.max_mutations_per_batch,
                                                       " per request; got ", batch.size())}});
  }
  std::vector<std::string> lock_keys{DeviceLockKey(device.device_id)};
  for (const auto& m : batch) lock_keys.push_back(RecordLockKey(m.record_id));
  LockTable::Guard guard = locks_->Lock(lock_keys);

  BatchState st;
  SeqReleaser releaser(sequencer_, &st.seqs);
  st.now_ms = clock_->NowMs();
  FS_ASSIGN_OR_RETURN(st.device_state, store_->GetDeviceSyncState(device.device_id));
  {
    std::vector<std::string> ids;
    for (const auto& m : batch) {
      if (st.records.emplace(m.record_id, std::nullopt).second) ids.push_back(m.record_id);
    }
    FS_ASSIGN_OR_RETURN(std::vector<std::optional<Record>> found, store_->GetRecords(ids));
    for (size_t i = 0; i < ids.size(); ++i) st.records[ids[i]] = std::move(found[i]);
  }

  std::vector<Receipt> receipts;
  receipts.reserve(batch.size());
  for (const auto& m : batch) {
    const uint64_t expected = st.device_state.acked_seq + 1;
    if (m.device_seq == 0) {
      Receipt r;
      r.record_id = m.record_id;
      r.outcome = Outcome::kRejected;
      r.errors.push_back({"device_seq", "must be 1 or more"});
      receipts.push_back(std::move(r));
      continue;
    }
    if (m.device_seq < expected) {
      // A retransmission: answer with what the first delivery got; apply nothing.
      std::optional<Receipt> stored;
      if (auto it = st.receipts_by_seq.find(m.device_seq); it != st.receipts_by_seq.end()) {
        stored = it->second;
      } else {
        FS_ASSIGN_OR_RETURN(stored, store_->GetReceipt(device.device_id, m.device_seq));
      }
      Receipt r = stored.value_or(Receipt{});
      r.device_seq = m.device_seq;
      if (r.record_id.empty()) r.record_id = m.record_id;
      r.original_outcome = stored ? std::optional<Outcome>(stored->outcome) : std::nullopt;
      r.outcome = Outcome::kDuplicate;
      receipts.push_back(std::move(r));
      continue;
    }
    if (m.device_seq > expected) {
      Receipt r;
      r.device_seq = m.device_seq;
      r.record_id = m.record_id;
      r.outcome = Outcome::kOutOfOrder;
      r.expected_device_seq = expected;
      receipts.push_back(std::move(r));
      continue;
    }
    FS_ASSIGN_OR_RETURN(Receipt r, ApplyOne(device, m, &st));
    st.batch.PutReceipt(device.device_id, r);
    st.receipts_by_seq[r.device_seq] = r;
    st.device_state.acked_seq = m.device_seq;
    receipts.push_back(std::move(r));
  }

  st.device_state.last_seen_ms = st.now_ms;
  st.device_state.last_push_ms = st.now_ms;
  if (report != nullptr) {
    st.device_state.report = *report;
    if (report->device_clock_ms != 0) {
      st.device_state.clock_skew_ms = report->device_clock_ms - st.now_ms;
    }
  }
  st.batch.PutDeviceSyncState(device.device_id, st.device_state);
  // Acknowledge only after the WAL is on disk.
  FS_RETURN_IF_ERROR(store_->Write(st.batch, /*sync=*/true));
  return receipts;
}

Receipt PushCore::Quarantine(const Device& device, const Mutation& m, Receipt receipt,
                             std::vector<FieldError> errors, std::string reason, BatchState* st) {
  QuarantineEntry q;
  q.device_id = device.device_id;
  q.mutation = m;
  q.errors = errors;
  q.reason = std::move(reason);
  q.received_ms = st->now_ms;
  st->batch.PutQuarantine(q);
  st->device_state.quarantined++;
  receipt.errors = std::move(errors);
  return receipt;
}

absl::StatusOr<bool> PushCore::Pseudonymize(const Mutation& plain, Mutation* out) const {
  // The pii fields of the named version, or of the latest version when that one is unknown
  // (the mutation is then quarantined, and its pii values must not be stored either).
  auto schema = forms_->Get(plain.form_id, plain.form_version);
  if (!schema.ok() && schema.status().code() == absl::StatusCode::kNotFound &&
      plain.form_version != 0) {
    schema = forms_->Get(plain.form_id, 0);
  }
  if (!schema.ok()) {
    if (schema.status().code() == absl::StatusCode::kNotFound) return false;
    return schema.status();
  }
  const Form& form = (*schema)->form();
  bool has_pii = false;
  for (const auto& f : form.fields) {
    if (!f.pii) continue;
    auto it = plain.fields.find(f.name);
    if (it != plain.fields.end() && !IsNull(it->second)) has_pii = true;
  }
  if (!has_pii) return false;
  if (pseudonymizer_ == nullptr || !pseudonymizer_->has_key()) {
    return absl::FailedPreconditionError(
        absl::StrCat("form ", form.form_id, " has pii fields but the server has no pii key"));
  }
  *out = plain;
  FS_RETURN_IF_ERROR(pseudonymizer_->Apply(form, &out->fields));
  return true;
}

absl::StatusOr<Receipt> PushCore::ApplyOne(const Device& device, const Mutation& plain,
                                           BatchState* st) {
  // Plaintext pii values are only validated: everything stored, hashed or answered below
  // uses `m`, where they are pseudonymised.
  Mutation pseudonymised;
  FS_ASSIGN_OR_RETURN(const bool replaced, Pseudonymize(plain, &pseudonymised));
  const Mutation& m = replaced ? pseudonymised : plain;
  Receipt receipt;
  receipt.device_seq = m.device_seq;
  receipt.record_id = m.record_id;
  receipt.content_hash = ContentHash(m);
  receipt.outcome = Outcome::kRejected;
  auto reject = [&](std::string reason, std::vector<FieldError> errors) {
    return Quarantine(device, m, receipt, std::move(errors), std::move(reason), st);
  };

  if (!ValidRecordId(m.record_id, limits_.max_record_id_bytes)) {
    return reject("invalid",
                  {{"record_id", absl::StrCat("must be 1 to ", limits_.max_record_id_bytes,
                                              " printable ASCII characters")}});
  }
  if (m.op != MutationOp::kUpsert && m.op != MutationOp::kDelete) {
    return reject("invalid", {{"op", "must be UPSERT or DELETE"}});
  }
  auto schema_or = forms_->Get(m.form_id, m.form_version);
  if (!schema_or.ok()) {
    if (schema_or.status().code() != absl::StatusCode::kNotFound) return schema_or.status();
    return reject("unknown_form", {{"form_id", absl::StrCat("form '", m.form_id, "' version ",
                                                            m.form_version, " is not published")}});
  }
  const FormSchema& schema = **schema_or;
  if (m.form_version == 0) {
    return reject("invalid", {{"form_version", "must name a published version"}});
  }
  if (m.op == MutationOp::kDelete && !m.fields.empty()) {
    return reject("invalid", {{"fields", "a delete carries no fields"}});
  }
  if (auto errors = schema.CheckValues(plain.fields, limits_.record); !errors.empty()) {
    Pseudonymizer::ScrubErrors(schema.form(), plain.fields, &errors);
    return reject("invalid", std::move(errors));
  }

  std::optional<Record>& slot = st->records[m.record_id];
  const Record* current = slot ? &*slot : nullptr;
  std::vector<ScopePair> scope_before;
  if (current != nullptr) {
    scope_before = schema.ScopeOf(current->fields);
    // Answered as if the record did not exist, so an edit or delete learns nothing of another
    // scope; only a create, which would succeed on a free id, is refused as outside the scope
    // (the answer a create in a scope the device does not hold gets).
    if (!InScope(device, scope_before)) {
      MergeResult absent = Merge(schema.form(), nullptr, m, receipt.content_hash, device.device_id,
                                 st->now_ms, device.role);
      if (absent.outcome == Outcome::kRejected) {
        return reject(absent.reject_reason, std::move(absent.errors));
      }
      return reject("scope", {{"", "record is outside your scope"}});
    }
  }

  MergeResult res = Merge(schema.form(), current, m, receipt.content_hash, device.device_id,
                          st->now_ms, device.role);
  if (res.outcome == Outcome::kRejected) {
    return reject(res.reject_reason, std::move(res.errors));
  }
  if (res.quarantine_as_conflict) {
    receipt.outcome = Outcome::kConflict;
    receipt.record_version = res.record.version;
    return Quarantine(device, m, receipt, std::move(res.errors), res.reject_reason, st);
  }

  std::vector<ScopePair> scope_after = schema.ScopeOf(res.record.fields);
  if (res.changed) {
    if (!res.record.deleted) {
      if (auto errors = schema.CheckRequired(res.record.fields); !errors.empty()) {
        return reject("invalid", std::move(errors));
      }
    }
    if (!InScope(device, scope_after)) {
      return reject("scope", {{"", "record is outside your scope"}});
    }
    const uint64_t seq = sequencer_->Allocate();
    st->seqs.push_back(seq);
    res.record.seq = seq;

    ChangeEntry change;
    change.seq = seq;
    change.record_id = m.record_id;
    change.form_id = m.form_id;
    change.form_version = res.record.form_version;
    change.version = res.record.version;
    change.created = current == nullptr;
    change.deleted_before = current != nullptr && current->deleted;
    change.deleted_after = res.record.deleted;
    change.changes = std::move(res.field_changes);
    change.scope_before = scope_before;
    change.scope_after = scope_after;
    change.device_id = device.device_id;
    change.commit_time_ms = st->now_ms;

    // Per-scope change index: move the record's entries to the new seq under every
    // coordinate it had or has; a coordinate it left keeps an exit entry at the new seq.
    std::set<ScopePair> pairs;
    if (current != nullptr) {
      for (const auto& p : WithFormWide(scope_before)) {
        st->batch.DeleteScopeIndex(m.form_id, p, current->seq);
        pairs.insert(p);
      }
    }
    for (const auto& p : WithFormWide(scope_after)) pairs.insert(p);
    for (const auto& p : pairs) st->batch.PutScopeIndex(m.form_id, p, seq, m.record_id);

    st->batch.PutRecord(res.record);
    st->batch.PutChange(change);
    receipt.seq = seq;
  } else if (res.metadata_changed) {
    st->batch.PutRecord(res.record);
  }
  for (auto& c : res.conflicts) {
    c.seq = res.record.seq;
    st->batch.PutConflict(c);
  }
  st->device_state.conflicts += res.conflicts.size();

  receipt.outcome = res.outcome;
  receipt.record_version = res.record.version;
  receipt.conflict_fields = std::move(res.conflict_fields);
  if (res.changed || res.metadata_changed) slot = std::move(res.record);
  return receipt;
}

absl::StatusOr<ReceiptList> PushCore::ListReceipts(const Device& device, uint64_t since,
                                                   size_t limit) {
  ReceiptList out;
  FS_ASSIGN_OR_RETURN(out.receipts, store_->ListReceipts(device.device_id, since, limit));
  FS_ASSIGN_OR_RETURN(DeviceSyncState state, store_->GetDeviceSyncState(device.device_id));
  out.acked_device_seq = state.acked_seq;
  return out;
}

}  // namespace fieldsync
