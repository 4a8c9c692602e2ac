// Where an export reads records from: the latest state of the records of one form whose last
// change lies in a seq range, found through the per-scope change index (so an export of one
// scope, or an incremental export, costs what it returns, not the whole store).
#ifndef FIELDSYNC_SERVER_EXPORT_RECORD_SOURCE_H_
#define FIELDSYNC_SERVER_EXPORT_RECORD_SOURCE_H_

#include <cstdint>
#include <functional>
#include <string>
#include <vector>

#include "absl/status/statusor.h"
#include "server/common/model.h"
#include "server/storage/store.h"
#include "server/sync/commit_sequencer.h"

namespace fieldsync::exporting {

struct SourceQuery {
  std::string form_id;
  // Index coordinates to read: FormWidePair() (sync/scope.h) for every record of the form,
  // else scope coordinates. A record under several of them is still visited once.
  std::vector<ScopePair> pairs;
  // Records whose last change has seq > after_seq.
  uint64_t after_seq = 0;
  // Index entries read per coordinate and records fetched per round (bounds memory).
  size_t page = 500;
};

class RecordSource {
 public:
  virtual ~RecordSource() = default;
  // The highest committed seq: every change at or below it is readable.
  virtual uint64_t Head() const = 0;
  // The oldest seq the change log still holds (0 if nothing was ever purged). Deletions
  // older than this may have left no trace an incremental export could find.
  virtual absl::StatusOr<uint64_t> OldestRetainedSeq() const = 0;
  // Calls fn(record) for each record of query.form_id indexed under one of query.pairs whose
  // last change has seq > after_seq, once, ascending by that seq, tombstones included (the
  // caller filters). The records are read as of one moment after the call starts: every
  // change at or below a Head() read before the call is included, changes committed during
  // the scan are not (the next incremental read finds them). Stops at the first error of fn
  // and returns it. Scope is NOT checked here: the caller decides what the reader may see.
  virtual absl::Status Scan(const SourceQuery& query,
                            const std::function<absl::Status(const Record&)>& fn) const = 0;
};

// The records of this process's store, read through a store snapshot held for one Scan.
// Thread-safe (each Scan is independent).
class StoreRecordSource final : public RecordSource {
 public:
  // Neither is owned; both must outlive this object.
  StoreRecordSource(const Store* store, const CommitSequencer* sequencer)
      : store_(store), sequencer_(sequencer) {}
  uint64_t Head() const override;
  absl::StatusOr<uint64_t> OldestRetainedSeq() const override;
  absl::Status Scan(const SourceQuery& query,
                    const std::function<absl::Status(const Record&)>& fn) const override;

 private:
  const Store* store_;
  const CommitSequencer* sequencer_;
};

}  // namespace fieldsync::exporting

#endif  // FIELDSYNC_SERVER_EXPORT_RECORD_SOURCE_H_
