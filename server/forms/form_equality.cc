#include "server/forms/form_equality.h"

#include <algorithm>
#include <tuple>
#include <vector>

namespace fieldsync {
namespace {

// Each comparison lists every member of its struct: a member added to model.h must be added
// here, or re-publishing would ignore changes to it.
bool Same(const FieldDef& a, const FieldDef& b) {
  return std::tie(a.name, a.type, a.required, a.min, a.max, a.regex, a.choices, a.pii, a.label) ==
             std::tie(b.name, b.type, b.required, b.min, b.max, b.regex, b.choices, b.pii,
                      b.label) &&
         std::tie(a.group, a.question_type, a.labels, a.hint, a.hints, a.relevant, a.constraint,
                  a.constraint_message, a.constraint_messages, a.required_if, a.required_message,
                  a.required_messages, a.calculate, a.default_value, a.read_only, a.choice_filter,
                  a.appearance, a.choice_list, a.choice_file, a.extra) ==
             std::tie(b.group, b.question_type, b.labels, b.hint, b.hints, b.relevant, b.constraint,
                      b.constraint_message, b.constraint_messages, b.required_if,
                      b.required_message, b.required_messages, b.calculate, b.default_value,
                      b.read_only, b.choice_filter, b.appearance, b.choice_list, b.choice_file,
                      b.extra);
}

bool Same(const GroupDef& a, const GroupDef& b) {
  return std::tie(a.name, a.repeat, a.parent, a.label, a.labels, a.relevant, a.appearance,
                  a.repeat_count, a.extra) == std::tie(b.name, b.repeat, b.parent, b.label,
                                                       b.labels, b.relevant, b.appearance,
                                                       b.repeat_count, b.extra);
}

bool Same(const Choice& a, const Choice& b) {
  return std::tie(a.name, a.label, a.labels, a.properties) ==
         std::tie(b.name, b.label, b.labels, b.properties);
}

bool Same(const ChoiceList& a, const ChoiceList& b) {
  return a.name == b.name &&
         std::equal(a.choices.begin(), a.choices.end(), b.choices.begin(), b.choices.end(),
                    [](const Choice& x, const Choice& y) { return Same(x, y); });
}

bool Same(const MediaFile& a, const MediaFile& b) {
  return std::tie(a.name, a.media_type, a.sha256, a.size) ==
         std::tie(b.name, b.media_type, b.sha256, b.size);
}

bool Same(const Measure& a, const Measure& b) {
  return std::tie(a.name, a.kind, a.field) == std::tie(b.name, b.kind, b.field);
}

bool Same(const AggregationDef& a, const AggregationDef& b) {
  return std::tie(a.name, a.group_by, a.time_field, a.bucket) ==
             std::tie(b.name, b.group_by, b.time_field, b.bucket) &&
         std::equal(a.measures.begin(), a.measures.end(), b.measures.begin(), b.measures.end(),
                    [](const Measure& x, const Measure& y) { return Same(x, y); });
}

template <typename T>
bool SameList(const std::vector<T>& a, const std::vector<T>& b) {
  return std::equal(a.begin(), a.end(), b.begin(), b.end(),
                    [](const T& x, const T& y) { return Same(x, y); });
}

}  // namespace

bool SameFormDefinition(const Form& a, const Form& b) {
  return std::tie(a.form_id, a.version, a.title, a.scope_fields, a.edit_policy,
                  a.conflict_policy) == std::tie(b.form_id, b.version, b.title, b.scope_fields,
                                                 b.edit_policy, b.conflict_policy) &&
         SameList(a.fields, b.fields) && SameList(a.aggregations, b.aggregations) &&
         SameList(a.groups, b.groups) && SameList(a.choice_lists, b.choice_lists) &&
         std::tie(a.default_language, a.languages, a.instance_name) ==
             std::tie(b.default_language, b.languages, b.instance_name) &&
         SameList(a.media, b.media) && a.settings == b.settings;
}

}  // namespace fieldsync
