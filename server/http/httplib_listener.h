// What every cpp-httplib listener of fieldsyncd (the admin port, the OpenRosa port) does the
// same way: read its HOST:PORT, bind (port 0 picks a free port), and serve on a thread of its
// own once the listener runs. Header-only, so a library that serves HTTP needs no link to
// fieldsync_http.
#ifndef FIELDSYNC_SERVER_HTTP_HTTPLIB_LISTENER_H_
#define FIELDSYNC_SERVER_HTTP_HTTPLIB_LISTENER_H_

#include <httplib.h>
#include <sys/socket.h>

#include <chrono>
#include <string>
#include <thread>

#include "absl/status/statusor.h"
#include "absl/strings/numbers.h"
#include "absl/strings/str_cat.h"

namespace fieldsync::http {

// "host:port" or "[v6]:port" into its parts; false if malformed.
inline bool SplitHostPort(const std::string& listen, std::string* host, int* port) {
  size_t colon = listen.rfind(':');
  if (colon == std::string::npos || colon == 0) return false;
  *host = listen.substr(0, colon);
  if (host->size() > 2 && host->front() == '[' && host->back() == ']') {
    *host = host->substr(1, host->size() - 2);
  }
  return absl::SimpleAtoi(listen.substr(colon + 1), port) && *port >= 0 && *port <= 65535;
}

// Binds `server` to `listen` and serves it on `*thread`; returns the bound port.
// INVALID_ARGUMENT for a malformed address; UNAVAILABLE if it cannot be bound or the listener
// does not start within 10 s. `what` names the listener in errors.
inline absl::StatusOr<int> ListenInBackground(httplib::Server* server, const std::string& listen,
                                              const char* what, std::thread* thread) {
  std::string host;
  int port = 0;
  if (!SplitHostPort(listen, &host, &port)) {
    return absl::InvalidArgumentError(
        absl::StrCat(what, " listen address must be host:port, got '", listen, "'"));
  }
  // httplib's default sets SO_REUSEPORT, with which a second server silently shares a busy
  // port. SO_REUSEADDR only (restarts rebind while old connections sit in TIME_WAIT).
  server->set_socket_options([](int sock) {
    int yes = 1;
    setsockopt(sock, SOL_SOCKET, SO_REUSEADDR, &yes, sizeof(yes));
  });
  const int bound =
      port == 0 ? server->bind_to_any_port(host) : (server->bind_to_port(host, port) ? port : -1);
  if (bound <= 0) return absl::UnavailableError(absl::StrCat(what, ": cannot listen on ", listen));
  *thread = std::thread([server] { server->listen_after_bind(); });
  // stop() is a no-op until the listener runs: wait for it, so a Stop() never joins a thread
  // that would then listen forever.
  const auto deadline = std::chrono::steady_clock::now() + std::chrono::seconds(10);
  while (!server->is_running()) {
    if (std::chrono::steady_clock::now() > deadline) {
      return absl::UnavailableError(absl::StrCat(what, ": listener did not start"));
    }
    std::this_thread::sleep_for(std::chrono::milliseconds(1));
  }
  return bound;
}

}  // namespace fieldsync::http

#endif  // FIELDSYNC_SERVER_HTTP_HTTPLIB_LISTENER_H_
