// The shape of an export: which tables, which columns, and how one record becomes one row of
// cells. Pure functions over plain types (no I/O), shared by every output format.
//
// Today a form is one table (flat records). The layout is a list of tables so that a form
// with repeats (child records, DESIGN.md "Questionnaires") becomes one table per repeat, keyed
// by the parent record id and the ordinal; the writers already take rows per table.
//
// Column naming (stable: scripts depend on it):
//   _record_id                       first column, the record's id
//   <field>                          one column per field, in form order (latest version
//                                    first, then fields only older versions had)
//   <field>/<choice>                 with choice_columns: 1 if the select_multiple value holds
//                                    the choice, else 0 (empty when the field is empty)
//   <field>-latitude, <field>-longitude   a geopoint's two columns
//   _version _seq _last_writer _commit_time _open_conflict [_deleted]   record metadata
// Field names never contain '/' or '-', so those columns cannot collide with a field; a meta
// column whose name a field already uses gets one more leading '_' until it is unique.
#ifndef FIELDSYNC_SERVER_EXPORT_LAYOUT_H_
#define FIELDSYNC_SERVER_EXPORT_LAYOUT_H_

#include <cstdint>
#include <string>
#include <vector>

#include "absl/status/statusor.h"
#include "server/common/model.h"

namespace fieldsync::exporting {

enum class ColumnKind {
  kRecordId,
  kVersion,
  kSeq,
  kLastWriter,
  kCommitTime,
  kOpenConflict,
  kDeleted,
  kValue,     // a field's value
  kChoice,    // 0/1 for one choice of a select_multiple field
  kLatitude,  // of a geopoint field
  kLongitude,
};

struct Column {
  ColumnKind kind = ColumnKind::kValue;
  std::string name;    // machine name (see the header comment)
  std::string header;  // what the header row shows: `name`, or the label with `labels`
  std::string field;   // kValue, kChoice, kLatitude, kLongitude
  FieldType type = FieldType::kString;
  std::string choice;  // kChoice
};

struct TableLayout {
  std::string name;    // the form id for the root table; later the repeat's name
  std::string repeat;  // "" for the root table
  std::vector<Column> columns;
  // Index into `columns` of the latitude and longitude of the table's map geopoint (the
  // first geopoint field, or LayoutOptions::geo_field); -1 if the table has none.
  int geo_latitude = -1;
  int geo_longitude = -1;
};

struct ExportLayout {
  std::string form_id;
  std::vector<TableLayout> tables;  // tables[0] is the form's own table
};

struct LayoutOptions {
  // Header row: field labels (in `language`) instead of machine names.
  bool labels = false;
  // Language of the labels; "" is the form's default. A language the form does not have is
  // INVALID_ARGUMENT.
  std::string language;
  // select_multiple fields also get one 0/1 column per choice.
  bool choice_columns = false;
  // A `_deleted` column (exports that include deleted records).
  bool deleted_column = false;
  // The geopoint field GeoJSON maps; "" is the first geopoint field of the form.
  std::string geo_field;
};

struct LayoutLimits {
  // Most columns of one table (Excel's own limit is 16,384).
  size_t max_columns = 16384;
};

// The layout of form `versions` (every published version of one form, any order; the
// latest decides the column order). Errors: INVALID_ARGUMENT if `versions` is empty or mixes
// forms, if options.language is not a language of the form, if options.geo_field is not a
// geopoint field, or if a table would have more than limits.max_columns columns.
absl::StatusOr<ExportLayout> BuildLayout(const std::vector<Form>& versions,
                                         const LayoutOptions& options, const LayoutLimits& limits);

// One cell of a row, typed so that XLSX gets numbers and booleans and CSV gets text.
struct Cell {
  enum class Kind { kEmpty, kText, kInt, kDecimal, kBool };
  Kind kind = Kind::kEmpty;
  std::string text;
  int64_t integer = 0;
  double decimal = 0;
  bool boolean = false;

  static Cell Text(std::string s);
  static Cell Int(int64_t i);
  static Cell Decimal(double d);
  static Cell Bool(bool b);
};

// The cell of `record` in column `col`. A field the record does not hold is empty; a value of
// another kind than its column expects (a record of an older form version) is written as text.
Cell ColumnCell(const Column& col, const Record& record);

// The cells of `record` in `table`'s column order (resized to the column count).
void FillRow(const TableLayout& table, const Record& record, std::vector<Cell>* cells);

// A cell as CSV/GeoJSON text: integers in decimal, decimals in the shortest form that reads
// back to the same double, booleans as "true"/"false", empty as "".
std::string CellText(const Cell& cell);

// `ms` since the epoch as RFC 3339 UTC with milliseconds ("2026-12-02T06:19:47.123Z").
std::string Rfc3339Ms(int64_t ms);

}  // namespace fieldsync::exporting

#endif  // FIELDSYNC_SERVER_EXPORT_LAYOUT_H_
