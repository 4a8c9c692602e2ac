// fieldsync.v1.FormService over FormRegistry.
#ifndef FIELDSYNC_SERVER_RPC_FORM_SERVICE_H_
#define FIELDSYNC_SERVER_RPC_FORM_SERVICE_H_

#include "fieldsync/v1/forms.grpc.pb.h"
#include "server/audit/audit_log.h"
#include "server/forms/form_registry.h"
#include "server/rpc/auth_guard.h"
#include "server/xlsform/xlsx_reader.h"

namespace fieldsync::rpc {

class FormServiceImpl final : public v1::FormService::Service {
 public:
  FormServiceImpl(const AuthGuard* guard, FormRegistry* forms) : guard_(guard), forms_(forms) {}

  // Audit log for form publications; none: not audited. Not owned.
  void set_audit(AuditLog* audit) { audit_ = audit; }
  // Bounds of the XLSForm conversion of PublishFormRequest.xlsx (file size, zip, rows...).
  void set_xlsx_limits(const xlsform::XlsxLimits& limits) { xlsx_limits_ = limits; }

  grpc::Status PublishForm(grpc::ServerContext* ctx, const v1::PublishFormRequest* req,
                           v1::PublishFormResponse* resp) override;
  grpc::Status GetForm(grpc::ServerContext* ctx, const v1::GetFormRequest* req,
                       v1::Form* resp) override;
  grpc::Status ListForms(grpc::ServerContext* ctx, const v1::ListFormsRequest* req,
                         v1::ListFormsResponse* resp) override;

 private:
  // The form a publish request carries: `form`, or `xlsx` converted.
  absl::StatusOr<Form> FormOf(const v1::PublishFormRequest& req) const;

  const AuthGuard* guard_;
  FormRegistry* forms_;
  AuditLog* audit_ = nullptr;
  xlsform::XlsxLimits xlsx_limits_;
};

}  // namespace fieldsync::rpc

#endif  // FIELDSYNC_SERVER_RPC_FORM_SERVICE_H_
