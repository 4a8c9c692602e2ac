// Reads the cells of an .xlsx workbook (Office Open XML spreadsheet: a zip of XML parts) as
// text, the way pyxform's reader sees them, within bounds that a hostile file cannot pass
// (zip bombs, huge sheets). Internal to server/xlsform; no gRPC or protobuf.
#ifndef FIELDSYNC_SERVER_XLSFORM_XLSX_READER_H_
#define FIELDSYNC_SERVER_XLSFORM_XLSX_READER_H_

#include <cstddef>
#include <cstdint>
#include <string>
#include <string_view>
#include <vector>

#include "absl/status/statusor.h"

namespace fieldsync::xlsform {

struct XlsxLimits {
  // The .xlsx file itself.
  size_t max_file_bytes = 10 << 20;
  // Entries of the zip archive.
  size_t max_zip_entries = 1000;
  // Inflated bytes of any one XML part we read, and of all of them together.
  size_t max_part_bytes = 32 << 20;
  size_t max_total_bytes = 64 << 20;
  // Rows that hold at least one non-empty cell, per sheet.
  size_t max_rows = 20'000;
  // Highest column (1-based) that holds a non-empty cell.
  size_t max_columns = 256;
  // Bytes of one cell's text.
  size_t max_cell_bytes = 32 << 10;
};

struct Cell {
  int column = 0;  // 1-based (A = 1)
  std::string text;
};

struct Row {
  int number = 0;           // 1-based, as the spreadsheet shows it
  std::vector<Cell> cells;  // non-empty cells only, by column
};

struct Sheet {
  std::string name;       // as written in the workbook
  std::vector<Row> rows;  // rows with a non-empty cell, in order
};

// Every worksheet of the workbook in `bytes`, in workbook order. Cell text as pyxform reads
// it: shared and inline strings (rich text runs joined), numbers as written ("12", "1.5";
// a whole number stored as "12.0" reads "12"), booleans "TRUE"/"FALSE", formula cells by
// their cached value. Errors: INVALID_ARGUMENT for a file that is not an .xlsx workbook (not
// a zip, no workbook part, malformed XML, a cell holding an Excel error such as #REF!,
// naming the sheet and cell); RESOURCE_EXHAUSTED when a bound of `limits` is exceeded
// (naming which).
absl::StatusOr<std::vector<Sheet>> ReadXlsx(std::string_view bytes, const XlsxLimits& limits);

// "A" for 1, "AA" for 27.
std::string ColumnName(int column);

}  // namespace fieldsync::xlsform

#endif  // FIELDSYNC_SERVER_XLSFORM_XLSX_READER_H_
