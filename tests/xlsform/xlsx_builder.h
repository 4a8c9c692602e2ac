// Builds small .xlsx workbooks in memory for tests: sheets of text cells (inline strings),
// written with libzip. Also raw archives (zip bombs, many entries) for the reader's bounds.
#ifndef FIELDSYNC_TESTS_XLSFORM_XLSX_BUILDER_H_
#define FIELDSYNC_TESTS_XLSFORM_XLSX_BUILDER_H_

#include <zip.h>

#include <cstdio>
#include <fstream>
#include <sstream>
#include <string>
#include <utility>
#include <vector>

#include "server/xform/xml_writer.h"
#include "tests/testing/temp_dir.h"

namespace fieldsync::xlsform::testing {

using SheetRows = std::vector<std::vector<std::string>>;  // rows of cells, "" = empty

inline std::string ColumnLetters(int col) {
  std::string out;
  for (; col > 0; col = (col - 1) / 26)
    out.insert(out.begin(), static_cast<char>('A' + (col - 1) % 26));
  return out;
}

// A zip archive of (name, content) entries, deflated.
inline std::string Zip(const std::vector<std::pair<std::string, std::string>>& entries) {
  fieldsync::testing::TempDir dir;
  const std::string path = dir.path() + "/a.zip";
  int err = 0;
  zip_t* z = zip_open(path.c_str(), ZIP_CREATE | ZIP_TRUNCATE, &err);
  for (const auto& [name, content] : entries) {
    zip_source_t* src = zip_source_buffer(z, content.data(), content.size(), 0);
    zip_file_add(z, name.c_str(), src, ZIP_FL_OVERWRITE);
  }
  zip_close(z);  // writes (content must live until here)
  std::ifstream in(path, std::ios::binary);
  std::stringstream ss;
  ss << in.rdbuf();
  return ss.str();
}

inline std::string SheetXml(const SheetRows& rows) {
  std::string xml =
      "<?xml version=\"1.0\" encoding=\"UTF-8\"?><worksheet "
      "xmlns=\"http://schemas.openxmlformats.org/spreadsheetml/2006/main\"><sheetData>";
  for (size_t r = 0; r < rows.size(); ++r) {
    xml += "<row r=\"" + std::to_string(r + 1) + "\">";
    for (size_t c = 0; c < rows[r].size(); ++c) {
      if (rows[r][c].empty()) continue;
      xml += "<c r=\"" + ColumnLetters(static_cast<int>(c) + 1) + std::to_string(r + 1) +
             "\" t=\"inlineStr\"><is><t>" + xform::EscapeText(rows[r][c]) + "</t></is></c>";
    }
    xml += "</row>";
  }
  return xml + "</sheetData></worksheet>";
}

// A workbook with the given sheets (name, rows), in order.
inline std::string Xlsx(const std::vector<std::pair<std::string, SheetRows>>& sheets) {
  std::string wb =
      "<?xml version=\"1.0\"?><workbook "
      "xmlns=\"http://schemas.openxmlformats.org/spreadsheetml/2006/main\" "
      "xmlns:r=\"http://schemas.openxmlformats.org/officeDocument/2006/relationships\"><sheets>";
  std::string rels =
      "<?xml version=\"1.0\"?><Relationships "
      "xmlns=\"http://schemas.openxmlformats.org/package/2006/relationships\">";
  std::vector<std::pair<std::string, std::string>> entries;
  for (size_t i = 0; i < sheets.size(); ++i) {
    const std::string id = std::to_string(i + 1);
    wb += "<sheet name=\"" + xform::EscapeAttribute(sheets[i].first) + "\" sheetId=\"" + id +
          "\" r:id=\"rId" + id + "\"/>";
    rels += "<Relationship Id=\"rId" + id +
            "\" Type=\"http://schemas.openxmlformats.org/officeDocument/2006/relationships/"
            "worksheet\" Target=\"worksheets/sheet" +
            id + ".xml\"/>";
    entries.emplace_back("xl/worksheets/sheet" + id + ".xml", SheetXml(sheets[i].second));
  }
  entries.emplace_back("xl/workbook.xml", wb + "</sheets></workbook>");
  entries.emplace_back("xl/_rels/workbook.xml.rels", rels + "</Relationships>");
  return Zip(entries);
}

}  // namespace fieldsync::xlsform::testing

#endif  // FIELDSYNC_TESTS_XLSFORM_XLSX_BUILDER_H_
