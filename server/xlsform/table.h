// A sheet of an XLSForm read as a table: its first row is the header, each header is
// normalised the way pyxform reads it (case, aliases, `::language` suffixes), and data rows
// are read by column key. Internal to server/xlsform.
#ifndef FIELDSYNC_SERVER_XLSFORM_TABLE_H_
#define FIELDSYNC_SERVER_XLSFORM_TABLE_H_

#include <map>
#include <string>
#include <vector>

#include "server/xlsform/xlsx_reader.h"

namespace fieldsync::xlsform {

enum class SheetKind { kSurvey, kChoices, kSettings };

struct Column {
  int index = 0;         // 1-based
  std::string header;    // as written (trimmed)
  std::string key;       // canonical: "label", "constraint_message", "media::image", ...; for
                         // headers the converter does not know, the header as written
  std::string language;  // "" when the column has no language
  bool known = false;    // whether `key` is one the converter interprets
};

class Table {
 public:
  Table(const Sheet& sheet, SheetKind kind);

  const std::string& name() const { return name_; }
  const std::vector<Column>& columns() const { return columns_; }
  // The data rows (after the header row).
  const std::vector<const Row*>& rows() const { return rows_; }
  // The header row's number (0 when the sheet is empty).
  int header_row() const { return header_row_; }
  // The column of `key` without a language, or nullptr.
  const Column* Find(const std::string& key) const;
  // Every language named by a translatable column, in column order.
  std::vector<std::string> Languages() const;
  // Whether a translatable column has no language.
  bool HasPlainTranslatable() const;

 private:
  std::string name_;
  int header_row_ = 0;
  std::vector<Column> columns_;
  std::vector<const Row*> rows_;
};

// The text of `row` in `column` ("" when the cell is empty), trimmed of surrounding spaces.
std::string CellText(const Row& row, int column);

// Whether `key` has text per language (label, hint, constraint_message, ...).
bool Translatable(const std::string& key);

}  // namespace fieldsync::xlsform

#endif  // FIELDSYNC_SERVER_XLSFORM_TABLE_H_
