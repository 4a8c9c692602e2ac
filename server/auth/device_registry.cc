#include "server/auth/device_registry.h"

#include "absl/strings/str_cat.h"
#include "absl/strings/str_join.h"
#include "server/common/hash.h"
#include "server/common/status.h"

namespace fieldsync {
namespace {

constexpr size_t kMaxDeviceIdBytes = 64;
constexpr size_t kMaxTokenBytes = 256;
constexpr size_t kMaxLabelBytes = 128;

bool ValidDeviceId(const std::string& id) {
  if (id.empty() || id.size() > kMaxDeviceIdBytes) return false;
  for (char c : id) {
    if (!(isalnum(static_cast<unsigned char>(c)) || c == '-' || c == '_' || c == '.')) {
      return false;
    }
  }
  return true;
}

std::string GrantDetail(const Device& d) {
  return absl::StrCat("role=", RoleName(d.role), " scopes=", DescribeGrant(d.scopes, d.all_scopes));
}

}  // namespace

absl::StatusOr<ScopePair> ParseScope(std::string_view text) {
  size_t eq = text.find('=');
  if (eq == std::string_view::npos || eq == 0 || eq + 1 == text.size()) {
    return absl::InvalidArgumentError(
        absl::StrCat("scope '", std::string(text), "' must look like field=value"));
  }
  return ScopePair{std::string(text.substr(0, eq)), std::string(text.substr(eq + 1))};
}

absl::Status ValidateGrant(const std::vector<ScopePair>& scopes, bool all_scopes) {
  if (!all_scopes && scopes.empty()) {
    return absl::InvalidArgumentError("a device needs at least one scope (or all scopes)");
  }
  for (const auto& s : scopes) {
    // An empty field or value is no grant; ("", "") would name the form-wide index.
    if (s.field.empty() || s.value.empty()) {
      return absl::InvalidArgumentError("a scope needs a field and a value (field=value)");
    }
  }
  return absl::OkStatus();
}

std::string DescribeGrant(const std::vector<ScopePair>& scopes, bool all_scopes) {
  if (all_scopes) return "*";
  return absl::StrJoin(scopes, ",", [](std::string* out, const ScopePair& p) {
    absl::StrAppend(out, p.field, "=", p.value);
  });
}

NewDevice DeviceRegistry::NewCredential(const std::string& device_id, Role role,
                                        std::vector<ScopePair> scopes, bool all_scopes) {
  NewDevice out;
  out.token = absl::StrCat("fs_", RandomHex(32));
  const int64_t now = clock_->NowMs();
  out.device.device_id = device_id;
  out.device.role = role;
  out.device.scopes = std::move(scopes);
  out.device.all_scopes = all_scopes;
  out.device.token_hash = Sha256Hex(out.token);
  out.device.created_ms = now;
  out.device.token_issued_ms = now;
  out.device.token_expires_ms = now + std::max<int64_t>(options_.token_lifetime_ms, 1);
  return out;
}

absl::Status DeviceRegistry::Commit(Store::Batch& batch, const AuditEvent& event) {
  if (audit_ == nullptr) return store_->Write(batch, /*sync=*/true);
  return audit_->CommitWith(batch, event).status();
}

absl::StatusOr<NewDevice> DeviceRegistry::Create(const std::string& device_id, Role role,
                                                 std::vector<ScopePair> scopes, bool all_scopes,
                                                 const AuditContext& who) {
  if (!ValidDeviceId(device_id)) {
    return absl::InvalidArgumentError(
        "device id must be 1-64 characters of letters, digits, '-', '_' or '.'");
  }
  FS_RETURN_IF_ERROR(ValidateGrant(scopes, all_scopes));
  std::lock_guard<std::mutex> lock(mu_);
  FS_ASSIGN_OR_RETURN(auto existing, store_->GetDevice(device_id));
  if (existing) return absl::AlreadyExistsError(absl::StrCat("device ", device_id, " exists"));
  NewDevice out = NewCredential(device_id, role, std::move(scopes), all_scopes);
  Store::Batch batch;
  batch.PutDevice(out.device);
  FS_RETURN_IF_ERROR(
      Commit(batch, {who, audit_action::kDeviceAdd, device_id, GrantDetail(out.device)}));
  return out;
}

absl::StatusOr<NewDevice> DeviceRegistry::CreateFirstAdmin(const std::string& device_id,
                                                           const AuditContext& who) {
  if (!ValidDeviceId(device_id)) {
    return absl::InvalidArgumentError(
        "device id must be 1-64 characters of letters, digits, '-', '_' or '.'");
  }
  std::lock_guard<std::mutex> lock(mu_);
  FS_ASSIGN_OR_RETURN(auto devices, store_->ListDevices());
  for (const auto& d : devices) {
    if (d.role == Role::kAdmin && !d.revoked) {
      return absl::FailedPreconditionError(absl::StrCat(
          "an admin exists (", d.device_id, "); create further admins with an enrollment code"));
    }
  }
  FS_ASSIGN_OR_RETURN(auto existing, store_->GetDevice(device_id));
  if (existing) return absl::AlreadyExistsError(absl::StrCat("device ", device_id, " exists"));
  NewDevice out = NewCredential(device_id, Role::kAdmin, {}, /*all_scopes=*/true);
  Store::Batch batch;
  batch.PutDevice(out.device);
  FS_RETURN_IF_ERROR(
      Commit(batch, {who, audit_action::kAdminInit, device_id, GrantDetail(out.device)}));
  return out;
}

absl::StatusOr<Device> DeviceRegistry::Authenticate(std::string_view token) const {
  const absl::Status denied = absl::UnauthenticatedError("invalid, expired or revoked credential");
  if (token.empty() || token.size() > kMaxTokenBytes) return denied;
  // Looked up by hash: the lookup key is not the secret, and stored hashes are useless to a
  // reader of the database.
  const std::string hash = Sha256Hex(token);
  FS_ASSIGN_OR_RETURN(auto device_id, store_->GetDeviceIdByTokenHash(hash));
  if (!device_id) return denied;
  FS_ASSIGN_OR_RETURN(auto device, store_->GetDevice(*device_id));
  if (!device || device->revoked || !ConstantTimeEquals(device->token_hash, hash)) return denied;
  if (device->token_expires_ms != 0 && clock_->NowMs() >= device->token_expires_ms) return denied;
  return *std::move(device);
}

absl::Status DeviceRegistry::Revoke(const std::string& device_id, const AuditContext& who) {
  std::lock_guard<std::mutex> lock(mu_);
  FS_ASSIGN_OR_RETURN(auto device, store_->GetDevice(device_id));
  if (!device) return absl::NotFoundError(absl::StrCat("no device ", device_id));
  Store::Batch batch;
  if (!device->token_hash.empty()) batch.DeleteTokenIndex(device->token_hash);
  device->revoked = true;
  device->token_hash.clear();
  batch.PutDevice(*device);
  batch.DeleteRetiredToken(device_id);
  return Commit(batch, {who, audit_action::kRevoke, device_id, ""});
}

absl::StatusOr<DeviceRegistry::RotatedToken> DeviceRegistry::RotateToken(const Device& caller,
                                                                         const AuditContext& who) {
  std::lock_guard<std::mutex> lock(mu_);
  FS_ASSIGN_OR_RETURN(auto device, store_->GetDevice(caller.device_id));
  // The token the caller authenticated with must still be the current one: a concurrent
  // rotation or revocation wins, and this call fails as the next call would.
  if (!device || device->revoked || device->token_hash.empty() ||
      !ConstantTimeEquals(device->token_hash, caller.token_hash)) {
    return absl::UnauthenticatedError("invalid, expired or revoked credential");
  }
  RotatedToken out;
  out.token = absl::StrCat("fs_", RandomHex(32));
  const int64_t now = clock_->NowMs();
  Store::Batch batch;
  batch.DeleteTokenIndex(device->token_hash);
  if (options_.bundle_key_grace_ms > 0) {
    batch.PutRetiredToken(device->device_id, device->token_hash,
                          now + options_.bundle_key_grace_ms);
  } else {
    batch.DeleteRetiredToken(device->device_id);
  }
  device->token_hash = Sha256Hex(out.token);
  device->token_issued_ms = now;
  device->token_expires_ms = now + std::max<int64_t>(options_.token_lifetime_ms, 1);
  batch.PutDevice(*device);
  FS_RETURN_IF_ERROR(Commit(batch, {who, audit_action::kRotateToken, device->device_id, ""}));
  out.expires_ms = device->token_expires_ms;
  return out;
}

absl::StatusOr<NewDevice> DeviceRegistry::PrepareEnrolledDevice(Role role,
                                                                std::vector<ScopePair> scopes,
                                                                bool all_scopes, std::string label,
                                                                Store::Batch* batch) {
  FS_RETURN_IF_ERROR(ValidateGrant(scopes, all_scopes));
  if (label.size() > kMaxLabelBytes) {
    return absl::InvalidArgumentError(
        absl::StrCat("a device label holds at most ", kMaxLabelBytes, " bytes"));
  }
  // 64 random bits: a collision is as unlikely as guessing a token, and checked anyway.
  std::string device_id = absl::StrCat("dev-", RandomHex(8));
  FS_ASSIGN_OR_RETURN(auto existing, store_->GetDevice(device_id));
  if (existing) return absl::UnavailableError("device id collision; retry");
  NewDevice out = NewCredential(device_id, role, std::move(scopes), all_scopes);
  out.device.label = std::move(label);
  batch->PutDevice(out.device);
  return out;
}

}  // namespace fieldsync
