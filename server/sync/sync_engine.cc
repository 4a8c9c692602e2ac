#include "server/sync/sync_engine.h"

#include "server/common/status.h"
#include "server/sync/seq_floor.h"

namespace fieldsync {

absl::StatusOr<std::unique_ptr<SyncEngine>> SyncEngine::Open(Store* store, FormRegistry* forms,
                                                             Clock* clock,
                                                             const SyncEngineOptions& options) {
  std::unique_ptr<SyncEngine> e(new SyncEngine());
  FS_ASSIGN_OR_RETURN(uint64_t head, RecoverHead(*store));
  e->sequencer_ = std::make_unique<CommitSequencer>(
      head, options.reserve ? options.reserve : StoreReserver(store), options.seq_chunk);
  e->ctx_ = SyncContext{store, forms, &e->locks_, e->sequencer_.get(), clock};
  e->push_ = std::make_unique<PushCore>(e->ctx_, options.push);
  e->pull_ = std::make_unique<PullCore>(e->ctx_, options.pull);
  e->feed_ = std::make_unique<LocalChangeFeed>(store, e->sequencer_.get());
  e->retention_ = std::make_unique<Retention>(e->ctx_);
  return e;
}

}  // namespace fieldsync
