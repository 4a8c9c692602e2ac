// The XLSForm checks of a record (DESIGN.md "Expressions"): relevant, required (also as a
// condition), constraint with its message, and calculate, evaluated with server/expr on the
// record's tree (its root, its ancestors and its siblings: every repeat instance is a child
// record). The server's push path runs them on every pushed record and the SDK before it
// queues an edit, so device and server refuse the same records with the same messages.
//
// The rules (ODK's, where fieldsync has a choice it says so):
//   - a field is relevant when its own `relevant` and that of every group around it, up to
//     and including the repeat the record is an instance of, are true;
//   - a non-relevant field must be empty. ODK clears such values when a form is finalized;
//     the SDK clears them in the same edit (RelevanceClears), and the server refuses a record
//     that still holds one ("is not relevant ...: must be empty"), so a value the form hides
//     is never stored silently;
//   - a relevant field that is required (always, or when `required_if` is true) and empty is
//     refused with the form's required message (or "required");
//   - a relevant field with a value whose `constraint` is false is refused with the form's
//     constraint message in the chosen language (or "does not meet the constraint ...");
//   - a `calculate` field must hold what its expression gives (the SDK fills it in:
//     Calculate). A calculate that reads values of repeat instances (count(${members})) is
//     the device's to keep current and is not compared: editing one member does not make
//     its household's edit;
//   - an expression that reads the clock or random bits (today(), now(), uuid(), random())
//     depends on the moment of entry, which only the device knows (it may sync days later):
//     the SDK evaluates it, the server does not (Options::volatile_checks = false);
//   - an expression that cannot be evaluated on the record (a bound of expr::Limits, a
//     value that does not fit) is an error on its field, never a pass.
// Pure functions; thread-safe.
#ifndef FIELDSYNC_SERVER_FORMS_RECORD_CHECKS_H_
#define FIELDSYNC_SERVER_FORMS_RECORD_CHECKS_H_

#include <functional>
#include <string>
#include <vector>

#include "absl/time/time.h"
#include "server/common/model.h"
#include "server/expr/record_tree.h"
#include "server/forms/form_schema.h"

namespace fieldsync {

// One record of a tree as the checks read it. Pointers must outlive the call.
struct TreeRecord {
  std::string record_id;
  std::string parent_record_id;  // "" for the root
  std::string repeat;            // "" for the root
  uint32_t ordinal = 0;
  const FieldMap* fields = nullptr;
};

struct RecordCheckOptions {
  // Messages in this language ("" or unknown: the form's default language).
  std::string language;
  // Evaluate expressions that read the clock or random bits (the SDK); the server does not.
  bool volatile_checks = false;
  // Fields whose values the checks cannot read as entered (pseudonymised pii values already
  // stored): their constraints are not evaluated.
  std::vector<std::string> skip_constraints;
  // The clock and zone of today() / now() (with volatile_checks).
  absl::Time now = absl::UnixEpoch();
  absl::TimeZone time_zone = absl::UTCTimeZone();
  // uuid() and random() (with volatile_checks); empty draws zeros.
  std::function<uint64_t()> random;
};

// Whether the checks need the whole tree (some expression reads values of repeat instances
// seen from outside them: count(), sum(), indexed-repeat()) or only the record's ancestors.
bool ChecksReadTree(const FormSchema& schema);

// Checks the record `target_id`, one of `tree` (which holds its ancestors, and with
// ChecksReadTree() the whole tree: records whose parent is missing are left out). Returns no
// errors if it passes; otherwise at most one error per field, in the form's field order. A
// form without expressions has nothing to check here (FormSchema::CheckRequired does).
std::vector<FieldError> CheckRecordExpressions(const FormSchema& schema,
                                               const std::vector<TreeRecord>& tree,
                                               const std::string& target_id,
                                               const RecordCheckOptions& options);

// The values an edit of `target_id` should also carry: null for each field of the record
// that is not relevant but holds a value, and the value of each calculate (not reading
// repeat instances) that differs from the record's. Applying them and checking again passes
// the relevance and calculate rules. Evaluation failures are left to the check.
FieldMap DerivedChanges(const FormSchema& schema, const std::vector<TreeRecord>& tree,
                        const std::string& target_id, const RecordCheckOptions& options);

}  // namespace fieldsync

#endif  // FIELDSYNC_SERVER_FORMS_RECORD_CHECKS_H_
