// AttachmentAccess: which blob a caller may download. A blob is readable only through a record
// the caller may read (its scopes, as for Pull) whose attachment field references it: there is
// no way to fetch a blob by hash alone, so knowing a hash grants nothing.
#ifndef FIELDSYNC_SERVER_SYNC_ATTACHMENT_ACCESS_H_
#define FIELDSYNC_SERVER_SYNC_ATTACHMENT_ACCESS_H_

#include <string>

#include "absl/status/statusor.h"
#include "server/common/attachment_ref.h"
#include "server/common/model.h"
#include "server/sync/sync_context.h"

namespace fieldsync {

class AttachmentAccess {
 public:
  // Uses ctx.store and ctx.forms (borrowed; they must outlive this).
  explicit AttachmentAccess(const SyncContext& ctx) : ctx_(ctx) {}

  // The attachment field `field` of record `record_id` references, if `device` may read the
  // record. NOT_FOUND: no such record (or deleted), a record outside the device's scopes (the
  // same answer, so scopes hide existence), or the field holds no attachment;
  // INVALID_ARGUMENT: `field` is not an attachment field of the record's form.
  absl::StatusOr<AttachmentRef> Resolve(const Device& device, const std::string& record_id,
                                        const std::string& field) const;

 private:
  SyncContext ctx_;
};

}  // namespace fieldsync

#endif  // FIELDSYNC_SERVER_SYNC_ATTACHMENT_ACCESS_H_
