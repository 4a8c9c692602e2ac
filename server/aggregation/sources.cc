#include "server/aggregation/sources.h"

#include <map>

#include "absl/strings/str_cat.h"
#include "server/common/status.h"
#include "server/sync/scope.h"

namespace fieldsync::aggregation {

absl::StatusOr<Form> RegistryFormSource::Latest(const std::string& form_id, uint32_t min_version) {
  FS_ASSIGN_OR_RETURN(auto schema, registry_->Get(form_id, 0));
  if (schema->form().version < min_version) {
    // Published after the registry cached "latest": ask for that version explicitly.
    FS_ASSIGN_OR_RETURN(schema, registry_->Get(form_id, min_version));
  }
  return schema->form();
}

absl::StatusOr<std::vector<Form>> RegistryFormSource::ListLatest() {
  FS_ASSIGN_OR_RETURN(std::vector<Form> all, registry_->List());
  std::map<std::string, Form> latest;
  for (auto& f : all) {
    auto it = latest.find(f.form_id);
    if (it == latest.end() || it->second.version < f.version) latest[f.form_id] = std::move(f);
  }
  std::vector<Form> out;
  for (auto& [id, f] : latest) out.push_back(std::move(f));
  return out;
}

absl::Status StoreRecordSource::ForEachRecord(const std::string& form_id,
                                              const std::function<void(const Record&)>& fn) {
  // Every record of a form has exactly one live entry under the form-wide pair, at the seq
  // of its last change (retention keeps live entries).
  constexpr size_t kChunk = 512;
  std::vector<std::string> ids;
  absl::Status inner = absl::OkStatus();
  auto flush = [&]() -> absl::Status {
    if (ids.empty()) return absl::OkStatus();
    FS_ASSIGN_OR_RETURN(auto records, store_->GetRecords(ids));
    for (const auto& r : records) {
      if (r && r->form_id == form_id) fn(*r);
    }
    ids.clear();
    return absl::OkStatus();
  };
  FS_RETURN_IF_ERROR(store_->ScanScopeIndex(form_id, FormWidePair(), 0, UINT64_MAX,
                                            [&](uint64_t, std::string_view record_id) {
                                              ids.emplace_back(record_id);
                                              if (ids.size() >= kChunk) {
                                                inner = flush();
                                                if (!inner.ok()) return false;
                                              }
                                              return true;
                                            }));
  FS_RETURN_IF_ERROR(inner);
  return flush();
}

}  // namespace fieldsync::aggregation
