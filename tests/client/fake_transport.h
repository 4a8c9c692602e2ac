// An in-process server for the SDK's unit tests: the real sync cores (PushCore, PullCore)
// over an in-memory RocksDB, reached through a Transport that can inject the faults a field
// link has: calls that fail before reaching the server, acknowledgements lost after the
// server stored a batch, mutations dropped from a batch (a gap), a forced RESYNC_REQUIRED,
// a revoked token. No network, no sleeps.
#ifndef FIELDSYNC_TESTS_CLIENT_FAKE_TRANSPORT_H_
#define FIELDSYNC_TESTS_CLIENT_FAKE_TRANSPORT_H_

#include <atomic>
#include <memory>
#include <mutex>
#include <string>
#include <utility>
#include <vector>

#include "client-sdk/src/transport.h"
#include "server/common/clock.h"
#include "server/common/status.h"
#include "server/convert/convert.h"
#include "server/forms/form_registry.h"
#include "server/storage/store.h"
#include "server/sync/sync_engine.h"
#include "tests/sync/sync_fixture.h"

namespace fieldsync::client_test {

// The server side shared by several fake devices.
class FakeServer {
 public:
  FakeServer() {
    static std::atomic<int> counter{0};
    StoreOptions options;
    options.in_memory = true;
    options.path = "/mem/client_test" + std::to_string(counter++);
    store_ = std::move(Store::Open(options)).value();
    forms_ = std::make_unique<FormRegistry>(store_.get(), SchemaLimits{});
    (void)forms_->Publish(sync_test::HouseholdForm()).value();
    (void)forms_->Publish(sync_test::CrossingForm()).value();
    engine_ = std::move(SyncEngine::Open(store_.get(), forms_.get(), &clock_, {})).value();
  }

  PushCore* push() { return engine_->push(); }
  PullCore* pull() { return engine_->pull(); }
  FormRegistry* forms() { return forms_.get(); }
  Store* store() { return store_.get(); }
  FakeClock* clock() { return &clock_; }

  // Every record the server holds (for convergence checks).
  std::vector<Record> AllRecords() {
    auto page = pull()->Pull(sync_test::AdminDevice(), PullQuery{"", {}, 5000, nullptr});
    std::vector<Record> out;
    for (auto& pr : page.value().records) out.push_back(pr.record);
    return out;
  }

 private:
  FakeClock clock_;
  std::unique_ptr<Store> store_;
  std::unique_ptr<FormRegistry> forms_;
  std::unique_ptr<SyncEngine> engine_;
};

// Knobs of one fake link; tests change them between (or during) syncs.
struct Faults {
  int fail_calls = 0;  // the next N calls fail with UNAVAILABLE before reaching the server
  int lose_acks = 0;   // the next N push batches are stored, then the stream is cut
  int drop_first_mutations = 0;  // the next batch loses its first K mutations (a gap)
  int resync_pulls = 0;          // the next N pulls answer RESYNC_REQUIRED
  bool revoked = false;          // every call answers UNAUTHENTICATED
  bool hide_receipts = false;    // ListReceipts answers the acked seq but no receipts
  absl::Status list_forms_error;
  // Runs once at the start of the next Pull (e.g. a local edit made between push and pull).
  std::function<void()> before_pull;
};

struct Calls {
  int push_streams = 0;
  int exchanges = 0;
  int pulls = 0;
  int list_receipts = 0;
  std::vector<v1::PushRequest> requests;  // as received (after dropping)
  std::vector<v1::PullRequest> pull_requests;
};

class FakeTransport final : public client::Transport {
 public:
  FakeTransport(FakeServer* server, Device device, Faults* faults, Calls* calls)
      : server_(server), device_(std::move(device)), faults_(faults), calls_(calls) {}

  absl::StatusOr<std::unique_ptr<client::PushStream>> OpenPush() override {
    FS_RETURN_IF_ERROR(Gate());
    ++calls_->push_streams;
    return std::unique_ptr<client::PushStream>(new Stream(this));
  }

