#include "server/sync/push.h"

#include <map>
#include <unordered_map>

#include "absl/strings/str_cat.h"
#include "server/common/status.h"
#include "server/sync/merge.h"
#include "server/sync/scope.h"

namespace fieldsync {

// Everything one batch has read and decided so far; written in one WriteBatch at the end.
struct PushCore::BatchState {
  explicit BatchState(const SyncContext& ctx)
      : commit(ctx.store, ctx.sequencer), records(ctx.store) {}
  RecordCommit commit;
  DeviceSyncState device_state;
  // Every record the batch names, read once up front and updated as the batch changes them.
  RecordSlots records;
  std::map<uint64_t, Receipt> receipts_by_seq;  // receipts stored by this batch
  int64_t now_ms = 0;
};

namespace {

bool ValidRecordId(const std::string& id, size_t max_bytes) {
  if (id.empty() || id.size() > max_bytes) return false;
  for (unsigned char c : id) {
    if (c < 0x21 || c > 0x7e) return false;  // printable ASCII, no spaces
  }
  return true;
}

}  // namespace

absl::StatusOr<std::vector<Receipt>> PushCore::Push(const Device& device,
                                                    const std::vector<Mutation>& batch,
                                                    const DeviceReport* report) {
  return PushBatch(device, batch, report, /*assign_seqs=*/false);
}

absl::StatusOr<std::vector<Receipt>> PushCore::PushAssigningSeqs(const Device& device,
                                                                 const std::vector<Mutation>& batch,
                                                                 const DeviceReport* report) {
  return PushBatch(device, batch, report, /*assign_seqs=*/true);
}

absl::StatusOr<std::vector<Receipt>> PushCore::PushBatch(const Device& device,
                                                         const std::vector<Mutation>& batch,
                                                         const DeviceReport* report,
                                                         bool assign_seqs) {
  if (batch.size() > limits_.max_mutations_per_batch) {
    return InvalidFieldsError(
        "batch too large", {{"mutations", absl::StrCat("at most ", limits_.max_mutations_per_batch,
                                                       " per request; got ", batch.size())}});
  }
  BatchState st(ctx_);
  FS_ASSIGN_OR_RETURN(
      LockTable::Guard guard,
      LockTrees(ctx_.locks, ctx_.store, {DeviceLockKey(device.device_id)}, batch, &st.records));
  st.now_ms = ctx_.clock->NowMs();
  FS_ASSIGN_OR_RETURN(st.device_state, ctx_.store->GetDeviceSyncState(device.device_id));

  std::vector<Receipt> receipts;
  receipts.reserve(batch.size());
  Mutation numbered;
  for (const auto& given : batch) {
    const uint64_t expected = st.device_state.acked_seq + 1;
    const Mutation* mp = &given;
    if (assign_seqs) {
      numbered = given;
      numbered.device_seq = expected;
      mp = &numbered;
    }
    const Mutation& m = *mp;
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
        FS_ASSIGN_OR_RETURN(stored, ctx_.store->GetReceipt(device.device_id, m.device_seq));
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
    st.commit.batch().PutReceipt(device.device_id, r);
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
  st.commit.batch().PutDeviceSyncState(device.device_id, st.device_state);
  // Acknowledge only after the WAL is on disk.
  FS_RETURN_IF_ERROR(st.commit.Write());
  return receipts;
}

void PushCore::Quarantine(const Device& device, const Mutation& m,
                          const std::vector<FieldError>& errors, std::string reason,
                          BatchState* st) {
  QuarantineEntry q;
  q.device_id = device.device_id;
  q.mutation = m;
  q.errors = errors;
  q.reason = std::move(reason);
  q.received_ms = st->now_ms;
  st->commit.batch().PutQuarantine(q);
  st->device_state.quarantined++;
}

absl::StatusOr<bool> PushCore::Pseudonymize(const Mutation& plain, Mutation* out) const {
  // The pii fields of the named version, or of the latest version when that one is unknown
  // (the mutation is then quarantined, and its pii values must not be stored either).
  auto schema = ctx_.forms->Get(plain.form_id, plain.form_version);
  if (!schema.ok() && schema.status().code() == absl::StatusCode::kNotFound &&
      plain.form_version != 0) {
    schema = ctx_.forms->Get(plain.form_id, 0);
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

absl::StatusOr<StagedMutation> StageMutation(FormRegistry* forms, const PushLimits& limits,
                                             const MutationToStage& in, RecordSlots* slots,
                                             RecordCommit* commit) {
  const Mutation& m = *in.mutation;
  const Device& device = *in.writer;
  StagedMutation out;
  out.receipt.device_seq = m.device_seq;
  out.receipt.record_id = m.record_id;
  out.receipt.content_hash = ContentHash(m);
  out.receipt.outcome = Outcome::kRejected;
  auto reject = [&](std::string reason, std::vector<FieldError> errors) {
    out.quarantine = true;
    out.reason = std::move(reason);
    out.receipt.errors = std::move(errors);
    return std::move(out);
  };

  if (!ValidRecordId(m.record_id, limits.max_record_id_bytes)) {
    return reject("invalid",
                  {{"record_id", absl::StrCat("must be 1 to ", limits.max_record_id_bytes,
                                              " printable ASCII characters")}});
  }
  if (m.op != MutationOp::kUpsert && m.op != MutationOp::kDelete) {
    return reject("invalid", {{"op", "must be UPSERT or DELETE"}});
  }
  auto schema_or = forms->Get(m.form_id, m.form_version);
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
  FS_ASSIGN_OR_RETURN(std::optional<Record> * current_slot, slots->Get(m.record_id));
  const Record* current = *current_slot ? &**current_slot : nullptr;
  FS_ASSIGN_OR_RETURN(Placement place, PlaceChild(schema, device, m, current, slots, limits.tree));
  if (!place.ok) return reject(std::move(place.reason), std::move(place.errors));
  if (in.plaintext_fields != nullptr) {
    if (auto errors = schema.CheckValues(*in.plaintext_fields, limits.record, place.repeat);
        !errors.empty()) {
      Pseudonymizer::ScrubErrors(schema.form(), *in.plaintext_fields, &errors);
      return reject("invalid", std::move(errors));
    }
  } else {
    // Pseudonyms are not the values the form constrains: check every other field.
    FieldMap checkable;
    for (const auto& [name, value] : m.fields) {
      const FieldDef* def = schema.form().FindField(name);
      if (def == nullptr || !def->pii) checkable.emplace(name, value);
    }
    if (auto errors = schema.CheckValues(checkable, limits.record, place.repeat); !errors.empty()) {
      return reject("invalid", std::move(errors));
    }
  }

  if (current != nullptr && !InScope(device, schema.ScopeOfRecord(*current))) {
    // Answered as if the record did not exist, so an edit or delete learns nothing of another
    // scope; only a create, which would succeed on a free id, is refused as outside the scope
    // (the answer a create in a scope the device does not hold gets).
    MergeResult absent = Merge(schema.form(), nullptr, m, out.receipt.content_hash,
                               device.device_id, in.now_ms, device.role);
    if (absent.outcome == Outcome::kRejected) {
      return reject(absent.reject_reason, std::move(absent.errors));
    }
    return reject("scope", {{"", "record is outside your scope"}});
  }

  MergeResult res = Merge(schema.form(), current, m, out.receipt.content_hash, device.device_id,
                          in.now_ms, device.role);
  if (res.outcome == Outcome::kRejected) {
    return reject(res.reject_reason, std::move(res.errors));
  }
  if (res.quarantine_as_conflict) {
    out.receipt.outcome = Outcome::kConflict;
    out.receipt.record_version = res.record.version;
    return reject(res.reject_reason, std::move(res.errors));
  }
  if (res.changed) {
    if (current == nullptr && m.is_child()) {
      FS_RETURN_IF_ERROR(AdoptParent(schema, m, slots, &res.record));
    }
    if (!res.record.deleted) {
      if (auto errors = schema.CheckRequired(res.record.fields, place.repeat); !errors.empty()) {
        return reject("invalid", std::move(errors));
      }
      if (!schema.expressions().empty()) {
        FS_ASSIGN_OR_RETURN(
            std::vector<FieldError> errors,
            CheckInTree(schema, res.record, in.plaintext_fields, in.now_ms, limits.tree, slots));
        if (!errors.empty()) return reject("invalid", std::move(errors));
      }
    }
    if (!InScope(device, schema.ScopeOfRecord(res.record))) {
      return reject("scope", {{"", "record is outside your scope"}});
    }
    std::vector<std::optional<Record>*> subtree;
    if (ChangesSubtree(schema, current, res.record)) {
      absl::StatusOr<std::vector<std::optional<Record>*>> below =
          Subtree(m.record_id, limits.tree, slots);
      if (!below.ok()) {
        if (below.status().code() != absl::StatusCode::kInvalidArgument) return below.status();
        return reject("invalid", {{"", std::string(below.status().message())}});
      }
      subtree = *std::move(below);
    }
    FS_ASSIGN_OR_RETURN(out.receipt.seq, commit->StageRecordChange(schema, current, &res.record,
                                                                   std::move(res.field_changes),
                                                                   device.device_id, in.now_ms));
    FS_RETURN_IF_ERROR(
        StageSubtreeChanges(schema, res.record, subtree, device, m.hlc, in.now_ms, commit));
  } else if (res.metadata_changed) {
    // Only the open-conflict flag changed (the edit lost): same version, no field changes, but
    // a new seq and change-log entry, so devices already up to date learn the flag through an
    // incremental pull, not only through a full one.
    FS_ASSIGN_OR_RETURN(out.receipt.seq, commit->StageRecordChange(schema, current, &res.record, {},
                                                                   device.device_id, in.now_ms));
  }
  for (auto& c : res.conflicts) {
    c.seq = res.record.seq;
    commit->batch().PutConflict(c);
  }
  out.conflicts_opened = res.conflicts.size();
  out.receipt.outcome = res.outcome;
  out.receipt.record_version = res.record.version;
  out.receipt.conflict_fields = std::move(res.conflict_fields);
  if (res.changed || res.metadata_changed) *current_slot = std::move(res.record);
  return out;
}

absl::StatusOr<Receipt> PushCore::ApplyOne(const Device& device, const Mutation& plain,
                                           BatchState* st) {
  // Plaintext pii values are only validated: everything stored, hashed or answered uses `m`,
  // where they are pseudonymised.
  Mutation pseudonymised;
  FS_ASSIGN_OR_RETURN(const bool replaced, Pseudonymize(plain, &pseudonymised));
  const Mutation& m = replaced ? pseudonymised : plain;
  MutationToStage in;
  in.writer = &device;
  in.mutation = &m;
  in.plaintext_fields = &plain.fields;
  in.now_ms = st->now_ms;
  FS_ASSIGN_OR_RETURN(StagedMutation staged,
                      StageMutation(ctx_.forms, limits_, in, &st->records, &st->commit));
  if (staged.quarantine) {
    Quarantine(device, m, staged.receipt.errors, std::move(staged.reason), st);
  }
  st->device_state.conflicts += staged.conflicts_opened;
  return std::move(staged.receipt);
}

absl::StatusOr<ReceiptList> PushCore::ListReceipts(const Device& device, uint64_t since,
                                                   size_t limit) {
  ReceiptList out;
  FS_ASSIGN_OR_RETURN(out.receipts, ctx_.store->ListReceipts(device.device_id, since, limit));
  FS_ASSIGN_OR_RETURN(DeviceSyncState state, ctx_.store->GetDeviceSyncState(device.device_id));
  out.acked_device_seq = state.acked_seq;
  return out;
}

}  // namespace fieldsync
