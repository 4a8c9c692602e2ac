#include "server/sync/change_feed.h"

#include "absl/strings/str_cat.h"
#include "server/common/status.h"
#include "server/storage/keys.h"

namespace fieldsync {

absl::StatusOr<ChangeBatch> LocalChangeFeed::Read(uint64_t from_seq, size_t limit) {
  ChangeBatch out;
  out.head_seq = sequencer_->VisibleHead();
  FS_ASSIGN_OR_RETURN(uint64_t min_retained, store_->GetMeta(keys::kMinRetainedSeq));
  if (from_seq < min_retained && from_seq != 0) {
    return absl::FailedPreconditionError(
        absl::StrCat("from_seq ", from_seq, " is older than the retained change log (oldest ",
                     min_retained, ")"));
  }
  if (from_seq == 0 && min_retained > 1) {
    return absl::FailedPreconditionError(
        absl::StrCat("the change log starts at seq ", min_retained, "; rebuild from records"));
  }
  FS_ASSIGN_OR_RETURN(out.changes, store_->ReadChanges(from_seq, out.head_seq, limit));
  return out;
}

uint64_t LocalChangeFeed::Wait(uint64_t after_seq, std::chrono::steady_clock::time_point deadline) {
  return sequencer_->WaitBeyond(after_seq, deadline);
}

}  // namespace fieldsync
