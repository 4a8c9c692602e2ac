// Child records (DESIGN.md "Repeats"): every repeat instance is a record with its parent,
// repeat name and ordinal. This file holds what the push path and quarantine replay do with
// them, so both apply the same rules:
//   - RecordSlots: the records one batch reads and writes, read once, updated as the batch
//     changes them, and the children each record has (stored, plus those created in the batch);
//   - LockTrees: the LockTable keys a batch takes. Every write to a record of a tree holds
//     the lock of the tree's root, so a root delete (which tombstones the tree) or a root move
//     (which moves the tree's scope) never races an edit of one of its children;
//   - PlaceChild: the checks of a mutation's place in its tree (parent known, alive, of the
//     same form, in the caller's scopes; the repeat exists and is directly inside the parent's
//     repeat; parent and repeat never change);
//   - Subtree / StageSubtreeChanges: after a record is deleted or its scope moves, the same
//     change for every record below it, in the same batch.
#ifndef FIELDSYNC_SERVER_SYNC_RECORD_TREE_H_
#define FIELDSYNC_SERVER_SYNC_RECORD_TREE_H_

#include <optional>
#include <string>
#include <unordered_map>
#include <vector>

#include "absl/status/statusor.h"
#include "server/common/model.h"
#include "server/forms/form_schema.h"
#include "server/storage/store.h"
#include "server/sync/commit.h"
#include "server/sync/lock_table.h"

namespace fieldsync {

// Bounds of a record tree.
struct TreeLimits {
  // Most child records (instances of all its repeats together) one record may have.
  size_t max_children = 1000;
  // Most records one delete or scope move may cascade to (the whole subtree).
  size_t max_subtree = 20'000;
};

// Not thread-safe: one per batch, used under the batch's locks.
class RecordSlots {
 public:
  // `store` is not owned and must outlive this object.
  explicit RecordSlots(const Store* store) : store_(store) {}

  // Reads these records in one lookup (those already held are kept as they are).
  absl::Status Load(const std::vector<std::string>& ids);
  // The slot of `id` (std::nullopt inside: the server has no such record), read on first use.
  // The pointer stays valid for the life of this object.
  absl::StatusOr<std::optional<Record>*> Get(const std::string& id);

  // The ids of the children of `parent_id` (deleted ones too): those stored and those created
  // by this batch, at most `limit` (then the caller knows there are too many).
  absl::StatusOr<std::vector<std::string>> ChildrenOf(const std::string& parent_id, size_t limit);
  // Records that `child_id` was created under `parent_id` by this batch.
  void AddChild(const std::string& parent_id, const std::string& child_id);

 private:
  const Store* store_;
  std::unordered_map<std::string, std::optional<Record>> slots_;
  std::unordered_map<std::string, std::vector<std::string>> new_children_;
};

// Takes `keys` (the device's), every record `batch` names, the parents its creates name and
// the roots of the trees all of those are in, and loads the batch's records into `*slots`
// (fresh). A record's root never changes once it exists, so the roots are found by reading
// under the first locks and taking the missing ones with a second (a batch of root records
// locks and reads once). Gives up with ABORTED after a few rounds of trees appearing meanwhile.
absl::StatusOr<LockTable::Guard> LockTrees(LockTable* locks, const Store* store,
                                           std::vector<std::string> keys,
                                           const std::vector<Mutation>& batch, RecordSlots* slots);

// The outcome of PlaceChild: ok, or a rejection (reason tag and field errors).
struct Placement {
  bool ok = true;
  std::string reason;
  std::vector<FieldError> errors;
  // The repeat the record is (to be) an instance of; "" for a root record.
  std::string repeat;
};

// Checks the place of `m` in its tree: `current` is the record as stored (nullptr if absent),
// `writer` the device. For a create of a child (a mutation naming a parent): the repeat is a
// repeat of the form; the ordinal is 1 or more; the parent exists, is not deleted, is of the
// same form, lies in the writer's scopes (else answered as unknown: nothing of another scope
// leaks) and is an instance of the repeat directly around `m.repeat` (the root for a top-level
// repeat); the parent has fewer than limits.max_children children. For an edit: parent and
// repeat, if given, are the record's, the ordinal 0 or the record's; an upsert of a child
// whose parent is deleted is refused. A mutation of a root names no repeat and no ordinal.
// A refused unknown parent has reason "parent_unknown" (replayable once the parent arrives).
absl::StatusOr<Placement> PlaceChild(const FormSchema& schema, const Device& writer,
                                     const Mutation& m, const Record* current, RecordSlots* slots,
                                     const TreeLimits& limits);

// Sets the tree members of a child record created by `m` (parent, repeat, ordinal, root id
// and root scope) from its parent, which PlaceChild accepted.
absl::Status AdoptParent(const FormSchema& schema, const Mutation& m, RecordSlots* slots,
                         Record* created);

// Whether staging `after` (the new state of a record whose state was `before`, nullptr if
// created) must change the records below it: it was deleted, or its scope moved (a root's
// scope fields changed).
bool ChangesSubtree(const FormSchema& schema, const Record* before, const Record& after);

// Every record below `record_id` (children, their children, ...), parents before children.
// INVALID_ARGUMENT if there are more than limits.max_subtree (the caller rejects the mutation).
absl::StatusOr<std::vector<std::optional<Record>*>> Subtree(const std::string& record_id,
                                                            const TreeLimits& limits,
                                                            RecordSlots* slots);

// After `after` is staged and ChangesSubtree() said so: if it was deleted, tombstones every
// live record of `subtree`; otherwise gives every one of them `after`'s scope. Each is a change
// of its own (version + 1, next seq, change-log entry, scope index moves) in `commit`, written
// by `writer` with `hlc` at `now_ms`; the slots are updated. Errors from the seq allocation
// (commit.h): the batch must not be written.
absl::Status StageSubtreeChanges(const FormSchema& schema, const Record& after,
                                 const std::vector<std::optional<Record>*>& subtree,
                                 const Device& writer, const Hlc& hlc, int64_t now_ms,
                                 RecordCommit* commit);

// The XLSForm checks (forms/record_checks.h) of `record`, the new state of a record that a
// mutation leaves, on its tree as `slots` hold it (its ancestors, and the whole tree of its
// root when the form's expressions read repeat instances; deleted records left out).
// `plaintext` (the mutation's values before pseudonymisation, or nullptr on a replay) is
// overlaid on `record`'s values; the constraints of pii fields it does not carry are not
// evaluated (their stored values are pseudonyms). Server rules: expressions that read the
// clock or random bits are the device's. Errors from storage only; an oversized tree is a
// field error.
absl::StatusOr<std::vector<FieldError>> CheckInTree(const FormSchema& schema, const Record& record,
                                                    const FieldMap* plaintext, int64_t now_ms,
                                                    const TreeLimits& limits, RecordSlots* slots);

}  // namespace fieldsync

#endif  // FIELDSYNC_SERVER_SYNC_RECORD_TREE_H_
