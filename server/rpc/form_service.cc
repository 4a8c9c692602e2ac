#include "server/rpc/form_service.h"

#include "absl/strings/str_cat.h"
#include "server/convert/convert.h"
#include "server/rpc/request_id.h"

namespace fieldsync::rpc {

grpc::Status FormServiceImpl::PublishForm(grpc::ServerContext* ctx,
                                          const v1::PublishFormRequest* req,
                                          v1::PublishFormResponse* resp) {
  return guard_->Run(ctx, {Role::kAdmin}, [&](const Device& device) -> absl::Status {
    auto form = convert::FromProto(req->form());
    if (!form.ok()) return form.status();
    auto created = forms_->Publish(*form);
    if (!created.ok()) return created.status();
    resp->set_created(*created);
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
