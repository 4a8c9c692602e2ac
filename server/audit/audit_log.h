// AuditLog: the append-only, hash-chained record of security-relevant actions (DESIGN.md
// "Identity, roles, scopes"): enrollments, code creation, revocations, token rotations, form
// publications, admin reads, and (issue 6) conflict resolutions and quarantine replays.
//
// Entry i holds the SHA-256 of entry i-1's encoding (entry 1 holds kAuditGenesisHash), and the
// store keeps the head (entry count, hash of the last entry), written in the same batch as each
// entry. VerifyAuditChain() recomputes the chain, so an edited, removed or reordered entry (the
// last one included) is detected. Someone able to rewrite the whole database can rebuild a
// consistent chain: compare the head hash with one recorded elsewhere (`fieldsyncd audit verify
// --expect-head`).
//
// No entry may hold a token, an enrollment code or a personal value: targets are device ids,
// code ids, form ids and the like.
#ifndef FIELDSYNC_SERVER_AUDIT_AUDIT_LOG_H_
#define FIELDSYNC_SERVER_AUDIT_AUDIT_LOG_H_

#include <cstdint>
#include <deque>
#include <functional>
#include <memory>
#include <mutex>
#include <string>
#include <string_view>
#include <vector>

#include "absl/status/statusor.h"
#include "server/common/clock.h"
#include "server/common/model.h"
#include "server/storage/store.h"

namespace fieldsync {

// Action names recorded in the log.
namespace audit_action {
inline constexpr char kAdminInit[] = "admin.init";
inline constexpr char kDeviceAdd[] = "device.add";
inline constexpr char kEnroll[] = "device.enroll";
inline constexpr char kRevoke[] = "device.revoke";
inline constexpr char kRotateToken[] = "token.rotate";
inline constexpr char kCodeCreate[] = "enrollment_code.create";
inline constexpr char kFormPublish[] = "form.publish";
inline constexpr char kFeedRead[] = "feed.read";            // Changes by an admin
inline constexpr char kRecordsRead[] = "records.read";      // Pull by an admin (all scopes)
inline constexpr char kRecordsExport[] = "records.export";  // ExportService (any exporting role)
inline constexpr char kAdminList[] = "admin.list";          // any admin list call
// For issue 6.
inline constexpr char kConflictResolve[] = "conflict.resolve";
inline constexpr char kQuarantineReplay[] = "quarantine.replay";
// Webhooks (issue 15).
inline constexpr char kWebhookAdd[] = "webhook.add";
inline constexpr char kWebhookRemove[] = "webhook.remove";
inline constexpr char kWebhookReplay[] = "webhook.replay";
}  // namespace audit_action

// Who acted, and in which request.
struct AuditContext {
  std::string actor_device_id;  // "cli" for offline commands
  std::string actor_role;       // RoleName() of the device, or "operator"
  std::string request_id;       // x-request-id of the call, or generated

  // An authenticated device in a call.
  static AuditContext Of(const Device& device, std::string request_id);
  // An operator at the server's console (offline fieldsyncd commands); a fresh request id.
  static AuditContext Cli();
};

struct AuditEvent {
  AuditContext who;
  std::string action;  // one of audit_action
  std::string target;  // what it acted on: a device id, "form_id@version", a code id
  std::string detail;  // non-secret context, e.g. the role and scopes granted
};

struct AuditEntry {
  uint64_t index = 0;  // 1, 2, 3, ... in append order
  int64_t time_ms = 0;
  AuditEvent event;
  std::string prev_hash;  // SHA-256 hex of entry index-1's encoding
  std::string hash;       // SHA-256 hex of this entry's encoding (not stored; recomputed)
};

inline constexpr char kAuditGenesisHash[] =
    "0000000000000000000000000000000000000000000000000000000000000000";

// The canonical encoding of an entry (what is stored and hashed) and back. DecodeAuditEntry
// fails with DATA_LOSS on bytes that do not parse; it sets `hash` from the bytes.
std::string EncodeAuditEntry(const AuditEntry& e);
absl::StatusOr<AuditEntry> DecodeAuditEntry(std::string_view encoded);

class AuditLog {
 public:
  // Writes one batch durably: Store::Write(batch, sync=true) unless a test injects another.
  using WriteFn = std::function<absl::Status(Store::Batch& batch)>;

  // Reads the current head from `store`. DATA_LOSS if the last entry does not decode.
  // `store` and `clock` are not owned and must outlive the log. `write` (tests: slow or
  // failing writes) must write synced into `store`.
  static absl::StatusOr<std::unique_ptr<AuditLog>> Open(Store* store, Clock* clock,
                                                        WriteFn write = nullptr);

  // Adds `event` to `batch` as the next entry (and the new head) and writes the batch synced,
  // so an action and its audit entry commit together or not at all. Entries are chained in
  // the order calls reach the log. Concurrent callers share one synced write: they queue, the
  // first in the queue writes every queued batch with its entry in one WriteBatch while the
  // others wait for its answer (LevelDB's DBImpl::Write), and no lock is held across the
  // write. So batches of concurrent callers must not write the same keys (callers hold their
  // own locks for that). On error nothing of `batch` was written (nor of the batches that
  // shared its write, which get the same error); `batch` must not be reused.
  absl::StatusOr<AuditEntry> CommitWith(Store::Batch& batch, const AuditEvent& event);

  // Appends `event` on its own (actions that are not a store write, e.g. reads).
  absl::StatusOr<AuditEntry> Append(const AuditEvent& event);

  // Entries with index >= from_index, ascending, at most `limit`.
  absl::StatusOr<std::vector<AuditEntry>> List(uint64_t from_index, size_t limit) const;

  // Entries appended so far. Thread-safe.
  uint64_t size() const;

  // CommitWith calls in the queue, the one writing included. Thread-safe.
  size_t queued() const;

 private:
  AuditLog(Store* store, Clock* clock, WriteFn write)
      : store_(store), clock_(clock), write_(std::move(write)) {}

  // A CommitWith call waiting in the queue; lives on its caller's stack.
  struct Writer;
  // The leader's part of CommitWith: writes `group` (the front of the queue, leader first) in
  // one synced write and returns each writer's answer, in queue order. Called without mu_.
  std::vector<absl::StatusOr<AuditEntry>> WriteGroup(const std::vector<Writer*>& group,
                                                     uint64_t count, std::string last_hash);

  Store* store_;
  Clock* clock_;
  WriteFn write_;
  mutable std::mutex mu_;
  // The head of the chain: read and changed only by the leader (the front of writers_), under
  // mu_ (it works on a copy while it writes).
  uint64_t count_ = 0;                         // guarded by mu_
  std::string last_hash_ = kAuditGenesisHash;  // guarded by mu_
  std::deque<Writer*> writers_;                // guarded by mu_
};

struct AuditVerification {
  bool ok = false;
  uint64_t entries = 0;    // entries checked
  std::string head_hash;   // hash of the last entry (kAuditGenesisHash when empty)
  uint64_t bad_index = 0;  // the first entry found wrong (0: the head or none)
  std::string problem;     // what is wrong, empty when ok
};

// Recomputes the whole chain from `store` and compares it with the stored head. A tampered
// log gives ok == false with the problem; an error status means the store could not be read.
// Reads only: safe while the server runs, and offline.
absl::StatusOr<AuditVerification> VerifyAuditChain(const Store& store);

}  // namespace fieldsync

#endif  // FIELDSYNC_SERVER_AUDIT_AUDIT_LOG_H_
