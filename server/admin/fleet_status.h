// FleetStatus: the admin's view of the fleet (DESIGN.md "Devices and the fleet"): per device
// its identity, sync progress (kept by PushCore and PullCore in DeviceSyncState), its own
// report and a status (in sync, behind, silent) judged against the Clock; fleet totals and
// backlog per scope value; and StatusTracker, which turns successive snapshots into the
// changes WatchSyncStatus streams. Thread-safe (reads only).
#ifndef FIELDSYNC_SERVER_ADMIN_FLEET_STATUS_H_
#define FIELDSYNC_SERVER_ADMIN_FLEET_STATUS_H_

#include <cstdint>
#include <map>
#include <optional>
#include <string>
#include <vector>

#include "absl/status/statusor.h"
#include "server/common/clock.h"
#include "server/common/model.h"
#include "server/storage/store.h"
#include "server/sync/commit_sequencer.h"

namespace fieldsync::admin {

enum class DeviceStatus { kInSync = 1, kBehind = 2, kSilent = 3 };
const char* DeviceStatusName(DeviceStatus s);

struct FleetOptions {
  // A device not seen for longer than this is silent (requests may pass their own).
  int64_t silent_after_ms = 6LL * 3600 * 1000;
  uint32_t default_page = 100;
  uint32_t max_page = 1000;
  // Silent devices listed by Overview() (longest silent first).
  size_t max_silent_listed = 100;
  // A List() page ends before the device that would take it over this many bytes (at least
  // one device per page): device reports are the devices' own strings.
  size_t max_page_bytes = 3 << 20;
};

struct DeviceView {
  Device device;  // token_hash cleared
  DeviceSyncState state;
  DeviceStatus status = DeviceStatus::kSilent;
  uint64_t cursor_lag = 0;  // head seq - last pull seq
};

struct DeviceFilter {
  std::optional<Role> role;
  std::optional<ScopePair> scope;  // devices holding it (all-scope devices match any)
  std::optional<DeviceStatus> status;
  std::string id_prefix;
  int64_t silent_after_ms = 0;  // 0: FleetOptions::silent_after_ms
};

struct DevicePage {
  std::vector<DeviceView> devices;
  std::string next_page_token;  // "" when there are no more
  uint64_t head_seq = 0;
  int64_t now_ms = 0;
};

struct ScopeBacklog {
  ScopePair scope;
  uint64_t devices = 0;
  uint64_t silent_devices = 0;
  uint64_t outbox_depth = 0;
  uint64_t quarantined = 0;
  uint64_t open_conflicts = 0;
  int64_t oldest_unsent_age_ms = 0;
};

struct Overview {
  uint64_t devices = 0, in_sync = 0, behind = 0, silent = 0, revoked = 0;
  uint64_t open_conflicts = 0, quarantined = 0, outbox_depth = 0;
  uint64_t head_seq = 0;
  int64_t now_ms = 0;
  int64_t silent_after_ms = 0;
  std::vector<DeviceView> silent_devices;  // longest silent first, at most max_silent_listed
  std::vector<ScopeBacklog> backlog;       // by scope field, then value
};

class FleetStatus {
 public:
  // None of the pointers is owned; all must outlive this object.
  FleetStatus(const Store* store, const CommitSequencer* sequencer, const Clock* clock,
              FleetOptions options);

  // Devices matching `filter`, ordered by device id, at most `page_size` (0: the default;
  // capped at max_page) after `page_token`. Revoked devices are listed (and marked).
  // Errors: INVALID_ARGUMENT for a malformed page token or a negative threshold.
  absl::StatusOr<DevicePage> List(const DeviceFilter& filter, uint32_t page_size,
                                  const std::string& page_token) const;

  // Totals over every non-revoked device, the silent ones, and the backlog (outbox depth,
  // quarantine, conflicts) of the devices holding each scope value. Revoked devices are only
  // counted in `revoked`. INVALID_ARGUMENT for a negative threshold.
  absl::StatusOr<Overview> GetOverview(int64_t silent_after_ms) const;

  // Every device's view now (for StatusTracker).
  absl::StatusOr<std::vector<DeviceView>> Snapshot(int64_t silent_after_ms) const;

  // The status of one device's state at `now_ms` with the head at `head_seq`.
  static DeviceStatus StatusOf(const DeviceSyncState& state, uint64_t head_seq, int64_t now_ms,
                               int64_t silent_after_ms);

  const FleetOptions& options() const { return options_; }

 private:
  absl::StatusOr<int64_t> Threshold(int64_t requested) const;
  DeviceView ViewOf(Device device, DeviceSyncState state, uint64_t head, int64_t now,
                    int64_t silent_after_ms) const;

  const Store* store_;
  const CommitSequencer* sequencer_;
  const Clock* clock_;
  FleetOptions options_;
};

// Remembers the last view of each device sent on one stream (a small digest per device, so
// memory is bounded by the fleet size) and reports what changed. Not thread-safe: one per
// stream.
class StatusTracker {
 public:
  struct Change {
    DeviceView view;
    bool removed = false;  // only view.device.device_id is set
  };
  // The devices whose view differs from the last Update (all of them the first time), and
  // the devices that disappeared, ordered by device id.
  std::vector<Change> Update(const std::vector<DeviceView>& snapshot);
  size_t size() const { return digests_.size(); }

 private:
  std::map<std::string, std::string> digests_;
};

}  // namespace fieldsync::admin

#endif  // FIELDSYNC_SERVER_ADMIN_FLEET_STATUS_H_
