#include "server/admin/fleet_status.h"

#include <algorithm>
#include <set>

#include "absl/strings/str_cat.h"
#include "server/admin/page_token.h"
#include "server/common/status.h"

namespace fieldsync::admin {

const char* DeviceStatusName(DeviceStatus s) {
  switch (s) {
    case DeviceStatus::kInSync:
      return "in_sync";
    case DeviceStatus::kBehind:
      return "behind";
    case DeviceStatus::kSilent:
      return "silent";
  }
  return "unknown";
}

FleetStatus::FleetStatus(const Store* store, const CommitSequencer* sequencer, const Clock* clock,
                         FleetOptions options)
    : store_(store), sequencer_(sequencer), clock_(clock), options_(options) {}

DeviceStatus FleetStatus::StatusOf(const DeviceSyncState& state, uint64_t head_seq, int64_t now_ms,
                                   int64_t silent_after_ms) {
  if (state.last_seen_ms == 0 || now_ms - state.last_seen_ms > silent_after_ms) {
    return DeviceStatus::kSilent;
  }
  if (state.report.outbox_depth > 0 || state.last_pull_seq < head_seq) {
    return DeviceStatus::kBehind;
  }
  return DeviceStatus::kInSync;
}

absl::StatusOr<int64_t> FleetStatus::Threshold(int64_t requested) const {
  if (requested < 0) {
    return InvalidFieldsError("negative threshold", {{"silent_after_ms", "must be 0 or more"}});
  }
  return requested == 0 ? options_.silent_after_ms : requested;
}

DeviceView FleetStatus::ViewOf(Device device, DeviceSyncState state, uint64_t head, int64_t now,
                               int64_t silent_after_ms) const {
  DeviceView v;
  device.token_hash.clear();
  v.device = std::move(device);
  v.status = StatusOf(state, head, now, silent_after_ms);
  v.cursor_lag = head > state.last_pull_seq ? head - state.last_pull_seq : 0;
  v.state = std::move(state);
  return v;
}

namespace {

// An upper estimate of a device's size in a ListDevices answer (see ApproxWireBytes).
size_t ApproxWireBytes(const DeviceView& v) {
  size_t n = v.device.device_id.size() + v.state.report.app_version.size() + 512;
  for (const auto& p : v.device.scopes) n += p.field.size() + p.value.size() + 32;
  for (const auto& [form, version] : v.state.report.form_versions) n += form.size() + 32;
  return n;
}

bool Matches(const DeviceFilter& f, const DeviceView& v) {
  if (f.role && v.device.role != *f.role) return false;
  if (f.scope && !v.device.all_scopes &&
      std::find(v.device.scopes.begin(), v.device.scopes.end(), *f.scope) ==
          v.device.scopes.end()) {
    return false;
  }
  if (f.status && v.status != *f.status) return false;
  return true;
}

}  // namespace

absl::StatusOr<DevicePage> FleetStatus::List(const DeviceFilter& filter, uint32_t page_size,
                                             const std::string& page_token) const {
  FS_ASSIGN_OR_RETURN(const int64_t threshold, Threshold(filter.silent_after_ms));
  FS_ASSIGN_OR_RETURN(const std::string after, DecodePageToken(page_token));
  const uint32_t limit = PageSize(page_size, options_.default_page, options_.max_page);
  DevicePage page;
  page.head_seq = sequencer_->VisibleHead();
  page.now_ms = clock_->NowMs();
  size_t page_bytes = 0;
  // Devices are few (a fleet, not records): one scan of the device table per page.
  FS_ASSIGN_OR_RETURN(std::vector<Device> devices, store_->ListDevices());
  for (auto& d : devices) {
    if (!after.empty() && d.device_id <= after) continue;
    if (d.device_id.compare(0, filter.id_prefix.size(), filter.id_prefix) != 0) continue;
    if (page.devices.size() == limit) {
      page.next_page_token = EncodePageToken(page.devices.back().device.device_id);
      break;
    }
    FS_ASSIGN_OR_RETURN(DeviceSyncState state, store_->GetDeviceSyncState(d.device_id));
    DeviceView v = ViewOf(std::move(d), std::move(state), page.head_seq, page.now_ms, threshold);
    if (!Matches(filter, v)) continue;
    const size_t bytes = ApproxWireBytes(v);
    if (!page.devices.empty() && page_bytes + bytes > options_.max_page_bytes) {
      page.next_page_token = EncodePageToken(page.devices.back().device.device_id);
      break;
    }
    page_bytes += bytes;
    page.devices.push_back(std::move(v));
  }
  return page;
}

absl::StatusOr<std::vector<DeviceView>> FleetStatus::Snapshot(int64_t silent_after_ms) const {
  FS_ASSIGN_OR_RETURN(const int64_t threshold, Threshold(silent_after_ms));
  const uint64_t head = sequencer_->VisibleHead();
  const int64_t now = clock_->NowMs();
  FS_ASSIGN_OR_RETURN(std::vector<Device> devices, store_->ListDevices());
  std::vector<DeviceView> out;
  out.reserve(devices.size());
  for (auto& d : devices) {
    FS_ASSIGN_OR_RETURN(DeviceSyncState state, store_->GetDeviceSyncState(d.device_id));
    out.push_back(ViewOf(std::move(d), std::move(state), head, now, threshold));
  }
  return out;
}

absl::StatusOr<Overview> FleetStatus::GetOverview(int64_t silent_after_ms) const {
  FS_ASSIGN_OR_RETURN(const int64_t threshold, Threshold(silent_after_ms));
  FS_ASSIGN_OR_RETURN(std::vector<DeviceView> views, Snapshot(threshold));
  Overview o;
  o.head_seq = sequencer_->VisibleHead();
  o.now_ms = clock_->NowMs();
  o.silent_after_ms = threshold;
  std::map<ScopePair, ScopeBacklog> backlog;
  for (auto& v : views) {
    if (v.device.revoked) {
      o.revoked++;
      continue;
    }
    o.devices++;
    const DeviceSyncState& s = v.state;
    switch (v.status) {
      case DeviceStatus::kInSync:
        o.in_sync++;
        break;
      case DeviceStatus::kBehind:
        o.behind++;
        break;
      case DeviceStatus::kSilent:
        o.silent++;
        break;
    }
    o.open_conflicts += s.conflicts;
    o.quarantined += s.quarantined;
    o.outbox_depth += s.report.outbox_depth;
    std::vector<ScopePair> scopes = v.device.scopes;
    if (v.device.all_scopes) scopes = {ScopePair{"*", "*"}};
    for (const auto& p : scopes) {
      ScopeBacklog& b = backlog[p];
      b.scope = p;
      b.devices++;
      if (v.status == DeviceStatus::kSilent) b.silent_devices++;
      b.outbox_depth += s.report.outbox_depth;
      b.quarantined += s.quarantined;
      b.open_conflicts += s.conflicts;
      b.oldest_unsent_age_ms = std::max(b.oldest_unsent_age_ms, s.report.oldest_unsent_age_ms);
    }
    if (v.status == DeviceStatus::kSilent) o.silent_devices.push_back(std::move(v));
  }
  // Never seen (0) first, then the longest silent.
  std::stable_sort(o.silent_devices.begin(), o.silent_devices.end(),
                   [](const DeviceView& a, const DeviceView& b) {
                     return a.state.last_seen_ms < b.state.last_seen_ms;
                   });
  if (o.silent_devices.size() > options_.max_silent_listed) {
    o.silent_devices.resize(options_.max_silent_listed);
  }
  for (auto& [pair, b] : backlog) o.backlog.push_back(std::move(b));
  return o;
}

namespace {

std::string Digest(const DeviceView& v) {
  const DeviceSyncState& s = v.state;
  return absl::StrCat(static_cast<int>(v.status), "|", v.device.revoked, "|",
                      RoleName(v.device.role), "|", v.device.scopes.size(), "|", s.acked_seq, "|",
                      s.last_seen_ms, "|", s.last_push_ms, "|", s.last_pull_ms, "|",
                      s.last_pull_seq, "|", v.cursor_lag, "|", s.quarantined, "|", s.conflicts, "|",
                      s.report.outbox_depth, "|", s.report.oldest_unsent_age_ms, "|",
                      s.report.app_version, "|", s.report.free_storage_bytes, "|", s.clock_skew_ms);
}

}  // namespace

std::vector<StatusTracker::Change> StatusTracker::Update(const std::vector<DeviceView>& snapshot) {
  std::vector<Change> out;
  std::set<std::string> seen;
  for (const auto& v : snapshot) {
    seen.insert(v.device.device_id);
    std::string d = Digest(v);
    auto it = digests_.find(v.device.device_id);
    if (it != digests_.end() && it->second == d) continue;
    digests_[v.device.device_id] = std::move(d);
    out.push_back(Change{v, false});
  }
  for (auto it = digests_.begin(); it != digests_.end();) {
    if (seen.count(it->first)) {
      ++it;
      continue;
    }
    Change c;
    c.view.device.device_id = it->first;
    c.removed = true;
    out.push_back(std::move(c));
    it = digests_.erase(it);
  }
  std::sort(out.begin(), out.end(), [](const Change& a, const Change& b) {
    return a.view.device.device_id < b.view.device.device_id;
  });
  return out;
}

}  // namespace fieldsync::admin
