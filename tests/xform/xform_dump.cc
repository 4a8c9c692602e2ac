// Writes the XForm of every form that converts to OUTDIR, for the Node.js test that loads them
// in ODK's own engine (tests/node/xforms_engine_test.js):
//   xform_dump OUTDIR FORMS_DIR PYXFORM_DIR
// FORMS_DIR (deploy/forms) is loaded as fieldsyncd loads it; each PYXFORM_DIR/*.xlsx is
// converted with its file name as form id (pyxform's rule), and one that does not convert is
// listed as "skip". Prints "ok FILE" or "skip FILE: why" per form; exits 1 on any other error.
#include <algorithm>
#include <filesystem>
#include <fstream>
#include <iostream>

#include "server/app/form_loader.h"
#include "server/common/file.h"
#include "server/xform/xform_writer.h"
#include "server/xlsform/xlsform.h"

namespace fs = std::filesystem;

namespace {

bool Write(const fs::path& out, const fieldsync::Form& form, const std::string& name) {
  absl::StatusOr<std::string> xml = fieldsync::xform::WriteXForm(form);
  if (!xml.ok()) {
    std::cerr << name << ": " << xml.status() << "\n";
    return false;
  }
  std::ofstream(out / (name + ".xml"), std::ios::binary) << *xml;
  std::cout << "ok " << name << "\n";
  return true;
}

}  // namespace

int main(int argc, char** argv) {
  if (argc != 4) {
    std::cerr << "usage: xform_dump OUTDIR FORMS_DIR PYXFORM_DIR\n";
    return 2;
  }
  const fs::path out = argv[1];
  fs::create_directories(out);
  absl::StatusOr<std::vector<fieldsync::Form>> forms = fieldsync::LoadFormsDir(argv[2]);
  if (!forms.ok()) {
    std::cerr << forms.status() << "\n";
    return 1;
  }
  for (const auto& f : *forms) {
    if (!Write(out, f, f.form_id)) return 1;
  }
  std::vector<fs::path> files;
  for (const auto& e : fs::directory_iterator(argv[3])) {
    if (e.path().extension() == ".xlsx") files.push_back(e.path());
  }
  std::sort(files.begin(), files.end());
  for (const auto& p : files) {
    absl::StatusOr<std::string> bytes = fieldsync::ReadFileToString(p.string(), 64 << 20);
    if (!bytes.ok()) {
      std::cerr << bytes.status() << "\n";
      return 1;
    }
    fieldsync::xlsform::XlsFormOptions options;
    options.form_id = p.stem().string();
    std::replace(options.form_id.begin(), options.form_id.end(), '-', '_');
    absl::StatusOr<fieldsync::Form> form = fieldsync::xlsform::ConvertXlsForm(*bytes, options);
    if (!form.ok()) {
      std::cout << "skip " << p.filename().string() << ": " << form.status().message() << "\n";
      continue;
    }
    if (!Write(out, *form, options.form_id)) return 1;
  }
  return 0;
}
