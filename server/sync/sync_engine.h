// SyncEngine wires the sync cores over one store: the lock table, the commit sequencer
// (recovered from the store, reserving seqs durably), push, pull, the change feed and
// retention, all sharing one SyncContext. fieldsyncd and the unit tests build the same thing
// through it; other cores that commit record changes (server/admin) take its context().
#ifndef FIELDSYNC_SERVER_SYNC_SYNC_ENGINE_H_
#define FIELDSYNC_SERVER_SYNC_SYNC_ENGINE_H_

#include <memory>

#include "absl/status/statusor.h"
#include "server/common/clock.h"
#include "server/forms/form_registry.h"
#include "server/storage/store.h"
#include "server/sync/change_feed.h"
#include "server/sync/commit_sequencer.h"
#include "server/sync/lock_table.h"
#include "server/sync/pull.h"
#include "server/sync/push.h"
#include "server/sync/retention.h"
#include "server/sync/sync_context.h"

namespace fieldsync {

struct SyncEngineOptions {
  PushLimits push;
  PullLimits pull;
  // Makes seq reservations durable (see seq_floor.h); empty = StoreReserver(store). Tests
  // wrap the default to inject failures.
  CommitSequencer::ReserveFn reserve;
  // Seqs reserved per synced reservation write.
  uint64_t seq_chunk = 1 << 16;
};

class SyncEngine {
 public:
  // `store`, `forms` and `clock` are not owned and must outlive the engine.
  static absl::StatusOr<std::unique_ptr<SyncEngine>> Open(Store* store, FormRegistry* forms,
                                                          Clock* clock,
                                                          const SyncEngineOptions& options);

  // The store, forms and clock given to Open, with the engine's lock table and sequencer.
  const SyncContext& context() const { return ctx_; }
  PushCore* push() { return push_.get(); }
  PullCore* pull() { return pull_.get(); }
  LocalChangeFeed* feed() { return feed_.get(); }
  Retention* retention() { return retention_.get(); }
  CommitSequencer* sequencer() { return sequencer_.get(); }

 private:
  SyncEngine() = default;
  LockTable locks_;
  std::unique_ptr<CommitSequencer> sequencer_;
  SyncContext ctx_;
  std::unique_ptr<PushCore> push_;
  std::unique_ptr<PullCore> pull_;
  std::unique_ptr<LocalChangeFeed> feed_;
  std::unique_ptr<Retention> retention_;
};

}  // namespace fieldsync

#endif  // FIELDSYNC_SERVER_SYNC_SYNC_ENGINE_H_
