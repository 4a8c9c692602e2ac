#include "server/http/admin_http.h"

#include <httplib.h>

#include <chrono>

#include "absl/strings/numbers.h"
#include "absl/strings/str_cat.h"

namespace fieldsync {
namespace {

bool SplitHostPort(const std::string& listen, std::string* host, int* port) {
  size_t colon = listen.rfind(':');
  if (colon == std::string::npos || colon == 0) return false;
  *host = listen.substr(0, colon);
  if (host->size() > 2 && host->front() == '[' && host->back() == ']') {
    *host = host->substr(1, host->size() - 2);
  }
  return absl::SimpleAtoi(absl::string_view(listen.data() + colon + 1, listen.size() - colon - 1),
                          port) &&
         *port >= 0 && *port <= 65535;
}

int HttpCode(const absl::Status& s) {
  switch (s.code()) {
    case absl::StatusCode::kInvalidArgument:
      return 400;
    case absl::StatusCode::kNotFound:
      return 404;
    case absl::StatusCode::kUnavailable:
      return 503;
    default:
      return 500;
  }
}

void Harden(httplib::Response& res) {
  res.set_header("Cache-Control", "no-store");
  res.set_header("X-Content-Type-Options", "nosniff");
  res.set_header("X-Frame-Options", "DENY");
  res.set_header("Referrer-Policy", "no-referrer");
}

}  // namespace

absl::StatusOr<std::unique_ptr<AdminHttpServer>> AdminHttpServer::Start(AdminHttpOptions options) {
  if (options.metrics == nullptr) return absl::InvalidArgumentError("admin http: no metrics");
  std::string host;
  int port = 0;
  if (!SplitHostPort(options.listen, &host, &port)) {
    return absl::InvalidArgumentError(
        absl::StrCat("admin listen address must be host:port, got '", options.listen, "'"));
  }
  std::unique_ptr<AdminHttpServer> s(new AdminHttpServer());
  s->options_ = std::move(options);
  s->http_ = std::make_unique<httplib::Server>();
  auto& http = *s->http_;
  const int threads = std::max(1, s->options_.threads);
  http.new_task_queue = [threads] { return new httplib::ThreadPool(threads); };
  http.set_payload_max_length(16 << 10);
  http.set_read_timeout(5, 0);
  http.set_write_timeout(5, 0);
  http.set_keep_alive_max_count(20);
  // httplib's default sets SO_REUSEPORT, with which a second server silently shares a busy
  // port. SO_REUSEADDR only (restarts rebind while old connections sit in TIME_WAIT).
  http.set_socket_options([](int sock) {
    int yes = 1;
    setsockopt(sock, SOL_SOCKET, SO_REUSEADDR, &yes, sizeof(yes));
  });

  AdminHttpServer* self = s.get();
  http.Get("/metrics", [self](const httplib::Request&, httplib::Response& res) {
    res.set_content(self->options_.metrics->Scrape(), "text/plain; version=0.0.4; charset=utf-8");
  });
  http.Get("/healthz", [self](const httplib::Request&, httplib::Response& res) {
    bool ok = !self->options_.serving || self->options_.serving();
    res.status = ok ? 200 : 503;
    res.set_content(ok ? "ok\n" : "not serving\n", "text/plain");
  });
  auto page = [](const httplib::Request&, httplib::Response& res) {
    Harden(res);
    res.set_header("Content-Security-Policy",
                   "default-src 'none'; script-src 'unsafe-inline'; style-src 'unsafe-inline'; "
                   "connect-src 'self'; img-src 'self' data:");
    res.set_content(DashboardHtml(), "text/html; charset=utf-8");
  };
  http.Get("/", page);
  http.Get("/dashboard", page);
  for (const auto& [name, provider] : self->options_.api) {
    JsonProvider fn = provider;
    http.Get("/api/" + name, [fn](const httplib::Request& req, httplib::Response& res) {
      Harden(res);
      std::map<std::string, std::string> query;
      for (const auto& [k, v] : req.params) query[k] = v;
      auto body = fn(query);
      if (!body.ok()) {
        res.status = HttpCode(body.status());
        res.set_content(
            absl::StrCat("{\"error\":\"", absl::StatusCodeToString(body.status().code()), "\"}"),
            "application/json");
        return;
      }
      res.set_content(*body, "application/json");
    });
  }

  s->port_ = port == 0 ? http.bind_to_any_port(host) : (http.bind_to_port(host, port) ? port : -1);
  if (s->port_ <= 0) {
    return absl::UnavailableError(
        absl::StrCat("admin http: cannot listen on ", s->options_.listen));
  }
  s->thread_ = std::thread([self] { self->http_->listen_after_bind(); });
  // stop() is a no-op until the listener runs: wait for it, so Stop() never joins a thread
  // that would then listen forever.
  auto deadline = std::chrono::steady_clock::now() + std::chrono::seconds(10);
  while (!http.is_running()) {
    if (std::chrono::steady_clock::now() > deadline) {
      return absl::UnavailableError("admin http: listener did not start");
    }
    std::this_thread::sleep_for(std::chrono::milliseconds(1));
  }
  return s;
}

void AdminHttpServer::Stop() {
  if (http_) http_->stop();
  if (thread_.joinable()) thread_.join();
}

AdminHttpServer::~AdminHttpServer() { Stop(); }

}  // namespace fieldsync
