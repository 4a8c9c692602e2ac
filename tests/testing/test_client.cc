#include "tests/testing/test_client.h"

#include <chrono>

#include "google/rpc/error_details.pb.h"
#include "google/rpc/status.pb.h"

namespace fieldsync::testing {

TestClient::TestClient(const std::string& target, std::string token,
                       std::shared_ptr<grpc::ChannelCredentials> credentials,
                       bool accept_compression)
    : token_(std::move(token)) {
  grpc::ChannelArguments args;
  if (!accept_compression) {
    args.SetInt(GRPC_COMPRESSION_CHANNEL_ENABLED_ALGORITHMS_BITSET, 1 << GRPC_COMPRESS_NONE);
  }
  args.SetMaxReceiveMessageSize(64 << 20);
  args.SetMaxSendMessageSize(64 << 20);
  // A channel of its own, so one test's credentials never reuse another's connection.
  args.SetInt(GRPC_ARG_USE_LOCAL_SUBCHANNEL_POOL, 1);
  channel_ = grpc::CreateCustomChannel(
      target, credentials ? credentials : grpc::InsecureChannelCredentials(), args);
  sync_ = v1::SyncService::NewStub(channel_);
  forms_ = v1::FormService::NewStub(channel_);
  identity_ = v1::IdentityService::NewStub(channel_);
}

std::unique_ptr<grpc::ClientContext> TestClient::Context(int timeout_ms) const {
  auto ctx = std::make_unique<grpc::ClientContext>();
  if (!token_.empty()) ctx->AddMetadata("authorization", "Bearer " + token_);
  ctx->set_deadline(std::chrono::system_clock::now() + std::chrono::milliseconds(timeout_ms));
  return ctx;
}

grpc::Status TestClient::Push(const std::vector<std::vector<v1::Mutation>>& batches,
                              std::vector<v1::Receipt>* receipts) {
  auto ctx = Context();
  auto stream = sync_->Push(ctx.get());
  for (const auto& batch : batches) {
    v1::PushRequest req;
    for (const auto& m : batch) *req.add_mutations() = m;
    if (!stream->Write(req)) break;
    v1::PushResponse resp;
    if (!stream->Read(&resp)) break;
    for (const auto& r : resp.receipts()) receipts->push_back(r);
  }
  stream->WritesDone();
  return stream->Finish();
}

PullResult TestClient::Pull(const std::string& cursor, const std::vector<std::string>& forms,
                            uint32_t limit) {
  PullResult out;
  out.cursor = cursor;
  while (true) {
    auto ctx = Context();
    v1::PullRequest req;
    req.set_cursor(out.cursor);
    for (const auto& f : forms) req.add_form_ids(f);
    req.set_limit(limit);
    auto reader = sync_->Pull(ctx.get(), req);
    v1::PullResponse resp;
    bool more = false;
    while (reader->Read(&resp)) {
      ++out.pages;
      for (const auto& r : resp.records()) out.records.push_back(r);
      out.cursor = resp.next_cursor();
      more = resp.has_more();
    }
    out.status = reader->Finish();
    out.has_more = more;
    if (!out.status.ok() || !more || limit != 0) return out;
  }
}

grpc::Status TestClient::ListReceipts(uint64_t since, v1::ListReceiptsResponse* resp) {
  auto ctx = Context();
  v1::ListReceiptsRequest req;
  req.set_since_device_seq(since);
  return sync_->ListReceipts(ctx.get(), req, resp);
}

grpc::Status TestClient::Changes(uint64_t from_seq, std::vector<v1::Change>* changes,
                                 uint64_t* head) {
  auto ctx = Context();
  v1::ChangesRequest req;
  req.set_from_seq(from_seq);
  auto reader = sync_->Changes(ctx.get(), req);
  v1::ChangesResponse resp;
  while (reader->Read(&resp)) {
    for (const auto& c : resp.changes()) changes->push_back(c);
    if (head) *head = resp.head_seq();
  }
  return reader->Finish();
}

grpc::Status TestClient::PublishForm(const v1::Form& form, bool* created) {
  auto ctx = Context();
  v1::PublishFormRequest req;
  *req.mutable_form() = form;
  v1::PublishFormResponse resp;
  auto s = forms_->PublishForm(ctx.get(), req, &resp);
  if (created) *created = resp.created();
  return s;
}

v1::Value Text(const std::string& s) {
  v1::Value v;
  v.set_text(s);
  return v;
}

v1::Value Int(int64_t i) {
  v1::Value v;
  v.set_integer(i);
  return v;
}

v1::Value Null() { return v1::Value(); }

v1::Mutation MakeMutation(const MutationSpec& spec) {
  v1::Mutation m;
  m.set_device_seq(spec.device_seq);
  m.set_record_id(spec.record_id);
  m.set_form_id(spec.form_id);
  m.set_form_version(1);
  m.set_base_version(spec.base_version);
  m.set_op(spec.is_delete ? v1::Mutation::DELETE : v1::Mutation::UPSERT);
  for (const auto& [k, v] : spec.fields) (*m.mutable_fields())[k] = v;
  m.mutable_hlc()->set_physical_ms(
      spec.hlc_ms ? spec.hlc_ms : 1'700'000'000'000 + static_cast<int64_t>(spec.device_seq));
  m.mutable_hlc()->set_device_id(spec.device_id);
  return m;
}

v1::Mutation HouseholdCreate(uint64_t device_seq, const std::string& record_id,
                             const std::string& governorate, int64_t household_size,
                             const std::string& device_id) {
  return MakeMutation({device_seq,
                       record_id,
                       "displacement_household",
                       0,
                       {{"governorate", Text(governorate)},
                        {"district", Text("Mosul")},
                        {"visit_date", Text("2026-11-20")},
                        {"household_size", Int(household_size)}},
                       false,
                       0,
                       device_id});
}

v1::Mutation CrossingCreate(uint64_t device_seq, const std::string& record_id,
                            const std::string& border_point, int64_t group_size) {
  return MakeMutation({device_seq,
                       record_id,
                       "border_crossing",
                       0,
                       {{"border_point", Text(border_point)},
                        {"crossing_date", Text("2026-11-21")},
                        {"direction", Text("entry")},
                        {"nationality", Text("SYR")},
                        {"group_size", Int(group_size)}}});
}

std::map<std::string, v1::RecordState> ById(const std::vector<v1::RecordState>& records) {
  std::map<std::string, v1::RecordState> out;
  for (const auto& r : records) out[r.record_id()] = r;
  return out;
}

std::vector<std::string> BadRequestFields(const grpc::Status& s) {
  std::vector<std::string> out;
  google::rpc::Status st;
  if (!st.ParseFromString(s.error_details())) return out;
  for (const auto& any : st.details()) {
    google::rpc::BadRequest bad;
    if (any.UnpackTo(&bad)) {
      for (const auto& v : bad.field_violations()) out.push_back(v.field());
    }
  }
  return out;
}

bool IsResyncRequired(const grpc::Status& s) {
  google::rpc::Status st;
  if (!st.ParseFromString(s.error_details())) return false;
  for (const auto& any : st.details()) {
    if (any.Is<v1::ResyncRequired>()) return true;
  }
  return false;
}

}  // namespace fieldsync::testing
