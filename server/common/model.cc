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

const GroupDef* Form::FindGroup(const std::string& name) const {
  for (const auto& g : groups) {
    if (g.name == name) return &g;
  }
  return nullptr;
}

const ChoiceList* Form::FindChoiceList(const std::string& name) const {
  for (const auto& l : choice_lists) {
    if (l.name == name) return &l;
  }
  return nullptr;
}

std::string Form::RepeatOf(const FieldDef& field) const { return RepeatFrom(field.group); }

std::string Form::EnclosingRepeat(const GroupDef& group) const { return RepeatFrom(group.parent); }

std::string Form::RepeatFrom(const std::string& group) const {
  // Bounded by the number of groups, so a (refused) cycle of parents cannot loop forever.
  std::string at = group;
  for (size_t hops = 0; !at.empty() && hops <= groups.size(); ++hops) {
    const GroupDef* g = FindGroup(at);
    if (g == nullptr) return "";
    if (g->repeat) return g->name;
    at = g->parent;
  }
  return "";
}

const std::string& Localized(const Translations& texts, const std::string& fallback,
                             const std::string& language) {
  if (language.empty()) return fallback;
  auto it = texts.find(language);
  return it == texts.end() || it->second.empty() ? fallback : it->second;
}

std::string ContentHash(const Mutation& m) {
  std::string buf;
  absl::StrAppend(&buf, m.record_id.size(), ":", m.record_id, m.form_id.size(), ":", m.form_id, "|",
                  static_cast<int>(m.op), "|", m.fields.size(), "|");
  for (const auto& [name, value] : m.fields) {
    absl::StrAppend(&buf, name.size(), ":", name, CanonicalEncoding(value));
  }
  // A child's place is part of its content; a root's hash is what it always was.
  if (m.is_child() || !m.repeat.empty() || m.ordinal != 0) {
    absl::StrAppend(&buf, "|child|", m.parent_record_id.size(), ":", m.parent_record_id,
                    m.repeat.size(), ":", m.repeat, "|", m.ordinal);
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

// A field's tag, length prefix and fixed-width numbers are at most this many bytes; message
// and map-entry framing is counted as one more field.
constexpr size_t kFieldAllowance = 16;

size_t ApproxWireBytes(const Value& v) {
  if (const auto* s = std::get_if<std::string>(&v)) return s->size() + kFieldAllowance;
  if (const auto* list = std::get_if<std::vector<std::string>>(&v)) {
    size_t n = kFieldAllowance;
    for (const auto& item : *list) n += item.size() + kFieldAllowance;
    return n;
  }
  return 2 * kFieldAllowance;  // null, number, bool, geopoint
}

size_t ApproxWireBytes(const FieldMap& fields) {
  size_t n = kFieldAllowance;
  for (const auto& [name, value] : fields) {
    n += name.size() + kFieldAllowance + ApproxWireBytes(value);
  }
  return n;
}

size_t ApproxWireBytes(const Record& r) {
  return r.record_id.size() + r.form_id.size() + r.last_writer_device.size() +
         r.content_hash.size() + r.parent_record_id.size() + r.repeat.size() +
         r.root_record_id.size() + ApproxWireBytes(r.fields) + 20 * kFieldAllowance;
}

size_t ApproxWireBytes(const ConflictEntry& c) {
  return c.record_id.size() + c.form_id.size() + c.field.size() + c.server_writer.size() +
         c.device_writer.size() + ApproxWireBytes(c.server_value) +
         ApproxWireBytes(c.device_value) + 24 * kFieldAllowance;
}

size_t ApproxWireBytes(const QuarantineEntry& q) {
  size_t n = q.device_id.size() + q.reason.size() + q.mutation.record_id.size() +
             q.mutation.form_id.size() + q.mutation.parent_record_id.size() +
             q.mutation.repeat.size() + ApproxWireBytes(q.mutation.fields) + 20 * kFieldAllowance;
  for (const auto& e : q.errors) n += e.field.size() + e.description.size() + 2 * kFieldAllowance;
  return n;
}

}  // namespace fieldsync
