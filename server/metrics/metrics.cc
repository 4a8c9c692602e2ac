#include "server/metrics/metrics.h"

#include <prometheus/text_serializer.h>

#include <sstream>

namespace fieldsync {
namespace {

const char* const kCodeNames[] = {
    "OK",       "Canceled",       "Unknown",          "InvalidArgument",   "DeadlineExceeded",
    "NotFound", "AlreadyExists",  "PermissionDenied", "ResourceExhausted", "FailedPrecondition",
    "Aborted",  "OutOfRange",     "Unimplemented",    "Internal",          "Unavailable",
    "DataLoss", "Unauthenticated"};

// go-grpc-prometheus buckets, widened for long-lived sync streams.
const prometheus::Histogram::BucketBoundaries& HandlingBuckets() {
  static const auto* b = new prometheus::Histogram::BucketBoundaries{
      0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10, 30, 60, 300};
  return *b;
}

}  // namespace

const char* RpcTypeLabel(RpcType t) {
  switch (t) {
    case RpcType::kUnary:
      return "unary";
    case RpcType::kClientStream:
      return "client_stream";
    case RpcType::kServerStream:
      return "server_stream";
    case RpcType::kBidiStream:
      return "bidi_stream";
  }
  return "unknown";
}

Metrics::Metrics() : registry_(std::make_shared<prometheus::Registry>()) {
  started_ = &prometheus::BuildCounter()
                  .Name("grpc_server_started_total")
                  .Help("Total number of RPCs started on the server.")
                  .Register(*registry_);
  handled_ = &prometheus::BuildCounter()
                  .Name("grpc_server_handled_total")
                  .Help("Total number of RPCs completed on the server, regardless of success.")
                  .Register(*registry_);
  msg_received_ = &prometheus::BuildCounter()
                       .Name("grpc_server_msg_received_total")
                       .Help("Total number of RPC stream messages received on the server.")
                       .Register(*registry_);
  msg_sent_ = &prometheus::BuildCounter()
                   .Name("grpc_server_msg_sent_total")
                   .Help("Total number of gRPC stream messages sent by the server.")
                   .Register(*registry_);
  handling_seconds_ = &prometheus::BuildHistogram()
                           .Name("grpc_server_handling_seconds")
                           .Help(
                               "Histogram of response latency (seconds) of gRPC that had been "
                               "application-level handled by the server.")
                           .Register(*registry_);
  mutations_ = &prometheus::BuildCounter()
                    .Name("fieldsync_push_mutations_total")
                    .Help("Mutations received from devices, by receipt outcome.")
                    .Register(*registry_);
  push_batch_seconds_ =
      &prometheus::BuildHistogram()
           .Name("fieldsync_push_batch_seconds")
           .Help("Time from receiving a push batch to its durable receipts.")
           .Register(*registry_)
           .Add({}, prometheus::Histogram::BucketBoundaries{0.001, 0.0025, 0.005, 0.01, 0.025, 0.05,
                                                            0.1, 0.25, 0.5, 1, 2.5, 5});
  pulled_records_ = &prometheus::BuildCounter()
                         .Name("fieldsync_pull_records_total")
                         .Help("Records (and removals) sent to devices by Pull.")
                         .Register(*registry_)
                         .Add({});
  auto counter = [this](const char* name, const char* help) {
    return &prometheus::BuildCounter().Name(name).Help(help).Register(*registry_).Add({});
  };
  attachment_bytes_ = counter("fieldsync_attachment_bytes_received_total",
                              "Attachment bytes received by AttachmentService.Upload.");
  attachments_stored_ = counter("fieldsync_attachments_stored_total",
                                "Attachments verified against their hash and stored.");
  attachment_resumes_ = counter("fieldsync_attachment_upload_resumes_total",
                                "Uploads that continued a cut upload from its durable offset.");
  attachment_bytes_sent_ = counter("fieldsync_attachment_bytes_sent_total",
                                   "Attachment bytes sent by AttachmentService.Download.");
}

RpcCallMetrics Metrics::StartRpc(std::string_view full_method, RpcType type) {
  RpcCallMetrics call;
  std::string_view m = full_method;
  if (!m.empty() && m.front() == '/') m.remove_prefix(1);
  size_t slash = m.find('/');
  call.service = std::string(m.substr(0, slash));
  call.method = slash == std::string_view::npos ? "" : std::string(m.substr(slash + 1));
  call.type = RpcTypeLabel(type);
  prometheus::Labels labels{
      {"grpc_type", call.type}, {"grpc_service", call.service}, {"grpc_method", call.method}};
  started_->Add(labels).Increment();
  call.msg_received = &msg_received_->Add(labels);
  call.msg_sent = &msg_sent_->Add(labels);
  return call;
}

void Metrics::EndRpc(const RpcCallMetrics& call, int grpc_code, double seconds) {
  const char* code = grpc_code >= 0 && grpc_code < 17 ? kCodeNames[grpc_code] : "Unknown";
  handled_
      ->Add({{"grpc_type", call.type},
             {"grpc_service", call.service},
             {"grpc_method", call.method},
             {"grpc_code", code}})
      .Increment();
  handling_seconds_
      ->Add(
          {{"grpc_type", call.type}, {"grpc_service", call.service}, {"grpc_method", call.method}},
          HandlingBuckets())
      .Observe(seconds);
}

void Metrics::CountMutation(std::string_view outcome, double n) {
  mutations_->Add({{"outcome", std::string(outcome)}}).Increment(n);
}

void Metrics::ObservePushBatch(double seconds) { push_batch_seconds_->Observe(seconds); }

void Metrics::CountPulledRecords(double n) { pulled_records_->Increment(n); }

void Metrics::CountAttachmentBytesReceived(double n) { attachment_bytes_->Increment(n); }
void Metrics::CountAttachmentStored() { attachments_stored_->Increment(); }
void Metrics::CountAttachmentUploadResume() { attachment_resumes_->Increment(); }
void Metrics::CountAttachmentBytesSent(double n) { attachment_bytes_sent_->Increment(n); }

void Metrics::AddGauge(std::string name, std::string help,
                       std::function<std::vector<GaugeSample>()> fn) {
  std::lock_guard<std::mutex> l(gauges_mu_);
  gauges_.push_back({std::move(name), std::move(help), std::move(fn)});
}

void Metrics::ClearGauges() {
  std::lock_guard<std::mutex> l(gauges_mu_);
  gauges_.clear();
}

std::string Metrics::Scrape() const {
  std::vector<prometheus::MetricFamily> families = registry_->Collect();
  {
    std::lock_guard<std::mutex> l(gauges_mu_);
    for (const auto& g : gauges_) {
      prometheus::MetricFamily f;
      f.name = g.name;
      f.help = g.help;
      f.type = prometheus::MetricType::Gauge;
      for (const auto& s : g.fn()) {
        prometheus::ClientMetric m;
        for (const auto& [k, v] : s.labels) m.label.push_back({k, v});
        m.gauge.value = s.value;
        f.metric.push_back(std::move(m));
      }
      families.push_back(std::move(f));
    }
  }
  std::ostringstream out;
  prometheus::TextSerializer().Serialize(out, families);
  return out.str();
}

}  // namespace fieldsync
