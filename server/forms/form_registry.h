// FormRegistry: publishes form definitions to the store and serves compiled FormSchemas to
// the sync path. A published (form_id, version) is immutable.
//
// Thread-safe. Compiled schemas are cached for the life of the registry (one entry per form
// version that was published or asked for; forms are few). Forms must be published through
// this registry: Get(form_id, 0) answers from the cache once it has seen form_id, so a
// version written to the store by other means would not become "latest" here.
#ifndef FIELDSYNC_SERVER_FORMS_FORM_REGISTRY_H_
#define FIELDSYNC_SERVER_FORMS_FORM_REGISTRY_H_

#include <cstdint>
#include <functional>
#include <map>
#include <memory>
#include <string>
#include <utility>
#include <vector>

#include "absl/base/thread_annotations.h"
#include "absl/container/flat_hash_map.h"
#include "absl/status/statusor.h"
#include "absl/synchronization/mutex.h"
#include "server/common/model.h"
#include "server/forms/form_schema.h"
#include "server/storage/store.h"

namespace fieldsync {

class FormRegistry {
 public:
  // `store` is not owned and must outlive the registry. `limits` bound the definitions that
  // Publish() accepts; forms already in the store are served even if they exceed limits that
  // were lowered after they were published.
  FormRegistry(Store* store, SchemaLimits limits);
  FormRegistry(const FormRegistry&) = delete;
  FormRegistry& operator=(const FormRegistry&) = delete;

  // Validates `form` and stores it durably (synced write), as FormSchema::Compile completes
  // it (select choices filled from their choice list). Returns true if it was written,
  // false if this exact definition was already published (a no-op). Errors:
  //   INVALID_ARGUMENT  the definition is invalid (see FormSchema::Compile);
  //   ALREADY_EXISTS    (form_id, version) is already published with a different definition;
  //   others            from the store.
  absl::StatusOr<bool> Publish(const Form& form);

  // An extra condition Publish() checks after validation and before writing (fieldsyncd uses
  // it to refuse forms with pii fields while no pii key is configured; see pseudonymizer.h).
  // Its error is returned as is. Set before the registry is shared between threads.
  void set_publish_check(std::function<absl::Status(const Form&)> check) {
    publish_check_ = std::move(check);
  }

  // The compiled form (form_id, version); version 0 is the latest version. NOT_FOUND if there
  // is no such form or version.
  absl::StatusOr<std::shared_ptr<const FormSchema>> Get(const std::string& form_id,
                                                        uint32_t version) const;

  // Every version of every published form, ordered by (form_id, version).
  absl::StatusOr<std::vector<Form>> List() const;

  // The distinct ids of published forms, sorted.
  absl::StatusOr<std::vector<std::string>> FormIds() const;

 private:
  // Loads (form_id, version) from the store and caches it; version 0 loads the latest.
  absl::StatusOr<std::shared_ptr<const FormSchema>> Load(const std::string& form_id,
                                                         uint32_t version) const;

  Store* const store_;
  const SchemaLimits limits_;
  std::function<absl::Status(const Form&)> publish_check_;

  // Held across Publish's check-then-write, so two publishers of one (form_id, version)
  // cannot both see it absent. Never held by Get(). Acquired before mu_.
  absl::Mutex publish_mu_;

  mutable absl::Mutex mu_;
  mutable std::map<std::pair<std::string, uint32_t>, std::shared_ptr<const FormSchema>> cache_
      ABSL_GUARDED_BY(mu_);
  // form_id -> latest version, for form ids whose latest version is known.
  mutable absl::flat_hash_map<std::string, uint32_t> latest_ ABSL_GUARDED_BY(mu_);
};

}  // namespace fieldsync

#endif  // FIELDSYNC_SERVER_FORMS_FORM_REGISTRY_H_
