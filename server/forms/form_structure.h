// The structural checks of form model v2 (groups, repeats, choice lists, languages, media,
// bounds), used by FormSchema::Compile. Internal to server/forms.
#ifndef FIELDSYNC_SERVER_FORMS_FORM_STRUCTURE_H_
#define FIELDSYNC_SERVER_FORMS_FORM_STRUCTURE_H_

#include <string>

#include "absl/status/status.h"
#include "server/common/model.h"
#include "server/forms/form_schema.h"

namespace fieldsync::forms_internal {

// [A-Za-z_][A-Za-z0-9_.-]{0,63}: XML element names, as XLSForm allows them, in ASCII.
bool ValidItemName(const std::string& name);

// Checks the v2 members of `form` (see FormSchema::Compile) and fills the `choices` of
// select fields that name a choice_list and list no choices. INVALID_ARGUMENT otherwise.
absl::Status CheckStructure(Form* form, const SchemaLimits& limits);

}  // namespace fieldsync::forms_internal

#endif  // FIELDSYNC_SERVER_FORMS_FORM_STRUCTURE_H_
