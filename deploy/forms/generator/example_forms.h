// The example questionnaires of deploy/forms as sheets of text, for make_xlsforms to write:
// a DTM-style displacement household survey with a member roster, and a border-point flow
// monitoring survey, each in English, Arabic and Kurdish (Sorani).
#ifndef FIELDSYNC_DEPLOY_FORMS_GENERATOR_EXAMPLE_FORMS_H_
#define FIELDSYNC_DEPLOY_FORMS_GENERATOR_EXAMPLE_FORMS_H_

#include <string>
#include <utility>
#include <vector>

namespace fieldsync::examples {

using Rows = std::vector<std::vector<std::string>>;

struct Workbook {
  std::string file;                                  // e.g. "dtm_household.xlsx"
  std::vector<std::pair<std::string, Rows>> sheets;  // survey, choices, settings
};

std::vector<Workbook> ExampleForms();

}  // namespace fieldsync::examples

#endif  // FIELDSYNC_DEPLOY_FORMS_GENERATOR_EXAMPLE_FORMS_H_
