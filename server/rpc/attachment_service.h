// fieldsync.v1.AttachmentService over server/blob (bytes) and sync/attachment_access.h (which
// blob a caller may download). Handlers: who is calling, proto to core call, status back.
#ifndef FIELDSYNC_SERVER_RPC_ATTACHMENT_SERVICE_H_
#define FIELDSYNC_SERVER_RPC_ATTACHMENT_SERVICE_H_

#include "fieldsync/v1/attachment.grpc.pb.h"
#include "server/blob/blob_store.h"
#include "server/metrics/metrics.h"
#include "server/rpc/auth_guard.h"
#include "server/sync/attachment_access.h"

namespace fieldsync::rpc {

struct AttachmentServiceLimits {
  // Bytes per DownloadResponse message.
  size_t download_chunk_bytes = 256 << 10;
};

class AttachmentServiceImpl final : public v1::AttachmentService::Service {
 public:
  // Not owned; all must outlive the service.
  AttachmentServiceImpl(const AuthGuard* guard, BlobStore* blobs, const AttachmentAccess* access,
                        AttachmentServiceLimits limits)
      : guard_(guard), blobs_(blobs), access_(access), limits_(limits) {}

  // Counts bytes, stored blobs and resumes (optional; not owned).
  void set_metrics(Metrics* metrics) { metrics_ = metrics; }

  grpc::Status Upload(
      grpc::ServerContext* ctx,
      grpc::ServerReaderWriter<v1::UploadResponse, v1::UploadRequest>* stream) override;
  grpc::Status Stat(grpc::ServerContext* ctx, const v1::StatRequest* req,
                    v1::StatResponse* resp) override;
  grpc::Status Download(grpc::ServerContext* ctx, const v1::DownloadRequest* req,
                        grpc::ServerWriter<v1::DownloadResponse>* writer) override;

 private:
  // Receives chunks into `w` until the stream ends, the blob completes or a chunk is bad.
  absl::Status ReceiveChunks(
      grpc::ServerContext* ctx, const Device& device, BlobWriter& w, v1::UploadRequest& req,
      grpc::ServerReaderWriter<v1::UploadResponse, v1::UploadRequest>* stream);

  const AuthGuard* guard_;
  BlobStore* blobs_;
  const AttachmentAccess* access_;
  AttachmentServiceLimits limits_;
  Metrics* metrics_ = nullptr;
};

}  // namespace fieldsync::rpc

#endif  // FIELDSYNC_SERVER_RPC_ATTACHMENT_SERVICE_H_
