#include "server/export/exporter.h"

#include <algorithm>
#include <map>
#include <memory>

#include "absl/strings/str_cat.h"
#include "server/common/status.h"
#include "server/sync/scope.h"

namespace fieldsync::exporting {
namespace {

// The published versions of `form_id`; NOT_FOUND if none.
absl::StatusOr<std::vector<Form>> VersionsOf(const FormRegistry& forms,
                                             const std::string& form_id) {
  FS_ASSIGN_OR_RETURN(std::vector<Form> all, forms.List());
  std::vector<Form> versions;
  for (auto& f : all) {
    if (f.form_id == form_id) versions.push_back(std::move(f));
  }
  if (versions.empty()) return absl::NotFoundError(absl::StrCat("no form ", form_id));
  return versions;
}

// A filter resolved against the layout: the field's value column.
struct Filter {
  const Column* column = nullptr;
  std::string value;
};

absl::StatusOr<std::vector<Filter>> ResolveFilters(const std::vector<FieldFilter>& where,
                                                   const TableLayout& table,
                                                   const ExportLimits& limits) {
  if (where.size() > limits.max_filters) {
    return InvalidFieldsError("too many filters",
                              {{"where", absl::StrCat("at most ", limits.max_filters)}});
  }
  std::vector<Filter> out;
  for (const auto& w : where) {
    if (w.value.size() > limits.max_filter_value_bytes) {
      return InvalidFieldsError("filter value too long",
                                {{"where", absl::StrCat(w.field, ": at most ",
                                                        limits.max_filter_value_bytes, " bytes")}});
    }
    auto it = std::find_if(table.columns.begin(), table.columns.end(), [&](const Column& c) {
      return (c.kind == ColumnKind::kValue || c.kind == ColumnKind::kLatitude) &&
             c.field == w.field;
    });
    if (it == table.columns.end()) {
      return InvalidFieldsError("unknown filter field",
                                {{"where", absl::StrCat("no field \"", w.field, "\"")}});
    }
    if (it->type == FieldType::kGeopoint) {
      return InvalidFieldsError(
          "geopoint filter", {{"where", absl::StrCat(w.field, ": geopoints cannot be filtered")}});
    }
    out.push_back(Filter{&*it, w.value});
  }
  return out;
}

bool Matches(const std::vector<Filter>& filters, const Record& record) {
  for (const auto& f : filters) {
    auto it = record.fields.find(f.column->field);
    if (it == record.fields.end()) return false;
    if (const auto* l = std::get_if<std::vector<std::string>>(&it->second)) {
      if (std::find(l->begin(), l->end(), f.value) == l->end()) return false;
      continue;
    }
    if (CellText(ColumnCell(*f.column, record)) != f.value) return false;
  }
  return true;
}

// The index coordinates to read: one scope coordinate named by a filter when the field is a
// scope field of every version (the index then holds exactly its records); else the
// caller's grants, or the form-wide index for all-scope callers.
std::vector<ScopePair> PairsFor(const Device& caller, const std::vector<Form>& versions,
                                const std::vector<FieldFilter>& where) {
  for (const auto& w : where) {
    const bool scope_everywhere = std::all_of(versions.begin(), versions.end(), [&](const Form& f) {
      return std::find(f.scope_fields.begin(), f.scope_fields.end(), w.field) !=
             f.scope_fields.end();
    });
    if (scope_everywhere) return {ScopePair{w.field, w.value}};
  }
  if (caller.all_scopes) return {FormWidePair()};
  return caller.scopes;
}

}  // namespace

const char* Exporter::ContentType(Format format) {
  switch (format) {
    case Format::kXlsx:
      return "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet";
    case Format::kGeoJson:
      return "application/geo+json";
    case Format::kCsv:
      break;
  }
  return "text/csv; charset=utf-8";
}

const char* Exporter::Extension(Format format) {
  switch (format) {
    case Format::kXlsx:
      return "xlsx";
    case Format::kGeoJson:
      return "geojson";
    case Format::kCsv:
      break;
  }
  return "csv";
}

absl::StatusOr<ExportSummary> Exporter::Run(const Device& caller, const ExportRequest& request,
                                            ExportSink* sink) const {
  FS_ASSIGN_OR_RETURN(std::vector<Form> versions, VersionsOf(*forms_, request.form_id));
  LayoutOptions layout_options = request.layout;
  layout_options.deleted_column = request.include_deleted;
  FS_ASSIGN_OR_RETURN(ExportLayout layout, BuildLayout(versions, layout_options, limits_.layout));
  const TableLayout& table = layout.tables[0];
  FS_ASSIGN_OR_RETURN(std::vector<Filter> filters, ResolveFilters(request.where, table, limits_));

  const uint64_t head = source_->Head();
  if (request.since_seq > head) {
    return InvalidFieldsError("since is ahead of this server",
                              {{"since_seq", absl::StrCat("the head is ", head)}});
  }
  if (request.include_deleted && request.since_seq > 0) {
    FS_ASSIGN_OR_RETURN(uint64_t oldest, source_->OldestRetainedSeq());
    if (request.since_seq + 1 < oldest) {
      return absl::FailedPreconditionError(
          absl::StrCat("changes after ", request.since_seq, " are no longer all kept (oldest ",
                       oldest, "): deletions may be missing; export in full"));
    }
  }

  ChunkedOutput out(sink, limits_.chunk_bytes);
  std::unique_ptr<TableWriter> writer;
  switch (request.format) {
    case Format::kCsv: {
      CsvOptions csv;
      csv.formula_guard = request.formula_guard;
      writer = NewCsvWriter(&out, csv);
      break;
    }
    case Format::kXlsx:
      writer = NewXlsxWriter(&out, limits_.xlsx);
      break;
    case Format::kGeoJson:
      writer = NewGeoJsonWriter(&out);
      break;
  }
  if (writer == nullptr) return absl::InvalidArgumentError("unknown export format");
  FS_RETURN_IF_ERROR(writer->Begin(layout));

  SourceQuery query;
  query.form_id = request.form_id;
  query.pairs = PairsFor(caller, versions, request.where);
  query.after_seq = request.since_seq;
  query.page = limits_.page;

  ExportProgress progress;
  progress.since_seq = request.since_seq;
  progress.head_seq = head;
  std::map<uint32_t, std::shared_ptr<const FormSchema>> schemas;  // by form version
  std::vector<Cell> cells;
  FS_RETURN_IF_ERROR(source_->Scan(query, [&](const Record& record) -> absl::Status {
    progress.seq = std::max(progress.seq, record.seq);
    if (record.deleted && !request.include_deleted) return absl::OkStatus();
    // Repeat instances (child records) are no rows of the form's table (child tables: to do).
    if (record.is_child()) return absl::OkStatus();
    if (!caller.all_scopes) {
      auto it = schemas.find(record.form_version);
      if (it == schemas.end()) {
        FS_ASSIGN_OR_RETURN(auto schema, forms_->Get(record.form_id, record.form_version));
        it = schemas.emplace(record.form_version, std::move(schema)).first;
      }
      if (!InScope(caller, it->second->ScopeOfRecord(record))) return absl::OkStatus();
    }
    if (!Matches(filters, record)) return absl::OkStatus();
    FillRow(table, record, &cells);
    FS_RETURN_IF_ERROR(writer->Row(0, cells));
    if (++progress.records % limits_.progress_every == 0) {
      progress.bytes = out.bytes();
      FS_RETURN_IF_ERROR(sink->Progress(progress));
    }
    return absl::OkStatus();
  }));
  FS_RETURN_IF_ERROR(writer->Finish());
  progress.seq = head;
  progress.bytes = out.bytes();
  FS_RETURN_IF_ERROR(sink->Progress(progress));

  ExportSummary summary;
  summary.records = progress.records;
  summary.bytes = out.bytes();
  summary.head_seq = head;
  summary.truncated_cells = writer->truncated_cells();
  return summary;
}

}  // namespace fieldsync::exporting
