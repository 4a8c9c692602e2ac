#include "server/rpc/remote_change_feed.h"

#include "absl/strings/str_cat.h"
#include "server/common/status.h"
#include "server/convert/convert.h"

namespace fieldsync::rpc {
namespace {

ChangeEntry FromProto(const v1::Change& c) {
  ChangeEntry e;
  e.seq = c.seq();
  e.record_id = c.record_id();
  e.form_id = c.form_id();
  e.form_version = c.form_version();
  e.version = c.version();
  e.created = c.created();
  e.deleted_before = c.deleted_before();
  e.deleted_after = c.deleted_after();
  for (const auto& fc : c.changes()) {
    e.changes.push_back(
        {fc.field(), convert::FromProto(fc.before()), convert::FromProto(fc.after())});
  }
  // Maps lose the form's order; the consumer orders pairs by the form's scope fields.
  for (const auto& [f, v] : c.scope()) e.scope_after.push_back({f, v});
  for (const auto& [f, v] : c.scope_before()) e.scope_before.push_back({f, v});
  e.device_id = c.device_id();
  e.commit_time_ms = c.commit_time_ms();
  e.parent_record_id = c.parent_record_id();
  e.repeat = c.repeat();
  e.ordinal = c.ordinal();
  e.root_record_id = c.root_record_id();
  return e;
}

std::unique_ptr<grpc::ClientContext> Context(const std::string& token,
                                             std::chrono::system_clock::time_point deadline) {
  auto ctx = std::make_unique<grpc::ClientContext>();
  ctx->AddMetadata("authorization", "Bearer " + token);
  ctx->set_deadline(deadline);
  return ctx;
}

}  // namespace

absl::Status FromGrpcStatus(const grpc::Status& s) {
  if (s.ok()) return absl::OkStatus();
  return absl::Status(static_cast<absl::StatusCode>(s.error_code()), s.error_message());
}

RemoteChangeFeed::RemoteChangeFeed(std::shared_ptr<grpc::Channel> channel, std::string token,
                                   std::chrono::milliseconds call_timeout)
    : stub_(v1::SyncService::NewStub(channel)),
      token_(std::move(token)),
      call_timeout_(call_timeout) {}

RemoteChangeFeed::~RemoteChangeFeed() {
  std::lock_guard<std::mutex> l(mu_);
  CloseStream();
}

void RemoteChangeFeed::CloseStream() {
  if (reader_) {
    ctx_->TryCancel();
    reader_->Finish().IgnoreError();
  }
  reader_.reset();
  ctx_.reset();
}

absl::StatusOr<ChangeBatch> RemoteChangeFeed::Read(uint64_t from_seq, size_t limit) {
  std::lock_guard<std::mutex> l(mu_);
  if (reader_ && stream_next_ != from_seq) CloseStream();
  if (!reader_) {
    ctx_ = Context(token_, std::chrono::system_clock::now() + call_timeout_);
    v1::ChangesRequest req;
    req.set_from_seq(from_seq);
    req.set_limit(static_cast<uint32_t>(std::min<size_t>(limit, UINT32_MAX)));
    req.set_follow(false);
    reader_ = stub_->Changes(ctx_.get(), req);
    stream_next_ = from_seq;
  }
  v1::ChangesResponse resp;
  ChangeBatch out;
  if (!reader_->Read(&resp)) {
    grpc::Status s = reader_->Finish();
    reader_.reset();
    ctx_.reset();
    if (!s.ok()) return FromGrpcStatus(s);
    out.head_seq = head_;  // the stream ended after its last page: caught up
    return out;
  }
  head_ = std::max(head_, resp.head_seq());
  out.head_seq = resp.head_seq();
  out.changes.reserve(resp.changes_size());
  for (const auto& c : resp.changes()) out.changes.push_back(FromProto(c));
  if (out.changes.empty()) {
    // The non-follow stream's last message: the head it caught up with.
    CloseStream();
  } else {
    stream_next_ = out.changes.back().seq + 1;
  }
  return out;
}

uint64_t RemoteChangeFeed::Wait(uint64_t after_seq,
                                std::chrono::steady_clock::time_point deadline) {
  auto left = deadline - std::chrono::steady_clock::now();
  if (left <= std::chrono::steady_clock::duration::zero()) return head_;
  auto ctx = Context(token_, std::chrono::system_clock::now() +
                                 std::chrono::duration_cast<std::chrono::milliseconds>(left));
  v1::ChangesRequest req;
  req.set_from_seq(after_seq + 1);
  req.set_limit(1);
  req.set_follow(true);
  auto reader = stub_->Changes(ctx.get(), req);
  v1::ChangesResponse resp;
  uint64_t head = 0;
  if (reader->Read(&resp)) {
    head = resp.head_seq();
    for (const auto& c : resp.changes()) head = std::max(head, c.seq());
  }
  ctx->TryCancel();
  reader->Finish().IgnoreError();
  std::lock_guard<std::mutex> l(mu_);
  head_ = std::max(head_, head);
  return head_;
}

RemoteFormSource::RemoteFormSource(std::shared_ptr<grpc::Channel> channel, std::string token)
    : stub_(v1::FormService::NewStub(channel)), token_(std::move(token)) {}

absl::StatusOr<Form> RemoteFormSource::Latest(const std::string& form_id, uint32_t min_version) {
  {
    std::lock_guard<std::mutex> l(mu_);
    auto it = latest_.find(form_id);
    if (it != latest_.end() && it->second.version >= min_version) return it->second;
  }
  auto ctx = Context(token_, std::chrono::system_clock::now() + std::chrono::seconds(30));
  v1::GetFormRequest req;
  req.set_form_id(form_id);
  v1::Form resp;
  FS_RETURN_IF_ERROR(FromGrpcStatus(stub_->GetForm(ctx.get(), req, &resp)));
  FS_ASSIGN_OR_RETURN(Form form, convert::FromProto(resp));
  if (form.version < min_version) {
    return absl::UnavailableError(
        absl::StrCat("form ", form_id, " v", min_version, " is not visible yet"));
  }
  std::lock_guard<std::mutex> l(mu_);
  latest_[form_id] = form;
  return form;
}

absl::StatusOr<std::vector<Form>> RemoteFormSource::ListLatest() {
  auto ctx = Context(token_, std::chrono::system_clock::now() + std::chrono::seconds(30));
  v1::ListFormsResponse resp;
  FS_RETURN_IF_ERROR(FromGrpcStatus(stub_->ListForms(ctx.get(), v1::ListFormsRequest(), &resp)));
  std::map<std::string, Form> latest;
  for (const auto& pf : resp.forms()) {
    FS_ASSIGN_OR_RETURN(Form f, convert::FromProto(pf));
    auto it = latest.find(f.form_id);
    if (it == latest.end() || it->second.version < f.version) latest[f.form_id] = std::move(f);
  }
  std::vector<Form> out;
  for (auto& [id, f] : latest) out.push_back(std::move(f));
  return out;
}

}  // namespace fieldsync::rpc
