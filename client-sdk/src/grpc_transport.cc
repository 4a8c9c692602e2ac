#include "client-sdk/src/grpc_transport.h"

#include <chrono>
#include <string>
#include <utility>

#include "absl/strings/str_cat.h"
#include "fieldsync/v1/bundle.grpc.pb.h"
#include "fieldsync/v1/forms.grpc.pb.h"
#include "fieldsync/v1/identity.grpc.pb.h"
#include "fieldsync/v1/sync.grpc.pb.h"
#include "google/rpc/error_details.pb.h"
#include "google/rpc/status.pb.h"
#include "server/common/model.h"
#include "server/common/status.h"

namespace fieldsync::client {

grpc::ChannelArguments ChannelArgs(const ServerOptions& options) {
  grpc::ChannelArguments args;
  args.SetMaxReceiveMessageSize(16 << 20);
  args.SetMaxSendMessageSize(4 << 20);
  // Mobile links: detect a dead connection within ~40 s during a call, but never ping an idle
  // connection (it would keep the radio awake and the server limits idle pings).
  args.SetInt(GRPC_ARG_KEEPALIVE_TIME_MS, 30'000);
  args.SetInt(GRPC_ARG_KEEPALIVE_TIMEOUT_MS, 10'000);
  args.SetInt(GRPC_ARG_KEEPALIVE_PERMIT_WITHOUT_CALLS, 0);
  args.SetInt(GRPC_ARG_HTTP2_MAX_PINGS_WITHOUT_DATA, 0);
  // Reconnect quickly when the link comes back, but not in a tight loop.
  args.SetInt(GRPC_ARG_INITIAL_RECONNECT_BACKOFF_MS, 1'000);
  args.SetInt(GRPC_ARG_MAX_RECONNECT_BACKOFF_MS, 30'000);
  // The SDK retries itself, knowing what is safe to retry.
  args.SetInt(GRPC_ARG_ENABLE_RETRIES, 0);
  args.SetInt(GRPC_ARG_USE_LOCAL_SUBCHANNEL_POOL, 1);
  // With gzip, requests go compressed and the channel's grpc-accept-encoding lists gzip, which
  // asks fieldsyncd to compress its answers (Pull, ListReceipts, Changes). Without, neither:
  // only identity is accepted, so answers come uncompressed.
  if (options.gzip) {
    args.SetCompressionAlgorithm(GRPC_COMPRESS_GZIP);
    args.SetInt(GRPC_COMPRESSION_CHANNEL_ENABLED_ALGORITHMS_BITSET,
                (1 << GRPC_COMPRESS_NONE) | (1 << GRPC_COMPRESS_GZIP));
  } else {
    args.SetInt(GRPC_COMPRESSION_CHANNEL_ENABLED_ALGORITHMS_BITSET, 1 << GRPC_COMPRESS_NONE);
  }
  return args;
}

absl::Status FromGrpc(const grpc::Status& s) {
  if (s.ok()) return absl::OkStatus();
  const auto code = static_cast<absl::StatusCode>(s.error_code());
  std::string message = s.error_message();
  // fieldsyncd sends google.rpc.Status details with every error it makes (rpc/grpc_status.h).
  // INTERNAL without them was made by gRPC on this side: the stream was reset or the
  // connection cut mid-call (RST_STREAM, "Stream removed"), which a retry can cure.
  if (code == absl::StatusCode::kInternal && s.error_details().empty()) {
    return absl::UnavailableError(absl::StrCat("connection lost during the call: ", message));
  }
  if (!s.error_details().empty()) {
    google::rpc::Status details;
    if (details.ParseFromString(s.error_details())) {
      std::vector<fieldsync::FieldError> violations;
      for (const auto& any : details.details()) {
        if (any.Is<v1::ResyncRequired>() && code == absl::StatusCode::kFailedPrecondition) {
          return ResyncRequiredError(message);
        }
        google::rpc::BadRequest bad;
        if (any.Is<google::rpc::BadRequest>() && any.UnpackTo(&bad)) {
          for (const auto& v : bad.field_violations()) {
            violations.push_back({v.field(), v.description()});
          }
        }
      }
      if (!violations.empty() && code == absl::StatusCode::kInvalidArgument) {
        return InvalidFieldsError(message, violations);
      }
    }
  }
  return absl::Status(code, message);
}

namespace {

class GrpcPushStream final : public PushStream {
 public:
  GrpcPushStream(std::unique_ptr<grpc::ClientContext> ctx,
                 std::unique_ptr<grpc::ClientReaderWriter<v1::PushRequest, v1::PushResponse>> rw)
      : ctx_(std::move(ctx)), rw_(std::move(rw)) {}
  ~GrpcPushStream() override {
    if (!finished_) {
      ctx_->TryCancel();
      rw_->Finish();
    }
  }

  absl::StatusOr<v1::PushResponse> Exchange(const v1::PushRequest& request) override {
    if (finished_) return absl::FailedPreconditionError("push stream already finished");
    v1::PushResponse resp;
    if (!rw_->Write(request) || !rw_->Read(&resp)) {
      finished_ = true;
      absl::Status s = FromGrpc(rw_->Finish());
      // A stream that ends without a status is a cut connection.
      return s.ok() ? absl::UnavailableError("the server closed the push stream") : s;
    }
    return resp;
  }

  absl::Status Finish() override {
    if (finished_) return absl::OkStatus();
    finished_ = true;
    rw_->WritesDone();
    return FromGrpc(rw_->Finish());
  }

 private:
  std::unique_ptr<grpc::ClientContext> ctx_;
  std::unique_ptr<grpc::ClientReaderWriter<v1::PushRequest, v1::PushResponse>> rw_;
  bool finished_ = false;
};

class GrpcTransport final : public Transport {
 public:
  GrpcTransport(ServerOptions options, std::shared_ptr<grpc::Channel> channel)
      : options_(std::move(options)),
        channel_(std::move(channel)),
        sync_(v1::SyncService::NewStub(channel_)),
        forms_(v1::FormService::NewStub(channel_)),
        bundles_(v1::BundleService::NewStub(channel_)) {}

  absl::StatusOr<std::unique_ptr<PushStream>> OpenPush() override {
    auto ctx = Context(options_.push_stream_timeout_ms);
    auto rw = sync_->Push(ctx.get());
    return std::unique_ptr<PushStream>(new GrpcPushStream(std::move(ctx), std::move(rw)));
  }

  absl::Status Pull(const v1::PullRequest& request,
                    const std::function<absl::Status(const v1::PullResponse&)>& on_page) override {
    auto ctx = Context(options_.call_timeout_ms);
    auto reader = sync_->Pull(ctx.get(), request);
    v1::PullResponse resp;
    while (reader->Read(&resp)) {
      absl::Status s = on_page(resp);
      if (!s.ok()) {
        ctx->TryCancel();
        reader->Finish();
        return s;
      }
    }
    return FromGrpc(reader->Finish());
  }

  absl::StatusOr<v1::ListReceiptsResponse> ListReceipts(
      const v1::ListReceiptsRequest& request) override {
    auto ctx = Context(options_.call_timeout_ms);
    v1::ListReceiptsResponse resp;
    absl::Status s = FromGrpc(sync_->ListReceipts(ctx.get(), request, &resp));
    if (!s.ok()) return s;
    return resp;
  }

  absl::StatusOr<v1::ListFormsResponse> ListForms() override {
    auto ctx = Context(options_.call_timeout_ms);
    v1::ListFormsResponse resp;
    absl::Status s = FromGrpc(forms_->ListForms(ctx.get(), v1::ListFormsRequest(), &resp));
    if (!s.ok()) return s;
    return resp;
  }

  absl::StatusOr<v1::ImportBundleResponse> ImportBundle(
      const v1::ImportBundleRequest& request) override {
    // A bundle can be large: give it the push stream's deadline.
    auto ctx = Context(options_.push_stream_timeout_ms);
    v1::ImportBundleResponse resp;
    absl::Status s = FromGrpc(bundles_->ImportBundle(ctx.get(), request, &resp));
    if (!s.ok()) return s;
    return resp;
  }

 private:
  std::unique_ptr<grpc::ClientContext> Context(int64_t timeout_ms) const {
    auto ctx = std::make_unique<grpc::ClientContext>();
    ctx->AddMetadata("authorization", "Bearer " + options_.token);
    ctx->set_deadline(std::chrono::system_clock::now() + std::chrono::milliseconds(timeout_ms));
    return ctx;
  }

  ServerOptions options_;
  std::shared_ptr<grpc::Channel> channel_;
  std::unique_ptr<v1::SyncService::Stub> sync_;
  std::unique_ptr<v1::FormService::Stub> forms_;
  std::unique_ptr<v1::BundleService::Stub> bundles_;
};

}  // namespace

namespace {
std::shared_ptr<grpc::ChannelCredentials> Credentials(const ServerOptions& options) {
  if (options.plaintext) return grpc::InsecureChannelCredentials();
  grpc::SslCredentialsOptions ssl;
  ssl.pem_root_certs = options.ca_pem;
  return grpc::SslCredentials(ssl);
}
}  // namespace

absl::StatusOr<Enrollment> Enroll(const ServerOptions& server, const std::string& code,
                                  const std::string& label) {
  if (server.target.empty()) return absl::InvalidArgumentError("no server address given");
  auto channel = grpc::CreateCustomChannel(server.target, Credentials(server), ChannelArgs(server));
  auto stub = v1::IdentityService::NewStub(channel);
  grpc::ClientContext ctx;
  ctx.set_deadline(std::chrono::system_clock::now() +
                   std::chrono::milliseconds(server.call_timeout_ms));
  v1::EnrollRequest req;
  req.set_code(code);
  req.set_label(label);
  v1::EnrollResponse resp;
  absl::Status s = FromGrpc(stub->Enroll(&ctx, req, &resp));
  if (!s.ok()) return s;
  return Enrollment{resp.device_id(), resp.token(), resp.token_expires_ms(), resp.role()};
}

absl::StatusOr<std::unique_ptr<Transport>> NewGrpcTransport(const ServerOptions& options) {
  if (options.target.empty()) return absl::InvalidArgumentError("no server address configured");
  auto channel =
      grpc::CreateCustomChannel(options.target, Credentials(options), ChannelArgs(options));
  return std::unique_ptr<Transport>(new GrpcTransport(options, std::move(channel)));
}

}  // namespace fieldsync::client
