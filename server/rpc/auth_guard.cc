#include "server/rpc/auth_guard.h"

#include <algorithm>

#include "absl/strings/match.h"
#include "absl/strings/str_cat.h"

namespace fieldsync::rpc {

absl::StatusOr<Device> AuthGuard::Check(const grpc::ServerContext* ctx,
                                        std::initializer_list<Role> roles) const {
  const auto& md = ctx->client_metadata();
  auto it = md.find("authorization");
  if (it == md.end()) {
    return absl::UnauthenticatedError("missing credential: send authorization: Bearer <token>");
  }
  std::string_view value(it->second.data(), it->second.size());
  constexpr std::string_view kBearer = "Bearer ";
  if (value.size() < kBearer.size() ||
      !absl::EqualsIgnoreCase(absl::string_view(value.data(), kBearer.size()),
                              absl::string_view(kBearer.data(), kBearer.size()))) {
    return absl::UnauthenticatedError("authorization must be 'Bearer <token>'");
  }
  value.remove_prefix(kBearer.size());
  auto device = registry_->Authenticate(value);
  if (!device.ok()) return device.status();
  if (std::find(roles.begin(), roles.end(), device->role) == roles.end()) {
    return absl::PermissionDeniedError(
        absl::StrCat("role ", RoleName(device->role), " may not call this method"));
  }
  return device;
}

}  // namespace fieldsync::rpc
