// ConflictResolver: an admin or supervisor picks the value of a conflicting field (DESIGN.md
// "Push: apply rules" 5). The choice becomes a new record version committed through the one
// commit path of record changes (server/sync/commit.h: LockTable, CommitSequencer, change-log
// entry, per-scope change index, one synced WriteBatch), so pulls and the change feed see it
// like any device edit. The audited entry point is ConflictReview (review.h).
#ifndef FIELDSYNC_SERVER_ADMIN_CONFLICT_RESOLVER_H_
#define FIELDSYNC_SERVER_ADMIN_CONFLICT_RESOLVER_H_

#include <string>

#include "absl/status/statusor.h"
#include "server/common/model.h"
#include "server/sync/commit.h"
#include "server/sync/sync_context.h"

namespace fieldsync::admin {

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
  // Nothing in `ctx` is owned; all of it must outlive this object.
  explicit ConflictResolver(const SyncContext& ctx) : ctx_(ctx) {}

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
  SyncContext ctx_;
};

}  // namespace fieldsync::admin

#endif  // FIELDSYNC_SERVER_ADMIN_CONFLICT_RESOLVER_H_
