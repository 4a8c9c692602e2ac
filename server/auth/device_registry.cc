#include "server/auth/device_registry.h"

#include "absl/strings/str_cat.h"
#include "server/common/hash.h"
#include "server/common/status.h"

namespace fieldsync {
namespace {

constexpr size_t kMaxDeviceIdBytes = 64;
constexpr size_t kMaxTokenBytes = 256;

bool ValidDeviceId(const std::string& id) {
  if (id.empty() || id.size() > kMaxDeviceIdBytes) return false;
  for (char c : id) {
    if (!(isalnum(static_cast<unsigned char>(c)) || c == '-' || c == '_' || c == '.')) {
      return false;
    }
  }
  return true;
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

absl::StatusOr<NewDevice> DeviceRegistry::Create(const std::string& device_id, Role role,
                                                 std::vector<ScopePair> scopes, bool all_scopes) {
  if (!ValidDeviceId(device_id)) {
    return absl::InvalidArgumentError(
        "device id must be 1-64 characters of letters, digits, '-', '_' or '.'");
  }
  if (!all_scopes && scopes.empty()) {
    return absl::InvalidArgumentError("a device needs at least one scope (or all scopes)");
  }
  for (const auto& s : scopes) {
    // An empty field or value is no grant; ("", "") would name the form-wide index.
    if (s.field.empty() || s.value.empty()) {
      return absl::InvalidArgumentError("a scope needs a field and a value (field=value)");
    }
  }
  std::lock_guard<std::mutex> lock(create_mu_);
  FS_ASSIGN_OR_RETURN(auto existing, store_->GetDevice(device_id));
  if (existing) return absl::AlreadyExistsError(absl::StrCat("device ", device_id, " exists"));
  NewDevice out;
  out.token = absl::StrCat("fs_", RandomHex(32));
  out.device.device_id = device_id;
  out.device.role = role;
  out.device.scopes = std::move(scopes);
  out.device.all_scopes = all_scopes;
  out.device.token_hash = Sha256Hex(out.token);
  out.device.created_ms = clock_->NowMs();
  Store::Batch batch;
  batch.PutDevice(out.device);
  FS_RETURN_IF_ERROR(store_->Write(batch, /*sync=*/true));
  return out;
}

absl::StatusOr<Device> DeviceRegistry::Authenticate(std::string_view token) const {
  const absl::Status denied = absl::UnauthenticatedError("invalid or revoked credential");
  if (token.empty() || token.size() > kMaxTokenBytes) return denied;
  // Looked up by hash: the lookup key is not the secret, and stored hashes are useless to a
  // reader of the database.
  const std::string hash = Sha256Hex(token);
  FS_ASSIGN_OR_RETURN(auto device_id, store_->GetDeviceIdByTokenHash(hash));
  if (!device_id) return denied;
  FS_ASSIGN_OR_RETURN(auto device, store_->GetDevice(*device_id));
  if (!device || device->revoked || !ConstantTimeEquals(device->token_hash, hash)) return denied;
  return *std::move(device);
}

absl::Status DeviceRegistry::Revoke(const std::string& device_id) {
  FS_ASSIGN_OR_RETURN(auto device, store_->GetDevice(device_id));
  if (!device) return absl::NotFoundError(absl::StrCat("no device ", device_id));
  Store::Batch batch;
  batch.DeleteTokenIndex(device->token_hash);
  device->revoked = true;
  device->token_hash.clear();
  batch.PutDevice(*device);
  return store_->Write(batch, /*sync=*/true);
}

}  // namespace fieldsync
