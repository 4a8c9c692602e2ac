// Exporter: the records of one form as CSV, XLSX or GeoJSON for analysts (DESIGN.md "Records
// out"), scoped to the caller and streamed: records are read a page at a time from a
// RecordSource and written row by row to a TableWriter whose bytes leave in bounded chunks,
// so memory does not grow with the number of records. No gRPC here; rpc/export_service.cc
// is the adapter (and writes the audit entry).
//
// What is exported: every record of the form that the caller's scopes cover (a supervisor
// gets its scopes only; admins and feed readers every record) whose last change is after
// `since_seq`, once, in its state at one moment just after the export began (a store
// snapshot): every change up to the head seq at the start is in it. Deleted records are left
// out unless include_deleted. The summary's head_seq is the `since_seq` of the next
// incremental export (which may repeat a record changed during this one, never miss it).
#ifndef FIELDSYNC_SERVER_EXPORT_EXPORTER_H_
#define FIELDSYNC_SERVER_EXPORT_EXPORTER_H_

#include <cstdint>
#include <string>
#include <utility>
#include <vector>

#include "absl/status/statusor.h"
#include "server/common/model.h"
#include "server/export/layout.h"
#include "server/export/record_source.h"
#include "server/export/writers.h"
#include "server/forms/form_registry.h"

namespace fieldsync::exporting {

enum class Format { kCsv = 1, kXlsx = 2, kGeoJson = 3 };

struct FieldFilter {
  std::string field;
  std::string value;
};

struct ExportRequest {
  std::string form_id;
  Format format = Format::kCsv;
  // Header labels, language, choice columns, GeoJSON's geopoint (deleted_column is set from
  // include_deleted).
  LayoutOptions layout;
  bool include_deleted = false;
  // Only records whose last change has seq > since_seq (0: all).
  uint64_t since_seq = 0;
  // Every filter must hold: the field's value, as the export writes it, equals `value`; for a
  // select_multiple field, `value` is one of the chosen. Geopoints cannot be filtered.
  std::vector<FieldFilter> where;
  // CSV only: see CsvOptions::formula_guard.
  bool formula_guard = true;
};

struct ExportProgress {
  uint64_t records = 0;    // rows written so far
  uint64_t seq = 0;        // seq of the last record read (records come in seq order)
  uint64_t since_seq = 0;  // the export covers (since_seq, head_seq]
  uint64_t head_seq = 0;
  uint64_t bytes = 0;  // bytes produced so far
};

struct ExportSummary {
  uint64_t records = 0;
  uint64_t bytes = 0;
  uint64_t head_seq = 0;  // pass as since_seq for the next incremental export
  uint64_t truncated_cells = 0;
};

// The bytes and the progress of one export.
class ExportSink : public ByteSink {
 public:
  // Called every ExportLimits::progress_every records and once at the end. An error stops
  // the export.
  virtual absl::Status Progress(const ExportProgress& progress) = 0;
};

struct ExportLimits {
  // Bytes per chunk handed to the sink.
  size_t chunk_bytes = 64 << 10;
  // Records read per round from the source.
  size_t page = 500;
  size_t max_filters = 8;
  size_t max_filter_value_bytes = 1024;
  uint32_t progress_every = 5000;
  LayoutLimits layout;
  XlsxOptions xlsx;
};

class Exporter {
 public:
  // Neither is owned; both must outlive the exporter. Thread-safe: exports run concurrently.
  Exporter(const RecordSource* source, const FormRegistry* forms, ExportLimits limits)
      : source_(source), forms_(forms), limits_(std::move(limits)) {}

  // Writes the export of `request` for `caller` to `sink`. Errors, before any byte is
  // written: NOT_FOUND (no such form); INVALID_ARGUMENT with field details (a filter on an
  // unknown or geopoint field, too many filters, a filter value over the limit, since_seq
  // ahead of the server, a language the form lacks, too many columns, GeoJSON of a form
  // without a geopoint); FAILED_PRECONDITION when include_deleted asks for changes older
  // than the retained change log (deletions may be gone: export in full). Afterwards: the
  // sink's own errors, and store errors.
  absl::StatusOr<ExportSummary> Run(const Device& caller, const ExportRequest& request,
                                    ExportSink* sink) const;

  // The MIME type and file extension of `format`'s output.
  static const char* ContentType(Format format);
  static const char* Extension(Format format);

 private:
  const RecordSource* source_;
  const FormRegistry* forms_;
  ExportLimits limits_;
};

}  // namespace fieldsync::exporting

#endif  // FIELDSYNC_SERVER_EXPORT_EXPORTER_H_
