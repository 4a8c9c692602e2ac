// DeviceRegistry: devices, their secret tokens (stored only as SHA-256 hashes), roles and
// scopes. The caller's identity always comes from here, never from a request body.
// Thread-safe.
#ifndef FIELDSYNC_SERVER_AUTH_DEVICE_REGISTRY_H_
#define FIELDSYNC_SERVER_AUTH_DEVICE_REGISTRY_H_

#include <mutex>
#include <string>
#include <vector>

#include "absl/status/statusor.h"
#include "server/common/clock.h"
#include "server/common/model.h"
#include "server/storage/store.h"

namespace fieldsync {

struct NewDevice {
  Device device;
  // The secret bearer token. Shown once: the server keeps only its hash.
  std::string token;
};

class DeviceRegistry {
 public:
  DeviceRegistry(Store* store, Clock* clock) : store_(store), clock_(clock) {}

  // Registers a device with a fresh token. ALREADY_EXISTS if the id is taken;
  // INVALID_ARGUMENT for a bad id or scope.
  absl::StatusOr<NewDevice> Create(const std::string& device_id, Role role,
                                   std::vector<ScopePair> scopes, bool all_scopes);

  // The device holding `token`. UNAUTHENTICATED for an unknown or revoked token (the same
  // message for both, so callers learn nothing about other devices).
  absl::StatusOr<Device> Authenticate(std::string_view token) const;

  // Revokes the device's token; effective on its next call. NOT_FOUND for an unknown id.
  absl::Status Revoke(const std::string& device_id);

  absl::StatusOr<std::vector<Device>> List() const { return store_->ListDevices(); }

 private:
  Store* store_;
  Clock* clock_;
  std::mutex create_mu_;  // makes Create's check-then-write atomic
};

// Parses "field=value" into a scope pair; INVALID_ARGUMENT otherwise.
absl::StatusOr<ScopePair> ParseScope(std::string_view text);

}  // namespace fieldsync

#endif  // FIELDSYNC_SERVER_AUTH_DEVICE_REGISTRY_H_
