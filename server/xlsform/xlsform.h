// XLSForm import: an .xlsx questionnaire (survey, choices and settings sheets, as ODK,
// KoboToolbox and IOM DTM teams write them) becomes a fieldsync Form (form model v2). One
// library for the CLI (`fieldsync forms convert|publish`) and PublishForm; no gRPC in it.
//
//   CellRef where;
//   absl::StatusOr<Form> form = ConvertXlsForm(bytes, XlsFormOptions{}, &where);
//   if (!form.ok()) ...  // message and `where` name sheet, row, column
//
// What it reads, and how each construct maps, is docs/XLSFORM.md. The rules that matter to
// callers:
//   - Anything the converter does not support (a question type such as `range`, `rank` or
//     `select_one_external`, `or_other`, a loop, secondary instances: pulldata(),
//     instance(), external sheets) is an error naming the sheet, row and column. Nothing is
//     dropped silently: columns it does not interpret are kept per field in `extra` (and
//     unknown settings in Form::settings) for clients.
//   - Every expression (relevant, constraint, required, calculation, default, choice_filter,
//     repeat_count, instance_name) is compiled with server/expr; an error names its cell.
//   - The result passes FormSchema::Compile (the form is checked as PublishForm would).
//   - Bounds: XlsxLimits (file, zip entries, inflated bytes, rows, columns, cell size) and
//     the expression and schema limits.
// Thread-safe: no shared state.
#ifndef FIELDSYNC_SERVER_XLSFORM_XLSFORM_H_
#define FIELDSYNC_SERVER_XLSFORM_XLSFORM_H_

#include <cstdint>
#include <string>
#include <string_view>

#include "absl/status/statusor.h"
#include "server/common/model.h"
#include "server/expr/expr.h"
#include "server/forms/form_schema.h"
#include "server/xlsform/xlsx_reader.h"

namespace fieldsync::xlsform {

struct XlsFormOptions {
  XlsxLimits xlsx;
  SchemaLimits schema;
  expr::Limits expressions;
  // When set, the form id and version to use instead of the settings sheet's form_id and
  // version (a settings value that is present but invalid is then not an error).
  std::string form_id;
  uint32_t version = 0;
};

// A cell of the workbook: sheet name as written, 1-based row (0: the sheet as a whole),
// column letter ("" if none) and the column's header ("" if none).
struct CellRef {
  std::string sheet;
  int row = 0;
  std::string column;
  std::string header;
};

// Converts the .xlsx workbook in `bytes`. Errors: INVALID_ARGUMENT for a form that cannot
// be converted, RESOURCE_EXHAUSTED for a bound exceeded; the message starts with the place
// ("survey sheet, row 7, column G (constraint): ..."), which is also written to `*error_at`
// when it is not null.
absl::StatusOr<Form> ConvertXlsForm(std::string_view bytes, const XlsFormOptions& options,
                                    CellRef* error_at = nullptr);

}  // namespace fieldsync::xlsform

#endif  // FIELDSYNC_SERVER_XLSFORM_XLSFORM_H_
