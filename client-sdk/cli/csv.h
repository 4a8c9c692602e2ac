// A small RFC 4180 CSV reader and writer for border logs kept in spreadsheets: quoted cells (with
// commas, doubled quotes and line breaks inside), CRLF or LF line ends, a UTF-8 BOM.
#ifndef FIELDSYNC_CLIENT_SDK_CLI_CSV_H_
#define FIELDSYNC_CLIENT_SDK_CLI_CSV_H_

#include <string>
#include <vector>

namespace fieldsync::cli {

struct CsvRow {
  int line = 0;  // 1-based line where the row starts
  std::vector<std::string> cells;
  std::string error;  // non-empty if the row is malformed (e.g. an unterminated quote)
};

// Splits `text` into rows. Blank lines are skipped.
std::vector<CsvRow> ParseCsv(const std::string& text);

// One RFC 4180 line (CRLF-terminated): a cell holding a comma, a quote, CR or LF is quoted,
// with its quotes doubled. ParseCsv reads it back to the same cells.
std::string CsvLine(const std::vector<std::string>& cells);

}  // namespace fieldsync::cli

#endif  // FIELDSYNC_CLIENT_SDK_CLI_CSV_H_
