// BundleImporter applies an offline bundle file (server/bundle/bundle_codec.h) through the same
// PushCore path as a live Push from the device that signed it, and answers with the receipts,
// also as a signed receipts file to carry back to the device. Importing the same bundle twice
// changes nothing: the second import gets DUPLICATE receipts with the original outcomes.
//
// Thread-safe (PushCore serialises batches of one device; the importer holds no state).
#ifndef FIELDSYNC_SERVER_SYNC_BUNDLE_IMPORT_H_
#define FIELDSYNC_SERVER_SYNC_BUNDLE_IMPORT_H_

#include <string>
#include <string_view>
#include <vector>

#include "absl/status/statusor.h"
#include "server/audit/audit_log.h"
#include "server/bundle/bundle_codec.h"
#include "server/common/clock.h"
#include "server/common/model.h"
#include "server/storage/store.h"
#include "server/sync/push.h"

namespace fieldsync {

// The audit action of a bundle import (online or offline).
inline constexpr char kAuditBundleImport[] = "bundle.import";

struct BundleImportResult {
  std::string device_id;
  // One per mutation of the bundle, in device_seq order.
  std::vector<Receipt> receipts;
  // The device's acknowledged seq after the import.
  uint64_t acked_device_seq = 0;
  // Signed receipts file (fieldsync.v1.BundleReceipts) for the device.
  std::string receipts_file;
};

class BundleImporter {
 public:
  // None of the pointers is owned; all must outlive the importer.
  BundleImporter(Store* store, PushCore* push, Clock* clock, bundle::BundleLimits limits = {})
      : store_(store), push_(push), clock_(clock), limits_(limits) {}

  // Every import is audited (who, the signing device as target, the mutation count and
  // outcomes, the bundle's SHA-256; a refused import with the reason). Not owned; must outlive
  // the importer. Without one, Import refuses with INTERNAL: no unaudited imports.
  void set_audit(AuditLog* audit) { audit_ = audit; }

  // Verifies `file` against the signing device's stored token hash (or, within the grace
  // period after a token rotation, the previous one) and applies its mutations
  // in device_seq order, in batches of the push limit, each with the bundle's device report.
  // The device's role and scopes apply as for a live push. Per-mutation outcomes are receipts
  // (REJECTED, DUPLICATE, OUT_OF_ORDER for a gap before the bundle's first seq, ...), never an
  // error. Errors: INVALID_ARGUMENT (malformed, truncated, over a limit, or the signature does
  // not verify), NOT_FOUND (the device is unknown), FAILED_PRECONDITION (the device is
  // revoked), storage errors (UNAVAILABLE etc.: batches already applied stay applied and
  // importing again is safe); an error writing the audit entry (the import's effect stays,
  // importing again is safe and audited again).
  absl::StatusOr<BundleImportResult> Import(std::string_view file, const AuditContext& who);

 private:
  // The import itself, without the audit entry; `*device_id` is set once the header names it.
  absl::StatusOr<BundleImportResult> Apply(std::string_view file, std::string* device_id);

  Store* store_;
  PushCore* push_;
  Clock* clock_;
  bundle::BundleLimits limits_;
  AuditLog* audit_ = nullptr;
};

}  // namespace fieldsync

#endif  // FIELDSYNC_SERVER_SYNC_BUNDLE_IMPORT_H_
