// Output formats of an export: rows of cells in, bytes out in bounded chunks. A writer holds
// at most one row and one chunk in memory (XLSX: libxlsxwriter's constant-memory mode writes
// rows to a temporary file; the finished file is then streamed out in chunks and removed).
// Writers are not thread-safe; one per export.
#ifndef FIELDSYNC_SERVER_EXPORT_WRITERS_H_
#define FIELDSYNC_SERVER_EXPORT_WRITERS_H_

#include <cstdint>
#include <memory>
#include <string>
#include <string_view>
#include <vector>

#include "absl/status/statusor.h"
#include "server/export/layout.h"

namespace fieldsync::exporting {

// Where the bytes of an export go, in order. An error (the client went away) stops the export
// and is returned by whoever wrote.
class ByteSink {
 public:
  virtual ~ByteSink() = default;
  virtual absl::Status Write(std::string_view bytes) = 0;
};

// Collects small appends into chunks of about `chunk_bytes` for a ByteSink.
class ChunkedOutput {
 public:
  // `sink` is not owned. A chunk is passed on once it reaches chunk_bytes (so a single append
  // larger than that goes out whole).
  ChunkedOutput(ByteSink* sink, size_t chunk_bytes) : sink_(sink), chunk_bytes_(chunk_bytes) {}
  absl::Status Append(std::string_view bytes);
  // Passes on what is buffered.
  absl::Status Flush();
  // Bytes appended so far.
  uint64_t bytes() const { return bytes_; }

 private:
  ByteSink* sink_;
  size_t chunk_bytes_;
  std::string buffer_;
  uint64_t bytes_ = 0;
};

class TableWriter {
 public:
  virtual ~TableWriter() = default;
  // Once, before any row. INVALID_ARGUMENT if the format cannot hold `layout`.
  virtual absl::Status Begin(const ExportLayout& layout) = 0;
  // One row of `layout.tables[table]`, cells in its column order.
  virtual absl::Status Row(size_t table, const std::vector<Cell>& cells) = 0;
  // Once, after the last row: writes what remains and flushes the output.
  virtual absl::Status Finish() = 0;
  // Cells cut to fit the format's cell limit (XLSX: 32,767 characters).
  virtual uint64_t truncated_cells() const { return 0; }
};

struct CsvOptions {
  // Text cells beginning with = + - @ TAB or CR get a leading apostrophe, so that Excel and
  // LibreOffice show them as text instead of running them as formulas (CSV injection).
  // Numbers (int and decimal fields) are never changed. Off for pipelines that read the
  // file with R, Stata or pandas and want values byte for byte.
  bool formula_guard = true;
  // A UTF-8 byte order mark first, so that Excel reads Arabic and Kurdish text as UTF-8.
  bool byte_order_mark = true;
};

// RFC 4180: CRLF line ends, a cell holding a comma, a quote, CR or LF is quoted with its
// quotes doubled; a header row of column headers. One table only: a layout with child
// tables is INVALID_ARGUMENT (a CSV per table is for later).
std::unique_ptr<TableWriter> NewCsvWriter(ChunkedOutput* out, CsvOptions options);

// RFC 7946 FeatureCollection of the first table: one Feature per row with the row's
// geopoint as a Point ([longitude, latitude]) or a null geometry when the record has none,
// and every other column as a property (numbers and booleans typed, empty cells null).
// INVALID_ARGUMENT if the table has no geopoint field.
std::unique_ptr<TableWriter> NewGeoJsonWriter(ChunkedOutput* out);

struct XlsxOptions {
  // Folder for the workbook being written and libxlsxwriter's own temporary files.
  std::string temp_dir = "/tmp";
  // Data rows per sheet before the table continues on a sheet named "<table> (2)", ...
  // (Excel holds 1,048,576 rows with the header).
  uint32_t max_rows_per_sheet = 1'048'575;
};

// One sheet per table (names cut to Excel's 31 characters), a bold header row, numbers and
// booleans typed. Strings are written as strings, never as formulas, so no guard is needed.
std::unique_ptr<TableWriter> NewXlsxWriter(ChunkedOutput* out, XlsxOptions options);

}  // namespace fieldsync::exporting

#endif  // FIELDSYNC_SERVER_EXPORT_WRITERS_H_
