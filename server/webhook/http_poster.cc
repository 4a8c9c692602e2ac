#include "server/webhook/http_poster.h"

#include <httplib.h>

#include "absl/strings/match.h"
#include "absl/strings/str_cat.h"

namespace fieldsync::webhook {
namespace {

constexpr size_t kMaxUrlBytes = 2048;

struct Url {
  std::string scheme_host_port;  // what httplib::Client takes
  std::string host;
  std::string path;
  bool https = false;
};

bool Parse(const std::string& url, Url* out) {
  std::string rest;
  if (absl::StartsWith(url, "https://")) {
    out->https = true;
    rest = url.substr(8);
  } else if (absl::StartsWith(url, "http://")) {
    rest = url.substr(7);
  } else {
    return false;
  }
  const size_t slash = rest.find('/');
  const std::string authority = rest.substr(0, slash);
  out->path = slash == std::string::npos ? "/" : rest.substr(slash);
  if (authority.empty() || authority.find('@') != std::string::npos) return false;
  if (authority[0] == '[') {
    const size_t close = authority.find(']');
    if (close == std::string::npos) return false;
    out->host = authority.substr(1, close - 1);
  } else {
    out->host = authority.substr(0, authority.find(':'));
  }
  if (out->host.empty()) return false;
  for (char c : url) {
    if (static_cast<unsigned char>(c) <= ' ' || c == 0x7f) return false;
  }
  out->scheme_host_port = (out->https ? "https://" : "http://") + authority;
  return true;
}

bool IsLoopback(const std::string& host) {
  if (host == "localhost" || host == "::1") return true;
  // Literal 127.0.0.0/8 only (as the server's own --plaintext rule): a name could resolve
  // anywhere.
  if (!absl::StartsWith(host, "127.")) return false;
  int dots = 0;
  for (char c : host) {
    if (c == '.') {
      ++dots;
    } else if (c < '0' || c > '9') {
      return false;
    }
  }
  return dots == 3;
}

}  // namespace

absl::Status CheckTargetUrl(const std::string& url) {
  Url u;
  if (url.size() > kMaxUrlBytes) {
    return absl::InvalidArgumentError(absl::StrCat("url longer than ", kMaxUrlBytes, " bytes"));
  }
  if (!Parse(url, &u)) {
    return absl::InvalidArgumentError("url must be https://HOST[:PORT][/PATH]");
  }
  if (!u.https && !IsLoopback(u.host)) {
    return absl::InvalidArgumentError(
        "url must use https (plain http only to a loopback address, for development)");
  }
  return absl::OkStatus();
}

HttpResult HttplibPoster::Post(const std::string& url, const std::string& body,
                               const Headers& headers, std::chrono::milliseconds timeout) {
  HttpResult result;
  Url u;
  if (!Parse(url, &u)) {
    result.error = "malformed url";
    return result;
  }
  httplib::Client client(u.scheme_host_port);
  client.set_connection_timeout(timeout);
  client.set_read_timeout(timeout);
  client.set_write_timeout(timeout);
  client.set_keep_alive(false);
  if (u.https) {
    client.enable_server_certificate_verification(true);
    client.set_ca_cert_path(ca_file_.empty() ? "/etc/ssl/certs/ca-certificates.crt" : ca_file_);
  }
  httplib::Headers h;
  for (const auto& [name, value] : headers) h.emplace(name, value);
  auto res = client.Post(u.path, h, body, "application/json");
  if (!res) {
    result.error = httplib::to_string(res.error());
    return result;
  }
  result.status = res->status;
  return result;
}

}  // namespace fieldsync::webhook
