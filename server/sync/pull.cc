#include "server/sync/pull.h"

#include <algorithm>
#include <map>
#include <set>
#include <unordered_map>
#include <utility>

#include "absl/strings/str_cat.h"
#include "server/common/hash.h"
#include "server/common/status.h"
#include "server/storage/keys.h"
#include "server/sync/scope.h"

namespace fieldsync {

namespace {
constexpr char kCursorVersion = 1;
}  // namespace

std::string EncodeCursor(const Cursor& c) {
  std::string out(1, kCursorVersion);
  keys::PutBigEndian64(&out, c.seq);
  keys::PutBigEndian64(&out, c.fingerprint);
  return out;
}

absl::StatusOr<Cursor> DecodeCursor(std::string_view bytes) {
  Cursor c;
  if (bytes.size() != 17 || bytes[0] != kCursorVersion) {
    return InvalidFieldsError("malformed cursor",
                              {{"cursor", "pass back a cursor this server issued, or none"}});
  }
  bytes.remove_prefix(1);
  keys::GetBigEndian64(&bytes, &c.seq);
  keys::GetBigEndian64(&bytes, &c.fingerprint);
  return c;
}

uint64_t ScopeFingerprint(const Device& device, std::vector<std::string> form_ids) {
  std::vector<ScopePair> scopes = device.scopes;
  std::sort(scopes.begin(), scopes.end());
  std::sort(form_ids.begin(), form_ids.end());
  std::string buf = absl::StrCat(device.all_scopes ? "*" : "-", "|");
  for (const auto& s : scopes)
    absl::StrAppend(&buf, s.field.size(), ":", s.field, s.value.size(), ":", s.value);
  absl::StrAppend(&buf, "|");
  for (const auto& f : form_ids) absl::StrAppend(&buf, f.size(), ":", f);
  std::string h = Sha256Hex(buf);
  return std::stoull(h.substr(0, 16), nullptr, 16);
}

absl::StatusOr<PullPage> PullCore::Pull(const Device& device, const PullQuery& query) {
  if (query.form_ids.size() > limits_.max_forms) {
    return InvalidFieldsError("too many form ids",
                              {{"form_ids", absl::StrCat("at most ", limits_.max_forms)}});
  }
  const uint32_t limit =
      query.limit == 0 ? limits_.default_page : std::min(query.limit, limits_.max_page);
  const uint64_t fingerprint = ScopeFingerprint(device, query.form_ids);
  const uint64_t head = ctx_.sequencer->VisibleHead();

  uint64_t after = 0;
  if (!query.cursor.empty()) {
    FS_ASSIGN_OR_RETURN(Cursor c, DecodeCursor(query.cursor));
    if (c.fingerprint != fingerprint) {
      return ResyncRequiredError("your scopes or form filter changed since this cursor");
    }
    FS_ASSIGN_OR_RETURN(uint64_t min_retained, ctx_.store->GetMeta(keys::kMinRetainedSeq));
    if (c.seq + 1 < min_retained) {
      return ResyncRequiredError(absl::StrCat(
          "cursor is older than the retained change log (oldest seq ", min_retained, ")"));
    }
    if (c.seq > head) {
      return ResyncRequiredError("cursor is ahead of this server (restored from a backup?)");
    }
    after = c.seq;
  }

  std::vector<std::string> form_ids = query.form_ids;
  if (form_ids.empty()) {
    FS_ASSIGN_OR_RETURN(form_ids, ctx_.forms->FormIds());
  }
  std::vector<ScopePair> pairs =
      device.all_scopes ? std::vector<ScopePair>{FormWidePair()} : device.scopes;

  // Read up to limit+1 entries of every (form, coordinate) index; the first `limit` distinct
  // seqs of their merge are then complete (see DESIGN.md "Pull").
  std::map<uint64_t, std::string> entries;  // seq -> record_id (one change per seq)
  for (const auto& form_id : form_ids) {
    for (const auto& pair : pairs) {
      uint32_t n = 0;
      FS_RETURN_IF_ERROR(ctx_.store->ScanScopeIndex(form_id, pair, after, head,
                                                    [&](uint64_t seq, std::string_view record_id) {
                                                      entries.emplace(seq, std::string(record_id));
                                                      return ++n <= limit;
                                                    }));
    }
  }

  // The first `limit` seqs make this page; their records are read in one batched lookup.
  PullPage page;
  std::vector<std::pair<uint64_t, std::string>> selected;
  for (auto& [seq, record_id] : entries) {
    if (selected.size() == limit) {
      page.has_more = true;
      break;
    }
    selected.emplace_back(seq, std::move(record_id));
  }
  std::unordered_map<std::string, size_t> slot;
  std::vector<std::string> ids;
  for (const auto& [seq, record_id] : selected) {
    if (slot.emplace(record_id, ids.size()).second) ids.push_back(record_id);
  }
  FS_ASSIGN_OR_RETURN(std::vector<std::optional<Record>> records, ctx_.store->GetRecords(ids));

  uint64_t last = after;
  size_t page_bytes = 0;
  std::vector<bool> emitted(ids.size(), false);
  std::map<std::pair<std::string, uint32_t>, std::shared_ptr<const FormSchema>> schemas;
  for (const auto& [seq, record_id] : selected) {
    const uint64_t previous = std::exchange(last, seq);
    const size_t i = slot[record_id];
    if (!records[i] || emitted[i]) continue;
    Record& rec = *records[i];
    const FormSchema* schema = nullptr;
    if (auto it = schemas.find({rec.form_id, rec.form_version}); it != schemas.end()) {
      schema = it->second.get();
    } else {
      FS_ASSIGN_OR_RETURN(auto s, ctx_.forms->Get(rec.form_id, rec.form_version));
      schema = s.get();
      schemas.emplace(std::make_pair(rec.form_id, rec.form_version), std::move(s));
    }
    const bool visible = InScope(device, schema->ScopeOfRecord(rec));
    if (visible && rec.seq != seq) continue;  // a later entry carries its latest version
    // A full snapshot (no cursor) has nothing to remove: records that left the scope are
    // simply not in it.
    if (!visible && query.cursor.empty()) continue;
    PulledRecord out;
    out.out_of_scope = !visible;
    if (out.out_of_scope) {
      // The device learns only that the record left its scope: which record, at which
      // version (so it can order the removal against its copy), nothing of its contents.
      Record removal;
      removal.record_id = std::move(rec.record_id);
      removal.form_id = std::move(rec.form_id);
      removal.version = rec.version;
      removal.seq = rec.seq;
      rec = std::move(removal);
    }
    rec.field_meta.clear();  // server-side merge metadata: not for devices
    const size_t bytes = ApproxWireBytes(rec);
    if (!page.records.empty() && page_bytes + bytes > limits_.max_page_bytes) {
      // The page is full: the cursor stops before this entry, which opens the next page.
      last = previous;
      page.has_more = true;
      break;
    }
    page_bytes += bytes;
    out.record = std::move(rec);
    page.records.push_back(std::move(out));
    emitted[i] = true;
  }
  if (!page.has_more) last = std::max(last, head);
  page.next_cursor = EncodeCursor(Cursor{last, fingerprint});

  // Remember the device's progress (not synced: losing it costs only a stale status).
  LockTable::Guard guard = ctx_.locks->Lock({DeviceLockKey(device.device_id)});
  FS_ASSIGN_OR_RETURN(DeviceSyncState state, ctx_.store->GetDeviceSyncState(device.device_id));
  state.last_seen_ms = state.last_pull_ms = ctx_.clock->NowMs();
  state.last_pull_seq = last;
  if (query.report != nullptr) {
    state.report = *query.report;
    if (query.report->device_clock_ms != 0) {
      state.clock_skew_ms = query.report->device_clock_ms - state.last_pull_ms;
    }
  }
  Store::Batch batch;
  batch.PutDeviceSyncState(device.device_id, state);
  FS_RETURN_IF_ERROR(ctx_.store->Write(batch, /*sync=*/false));
  return page;
}

}  // namespace fieldsync
