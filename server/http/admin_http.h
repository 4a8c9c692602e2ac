// AdminHttpServer: the admin HTTP port (DESIGN.md "Operations"): Prometheus /metrics,
// /healthz, the dashboard page and the JSON it polls (/api/fleet, /api/stats). Loopback by
// default; it carries no personal values, only device ids, counts and statistics, and is meant
// for a loopback or cluster-internal address. Read-only: only GET is served.
// Thread-safe; handlers run on a small fixed pool of HTTP threads.
#ifndef FIELDSYNC_SERVER_HTTP_ADMIN_HTTP_H_
#define FIELDSYNC_SERVER_HTTP_ADMIN_HTTP_H_

#include <functional>
#include <map>
#include <memory>
#include <string>
#include <thread>

#include "absl/status/statusor.h"
#include "server/metrics/metrics.h"

namespace httplib {
class Server;
}

namespace fieldsync {

// A JSON document (serialised) or an error. INVALID_ARGUMENT becomes HTTP 400, NOT_FOUND 404,
// anything else 500 (with the message; it never holds personal values).
using JsonProvider =
    std::function<absl::StatusOr<std::string>(const std::map<std::string, std::string>& query)>;

struct AdminHttpOptions {
  std::string listen = "127.0.0.1:9090";  // host:port; port 0 picks a free one
  int threads = 2;
  Metrics* metrics = nullptr;               // required
  std::function<bool()> serving;            // /healthz: 200 while true, 503 after
  std::map<std::string, JsonProvider> api;  // "/api/<name>" -> provider
};

class AdminHttpServer {
 public:
  // Binds and starts serving. UNAVAILABLE if the address cannot be bound;
  // INVALID_ARGUMENT for a malformed address.
  static absl::StatusOr<std::unique_ptr<AdminHttpServer>> Start(AdminHttpOptions options);
  ~AdminHttpServer();  // Stop()s

  int port() const { return port_; }
  // Stops accepting, finishes running requests and joins the threads. Idempotent.
  void Stop();

 private:
  AdminHttpServer() = default;
  AdminHttpOptions options_;
  std::unique_ptr<httplib::Server> http_;
  std::thread thread_;
  int port_ = 0;
};

// The dashboard page (HTML, CSS and script in one document).
const std::string& DashboardHtml();

}  // namespace fieldsync

#endif  // FIELDSYNC_SERVER_HTTP_ADMIN_HTTP_H_
