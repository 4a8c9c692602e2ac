#include "client-sdk/cli/csv.h"

namespace fieldsync::cli {

std::vector<CsvRow> ParseCsv(const std::string& input) {
  std::vector<CsvRow> rows;
  size_t i = 0;
  if (input.compare(0, 3, "\xEF\xBB\xBF") == 0) i = 3;
  int line = 1;
  while (i < input.size()) {
    CsvRow row;
    row.line = line;
    std::string cell;
    bool in_quotes = false;
    bool row_done = false;
    bool any = false;
    while (i < input.size() && !row_done) {
      char c = input[i];
      if (in_quotes) {
        if (c == '"') {
          if (i + 1 < input.size() && input[i + 1] == '"') {
            cell.push_back('"');
            i += 2;
            continue;
          }
          in_quotes = false;
          ++i;
          continue;
        }
        if (c == '\n') ++line;
        cell.push_back(c);
        ++i;
        continue;
      }
      switch (c) {
        case '"':
          in_quotes = true;
          any = true;
          ++i;
          break;
        case ',':
          row.cells.push_back(std::move(cell));
          cell.clear();
          any = true;
          ++i;
          break;
        case '\r':
          ++i;
          break;
        case '\n':
          ++line;
          ++i;
          row_done = true;
          break;
        default:
          cell.push_back(c);
          any = true;
          ++i;
      }
    }
    if (in_quotes) row.error = "a quoted cell is not closed";
    if (!any && cell.empty() && row.cells.empty()) continue;  // blank line
    row.cells.push_back(std::move(cell));
    rows.push_back(std::move(row));
  }
  return rows;
}

std::string CsvLine(const std::vector<std::string>& cells) {
  std::string out;
  for (size_t i = 0; i < cells.size(); ++i) {
    if (i > 0) out += ',';
    const std::string& c = cells[i];
    if (c.find_first_of(",\"\r\n") == std::string::npos) {
      out += c;
      continue;
    }
    out += '"';
    for (char ch : c) {
      if (ch == '"') out += '"';
      out += ch;
    }
    out += '"';
  }
  out += "\r\n";
  return out;
}

}  // namespace fieldsync::cli
