#include "server/sync/retention.h"

#include <algorithm>
#include <set>

#include "server/common/status.h"
#include "server/storage/keys.h"
#include "server/sync/scope.h"

namespace fieldsync {

absl::StatusOr<uint64_t> Retention::PurgeOnce(const RetentionPolicy& policy, size_t max_changes) {
  const uint64_t head = ctx_.sequencer->VisibleHead();
  if (head <= policy.keep_changes) return 0;
  uint64_t cutoff = head - policy.keep_changes;  // drop seqs <= cutoff
  if (policy.keep_from_seq > 0) cutoff = std::min(cutoff, policy.keep_from_seq - 1);
  if (cutoff == 0) return 0;
  FS_ASSIGN_OR_RETURN(uint64_t min_retained, ctx_.store->GetMeta(keys::kMinRetainedSeq));
  const uint64_t from = std::max<uint64_t>(min_retained, 1);
  if (from > cutoff) return 0;
  FS_ASSIGN_OR_RETURN(std::vector<ChangeEntry> changes,
                      ctx_.store->ReadChanges(from, cutoff, max_changes));
  const int64_t age_limit = policy.keep_ms > 0 ? ctx_.clock->NowMs() - policy.keep_ms : INT64_MAX;

  uint64_t dropped = 0;
  uint64_t new_min = from;
  for (const auto& c : changes) {
    if (c.commit_time_ms > age_limit) break;  // young enough to keep: stop here
    LockTable::Guard guard = ctx_.locks->Lock({RecordLockKey(c.record_id)});
    FS_ASSIGN_OR_RETURN(std::optional<Record> rec, ctx_.store->GetRecord(c.record_id));
    // Index entries at c.seq that still carry the record's latest live state stay.
    std::set<ScopePair> live;
    if (rec && rec->seq == c.seq && !rec->deleted) {
      auto schema = ctx_.forms->Get(rec->form_id, rec->form_version);
      if (!schema.ok()) return schema.status();
      for (const auto& p : (*schema)->ScopeOfRecord(*rec)) live.insert(p);
      live.insert(FormWidePair());
    }
    Store::Batch batch;
    std::set<ScopePair> pairs(c.scope_before.begin(), c.scope_before.end());
    pairs.insert(c.scope_after.begin(), c.scope_after.end());
    pairs.insert(FormWidePair());
    for (const auto& p : pairs) {
      if (!live.count(p)) batch.DeleteScopeIndex(c.form_id, p, c.seq);
    }
    batch.DeleteChange(c.seq);
    new_min = c.seq + 1;
    batch.PutMeta(keys::kMinRetainedSeq, new_min);
    FS_RETURN_IF_ERROR(ctx_.store->Write(batch, /*sync=*/false));
    ++dropped;
  }
  if (dropped == changes.size() && changes.size() < max_changes) {
    // Every change up to the cutoff is gone; seqs of failed writes (gaps) hold nothing.
    Store::Batch batch;
    batch.PutMeta(keys::kMinRetainedSeq, cutoff + 1);
    FS_RETURN_IF_ERROR(ctx_.store->Write(batch, /*sync=*/false));
  }
  return dropped;
}

}  // namespace fieldsync
