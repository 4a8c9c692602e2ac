#include "server/rpc/request_id.h"

#include <cctype>

#include "server/common/hash.h"

namespace fieldsync::rpc {

std::string RequestIdOf(const grpc::ServerContext* ctx) {
  const auto& md = ctx->client_metadata();
  auto it = md.find("x-request-id");
  if (it != md.end() && !it->second.empty() && it->second.size() <= 64) {
    bool ok = true;
    for (char c : it->second) {
      if (!(isalnum(static_cast<unsigned char>(c)) || c == '-' || c == '_' || c == '.' ||
            c == ':')) {
        ok = false;
        break;
      }
    }
    if (ok) return std::string(it->second.data(), it->second.size());
  }
  return RandomHex(8);
}

absl::Status AuditRead(AuditLog* audit, const grpc::ServerContext* ctx, const Device& device,
                       const char* action, std::string target) {
  if (audit == nullptr) return absl::OkStatus();
  return audit->Append({AuditContext::Of(device, RequestIdOf(ctx)), action, std::move(target), ""})
      .status();
}

}  // namespace fieldsync::rpc
