// FormSchema: a form definition that has been checked and compiled (regexes built, choices
// indexed), ready to validate the field values of mutations against it.
//
// Typical use:
//   FS_ASSIGN_OR_RETURN(auto schema, FormSchema::Compile(form, SchemaLimits{}));
//   std::vector<FieldError> errors = schema->CheckValues(mutation.fields, RecordLimits{});
//
// A FormSchema is immutable after Compile() and safe to use from any number of threads.
#ifndef FIELDSYNC_SERVER_FORMS_FORM_SCHEMA_H_
#define FIELDSYNC_SERVER_FORMS_FORM_SCHEMA_H_

#include <cstddef>
#include <memory>
#include <string>
#include <vector>

#include "absl/container/flat_hash_map.h"
#include "absl/container/flat_hash_set.h"
#include "absl/status/statusor.h"
#include "server/common/model.h"
#include "server/common/value.h"
#include "server/forms/form_expressions.h"

namespace re2 {
class RE2;
}  // namespace re2

namespace fieldsync {

// Bounds on the values a single mutation may carry.
struct RecordLimits {
  // Most fields one mutation may set or clear.
  size_t max_fields_per_record = 200;
  // Most bytes of one text value (string, date, datetime, select_one, attachment), and of
  // all the choices of one select_multiple value together.
  size_t max_value_bytes = 4096;
};

// Bounds on form definitions accepted by Compile().
struct SchemaLimits {
  size_t max_fields_per_form = 500;
  // Most choices of one select_one / select_multiple field.
  size_t max_choices = 1000;
  // Form model v2: groups and repeats; choices of all choice lists together (a cascading
  // select's lists are long); languages; bytes of one text (label, hint, message, extra
  // column) or one expression; entries of one `extra` / `properties` map; media files.
  size_t max_groups = 500;
  size_t max_list_choices = 50'000;
  size_t max_languages = 32;
  size_t max_text_bytes = 8 * 1024;
  size_t max_expression_bytes = 8 * 1024;
  size_t max_extra_columns = 64;
  size_t max_media = 200;
};

class FormSchema {
 public:
  // Checks `form` and compiles it. Fails with INVALID_ARGUMENT, naming the offending field or
  // aggregation, if:
  //   - form_id is not 1-64 characters of [A-Za-z0-9_.-], or version is 0;
  //   - there are more than limits.max_fields_per_form fields;
  //   - a field name is not [A-Za-z_][A-Za-z0-9_.-]{0,63}, or is used twice;
  //   - a field has an unknown type;
  //   - a select_one/select_multiple field has no choices, an empty choice, a repeated choice,
  //     or more than limits.max_choices choices;
  //   - a regex is set on a field that is not a string, or does not compile (RE2 syntax);
  //   - min or max is not finite, or min > max;
  //   - a scope field does not exist, is repeated, is pii, or is not string/select_one/int;
  //   - an aggregation has an empty or repeated name, groups by a field that does not exist,
  //     has a time_field that is not a date/datetime field, has an empty or repeated measure
  //     name, or has a SUM measure over a field that is not int/decimal;
  // and for form model v2 members:
  //   - a group name is not a valid field name or is used by another group or field; a
  //     group's parent is not a group listed before it; a field's group does not exist;
  //   - a field's choice_list does not exist, or its `choices` are neither empty (then they
  //     are filled in) nor the list's distinct names in order; a choice list is empty or has
  //     an empty choice name; a choice_file on a field that is not a select, with choices,
  //     or not in `media`;
  //   - a scope field, aggregation field or measure field inside a repeat;
  //   - a text is in a language not in `languages`; default_language not in `languages`;
  //   - an expression (relevant, constraint, required_if, calculate, a default that is an
  //     expression, choice_filter, repeat_count, instance_name) does not compile with
  //     server/expr against the form's tree: the message names the field and the column;
  //   - a bound of `limits` is exceeded.
  static absl::StatusOr<std::shared_ptr<const FormSchema>> Compile(Form form,
                                                                   const SchemaLimits& limits);

  ~FormSchema();
  FormSchema(const FormSchema&) = delete;
  FormSchema& operator=(const FormSchema&) = delete;

  // The definition this schema was compiled from.
  const Form& form() const { return form_; }
  // The form's compiled expressions (form model v2); empty() for a v1 form.
  const FormExpressions& expressions() const { return *expressions_; }

  // Checks the changed values of one mutation (null = clear the field). Returns no errors if
  // they are acceptable. Otherwise at most one error per field, sorted by field name:
  //   - more than limits.max_fields_per_record values: a single error with field "" (and no
  //     other checks are made);
  //   - a field the form does not define: "unknown field";
  //   - a field that is not a field of `repeat` ("" = the root record: a field inside a
  //     repeat belongs to the repeat's instances; a repeat's instance holds only the fields
  //     of that repeat, through its groups, not those of repeats nested in it);
  //   - null on a required field: "required" (unless the field or a group around it has a
  //     `relevant`: then CheckRecordExpressions decides, on the whole record);
  //   - a value of the wrong kind for the field type, or one that breaks a constraint
  //     (length, min/max, regex, choices, calendar date, RFC 3339 datetime, coordinates).
  // Nulls on optional fields are always accepted.
  std::vector<FieldError> CheckValues(const FieldMap& changed, const RecordLimits& limits,
                                      const std::string& repeat = "") const;

  // Checks a whole record (after the mutation is merged): one {name, "required"} error per
  // required field of `repeat` ("" = the root record) that is missing or null, sorted by
  // field name. Fields with a `relevant` (theirs or a group's) are left to
  // CheckRecordExpressions (forms/record_checks.h), which knows whether they are relevant.
  std::vector<FieldError> CheckRequired(const FieldMap& full_record,
                                        const std::string& repeat = "") const;

  // Whether `default_value` is an expression (evaluated when a record is created) rather
  // than a literal, by pyxform's rule: it references a field (${...}) or calls a function.
  static bool DefaultIsExpression(const std::string& default_value);

  // The scope coordinates of a record: {field, ScopeText(value)} for each scope field that is
  // present and not null in `fields`, in the form's scope_fields order.
  std::vector<ScopePair> ScopeOf(const FieldMap& fields) const;
  // The scope of a stored record: ScopeOf(its fields) for a root record, its root's scope
  // (Record::root_scope) for a child record.
  std::vector<ScopePair> ScopeOfRecord(const Record& record) const;

 private:
  struct CompiledField;

  FormSchema();

  // The error description for `value` in field `c`, or "" if it is acceptable.
  std::string CheckValue(const CompiledField& c, const Value& value,
                         const RecordLimits& limits) const;

  Form form_;
  std::shared_ptr<const FormExpressions> expressions_;
  std::vector<CompiledField> fields_;                     // parallel to form_.fields
  absl::flat_hash_map<std::string, size_t> field_index_;  // name -> index into fields_
};

}  // namespace fieldsync

#endif  // FIELDSYNC_SERVER_FORMS_FORM_SCHEMA_H_
