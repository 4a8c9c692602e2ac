#include "server/rpc/sync_service.h"

#include <grpcpp/impl/codegen/method_handler.h>
#include <grpcpp/support/proto_buffer_reader.h>

#include <chrono>

#include "absl/strings/str_cat.h"
#include "server/common/status.h"
#include "server/convert/convert.h"
#include "server/rpc/request_id.h"

namespace fieldsync::rpc {

namespace {

// A repeated message field's tag and length prefix take at most this many bytes.
constexpr size_t kRepeatedFieldOverhead = 6;

// The index of Push in fieldsync.v1.SyncService (its first method).
constexpr int kPushMethodIndex = 0;

// Decodes one Push batch. gRPC's own decoding of a streamed message cannot report a failure
// (the read just ends, and the call would end OK with the batch silently dropped), hence this.
absl::Status DecodeBatch(grpc::ByteBuffer* bytes, uint64_t index, v1::PushRequest* req) {
  req->Clear();
  grpc::ProtoBufferReader reader(bytes);
  if (!reader.status().ok() || !req->ParseFromZeroCopyStream(&reader)) {
    return absl::InvalidArgumentError(absl::StrCat(
        "Push batch ", index, " on this stream could not be decoded as a ",
        v1::PushRequest::descriptor()->full_name(),
        " (malformed protobuf, or invalid UTF-8 in a string field); nothing of it was applied"));
  }
  return absl::OkStatus();
}

// Answers of Pull, ListReceipts and Changes are records, receipts and changes: field names,
// ids, dates and choice values repeated from one record to the next, which gzip shrinks
// several times over on links where every byte is paid for. A compression *level* (unlike an
// algorithm, which gRPC 1.51 applies even to a client that cannot inflate it) makes gRPC pick
// among the algorithms the client listed in its grpc-accept-encoding: gzip first (the SDK
// lists gzip unless told not to), none for a client that accepts neither gzip nor deflate.
// Call before the first message is written.
void CompressAnswers(grpc::ServerContext* ctx) {
  ctx->set_compression_level(GRPC_COMPRESS_LEVEL_LOW);
}

}  // namespace

SyncServiceImpl::SyncServiceImpl(const AuthGuard* guard, PushCore* push, PullCore* pull,
                                 ChangeFeed* feed, SyncServiceLimits limits)
    : guard_(guard), push_(push), pull_(pull), feed_(feed), limits_(limits) {
  // Push takes its batches as bytes (PushBatches decodes them); the other methods keep the
  // generated handlers, whose decoding failures the DecodeErrorInterceptor reports.
  MarkMethodStreamed(
      kPushMethodIndex,
      new grpc::internal::BidiStreamingHandler<SyncServiceImpl, grpc::ByteBuffer, v1::PushResponse>(
          [](SyncServiceImpl* self, grpc::ServerContext* ctx,
             grpc::ServerReaderWriter<v1::PushResponse, grpc::ByteBuffer>* stream) {
            return self->PushBatches(ctx, stream);
          },
          this));
}

grpc::Status SyncServiceImpl::PushBatches(
    grpc::ServerContext* ctx,
    grpc::ServerReaderWriter<v1::PushResponse, grpc::ByteBuffer>* stream) {
  return guard_->RunStream(ctx, kSyncRoles, [&](const Device& device) -> absl::Status {
    v1::PushRequest req;
    grpc::ByteBuffer bytes;
    std::vector<Mutation> batch;
    bool first = true;
    uint64_t index = 0;
    while (stream->Read(&bytes)) {
      FS_RETURN_IF_ERROR(DecodeBatch(&bytes, ++index, &req));
      // Opening the call was one request; every further batch is one more.
      if (!first) {
        FS_RETURN_IF_ERROR(guard_->ChargeRequest(device));
        // A device revoked (or whose token expired) while its stream is open stops here.
        FS_RETURN_IF_ERROR(guard_->Check(ctx, kSyncRoles).status());
      }
      first = false;
      const auto started = std::chrono::steady_clock::now();
      batch.clear();
      batch.reserve(req.mutations_size());
      for (const auto& m : req.mutations()) batch.push_back(convert::FromProto(m));
      DeviceReport report = convert::FromProto(req.report());
      auto receipts = push_->Push(device, batch, req.has_report() ? &report : nullptr);
      if (!receipts.ok()) return receipts.status();
      v1::PushResponse resp;
      for (const auto& r : *receipts) convert::ToProto(r, resp.add_receipts());
      if (metrics_ != nullptr) {
        for (const auto& r : *receipts) metrics_->CountMutation(OutcomeName(r.outcome));
        metrics_->ObservePushBatch(
            std::chrono::duration<double>(std::chrono::steady_clock::now() - started).count());
      }
      if (!stream->Write(resp)) return absl::CancelledError("client went away");
    }
    return absl::OkStatus();
  });
}

grpc::Status SyncServiceImpl::Pull(grpc::ServerContext* ctx, const v1::PullRequest* req,
                                   grpc::ServerWriter<v1::PullResponse>* writer) {
  return guard_->RunStream(ctx, kSyncRoles, [&](const Device& device) -> absl::Status {
    CompressAnswers(ctx);
    // An admin pulls every scope: an audited read.
    if (device.role == Role::kAdmin) {
      FS_RETURN_IF_ERROR(AuditRead(audit_, ctx, device, audit_action::kRecordsRead, "pull"));
    }
    uint32_t remaining = req->limit() == 0 ? limits_.max_pull_records
                                           : std::min(req->limit(), limits_.max_pull_records);
    PullQuery query;
    query.cursor = req->cursor();
    query.form_ids.assign(req->form_ids().begin(), req->form_ids().end());
    DeviceReport report = convert::FromProto(req->report());
    if (req->has_report()) query.report = &report;
    while (true) {
      // Pages of at most pull_page records keep memory per stream small and bounded.
      query.limit = std::min(remaining, limits_.pull_page);
      auto page = pull_->Pull(device, query);
      if (!page.ok()) return page.status();
      v1::PullResponse resp;
      for (const auto& pr : page->records) {
        auto* rs = resp.add_records();
        convert::ToProto(pr.record, rs);
        rs->set_out_of_scope(pr.out_of_scope);
      }
      resp.set_next_cursor(page->next_cursor);
      const uint32_t sent = static_cast<uint32_t>(page->records.size());
      if (metrics_ != nullptr) metrics_->CountPulledRecords(sent);
      remaining -= std::min(remaining, std::max<uint32_t>(sent, 1));
      resp.set_has_more(page->has_more);
      const bool done = !page->has_more || remaining == 0;
      if (!writer->Write(resp)) return absl::CancelledError("client went away");
      if (done || ctx->IsCancelled()) return absl::OkStatus();
      query.cursor = page->next_cursor;
    }
  });
}

grpc::Status SyncServiceImpl::ListReceipts(grpc::ServerContext* ctx,
                                           const v1::ListReceiptsRequest* req,
                                           v1::ListReceiptsResponse* resp) {
  return guard_->Run(ctx, kSyncRoles, [&](const Device& device) -> absl::Status {
    CompressAnswers(ctx);
    const uint32_t limit = req->limit() == 0 ? limits_.max_receipts_page
                                             : std::min(req->limit(), limits_.max_receipts_page);
    auto list = push_->ListReceipts(device, req->since_device_seq(), limit);
    if (!list.ok()) return list.status();
    // Cut by bytes too: the caller asks again from its last receipt's device_seq + 1.
    size_t bytes = 0;
    for (const auto& r : list->receipts) {
      v1::Receipt out;
      convert::ToProto(r, &out);
      bytes += out.ByteSizeLong() + kRepeatedFieldOverhead;
      if (resp->receipts_size() > 0 && bytes > limits_.max_page_bytes) break;
      *resp->add_receipts() = std::move(out);
    }
    resp->set_acked_device_seq(list->acked_device_seq);
    return absl::OkStatus();
  });
}

grpc::Status SyncServiceImpl::Changes(grpc::ServerContext* ctx, const v1::ChangesRequest* req,
                                      grpc::ServerWriter<v1::ChangesResponse>* writer) {
  return guard_->RunStream(ctx, kFeedRoles, [&](const Device& device) -> absl::Status {
    CompressAnswers(ctx);
    if (device.role == Role::kAdmin) {
      FS_RETURN_IF_ERROR(AuditRead(audit_, ctx, device, audit_action::kFeedRead,
                                   absl::StrCat("changes from_seq=", req->from_seq())));
    }
    const uint32_t page = req->limit() == 0 ? limits_.max_changes_page
                                            : std::min(req->limit(), limits_.max_changes_page);
    uint64_t next = std::max<uint64_t>(req->from_seq(), 1);
    while (!ctx->IsCancelled() && !shutting_down_) {
      auto batch = feed_->Read(next, page);
      if (!batch.ok()) return batch.status();
      if (!batch->changes.empty()) {
        // One message per max_page_bytes of changes: a batch of large changes goes out in
        // several messages, each under the send limit.
        v1::ChangesResponse resp;
        size_t bytes = 0;
        for (const auto& c : batch->changes) {
          v1::Change out;
          convert::ToProto(c, &out);
          const size_t size = out.ByteSizeLong() + kRepeatedFieldOverhead;
          if (resp.changes_size() > 0 && bytes + size > limits_.max_page_bytes) {
            resp.set_head_seq(batch->head_seq);
            if (!writer->Write(resp)) return absl::CancelledError("client went away");
            resp.clear_changes();
            bytes = 0;
          }
          bytes += size;
          *resp.add_changes() = std::move(out);
        }
        resp.set_head_seq(batch->head_seq);
        if (!writer->Write(resp)) return absl::CancelledError("client went away");
        next = batch->changes.back().seq + 1;
        continue;
      }
      next = std::max(next, batch->head_seq + 1);
      if (!req->follow()) {
        v1::ChangesResponse resp;  // tells the reader the head it has caught up with
        resp.set_head_seq(batch->head_seq);
        writer->Write(resp);
        return absl::OkStatus();
      }
      // Wake at least every 200 ms to notice cancellation and shutdown.
      feed_->Wait(next - 1, std::chrono::steady_clock::now() + std::chrono::milliseconds(200));
    }
    return absl::OkStatus();
  });
}

}  // namespace fieldsync::rpc
