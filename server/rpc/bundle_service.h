// fieldsync.v1.BundleService over BundleImporter: admins import offline bundle files.
#ifndef FIELDSYNC_SERVER_RPC_BUNDLE_SERVICE_H_
#define FIELDSYNC_SERVER_RPC_BUNDLE_SERVICE_H_

#include "fieldsync/v1/bundle.grpc.pb.h"
#include "server/rpc/auth_guard.h"
#include "server/sync/bundle_import.h"

namespace fieldsync::rpc {

class BundleServiceImpl final : public v1::BundleService::Service {
 public:
  // Neither pointer is owned; both must outlive the service.
  BundleServiceImpl(const AuthGuard* guard, BundleImporter* importer)
      : guard_(guard), importer_(importer) {}

  // Admin role only (PERMISSION_DENIED otherwise); see bundle.proto for the errors.
  grpc::Status ImportBundle(grpc::ServerContext* ctx, const v1::ImportBundleRequest* req,
                            v1::ImportBundleResponse* resp) override;

 private:
  const AuthGuard* guard_;
  BundleImporter* importer_;
};

}  // namespace fieldsync::rpc

#endif  // FIELDSYNC_SERVER_RPC_BUNDLE_SERVICE_H_
