#include "server/admin/review.h"

#include <algorithm>
#include <utility>

#include "absl/strings/str_cat.h"
#include "server/admin/page_token.h"
#include "server/common/status.h"
#include "server/sync/scope.h"

namespace fieldsync::admin {
namespace {

absl::Status CheckReason(const std::string& reason, bool required, size_t max_bytes) {
  if (required && reason.empty()) {
    return InvalidFieldsError("a reason is required", {{"reason", "must not be empty"}});
  }
  if (reason.size() > max_bytes) {
    return InvalidFieldsError("reason too long",
                              {{"reason", absl::StrCat("at most ", max_bytes, " bytes")}});
  }
  return absl::OkStatus();
}

// Writes `batch` together with its audit entry. Without an audit log the action is refused:
// DESIGN.md wants every resolution, replay and discard audited.
BatchCommitFn Audited(AuditLog* audit, AuditEvent event) {
  return [audit, event = std::move(event)](Store::Batch& batch) -> absl::Status {
    if (audit == nullptr) return absl::InternalError("no audit log: admin actions are refused");
    return audit->CommitWith(batch, event).status();
  };
}

const char* ChoiceName(ResolutionChoice c) {
  switch (c) {
    case ResolutionChoice::kServer:
      return "server";
    case ResolutionChoice::kDevice:
      return "device";
    case ResolutionChoice::kValue:
      return "value";
  }
  return "?";
}

std::string ConflictTarget(const ConflictId& id) {
  return absl::StrCat("record ", id.record_id, " conflict ", id.device_id, "#", id.device_seq,
                      id.field.empty() ? std::string() : absl::StrCat(" field ", id.field));
}

}  // namespace

// ---- Conflicts -----------------------------------------------------------------------------

ConflictReview::ConflictReview(const Store* store, FormRegistry* forms, ConflictResolver* resolver,
                               AuditLog* audit, ReviewOptions options)
    : store_(store), forms_(forms), resolver_(resolver), audit_(audit), options_(options) {}

absl::StatusOr<std::optional<ConflictView>> ConflictReview::ViewIfVisible(
    const Device& actor, const ConflictEntry& c) const {
  FS_ASSIGN_OR_RETURN(std::optional<Record> record, store_->GetRecord(c.record_id));
  if (!record) return std::optional<ConflictView>();
  FS_ASSIGN_OR_RETURN(auto schema, forms_->Get(record->form_id, record->form_version));
  ConflictView v;
  v.scope = schema->ScopeOfRecord(*record);
  if (!InScope(actor, v.scope)) return std::optional<ConflictView>();
  v.entry = c;
  v.record_version = record->version;
  return std::optional<ConflictView>(std::move(v));
}

absl::StatusOr<ConflictPage> ConflictReview::List(const Device& actor, const ConflictFilter& filter,
                                                  uint32_t page_size,
                                                  const std::string& page_token) const {
  FS_ASSIGN_OR_RETURN(const std::string after, DecodePageToken(page_token));
  const uint32_t limit = PageSize(page_size, options_.default_page, options_.max_page);
  ConflictPage page;
  size_t scanned = 0;
  size_t page_bytes = 0;
  std::string last_position;
  absl::Status error;
  auto scan = store_->ScanConflicts(after, [&](std::string_view position, const ConflictEntry& c) {
    if (page.conflicts.size() == limit || scanned == options_.max_scan) {
      page.next_page_token = EncodePageToken(last_position);
      return false;
    }
    ++scanned;
    std::string previous = std::exchange(last_position, std::string(position));
    if (filter.state == ConflictState::kOpen && !c.open) return true;
    if (filter.state == ConflictState::kClosed && c.open) return true;
    if (!filter.form_id.empty() && c.form_id != filter.form_id) return true;
    if (!filter.field.empty() && c.field != filter.field) return true;
    auto view = ViewIfVisible(actor, c);
    if (!view.ok()) {
      error = view.status();
      return false;
    }
    if (!*view) return true;
    if (filter.scope && std::find((*view)->scope.begin(), (*view)->scope.end(), *filter.scope) ==
                            (*view)->scope.end()) {
      return true;
    }
    size_t bytes = ApproxWireBytes(c);
    for (const auto& p : (*view)->scope) bytes += p.field.size() + p.value.size() + 32;
    if (!page.conflicts.empty() && page_bytes + bytes > options_.max_page_bytes) {
      page.next_page_token = EncodePageToken(previous);  // this entry opens the next page
      return false;
    }
    page_bytes += bytes;
    page.conflicts.push_back(**std::move(view));
    return true;
  });
  if (!scan.ok() && scan.code() == absl::StatusCode::kInvalidArgument) {
    return InvalidFieldsError("malformed page token",
                              {{"page_token", "pass back a next_page_token from this server"}});
  }
  FS_RETURN_IF_ERROR(scan);
  FS_RETURN_IF_ERROR(error);
  return page;
}

absl::StatusOr<ConflictView> ConflictReview::Get(const Device& actor, const ConflictId& id) const {
  if (id.record_id.empty() || id.device_id.empty()) {
    return InvalidFieldsError("incomplete conflict key",
                              {{"key", "record_id and device_id are required"}});
  }
  FS_ASSIGN_OR_RETURN(std::optional<ConflictEntry> c,
                      store_->GetConflict(id.record_id, id.device_id, id.device_seq, id.field));
  if (!c) return absl::NotFoundError("no such conflict");
  FS_ASSIGN_OR_RETURN(std::optional<ConflictView> view, ViewIfVisible(actor, *c));
  if (!view) return absl::NotFoundError("no such conflict");
  return *std::move(view);
}

absl::StatusOr<ResolveResult> ConflictReview::Resolve(const Device& actor,
                                                      const Resolution& resolution,
                                                      const std::string& reason,
                                                      const AuditContext& who) {
  std::vector<FieldError> bad;
  if (resolution.id.record_id.empty()) bad.push_back({"key.record_id", "required"});
  if (resolution.id.device_id.empty()) bad.push_back({"key.device_id", "required"});
  if (resolution.choice != ResolutionChoice::kServer &&
      resolution.choice != ResolutionChoice::kDevice &&
      resolution.choice != ResolutionChoice::kValue) {
    bad.push_back({"choice", "must be SERVER, DEVICE or VALUE"});
  }
  if (reason.empty()) bad.push_back({"reason", "must not be empty"});
  if (!bad.empty()) return InvalidFieldsError("invalid resolution", bad);
  FS_RETURN_IF_ERROR(CheckReason(reason, true, options_.max_reason_bytes));
  AuditEvent event{who, audit_action::kConflictResolve, ConflictTarget(resolution.id),
                   absl::StrCat("choice=", ChoiceName(resolution.choice), " reason=", reason)};
  return resolver_->Resolve(actor, resolution, Audited(audit_, std::move(event)));
}

// ---- Quarantine ----------------------------------------------------------------------------

QuarantineReview::QuarantineReview(const Store* store, QuarantineReplayer* replayer,
                                   AuditLog* audit, ReviewOptions options)
    : store_(store), replayer_(replayer), audit_(audit), options_(options) {}

absl::StatusOr<QuarantinePage> QuarantineReview::List(const QuarantineFilter& filter,
                                                      uint32_t page_size,
                                                      const std::string& page_token) const {
  FS_ASSIGN_OR_RETURN(const std::string after, DecodePageToken(page_token));
  const uint32_t limit = PageSize(page_size, options_.default_page, options_.max_page);
  QuarantinePage page;
  size_t scanned = 0;
  size_t page_bytes = 0;
  std::string last_position;
  auto scan = store_->ScanQuarantine(
      filter.device_id, after, [&](std::string_view position, const QuarantineEntry& q) {
        if (page.entries.size() == limit || scanned == options_.max_scan) {
          page.next_page_token = EncodePageToken(last_position);
          return false;
        }
        ++scanned;
        std::string previous = std::exchange(last_position, std::string(position));
        if (!filter.form_id.empty() && q.mutation.form_id != filter.form_id) return true;
        const size_t bytes = ApproxWireBytes(q);
        if (!page.entries.empty() && page_bytes + bytes > options_.max_page_bytes) {
          page.next_page_token = EncodePageToken(previous);  // this entry opens the next page
          return false;
        }
        page_bytes += bytes;
        page.entries.push_back(q);
        return true;
      });
  if (!scan.ok() && scan.code() == absl::StatusCode::kInvalidArgument) {
    return InvalidFieldsError("malformed page token",
                              {{"page_token", "pass back a next_page_token from this server"}});
  }
  FS_RETURN_IF_ERROR(scan);
  return page;
}

namespace {

absl::Status CheckEntryKey(const std::string& device_id, uint64_t device_seq) {
  std::vector<FieldError> bad;
  if (device_id.empty()) bad.push_back({"device_id", "required"});
  if (device_seq == 0) bad.push_back({"device_seq", "must be 1 or more"});
  if (!bad.empty()) return InvalidFieldsError("invalid quarantine entry key", bad);
  return absl::OkStatus();
}

}  // namespace

absl::StatusOr<ReplayResult> QuarantineReview::Replay(const std::string& device_id,
                                                      uint64_t device_seq, uint32_t form_version,
                                                      const std::string& reason,
                                                      const AuditContext& who) {
  FS_RETURN_IF_ERROR(CheckEntryKey(device_id, device_seq));
  FS_RETURN_IF_ERROR(CheckReason(reason, false, options_.max_reason_bytes));
  AuditEvent event{who, audit_action::kQuarantineReplay,
                   absl::StrCat("quarantine ", device_id, "#", device_seq),
                   absl::StrCat("form_version=", form_version, " reason=", reason)};
  return replayer_->Replay(device_id, device_seq, form_version, Audited(audit_, std::move(event)));
}

absl::Status QuarantineReview::Discard(const std::string& device_id, uint64_t device_seq,
                                       const std::string& reason, const AuditContext& who) {
  FS_RETURN_IF_ERROR(CheckEntryKey(device_id, device_seq));
  FS_RETURN_IF_ERROR(CheckReason(reason, true, options_.max_reason_bytes));
  AuditEvent event{who, kAuditQuarantineDiscard,
                   absl::StrCat("quarantine ", device_id, "#", device_seq),
                   absl::StrCat("reason=", reason)};
  return replayer_->Discard(device_id, device_seq, Audited(audit_, std::move(event))).status();
}

}  // namespace fieldsync::admin
