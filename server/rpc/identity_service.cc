#include "server/rpc/identity_service.h"

#include <limits>

#include "absl/strings/str_cat.h"
#include "server/auth/attempt_limiter.h"
#include "server/rpc/request_id.h"

namespace fieldsync::rpc {
namespace {

void ToProto(const std::vector<ScopePair>& scopes,
             google::protobuf::RepeatedPtrField<v1::IdentityScope>* out) {
  for (const auto& s : scopes) {
    auto* g = out->Add();
    g->set_field(s.field);
    g->set_value(s.value);
  }
}

void ToProto(const EnrollmentCode& c, v1::EnrollmentCodeInfo* out) {
  out->set_code_id(c.code_id);
  out->set_role(RoleName(c.role));
  out->set_all_scopes(c.all_scopes);
  ToProto(c.scopes, out->mutable_scopes());
  out->set_created_ms(c.created_ms);
  out->set_expires_ms(c.expires_ms);
  out->set_created_by(c.created_by);
  out->set_used_ms(c.used_ms);
  out->set_used_by(c.used_by);
}

void ToProto(const AuditEntry& e, v1::AuditEntry* out) {
  out->set_index(e.index);
  out->set_time_ms(e.time_ms);
  out->set_actor_device_id(e.event.who.actor_device_id);
  out->set_actor_role(e.event.who.actor_role);
  out->set_request_id(e.event.who.request_id);
  out->set_action(e.event.action);
  out->set_target(e.event.target);
  out->set_detail(e.event.detail);
  out->set_prev_hash(e.prev_hash);
  out->set_hash(e.hash);
}

constexpr std::initializer_list<Role> kAdminOnly = {Role::kAdmin};

}  // namespace

grpc::Status IdentityServiceImpl::Enroll(grpc::ServerContext* ctx, const v1::EnrollRequest* req,
                                         v1::EnrollResponse* resp) {
  // No AuthGuard: the code is the credential, and the attempt limiter guards it.
  auto created =
      enrollment_->Enroll(req->code(), req->label(), PeerHost(ctx->peer()), RequestIdOf(ctx));
  if (!created.ok()) return ToGrpcStatus(created.status());
  const Device& d = created->device;
  resp->set_device_id(d.device_id);
  resp->set_token(created->token);
  resp->set_token_expires_ms(d.token_expires_ms);
  resp->set_role(RoleName(d.role));
  resp->set_all_scopes(d.all_scopes);
  ToProto(d.scopes, resp->mutable_scopes());
  return grpc::Status::OK;
}

grpc::Status IdentityServiceImpl::RotateToken(grpc::ServerContext* ctx,
                                              const v1::RotateTokenRequest*,
                                              v1::RotateTokenResponse* resp) {
  return guard_->Run(ctx, kAnyRole, [&](const Device& device) -> absl::Status {
    auto rotated = devices_->RotateToken(device, AuditContext::Of(device, RequestIdOf(ctx)));
    if (!rotated.ok()) return rotated.status();
    resp->set_token(rotated->token);
    resp->set_token_expires_ms(rotated->expires_ms);
    return absl::OkStatus();
  });
}

grpc::Status IdentityServiceImpl::CreateEnrollmentCode(grpc::ServerContext* ctx,
                                                       const v1::CreateEnrollmentCodeRequest* req,
                                                       v1::CreateEnrollmentCodeResponse* resp) {
  return guard_->Run(ctx, kAdminOnly, [&](const Device& device) -> absl::Status {
    auto role = ParseRole(req->role());
    if (!role) return absl::InvalidArgumentError(absl::StrCat("unknown role '", req->role(), "'"));
    if (req->ttl_seconds() < 0 || req->ttl_seconds() > std::numeric_limits<int64_t>::max() / 1000) {
      return absl::InvalidArgumentError("ttl_seconds out of range");
    }
    CodeRequest code_req;
    code_req.role = *role;
    for (const auto& g : req->scopes()) code_req.scopes.push_back({g.field(), g.value()});
    code_req.all_scopes = req->all_scopes();
    code_req.ttl_ms = req->ttl_seconds() * 1000;
    code_req.server_address = req->server_address();
    auto code = enrollment_->CreateCode(code_req, AuditContext::Of(device, RequestIdOf(ctx)));
    if (!code.ok()) return code.status();
    resp->set_code(code->code);
    resp->set_enroll_uri(code->uri);
    ToProto(code->stored, resp->mutable_info());
    return absl::OkStatus();
  });
}

grpc::Status IdentityServiceImpl::ListEnrollmentCodes(grpc::ServerContext* ctx,
                                                      const v1::ListEnrollmentCodesRequest*,
                                                      v1::ListEnrollmentCodesResponse* resp) {
  return guard_->Run(ctx, kAdminOnly, [&](const Device& device) -> absl::Status {
    if (auto s = AuditRead(audit_, ctx, device, audit_action::kAdminList, "enrollment_codes");
        !s.ok()) {
      return s;
    }
    auto codes = enrollment_->List();
    if (!codes.ok()) return codes.status();
    for (const auto& c : *codes) ToProto(c, resp->add_codes());
    return absl::OkStatus();
  });
}

grpc::Status IdentityServiceImpl::RevokeDevice(grpc::ServerContext* ctx,
                                               const v1::RevokeDeviceRequest* req,
                                               v1::RevokeDeviceResponse*) {
  return guard_->Run(ctx, kAdminOnly, [&](const Device& device) -> absl::Status {
    return devices_->Revoke(req->device_id(), AuditContext::Of(device, RequestIdOf(ctx)));
  });
}

grpc::Status IdentityServiceImpl::ListCredentials(grpc::ServerContext* ctx,
                                                  const v1::ListCredentialsRequest*,
                                                  v1::ListCredentialsResponse* resp) {
  return guard_->Run(ctx, kAdminOnly, [&](const Device& device) -> absl::Status {
    if (auto s = AuditRead(audit_, ctx, device, audit_action::kAdminList, "devices"); !s.ok()) {
      return s;
    }
    auto devices = devices_->List();
    if (!devices.ok()) return devices.status();
    for (const auto& d : *devices) {
      auto* out = resp->add_devices();
      out->set_device_id(d.device_id);
      out->set_role(RoleName(d.role));
      out->set_all_scopes(d.all_scopes);
      ToProto(d.scopes, out->mutable_scopes());
      out->set_label(d.label);
      out->set_revoked(d.revoked);
      out->set_created_ms(d.created_ms);
      out->set_token_issued_ms(d.token_issued_ms);
      out->set_token_expires_ms(d.token_expires_ms);
    }
    return absl::OkStatus();
  });
}

grpc::Status IdentityServiceImpl::ListAudit(grpc::ServerContext* ctx,
                                            const v1::ListAuditRequest* req,
                                            v1::ListAuditResponse* resp) {
  return guard_->Run(ctx, kAdminOnly, [&](const Device& device) -> absl::Status {
    if (auto s = AuditRead(audit_, ctx, device, audit_action::kAdminList, "audit"); !s.ok()) {
      return s;
    }
    const uint32_t limit = req->limit() == 0 ? kAuditPage : std::min(req->limit(), kAuditPage);
    auto entries = audit_->List(req->from_index(), limit);
    if (!entries.ok()) return entries.status();
    // Cut by bytes too: the caller goes on from its last entry's index + 1.
    size_t bytes = 0;
    for (const auto& e : *entries) {
      v1::AuditEntry out;
      ToProto(e, &out);
      bytes += out.ByteSizeLong() + 6;
      if (resp->entries_size() > 0 && bytes > kAuditPageBytes) break;
      *resp->add_entries() = std::move(out);
    }
    return absl::OkStatus();
  });
}

grpc::Status IdentityServiceImpl::VerifyAudit(grpc::ServerContext* ctx,
                                              const v1::VerifyAuditRequest*,
                                              v1::VerifyAuditResponse* resp) {
  return guard_->Run(ctx, kAdminOnly, [&](const Device&) -> absl::Status {
    auto v = VerifyAuditChain(*store_);
    if (!v.ok()) return v.status();
    resp->set_ok(v->ok);
    resp->set_entries(v->entries);
    resp->set_head_hash(v->head_hash);
    resp->set_bad_index(v->bad_index);
    resp->set_problem(v->problem);
    return absl::OkStatus();
  });
}

}  // namespace fieldsync::rpc
