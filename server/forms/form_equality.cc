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
         std::tie(b.name, b.type, b.required, b.min, b.max, b.regex, b.choices, b.pii, b.label);
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
         SameList(a.fields, b.fields) && SameList(a.aggregations, b.aggregations);
}

}  // namespace fieldsync
