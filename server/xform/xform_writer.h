// XForm generation (ODK XForms 1.0, https://getodk.github.io/xforms-spec/): one form version,
// as ODK Collect, KoboCollect, Enketo and ODK Web Forms download it, laid out the way pyxform
// writes XForms from an XLSForm:
//   - the primary instance (root element "data" with id = form id and version = the form
//     version; groups, repeats with a jr:template, fields with literal defaults;
//     meta/instanceID, and meta/instanceName when the form names its records);
//   - one bind per node: type, required (or its condition) with jr:requiredMsg, relevant,
//     constraint (v1 min/max/regex become one) with jr:constraintMsg, calculate, readonly,
//     preloads (start, end, today, deviceid, ...); expression defaults as setvalue actions;
//   - translations as itext when the form has languages; choice lists as secondary
//     instances; select_one_from_file lists as external CSV instances;
//   - the body: input, select1, select, upload, trigger in groups and repeats (jr:count).
// `${name}` references become paths as pyxform writes them: relative inside the repeat
// instance both ends share, absolute otherwise.
//
// Deterministic: the same form and options give the same bytes (and so the same md5 hash in
// a form list). Thread-safe (no state).
#ifndef FIELDSYNC_SERVER_XFORM_XFORM_WRITER_H_
#define FIELDSYNC_SERVER_XFORM_XFORM_WRITER_H_

#include <map>
#include <string>
#include <vector>

#include "absl/status/statusor.h"
#include "server/common/model.h"
#include "server/xform/instance_tree.h"

namespace fieldsync::xform {

struct XFormOptions {
  // The values a device may use for the form's scope fields (field -> values), from the
  // device's scope grants. One value: the field is preloaded with it and read-only. Several:
  // a select offers only those, any other field is constrained to them. A scope field not
  // named here is left as the form defines it (admins, all-scope devices).
  std::map<std::string, std::vector<std::string>> scope_values;
};

// The XForm of `form`. INVALID_ARGUMENT when the form cannot be written as an XForm: a name
// that is no XML element name, a malformed expression (the message names the item and
// column), a choice list name holding a quote.
absl::StatusOr<std::string> WriteXForm(const Form& form, const XFormOptions& options = {});

// The generated node that holds the number of instances of `repeat` when its repeat_count is
// an expression rather than one reference (jr:count needs a node): "<repeat>_count", with
// more '_' until no field or group of the form has the name. Submissions carry it; readers
// skip it.
std::string RepeatCountNodeName(const InstanceTree& tree, int repeat);

// Whether a repeat's count is written through a generated node (see RepeatCountNodeName).
bool RepeatCountNeedsNode(const GroupDef& repeat);

}  // namespace fieldsync::xform

#endif  // FIELDSYNC_SERVER_XFORM_XFORM_WRITER_H_
