#include "server/auth/enrollment.h"

#include <cctype>

#include "absl/strings/str_cat.h"
#include "server/common/hash.h"
#include "server/common/status.h"

namespace fieldsync {
namespace {

constexpr size_t kMaxCodeBytes = 128;

// Percent-encodes everything but RFC 3986 unreserved characters.
std::string UriEscape(std::string_view s) {
  static const char kHex[] = "0123456789ABCDEF";
  std::string out;
  for (unsigned char c : s) {
    if (isalnum(c) || c == '-' || c == '.' || c == '_' || c == '~') {
      out.push_back(static_cast<char>(c));
    } else {
      out.push_back('%');
      out.push_back(kHex[c >> 4]);
      out.push_back(kHex[c & 15]);
    }
  }
  return out;
}

}  // namespace

std::string NormalizeEnrollmentCode(std::string_view code) {
  std::string out;
  out.reserve(code.size());
  for (unsigned char c : code) {
    if (c == '-' || c == ' ') continue;
    out.push_back(static_cast<char>(tolower(c)));
  }
  return out;
}

Enrollment::Enrollment(Store* store, Clock* clock, DeviceRegistry* registry,
                       EnrollmentOptions options)
    : store_(store),
      clock_(clock),
      registry_(registry),
      options_(std::move(options)),
      limiter_(clock, options_.attempts) {}

absl::StatusOr<NewEnrollmentCode> Enrollment::CreateCode(const CodeRequest& req,
                                                         const AuditContext& who) {
  FS_RETURN_IF_ERROR(ValidateGrant(req.scopes, req.all_scopes));
  const int64_t ttl = req.ttl_ms == 0 ? options_.default_code_ttl_ms : req.ttl_ms;
  if (ttl <= 0 || ttl > options_.max_code_ttl_ms) {
    return absl::InvalidArgumentError(absl::StrCat("an enrollment code lives between 1 ms and ",
                                                   options_.max_code_ttl_ms / 1000, " s"));
  }
  AuditLog* audit = registry_->audit();
  if (audit == nullptr) return absl::FailedPreconditionError("enrollment needs an audit log");
  // 80 random bits in four groups of five hex digits: short enough to type, and online
  // guessing is capped by the attempt limits.
  const std::string hex = RandomHex(10);
  NewEnrollmentCode out;
  out.code = absl::StrCat(hex.substr(0, 5), "-", hex.substr(5, 5), "-", hex.substr(10, 5), "-",
                          hex.substr(15, 5));
  const std::string server =
      req.server_address.empty() ? options_.server_address : req.server_address;
  out.uri = absl::StrCat("fieldsync://enroll?server=", UriEscape(server), "&code=", out.code);
  EnrollmentCode& c = out.stored;
  c.code_hash = Sha256Hex(NormalizeEnrollmentCode(out.code));
  c.code_id = absl::StrCat("code-", RandomHex(4));
  c.role = req.role;
  c.scopes = req.scopes;
  c.all_scopes = req.all_scopes;
  c.created_ms = clock_->NowMs();
  c.expires_ms = c.created_ms + ttl;
  c.created_by = who.actor_device_id;
  Store::Batch batch;
  batch.PutEnrollmentCode(c);
  FS_RETURN_IF_ERROR(audit
                         ->CommitWith(batch, {who, audit_action::kCodeCreate, c.code_id,
                                              absl::StrCat("role=", RoleName(c.role), " scopes=",
                                                           DescribeGrant(c.scopes, c.all_scopes),
                                                           " expires_ms=", c.expires_ms)})
                         .status());
  return out;
}

absl::StatusOr<NewDevice> Enrollment::Enroll(std::string_view code, std::string label,
                                             std::string_view peer, const std::string& request_id) {
  FS_RETURN_IF_ERROR(limiter_.Check(peer));
  const absl::Status denied =
      absl::UnauthenticatedError("invalid, used or expired enrollment code");
  if (code.empty() || code.size() > kMaxCodeBytes) {
    limiter_.RecordFailure(peer);
    return denied;
  }
  AuditLog* audit = registry_->audit();
  if (audit == nullptr) return absl::FailedPreconditionError("enrollment needs an audit log");
  // Looked up by the hash of the code: the store never sees the code itself.
  const std::string hash = Sha256Hex(NormalizeEnrollmentCode(code));
  std::lock_guard<std::mutex> lock(consume_mu_);
  FS_ASSIGN_OR_RETURN(auto stored, store_->GetEnrollmentCode(hash));
  const int64_t now = clock_->NowMs();
  if (!stored || !ConstantTimeEquals(stored->code_hash, hash) || stored->used_ms != 0 ||
      now >= stored->expires_ms) {
    limiter_.RecordFailure(peer);
    return denied;
  }
  Store::Batch batch;
  FS_ASSIGN_OR_RETURN(NewDevice device, registry_->PrepareEnrolledDevice(
                                            stored->role, stored->scopes, stored->all_scopes,
                                            std::move(label), &batch));
  stored->used_ms = now;
  stored->used_by = device.device.device_id;
  batch.PutEnrollmentCode(*stored);
  // The new device is the actor: it proved itself with the code.
  AuditContext who = AuditContext::Of(device.device, request_id);
  FS_RETURN_IF_ERROR(
      audit
          ->CommitWith(
              batch, {who, audit_action::kEnroll, device.device.device_id,
                      absl::StrCat("code=", stored->code_id, " role=", RoleName(stored->role),
                                   " scopes=", DescribeGrant(stored->scopes, stored->all_scopes))})
          .status());
  return device;
}

}  // namespace fieldsync
