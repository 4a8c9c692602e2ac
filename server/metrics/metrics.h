// Metrics: the server's Prometheus registry. gRPC server metrics use the standard
// go-grpc-prometheus names (grpc_server_started_total, grpc_server_handled_total,
// grpc_server_msg_received_total, grpc_server_msg_sent_total,
// grpc_server_handling_seconds); domain metrics are fieldsync_*. Gauges that mirror state
// (devices, backlog, RocksDB) are computed at scrape time by collectors. No label ever holds a
// device id, record id or value: label sets stay small and bounded.
// Thread-safe.
#ifndef FIELDSYNC_SERVER_METRICS_METRICS_H_
#define FIELDSYNC_SERVER_METRICS_METRICS_H_

#include <prometheus/counter.h>
#include <prometheus/family.h>
#include <prometheus/gauge.h>
#include <prometheus/histogram.h>
#include <prometheus/metric_family.h>
#include <prometheus/registry.h>

#include <functional>
#include <memory>
#include <mutex>
#include <string>
#include <string_view>
#include <utility>
#include <vector>

namespace fieldsync {

enum class RpcType { kUnary, kClientStream, kServerStream, kBidiStream };
const char* RpcTypeLabel(RpcType t);

// The metric handles of one gRPC call, resolved once when it starts.
struct RpcCallMetrics {
  prometheus::Counter* msg_received = nullptr;
  prometheus::Counter* msg_sent = nullptr;
  std::string type;
  std::string service;
  std::string method;
};

// A gauge sample computed at scrape time.
struct GaugeSample {
  std::vector<std::pair<std::string, std::string>> labels;
  double value = 0;
};

class Metrics {
 public:
  Metrics();

  // ---- gRPC server ------------------------------------------------------------------------
  // `full_method` is "/package.Service/Method". Counts grpc_server_started_total.
  RpcCallMetrics StartRpc(std::string_view full_method, RpcType type);
  // grpc_server_handled_total{grpc_code} and grpc_server_handling_seconds.
  void EndRpc(const RpcCallMetrics& call, int grpc_code, double seconds);

  // ---- Sync ---------------------------------------------------------------------------------
  // fieldsync_push_mutations_total{outcome}: one per receipt.
  void CountMutation(std::string_view outcome, double n = 1);
  // fieldsync_push_batch_seconds: receipt of a batch to its durable acknowledgement.
  void ObservePushBatch(double seconds);
  // fieldsync_pull_records_total.
  void CountPulledRecords(double n);

  // ---- Attachments --------------------------------------------------------------------------
  // fieldsync_attachment_bytes_received_total: data bytes of Upload requests.
  void CountAttachmentBytesReceived(double n);
  // fieldsync_attachments_stored_total: blobs verified and stored.
  void CountAttachmentStored();
  // fieldsync_attachment_upload_resumes_total: uploads continued from a durable offset > 0.
  void CountAttachmentUploadResume();
  // fieldsync_attachment_bytes_sent_total: data bytes of Download responses.
  void CountAttachmentBytesSent(double n);

  // ---- Scrape-time gauges -------------------------------------------------------------------
  // Registers a gauge family whose samples `fn` computes at each scrape. `fn` must be
  // thread-safe and cheap (it runs on the HTTP thread); it must outlive this object or be
  // removed with ClearGauges() first.
  void AddGauge(std::string name, std::string help, std::function<std::vector<GaugeSample>()> fn);
  void ClearGauges();

  // The Prometheus text exposition of every metric.
  std::string Scrape() const;

  prometheus::Registry& registry() { return *registry_; }

 private:
  std::shared_ptr<prometheus::Registry> registry_;
  prometheus::Family<prometheus::Counter>* started_;
  prometheus::Family<prometheus::Counter>* handled_;
  prometheus::Family<prometheus::Counter>* msg_received_;
  prometheus::Family<prometheus::Counter>* msg_sent_;
  prometheus::Family<prometheus::Histogram>* handling_seconds_;
  prometheus::Family<prometheus::Counter>* mutations_;
  prometheus::Histogram* push_batch_seconds_;
  prometheus::Counter* pulled_records_;
  prometheus::Counter* attachment_bytes_;
  prometheus::Counter* attachments_stored_;
  prometheus::Counter* attachment_resumes_;
  prometheus::Counter* attachment_bytes_sent_;

  struct GaugeFn {
    std::string name;
    std::string help;
    std::function<std::vector<GaugeSample>()> fn;
  };
  mutable std::mutex gauges_mu_;
  std::vector<GaugeFn> gauges_;
};

}  // namespace fieldsync

#endif  // FIELDSYNC_SERVER_METRICS_METRICS_H_
