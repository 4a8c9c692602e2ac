#include "server/rpc/attachment_service.h"

#include "absl/strings/str_cat.h"
#include "server/common/status.h"

namespace fieldsync::rpc {
namespace {

// INVALID_ARGUMENT naming the request field at fault (a google.rpc.BadRequest detail).
absl::Status BadField(const std::string& field, absl::string_view message) {
  return InvalidFieldsError(message, {FieldError{field, std::string(message)}});
}

// A core status with INVALID_ARGUMENT attributed to `field`; other codes as they are.
absl::Status Attribute(const absl::Status& s, const std::string& field) {
  if (s.code() != absl::StatusCode::kInvalidArgument) return s;
  return BadField(field, s.message());
}

v1::UploadResponse Progress(const BlobWriter& w, uint64_t max_chunk) {
  v1::UploadResponse resp;
  resp.set_durable_offset(w.durable_offset());
  resp.set_complete(w.complete());
  resp.set_max_chunk_bytes(max_chunk);
  return resp;
}

}  // namespace

grpc::Status AttachmentServiceImpl::Upload(
    grpc::ServerContext* ctx,
    grpc::ServerReaderWriter<v1::UploadResponse, v1::UploadRequest>* stream) {
  return guard_->RunStream(ctx, kSyncRoles, [&](const Device& device) -> absl::Status {
    v1::UploadRequest req;
    if (!stream->Read(&req)) return absl::OkStatus();  // nothing asked
    FS_RETURN_IF_ERROR(Attribute(BlobStore::CheckHash(req.hash()), "hash"));
    auto writer = blobs_->OpenWriter(device.device_id, req.hash(), req.size());
    if (!writer.ok()) return Attribute(writer.status(), "size");
    BlobWriter& w = **writer;
    if (metrics_ != nullptr && w.durable_offset() > 0 && !w.complete()) {
      metrics_->CountAttachmentUploadResume();
    }
    if (!stream->Write(Progress(w, blobs_->options().max_chunk_bytes))) {
      return absl::CancelledError("client went away");
    }
    absl::Status s = ReceiveChunks(ctx, device, w, req, stream);
    // However the stream ended, keep what arrived: the next upload resumes after it.
    absl::Status synced = w.Sync();
    return s.ok() ? synced : s;
  });
}

absl::Status AttachmentServiceImpl::ReceiveChunks(
    grpc::ServerContext* ctx, const Device& device, BlobWriter& w, v1::UploadRequest& req,
    grpc::ServerReaderWriter<v1::UploadResponse, v1::UploadRequest>* stream) {
  const uint64_t max_chunk = blobs_->options().max_chunk_bytes;
  bool pending = !req.data().empty();  // the first request may carry data too
  uint64_t reported = w.durable_offset();
  while (pending || stream->Read(&req)) {
    pending = false;
    if (w.complete()) {
      return BadField("data", "the attachment is complete: send nothing more");
    }
    if (req.offset() != w.written_offset()) {
      return BadField("offset", absl::StrCat("data at offset ", req.offset(), ", the server holds ",
                                             w.written_offset(), " bytes: continue from there"));
    }
    if (req.data().size() > max_chunk) {
      return BadField("data",
                      absl::StrCat("chunk of ", req.data().size(), " bytes, at most ", max_chunk));
    }
    if (req.data().size() > w.size() - w.written_offset()) {
      return BadField("data", absl::StrCat("data ends at ", req.offset() + req.data().size(),
                                           ", past the attachment's size ", w.size()));
    }
    if (metrics_ != nullptr) metrics_->CountAttachmentBytesReceived(req.data().size());
    // The checks above leave only the content-vs-hash mismatch as the writer's INVALID_ARGUMENT.
    FS_RETURN_IF_ERROR(Attribute(w.Append(req.offset(), req.data()), "hash"));
    if (w.durable_offset() == reported && !w.complete()) continue;
    reported = w.durable_offset();
    if (w.complete() && metrics_ != nullptr) metrics_->CountAttachmentStored();
    // A device revoked while uploading stops at its next durable point.
    FS_RETURN_IF_ERROR(guard_->Check(ctx, kSyncRoles).status());
    if (!stream->Write(Progress(w, max_chunk))) return absl::CancelledError("client went away");
  }
  return absl::OkStatus();
}

grpc::Status AttachmentServiceImpl::Stat(grpc::ServerContext* ctx, const v1::StatRequest* req,
                                         v1::StatResponse* resp) {
  return guard_->Run(ctx, kSyncRoles, [&](const Device&) -> absl::Status {
    FS_RETURN_IF_ERROR(Attribute(BlobStore::CheckHash(req->hash()), "hash"));
    FS_ASSIGN_OR_RETURN(BlobState state, blobs_->Stat(req->hash()));
    switch (state.kind) {
      case BlobState::Kind::kAbsent:
        resp->set_state(v1::StatResponse::ABSENT);
        break;
      case BlobState::Kind::kPartial:
        resp->set_state(v1::StatResponse::PARTIAL);
        break;
      case BlobState::Kind::kComplete:
        resp->set_state(v1::StatResponse::COMPLETE);
        break;
    }
    resp->set_size(state.size);
    resp->set_durable_offset(state.durable_offset);
    return absl::OkStatus();
  });
}

grpc::Status AttachmentServiceImpl::Download(grpc::ServerContext* ctx,
                                             const v1::DownloadRequest* req,
                                             grpc::ServerWriter<v1::DownloadResponse>* writer) {
  return guard_->RunStream(ctx, kSyncRoles, [&](const Device& device) -> absl::Status {
    FS_ASSIGN_OR_RETURN(AttachmentRef ref,
                        access_->Resolve(device, req->record_id(), req->field()));
    if (!req->hash().empty() && req->hash() != ref.sha256) {
      return absl::FailedPreconditionError(absl::StrCat("field ", req->field(), " of record ",
                                                        req->record_id(), " now references ",
                                                        ref.sha256, ", not ", req->hash()));
    }
    uint64_t offset = req->offset();
    std::string piece;
    for (bool first = true; !ctx->IsCancelled(); first = false) {
      absl::Status s = blobs_->Read(ref.sha256, offset, limits_.download_chunk_bytes, &piece);
      if (s.code() == absl::StatusCode::kNotFound) {
        return absl::NotFoundError(absl::StrCat("attachment ", ref.file_name, " of record ",
                                                req->record_id(), " has not arrived yet"));
      }
      if (s.code() == absl::StatusCode::kOutOfRange) return BadField("offset", s.message());
      FS_RETURN_IF_ERROR(s);
      const size_t n = piece.size();
      if (n == 0 && !first) break;  // the end (the first answer always goes out)
      v1::DownloadResponse resp;
      resp.set_offset(offset);
      if (first) {
        resp.set_size(ref.size);
        resp.set_hash(ref.sha256);
        resp.set_media_type(ref.media_type);
        resp.set_file_name(ref.file_name);
      }
      resp.set_data(std::move(piece));
      if (metrics_ != nullptr) metrics_->CountAttachmentBytesSent(n);
      if (!writer->Write(resp)) return absl::CancelledError("client went away");
      offset += n;
      if (n < limits_.download_chunk_bytes) break;  // a short piece is the last
    }
    return absl::OkStatus();
  });
}

}  // namespace fieldsync::rpc
