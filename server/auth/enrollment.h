// Enrollment: one-time, expiring enrollment codes that an admin creates (role, scopes, expiry)
// and a device exchanges, without any other credential, for its device id and a secret token.
// Only the SHA-256 of a code is stored. Consuming a code, creating the device and the audit
// entry are one synced write, and codes are consumed one at a time, so a code enrolls exactly
// one device even under concurrent calls. Failed attempts are limited per peer address and
// globally (AttemptLimiter). Thread-safe.
#ifndef FIELDSYNC_SERVER_AUTH_ENROLLMENT_H_
#define FIELDSYNC_SERVER_AUTH_ENROLLMENT_H_

#include <cstdint>
#include <mutex>
#include <string>
#include <string_view>
#include <vector>

#include "absl/status/statusor.h"
#include "server/audit/audit_log.h"
#include "server/auth/attempt_limiter.h"
#include "server/auth/device_registry.h"
#include "server/common/clock.h"
#include "server/storage/store.h"

namespace fieldsync {

struct EnrollmentOptions {
  int64_t default_code_ttl_ms = 24LL * 3600 * 1000;
  int64_t max_code_ttl_ms = 30LL * 24 * 3600 * 1000;
  // The address devices use to reach the server, put into enrollment URIs when the admin
  // names none.
  std::string server_address;
  AttemptLimits attempts;
};

struct CodeRequest {
  Role role = Role::kEnumerator;
  std::vector<ScopePair> scopes;
  bool all_scopes = false;
  int64_t ttl_ms = 0;          // 0: the default
  std::string server_address;  // "": the configured one
};

struct NewEnrollmentCode {
  std::string code;  // the secret, shown once: "xxxxx-xxxxx-xxxxx-xxxxx"
  // QR-ready: fieldsync://enroll?server=<address>&code=<code>
  std::string uri;
  EnrollmentCode stored;  // what the server keeps (code_id, grant, expiry)
};

class Enrollment {
 public:
  // None owned. `registry` must have an AuditLog (enrollments are always audited).
  Enrollment(Store* store, Clock* clock, DeviceRegistry* registry, EnrollmentOptions options);

  // A fresh code carrying `req`'s grant. INVALID_ARGUMENT for a bad grant or a ttl outside
  // (0, max_code_ttl_ms].
  absl::StatusOr<NewEnrollmentCode> CreateCode(const CodeRequest& req, const AuditContext& who);

  // Exchanges `code` for a new device labelled `label`. RESOURCE_EXHAUSTED (with a retry
  // delay) while `peer` or the server is over its failed-attempt limit, checked before the
  // code; UNAUTHENTICATED, with one message for all, for an unknown, used or expired code
  // (each counts as a failed attempt); INVALID_ARGUMENT for an over-long label.
  absl::StatusOr<NewDevice> Enroll(std::string_view code, std::string label, std::string_view peer,
                                   const std::string& request_id);

  // Every code (without secrets): used, unused and expired.
  absl::StatusOr<std::vector<EnrollmentCode>> List() const { return store_->ListEnrollmentCodes(); }

  AttemptLimiter* limiter() { return &limiter_; }

 private:
  Store* store_;
  Clock* clock_;
  DeviceRegistry* registry_;
  const EnrollmentOptions options_;
  AttemptLimiter limiter_;
  std::mutex consume_mu_;  // one code consumed at a time: check-unused-then-write is atomic
};

// The canonical form of a typed code: lowercase, without '-' or spaces.
std::string NormalizeEnrollmentCode(std::string_view code);

}  // namespace fieldsync

#endif  // FIELDSYNC_SERVER_AUTH_ENROLLMENT_H_
