// OpenRosaHttpServer: the OpenRosa 1.0 door (DESIGN.md "The OpenRosa door") for ODK Collect,
// KoboCollect and Enketo, on cpp-httplib. Devices authenticate as ODK Central's app users do:
// the device token is the first path segment after /key/, so Collect is configured with the
// server URL https://host:port/key/<token> and needs no user name:
//   GET  /key/<token>/formList                        Form List API (forms the device may fill)
//   GET  /key/<token>/forms/<id>/<version>/form.xml   the XForm (server/xform), per device
//   GET  /key/<token>/forms/<id>/<version>/manifest   form media with md5 hashes
//   GET  /key/<token>/forms/<id>/<version>/media/<f>  one media file
//   HEAD /key/<token>/submission                      204 + X-OpenRosa-Accept-Content-Length
//   POST /key/<token>/submission                      multipart: xml_submission_file + media
// Every request: the token checked as AuthGuard checks a bearer token (unknown, expired,
// revoked: 401), a role that syncs records (else 403), the device's request rate (429); the
// token never reaches a log line or an error message. Bodies above max_body_bytes: 413.
// Answers to submissions carry an OpenRosaResponse XML message.
//
// TLS with the gRPC port's certificate and key; plaintext only when the caller allows it
// (fieldsyncd: loopback with --dev-plaintext). Thread-safe; handlers run on a fixed pool.
#ifndef FIELDSYNC_SERVER_OPENROSA_OPENROSA_HTTP_H_
#define FIELDSYNC_SERVER_OPENROSA_OPENROSA_HTTP_H_

#include <atomic>
#include <memory>
#include <string>
#include <thread>

#include "absl/status/statusor.h"
#include "server/auth/device_registry.h"
#include "server/auth/limits.h"
#include "server/blob/blob_store.h"
#include "server/openrosa/submission.h"

namespace httplib {
class Server;
}

namespace fieldsync::openrosa {

struct OpenRosaHttpOptions {
  std::string listen;  // host:port; port 0 picks a free one
  // PEM files; both empty = plaintext (the caller decides where that is allowed).
  std::string tls_cert_file;
  std::string tls_key_file;
  int threads = 4;
  // Largest request body (X-OpenRosa-Accept-Content-Length); Collect splits larger
  // submissions over several requests.
  size_t max_body_bytes = 10'000'000;
  int read_timeout_s = 30;
  const DeviceRegistry* registry = nullptr;  // required
  DeviceLimits* limits = nullptr;            // optional: no rate limit without it
  SubmissionCore* core = nullptr;            // required
  FormRegistry* forms = nullptr;             // required
  const BlobStore* blobs = nullptr;          // optional: form media
};

class OpenRosaHttpServer {
 public:
  // Binds and starts serving. INVALID_ARGUMENT for a malformed address or a missing
  // dependency or unreadable TLS files; UNAVAILABLE if the address cannot be bound.
  static absl::StatusOr<std::unique_ptr<OpenRosaHttpServer>> Start(OpenRosaHttpOptions options);
  ~OpenRosaHttpServer();  // Stop()s

  int port() const { return port_; }
  bool tls() const { return tls_; }
  // Stops accepting, finishes running requests and joins the threads. Idempotent.
  void Stop();

  // Requests answered, by class (for metrics and tests).
  uint64_t submissions_created() const { return created_.load(); }
  uint64_t submissions_duplicate() const { return duplicate_.load(); }

 private:
  OpenRosaHttpServer() = default;
  void Routes();

  OpenRosaHttpOptions options_;
  std::unique_ptr<httplib::Server> http_;
  std::thread thread_;
  int port_ = 0;
  bool tls_ = false;
  std::atomic<uint64_t> created_{0};
  std::atomic<uint64_t> duplicate_{0};
};

// The OpenRosaResponse document carrying `message`.
std::string OpenRosaResponseXml(const std::string& message);

// The HTTP status for a core error (400, 401, 403, 404, 409, 413, 503, 500).
int HttpStatusFor(const absl::Status& status);

}  // namespace fieldsync::openrosa

#endif  // FIELDSYNC_SERVER_OPENROSA_OPENROSA_HTTP_H_
