#include "server/rpc/admin_service.h"

#include <algorithm>
#include <chrono>

#include "absl/strings/str_cat.h"
#include "server/common/status.h"
#include "server/convert/convert.h"
#include "server/rpc/request_id.h"

namespace fieldsync::rpc {
namespace {

constexpr std::initializer_list<Role> kAdminOnly = {Role::kAdmin};
// DESIGN.md: a supervisor reads and resolves conflicts within its scopes.
constexpr std::initializer_list<Role> kConflictRoles = {Role::kAdmin, Role::kSupervisor};

void ToProto(const ScopePair& p, v1::ScopeGrant* out) {
  out->set_field(p.field);
  out->set_value(p.value);
}

v1::DeviceStatus ToProto(admin::DeviceStatus s) {
  switch (s) {
    case admin::DeviceStatus::kInSync:
      return v1::IN_SYNC;
    case admin::DeviceStatus::kBehind:
      return v1::BEHIND;
    case admin::DeviceStatus::kSilent:
      return v1::SILENT;
  }
  return v1::DEVICE_STATUS_UNSPECIFIED;
}

void ToProto(const admin::DeviceView& v, v1::DeviceSummary* out) {
  out->set_device_id(v.device.device_id);
  out->set_role(RoleName(v.device.role));
  out->set_all_scopes(v.device.all_scopes);
  for (const auto& p : v.device.scopes) ToProto(p, out->add_scopes());
  out->set_revoked(v.device.revoked);
  out->set_status(ToProto(v.status));
  const DeviceSyncState& s = v.state;
  out->set_last_seen_ms(s.last_seen_ms);
  out->set_last_push_ms(s.last_push_ms);
  out->set_last_pull_ms(s.last_pull_ms);
  out->set_acked_seq(s.acked_seq);
  out->set_last_pull_seq(s.last_pull_seq);
  out->set_cursor_lag(v.cursor_lag);
  convert::ToProto(s.report, out->mutable_report());
  out->set_clock_skew_ms(s.clock_skew_ms);
  out->set_open_conflicts(s.conflicts);
  out->set_quarantined(s.quarantined);
}

void ToProto(const admin::ConflictView& v, v1::Conflict* out) {
  const ConflictEntry& c = v.entry;
  auto* key = out->mutable_key();
  key->set_record_id(c.record_id);
  key->set_device_id(c.device_writer);
  key->set_device_seq(c.device_seq);
  key->set_field(c.field);
  out->set_form_id(c.form_id);
  out->set_seq(c.seq);
  out->set_base_version(c.base_version);
  convert::ToProto(c.server_value, out->mutable_server_value());
  convert::ToProto(c.device_value, out->mutable_device_value());
  out->set_server_writer(c.server_writer);
  out->set_device_writer(c.device_writer);
  convert::ToProto(c.server_hlc, out->mutable_server_hlc());
  convert::ToProto(c.device_hlc, out->mutable_device_hlc());
  out->set_device_won(c.device_won);
  out->set_delete_conflict(c.delete_conflict);
  out->set_open(c.open);
  out->set_created_ms(c.created_ms);
  for (const auto& p : v.scope) ToProto(p, out->add_scope());
  out->set_record_version(v.record_version);
}

admin::ConflictId FromProto(const v1::ConflictKey& k) {
  return admin::ConflictId{k.record_id(), k.device_id(), k.device_seq(), k.field()};
}

void ToProto(const QuarantineEntry& q, v1::QuarantinedMutation* out) {
  out->set_device_id(q.device_id);
  convert::ToProto(q.mutation, out->mutable_mutation());
  for (const auto& e : q.errors) {
    auto* fe = out->add_errors();
    fe->set_field(e.field);
    fe->set_description(e.description);
  }
  out->set_reason(q.reason);
  out->set_received_ms(q.received_ms);
}

void ToProto(const BackupSummary& b, v1::BackupInfo* out) {
  out->set_backup_id(b.backup_id);
  out->set_timestamp_s(b.timestamp_s);
  out->set_size_bytes(b.size_bytes);
  out->set_file_count(b.file_count);
}

absl::StatusOr<std::optional<ScopePair>> ScopeFilter(const v1::ScopeGrant& g,
                                                     const char* field_name) {
  if (g.field().empty() && g.value().empty()) return std::optional<ScopePair>();
  if (g.field().empty()) {
    return InvalidFieldsError("incomplete scope filter",
                              {{absl::StrCat(field_name, ".field"), "required with a value"}});
  }
  return std::optional<ScopePair>(ScopePair{g.field(), g.value()});
}

absl::Status NeedBackups(const Backups* b) {
  if (b == nullptr) {
    return absl::FailedPreconditionError("no backup folder: start the server with --backup-dir");
  }
  return absl::OkStatus();
}

}  // namespace

void AdminServiceImpl::Shutdown() {
  {
    std::lock_guard<std::mutex> l(mu_);
    shutting_down_ = true;
  }
  cv_.notify_all();
}

grpc::Status AdminServiceImpl::ListDevices(grpc::ServerContext* ctx,
                                           const v1::ListDevicesRequest* req,
                                           v1::ListDevicesResponse* resp) {
  return deps_.guard->Run(ctx, kAdminOnly, [&](const Device& caller) -> absl::Status {
    admin::DeviceFilter filter;
    if (!req->role().empty()) {
      filter.role = ParseRole(req->role());
      if (!filter.role) return InvalidFieldsError("unknown role", {{"role", "unknown role"}});
    }
    FS_ASSIGN_OR_RETURN(filter.scope, ScopeFilter(req->scope(), "scope"));
    if (req->status() != v1::DEVICE_STATUS_UNSPECIFIED) {
      if (!v1::DeviceStatus_IsValid(req->status())) {
        return InvalidFieldsError("unknown status", {{"status", "unknown status"}});
      }
      filter.status = static_cast<admin::DeviceStatus>(req->status());
    }
    filter.id_prefix = req->id_prefix();
    filter.silent_after_ms = req->silent_after_ms();
    FS_ASSIGN_OR_RETURN(admin::DevicePage page,
                        deps_.fleet->List(filter, req->page_size(), req->page_token()));
    FS_RETURN_IF_ERROR(
        AuditRead(deps_.audit, ctx, caller, audit_action::kAdminList, "admin.ListDevices"));
    for (const auto& v : page.devices) ToProto(v, resp->add_devices());
    resp->set_next_page_token(page.next_page_token);
    resp->set_head_seq(page.head_seq);
    resp->set_server_time_ms(page.now_ms);
    return absl::OkStatus();
  });
}

grpc::Status AdminServiceImpl::GetSyncOverview(grpc::ServerContext* ctx,
                                               const v1::GetSyncOverviewRequest* req,
                                               v1::SyncOverview* resp) {
  return deps_.guard->Run(ctx, kAdminOnly, [&](const Device&) -> absl::Status {
    FS_ASSIGN_OR_RETURN(admin::Overview o, deps_.fleet->GetOverview(req->silent_after_ms()));
    resp->set_devices(o.devices);
    resp->set_in_sync(o.in_sync);
    resp->set_behind(o.behind);
    resp->set_silent(o.silent);
    resp->set_revoked(o.revoked);
    resp->set_open_conflicts(o.open_conflicts);
    resp->set_quarantined(o.quarantined);
    resp->set_outbox_depth(o.outbox_depth);
    resp->set_head_seq(o.head_seq);
    resp->set_server_time_ms(o.now_ms);
    resp->set_silent_after_ms(o.silent_after_ms);
    for (const auto& v : o.silent_devices) ToProto(v, resp->add_silent_devices());
    for (const auto& b : o.backlog) {
      auto* out = resp->add_backlog();
      ToProto(b.scope, out->mutable_scope());
      out->set_devices(b.devices);
      out->set_silent_devices(b.silent_devices);
      out->set_outbox_depth(b.outbox_depth);
      out->set_quarantined(b.quarantined);
      out->set_open_conflicts(b.open_conflicts);
      out->set_oldest_unsent_age_ms(b.oldest_unsent_age_ms);
    }
    return absl::OkStatus();
  });
}

grpc::Status AdminServiceImpl::WatchSyncStatus(grpc::ServerContext* ctx,
                                               const v1::WatchSyncStatusRequest* req,
                                               grpc::ServerWriter<v1::DeviceStatusEvent>* writer) {
  return deps_.guard->RunStream(ctx, kAdminOnly, [&](const Device&) -> absl::Status {
    if (req->silent_after_ms() < 0) {
      return InvalidFieldsError("negative threshold", {{"silent_after_ms", "must be 0 or more"}});
    }
    const uint32_t poll_ms =
        req->poll_ms() == 0 ? limits_.default_poll_ms
                            : std::clamp(req->poll_ms(), limits_.min_poll_ms, limits_.max_poll_ms);
    admin::StatusTracker tracker;
    bool first = true;
    while (!ctx->IsCancelled()) {
      FS_ASSIGN_OR_RETURN(std::vector<admin::DeviceView> snapshot,
                          deps_.fleet->Snapshot(req->silent_after_ms()));
      for (const auto& change : tracker.Update(snapshot)) {
        v1::DeviceStatusEvent event;
        ToProto(change.view, event.mutable_device());
        event.set_snapshot(first);
        event.set_removed(change.removed);
        if (!writer->Write(event)) return absl::CancelledError("client went away");
      }
      if (first) {
        v1::DeviceStatusEvent done;
        done.set_snapshot_done(true);
        if (!writer->Write(done)) return absl::CancelledError("client went away");
        first = false;
      }
      std::unique_lock<std::mutex> l(mu_);
      if (cv_.wait_for(l, std::chrono::milliseconds(poll_ms), [&] { return shutting_down_; })) {
        return absl::OkStatus();
      }
    }
    return absl::OkStatus();
  });
}

grpc::Status AdminServiceImpl::ListConflicts(grpc::ServerContext* ctx,
                                             const v1::ListConflictsRequest* req,
                                             v1::ListConflictsResponse* resp) {
  return deps_.guard->Run(ctx, kConflictRoles, [&](const Device& caller) -> absl::Status {
    admin::ConflictFilter filter;
    filter.form_id = req->form_id();
    FS_ASSIGN_OR_RETURN(filter.scope, ScopeFilter(req->scope(), "scope"));
    filter.field = req->field();
    if (!v1::ListConflictsRequest::State_IsValid(req->state())) {
      return InvalidFieldsError("unknown state", {{"state", "OPEN, CLOSED or ALL"}});
    }
    filter.state = static_cast<admin::ConflictState>(req->state());
    FS_ASSIGN_OR_RETURN(admin::ConflictPage page,
                        deps_.conflicts->List(caller, filter, req->page_size(), req->page_token()));
    FS_RETURN_IF_ERROR(
        AuditRead(deps_.audit, ctx, caller, audit_action::kAdminList, "admin.ListConflicts"));
    for (const auto& c : page.conflicts) ToProto(c, resp->add_conflicts());
    resp->set_next_page_token(page.next_page_token);
    return absl::OkStatus();
  });
}

grpc::Status AdminServiceImpl::GetConflict(grpc::ServerContext* ctx,
                                           const v1::GetConflictRequest* req, v1::Conflict* resp) {
  return deps_.guard->Run(ctx, kConflictRoles, [&](const Device& caller) -> absl::Status {
    FS_ASSIGN_OR_RETURN(admin::ConflictView v, deps_.conflicts->Get(caller, FromProto(req->key())));
    ToProto(v, resp);
    return absl::OkStatus();
  });
}

grpc::Status AdminServiceImpl::ResolveConflict(grpc::ServerContext* ctx,
                                               const v1::ResolveConflictRequest* req,
                                               v1::ResolveConflictResponse* resp) {
  return deps_.guard->Run(ctx, kConflictRoles, [&](const Device& caller) -> absl::Status {
    admin::Resolution r;
    r.id = FromProto(req->key());
    r.choice = static_cast<admin::ResolutionChoice>(req->choice());
    r.value = convert::FromProto(req->value());
    FS_ASSIGN_OR_RETURN(admin::ResolveResult result,
                        deps_.conflicts->Resolve(caller, r, req->reason(),
                                                 AuditContext::Of(caller, RequestIdOf(ctx))));
    Record shown = result.record;
    shown.field_meta.clear();
    convert::ToProto(shown, resp->mutable_record());
    admin::ConflictView view;
    view.entry = result.conflict;
    view.record_version = result.record.version;
    ToProto(view, resp->mutable_conflict());
    return absl::OkStatus();
  });
}

grpc::Status AdminServiceImpl::ListQuarantine(grpc::ServerContext* ctx,
                                              const v1::ListQuarantineRequest* req,
                                              v1::ListQuarantineResponse* resp) {
  return deps_.guard->Run(ctx, kAdminOnly, [&](const Device& caller) -> absl::Status {
    admin::QuarantineFilter filter{req->device_id(), req->form_id()};
    FS_ASSIGN_OR_RETURN(admin::QuarantinePage page,
                        deps_.quarantine->List(filter, req->page_size(), req->page_token()));
    FS_RETURN_IF_ERROR(
        AuditRead(deps_.audit, ctx, caller, audit_action::kAdminList, "admin.ListQuarantine"));
    for (const auto& q : page.entries) ToProto(q, resp->add_entries());
    resp->set_next_page_token(page.next_page_token);
    return absl::OkStatus();
  });
}

grpc::Status AdminServiceImpl::ReplayQuarantined(grpc::ServerContext* ctx,
                                                 const v1::ReplayQuarantinedRequest* req,
                                                 v1::ReplayQuarantinedResponse* resp) {
  return deps_.guard->Run(ctx, kAdminOnly, [&](const Device& caller) -> absl::Status {
    FS_ASSIGN_OR_RETURN(
        admin::ReplayResult r,
        deps_.quarantine->Replay(req->device_id(), req->device_seq(), req->form_version(),
                                 req->reason(), AuditContext::Of(caller, RequestIdOf(ctx))));
    resp->set_applied(r.applied);
    convert::ToProto(r.receipt, resp->mutable_receipt());
    for (const auto& e : r.errors) {
      auto* fe = resp->add_errors();
      fe->set_field(e.field);
      fe->set_description(e.description);
    }
    return absl::OkStatus();
  });
}

grpc::Status AdminServiceImpl::DiscardQuarantined(grpc::ServerContext* ctx,
                                                  const v1::DiscardQuarantinedRequest* req,
                                                  v1::DiscardQuarantinedResponse*) {
  return deps_.guard->Run(ctx, kAdminOnly, [&](const Device& caller) -> absl::Status {
    return deps_.quarantine->Discard(req->device_id(), req->device_seq(), req->reason(),
                                     AuditContext::Of(caller, RequestIdOf(ctx)));
  });
}

grpc::Status AdminServiceImpl::CreateBackup(grpc::ServerContext* ctx,
                                            const v1::CreateBackupRequest*, v1::BackupInfo* resp) {
  return deps_.guard->Run(ctx, kAdminOnly, [&](const Device&) -> absl::Status {
    FS_RETURN_IF_ERROR(NeedBackups(deps_.backups));
    FS_ASSIGN_OR_RETURN(BackupSummary b, deps_.backups->Create(deps_.store));
    ToProto(b, resp);
    return absl::OkStatus();
  });
}

grpc::Status AdminServiceImpl::ListBackups(grpc::ServerContext* ctx, const v1::ListBackupsRequest*,
                                           v1::ListBackupsResponse* resp) {
  return deps_.guard->Run(ctx, kAdminOnly, [&](const Device&) -> absl::Status {
    FS_RETURN_IF_ERROR(NeedBackups(deps_.backups));
    FS_ASSIGN_OR_RETURN(std::vector<BackupSummary> list, deps_.backups->List());
    for (const auto& b : list) ToProto(b, resp->add_backups());
    return absl::OkStatus();
  });
}

grpc::Status AdminServiceImpl::VerifyBackup(grpc::ServerContext* ctx,
                                            const v1::VerifyBackupRequest* req,
                                            v1::VerifyBackupResponse* resp) {
  return deps_.guard->Run(ctx, kAdminOnly, [&](const Device&) -> absl::Status {
    FS_RETURN_IF_ERROR(NeedBackups(deps_.backups));
    if (req->backup_id() == 0) {
      return InvalidFieldsError("missing backup id", {{"backup_id", "must be 1 or more"}});
    }
    absl::Status s = deps_.backups->Verify(req->backup_id());
    if (s.code() == absl::StatusCode::kNotFound) return s;
    resp->set_ok(s.ok());
    resp->set_error(std::string(s.message()));
    return absl::OkStatus();
  });
}

}  // namespace fieldsync::rpc
