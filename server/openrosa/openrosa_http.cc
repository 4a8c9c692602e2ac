#include "server/openrosa/openrosa_http.h"

#include <httplib.h>
#include <openssl/evp.h>

#include <chrono>
#include <ctime>

#include "absl/strings/numbers.h"
#include "absl/strings/str_cat.h"
#include "server/common/status.h"
#include "server/http/httplib_listener.h"
#include "server/xform/xform_writer.h"
#include "server/xform/xml_writer.h"

namespace fieldsync::openrosa {

namespace {

constexpr char kKey[] = "/key/([^/]+)";

std::string Md5Hex(std::string_view data) {
  unsigned char md[EVP_MAX_MD_SIZE];
  unsigned int len = 0;
  EVP_Digest(data.data(), data.size(), md, &len, EVP_md5(), nullptr);
  static constexpr char kHex[] = "0123456789abcdef";
  std::string out;
  for (unsigned int i = 0; i < len; ++i) {
    out += kHex[md[i] >> 4];
    out += kHex[md[i] & 15];
  }
  return out;
}

std::string HttpDate() {
  std::time_t now = std::time(nullptr);
  std::tm tm{};
  gmtime_r(&now, &tm);
  char buf[64];
  std::strftime(buf, sizeof(buf), "%a, %d %b %Y %H:%M:%S GMT", &tm);
  return buf;
}

void OpenRosaHeaders(httplib::Response& res) {
  res.set_header("X-OpenRosa-Version", "1.0");
  res.set_header("Date", HttpDate());
  res.set_header("Cache-Control", "no-store");
}

void Answer(httplib::Response& res, int status, const std::string& message) {
  OpenRosaHeaders(res);
  res.status = status;
  res.set_content(OpenRosaResponseXml(message), "text/xml; charset=utf-8");
}

void AnswerError(httplib::Response& res, const absl::Status& s) {
  Answer(res, HttpStatusFor(s), std::string(s.message()));
}

xform::XFormOptions XFormOptionsFor(const Device& device) {
  xform::XFormOptions o;
  if (!device.all_scopes) {
    for (const auto& grant : device.scopes) o.scope_values[grant.field].push_back(grant.value);
  }
  return o;
}

}  // namespace

std::string OpenRosaResponseXml(const std::string& message) {
  return absl::StrCat(
      "<?xml version=\"1.0\" encoding=\"UTF-8\"?>\n"
      "<OpenRosaResponse xmlns=\"http://openrosa.org/http/response\">"
      "<message nature=\"submit_success\">",
      xform::EscapeText(message), "</message></OpenRosaResponse>\n");
}

int HttpStatusFor(const absl::Status& s) {
  switch (s.code()) {
    case absl::StatusCode::kInvalidArgument:
    case absl::StatusCode::kFailedPrecondition:
      return 400;
    case absl::StatusCode::kUnauthenticated:
      return 401;
    case absl::StatusCode::kPermissionDenied:
      return 403;
    case absl::StatusCode::kNotFound:
      return 404;
    case absl::StatusCode::kAlreadyExists:
      return 409;
    case absl::StatusCode::kResourceExhausted:
      return 413;
    case absl::StatusCode::kUnavailable:
      return 503;
    default:
      return 500;
  }
}

absl::StatusOr<std::unique_ptr<OpenRosaHttpServer>> OpenRosaHttpServer::Start(
    OpenRosaHttpOptions options) {
  if (options.registry == nullptr || options.core == nullptr || options.forms == nullptr) {
    return absl::InvalidArgumentError("openrosa: registry, core and forms are required");
  }
  std::unique_ptr<OpenRosaHttpServer> s(new OpenRosaHttpServer());
  s->options_ = std::move(options);
  if (!s->options_.tls_cert_file.empty() || !s->options_.tls_key_file.empty()) {
    auto ssl = std::make_unique<httplib::SSLServer>(s->options_.tls_cert_file.c_str(),
                                                    s->options_.tls_key_file.c_str());
    if (!ssl->is_valid()) {
      return absl::InvalidArgumentError("openrosa: cannot load the TLS certificate and key");
    }
    s->http_ = std::move(ssl);
    s->tls_ = true;
  } else {
    s->http_ = std::make_unique<httplib::Server>();
  }
  auto& http = *s->http_;
  const int threads = std::max(1, s->options_.threads);
  http.new_task_queue = [threads] { return new httplib::ThreadPool(threads); };
  http.set_payload_max_length(s->options_.max_body_bytes);
  http.set_read_timeout(s->options_.read_timeout_s, 0);
  http.set_write_timeout(s->options_.read_timeout_s, 0);
  http.set_keep_alive_max_count(100);
  s->Routes();
  FS_ASSIGN_OR_RETURN(s->port_, fieldsync::http::ListenInBackground(&http, s->options_.listen,
                                                                    "openrosa", &s->thread_));
  return s;
}

void OpenRosaHttpServer::Routes() {
  auto& http = *http_;
  // The calling device, or an answer already written.
  auto who = [this](const httplib::Request& req, httplib::Response& res) -> std::optional<Device> {
    absl::StatusOr<Device> d = options_.registry->Authenticate(req.matches[1].str());
    if (!d.ok()) {
      AnswerError(res, d.status());
      return std::nullopt;
    }
    if (d->role == Role::kFeedReader) {
      Answer(res, 403, "this device's role may not fill forms");
      return std::nullopt;
    }
    if (options_.limits != nullptr) {
      if (absl::Status rate = options_.limits->rate.Acquire(d->device_id); !rate.ok()) {
        OpenRosaHeaders(res);
        res.status = 429;
        res.set_header("Retry-After", "1");
        res.set_content(OpenRosaResponseXml(std::string(rate.message())),
                        "text/xml; charset=utf-8");
        return std::nullopt;
      }
    }
    return *d;
  };
  auto base_url = [this](const httplib::Request& req) {
    std::string host = req.get_header_value("Host");
    if (host.empty()) host = absl::StrCat("localhost:", port_);
    return absl::StrCat(tls_ ? "https://" : "http://", host, "/key/", req.matches[1].str());
  };
  // The form version a path names, if the device may fill it.
  auto form_of = [this](const httplib::Request& req, httplib::Response& res,
                        const Device& device) -> std::optional<Form> {
    uint32_t version = 0;
    if (!absl::SimpleAtoi(req.matches[3].str(), &version) || version == 0) {
      Answer(res, 404, "no such form version");
      return std::nullopt;
    }
    auto schema = options_.forms->Get(req.matches[2].str(), version);
    if (!schema.ok()) {
      AnswerError(res, schema.status());
      return std::nullopt;
    }
    if (!SubmissionCore::MayFill(device, (*schema)->form())) {
      Answer(res, 403, "this device may not fill this form");
      return std::nullopt;
    }
    return (*schema)->form();
  };

  http.Get(absl::StrCat(kKey, "/formList"),
           [this, who, base_url](const httplib::Request& req, httplib::Response& res) {
             std::optional<Device> device = who(req, res);
             if (!device) return;
             absl::StatusOr<std::vector<Form>> forms = options_.core->FormsFor(*device);
             if (!forms.ok()) return AnswerError(res, forms.status());
             const std::string base = base_url(req);
             const std::string only = req.get_param_value("formID");
             xform::XmlWriter w;
             w.Open("xforms", {{"xmlns", "http://openrosa.org/xforms/xformsList"}});
             for (const Form& f : *forms) {
               if (!only.empty() && f.form_id != only) continue;
               absl::StatusOr<std::string> xml = xform::WriteXForm(f, XFormOptionsFor(*device));
               if (!xml.ok()) continue;  // a form no XForm can express is not offered
               const std::string url = absl::StrCat(base, "/forms/", f.form_id, "/", f.version);
               w.Open("xform");
               w.Leaf("formID", {}, f.form_id);
               w.Leaf("name", {}, f.title.empty() ? f.form_id : f.title);
               w.Leaf("version", {}, absl::StrCat(f.version));
               w.Leaf("hash", {}, absl::StrCat("md5:", Md5Hex(*xml)));
               w.Leaf("downloadUrl", {}, url + "/form.xml");
               bool media = false;
               for (const auto& m : f.media) media = media || !m.sha256.empty();
               if (media && options_.blobs != nullptr) w.Leaf("manifestUrl", {}, url + "/manifest");
               w.Close();
             }
             w.Close();
             OpenRosaHeaders(res);
             res.set_content(w.str(), "text/xml; charset=utf-8");
           });

  const std::string form_path = absl::StrCat(kKey, "/forms/([^/]+)/([0-9]+)");
  http.Get(form_path + "/form.xml",
           [this, who, form_of](const httplib::Request& req, httplib::Response& res) {
             std::optional<Device> device = who(req, res);
             if (!device) return;
             std::optional<Form> form = form_of(req, res, *device);
             if (!form) return;
             absl::StatusOr<std::string> xml = xform::WriteXForm(*form, XFormOptionsFor(*device));
             if (!xml.ok()) return AnswerError(res, xml.status());
             OpenRosaHeaders(res);
             res.set_content(*xml, "text/xml; charset=utf-8");
           });
  http.Get(form_path + "/manifest",
           [this, who, form_of, base_url](const httplib::Request& req, httplib::Response& res) {
             std::optional<Device> device = who(req, res);
             if (!device) return;
             std::optional<Form> form = form_of(req, res, *device);
             if (!form) return;
             const std::string url = absl::StrCat(base_url(req), "/forms/", form->form_id, "/",
                                                  form->version, "/media/");
             xform::XmlWriter w;
             w.Open("manifest", {{"xmlns", "http://openrosa.org/xforms/xformsManifest"}});
             for (const MediaFile& m : form->media) {
               if (m.sha256.empty() || options_.blobs == nullptr) continue;
               std::string bytes;
               absl::Status read = options_.blobs->Read(m.sha256, 0, m.size + 1, &bytes);
               if (!read.ok()) continue;  // published but not held here: not offered
               w.Open("mediaFile");
               w.Leaf("filename", {}, m.name);
               w.Leaf("hash", {}, absl::StrCat("md5:", Md5Hex(bytes)));
               w.Leaf("downloadUrl", {}, url + m.name);
               w.Close();
             }
             w.Close();
             OpenRosaHeaders(res);
             res.set_content(w.str(), "text/xml; charset=utf-8");
           });
  http.Get(form_path + "/media/([^/]+)", [this, who, form_of](const httplib::Request& req,
                                                              httplib::Response& res) {
    std::optional<Device> device = who(req, res);
    if (!device) return;
    std::optional<Form> form = form_of(req, res, *device);
    if (!form) return;
    for (const MediaFile& m : form->media) {
      if (m.name != req.matches[4].str() || m.sha256.empty() || options_.blobs == nullptr) {
        continue;
      }
      std::string bytes;
      absl::Status read = options_.blobs->Read(m.sha256, 0, m.size + 1, &bytes);
      if (!read.ok()) return AnswerError(res, read);
      OpenRosaHeaders(res);
      res.set_content(bytes,
                      m.media_type.empty() ? "application/octet-stream" : m.media_type.c_str());
      return;
    }
    Answer(res, 404, "no such media file");
  });

  // HEAD is answered by the GET handler (cpp-httplib), without a body.
  http.Get(absl::StrCat(kKey, "/submission"), [this, who](const httplib::Request& req,
                                                          httplib::Response& res) {
    if (!who(req, res)) return;
    OpenRosaHeaders(res);
    res.set_header("X-OpenRosa-Accept-Content-Length", absl::StrCat(options_.max_body_bytes));
    res.status = 204;
  });
  http.Post(absl::StrCat(kKey, "/submission"), [this, who](const httplib::Request& req,
                                                           httplib::Response& res) {
    std::optional<Device> device = who(req, res);
    if (!device) return;
    if (!req.is_multipart_form_data() || !req.has_file("xml_submission_file")) {
      return Answer(res, 400, "send multipart/form-data with an xml_submission_file part");
    }
    Submission sub;
    sub.xml = req.get_file_value("xml_submission_file").content;
    for (const auto& [name, part] : req.files) {
      if (name == "xml_submission_file" || part.filename.empty()) continue;
      sub.media.push_back(MediaPart{part.filename, part.content_type, part.content});
    }
    absl::StatusOr<SubmissionResult> r = options_.core->Submit(*device, sub);
    if (!r.ok()) return AnswerError(res, r.status());
    if (r->kind == SubmissionResult::Kind::kDuplicate) {
      duplicate_.fetch_add(1);
      return Answer(res, 202, "Duplicate submission: already received");
    }
    created_.fetch_add(1);
    res.set_header("Location", absl::StrCat("/submission/", r->record_id));
    if (!r->quarantined.empty()) {
      return Answer(res, 201,
                    absl::StrCat("Received, but kept aside for review: ", r->quarantined));
    }
    Answer(res, 201, "Form received");
  });
}

void OpenRosaHttpServer::Stop() {
  if (http_) http_->stop();
  if (thread_.joinable()) thread_.join();
}

OpenRosaHttpServer::~OpenRosaHttpServer() { Stop(); }

}  // namespace fieldsync::openrosa
