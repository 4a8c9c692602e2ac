// SubmissionCore: an OpenRosa submission (DESIGN.md "The OpenRosa door") through the same
// push path as a gRPC Push. No HTTP here (openrosa_http.h is the adapter).
//
// What a submission becomes:
//   - its instanceID is the root record's id; each repeat instance is a child record whose id
//     is ChildRecordId(root id, "/repeat[n]/..."), so a resend names the same records;
//   - a submission with a deprecatedID edits the root record the deprecated one wrote (base
//     version = the stored version; answers no longer given are cleared);
//   - media parts are stored in the blob store and the attachment field holds their
//     reference (server/common/attachment_ref.h); a file the instance names but no part of
//     this request carries is left out of the record until a request brings it (split
//     submissions, *isIncomplete*);
//   - the records go to PushCore::PushAssigningSeqs as the device's next mutations, under
//     the device's lock: receipts, merge, quarantine, change feed and aggregation treat them
//     like any pushed record. Answers the form refuses are quarantined (kept, listed for
//     admins), and the submission still counts as received.
// The instance id, the root record, the hash of the answers and the media received are kept
// (Store::PutOpenRosaSubmission, after the records are durable): the same instance id with
// the same answers and no new file is a duplicate; with other answers it is refused.
//
// Thread-safe. Submissions of one device are serialised (one stripe lock per device), so the
// check for a duplicate and the push that follows cannot interleave with a resend.
#ifndef FIELDSYNC_SERVER_OPENROSA_SUBMISSION_H_
#define FIELDSYNC_SERVER_OPENROSA_SUBMISSION_H_

#include <array>
#include <mutex>
#include <string>
#include <string_view>
#include <vector>

#include "absl/status/statusor.h"
#include "server/blob/blob_store.h"
#include "server/common/clock.h"
#include "server/common/model.h"
#include "server/forms/form_registry.h"
#include "server/openrosa/instance_reader.h"
#include "server/storage/store.h"
#include "server/sync/push.h"

namespace fieldsync::openrosa {

struct MediaPart {
  std::string file_name;
  std::string media_type;
  std::string bytes;
};

struct Submission {
  std::string xml;
  std::vector<MediaPart> media;
};

struct SubmissionResult {
  enum class Kind { kCreated, kDuplicate };
  Kind kind = Kind::kCreated;
  std::string record_id;  // the root record
  // Set when answers were quarantined: "field: why; ..." (no values).
  std::string quarantined;
  size_t records = 0;  // records pushed (root and children that changed)
  size_t files = 0;    // media files stored by this request
};

class SubmissionCore {
 public:
  // None of the pointers is owned; all must outlive the core. `blobs` may be null (a
  // submission with a file part is then refused with FAILED_PRECONDITION).
  SubmissionCore(FormRegistry* forms, PushCore* push, Store* store, BlobStore* blobs, Clock* clock,
                 InstanceLimits limits = {})
      : forms_(forms), push_(push), store_(store), blobs_(blobs), clock_(clock), limits_(limits) {}

  // Whether `device` may fill `form`: a role that syncs records, and all scopes, or a form
  // without scope fields, or a grant on one of the form's scope fields.
  static bool MayFill(const Device& device, const Form& form);

  // The latest version of every form `device` may fill.
  absl::StatusOr<std::vector<Form>> FormsFor(const Device& device) const;

  // Applies one submission request. Errors:
  //   INVALID_ARGUMENT     malformed XML or past an instance bound, unknown form or version,
  //                        no instanceID, an element the form does not have, a deprecatedID
  //                        naming no submission (nothing stored);
  //   PERMISSION_DENIED    the device may not fill the form;
  //   ALREADY_EXISTS       the instance id was received with other answers (nothing stored);
  //   RESOURCE_EXHAUSTED   a file past the blob store's bounds or the device's quota;
  //   UNAVAILABLE etc.     storage: nothing acknowledged, sending again is safe.
  absl::StatusOr<SubmissionResult> Submit(const Device& device, const Submission& submission);

 private:
  std::mutex& DeviceStripe(const std::string& device_id);

  FormRegistry* forms_;
  PushCore* push_;
  Store* store_;
  BlobStore* blobs_;
  Clock* clock_;
  InstanceLimits limits_;
  std::array<std::mutex, 64> stripes_;
};

// The SHA-256 (hex) of a submitted instance's answers: form, version, every record's values
// (file names as given) and repeat paths; not its instance or deprecated id.
std::string AnswersHash(const SubmittedInstance& instance);

}  // namespace fieldsync::openrosa

#endif  // FIELDSYNC_SERVER_OPENROSA_SUBMISSION_H_
