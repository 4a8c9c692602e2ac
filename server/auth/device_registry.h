// DeviceRegistry: devices, their secret tokens (stored only as SHA-256 hashes), token expiry
// and rotation, roles and scopes. The caller's identity always comes from here, never from a
// request body. Every change (create, revoke, rotate) is written together with its audit entry
// when the registry has an AuditLog. Thread-safe.
#ifndef FIELDSYNC_SERVER_AUTH_DEVICE_REGISTRY_H_
#define FIELDSYNC_SERVER_AUTH_DEVICE_REGISTRY_H_

#include <cstdint>
#include <mutex>
#include <string>
#include <string_view>
#include <vector>

#include "absl/status/statusor.h"
#include "server/audit/audit_log.h"
#include "server/common/clock.h"
#include "server/common/model.h"
#include "server/storage/store.h"

namespace fieldsync {

struct DeviceRegistryOptions {
  // How long a token works after it is issued (created, enrolled or rotated). At least 1 ms.
  int64_t token_lifetime_ms = 90LL * 24 * 3600 * 1000;
  // After a rotation, how long bundles signed with the previous token still verify (a bundle
  // exported before the rotation may be in transit for days). The previous token hash is
  // kept for bundle verification only, never for authentication; 0 keeps none. Revocation
  // and the next rotation drop it.
  int64_t bundle_key_grace_ms = 30LL * 24 * 3600 * 1000;
};

struct NewDevice {
  Device device;
  // The secret bearer token. Shown once: the server keeps only its hash.
  std::string token;
};

class DeviceRegistry {
 public:
  // `store`, `clock` and `audit` are not owned. Without `audit` nothing is audited (unit tests
  // of other cores); fieldsyncd always passes one.
  DeviceRegistry(Store* store, Clock* clock, AuditLog* audit = nullptr,
                 DeviceRegistryOptions options = {})
      : store_(store), clock_(clock), audit_(audit), options_(options) {}

  // Registers a device with a fresh token valid for the token lifetime. ALREADY_EXISTS if the
  // id is taken; INVALID_ARGUMENT for a bad id or scope.
  absl::StatusOr<NewDevice> Create(const std::string& device_id, Role role,
                                   std::vector<ScopePair> scopes, bool all_scopes,
                                   const AuditContext& who = AuditContext::Cli());

  // The first admin (all scopes): FAILED_PRECONDITION if an admin that is not revoked exists.
  absl::StatusOr<NewDevice> CreateFirstAdmin(const std::string& device_id,
                                             const AuditContext& who = AuditContext::Cli());

  // The device holding `token`. UNAUTHENTICATED for an unknown, expired or revoked token (the
  // same message for all, so callers learn nothing about other devices).
  absl::StatusOr<Device> Authenticate(std::string_view token) const;

  // Revokes the device's token; effective on its next call. NOT_FOUND for an unknown id.
  absl::Status Revoke(const std::string& device_id, const AuditContext& who = AuditContext::Cli());

  // Replaces `caller`'s token with a fresh one (new expiry); the old token stops working at
  // once for every call; its hash is kept only to verify bundles for bundle_key_grace_ms.
  // UNAUTHENTICATED if the caller's token is no longer current (revoked, or rotated by a concurrent
  // call).
  struct RotatedToken {
    std::string token;
    int64_t expires_ms = 0;
  };
  absl::StatusOr<RotatedToken> RotateToken(const Device& caller, const AuditContext& who);

  // For enrollment (server/auth/enrollment.h): a new device with a server-chosen id, put into
  // `batch` but not written. The caller commits the batch (with its audit entry).
  absl::StatusOr<NewDevice> PrepareEnrolledDevice(Role role, std::vector<ScopePair> scopes,
                                                  bool all_scopes, std::string label,
                                                  Store::Batch* batch);

  absl::StatusOr<std::vector<Device>> List() const { return store_->ListDevices(); }

  AuditLog* audit() const { return audit_; }
  const DeviceRegistryOptions& options() const { return options_; }

 private:
  // Writes `batch`, with the audit entry for `event` if the registry audits.
  absl::Status Commit(Store::Batch& batch, const AuditEvent& event);
  NewDevice NewCredential(const std::string& device_id, Role role, std::vector<ScopePair> scopes,
                          bool all_scopes);

  Store* store_;
  Clock* clock_;
  AuditLog* audit_;
  const DeviceRegistryOptions options_;
  std::mutex mu_;  // makes each check-then-write atomic
};

// Parses "field=value" into a scope pair; INVALID_ARGUMENT otherwise.
absl::StatusOr<ScopePair> ParseScope(std::string_view text);

// INVALID_ARGUMENT unless the grant is usable: at least one scope (or all scopes), each with a
// field and a value.
absl::Status ValidateGrant(const std::vector<ScopePair>& scopes, bool all_scopes);

// "field=value,field=value" or "*" for all scopes (audit details, listings).
std::string DescribeGrant(const std::vector<ScopePair>& scopes, bool all_scopes);

}  // namespace fieldsync

#endif  // FIELDSYNC_SERVER_AUTH_DEVICE_REGISTRY_H_
