#include "server/forms/form_registry.h"

#include <algorithm>
#include <limits>
#include <tuple>

#include "absl/strings/str_cat.h"
#include "server/common/status.h"
#include "server/forms/form_equality.h"

namespace fieldsync {
namespace {

// Forms already in the store were accepted when published; size limits lowered since then
// must not make them unusable, so they are compiled without size limits.
SchemaLimits StoredFormLimits() {
  constexpr size_t kNone = std::numeric_limits<size_t>::max();
  SchemaLimits l;
  l.max_fields_per_form = l.max_choices = l.max_groups = l.max_list_choices = kNone;
  l.max_languages = l.max_text_bytes = l.max_expression_bytes = l.max_extra_columns = kNone;
  l.max_media = kNone;
  return l;
}

absl::Status NotFound(const std::string& form_id, uint32_t version) {
  if (version == 0) return absl::NotFoundError(absl::StrCat("form ", form_id, " not found"));
  return absl::NotFoundError(absl::StrCat("form ", form_id, " version ", version, " not found"));
}

}  // namespace

FormRegistry::FormRegistry(Store* store, SchemaLimits limits) : store_(store), limits_(limits) {}

absl::StatusOr<bool> FormRegistry::Publish(const Form& definition) {
  auto compiled = FormSchema::Compile(definition, limits_);
  if (!compiled.ok()) {
    // The definition is the caller's input: report it as a violation of the `form` field.
    if (compiled.status().code() != absl::StatusCode::kInvalidArgument) return compiled.status();
    return InvalidFieldsError(compiled.status().message(),
                              {{"form", std::string(compiled.status().message())}});
  }
  // What is stored and served: the definition as Compile completed it (a select's choices
  // filled from its choice list), so clients that read only `choices` see them.
  const Form& form = (*compiled)->form();
  if (publish_check_) FS_RETURN_IF_ERROR(publish_check_(form));
  absl::MutexLock publish_lock(&publish_mu_);
  FS_ASSIGN_OR_RETURN(std::optional<Form> existing, store_->GetForm(form.form_id, form.version));
  if (existing.has_value()) {
    if (SameFormDefinition(*existing, form)) return false;
    return absl::AlreadyExistsError(
        absl::StrCat("form ", form.form_id, " version ", form.version,
                     " is already published with a different definition; publish a new version"));
  }
  FS_ASSIGN_OR_RETURN(std::optional<Form> latest, store_->GetForm(form.form_id, 0));
  uint32_t latest_version = std::max(form.version, latest ? latest->version : 0);

  Store::Batch batch;
  batch.PutForm(form);
  FS_RETURN_IF_ERROR(store_->Write(batch, /*sync=*/true));

  absl::MutexLock lock(&mu_);
  cache_[{form.form_id, form.version}] = *std::move(compiled);
  uint32_t& cached_latest = latest_[form.form_id];
  cached_latest = std::max(cached_latest, latest_version);
  return true;
}

absl::StatusOr<std::shared_ptr<const FormSchema>> FormRegistry::Get(const std::string& form_id,
                                                                    uint32_t version) const {
  {
    absl::MutexLock lock(&mu_);
    uint32_t wanted = version;
    if (wanted == 0) {
      auto latest = latest_.find(form_id);
      if (latest != latest_.end()) wanted = latest->second;
    }
    if (wanted != 0) {
      auto it = cache_.find({form_id, wanted});
      if (it != cache_.end()) return it->second;
    }
  }
  return Load(form_id, version);
}

absl::StatusOr<std::shared_ptr<const FormSchema>> FormRegistry::Load(const std::string& form_id,
                                                                     uint32_t version) const {
  FS_ASSIGN_OR_RETURN(std::optional<Form> form, store_->GetForm(form_id, version));
  if (!form.has_value()) return NotFound(form_id, version);
  const uint32_t loaded_version = form->version;
  auto compiled = FormSchema::Compile(*std::move(form), StoredFormLimits());
  if (!compiled.ok()) {
    return absl::InternalError(absl::StrCat("stored form ", form_id, " version ", loaded_version,
                                            " does not compile: ", compiled.status().message()));
  }
  absl::MutexLock lock(&mu_);
  if (version == 0) {
    // A concurrent Publish may have recorded a newer latest version; keep the larger.
    uint32_t& cached_latest = latest_[form_id];
    cached_latest = std::max(cached_latest, loaded_version);
  }
  // If another thread loaded the same version meanwhile, keep (and return) its schema.
  auto [it, inserted] = cache_.emplace(std::make_pair(form_id, loaded_version), *compiled);
  return it->second;
}

absl::StatusOr<std::vector<Form>> FormRegistry::List() const {
  FS_ASSIGN_OR_RETURN(std::vector<Form> forms, store_->ListForms());
  // Sorted here rather than trusting the store's key order: form ids are length-prefixed in
  // keys, so key order is not form id order.
  std::sort(forms.begin(), forms.end(), [](const Form& a, const Form& b) {
    return std::tie(a.form_id, a.version) < std::tie(b.form_id, b.version);
  });
  return forms;
}

absl::StatusOr<std::vector<std::string>> FormRegistry::FormIds() const {
  FS_ASSIGN_OR_RETURN(std::vector<Form> forms, store_->ListForms());
  std::vector<std::string> ids;
  for (auto& f : forms) ids.push_back(std::move(f.form_id));
  std::sort(ids.begin(), ids.end());
  ids.erase(std::unique(ids.begin(), ids.end()), ids.end());
  return ids;
}

}  // namespace fieldsync
