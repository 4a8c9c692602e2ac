#include "server/common/model.h"

#include "absl/strings/str_cat.h"
#include "server/common/hash.h"

namespace fieldsync {

const FieldDef* Form::FindField(const std::string& name) const {
  for (const auto& f : fields) {
    if (f.name == name) return &f;
  }
  return nullptr;
}

std::string ContentHash(const Mutation& m) {
  std::string buf;
  absl::StrAppend(&buf, m.record_id.size(), ":", m.record_id, m.form_id.size(), ":", m.form_id, "|",
                  static_cast<int>(m.op), "|", m.fields.size(), "|");
  for (const auto& [name, value] : m.fields) {
    absl::StrAppend(&buf, name.size(), ":", name, CanonicalEncoding(value));
  }
  return Sha256Hex(buf);
}

const char* OutcomeName(Outcome o) {
  switch (o) {
    case Outcome::kApplied:
      return "APPLIED";
    case Outcome::kMerged:
      return "MERGED";
    case Outcome::kConflict:
      return "CONFLICT";
    case Outcome::kRejected:
      return "REJECTED";
    case Outcome::kDuplicate:
      return "DUPLICATE";
    case Outcome::kOutOfOrder:
      return "OUT_OF_ORDER";
  }
  return "UNKNOWN";
}

const char* RoleName(Role r) {
  switch (r) {
    case Role::kEnumerator:
      return "enumerator";
    case Role::kBorderOfficer:
      return "border_officer";
    case Role::kSupervisor:
      return "supervisor";
    case Role::kAdmin:
      return "admin";
    case Role::kFeedReader:
      return "feed_reader";
  }
  return "unknown";
}

int RolePriority(Role r) {
  switch (r) {
    case Role::kAdmin:
      return 3;
    case Role::kSupervisor:
      return 2;
    case Role::kEnumerator:
    case Role::kBorderOfficer:
      return 1;
    case Role::kFeedReader:
      return 0;
  }
  return 0;
}

std::optional<Role> ParseRole(const std::string& name) {
  for (Role r : {Role::kEnumerator, Role::kBorderOfficer, Role::kSupervisor, Role::kAdmin,
                 Role::kFeedReader}) {
    if (name == RoleName(r)) return r;
  }
  return std::nullopt;
}

}  // namespace fieldsync
