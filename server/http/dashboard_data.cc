#include "server/http/dashboard_data.h"

#include <ctime>
#include <map>
#include <nlohmann/json.hpp>

#include "server/common/status.h"

namespace fieldsync {

absl::StatusOr<std::string> FleetJson(const admin::FleetStatus& fleet, int64_t silent_after_ms,
                                      uint32_t max_devices) {
  FS_ASSIGN_OR_RETURN(admin::Overview ov, fleet.GetOverview(silent_after_ms));
  admin::DeviceFilter filter;
  filter.silent_after_ms = silent_after_ms;
  FS_ASSIGN_OR_RETURN(admin::DevicePage page, fleet.List(filter, max_devices, ""));
  nlohmann::json doc;
  doc["now_ms"] = ov.now_ms;
  doc["head_seq"] = ov.head_seq;
  doc["silent_after_ms"] = ov.silent_after_ms;
  doc["totals"] = {{"devices", ov.devices},         {"in_sync", ov.in_sync},
                   {"behind", ov.behind},           {"silent", ov.silent},
                   {"revoked", ov.revoked},         {"conflicts", ov.open_conflicts},
                   {"quarantined", ov.quarantined}, {"outbox", ov.outbox_depth}};
  nlohmann::json devices = nlohmann::json::array();
  for (const auto& v : page.devices) {
    devices.push_back({{"device_id", v.device.device_id},
                       {"role", RoleName(v.device.role)},
                       {"status", v.device.revoked ? "revoked" : admin::DeviceStatusName(v.status)},
                       {"revoked", v.device.revoked},
                       {"last_seen_ms", v.state.last_seen_ms},
                       {"last_push_ms", v.state.last_push_ms},
                       {"last_pull_ms", v.state.last_pull_ms},
                       {"cursor_lag", v.cursor_lag},
                       {"outbox_depth", v.state.report.outbox_depth},
                       {"oldest_unsent_age_ms", v.state.report.oldest_unsent_age_ms},
                       {"conflicts", v.state.conflicts},
                       {"quarantined", v.state.quarantined},
                       {"app_version", v.state.report.app_version}});
  }
  doc["devices"] = std::move(devices);
  doc["truncated"] = !page.next_page_token.empty();
  // Invalid UTF-8 in an app version must not fail the whole document.
  return doc.dump(-1, ' ', false, nlohmann::json::error_handler_t::replace);
}

absl::StatusOr<std::string> ChartJson(const aggregation::AggregationQueries& queries,
                                      const Clock& clock, const std::string& form_id,
                                      const std::string& aggregation, int days) {
  aggregation::QueryRequest req;
  req.form_id = form_id;
  req.aggregation = aggregation;
  if (req.form_id.empty() || req.aggregation.empty()) {
    FS_ASSIGN_OR_RETURN(auto all, queries.List());
    for (const auto& [form, def] : all) {
      if (!def.time_field.empty() && def.bucket == TimeBucket::kDay) {
        req.form_id = form;
        req.aggregation = def.name;
        break;
      }
    }
  }
  nlohmann::json doc;
  doc["points"] = nlohmann::json::array();
  if (req.form_id.empty()) {
    doc["message"] = "No aggregation with a daily time bucket is defined.";
    return doc.dump();
  }
  const int64_t day_ms = 24LL * 3600 * 1000;
  auto date_of = [](int64_t ms) {
    std::time_t t = static_cast<std::time_t>(ms / 1000);
    std::tm tm{};
    gmtime_r(&t, &tm);
    char buf[16];
    std::strftime(buf, sizeof(buf), "%Y-%m-%d", &tm);
    return std::string(buf);
  };
  const int64_t now = clock.NowMs();
  req.from_date = date_of(now - static_cast<int64_t>(days - 1) * day_ms);
  req.to_date = date_of(now);
  req.group_by = std::vector<std::string>{};
  Device caller;
  caller.device_id = "dashboard";
  caller.role = Role::kAdmin;
  caller.all_scopes = true;
  FS_ASSIGN_OR_RETURN(aggregation::QueryResult result, queries.Query(caller, req));
  // Every day of the range, zero where no record landed.
  std::map<std::string, int64_t> per_day;
  for (const auto& row : result.rows) per_day[row.bucket_label] += row.cell.count;
  for (int i = days - 1; i >= 0; --i) {
    std::string label = date_of(now - static_cast<int64_t>(i) * day_ms);
    auto it = per_day.find(label);
    doc["points"].push_back({{"label", label}, {"value", it == per_day.end() ? 0 : it->second}});
  }
  doc["title"] = req.form_id + " / " + req.aggregation + ": records per day";
  const auto& f = result.freshness;
  doc["freshness"] = "aggregated up to change " + std::to_string(f.checkpoint_seq) + " of " +
                     std::to_string(f.head_seq);
  doc["checkpoint_seq"] = f.checkpoint_seq;
  doc["head_seq"] = f.head_seq;
  return doc.dump(-1, ' ', false, nlohmann::json::error_handler_t::replace);
}

}  // namespace fieldsync
