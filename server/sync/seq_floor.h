// Where the global seq restarts after a crash. A seq can be handed out and abandoned (its
// batch failed to write) after readers saw the visible head move past it; had the server
// restarted from the last change-log entry it would hand that seq out again, and a device
// whose cursor already passed it would never pull the new change. So seqs are reserved in
// chunks, durably, before use, and a restart continues above the last reservation.
#ifndef FIELDSYNC_SERVER_SYNC_SEQ_FLOOR_H_
#define FIELDSYNC_SERVER_SYNC_SEQ_FLOOR_H_

#include <cstdint>

#include "absl/status/statusor.h"
#include "server/storage/store.h"
#include "server/sync/commit_sequencer.h"

namespace fieldsync {

// The head to start a CommitSequencer from: above every seq in the change log and every seq
// ever reserved.
absl::StatusOr<uint64_t> RecoverHead(const Store& store);

// A ReserveFn that records reservations in `store` (synced). A failed write is returned (with
// its code, prefixed), so the Allocate() that needed it fails and its commit with it.
CommitSequencer::ReserveFn StoreReserver(Store* store);

}  // namespace fieldsync

#endif  // FIELDSYNC_SERVER_SYNC_SEQ_FLOOR_H_
