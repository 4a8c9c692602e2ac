#include "server/app/form_loader.h"

#include <google/protobuf/util/json_util.h>

#include <algorithm>
#include <filesystem>

#include "absl/strings/str_cat.h"
#include "server/common/file.h"
#include "server/common/status.h"
#include "server/convert/convert.h"
#include "server/xlsform/xlsform.h"

namespace fieldsync {

absl::StatusOr<Form> ParseFormJson(const std::string& json) {
  v1::Form proto;
  auto s = google::protobuf::util::JsonStringToMessage(json, &proto);
  if (!s.ok()) return absl::InvalidArgumentError(std::string(s.message()));
  return convert::FromProto(proto);
}

absl::StatusOr<std::vector<Form>> LoadFormsDir(const std::string& dir) {
  std::error_code ec;
  std::vector<std::filesystem::path> files;
  for (const auto& e : std::filesystem::directory_iterator(dir, ec)) {
    if (e.path().extension() == ".json" || e.path().extension() == ".xlsx") {
      files.push_back(e.path());
    }
  }
  if (ec) return absl::InvalidArgumentError(absl::StrCat("reading ", dir, ": ", ec.message()));
  std::sort(files.begin(), files.end());
  std::vector<Form> out;
  for (const auto& f : files) {
    // An .xlsx is read up to the converter's own bound, which then refuses it by name.
    const bool xlsx = f.extension() == ".xlsx";
    absl::StatusOr<std::string> text =
        xlsx ? ReadFileToString(f.string(), xlsform::XlsxLimits{}.max_file_bytes)
             : ReadFileToString(f.string());
    if (!text.ok()) return absl::InvalidArgumentError(text.status().message());
    auto form =
        xlsx ? xlsform::ConvertXlsForm(*text, xlsform::XlsFormOptions{}) : ParseFormJson(*text);
    FS_RETURN_IF_ERROR_PREPEND(form.status(), f.string());
    out.push_back(*std::move(form));
  }
  return out;
}

}  // namespace fieldsync
