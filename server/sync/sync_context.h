// SyncContext: what the sync and admin cores share, in one object instead of the same five
// pointers to each constructor. SyncEngine owns the lock table and the commit sequencer and
// hands out its context; the store, the forms and the clock belong to the caller of
// SyncEngine::Open. A context is a set of borrowed pointers: copy it freely, and keep what it
// points to alive while any core built from it runs.
#ifndef FIELDSYNC_SERVER_SYNC_SYNC_CONTEXT_H_
#define FIELDSYNC_SERVER_SYNC_SYNC_CONTEXT_H_

#include "server/common/clock.h"
#include "server/forms/form_registry.h"
#include "server/storage/store.h"
#include "server/sync/commit_sequencer.h"
#include "server/sync/lock_table.h"

namespace fieldsync {

struct SyncContext {
  Store* store = nullptr;
  // The published forms records are checked against.
  FormRegistry* forms = nullptr;
  // Serialises read-modify-write of one device or record (DeviceLockKey, RecordLockKey).
  LockTable* locks = nullptr;
  // Hands out global commit seqs and the visible head (see commit.h for the commit path).
  CommitSequencer* sequencer = nullptr;
  Clock* clock = nullptr;
};

}  // namespace fieldsync

#endif  // FIELDSYNC_SERVER_SYNC_SYNC_CONTEXT_H_
