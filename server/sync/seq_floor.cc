#include "server/sync/seq_floor.h"

#include <algorithm>
#include <iostream>

#include "server/common/status.h"
#include "server/storage/keys.h"

namespace fieldsync {

absl::StatusOr<uint64_t> RecoverHead(const Store& store) {
  FS_ASSIGN_OR_RETURN(uint64_t last, store.LastChangeSeq());
  FS_ASSIGN_OR_RETURN(uint64_t reserved, store.GetMeta(keys::kSeqReserved));
  // `reserved` is a limit: every seq handed out was below it.
  return std::max(last, reserved == 0 ? 0 : reserved - 1);
}

CommitSequencer::ReserveFn StoreReserver(Store* store) {
  return [store](uint64_t limit) {
    Store::Batch batch;
    batch.PutMeta(keys::kSeqReserved, limit);
    if (auto s = store->Write(batch, /*sync=*/true); !s.ok()) {
      std::cerr << "fieldsyncd: reserving seqs up to " << limit << ": " << s << "\n";
    }
  };
}

}  // namespace fieldsync
