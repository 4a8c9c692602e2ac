#include "bench/sync_load.h"

#include <grpcpp/grpcpp.h>

#include <atomic>
#include <chrono>
#include <condition_variable>
#include <mutex>
#include <thread>

#include "bench/workload.h"
#include "fieldsync/v1/sync.grpc.pb.h"

namespace fieldsync::bench {

namespace {

using Clock = std::chrono::steady_clock;

// Generous: a bounded run on a slow disk still finishes well inside it.
constexpr auto kCallTimeout = std::chrono::minutes(20);
constexpr auto kConnectTimeout = std::chrono::seconds(30);

std::shared_ptr<grpc::Channel> NewChannel(const std::string& target, int client, bool accept_gzip) {
  grpc::ChannelArguments args;
  args.SetInt(GRPC_COMPRESSION_CHANNEL_ENABLED_ALGORITHMS_BITSET,
              (1 << GRPC_COMPRESS_NONE) | (accept_gzip ? 1 << GRPC_COMPRESS_GZIP : 0));
  args.SetMaxReceiveMessageSize(64 << 20);
  args.SetMaxSendMessageSize(64 << 20);
  // Channels with equal arguments to one target share a connection; a distinct argument
  // gives every simulated device its own TCP connection, as real devices have.
  args.SetInt("fieldsync.bench.client", client);
  args.SetInt(GRPC_ARG_USE_LOCAL_SUBCHANNEL_POOL, 1);
  return grpc::CreateCustomChannel(target, grpc::InsecureChannelCredentials(), args);
}

void Authorize(const std::string& token, grpc::ClientContext* ctx) {
  if (!token.empty()) ctx->AddMetadata("authorization", "Bearer " + token);
  ctx->set_deadline(std::chrono::system_clock::now() + kCallTimeout);
}

double Ms(Clock::duration d) { return std::chrono::duration<double, std::milli>(d).count(); }

// Lets every device thread finish connecting before any starts pushing.
class StartGate {
 public:
  explicit StartGate(int n) : waiting_(n) {}
  // Called by each device once connected (or failed); the last one opens the gate.
  void Arrive() {
    std::lock_guard<std::mutex> l(mu_);
    if (--waiting_ == 0) {
      start_ = Clock::now();
      cv_.notify_all();
    }
  }
  Clock::time_point Wait() {
    std::unique_lock<std::mutex> l(mu_);
    cv_.wait(l, [&] { return waiting_ == 0; });
    return start_;
  }

