#include "server/export/record_source.h"

#include <map>
#include <unordered_map>

#include "server/common/status.h"
#include "server/storage/keys.h"

namespace fieldsync::exporting {

uint64_t StoreRecordSource::Head() const { return sequencer_->VisibleHead(); }

absl::StatusOr<uint64_t> StoreRecordSource::OldestRetainedSeq() const {
  return store_->GetMeta(keys::kMinRetainedSeq);
}

absl::Status StoreRecordSource::Scan(const SourceQuery& query,
                                     const std::function<absl::Status(const Record&)>& fn) const {
  const size_t page = std::max<size_t>(query.page, 1);
  // One view for the whole scan: a record edited meanwhile cannot move from an index entry
  // already passed to one still ahead (and be read twice), nor the other way (and be missed).
  const std::unique_ptr<Store::Snapshot> view = store_->TakeSnapshot();
  uint64_t after = query.after_seq;
  while (true) {
    // page+1 entries per coordinate: the first `page` seqs of their merge are then complete.
    // A record under several coordinates has one entry in each at the same seq: the map
    // keeps one.
    std::map<uint64_t, std::string> entries;
    for (const auto& pair : query.pairs) {
      size_t n = 0;
      FS_RETURN_IF_ERROR(store_->ScanScopeIndex(
          query.form_id, pair, after, UINT64_MAX,
          [&](uint64_t seq, std::string_view id) {
            entries.emplace(seq, std::string(id));
            return ++n <= page;
          },
          view.get()));
    }
    if (entries.empty()) return absl::OkStatus();
    const bool more = entries.size() > page;
    std::vector<std::pair<uint64_t, std::string>> selected;
    for (auto& [seq, id] : entries) {
      if (selected.size() == page) break;
      selected.emplace_back(seq, std::move(id));
    }
    entries.clear();
    std::unordered_map<std::string, size_t> slot;
    std::vector<std::string> ids;
    for (const auto& [seq, id] : selected) {
      if (slot.emplace(id, ids.size()).second) ids.push_back(id);
    }
    FS_ASSIGN_OR_RETURN(std::vector<std::optional<Record>> records,
                        store_->GetRecords(ids, view.get()));
    for (const auto& [seq, id] : selected) {
      const std::optional<Record>& rec = records[slot[id]];
      // An entry below the record's seq is an exit entry: the record left that coordinate.
      if (!rec || rec->form_id != query.form_id || rec->seq != seq) continue;
      FS_RETURN_IF_ERROR(fn(*rec));
    }
    if (!more) return absl::OkStatus();
    after = selected.back().first;
  }
}

}  // namespace fieldsync::exporting
