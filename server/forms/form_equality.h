// Equality of form definitions, for deciding whether a re-published (form_id, version) is the
// same form or an attempt to change an immutable one. The model structs have no operator==.
#ifndef FIELDSYNC_SERVER_FORMS_FORM_EQUALITY_H_
#define FIELDSYNC_SERVER_FORMS_FORM_EQUALITY_H_

#include "server/common/model.h"

namespace fieldsync {

// True if `a` and `b` define the same form: every member of the form, its fields (in order),
// scope fields, policies and aggregations compares equal, labels and title included.
bool SameFormDefinition(const Form& a, const Form& b);

}  // namespace fieldsync

#endif  // FIELDSYNC_SERVER_FORMS_FORM_EQUALITY_H_