 private:
  std::mutex mu_;
  std::condition_variable cv_;
  int waiting_;
  Clock::time_point start_;
};

struct DeviceOutcome {
  std::string error;
  uint64_t receipts = 0;
  Clock::time_point end;
  Clock::time_point first_receipt;
  std::vector<double> batch_ms;
};

// Checks one response against the batch it answers; "" if every receipt is APPLIED in order.
std::string CheckReceipts(const v1::PushRequest& req, const v1::PushResponse& resp) {
  if (resp.receipts_size() != req.mutations_size()) {
    return "got " + std::to_string(resp.receipts_size()) + " receipts for " +
           std::to_string(req.mutations_size()) + " mutations";
  }
  for (int i = 0; i < resp.receipts_size(); ++i) {
    const v1::Receipt& r = resp.receipts(i);
    const v1::Mutation& m = req.mutations(i);
    if (r.outcome() != v1::APPLIED || r.device_seq() != m.device_seq()) {
      std::string why = "device_seq " + std::to_string(m.device_seq()) + " (" + m.record_id() +
                        "): outcome " + v1::Outcome_Name(r.outcome()) + ", receipt device_seq " +
                        std::to_string(r.device_seq());
      for (const auto& e : r.errors()) why += "; " + e.field() + ": " + e.description();
      return why;
    }
  }
  return "";
}

void PushDevice(const PushLoad& load, int device, StartGate* gate, DeviceOutcome* out) {
  auto channel = NewChannel(load.target, device, load.accept_gzip);
  auto stub = v1::SyncService::NewStub(channel);
  const bool connected =
      channel->WaitForConnected(std::chrono::system_clock::now() + kConnectTimeout);
  gate->Arrive();
  gate->Wait();
  if (!connected) {
    out->error = "could not connect to " + load.target;
    out->end = Clock::now();
    return;
  }
  grpc::ClientContext ctx;
  Authorize(load.tokens[device], &ctx);
  auto stream = stub->Push(&ctx);

  // One request reused for every batch: only ids and seqs change, so building it costs
  // almost nothing next to the server's work.
  v1::PushRequest req;
  v1::PushResponse resp;
  out->batch_ms.reserve(load.records_per_device / load.batch + 1);
  for (uint64_t next = 0; next < load.records_per_device;) {
    const int n = static_cast<int>(
        std::min<uint64_t>(static_cast<uint64_t>(load.batch), load.records_per_device - next));
    while (req.mutations_size() < n) *req.add_mutations() = load.record;
    if (req.mutations_size() > n) {
      req.mutable_mutations()->DeleteSubrange(n, req.mutations_size() - n);
    }
    for (int i = 0; i < n; ++i) Stamp(device, next + i, req.mutable_mutations(i));

    const auto t0 = Clock::now();
    if (!stream->Write(req) || !stream->Read(&resp)) {
      out->error = "stream broke after " + std::to_string(out->receipts) + " receipts";
      break;
    }
    const auto t1 = Clock::now();
    if (out->batch_ms.empty()) out->first_receipt = t1;
    out->batch_ms.push_back(Ms(t1 - t0));
    if (std::string bad = CheckReceipts(req, resp); !bad.empty()) {
      out->error = bad;
      break;
    }
    out->receipts += n;
    next += n;
  }
  out->end = Clock::now();
  if (!out->error.empty()) {
    ctx.TryCancel();
  } else {
    stream->WritesDone();
  }
  grpc::Status s = stream->Finish();
  if (!s.ok()) {
    const std::string st = "status " + std::to_string(s.error_code()) + ": " + s.error_message();
    out->error = out->error.empty() ? "Push finished with " + st : out->error + " [" + st + "]";
  }
}

}  // namespace

PushLoadResult RunPushLoad(const PushLoad& load) {
  const int k = static_cast<int>(load.tokens.size());
  StartGate gate(k);
  std::vector<DeviceOutcome> outcomes(k);
  std::vector<std::thread> threads;
  threads.reserve(k);
  for (int i = 0; i < k; ++i) {
    threads.emplace_back(PushDevice, std::cref(load), i, &gate, &outcomes[i]);
  }
  for (auto& t : threads) t.join();

  PushLoadResult result;
  const Clock::time_point start = gate.Wait();
  Clock::time_point end = start;
  for (int i = 0; i < k; ++i) {
    DeviceOutcome& o = outcomes[i];
    if (!o.error.empty() && result.error.empty()) {
      result.error = DeviceId(i) + ": " + o.error;
    }
    result.receipts += o.receipts;
    end = std::max(end, o.end);
    result.batch_ms.insert(result.batch_ms.end(), o.batch_ms.begin(), o.batch_ms.end());
    if (!o.batch_ms.empty()) result.first_receipt_ms.push_back(Ms(o.first_receipt - start));
  }
  result.seconds = std::chrono::duration<double>(end - start).count();
  return result;
}

PullLoadResult RunPullAll(const std::string& target, const std::string& token, bool accept_gzip,
                          int max_calls) {
  PullLoadResult result;
  // Channel number -1: never one of the pushing devices' channels.
  auto channel = NewChannel(target, -1, accept_gzip);
  auto stub = v1::SyncService::NewStub(channel);
  if (!channel->WaitForConnected(std::chrono::system_clock::now() + kConnectTimeout)) {
    result.error = "could not connect to " + target;
    return result;
  }
  const auto start = Clock::now();
  std::string cursor;
  v1::PullResponse resp;
  bool more = true;
  while (more && result.calls < static_cast<uint64_t>(max_calls)) {
    grpc::ClientContext ctx;
    Authorize(token, &ctx);
    v1::PullRequest req;
    req.set_cursor(cursor);
    auto reader = stub->Pull(&ctx, req);
    ++result.calls;
    more = false;
    while (reader->Read(&resp)) {
      if (result.pages++ == 0 && resp.records_size() > 0) {
        result.first_page_bytes_per_record =
            static_cast<double>(resp.ByteSizeLong()) / resp.records_size();
      }
      result.records += resp.records_size();
      cursor = resp.next_cursor();
      more = resp.has_more();
    }
    grpc::Status s = reader->Finish();
    if (!s.ok()) {
      result.error = "Pull failed: " + std::to_string(s.error_code()) + " " + s.error_message();
      return result;
    }
  }
  result.seconds = std::chrono::duration<double>(Clock::now() - start).count();
  if (more) result.error = "Pull still had more after " + std::to_string(max_calls) + " calls";
  return result;
}

}  // namespace fieldsync::bench
