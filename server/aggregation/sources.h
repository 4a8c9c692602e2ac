// What the aggregation core reads besides the change feed, behind small interfaces so that
// the embedded consumer (inside fieldsyncd) and fieldsync-aggregator (over gRPC) run the same
// code: form definitions (FormSource) and, for Verify, the records themselves (RecordSource).
#ifndef FIELDSYNC_SERVER_AGGREGATION_SOURCES_H_
#define FIELDSYNC_SERVER_AGGREGATION_SOURCES_H_

#include <cstdint>
#include <functional>
#include <string>
#include <vector>

#include "absl/status/statusor.h"
#include "server/common/model.h"
#include "server/forms/form_registry.h"
#include "server/storage/store.h"

namespace fieldsync::aggregation {

class FormSource {
 public:
  virtual ~FormSource() = default;
  // The latest published version of `form_id`, which must be at least `min_version` (a
  // change of version N was written under a form the source may not have seen yet).
  // NOT_FOUND if there is no such form; other codes are transient (retry).
  // Implementations are thread-safe.
  virtual absl::StatusOr<Form> Latest(const std::string& form_id, uint32_t min_version) = 0;
  // The latest version of every published form, ordered by form id.
  virtual absl::StatusOr<std::vector<Form>> ListLatest() = 0;
};

class RecordSource {
 public:
  virtual ~RecordSource() = default;
  // Calls fn for every record of `form_id`, deleted ones included, in no particular order.
  // Cost: O(records of the form). Thread-safe.
  virtual absl::Status ForEachRecord(const std::string& form_id,
                                     const std::function<void(const Record&)>& fn) = 0;
};

// Forms from this process's FormRegistry (embedded mode).
class RegistryFormSource final : public FormSource {
 public:
  explicit RegistryFormSource(FormRegistry* registry) : registry_(registry) {}
  absl::StatusOr<Form> Latest(const std::string& form_id, uint32_t min_version) override;
  absl::StatusOr<std::vector<Form>> ListLatest() override;

 private:
  FormRegistry* registry_;
};

// Records from this process's store, through the form-wide scope index (embedded mode).
class StoreRecordSource final : public RecordSource {
 public:
  explicit StoreRecordSource(Store* store) : store_(store) {}
  absl::Status ForEachRecord(const std::string& form_id,
                             const std::function<void(const Record&)>& fn) override;

 private:
  Store* store_;
};

}  // namespace fieldsync::aggregation

#endif  // FIELDSYNC_SERVER_AGGREGATION_SOURCES_H_
