// The XLSForm converter's state while it reads one workbook: the tables, the form being
// built, and where each item came from (for errors naming cells). Internal to server/xlsform;
// the entry point is ConvertXlsForm (xlsform.h). survey.cc reads the survey sheet,
// sheets.cc the choices and settings sheets.
#ifndef FIELDSYNC_SERVER_XLSFORM_CONVERTER_H_
#define FIELDSYNC_SERVER_XLSFORM_CONVERTER_H_

#include <map>
#include <optional>
#include <string>
#include <vector>

#include "absl/container/flat_hash_map.h"
#include "absl/status/status.h"
#include "server/common/model.h"
#include "server/xlsform/table.h"
#include "server/xlsform/xlsform.h"

namespace fieldsync::xlsform {

class Converter {
 public:
  Converter(const XlsFormOptions& options, CellRef* error_at)
      : options_(options), error_at_(error_at) {}

  absl::StatusOr<Form> Convert(const std::vector<Sheet>& sheets);

 private:
  // An error at a cell: sets *error_at_ and prefixes the message with the place.
  absl::Status Fail(const Table& t, int row, const Column* col, absl::string_view what,
                    absl::StatusCode code = absl::StatusCode::kInvalidArgument);
  absl::Status FailAt(const Table& t, int row, const std::string& key, absl::string_view what);

  // sheets.cc
  absl::Status ReadSettings(const Table& t);
  absl::Status ReadFieldsyncSettings(const Table& t, const Row& row);
  absl::Status ReadAggregations(const Table& t, const Row& row, const Column& col);
  absl::Status ReadChoices(const Table& t);
  void SetLanguages(const std::vector<const Table*>& tables);

  // survey.cc
  absl::Status ReadSurvey(const Table& t);
  absl::Status ReadQuestion(const Table& t, const Row& row, const std::string& type);
  absl::Status ReadGroupBegin(const Table& t, const Row& row, bool repeat);
  absl::Status ReadGroupEnd(const Table& t, const Row& row, bool repeat);
  absl::Status CheckName(const Table& t, const Row& row, const std::string& name);
  // The row's texts of a translatable key: the default-language text and the per-language
  // map (empty when the form has one language).
  void Texts(const Table& t, const Row& row, const std::string& key, std::string* text,
             Translations* texts) const;
  // Columns of the row that the converter does not interpret, and media columns.
  std::map<std::string, std::string> Extra(const Table& t, const Row& row);
  std::string Get(const Table& t, const Row& row, const std::string& key) const;

  // Compiles every expression (server/expr) and maps a failure to its cell.
  absl::Status CompileExpressions(const Table& survey, const Table* settings);

  const XlsFormOptions& options_;
  CellRef* error_at_;
  Form form_;
  // Languages: the form's default, and whether plain (language-less) columns are text in it.
  std::string default_language_;
  bool languages_ = false;
  // Where things are: item name -> survey row; the settings row.
  absl::flat_hash_map<std::string, int> item_rows_;
  int settings_row_ = 0;
  // Group stack while reading the survey: (name, is repeat, begin row).
  struct Open {
    std::string name;
    bool repeat;
    int row;
  };
  std::vector<Open> open_;
  bool allow_choice_duplicates_ = false;
  absl::flat_hash_map<std::string, int> list_rows_;  // list name -> first choices row
};

}  // namespace fieldsync::xlsform

#endif  // FIELDSYNC_SERVER_XLSFORM_CONVERTER_H_
