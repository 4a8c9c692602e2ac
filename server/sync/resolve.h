// Conflict resolution (an admin or supervisor picks the value of a conflicting field) and the
// commit step it shares with quarantine replay: a new record version through the same
// machinery as push (LockTable, CommitSequencer, change-log entry, per-scope change index, one
// synced WriteBatch), so pulls and the change feed see it like any device edit.
#ifndef FIELDSYNC_SERVER_SYNC_RESOLVE_H_
#define FIELDSYNC_SERVER_SYNC_RESOLVE_H_

#include <functional>
#include <string>
#include <vector>

#include "absl/status/statusor.h"
#include "server/common/clock.h"
#include "server/common/model.h"
#include "server/forms/form_registry.h"
#include "server/storage/store.h"
#include "server/sync/commit_sequencer.h"
#include "server/sync/lock_table.h"

namespace fieldsync {

// Writes a finished batch durably. The default is Store::Write(batch, sync=true); the admin
// core passes one that adds the audit entry to the same batch (AuditLog::CommitWith).
using BatchCommitFn = std::function<absl::Status(Store::Batch& batch)>;

// Stages `next`, the new state of a record whose previous state is `current` (nullptr when it
// is created), exactly as push does: allocates the next global seq (appended to `*seqs`; the
// caller Finish()es every seq there after the write, whether it succeeded or not), sets
// next->seq, and adds the record, its change-log entry and the per-scope change index moves to
// `batch`. Returns the seq.
uint64_t StageRecordChange(const FormSchema& schema, const Record* current, Record* next,
                           std::vector<FieldChange> changes, const std::string& writer_device,
                           int64_t now_ms, CommitSequencer* sequencer, Store::Batch* batch,
                           std::vector<uint64_t>* seqs);

// Finishes every seq in `*seqs` on destruction, so a failed write never stalls readers.
class SeqFinisher {
 public:
  SeqFinisher(CommitSequencer* s, std::vector<uint64_t>* seqs) : s_(s), seqs_(seqs) {}
  ~SeqFinisher() {
    for (uint64_t seq : *seqs_) s_->Finish(seq);
  }
  SeqFinisher(const SeqFinisher&) = delete;
  SeqFinisher& operator=(const SeqFinisher&) = delete;

 private:
  CommitSequencer* s_;
  std::vector<uint64_t>* seqs_;
};

// Identifies one conflict entry (see keys.h 'x').
struct ConflictId {
  std::string record_id;
  std::string device_id;  // the device whose mutation met the conflict
  uint64_t device_seq = 0;
  std::string field;  // "" for a whole-record conflict
};

enum class ResolutionChoice {
  kServer = 1,  // the value the server held when the conflict was met
  kDevice = 2,  // the device's value
  kValue = 3,   // a value given by the resolver
};

struct Resolution {
  ConflictId id;
  ResolutionChoice choice = ResolutionChoice::kServer;
  Value value;  // with kValue; null clears the field
};

struct ResolveResult {
  Record record;           // the new version
  ConflictEntry conflict;  // now closed
};

class ConflictResolver {
 public:
  // None of the pointers is owned; all must outlive this object.
  ConflictResolver(Store* store, FormRegistry* forms, LockTable* locks, CommitSequencer* sequencer,
                   Clock* clock);

  // Resolves one conflict as `actor` (an admin, or a supervisor whose scopes cover the record
  // before and after). The chosen value is written into the record's CURRENT version (edits
  // made since the conflict are kept, except in this field), as a new version whose changed
  // field has `actor` as writer and the server clock as HLC; the conflict entry is closed,
  // the record's open-conflict flag recomputed, and the counter of open conflicts of the
  // device that met it decremented, all in one batch written by `commit`.
  // Whole-record conflicts (field ""): kServer keeps the record, kDevice deletes it, kValue is
  // INVALID_ARGUMENT. Field conflicts on a record deleted now: kServer keeps it deleted;
  // kDevice/kValue restore it with that field (FAILED_PRECONDITION with the missing required
  // fields if it would be incomplete).
  // Errors: NOT_FOUND (no such conflict, or its record is outside the actor's scopes);
  // FAILED_PRECONDITION (already closed); INVALID_ARGUMENT with field violations (a value the
  // form does not accept); PERMISSION_DENIED (the value would move the record out of the
  // actor's scopes); storage errors (nothing written).
  absl::StatusOr<ResolveResult> Resolve(const Device& actor, const Resolution& resolution,
                                        const BatchCommitFn& commit = nullptr);

 private:
  Store* store_;
  FormRegistry* forms_;
  LockTable* locks_;
  CommitSequencer* sequencer_;
  Clock* clock_;
};

}  // namespace fieldsync

#endif  // FIELDSYNC_SERVER_SYNC_RESOLVE_H_
