// The apply rules of DESIGN.md ("Push: apply rules", 4-6) as a pure function: given a form,
// the record as the server has it and one mutation, decide the outcome and the new record
// state. No I/O, no locks, no seqs: push.cc does those.
#ifndef FIELDSYNC_SERVER_SYNC_MERGE_H_
#define FIELDSYNC_SERVER_SYNC_MERGE_H_

#include <string>
#include <vector>

#include "server/common/model.h"

namespace fieldsync {

struct MergeResult {
  // kApplied, kMerged, kConflict, kRejected or kDuplicate.
  Outcome outcome = Outcome::kApplied;
  // With kRejected: why, per field; `reject_reason` is a short machine-readable tag.
  std::vector<FieldError> errors;
  std::string reject_reason;
  // An append-only record_id seen again with other content: keep the mutation in
  // quarantine (outcome kConflict, nothing applied).
  bool quarantine_as_conflict = false;
  // The record changed: `record` is its new state (version already incremented; the caller
  // sets seq). When false, `record` is the unchanged current state (if any).
  bool changed = false;
  // The record's open-conflict flag or other metadata changed without a new version.
  bool metadata_changed = false;
  Record record;
  std::vector<FieldChange> field_changes;
  // Conflicts met (field-level, or whole-record for delete vs edit); seq is left 0.
  std::vector<ConflictEntry> conflicts;
  std::vector<std::string> conflict_fields;
};

// Applies `m` from `device_id` to `current` (nullptr if the server has no such record) under
// `form`. `scope_fields` of `form` are kept on tombstones; every other field is cleared on
// delete. Values in `m` must already have passed the form's value checks. `content_hash` is
// ContentHash(m), computed once by the caller; `device_role` is the writer's role (for
// ConflictPolicy::kRolePriority).
MergeResult Merge(const Form& form, const Record* current, const Mutation& m,
                  const std::string& content_hash, const std::string& device_id, int64_t now_ms,
                  Role device_role = Role::kEnumerator);

}  // namespace fieldsync

#endif  // FIELDSYNC_SERVER_SYNC_MERGE_H_
