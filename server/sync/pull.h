// PullCore serves DESIGN.md "Pull": the latest state of records in the caller's scopes
// changed after a cursor, read from the per-scope change index, so a pull costs
// O(changes in scope). Thread-safe.
#ifndef FIELDSYNC_SERVER_SYNC_PULL_H_
#define FIELDSYNC_SERVER_SYNC_PULL_H_

#include <string>
#include <vector>

#include "absl/status/statusor.h"
#include "server/common/model.h"
#include "server/sync/sync_context.h"

namespace fieldsync {

struct PullLimits {
  uint32_t default_page = 500;
  uint32_t max_page = 5000;
  size_t max_forms = 100;
  // A page ends before the record that would take it over this many bytes (ApproxWireBytes;
  // at least one record per page), so large records never make a page over the send limit.
  size_t max_page_bytes = 3 << 20;
};

struct PullQuery {
  std::string cursor;                    // opaque; empty for a full snapshot
  std::vector<std::string> form_ids;     // empty: every form
  uint32_t limit = 0;                    // records; 0: the default page
  const DeviceReport* report = nullptr;  // the device's own report, if it sent one
};

struct PulledRecord {
  Record record;
  // The record left the caller's scopes: the device drops it.
  bool out_of_scope = false;
};

struct PullPage {
  std::vector<PulledRecord> records;
  std::string next_cursor;
  bool has_more = false;
};

class PullCore {
 public:
  // Nothing in `ctx` is owned; all of it must outlive this object.
  PullCore(const SyncContext& ctx, PullLimits limits) : ctx_(ctx), limits_(limits) {}

  // One page of changes after query.cursor in `device`'s scopes. Each record appears once,
  // at its latest version; deleted records as tombstones.
  // Errors: INVALID_ARGUMENT for a malformed cursor or too many forms; FAILED_PRECONDITION
  // marked IsResyncRequired() when the cursor is older than the retained change log or was
  // issued for other scopes or forms: pull again with an empty cursor.
  absl::StatusOr<PullPage> Pull(const Device& device, const PullQuery& query);

 private:
  SyncContext ctx_;
  PullLimits limits_;
};

// Cursor codec, exposed for tests. A cursor is: version byte, be64 seq, be64 fingerprint of
// the caller's scopes and form filter.
struct Cursor {
  uint64_t seq = 0;
  uint64_t fingerprint = 0;
};
std::string EncodeCursor(const Cursor& c);
// INVALID_ARGUMENT on malformed input.
absl::StatusOr<Cursor> DecodeCursor(std::string_view bytes);
uint64_t ScopeFingerprint(const Device& device, std::vector<std::string> form_ids);

}  // namespace fieldsync

#endif  // FIELDSYNC_SERVER_SYNC_PULL_H_
