// fieldsync.v1.SyncService over the sync cores. Handlers: who is calling, proto to core
// request, one core call, status back.
#ifndef FIELDSYNC_SERVER_RPC_SYNC_SERVICE_H_
#define FIELDSYNC_SERVER_RPC_SYNC_SERVICE_H_

#include <grpcpp/support/byte_buffer.h>

#include <atomic>

#include "fieldsync/v1/sync.grpc.pb.h"
#include "server/audit/audit_log.h"
#include "server/metrics/metrics.h"
#include "server/rpc/auth_guard.h"
#include "server/sync/change_feed.h"
#include "server/sync/pull.h"
#include "server/sync/push.h"

namespace fieldsync::rpc {

struct SyncServiceLimits {
  uint32_t max_pull_records = 50'000;   // per Pull call
  uint32_t pull_page = 500;             // records per PullResponse message
  uint32_t max_receipts_page = 10'000;  // per ListReceipts call
  uint32_t max_changes_page = 5'000;    // per Changes message
  // Receipts per ListReceipts answer and changes per Changes message also stop at this many
  // bytes (at least one per answer), below the send limit.
  size_t max_page_bytes = 3 << 20;
};

class SyncServiceImpl final : public v1::SyncService::Service {
 public:
  SyncServiceImpl(const AuthGuard* guard, PushCore* push, PullCore* pull, ChangeFeed* feed,
                  SyncServiceLimits limits);

  // Audit log for admin reads (Changes and Pull by an admin); none: not audited. Not owned.
  void set_audit(AuditLog* audit) { audit_ = audit; }
  // Counts receipts by outcome, batch latency and pulled records (optional; not owned).
  void set_metrics(Metrics* metrics) { metrics_ = metrics; }

  // Ends open follow-mode Changes streams (shutdown).
  void Shutdown() { shutting_down_ = true; }

  // Push reads each batch as bytes and decodes it here (see the constructor): a batch that
  // does not decode ends the call with INVALID_ARGUMENT, nothing of it applied.
  grpc::Status PushBatches(grpc::ServerContext* ctx,
                           grpc::ServerReaderWriter<v1::PushResponse, grpc::ByteBuffer>* stream);
  grpc::Status Pull(grpc::ServerContext* ctx, const v1::PullRequest* req,
                    grpc::ServerWriter<v1::PullResponse>* writer) override;
  grpc::Status ListReceipts(grpc::ServerContext* ctx, const v1::ListReceiptsRequest* req,
                            v1::ListReceiptsResponse* resp) override;
  grpc::Status Changes(grpc::ServerContext* ctx, const v1::ChangesRequest* req,
                       grpc::ServerWriter<v1::ChangesResponse>* writer) override;

 private:
  const AuthGuard* guard_;
  PushCore* push_;
  PullCore* pull_;
  ChangeFeed* feed_;
  SyncServiceLimits limits_;
  AuditLog* audit_ = nullptr;
  Metrics* metrics_ = nullptr;
  std::atomic<bool> shutting_down_{false};
};

}  // namespace fieldsync::rpc

#endif  // FIELDSYNC_SERVER_RPC_SYNC_SERVICE_H_
