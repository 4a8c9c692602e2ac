// Conflict and quarantine review (DESIGN.md "Push: apply rules" 3 and 5): listing with
// filters and pages, and the actions that need a human: resolve a conflict, replay or discard
// a quarantined mutation. Every action is written in one batch with its audit-log entry
// (AuditLog::CommitWith), so an action is never unaudited. Thread-safe.
#ifndef FIELDSYNC_SERVER_ADMIN_REVIEW_H_
#define FIELDSYNC_SERVER_ADMIN_REVIEW_H_

#include <optional>
#include <string>
#include <vector>

#include "absl/status/statusor.h"
#include "server/admin/conflict_resolver.h"
#include "server/admin/quarantine_replayer.h"
#include "server/audit/audit_log.h"
#include "server/common/model.h"
#include "server/forms/form_registry.h"
#include "server/storage/store.h"

namespace fieldsync::admin {

// Audit actions of issue 6 not (yet) named in server/audit.
inline constexpr char kAuditQuarantineDiscard[] = "quarantine.discard";

struct ReviewOptions {
  uint32_t default_page = 100;
  uint32_t max_page = 1000;
  // Most entries one list call examines: a filter that matches little returns a short page
  // (with a token to go on) instead of scanning everything in one call.
  size_t max_scan = 10'000;
  // Longest accepted reason.
  size_t max_reason_bytes = 1024;
  // A page stops before the entry that would take it over this many bytes (ApproxWireBytes;
  // at least one entry per page), so a page of large entries stays under the send limit.
  size_t max_page_bytes = 3 << 20;
};

enum class ConflictState { kOpen = 0, kClosed = 1, kAll = 2 };

struct ConflictFilter {
  std::string form_id;
  std::optional<ScopePair> scope;
  std::string field;
  ConflictState state = ConflictState::kOpen;
};

struct ConflictView {
  ConflictEntry entry;
  std::vector<ScopePair> scope;  // the record's coordinates now
  uint64_t record_version = 0;
};

struct ConflictPage {
  std::vector<ConflictView> conflicts;
  std::string next_page_token;
};

struct QuarantineFilter {
  std::string device_id;
  std::string form_id;
};

struct QuarantinePage {
  std::vector<QuarantineEntry> entries;
  std::string next_page_token;
};

class ConflictReview {
 public:
  // None of the pointers is owned; all must outlive this object. `audit` may be null only in
  // tests of listing.
  ConflictReview(const Store* store, FormRegistry* forms, ConflictResolver* resolver,
                 AuditLog* audit, ReviewOptions options);

  // Conflicts matching `filter` whose record lies in `actor`'s scopes, in key order.
  // INVALID_ARGUMENT for a malformed page token.
  absl::StatusOr<ConflictPage> List(const Device& actor, const ConflictFilter& filter,
                                    uint32_t page_size, const std::string& page_token) const;
  // NOT_FOUND if absent or outside `actor`'s scopes; INVALID_ARGUMENT for an empty record id.
  absl::StatusOr<ConflictView> Get(const Device& actor, const ConflictId& id) const;
  // ConflictResolver::Resolve, audited. INVALID_ARGUMENT (with violations) for an empty or
  // over-long reason, a missing record id or choice.
  absl::StatusOr<ResolveResult> Resolve(const Device& actor, const Resolution& resolution,
                                        const std::string& reason, const AuditContext& who);

 private:
  absl::StatusOr<std::optional<ConflictView>> ViewIfVisible(const Device& actor,
                                                            const ConflictEntry& c) const;
  const Store* store_;
  FormRegistry* forms_;
  ConflictResolver* resolver_;
  AuditLog* audit_;
  ReviewOptions options_;
};

class QuarantineReview {
 public:
  QuarantineReview(const Store* store, QuarantineReplayer* replayer, AuditLog* audit,
                   ReviewOptions options);

  // Entries (all devices, or one) of a form (or all), in (device, device_seq) order.
  absl::StatusOr<QuarantinePage> List(const QuarantineFilter& filter, uint32_t page_size,
                                      const std::string& page_token) const;
  // QuarantineReplayer::Replay, audited (applied or not). INVALID_ARGUMENT for a missing
  // device id or device_seq, or an over-long reason (a reason is optional here).
  absl::StatusOr<ReplayResult> Replay(const std::string& device_id, uint64_t device_seq,
                                      uint32_t form_version, const std::string& reason,
                                      const AuditContext& who);
  // QuarantineReplayer::Discard, audited. INVALID_ARGUMENT without a reason.
  absl::Status Discard(const std::string& device_id, uint64_t device_seq, const std::string& reason,
                       const AuditContext& who);

 private:
  const Store* store_;
  QuarantineReplayer* replayer_;
  AuditLog* audit_;
  ReviewOptions options_;
};

}  // namespace fieldsync::admin

#endif  // FIELDSYNC_SERVER_ADMIN_REVIEW_H_
