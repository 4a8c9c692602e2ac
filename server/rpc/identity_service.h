// fieldsync.v1.IdentityService over the auth and audit cores: enrollment, token rotation,
// device administration and the audit log. Enroll is the one method without a bearer token
// (the enrollment code is the credential, limited per peer address); every other handler goes
// through AuthGuard with its role list. Admin list calls are audited.
#ifndef FIELDSYNC_SERVER_RPC_IDENTITY_SERVICE_H_
#define FIELDSYNC_SERVER_RPC_IDENTITY_SERVICE_H_

#include "fieldsync/v1/identity.grpc.pb.h"
#include "server/audit/audit_log.h"
#include "server/auth/device_registry.h"
#include "server/auth/enrollment.h"
#include "server/rpc/auth_guard.h"
#include "server/storage/store.h"

namespace fieldsync::rpc {

class IdentityServiceImpl final : public v1::IdentityService::Service {
 public:
  // None owned.
  IdentityServiceImpl(const AuthGuard* guard, DeviceRegistry* devices, Enrollment* enrollment,
                      AuditLog* audit, const Store* store)
      : guard_(guard), devices_(devices), enrollment_(enrollment), audit_(audit), store_(store) {}

  static constexpr uint32_t kAuditPage = 1000;
  // ListAudit answers stop at this many bytes too (at least one entry; audit entries are small).
  static constexpr size_t kAuditPageBytes = 1 << 20;

  grpc::Status Enroll(grpc::ServerContext* ctx, const v1::EnrollRequest* req,
                      v1::EnrollResponse* resp) override;
  grpc::Status RotateToken(grpc::ServerContext* ctx, const v1::RotateTokenRequest* req,
                           v1::RotateTokenResponse* resp) override;
  grpc::Status CreateEnrollmentCode(grpc::ServerContext* ctx,
                                    const v1::CreateEnrollmentCodeRequest* req,
                                    v1::CreateEnrollmentCodeResponse* resp) override;
  grpc::Status ListEnrollmentCodes(grpc::ServerContext* ctx,
                                   const v1::ListEnrollmentCodesRequest* req,
                                   v1::ListEnrollmentCodesResponse* resp) override;
  grpc::Status RevokeDevice(grpc::ServerContext* ctx, const v1::RevokeDeviceRequest* req,
                            v1::RevokeDeviceResponse* resp) override;
  grpc::Status ListCredentials(grpc::ServerContext* ctx, const v1::ListCredentialsRequest* req,
                               v1::ListCredentialsResponse* resp) override;
  grpc::Status ListAudit(grpc::ServerContext* ctx, const v1::ListAuditRequest* req,
                         v1::ListAuditResponse* resp) override;
  grpc::Status VerifyAudit(grpc::ServerContext* ctx, const v1::VerifyAuditRequest* req,
                           v1::VerifyAuditResponse* resp) override;

 private:
  const AuthGuard* guard_;
  DeviceRegistry* devices_;
  Enrollment* enrollment_;
  AuditLog* audit_;
  const Store* store_;
};

}  // namespace fieldsync::rpc

#endif  // FIELDSYNC_SERVER_RPC_IDENTITY_SERVICE_H_
