#include "server/rpc/bundle_service.h"

#include "server/convert/convert.h"
#include "server/rpc/request_id.h"

namespace fieldsync::rpc {

grpc::Status BundleServiceImpl::ImportBundle(grpc::ServerContext* ctx,
                                             const v1::ImportBundleRequest* req,
                                             v1::ImportBundleResponse* resp) {
  return guard_->Run(ctx, {Role::kAdmin}, [&](const Device& caller) -> absl::Status {
    auto result = importer_->Import(req->bundle(), AuditContext::Of(caller, RequestIdOf(ctx)));
    if (!result.ok()) return result.status();
    resp->set_device_id(result->device_id);
    for (const auto& r : result->receipts) convert::ToProto(r, resp->add_receipts());
    resp->set_acked_device_seq(result->acked_device_seq);
    resp->set_receipts_file(std::move(result->receipts_file));
    return absl::OkStatus();
  });
}

}  // namespace fieldsync::rpc
