// make_xlsforms OUT_DIR: writes the example XLSForms (example_forms.h) as .xlsx files. The
// document properties carry a fixed date so that a rerun writes the same content.
#include <xlsxwriter.h>

#include <cstdio>
#include <string>

#include "deploy/forms/generator/example_forms.h"

int main(int argc, char** argv) {
  if (argc != 2) {
    std::fprintf(stderr, "usage: make_xlsforms OUT_DIR\n");
    return 2;
  }
  for (const auto& wb : fieldsync::examples::ExampleForms()) {
    const std::string path = std::string(argv[1]) + "/" + wb.file;
    lxw_workbook* book = workbook_new(path.c_str());
    if (book == nullptr) {
      std::fprintf(stderr, "make_xlsforms: cannot create %s\n", path.c_str());
      return 1;
    }
    lxw_doc_properties props = {};
    props.author = const_cast<char*>("fieldsync");
    props.created = 1764633600;  // 2025-12-02T00:00:00Z
    workbook_set_properties(book, &props);
    for (const auto& [name, rows] : wb.sheets) {
      lxw_worksheet* sheet = workbook_add_worksheet(book, name.c_str());
      for (size_t r = 0; r < rows.size(); ++r) {
        for (size_t c = 0; c < rows[r].size(); ++c) {
          if (rows[r][c].empty()) continue;
          worksheet_write_string(sheet, static_cast<lxw_row_t>(r), static_cast<lxw_col_t>(c),
                                 rows[r][c].c_str(), nullptr);
        }
      }
    }
    if (workbook_close(book) != LXW_NO_ERROR) {
      std::fprintf(stderr, "make_xlsforms: cannot write %s\n", path.c_str());
      return 1;
    }
    std::printf("wrote %s\n", path.c_str());
  }
  return 0;
}
