#include "server/sync/seq_floor.h"

#include <algorithm>

#include "absl/strings/str_cat.h"
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
  return [store](uint64_t limit) -> absl::Status {
    Store::Batch batch;
    batch.PutMeta(keys::kSeqReserved, limit);
    return Prepend(store->Write(batch, /*sync=*/true),
                   absl::StrCat("reserving commit seqs up to ", limit));
  };
}

}  // namespace fieldsync
