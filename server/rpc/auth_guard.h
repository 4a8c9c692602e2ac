// The one authentication and authorisation wrapper every handler goes through. gRPC 1.51
// server interceptors cannot reject a call and AuthMetadataProcessor runs only over TLS, so
// the checks live here and hold the same over TLS and loopback plaintext.
#ifndef FIELDSYNC_SERVER_RPC_AUTH_GUARD_H_
#define FIELDSYNC_SERVER_RPC_AUTH_GUARD_H_

#include <grpcpp/server_context.h>

#include <initializer_list>
#include <vector>

#include "absl/status/statusor.h"
#include "server/auth/device_registry.h"
#include "server/rpc/grpc_status.h"

namespace fieldsync::rpc {

class AuthGuard {
 public:
  explicit AuthGuard(const DeviceRegistry* registry) : registry_(registry) {}

  // The calling device, from `authorization: Bearer <token>`. UNAUTHENTICATED if missing or
  // invalid; PERMISSION_DENIED if its role is not in `roles`.
  absl::StatusOr<Device> Check(const grpc::ServerContext* ctx,
                               std::initializer_list<Role> roles) const;

  // Runs fn(device) -> absl::Status for an authorised caller and maps its status.
  template <typename Fn>
  grpc::Status Run(const grpc::ServerContext* ctx, std::initializer_list<Role> roles,
                   Fn&& fn) const {
    auto device = Check(ctx, roles);
    if (!device.ok()) return ToGrpcStatus(device.status());
    return ToGrpcStatus(fn(*device));
  }

 private:
  const DeviceRegistry* registry_;
};

// Roles that sync records.
inline constexpr std::initializer_list<Role> kSyncRoles = {Role::kEnumerator, Role::kBorderOfficer,
                                                           Role::kSupervisor, Role::kAdmin};
inline constexpr std::initializer_list<Role> kAnyRole = {
    Role::kEnumerator, Role::kBorderOfficer, Role::kSupervisor, Role::kAdmin, Role::kFeedReader};

}  // namespace fieldsync::rpc

#endif  // FIELDSYNC_SERVER_RPC_AUTH_GUARD_H_
