#include "server/rpc/form_service.h"

#include "absl/strings/str_cat.h"
#include "server/common/status.h"
#include "server/convert/convert.h"
#include "server/rpc/request_id.h"
#include "server/xlsform/xlsform.h"

namespace fieldsync::rpc {

absl::StatusOr<Form> FormServiceImpl::FormOf(const v1::PublishFormRequest& req) const {
  if (req.xlsx().empty()) return convert::FromProto(req.form());
  if (req.has_form()) {
    return InvalidFieldsError("send either form or xlsx, not both",
                              {{"xlsx", "send either form or xlsx, not both"}});
  }
  xlsform::XlsFormOptions options;
  options.xlsx = xlsx_limits_;
  options.form_id = req.form_id();
  options.version = req.version();
  absl::StatusOr<Form> form = xlsform::ConvertXlsForm(req.xlsx(), options);
  if (!form.ok() && form.status().code() == absl::StatusCode::kInvalidArgument) {
    return InvalidFieldsError(form.status().message(),
                              {{"xlsx", std::string(form.status().message())}});
  }
  return form;
}

grpc::Status FormServiceImpl::PublishForm(grpc::ServerContext* ctx,
                                          const v1::PublishFormRequest* req,
                                          v1::PublishFormResponse* resp) {
  return guard_->Run(ctx, {Role::kAdmin}, [&](const Device& device) -> absl::Status {
    auto form = FormOf(*req);
    if (!form.ok()) return form.status();
    auto created = forms_->Publish(*form);
    if (!created.ok()) return created.status();
    resp->set_created(*created);
    resp->set_form_id(form->form_id);
    resp->set_version(form->version);
    // Audited once published (FormRegistry owns that write); a re-publication changes nothing.
    if (*created && audit_ != nullptr) {
      auto entry =
          audit_->Append({AuditContext::Of(device, RequestIdOf(ctx)), audit_action::kFormPublish,
                          absl::StrCat(form->form_id, "@", form->version), ""});
      if (!entry.ok()) return entry.status();
    }
    return absl::OkStatus();
  });
}

grpc::Status FormServiceImpl::GetForm(grpc::ServerContext* ctx, const v1::GetFormRequest* req,
                                      v1::Form* resp) {
  return guard_->Run(ctx, kAnyRole, [&](const Device&) -> absl::Status {
    auto schema = forms_->Get(req->form_id(), req->version());
    if (!schema.ok()) return schema.status();
    convert::ToProto((*schema)->form(), resp);
    return absl::OkStatus();
  });
}

grpc::Status FormServiceImpl::ListForms(grpc::ServerContext* ctx, const v1::ListFormsRequest*,
                                        v1::ListFormsResponse* resp) {
  return guard_->Run(ctx, kAnyRole, [&](const Device&) -> absl::Status {
    auto forms = forms_->List();
    if (!forms.ok()) return forms.status();
    for (const auto& f : *forms) convert::ToProto(f, resp->add_forms());
    return absl::OkStatus();
  });
}

}  // namespace fieldsync::rpc
