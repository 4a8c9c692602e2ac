#include "server/xlsform/xlsform.h"

#include <map>
#include <utility>

#include "absl/strings/ascii.h"
#include "absl/strings/str_cat.h"
#include "server/common/status.h"
#include "server/forms/form_expressions.h"
#include "server/xlsform/converter.h"

namespace fieldsync::xlsform {
namespace {

// Sheets with a meaning fieldsync does not support: an error rather than ignored.
bool UnsupportedSheet(const std::string& lower) {
  return lower == "external_choices" || lower == "entities" || lower == "osm";
}

}  // namespace

absl::Status Converter::Fail(const Table& t, int row, const Column* col, absl::string_view what,
                             absl::StatusCode code) {
  CellRef ref{t.name(), row, col ? ColumnName(col->index) : "", col ? col->header : ""};
  std::string place = absl::StrCat(t.name(), " sheet");
  if (row > 0) absl::StrAppend(&place, ", row ", row);
  if (col != nullptr) absl::StrAppend(&place, ", column ", ref.column, " (", ref.header, ")");
  if (error_at_ != nullptr) *error_at_ = std::move(ref);
  return absl::Status(code, absl::StrCat(place, ": ", what));
}

absl::Status Converter::FailAt(const Table& t, int row, const std::string& key,
                               absl::string_view what) {
  return Fail(t, row, t.Find(key), what);
}

absl::Status Converter::CompileExpressions(const Table& survey, const Table* settings) {
  ExpressionSite site;
  absl::StatusOr<std::shared_ptr<const FormExpressions>> compiled =
      FormExpressions::Compile(form_, options_.expressions, &site);
  if (compiled.ok()) return absl::OkStatus();
  // The message is server/expr's, which names the column of the text ("column 7").
  std::string why(compiled.status().message());
  const size_t cut = why.find(": ");
  if (cut != std::string::npos) why = why.substr(why.find(": ", cut + 2) + 2);
  if (site.item.empty()) {
    return Fail(*settings, settings_row_, settings ? settings->Find(site.column) : nullptr, why,
                compiled.status().code());
  }
  const std::string key = site.column == "required" ? "required" : site.column;
  auto row = item_rows_.find(site.item);
  return Fail(survey, row == item_rows_.end() ? 0 : row->second, survey.Find(key), why,
              compiled.status().code());
}

absl::StatusOr<Form> Converter::Convert(const std::vector<Sheet>& sheets) {
  std::map<std::string, const Sheet*> by_name;
  for (const Sheet& s : sheets) {
    const std::string lower = absl::AsciiStrToLower(s.name);
    if (UnsupportedSheet(lower) && s.rows.size() > 0) {
      return Fail(Table(s, SheetKind::kChoices), s.rows[0].number, nullptr,
                  absl::StrCat("the ", lower, " sheet is not supported by fieldsync"));
    }
    by_name.emplace(lower, &s);
  }
  if (by_name.count("survey") == 0) {
    return absl::InvalidArgumentError("the workbook has no survey sheet");
  }
  const Table survey(*by_name["survey"], SheetKind::kSurvey);
  std::optional<Table> choices, settings;
  if (by_name.count("choices")) choices.emplace(*by_name["choices"], SheetKind::kChoices);
  if (by_name.count("settings")) settings.emplace(*by_name["settings"], SheetKind::kSettings);

  if (settings) FS_RETURN_IF_ERROR(ReadSettings(*settings));
  if (!options_.form_id.empty()) form_.form_id = options_.form_id;
  if (options_.version != 0) form_.version = options_.version;
  if (form_.version == 0) form_.version = 1;
  if (form_.form_id.empty()) {
    return absl::InvalidArgumentError(
        "the settings sheet gives no form_id (add one, or give the form id to the converter)");
  }
  if (options_.form_id.empty() && settings) {
    // The id must be usable as fieldsync's form id; say where it came from if not.
    Form probe;
    probe.form_id = form_.form_id;
    probe.version = 1;
    absl::Status s = FormSchema::Compile(probe, SchemaLimits{}).status();
    if (!s.ok()) return Fail(*settings, settings_row_, settings->Find("form_id"), s.message());
  }
  SetLanguages({&survey, choices ? &*choices : nullptr});
  if (choices) FS_RETURN_IF_ERROR(ReadChoices(*choices));
  FS_RETURN_IF_ERROR(ReadSurvey(survey));
  if (form_.fields.empty()) return Fail(survey, 0, nullptr, "has no questions");
  if (settings && settings_row_ > 0) {
    for (const Row* r : settings->rows()) {
      if (r->number == settings_row_) FS_RETURN_IF_ERROR(ReadFieldsyncSettings(*settings, *r));
    }
  }
  FS_RETURN_IF_ERROR(CompileExpressions(survey, settings ? &*settings : nullptr));
  // Everything else PublishForm checks (bounds, scope and aggregation rules).
  absl::StatusOr<std::shared_ptr<const FormSchema>> schema =
      FormSchema::Compile(form_, options_.schema);
  if (!schema.ok()) {
    if (error_at_ != nullptr) *error_at_ = CellRef{};
    return absl::Status(schema.status().code(),
                        absl::StrCat("the converted form is refused: ", schema.status().message()));
  }
  return (*schema)->form();
}

absl::StatusOr<Form> ConvertXlsForm(std::string_view bytes, const XlsFormOptions& options,
                                    CellRef* error_at) {
  FS_ASSIGN_OR_RETURN(std::vector<Sheet> sheets, ReadXlsx(bytes, options.xlsx));
  return Converter(options, error_at).Convert(sheets);
}

}  // namespace fieldsync::xlsform
