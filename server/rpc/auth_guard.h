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
#include "server/auth/limits.h"
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
    if (auto admitted = ChargeRequest(*device); !admitted.ok()) return ToGrpcStatus(admitted);
    return ToGrpcStatus(fn(*device));
  }

  // Abuse limits every authenticated call is held to (not owned; set before serving). Without
  // them no rate or stream limit applies.
  void set_limits(DeviceLimits* limits) { limits_ = limits; }

  // Counts one request of `device` against its rate (Run() does this once per call; a Push
  // stream also once per batch). RESOURCE_EXHAUSTED with a retry delay when over the rate.
  absl::Status ChargeRequest(const Device& device) const {
    return limits_ == nullptr ? absl::OkStatus() : limits_->rate.Acquire(device.device_id);
  }

  // Run() for streaming calls (Push, Pull, Changes): also holds one of the device's stream
  // slots for the whole call, released however the call ends (RESOURCE_EXHAUSTED when the
  // device or the server holds its maximum of streams).
  template <typename Fn>
  grpc::Status RunStream(const grpc::ServerContext* ctx, std::initializer_list<Role> roles,
                         Fn&& fn) const {
    return Run(ctx, roles, [&](const Device& device) -> absl::Status {
      StreamLimiter::Lease lease;
      if (limits_ != nullptr) {
        auto acquired = limits_->streams.Acquire(device.device_id);
        if (!acquired.ok()) return acquired.status();
        lease = *std::move(acquired);
      }
      return fn(device);
    });
  }

 private:
  const DeviceRegistry* registry_;
  DeviceLimits* limits_ = nullptr;
};

// Roles that sync records.
inline constexpr std::initializer_list<Role> kSyncRoles = {Role::kEnumerator, Role::kBorderOfficer,
                                                           Role::kSupervisor, Role::kAdmin};
// Roles that read the change feed.
inline constexpr std::initializer_list<Role> kFeedRoles = {Role::kFeedReader, Role::kAdmin};
inline constexpr std::initializer_list<Role> kAnyRole = {
    Role::kEnumerator, Role::kBorderOfficer, Role::kSupervisor, Role::kAdmin, Role::kFeedReader};

}  // namespace fieldsync::rpc

#endif  // FIELDSYNC_SERVER_RPC_AUTH_GUARD_H_
