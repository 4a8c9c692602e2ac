#include "server/openrosa/submission.h"

#include <algorithm>
#include <functional>
#include <map>
#include <set>

#include "absl/strings/str_cat.h"
#include "absl/strings/str_join.h"
#include "server/common/attachment_ref.h"
#include "server/common/hash.h"
#include "server/common/status.h"
#include "server/xform/instance_tree.h"

namespace fieldsync::openrosa {

namespace {

// One record the submission writes, parents before their children.
struct Planned {
  std::string record_id;
  std::string parent_record_id;  // "" for the root
  std::string repeat;
  uint32_t ordinal = 0;
  const FieldMap* fields = nullptr;
  const std::map<std::string, std::string>* files = nullptr;
  std::string level;  // the repeat whose fields the record holds ("" = root)
};

void Plan(const std::string& root_id, const std::string& parent_id,
          const std::vector<RepeatInstance>& repeats, std::vector<Planned>* out) {
  for (const auto& r : repeats) {
    Planned p;
    p.record_id = ChildRecordId(root_id, r.path);
    p.parent_record_id = parent_id;
    p.repeat = r.repeat;
    p.ordinal = r.ordinal;
    p.fields = &r.fields;
    p.files = &r.files;
    p.level = r.repeat;
    out->push_back(p);
    Plan(root_id, p.record_id, r.children, out);
  }
}

void HashRepeats(const std::vector<RepeatInstance>& repeats, std::string* canon) {
  for (const auto& r : repeats) {
    absl::StrAppend(canon, "R", r.path.size(), ":", r.path);
    for (const auto& [k, v] : r.fields) {
      absl::StrAppend(canon, "F", k.size(), ":", k, CanonicalEncoding(v));
    }
    HashRepeats(r.children, canon);
  }
}

}  // namespace

std::string AnswersHash(const SubmittedInstance& instance) {
  std::string canon =
      absl::StrCat(instance.form_id.size(), ":", instance.form_id, ":", instance.form_version);
  for (const auto& [k, v] : instance.fields) {
    absl::StrAppend(&canon, "F", k.size(), ":", k, CanonicalEncoding(v));
  }
  HashRepeats(instance.repeats, &canon);
  return Sha256Hex(canon);
}

bool SubmissionCore::MayFill(const Device& device, const Form& form) {
  switch (device.role) {
    case Role::kEnumerator:
    case Role::kBorderOfficer:
    case Role::kSupervisor:
    case Role::kAdmin:
      break;
    default:
      return false;
  }
  if (device.all_scopes || form.scope_fields.empty()) return true;
  for (const auto& grant : device.scopes) {
    if (std::find(form.scope_fields.begin(), form.scope_fields.end(), grant.field) !=
        form.scope_fields.end()) {
      return true;
    }
  }
  return false;
}

absl::StatusOr<std::vector<Form>> SubmissionCore::FormsFor(const Device& device) const {
  FS_ASSIGN_OR_RETURN(std::vector<Form> all, forms_->List());
  std::vector<Form> out;
  for (auto& f : all) {  // ordered by (form_id, version): keep the last of each id
    if (!MayFill(device, f)) continue;
    if (!out.empty() && out.back().form_id == f.form_id) {
      out.back() = std::move(f);
    } else {
      out.push_back(std::move(f));
    }
  }
  return out;
}

std::mutex& SubmissionCore::DeviceStripe(const std::string& device_id) {
  return stripes_[std::hash<std::string>()(device_id) % stripes_.size()];
}

absl::StatusOr<SubmissionResult> SubmissionCore::Submit(const Device& device,
                                                        const Submission& submission) {
  FS_ASSIGN_OR_RETURN(ParsedInstance parsed, ParseInstance(submission.xml, limits_));
  if (parsed.form_version() == 0) {
    return absl::InvalidArgumentError("the instance names no form version");
  }
  auto schema = forms_->Get(parsed.form_id(), parsed.form_version());
  if (!schema.ok()) {
    if (schema.status().code() != absl::StatusCode::kNotFound) return schema.status();
    return absl::InvalidArgumentError(absl::StrCat("form ", parsed.form_id(), " version ",
                                                   parsed.form_version(), " is not published"));
  }
  const Form& form = (*schema)->form();
  if (!MayFill(device, form)) {
    return absl::PermissionDeniedError(
        absl::StrCat("this device may not fill form ", form.form_id));
  }
  FS_ASSIGN_OR_RETURN(xform::InstanceTree tree, xform::InstanceTree::Build(form));
  FS_ASSIGN_OR_RETURN(SubmittedInstance instance, ReadInstance(parsed, form, tree, limits_));
  const std::string hash = AnswersHash(instance);
  if (!instance.repeats.empty()) {
    // Child records (issue 12) are not on this branch yet: refused, nothing stored.
    return absl::FailedPreconditionError(
        "repeat instances are not accepted yet: this server has no child records");
  }

  std::lock_guard<std::mutex> serial(DeviceStripe(device.device_id));
  FS_ASSIGN_OR_RETURN(std::optional<OpenRosaSubmission> known,
                      store_->GetOpenRosaSubmission(instance.instance_id));
  if (known && known->content_hash != hash) {
    return absl::AlreadyExistsError(
        absl::StrCat("instance ", instance.instance_id, " was received with other answers"));
  }
  std::string root_id = instance.instance_id;
  if (known) {
    root_id = known->record_id;
  } else if (!instance.deprecated_id.empty()) {
    FS_ASSIGN_OR_RETURN(std::optional<OpenRosaSubmission> edited,
                        store_->GetOpenRosaSubmission(instance.deprecated_id));
    if (edited) {
      root_id = edited->record_id;
    } else {
      FS_ASSIGN_OR_RETURN(std::optional<Record> r, store_->GetRecord(instance.deprecated_id));
      if (!r) {
        return absl::InvalidArgumentError(
            absl::StrCat("deprecatedID ", instance.deprecated_id, " names no submission"));
      }
      root_id = instance.deprecated_id;
    }
  }

  std::vector<Planned> plan;
  Planned root;
  root.record_id = root_id;
  root.fields = &instance.fields;
  root.files = &instance.files;
  plan.push_back(root);
  Plan(root_id, root_id, instance.repeats, &plan);

  // Files: the parts of this request that the instance names, stored once each.
  std::set<std::string> named;
  for (const auto& p : plan) {
    for (const auto& [field, file] : *p.files) named.insert(file);
  }
  std::set<std::string> received;
  if (known) received.insert(known->media.begin(), known->media.end());
  std::map<std::string, AttachmentRef> stored;
  size_t new_files = 0;
  for (const MediaPart& part : submission.media) {
    if (!named.count(part.file_name) || stored.count(part.file_name)) continue;
    if (blobs_ == nullptr) {
      return absl::FailedPreconditionError("this server stores no attachments");
    }
    AttachmentRef ref;
    ref.sha256 = Sha256Hex(part.bytes);
    ref.size = part.bytes.size();
    ref.media_type =
        part.media_type.empty() ? MediaTypeForFileName(part.file_name) : part.media_type;
    ref.file_name = part.file_name;
    FS_RETURN_IF_ERROR(ParseAttachmentRef(FormatAttachmentRef(ref)).status());
    FS_ASSIGN_OR_RETURN(std::unique_ptr<BlobWriter> w,
                        blobs_->OpenWriter(device.device_id, ref.sha256, ref.size));
    const uint64_t piece = std::max<uint64_t>(1, blobs_->options().max_chunk_bytes);
    while (!w->complete()) {
      const uint64_t at = w->written_offset();
      if (at >= ref.size) return absl::InternalError("attachment was not stored");
      FS_RETURN_IF_ERROR(w->Append(at, absl::string_view(part.bytes).substr(at, piece)));
    }
    stored[part.file_name] = ref;
    if (received.insert(part.file_name).second) ++new_files;
  }
  if (known && new_files == 0) {
    SubmissionResult dup;
    dup.kind = SubmissionResult::Kind::kDuplicate;
    dup.record_id = root_id;
    return dup;
  }

  // The records as they are now: creates, edits, or nothing to do.
  std::vector<std::string> ids;
  for (const auto& p : plan) ids.push_back(p.record_id);
  FS_ASSIGN_OR_RETURN(std::vector<std::optional<Record>> current, store_->GetRecords(ids));
  // Fields per record level, to clear answers an edit no longer gives.
  std::map<std::string, std::vector<std::string>> level_fields;
  for (const auto& f : form.fields) level_fields[form.RepeatOf(f)].push_back(f.name);

  std::vector<Mutation> batch;
  const int64_t now = clock_->NowMs();
  for (size_t i = 0; i < plan.size(); ++i) {
    const Planned& p = plan[i];
    const std::optional<Record>& cur = current[i];
    Mutation m;
    m.record_id = p.record_id;
    m.form_id = form.form_id;
    m.form_version = form.version;
    m.hlc = Hlc{now, 0, device.device_id};
    const bool live = cur && !cur->deleted;
    m.base_version = live ? cur->version : 0;
    for (const auto& [name, value] : *p.fields) {
      Value v = value;
      if (auto f = p.files->find(name); f != p.files->end()) {
        auto s = stored.find(f->second);
        if (s != stored.end()) {
          v = FormatAttachmentRef(s->second);
        } else {
          // Not in this request: keep what an earlier request stored, else leave it out
          // until a request brings the file.
          continue;
        }
      }
      if (live) {
        auto c = cur->fields.find(name);
        if (c != cur->fields.end() && c->second == v) continue;
      }
      m.fields[name] = std::move(v);
    }
    if (live) {
      for (const auto& name : level_fields[p.level]) {
        if (p.fields->count(name) || !cur->fields.count(name)) continue;
        m.fields[name] = Value{};  // an answer the edit no longer gives
      }
      if (m.fields.empty()) continue;
    }
    batch.push_back(std::move(m));
  }

  SubmissionResult result;
  result.record_id = root_id;
  result.files = new_files;
  std::vector<std::string> quarantined;
  const size_t chunk = std::max<size_t>(1, push_->limits().max_mutations_per_batch);
  for (size_t start = 0; start < batch.size(); start += chunk) {
    std::vector<Mutation> part(batch.begin() + start,
                               batch.begin() + std::min(batch.size(), start + chunk));
    FS_ASSIGN_OR_RETURN(std::vector<Receipt> receipts,
                        push_->PushAssigningSeqs(device, part, nullptr));
    for (const Receipt& r : receipts) {
      if (r.outcome == Outcome::kRejected ||
          (r.outcome == Outcome::kConflict && !r.errors.empty())) {
        for (const auto& e : r.errors) {
          quarantined.push_back(e.field.empty() ? e.description
                                                : absl::StrCat(e.field, ": ", e.description));
        }
        if (r.errors.empty()) quarantined.push_back(OutcomeName(r.outcome));
      }
    }
    result.records += receipts.size();
  }
  result.quarantined = absl::StrJoin(quarantined, "; ");

  OpenRosaSubmission keep;
  keep.instance_id = instance.instance_id;
  keep.record_id = root_id;
  keep.content_hash = hash;
  keep.media.assign(received.begin(), received.end());
  keep.device_id = device.device_id;
  keep.received_ms = now;
  Store::Batch b;
  b.PutOpenRosaSubmission(keep);
  FS_RETURN_IF_ERROR(store_->Write(b, /*sync=*/true));
  return result;
}

}  // namespace fieldsync::openrosa
