// CSV and GeoJSON writers (writers.h), and ChunkedOutput.
#include <nlohmann/json.hpp>

#include "absl/strings/str_cat.h"
#include "server/common/status.h"
#include "server/export/writers.h"

namespace fieldsync::exporting {

absl::Status ChunkedOutput::Append(std::string_view bytes) {
  buffer_.append(bytes.data(), bytes.size());
  bytes_ += bytes.size();
  if (buffer_.size() >= chunk_bytes_) return Flush();
  return absl::OkStatus();
}

absl::Status ChunkedOutput::Flush() {
  if (buffer_.empty()) return absl::OkStatus();
  absl::Status s = sink_->Write(buffer_);
  buffer_.clear();
  return s;
}

namespace {

bool NeedsFormulaGuard(std::string_view s) {
  if (s.empty()) return false;
  switch (s[0]) {
    case '=':
    case '+':
    case '-':
    case '@':
    case '\t':
    case '\r':
      return true;
    default:
      return false;
  }
}

void AppendCsvCell(std::string_view s, bool guard, std::string* line) {
  const bool guarded = guard && NeedsFormulaGuard(s);
  const bool quote = s.find_first_of(",\"\r\n") != std::string_view::npos;
  if (quote) line->push_back('"');
  if (guarded) line->push_back('\'');
  for (char c : s) {
    if (c == '"') line->push_back('"');
    line->push_back(c);
  }
  if (quote) line->push_back('"');
}

class CsvWriter final : public TableWriter {
 public:
  CsvWriter(ChunkedOutput* out, CsvOptions options) : out_(out), options_(options) {}

  absl::Status Begin(const ExportLayout& layout) override {
    if (layout.tables.size() != 1) {
      return absl::InvalidArgumentError(
          "CSV holds one table; this form's export has child tables (use XLSX)");
    }
    if (options_.byte_order_mark) FS_RETURN_IF_ERROR(out_->Append("\xEF\xBB\xBF"));
    line_.clear();
    const auto& columns = layout.tables[0].columns;
    for (size_t i = 0; i < columns.size(); ++i) {
      if (i > 0) line_.push_back(',');
      AppendCsvCell(columns[i].header, options_.formula_guard, &line_);
    }
    line_ += "\r\n";
    return out_->Append(line_);
  }

  absl::Status Row(size_t /*table*/, const std::vector<Cell>& cells) override {
    line_.clear();
    for (size_t i = 0; i < cells.size(); ++i) {
      if (i > 0) line_.push_back(',');
      const Cell& c = cells[i];
      if (c.kind == Cell::Kind::kText) {
        AppendCsvCell(c.text, options_.formula_guard, &line_);
      } else {
        line_ += CellText(c);  // numbers and booleans never need quotes or a guard
      }
    }
    line_ += "\r\n";
    return out_->Append(line_);
  }

  absl::Status Finish() override { return out_->Flush(); }

 private:
  ChunkedOutput* out_;
  CsvOptions options_;
  std::string line_;
};

nlohmann::json CellJson(const Cell& c) {
  switch (c.kind) {
    case Cell::Kind::kText:
      return c.text;
    case Cell::Kind::kInt:
      return c.integer;
    case Cell::Kind::kDecimal:
      return c.decimal;
    case Cell::Kind::kBool:
      return c.boolean;
    case Cell::Kind::kEmpty:
      break;
  }
  return nullptr;
}

class GeoJsonWriter final : public TableWriter {
 public:
  explicit GeoJsonWriter(ChunkedOutput* out) : out_(out) {}

  absl::Status Begin(const ExportLayout& layout) override {
    table_ = layout.tables[0];
    if (table_.geo_latitude < 0) {
      return absl::InvalidArgumentError(
          absl::StrCat("form ", layout.form_id, " has no geopoint field to map"));
    }
    return out_->Append(R"({"type":"FeatureCollection","features":[)");
  }

  absl::Status Row(size_t table, const std::vector<Cell>& cells) override {
    if (table != 0) return absl::OkStatus();  // child rows have no point of their own
    nlohmann::json feature = {{"type", "Feature"}};
    const Cell& lat = cells[table_.geo_latitude];
    const Cell& lon = cells[table_.geo_longitude];
    if (lat.kind == Cell::Kind::kDecimal && lon.kind == Cell::Kind::kDecimal) {
      feature["geometry"] = {{"type", "Point"}, {"coordinates", {lon.decimal, lat.decimal}}};
    } else {
      feature["geometry"] = nullptr;
    }
    nlohmann::json props = nlohmann::json::object();
    for (size_t i = 0; i < cells.size(); ++i) {
      if (static_cast<int>(i) == table_.geo_latitude ||
          static_cast<int>(i) == table_.geo_longitude) {
        continue;
      }
      const Column& col = table_.columns[i];
      if (col.kind == ColumnKind::kRecordId) feature["id"] = cells[i].text;
      props[col.header] = CellJson(cells[i]);
    }
    feature["properties"] = std::move(props);
    std::string text = first_ ? "\n" : ",\n";
    first_ = false;
    // Stored text is valid UTF-8 (protobuf checks it at the API); replace rather than throw.
    text += feature.dump(-1, ' ', false, nlohmann::json::error_handler_t::replace);
    return out_->Append(text);
  }

  absl::Status Finish() override {
    FS_RETURN_IF_ERROR(out_->Append("\n]}\n"));
    return out_->Flush();
  }

 private:
  ChunkedOutput* out_;
  TableLayout table_;
  bool first_ = true;
};

}  // namespace

std::unique_ptr<TableWriter> NewCsvWriter(ChunkedOutput* out, CsvOptions options) {
  return std::make_unique<CsvWriter>(out, options);
}

std::unique_ptr<TableWriter> NewGeoJsonWriter(ChunkedOutput* out) {
  return std::make_unique<GeoJsonWriter>(out);
}

}  // namespace fieldsync::exporting
