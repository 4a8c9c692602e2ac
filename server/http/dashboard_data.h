// The JSON documents the dashboard polls, built from the admin and aggregation cores.
#ifndef FIELDSYNC_SERVER_HTTP_DASHBOARD_DATA_H_
#define FIELDSYNC_SERVER_HTTP_DASHBOARD_DATA_H_

#include <cstdint>
#include <string>

#include "absl/status/statusor.h"
#include "server/admin/fleet_status.h"
#include "server/aggregation/query.h"
#include "server/common/clock.h"

namespace fieldsync {

// {"now_ms", "head_seq", "silent_after_ms", "totals": {devices, in_sync, behind, silent,
//  revoked, conflicts, quarantined, outbox}, "devices": [{device_id, role, status,
//  last_seen_ms, last_push_ms, last_pull_ms, cursor_lag, outbox_depth, oldest_unsent_age_ms,
//  conflicts, quarantined, app_version, revoked}], "truncated": bool}
// At most `max_devices` devices (ordered by id); `silent_after_ms` 0 uses the fleet default.
absl::StatusOr<std::string> FleetJson(const admin::FleetStatus& fleet, int64_t silent_after_ms,
                                      uint32_t max_devices);

// The per-day chart: {"title", "freshness", "points": [{"label": "YYYY-MM-DD", "value"}]}:
// record counts of one aggregation over the last `days` days, every group-by rolled up, over
// all scopes. `form_id`/`aggregation` empty: the first aggregation with a time field.
// INVALID_ARGUMENT for an unknown aggregation; "points" is empty when none is defined.
absl::StatusOr<std::string> ChartJson(const aggregation::AggregationQueries& queries,
                                      const Clock& clock, const std::string& form_id,
                                      const std::string& aggregation, int days);

}  // namespace fieldsync

#endif  // FIELDSYNC_SERVER_HTTP_DASHBOARD_DATA_H_