  absl::Status Pull(const v1::PullRequest& request,
                    const std::function<absl::Status(const v1::PullResponse&)>& on_page) override {
    FS_RETURN_IF_ERROR(Gate());
    ++calls_->pulls;
    if (faults_->before_pull) {
      auto f = std::move(faults_->before_pull);
      faults_->before_pull = nullptr;
      f();
    }
    calls_->pull_requests.push_back(request);
    if (faults_->resync_pulls > 0) {
      --faults_->resync_pulls;
      return ResyncRequiredError("cursor older than the retained change log");
    }
    PullQuery q;
    q.cursor = request.cursor();
    q.limit = request.limit();
    uint32_t remaining = request.limit() == 0 ? 50'000 : request.limit();
    while (true) {
      q.limit = std::min<uint32_t>(remaining, 7);  // small pages exercise paging
      FS_ASSIGN_OR_RETURN(PullPage page, server_->pull()->Pull(device_, q));
      v1::PullResponse resp;
      for (const auto& pr : page.records) {
        auto* rs = resp.add_records();
        convert::ToProto(pr.record, rs);
        rs->set_out_of_scope(pr.out_of_scope);
      }
      resp.set_next_cursor(page.next_cursor);
      resp.set_has_more(page.has_more);
      remaining -= std::min<uint32_t>(remaining, std::max<uint32_t>(page.records.size(), 1));
      FS_RETURN_IF_ERROR(on_page(resp));
      if (!page.has_more || remaining == 0) return absl::OkStatus();
      q.cursor = page.next_cursor;
    }
  }

  absl::StatusOr<v1::ListReceiptsResponse> ListReceipts(
      const v1::ListReceiptsRequest& request) override {
    FS_RETURN_IF_ERROR(Gate());
    ++calls_->list_receipts;
    FS_ASSIGN_OR_RETURN(ReceiptList list,
                        server_->push()->ListReceipts(device_, request.since_device_seq(),
                                                      request.limit() ? request.limit() : 1000));
    v1::ListReceiptsResponse resp;
    if (!faults_->hide_receipts) {
      for (const auto& r : list.receipts) convert::ToProto(r, resp.add_receipts());
    }
    resp.set_acked_device_seq(list.acked_device_seq);
    return resp;
  }

  absl::StatusOr<v1::ListFormsResponse> ListForms() override {
    FS_RETURN_IF_ERROR(Gate());
    if (!faults_->list_forms_error.ok()) return faults_->list_forms_error;
    FS_ASSIGN_OR_RETURN(std::vector<Form> forms, server_->forms()->List());
    v1::ListFormsResponse resp;
    for (const auto& f : forms) convert::ToProto(f, resp.add_forms());
    return resp;
  }

 private:
  class Stream final : public client::PushStream {
   public:
    explicit Stream(FakeTransport* t) : t_(t) {}
    absl::StatusOr<v1::PushResponse> Exchange(const v1::PushRequest& request) override {
      if (dead_) return absl::UnavailableError("stream is dead");
      absl::Status gate = t_->Gate();
      if (!gate.ok()) {
        dead_ = true;
        return gate;
      }
      ++t_->calls_->exchanges;
      v1::PushRequest req = request;
      if (t_->faults_->drop_first_mutations > 0) {
        const int k = std::min(t_->faults_->drop_first_mutations, req.mutations_size());
        req.mutable_mutations()->DeleteSubrange(0, k);
        t_->faults_->drop_first_mutations = 0;
      }
      t_->calls_->requests.push_back(req);
      std::vector<Mutation> batch;
      for (const auto& m : req.mutations()) batch.push_back(convert::FromProto(m));
      DeviceReport report = convert::FromProto(req.report());
      FS_ASSIGN_OR_RETURN(std::vector<Receipt> receipts,
                          t_->server_->push()->Push(t_->device_, batch, &report));
      if (t_->faults_->lose_acks > 0) {
        --t_->faults_->lose_acks;
        dead_ = true;
        return absl::UnavailableError("connection reset (ack lost)");
      }
      v1::PushResponse resp;
      for (const auto& r : receipts) convert::ToProto(r, resp.add_receipts());
      return resp;
    }
    absl::Status Finish() override { return absl::OkStatus(); }

   private:
    FakeTransport* t_;
    bool dead_ = false;
  };

  absl::Status Gate() {
    if (faults_->revoked) return absl::UnauthenticatedError("token revoked");
    if (faults_->fail_calls > 0) {
      --faults_->fail_calls;
      return absl::UnavailableError("connection refused");
    }
    return absl::OkStatus();
  }

  FakeServer* server_;
  Device device_;
  Faults* faults_;
  Calls* calls_;
};

}  // namespace fieldsync::client_test

#endif  // FIELDSYNC_TESTS_CLIENT_FAKE_TRANSPORT_H_
