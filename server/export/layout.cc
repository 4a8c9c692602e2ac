#include "server/export/layout.h"

#include <algorithm>
#include <charconv>
#include <set>

#include "absl/strings/str_cat.h"
#include "absl/strings/str_join.h"
#include "absl/time/time.h"

namespace fieldsync::exporting {
namespace {

// The header text of a field: its label (when asked for and present), else its name.
// Forms carry one label per field today; per-language labels come with form model v2.
std::string FieldHeader(const FieldDef& f, const LayoutOptions& options) {
  if (options.labels && !f.label.empty()) return f.label;
  return f.name;
}

void AddFieldColumns(const FieldDef& f, const LayoutOptions& options, TableLayout* table) {
  const std::string header = FieldHeader(f, options);
  Column value;
  value.field = f.name;
  value.type = f.type;
  if (f.type == FieldType::kGeopoint) {
    value.kind = ColumnKind::kLatitude;
    value.name = f.name + "-latitude";
    value.header = options.labels ? header + " (latitude)" : value.name;
    table->columns.push_back(value);
    value.kind = ColumnKind::kLongitude;
    value.name = f.name + "-longitude";
    value.header = options.labels ? header + " (longitude)" : value.name;
    table->columns.push_back(value);
    return;
  }
  value.kind = ColumnKind::kValue;
  value.name = f.name;
  value.header = header;
  table->columns.push_back(value);
  if (f.type == FieldType::kSelectMultiple && options.choice_columns) {
    for (const auto& choice : f.choices) {
      Column c = value;
      c.kind = ColumnKind::kChoice;
      c.choice = choice;
      c.name = absl::StrCat(f.name, "/", choice);
      c.header = absl::StrCat(header, "/", choice);
      table->columns.push_back(std::move(c));
    }
  }
}

// `base` with leading underscores added until no field uses it.
std::string MetaName(std::string base, const std::set<std::string>& field_names) {
  while (field_names.count(base) > 0) base.insert(base.begin(), '_');
  return base;
}

void AddMeta(ColumnKind kind, const char* base, const std::set<std::string>& field_names,
             TableLayout* table) {
  Column c;
  c.kind = kind;
  c.name = MetaName(base, field_names);
  c.header = c.name;
  table->columns.push_back(std::move(c));
}

std::string ShortestDouble(double d) {
  char buf[64];
  auto [end, ec] = std::to_chars(buf, buf + sizeof(buf), d);
  if (ec != std::errc()) return absl::StrCat(d);
  return std::string(buf, end);
}

// A field value as one cell: numbers stay numbers, a select_multiple is its choices joined
// by spaces (as ODK and KoboToolbox export them), anything else is text.
Cell ValueCell(const Value& v) {
  if (const auto* s = std::get_if<std::string>(&v)) return Cell::Text(*s);
  if (const auto* i = std::get_if<int64_t>(&v)) return Cell::Int(*i);
  if (const auto* d = std::get_if<double>(&v)) return Cell::Decimal(*d);
  if (const auto* b = std::get_if<bool>(&v)) return Cell::Bool(*b);
  if (const auto* l = std::get_if<std::vector<std::string>>(&v)) {
    return Cell::Text(absl::StrJoin(*l, " "));
  }
  if (const auto* g = std::get_if<GeoPoint>(&v)) {
    return Cell::Text(absl::StrCat(ShortestDouble(g->latitude), " ", ShortestDouble(g->longitude)));
  }
  return Cell{};
}

Cell FieldCell(const Column& col, const Record& record) {
  auto it = record.fields.find(col.field);
  if (it == record.fields.end() || IsNull(it->second)) return Cell{};
  const Value& v = it->second;
  switch (col.kind) {
    case ColumnKind::kLatitude:
    case ColumnKind::kLongitude:
      if (const auto* g = std::get_if<GeoPoint>(&v)) {
        return Cell::Decimal(col.kind == ColumnKind::kLatitude ? g->latitude : g->longitude);
      }
      // A value of another kind (an older form version) goes whole into the first column.
      return col.kind == ColumnKind::kLatitude ? ValueCell(v) : Cell{};
    case ColumnKind::kChoice:
      if (const auto* l = std::get_if<std::vector<std::string>>(&v)) {
        return Cell::Int(std::find(l->begin(), l->end(), col.choice) != l->end() ? 1 : 0);
      }
      return Cell{};
    default:
      return ValueCell(v);
  }
}

}  // namespace

Cell Cell::Text(std::string s) {
  Cell c;
  c.kind = Kind::kText;
  c.text = std::move(s);
  return c;
}
Cell Cell::Int(int64_t i) {
  Cell c;
  c.kind = Kind::kInt;
  c.integer = i;
  return c;
}
Cell Cell::Decimal(double d) {
  Cell c;
  c.kind = Kind::kDecimal;
  c.decimal = d;
  return c;
}
Cell Cell::Bool(bool b) {
  Cell c;
  c.kind = Kind::kBool;
  c.boolean = b;
  return c;
}

std::string Rfc3339Ms(int64_t ms) {
  return absl::FormatTime("%Y-%m-%dT%H:%M:%E3SZ", absl::FromUnixMillis(ms), absl::UTCTimeZone());
}

absl::StatusOr<ExportLayout> BuildLayout(const std::vector<Form>& versions,
                                         const LayoutOptions& options, const LayoutLimits& limits) {
  if (versions.empty()) return absl::InvalidArgumentError("no form versions to export");
  const Form* latest = &versions[0];
  for (const auto& f : versions) {
    if (f.form_id != latest->form_id) {
      return absl::InvalidArgumentError("form versions of different forms");
    }
    if (f.version > latest->version) latest = &f;
  }
  if (!options.language.empty()) {
    return absl::InvalidArgumentError(
        absl::StrCat("form ", latest->form_id, " has no labels in language \"", options.language,
                     "\" (it has one label per field: export without --lang)"));
  }
  // Fields in the latest version's order, then fields only older versions had (newest first).
  std::vector<const FieldDef*> fields;
  std::set<std::string> field_names;
  for (const auto& f : latest->fields) {
    if (field_names.insert(f.name).second) fields.push_back(&f);
  }
  std::vector<const Form*> older;
  for (const auto& v : versions) older.push_back(&v);
  std::sort(older.begin(), older.end(),
            [](const Form* a, const Form* b) { return a->version > b->version; });
  for (const Form* v : older) {
    for (const auto& f : v->fields) {
      if (field_names.insert(f.name).second) fields.push_back(&f);
    }
  }
  if (!options.geo_field.empty()) {
    auto it = std::find_if(fields.begin(), fields.end(),
                           [&](const FieldDef* f) { return f->name == options.geo_field; });
    if (it == fields.end() || (*it)->type != FieldType::kGeopoint) {
      return absl::InvalidArgumentError(absl::StrCat("\"", options.geo_field, "\" is not a ",
                                                     "geopoint field of ", latest->form_id));
    }
  }

  ExportLayout layout;
  layout.form_id = latest->form_id;
  TableLayout table;
  table.name = latest->form_id;
  AddMeta(ColumnKind::kRecordId, "_record_id", field_names, &table);
  for (const FieldDef* f : fields) {
    AddFieldColumns(*f, options, &table);
    if (f->type == FieldType::kGeopoint && table.geo_latitude < 0 &&
        (options.geo_field.empty() || options.geo_field == f->name)) {
      table.geo_latitude = static_cast<int>(table.columns.size()) - 2;
      table.geo_longitude = static_cast<int>(table.columns.size()) - 1;
    }
    if (table.columns.size() > limits.max_columns) break;
  }
  AddMeta(ColumnKind::kVersion, "_version", field_names, &table);
  AddMeta(ColumnKind::kSeq, "_seq", field_names, &table);
  AddMeta(ColumnKind::kLastWriter, "_last_writer", field_names, &table);
  AddMeta(ColumnKind::kCommitTime, "_commit_time", field_names, &table);
  AddMeta(ColumnKind::kOpenConflict, "_open_conflict", field_names, &table);
  if (options.deleted_column) AddMeta(ColumnKind::kDeleted, "_deleted", field_names, &table);
  if (table.columns.size() > limits.max_columns) {
    return absl::InvalidArgumentError(absl::StrCat("the export of ", latest->form_id,
                                                   " would have more than ", limits.max_columns,
                                                   " columns (choice columns?)"));
  }
  layout.tables.push_back(std::move(table));
  return layout;
}

Cell ColumnCell(const Column& col, const Record& record) {
  switch (col.kind) {
    case ColumnKind::kRecordId:
      return Cell::Text(record.record_id);
    case ColumnKind::kVersion:
      return Cell::Int(static_cast<int64_t>(record.version));
    case ColumnKind::kSeq:
      return Cell::Int(static_cast<int64_t>(record.seq));
    case ColumnKind::kLastWriter:
      return Cell::Text(record.last_writer_device);
    case ColumnKind::kCommitTime:
      return record.updated_ms > 0 ? Cell::Text(Rfc3339Ms(record.updated_ms)) : Cell{};
    case ColumnKind::kOpenConflict:
      return Cell::Bool(record.open_conflict);
    case ColumnKind::kDeleted:
      return Cell::Bool(record.deleted);
    default:
      return FieldCell(col, record);
  }
}

void FillRow(const TableLayout& table, const Record& record, std::vector<Cell>* cells) {
  cells->resize(table.columns.size());
  for (size_t i = 0; i < table.columns.size(); ++i) {
    (*cells)[i] = ColumnCell(table.columns[i], record);
  }
}

std::string CellText(const Cell& cell) {
  switch (cell.kind) {
    case Cell::Kind::kText:
      return cell.text;
    case Cell::Kind::kInt:
      return absl::StrCat(cell.integer);
    case Cell::Kind::kDecimal:
      return ShortestDouble(cell.decimal);
    case Cell::Kind::kBool:
      return cell.boolean ? "true" : "false";
    case Cell::Kind::kEmpty:
      break;
  }
  return "";
}

}  // namespace fieldsync::exporting
