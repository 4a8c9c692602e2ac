#include "client-sdk/cli/forms_commands.h"

#include <google/protobuf/util/json_util.h>

#include <iostream>

#include "absl/strings/numbers.h"
#include "absl/strings/str_cat.h"
#include "client-sdk/cli/cli_common.h"
#include "client-sdk/cli/server_connection.h"
#include "fieldsync/v1/forms.grpc.pb.h"
#include "server/convert/convert.h"
#include "server/xlsform/xlsform.h"

namespace fieldsync::cli {
namespace {

constexpr char kFormsUsage[] =
    "usage: fieldsync forms convert FILE.xlsx [--form-id ID] [--version N]\n"
    "       fieldsync forms publish FILE.xlsx [--form-id ID] [--version N]\n"
    "                               [--server HOST:PORT --token-file F] [--ca-file PEM | "
    "--plaintext]\n";

struct FileArgs {
  std::string file;
  std::string form_id;
  uint32_t version = 0;
};

// args: forms SUB FILE [--form-id ID] [--version N]; connection flags are removed already.
bool ParseFileArgs(const std::vector<std::string>& args, FileArgs* out, std::string* error) {
  for (size_t i = 2; i < args.size(); ++i) {
    const std::string& a = args[i];
    if ((a == "--form-id" || a == "--version") && i + 1 >= args.size()) {
      *error = a + " needs a value";
      return false;
    }
    if (a == "--form-id") {
      out->form_id = args[++i];
    } else if (a == "--version") {
      if (!absl::SimpleAtoi(args[++i], &out->version) || out->version == 0) {
        *error = "--version must be a whole number from 1 to 4294967295";
        return false;
      }
    } else if (out->file.empty() && a.rfind("--", 0) != 0) {
      out->file = a;
    } else {
      *error = "unexpected argument " + a;
      return false;
    }
  }
  if (out->file.empty()) *error = "which .xlsx file?";
  return error->empty();
}

int Usage(const std::string& error) {
  if (!error.empty()) std::cerr << "fieldsync forms: " << error << "\n";
  std::cerr << kFormsUsage;
  return kUsage;
}

int Convert(const FileArgs& a) {
  bool ok = false;
  const std::string bytes = ReadFile(a.file, &ok);
  if (!ok) {
    std::cerr << "fieldsync forms: cannot read " << a.file << "\n";
    return kFailed;
  }
  xlsform::XlsFormOptions options;
  options.form_id = a.form_id;
  options.version = a.version;
  absl::StatusOr<Form> form = xlsform::ConvertXlsForm(bytes, options);
  if (!form.ok()) {
    std::cerr << "fieldsync forms: " << a.file << ": " << form.status().message() << "\n";
    return kFailed;
  }
  v1::Form proto;
  convert::ToProto(*form, &proto);
  google::protobuf::util::JsonPrintOptions json;
  json.add_whitespace = true;
  json.preserve_proto_field_names = false;
  std::string out;
  if (!google::protobuf::util::MessageToJsonString(proto, &out, json).ok()) {
    std::cerr << "fieldsync forms: cannot print the form as JSON\n";
    return kFailed;
  }
  std::cout << out;
  return kOk;
}

int Publish(const Settings& settings, std::vector<std::string> args) {
  auto conn = ConnectToServer(settings, &args);
  if (!conn.ok()) {
    std::cerr << "fieldsync forms: " << conn.status().message() << "\n";
    return conn.status().code() == absl::StatusCode::kInvalidArgument ? kUsage : kFailed;
  }
  FileArgs a;
  std::string error;
  if (!ParseFileArgs(args, &a, &error)) return Usage(error);
  bool ok = false;
  v1::PublishFormRequest req;
  req.set_xlsx(ReadFile(a.file, &ok));
  if (!ok) {
    std::cerr << "fieldsync forms: cannot read " << a.file << "\n";
    return kFailed;
  }
  req.set_form_id(a.form_id);
  req.set_version(a.version);
  v1::PublishFormResponse resp;
  auto stub = v1::FormService::NewStub(conn->channel);
  absl::Status s = FromGrpcStatus(stub->PublishForm(conn->Context().get(), req, &resp));
  if (!s.ok()) {
    std::cerr << "fieldsync forms: "
              << ExplainServerCall(s, conn->config, absl::StrCat(a.file, " refused:")) << "\n";
    return kFailed;
  }
  std::cout << (resp.created() ? "published " : "already published: ") << resp.form_id()
            << " version " << resp.version() << "\n";
  return kOk;
}

}  // namespace

int CmdFormsFile(const Settings& settings, std::vector<std::string> args) {
  if (args.size() < 2 || (args[1] != "convert" && args[1] != "publish")) {
    const bool help = args.size() >= 2 && (args[1] == "help" || args[1] == "--help");
    (help ? std::cout : std::cerr) << kFormsUsage;
    return help ? kOk : kUsage;
  }
  if (args[1] == "publish") return Publish(settings, std::move(args));
  FileArgs a;
  std::string error;
  if (!ParseFileArgs(args, &a, &error)) return Usage(error);
  return Convert(a);
}

}  // namespace fieldsync::cli
