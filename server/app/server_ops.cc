// FieldsyncServer's operations side: the Prometheus metrics (gRPC interceptor, scrape-time
// gauges) and the admin HTTP port with the dashboard.
#include <fstream>
#include <mutex>

#include "absl/strings/str_cat.h"
#include "absl/strings/str_replace.h"
#include "server/app/server.h"
#include "server/common/log.h"
#include "server/common/status.h"
#include "server/http/dashboard_data.h"

namespace fieldsync {
namespace {

// One fleet overview per scrape, shared by the gauges that read it.
class OverviewCache {
 public:
  OverviewCache(const admin::FleetStatus* fleet, const Clock* clock)
      : fleet_(fleet), clock_(clock) {}
  std::optional<admin::Overview> Get() {
    std::lock_guard<std::mutex> l(mu_);
    const int64_t now = clock_->NowMs();
    if (!cached_ || now - at_ms_ > 1000 || now < at_ms_) {
      auto ov = fleet_->GetOverview(0);
      if (!ov.ok()) return std::nullopt;
      cached_ = std::move(*ov);
      at_ms_ = now;
    }
    return cached_;
  }

 private:
  const admin::FleetStatus* fleet_;
  const Clock* clock_;
  std::mutex mu_;
  std::optional<admin::Overview> cached_;
  int64_t at_ms_ = 0;
};

std::vector<GaugeSample> One(double v) { return {GaugeSample{{}, v}}; }

}  // namespace

void FieldsyncServer::RegisterGauges() {
  auto cache = std::make_shared<OverviewCache>(fleet_.get(), clock_);
  CommitSequencer* seq = engine_->sequencer();
  metrics_->AddGauge("fieldsync_head_seq", "Highest committed change seq.",
                     [seq] { return One(static_cast<double>(seq->VisibleHead())); });
  metrics_->AddGauge("fieldsync_devices", "Devices by sync status.", [cache] {
    std::vector<GaugeSample> out;
    if (auto ov = cache->Get()) {
      out.push_back({{{"status", "in_sync"}}, static_cast<double>(ov->in_sync)});
      out.push_back({{{"status", "behind"}}, static_cast<double>(ov->behind)});
      out.push_back({{{"status", "silent"}}, static_cast<double>(ov->silent)});
      out.push_back({{{"status", "revoked"}}, static_cast<double>(ov->revoked)});
    }
    return out;
  });
  metrics_->AddGauge(
      "fieldsync_open_conflicts", "Open conflict entries over all devices.", [cache] {
        auto ov = cache->Get();
        return ov ? One(static_cast<double>(ov->open_conflicts)) : std::vector<GaugeSample>{};
      });
  metrics_->AddGauge("fieldsync_quarantined_records", "Mutations held in quarantine.", [cache] {
    auto ov = cache->Get();
    return ov ? One(static_cast<double>(ov->quarantined)) : std::vector<GaugeSample>{};
  });
  metrics_->AddGauge("fieldsync_device_outbox_records",
                     "Unsent records devices reported in their last sync.", [cache] {
                       auto ov = cache->Get();
                       return ov ? One(static_cast<double>(ov->outbox_depth))
                                 : std::vector<GaugeSample>{};
                     });
  if (agg_consumer_) {
    aggregation::AggregationConsumer* consumer = agg_consumer_.get();
    aggregation::AggregationQueries* queries = agg_queries_.get();
    metrics_->AddGauge("fieldsync_aggregation_feed_lag_changes",
                       "Changes committed but not yet in the aggregation cells.", [consumer, seq] {
                         uint64_t head = seq->VisibleHead();
                         uint64_t cp = consumer->status().checkpoint_seq;
                         return One(head > cp ? static_cast<double>(head - cp) : 0.0);
                       });
    metrics_->AddGauge(
        "fieldsync_aggregation_skipped_changes",
        "Changes the aggregation consumer could not use (unknown form).",
        [consumer] { return One(static_cast<double>(consumer->status().skipped_changes)); });
    metrics_->AddGauge(
        "fieldsync_aggregation_verify_drift_cells", "Cells found drifting by Verify since start.",
        [queries] { return One(static_cast<double>(queries->verify_drift_cells())); });
  }
  Store* store = store_.get();
  // A crash loop or a compaction backlog shows here first (Store::Write answers UNAVAILABLE
  // while writes are stopped, and health "fieldsync.v1.SyncService" is NOT_SERVING).
  metrics_->AddGauge("fieldsync_store_writes_stopped",
                     "1 while RocksDB has stopped writes (pushes answer UNAVAILABLE).",
                     [store] { return One(store->GetWriteStall().stopped ? 1.0 : 0.0); });
  metrics_->AddGauge("fieldsync_store_level0_files",
                     "RocksDB level-0 files (writes stop at 36, slow down at 20).",
                     [store] { return One(static_cast<double>(store->GetWriteStall().l0_files)); });
  for (const char* prop :
       {"rocksdb.estimate-num-keys", "rocksdb.total-sst-files-size",
        "rocksdb.cur-size-all-mem-tables", "rocksdb.block-cache-usage",
        "rocksdb.estimate-pending-compaction-bytes", "rocksdb.num-running-compactions",
        "rocksdb.background-errors", "rocksdb.actual-delayed-write-rate"}) {
    std::string name = absl::StrReplaceAll(prop, {{"rocksdb.", "fieldsync_rocksdb_"}, {"-", "_"}});
    std::string property = prop;
    metrics_->AddGauge(name, absl::StrCat("RocksDB property ", prop, "."), [store, property] {
      auto v = store->GetIntProperty(property);
      return v ? One(static_cast<double>(*v)) : std::vector<GaugeSample>{};
    });
  }
}

absl::Status FieldsyncServer::StartOpenRosa() {
  if (config_.openrosa_listen.empty()) return absl::OkStatus();
  openrosa_core_ = std::make_unique<openrosa::SubmissionCore>(forms_.get(), engine_->push(),
                                                              store_.get(), blobs_.get(), clock_);
  openrosa::OpenRosaHttpOptions o;
  o.listen = config_.openrosa_listen;
  o.tls_cert_file = config_.tls_cert_file;
  o.tls_key_file = config_.tls_key_file;
  o.threads = config_.openrosa_threads;
  o.max_body_bytes = config_.openrosa_max_body_bytes;
  o.registry = devices_.get();
  o.limits = limits_.get();
  o.core = openrosa_core_.get();
  o.forms = forms_.get();
  o.blobs = blobs_.get();
  FS_ASSIGN_OR_RETURN(openrosa_http_, openrosa::OpenRosaHttpServer::Start(std::move(o)));
  if (!config_.openrosa_port_file.empty()) {
    std::string tmp = config_.openrosa_port_file + ".tmp";
    {
      std::ofstream out(tmp);
      out << openrosa_http_->port() << "\n";
    }
    std::rename(tmp.c_str(), config_.openrosa_port_file.c_str());
  }
  LogEvent(LogLevel::kInfo, "openrosa_listening")
      .Str("address", config_.openrosa_listen)
      .Int("port", openrosa_http_->port())
      .Bool("tls", openrosa_http_->tls());
  return absl::OkStatus();
}

absl::Status FieldsyncServer::StartAdminHttp() {
  if (config_.admin_listen.empty()) return absl::OkStatus();
  AdminHttpOptions o;
  o.listen = config_.admin_listen;
  o.metrics = metrics_.get();
  o.serving = [this] { return serving_.load(); };
  const admin::FleetStatus* fleet = fleet_.get();
  o.api["fleet"] = [fleet](const std::map<std::string, std::string>&) {
    return FleetJson(*fleet, 0, 500);
  };
  const aggregation::AggregationQueries* queries = agg_queries_.get();
  const Clock* clock = clock_;
  o.api["chart"] =
      [queries, clock](const std::map<std::string, std::string>& q) -> absl::StatusOr<std::string> {
    if (queries == nullptr) return std::string(R"({"points":[],"message":"aggregation is off"})");
    auto get = [&q](const char* k) {
      auto it = q.find(k);
      return it == q.end() ? std::string() : it->second;
    };
    return ChartJson(*queries, *clock, get("form"), get("aggregation"), 30);
  };
  FS_ASSIGN_OR_RETURN(admin_http_, AdminHttpServer::Start(std::move(o)));
  if (!config_.admin_port_file.empty()) {
    std::string tmp = config_.admin_port_file + ".tmp";
    {
      std::ofstream out(tmp);
      out << admin_http_->port() << "\n";
    }
    std::rename(tmp.c_str(), config_.admin_port_file.c_str());
  }
  LogEvent(LogLevel::kInfo, "admin_http_listening")
      .Str("address", config_.admin_listen)
      .Int("port", admin_http_->port());
  return absl::OkStatus();
}

}  // namespace fieldsync
