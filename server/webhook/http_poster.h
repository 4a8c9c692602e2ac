// Sending one webhook request. An interface so that the dispatcher is tested with a scripted
// fake; HttplibPoster is the real one (cpp-httplib with OpenSSL).
#ifndef FIELDSYNC_SERVER_WEBHOOK_HTTP_POSTER_H_
#define FIELDSYNC_SERVER_WEBHOOK_HTTP_POSTER_H_

#include <chrono>
#include <string>
#include <utility>
#include <vector>

#include "absl/status/status.h"

namespace fieldsync::webhook {

struct HttpResult {
  int status = 0;     // the HTTP status; 0 if there was no answer
  std::string error;  // why there was no answer (timeout, refused, TLS), else ""
  bool ok() const { return status >= 200 && status < 300; }
};

using Headers = std::vector<std::pair<std::string, std::string>>;

class HttpPoster {
 public:
  virtual ~HttpPoster() = default;
  // POSTs `body` (application/json) to `url`, waiting at most `timeout` to connect and as
  // long again for the answer. Thread-safe: dispatcher workers call it concurrently.
  virtual HttpResult Post(const std::string& url, const std::string& body, const Headers& headers,
                          std::chrono::milliseconds timeout) = 0;
};

// Checks a target URL: https://HOST[:PORT][/PATH], or http:// to a loopback host only
// (127.0.0.0/8, ::1, localhost: development and tests). INVALID_ARGUMENT otherwise.
absl::Status CheckTargetUrl(const std::string& url);

// cpp-httplib with the server's certificate checked against `ca_file` (PEM; "" is the system's
// CA bundle). A new connection per request: targets are few and requests far apart.
class HttplibPoster final : public HttpPoster {
 public:
  explicit HttplibPoster(std::string ca_file = "") : ca_file_(std::move(ca_file)) {}
  HttpResult Post(const std::string& url, const std::string& body, const Headers& headers,
                  std::chrono::milliseconds timeout) override;

 private:
  std::string ca_file_;
};

}  // namespace fieldsync::webhook

#endif  // FIELDSYNC_SERVER_WEBHOOK_HTTP_POSTER_H_
