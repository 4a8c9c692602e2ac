#include "server/sync/attachment_access.h"

#include "absl/strings/str_cat.h"
#include "server/common/status.h"
#include "server/sync/scope.h"

namespace fieldsync {

absl::StatusOr<AttachmentRef> AttachmentAccess::Resolve(const Device& device,
                                                        const std::string& record_id,
                                                        const std::string& field) const {
  FS_ASSIGN_OR_RETURN(std::optional<Record> record, ctx_.store->GetRecord(record_id));
  // A record outside the caller's scopes answers exactly as one that does not exist: the
  // caller learns nothing of it, not even that it exists.
  const absl::Status none =
      absl::NotFoundError(absl::StrCat("no record ", record_id, " in your scopes"));
  if (!record || record->deleted) return none;
  FS_ASSIGN_OR_RETURN(auto schema, ctx_.forms->Get(record->form_id, record->form_version));
  if (!InScope(device, schema->ScopeOfRecord(*record))) return none;
  const FieldDef* def = schema->form().FindField(field);
  if (def == nullptr || def->type != FieldType::kAttachment) {
    return absl::InvalidArgumentError(
        absl::StrCat("field ", field, " of form ", record->form_id, " is not an attachment"));
  }
  auto it = record->fields.find(field);
  const std::string* text =
      it == record->fields.end() ? nullptr : std::get_if<std::string>(&it->second);
  if (text == nullptr) {
    return absl::NotFoundError(absl::StrCat("record ", record_id, " has no ", field));
  }
  auto ref = ParseAttachmentRef(*text);
  if (!ref.ok()) {
    // Stored before attachments carried a blob reference: there is nothing to download.
    return absl::NotFoundError(absl::StrCat("field ", field, " of record ", record_id,
                                            " references no blob: ", ref.status().message()));
  }
  return ref;
}

}  // namespace fieldsync
