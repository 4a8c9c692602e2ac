#include "bench/bare_sync_server.h"

#include <algorithm>
#include <atomic>
#include <chrono>
#include <cstdlib>

namespace fieldsync::bench {

namespace {

// fieldsyncd's default max_message_bytes.
constexpr int kMaxMessageBytes = 4 << 20;

std::shared_ptr<const v1::PullResponse> Page(const v1::RecordState& record, uint64_t n) {
  auto page = std::make_shared<v1::PullResponse>();
  page->mutable_records()->Reserve(static_cast<int>(n));
  for (uint64_t i = 0; i < n; ++i) *page->add_records() = record;
  return page;
}

}  // namespace

void BareSyncService::SetPullData(const v1::RecordState& record, uint64_t total, int page_size,
                                  uint64_t max_per_call) {
  std::lock_guard<std::mutex> l(mu_);
  total_ = total;
  page_size_ = static_cast<uint64_t>(std::max(page_size, 1));
  max_per_call_ = std::max<uint64_t>(max_per_call, page_size_);
  full_page_ = Page(record, page_size_);
  tail_page_ = total % page_size_ == 0 ? nullptr : Page(record, total % page_size_);
}

grpc::Status BareSyncService::Push(
    grpc::ServerContext* ctx, grpc::ServerReaderWriter<v1::PushResponse, v1::PushRequest>* stream) {
  // fieldsyncd's receipts carry a SHA-256 in hex, a version and a global seq.
  static std::atomic<uint64_t> seq{0};
  static const std::string kHash(64, 'a');
  v1::PushRequest req;
  while (stream->Read(&req)) {
    v1::PushResponse resp;
    resp.mutable_receipts()->Reserve(req.mutations_size());
    for (const auto& m : req.mutations()) {
      v1::Receipt* r = resp.add_receipts();
      r->set_device_seq(m.device_seq());
      r->set_record_id(m.record_id());
      r->set_content_hash(kHash);
      r->set_outcome(v1::APPLIED);
      r->set_record_version(1);
      r->set_seq(seq.fetch_add(1, std::memory_order_relaxed) + 1);
    }
    if (!stream->Write(resp)) break;
  }
  return grpc::Status::OK;
}

grpc::Status BareSyncService::Pull(grpc::ServerContext* ctx, const v1::PullRequest* req,
                                   grpc::ServerWriter<v1::PullResponse>* writer) {
  std::shared_ptr<const v1::PullResponse> full, tail;
  uint64_t total, page_size, max_per_call;
  {
    std::lock_guard<std::mutex> l(mu_);
    full = full_page_;
    tail = tail_page_;
    total = total_;
    page_size = page_size_;
    max_per_call = max_per_call_;
  }
  // As fieldsyncd: gzip for a client that accepts it, as they are for any other.
  ctx->set_compression_level(GRPC_COMPRESS_LEVEL_LOW);
  uint64_t offset = 0;
  if (!req->cursor().empty()) offset = std::strtoull(req->cursor().c_str(), nullptr, 10);
  uint64_t sent = 0;
  // A copy per call: only the cursor and has_more of each page change.
  v1::PullResponse page = *full;
  bool page_is_tail = false;
  while (offset < total && sent < max_per_call && !ctx->IsCancelled()) {
    const uint64_t n = std::min(page_size, total - offset);
    if (n < page_size && !page_is_tail) {
      page = *tail;
      page_is_tail = true;
    }
    offset += n;
    sent += n;
    page.set_next_cursor(std::to_string(offset));
    page.set_has_more(offset < total);
    if (!writer->Write(page)) break;
  }
  if (total == 0) {
    v1::PullResponse empty;
    empty.set_next_cursor("0");
    writer->Write(empty);
  }
  return grpc::Status::OK;
}

BareSyncServer::BareSyncServer() {
  grpc::ServerBuilder builder;
  builder.AddListeningPort("127.0.0.1:0", grpc::InsecureServerCredentials(), &port_);
  builder.AddChannelArgument(GRPC_ARG_ALLOW_REUSEPORT, 0);
  builder.SetMaxReceiveMessageSize(kMaxMessageBytes);
  builder.SetMaxSendMessageSize(kMaxMessageBytes);
  builder.RegisterService(&service_);
  server_ = builder.BuildAndStart();
}

BareSyncServer::~BareSyncServer() {
  if (server_) {
    server_->Shutdown(std::chrono::system_clock::now() + std::chrono::seconds(5));
    server_->Wait();
  }
}

}  // namespace fieldsync::bench
