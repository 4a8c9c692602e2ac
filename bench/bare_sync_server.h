// Limit B: an in-process SyncService that does no work, so a run against it measures what gRPC
// alone costs for the same messages on the same connections. Push answers each batch with one
// APPLIED receipt per mutation (nothing is stored); Pull streams pre-built pages.
#ifndef FIELDSYNC_BENCH_BARE_SYNC_SERVER_H_
#define FIELDSYNC_BENCH_BARE_SYNC_SERVER_H_

#include <grpcpp/grpcpp.h>

#include <memory>
#include <mutex>
#include <string>

#include "fieldsync/v1/sync.grpc.pb.h"

namespace fieldsync::bench {

class BareSyncService final : public v1::SyncService::Service {
 public:
  // Pull will serve `total` copies of `record` in pages of `page_size`, at most
  // `max_per_call` per call (as fieldsyncd's pull limit); the cursor is the offset. Call
  // while no Pull is running.
  void SetPullData(const v1::RecordState& record, uint64_t total, int page_size,
                   uint64_t max_per_call);

  grpc::Status Push(grpc::ServerContext* ctx,
                    grpc::ServerReaderWriter<v1::PushResponse, v1::PushRequest>* stream) override;
  grpc::Status Pull(grpc::ServerContext* ctx, const v1::PullRequest* req,
                    grpc::ServerWriter<v1::PullResponse>* writer) override;

 private:
  std::mutex mu_;  // guards the pull data against SetPullData; Pull copies nothing under it
  std::shared_ptr<const v1::PullResponse> full_page_;
  std::shared_ptr<const v1::PullResponse> tail_page_;  // the last, shorter page (or null)
  uint64_t total_ = 0;
  uint64_t page_size_ = 1;
  uint64_t max_per_call_ = 1;
};

// The service on 127.0.0.1, port 0, with fieldsyncd's message limits.
class BareSyncServer {
 public:
  BareSyncServer();
  ~BareSyncServer();
  bool ok() const { return server_ != nullptr && port_ > 0; }
  std::string target() const { return "127.0.0.1:" + std::to_string(port_); }
  BareSyncService* service() { return &service_; }

 private:
  BareSyncService service_;
  std::unique_ptr<grpc::Server> server_;
  int port_ = 0;
};

}  // namespace fieldsync::bench

#endif  // FIELDSYNC_BENCH_BARE_SYNC_SERVER_H_
