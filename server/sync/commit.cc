#include "server/sync/commit.h"

#include <set>

#include "server/common/status.h"
#include "server/sync/scope.h"

namespace fieldsync {

RecordCommit::~RecordCommit() {
  for (uint64_t seq : seqs_) sequencer_->Finish(seq);
}

absl::StatusOr<uint64_t> RecordCommit::StageRecordChange(const FormSchema& schema,
                                                         const Record* current, Record* next,
                                                         std::vector<FieldChange> changes,
                                                         const std::string& writer_device,
                                                         int64_t now_ms) {
  FS_ASSIGN_OR_RETURN(const uint64_t seq, sequencer_->Allocate());
  seqs_.push_back(seq);
  next->seq = seq;
  std::vector<ScopePair> scope_before;
  if (current != nullptr) scope_before = schema.ScopeOfRecord(*current);
  std::vector<ScopePair> scope_after = schema.ScopeOfRecord(*next);

  ChangeEntry change;
  change.seq = seq;
  change.record_id = next->record_id;
  change.form_id = next->form_id;
  change.form_version = next->form_version;
  change.version = next->version;
  change.created = current == nullptr;
  change.deleted_before = current != nullptr && current->deleted;
  change.deleted_after = next->deleted;
  change.changes = std::move(changes);
  change.scope_before = scope_before;
  change.scope_after = scope_after;
  change.device_id = writer_device;
  change.commit_time_ms = now_ms;
  change.parent_record_id = next->parent_record_id;
  change.repeat = next->repeat;
  change.ordinal = next->ordinal;
  change.root_record_id = next->root_record_id;
  if (current == nullptr && next->is_child()) {
    batch_.PutChildIndex(next->parent_record_id, next->record_id);
  }

  // The record's index entries move to the new seq under every coordinate it had or has; a
  // coordinate it left keeps an exit entry at the new seq (so a pull there removes it).
  std::set<ScopePair> pairs;
  scope_before.push_back(FormWidePair());
  scope_after.push_back(FormWidePair());
  if (current != nullptr) {
    for (const auto& p : scope_before) {
      batch_.DeleteScopeIndex(next->form_id, p, current->seq);
      pairs.insert(p);
    }
  }
  for (const auto& p : scope_after) pairs.insert(p);
  for (const auto& p : pairs) batch_.PutScopeIndex(next->form_id, p, seq, next->record_id);
  batch_.PutRecord(*next);
  batch_.PutChange(change);
  return seq;
}

absl::Status RecordCommit::Write(const BatchCommitFn& commit) {
  if (commit) return commit(batch_);
  // Acknowledge only after the WAL is on disk: callers answer after this returns.
  return store_->Write(batch_, /*sync=*/true);
}

}  // namespace fieldsync
