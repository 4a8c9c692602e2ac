// AdminService's webhook calls over webhook::WebhookDispatcher (admin_service.h).
#include "absl/strings/str_cat.h"
#include "absl/strings/str_join.h"
#include "server/common/status.h"
#include "server/rpc/admin_service.h"
#include "server/rpc/request_id.h"
#include "server/webhook/payload.h"

namespace fieldsync::rpc {
namespace {

constexpr std::initializer_list<Role> kWebhookRoles = {Role::kAdmin};
constexpr uint32_t kDeadLetterPage = 100;

absl::Status NeedWebhooks(const webhook::WebhookDispatcher* w) {
  if (w == nullptr) return absl::FailedPreconditionError("webhooks are off on this server");
  return absl::OkStatus();
}

absl::StatusOr<WebhookTarget> TargetOf(const v1::AddWebhookRequest& req) {
  WebhookTarget t;
  t.url = req.url();
  t.form_ids.assign(req.form_ids().begin(), req.form_ids().end());
  for (const auto& s : req.scopes()) {
    const size_t eq = s.find('=');
    if (eq == std::string::npos || eq == 0) {
      return InvalidFieldsError("malformed scope", {{"scopes", "each is field=value"}});
    }
    t.scopes.push_back({s.substr(0, eq), s.substr(eq + 1)});
  }
  for (const auto& e : req.events()) {
    auto event = webhook::ParseEvent(e);
    if (!event) {
      return InvalidFieldsError(
          "unknown event", {{"events", absl::StrCat("\"", e, "\": create, update or delete")}});
    }
    t.events |= static_cast<uint32_t>(*event);
  }
  if (req.events().empty()) {
    t.events = static_cast<uint32_t>(WebhookEvent::kCreate) |
               static_cast<uint32_t>(WebhookEvent::kUpdate) |
               static_cast<uint32_t>(WebhookEvent::kDelete);
  }
  t.secret = req.secret();
  t.enabled = !req.disabled();
  return t;
}

void ToProto(const webhook::TargetStatus& s, v1::WebhookTargetInfo* out) {
  const WebhookTarget& t = s.target;
  out->set_target_id(t.target_id);
  out->set_url(t.url);
  for (const auto& f : t.form_ids) out->add_form_ids(f);
  for (const auto& p : t.scopes) out->add_scopes(absl::StrCat(p.field, "=", p.value));
  for (WebhookEvent e : {WebhookEvent::kCreate, WebhookEvent::kUpdate, WebhookEvent::kDelete}) {
    if (t.events & static_cast<uint32_t>(e)) out->add_events(webhook::EventName(e));
  }
  out->set_enabled(t.enabled);
  out->set_created_ms(t.created_ms);
  out->set_next_seq(s.state.next_seq);
  out->set_lag(s.lag);
  out->set_delivered(s.state.delivered);
  out->set_dead_letters(s.dead_letters);
  out->set_dropped(s.state.dropped);
  out->set_last_success_ms(s.state.last_success_ms);
  out->set_last_error(s.state.last_error);
  out->set_last_error_ms(s.state.last_error_ms);
}

}  // namespace

grpc::Status AdminServiceImpl::AddWebhook(grpc::ServerContext* ctx,
                                          const v1::AddWebhookRequest* req,
                                          v1::WebhookTargetInfo* resp) {
  return deps_.guard->Run(ctx, kWebhookRoles, [&](const Device& device) -> absl::Status {
    FS_RETURN_IF_ERROR(NeedWebhooks(deps_.webhooks));
    FS_ASSIGN_OR_RETURN(WebhookTarget target, TargetOf(*req));
    FS_ASSIGN_OR_RETURN(WebhookTarget added, deps_.webhooks->Add(std::move(target)));
    // The URL may carry a token of the receiving system: the audit entry names the host only.
    FS_RETURN_IF_ERROR(
        deps_.audit
            ->Append({AuditContext::Of(device, RequestIdOf(ctx)), audit_action::kWebhookAdd,
                      added.target_id, absl::StrCat("forms=", absl::StrJoin(added.form_ids, ","))})
            .status());
    webhook::TargetStatus status;
    added.secret.clear();
    status.target = added;
    FS_ASSIGN_OR_RETURN(std::vector<webhook::TargetStatus> all, deps_.webhooks->List());
    for (const auto& s : all) {
      if (s.target.target_id == added.target_id) status = s;
    }
    ToProto(status, resp);
    return absl::OkStatus();
  });
}

grpc::Status AdminServiceImpl::ListWebhooks(grpc::ServerContext* ctx,
                                            const v1::ListWebhooksRequest*,
                                            v1::ListWebhooksResponse* resp) {
  return deps_.guard->Run(ctx, kWebhookRoles, [&](const Device&) -> absl::Status {
    FS_RETURN_IF_ERROR(NeedWebhooks(deps_.webhooks));
    FS_ASSIGN_OR_RETURN(std::vector<webhook::TargetStatus> all, deps_.webhooks->List());
    for (const auto& s : all) ToProto(s, resp->add_targets());
    return absl::OkStatus();
  });
}

grpc::Status AdminServiceImpl::RemoveWebhook(grpc::ServerContext* ctx,
                                             const v1::RemoveWebhookRequest* req,
                                             v1::RemoveWebhookResponse*) {
  return deps_.guard->Run(ctx, kWebhookRoles, [&](const Device& device) -> absl::Status {
    FS_RETURN_IF_ERROR(NeedWebhooks(deps_.webhooks));
    FS_RETURN_IF_ERROR(deps_.webhooks->Remove(req->target_id()));
    return deps_.audit
        ->Append({AuditContext::Of(device, RequestIdOf(ctx)), audit_action::kWebhookRemove,
                  req->target_id(), ""})
        .status();
  });
}

grpc::Status AdminServiceImpl::ListDeadLetters(grpc::ServerContext* ctx,
                                               const v1::ListDeadLettersRequest* req,
                                               v1::ListDeadLettersResponse* resp) {
  return deps_.guard->Run(ctx, kWebhookRoles, [&](const Device&) -> absl::Status {
    FS_RETURN_IF_ERROR(NeedWebhooks(deps_.webhooks));
    const uint32_t limit =
        req->limit() == 0 ? kDeadLetterPage : std::min(req->limit(), kDeadLetterPage);
    FS_ASSIGN_OR_RETURN(std::vector<DeadLetter> dead,
                        deps_.webhooks->DeadLetters(req->target_id(), limit));
    for (const auto& d : dead) {
      auto* out = resp->add_dead_letters();
      out->set_seq(d.seq);
      out->set_attempts(d.attempts);
      out->set_last_error(d.last_error);
      out->set_failed_ms(d.failed_ms);
      out->set_event(d.event);
      out->set_payload_bytes(static_cast<uint32_t>(d.payload.size()));
    }
    return absl::OkStatus();
  });
}

grpc::Status AdminServiceImpl::ReplayDeadLetters(grpc::ServerContext* ctx,
                                                 const v1::ReplayDeadLettersRequest* req,
                                                 v1::ReplayDeadLettersResponse* resp) {
  return deps_.guard->Run(ctx, kWebhookRoles, [&](const Device& device) -> absl::Status {
    FS_RETURN_IF_ERROR(NeedWebhooks(deps_.webhooks));
    FS_RETURN_IF_ERROR(
        deps_.audit
            ->Append({AuditContext::Of(device, RequestIdOf(ctx)), audit_action::kWebhookReplay,
                      req->target_id(), absl::StrCat("seq=", req->seq())})
            .status());
    FS_ASSIGN_OR_RETURN(uint64_t delivered, deps_.webhooks->Replay(req->target_id(), req->seq()));
    resp->set_delivered(delivered);
    return absl::OkStatus();
  });
}

}  // namespace fieldsync::rpc
