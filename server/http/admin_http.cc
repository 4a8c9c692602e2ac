#include "server/http/admin_http.h"

#include <httplib.h>

#include <chrono>

#include "absl/strings/str_cat.h"
#include "server/common/status.h"
#include "server/http/httplib_listener.h"

namespace fieldsync {
namespace {

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

  FS_ASSIGN_OR_RETURN(s->port_, fieldsync::http::ListenInBackground(&http, s->options_.listen,
                                                                    "admin http", &s->thread_));
  return s;
}

void AdminHttpServer::Stop() {
  if (http_) http_->stop();
  if (thread_.joinable()) thread_.join();
}

AdminHttpServer::~AdminHttpServer() { Stop(); }

}  // namespace fieldsync
