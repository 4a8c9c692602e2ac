#include "server/forms/form_schema.h"

#include <algorithm>
#include <cctype>
#include <cmath>
#include <limits>
#include <utility>

#include "absl/strings/str_cat.h"
#include "absl/strings/str_format.h"
#include "absl/strings/str_join.h"
#include "re2/re2.h"
#include "server/common/status.h"
#include "server/forms/form_structure.h"

namespace fieldsync {

struct FormSchema::CompiledField {
  const FieldDef* def = nullptr;
  std::string repeat;  // the repeat the field is in; "" for fields of the root record
  // The field or a group around it has a `relevant`: whether it is required depends on the
  // record (forms/record_checks.h checks it), not on this mutation alone.
  bool conditional = false;
  std::unique_ptr<re2::RE2> regex;  // null if the field has none
  absl::flat_hash_set<std::string> choices;
  // Pre-rendered for error messages: "must be one of: a, b, c".
  std::string choices_text;
};

namespace {

// Choices listed in an error message; a form may have up to SchemaLimits::max_choices of them
// and a device screen has room for far fewer.
constexpr size_t kMaxChoicesInMessage = 20;

absl::Status Invalid(const Form& form, absl::string_view what) {
  return absl::InvalidArgumentError(
      absl::StrCat("form \"", form.form_id, "\" version ", form.version, ": ", what));
}

bool IsIdChar(char c) {
  return (c >= 'A' && c <= 'Z') || (c >= 'a' && c <= 'z') || (c >= '0' && c <= '9') || c == '_' ||
         c == '.' || c == '-';
}

bool ValidFormId(const std::string& id) {
  return !id.empty() && id.size() <= 64 && std::all_of(id.begin(), id.end(), IsIdChar);
}

bool KnownType(FieldType t) {
  int v = static_cast<int>(t);
  return v >= static_cast<int>(FieldType::kString) && v <= static_cast<int>(FieldType::kAttachment);
}

bool IsSelect(FieldType t) { return t == FieldType::kSelectOne || t == FieldType::kSelectMultiple; }

// Bounds as people write them: "100", "2.5", "-90".
std::string FormatNumber(double d) {
  if (std::trunc(d) == d && std::fabs(d) < 1e15) return absl::StrCat(static_cast<int64_t>(d));
  return absl::StrFormat("%.15g", d);
}

// Number of UTF-8 code points (bytes that do not continue a multi-byte sequence).
size_t Utf8Length(const std::string& s) {
  size_t n = 0;
  for (unsigned char c : s) n += (c & 0xC0) != 0x80;
  return n;
}

bool ParseDigits(absl::string_view s, size_t pos, size_t count, int* out) {
  if (pos + count > s.size()) return false;
  int v = 0;
  for (size_t i = pos; i < pos + count; ++i) {
    if (s[i] < '0' || s[i] > '9') return false;
    v = v * 10 + (s[i] - '0');
  }
  *out = v;
  return true;
}

int DaysInMonth(int year, int month) {
  static constexpr int kDays[] = {31, 28, 31, 30, 31, 30, 31, 31, 30, 31, 30, 31};
  bool leap = (year % 4 == 0 && year % 100 != 0) || year % 400 == 0;
  return month == 2 && leap ? 29 : kDays[month - 1];
}

// "YYYY-MM-DD" at the start of s, a real calendar date.
bool ValidDatePrefix(absl::string_view s) {
  int year, month, day;
  if (s.size() < 10 || s[4] != '-' || s[7] != '-') return false;
  if (!ParseDigits(s, 0, 4, &year) || !ParseDigits(s, 5, 2, &month) ||
      !ParseDigits(s, 8, 2, &day)) {
    return false;
  }
  return month >= 1 && month <= 12 && day >= 1 && day <= DaysInMonth(year, month);
}

bool ValidDate(absl::string_view s) { return s.size() == 10 && ValidDatePrefix(s); }

// RFC 3339 date-time: YYYY-MM-DDTHH:MM:SS[.f{1,9}](Z|+HH:MM|-HH:MM). Second 60 is a leap
// second, which RFC 3339 allows.
bool ValidDatetime(absl::string_view s) {
  if (!ValidDatePrefix(s) || s.size() < 20 || s[10] != 'T' || s[13] != ':' || s[16] != ':') {
    return false;
  }
  int hour, minute, second;
  if (!ParseDigits(s, 11, 2, &hour) || !ParseDigits(s, 14, 2, &minute) ||
      !ParseDigits(s, 17, 2, &second) || hour > 23 || minute > 59 || second > 60) {
    return false;
  }
  size_t pos = 19;
  if (s[pos] == '.') {
    size_t start = ++pos;
    while (pos < s.size() && s[pos] >= '0' && s[pos] <= '9') ++pos;
    if (pos == start || pos - start > 9) return false;
  }
  if (pos >= s.size()) return false;
  if (s[pos] == 'Z') return pos + 1 == s.size();
  if (s[pos] != '+' && s[pos] != '-') return false;
  int off_hour, off_minute;
  return s.size() == pos + 6 && s[pos + 3] == ':' && ParseDigits(s, pos + 1, 2, &off_hour) &&
         ParseDigits(s, pos + 4, 2, &off_minute) && off_hour <= 23 && off_minute <= 59;
}

std::string ChoicesText(const std::vector<std::string>& choices) {
  if (choices.size() <= kMaxChoicesInMessage) return absl::StrJoin(choices, ", ");
  std::vector<std::string> head(choices.begin(), choices.begin() + kMaxChoicesInMessage);
  return absl::StrCat(absl::StrJoin(head, ", "), ", ... (", choices.size(), " choices)");
}

// Checks `n` against the field's [min, max]; `unit` follows the number ("", " characters").
std::string CheckBounds(const FieldDef& def, double n, absl::string_view prefix,
                        absl::string_view unit) {
  if (def.min && n < *def.min) {
    return absl::StrCat(prefix, " at least ", FormatNumber(*def.min), unit);
  }
  if (def.max && n > *def.max) {
    return absl::StrCat(prefix, " at most ", FormatNumber(*def.max), unit);
  }
  return "";
}

std::string TooLong(const RecordLimits& limits) {
  return absl::StrCat("is too long (at most ", limits.max_value_bytes, " bytes)");
}

absl::Status CheckFieldDef(const Form& form, const FieldDef& f, const SchemaLimits& limits) {
  auto bad = [&](absl::string_view what) {
    return Invalid(form, absl::StrCat("field \"", f.name, "\": ", what));
  };
  if (!KnownType(f.type)) return bad("unknown type");
  if (IsSelect(f.type) && f.choice_file.empty()) {
    if (f.choices.empty()) return bad("a select field needs at least one choice");
    if (f.choices.size() > limits.max_choices) {
      return bad(absl::StrCat("has ", f.choices.size(), " choices; at most ", limits.max_choices,
                              " are allowed"));
    }
    absl::flat_hash_set<absl::string_view> seen;
    for (const auto& c : f.choices) {
      if (c.empty()) return bad("has an empty choice");
      if (!seen.insert(c).second) return bad(absl::StrCat("choice \"", c, "\" is repeated"));
    }
  }
  if (!f.regex.empty()) {
    if (f.type != FieldType::kString) return bad("a regex is only allowed on string fields");
    re2::RE2 re(f.regex, re2::RE2::Quiet);
    if (!re.ok()) return bad(absl::StrCat("regex does not compile: ", re.error()));
  }
  if (f.min && !std::isfinite(*f.min)) return bad("min is not a finite number");
  if (f.max && !std::isfinite(*f.max)) return bad("max is not a finite number");
  if (f.min && f.max && *f.min > *f.max) {
    return bad(absl::StrCat("min (", FormatNumber(*f.min), ") is greater than max (",
                            FormatNumber(*f.max), ")"));
  }
  return absl::OkStatus();
}

absl::Status CheckScopeFields(const Form& form) {
  absl::flat_hash_set<absl::string_view> seen;
  for (const auto& name : form.scope_fields) {
    auto bad = [&](absl::string_view what) {
      return Invalid(form, absl::StrCat("scope field \"", name, "\": ", what));
    };
    const FieldDef* f = form.FindField(name);
    if (f == nullptr) return bad("no such field");
    if (!seen.insert(name).second) return bad("is listed twice");
    if (f->type != FieldType::kString && f->type != FieldType::kSelectOne &&
        f->type != FieldType::kInt) {
      return bad("must be a string, select_one or int field");
    }
    if (f->pii) return bad("a pii field cannot be a scope field");
  }
  return absl::OkStatus();
}

absl::Status CheckAggregations(const Form& form) {
  absl::flat_hash_set<absl::string_view> names;
  for (const auto& a : form.aggregations) {
    auto bad = [&](absl::string_view what) {
      return Invalid(form, absl::StrCat("aggregation \"", a.name, "\": ", what));
    };
    if (a.name.empty()) return Invalid(form, "an aggregation has an empty name");
    if (!names.insert(a.name).second) return bad("the name is used twice");
    for (const auto& g : a.group_by) {
      if (form.FindField(g) == nullptr) {
        return bad(absl::StrCat("group_by field \"", g, "\" does not exist"));
      }
    }
    if (!a.time_field.empty()) {
      const FieldDef* t = form.FindField(a.time_field);
      if (t == nullptr) {
        return bad(absl::StrCat("time_field \"", a.time_field, "\" does not exist"));
      }
      if (t->type != FieldType::kDate && t->type != FieldType::kDatetime) {
        return bad(absl::StrCat("time_field \"", a.time_field, "\" must be a date or datetime"));
      }
    }
    absl::flat_hash_set<absl::string_view> measures;
    for (const auto& m : a.measures) {
      if (m.name.empty()) return bad("a measure has an empty name");
      if (!measures.insert(m.name).second) {
        return bad(absl::StrCat("measure \"", m.name, "\" is defined twice"));
      }
      if (m.kind == Measure::Kind::kSum) {
        const FieldDef* f = form.FindField(m.field);
        if (f == nullptr || (f->type != FieldType::kInt && f->type != FieldType::kDecimal)) {
          return bad(absl::StrCat("measure \"", m.name, "\": SUM needs an int or decimal field, \"",
                                  m.field, "\" is not one"));
        }
      } else if (m.kind != Measure::Kind::kCount) {
        return bad(absl::StrCat("measure \"", m.name, "\" has an unknown kind"));
      }
    }
  }
  return absl::OkStatus();
}

}  // namespace

FormSchema::FormSchema() = default;
FormSchema::~FormSchema() = default;

absl::StatusOr<std::shared_ptr<const FormSchema>> FormSchema::Compile(Form form,
                                                                      const SchemaLimits& limits) {
  if (!ValidFormId(form.form_id)) {
    return absl::InvalidArgumentError(absl::StrCat(
        "form id \"", form.form_id, "\" must be 1-64 characters of A-Z, a-z, 0-9, _ . -"));
  }
  if (form.version < 1) return Invalid(form, "version must be at least 1");
  if (form.fields.size() > limits.max_fields_per_form) {
    return Invalid(form, absl::StrCat("has ", form.fields.size(), " fields; at most ",
                                      limits.max_fields_per_form, " are allowed"));
  }
  absl::flat_hash_set<absl::string_view> names;
  for (const auto& f : form.fields) {
    if (!forms_internal::ValidItemName(f.name)) {
      return Invalid(form, absl::StrCat("field name \"", f.name,
                                        "\" must match [A-Za-z_][A-Za-z0-9_.-]{0,63}"));
    }
    if (!names.insert(f.name).second) {
      return Invalid(form, absl::StrCat("field \"", f.name, "\" is defined twice"));
    }
  }
  FS_RETURN_IF_ERROR(forms_internal::CheckStructure(&form, limits));
  for (const auto& f : form.fields) FS_RETURN_IF_ERROR(CheckFieldDef(form, f, limits));
  FS_RETURN_IF_ERROR(CheckScopeFields(form));
  FS_RETURN_IF_ERROR(CheckAggregations(form));
  FS_ASSIGN_OR_RETURN(std::shared_ptr<const FormExpressions> expressions,
                      FormExpressions::Compile(form, expr::Limits{}));

  std::shared_ptr<FormSchema> schema(new FormSchema());
  schema->expressions_ = std::move(expressions);
  schema->form_ = std::move(form);
  schema->fields_.resize(schema->form_.fields.size());
  for (size_t i = 0; i < schema->form_.fields.size(); ++i) {
    const FieldDef& def = schema->form_.fields[i];
    CompiledField& c = schema->fields_[i];
    c.def = &def;
    if (!def.regex.empty()) {
      c.regex = std::make_unique<re2::RE2>(def.regex, re2::RE2::Quiet);
    }
    c.repeat = schema->form_.RepeatOf(def);
    c.conditional = !def.relevant.empty();
    std::string at = def.group;
    for (size_t hops = 0; !at.empty() && hops <= schema->form_.groups.size(); ++hops) {
      const GroupDef* g = schema->form_.FindGroup(at);
      if (g == nullptr) break;
      if (!g->relevant.empty()) c.conditional = true;
      at = g->parent;
    }
    if (IsSelect(def.type) && def.choice_file.empty()) {
      c.choices.insert(def.choices.begin(), def.choices.end());
      c.choices_text = ChoicesText(def.choices);
    }
    schema->field_index_.emplace(def.name, i);
  }
  return std::shared_ptr<const FormSchema>(std::move(schema));
}

std::string FormSchema::CheckValue(const CompiledField& c, const Value& value,
                                   const RecordLimits& limits) const {
  const FieldDef& def = *c.def;
  switch (def.type) {
    case FieldType::kString: {
      const auto* s = std::get_if<std::string>(&value);
      if (s == nullptr) return "must be a string";
      if (s->size() > limits.max_value_bytes) return TooLong(limits);
      std::string err = CheckBounds(def, Utf8Length(*s), "must be", " characters long");
      if (!err.empty()) return err;
      if (c.regex != nullptr && !re2::RE2::FullMatch(*s, *c.regex)) {
        return absl::StrCat("must match the pattern ", def.regex);
      }
      return "";
    }
    case FieldType::kAttachment: {
      const auto* s = std::get_if<std::string>(&value);
      if (s == nullptr) return "must be a string";
      if (s->size() > limits.max_value_bytes) return TooLong(limits);
      return "";
    }
    case FieldType::kDate: {
      const auto* s = std::get_if<std::string>(&value);
      if (s == nullptr || !ValidDate(*s)) return "not a valid date (YYYY-MM-DD)";
      return "";
    }
    case FieldType::kDatetime: {
      const auto* s = std::get_if<std::string>(&value);
      if (s == nullptr || s->size() > limits.max_value_bytes || !ValidDatetime(*s)) {
        return "not a valid datetime (RFC 3339, e.g. 2024-05-01T08:30:00Z)";
      }
      return "";
    }
    case FieldType::kSelectOne: {
      const auto* s = std::get_if<std::string>(&value);
      if (s == nullptr) return "must be a string";
      if (s->size() > limits.max_value_bytes) return TooLong(limits);
      if (!def.choice_file.empty()) return s->empty() ? "must not be empty" : "";
      if (!c.choices.contains(*s)) return absl::StrCat("must be one of: ", c.choices_text);
      return "";
    }
    case FieldType::kSelectMultiple: {
      const auto* list = std::get_if<std::vector<std::string>>(&value);
      if (list == nullptr) return "must be a list of choices";
      size_t bytes = 0;
      for (const auto& s : *list) bytes += s.size();
      if (bytes > limits.max_value_bytes) return TooLong(limits);
      absl::flat_hash_set<absl::string_view> seen;
      for (const auto& s : *list) {
        if (def.choice_file.empty() && !c.choices.contains(s)) {
          return absl::StrCat("contains \"", s, "\"; each must be one of: ", c.choices_text);
        }
        if (!seen.insert(s).second) return absl::StrCat("contains \"", s, "\" more than once");
      }
      return CheckBounds(def, static_cast<double>(list->size()), "must have", " choices");
    }
    case FieldType::kInt: {
      const auto* i = std::get_if<int64_t>(&value);
      if (i == nullptr) return "must be an integer";
      return CheckBounds(def, static_cast<double>(*i), "must be", "");
    }
    case FieldType::kDecimal: {
      double d;
      if (const auto* p = std::get_if<double>(&value)) {
        d = *p;
      } else if (const auto* i = std::get_if<int64_t>(&value)) {
        d = static_cast<double>(*i);
      } else {
        return "must be a number";
      }
      if (!std::isfinite(d)) return "must be a finite number";
      return CheckBounds(def, d, "must be", "");
    }
    case FieldType::kBool:
      if (!std::holds_alternative<bool>(value)) return "must be true or false";
      return "";
    case FieldType::kGeopoint: {
      const auto* g = std::get_if<GeoPoint>(&value);
      if (g == nullptr) return "must be a geopoint (latitude, longitude)";
      // Written so that NaN fails both comparisons.
      if (!(g->latitude >= -90 && g->latitude <= 90)) {
        return "latitude must be between -90 and 90";
      }
      if (!(g->longitude >= -180 && g->longitude <= 180)) {
        return "longitude must be between -180 and 180";
      }
      return "";
    }
  }
  return "unknown field type";
}

std::vector<FieldError> FormSchema::CheckValues(const FieldMap& changed, const RecordLimits& limits,
                                                const std::string& repeat) const {
  std::vector<FieldError> errors;
  if (changed.size() > limits.max_fields_per_record) {
    errors.push_back({"", absl::StrCat("too many fields: ", changed.size(), " (at most ",
                                       limits.max_fields_per_record, ")")});
    return errors;
  }
  for (const auto& [name, value] : changed) {
    auto it = field_index_.find(name);
    if (it == field_index_.end()) {
      errors.push_back({name, "unknown field"});
      continue;
    }
    const CompiledField& c = fields_[it->second];
    if (c.repeat != repeat) {
      if (c.repeat.empty()) {
        errors.push_back(
            {name, absl::StrCat("is a field of the root record, not of repeat \"", repeat, "\"")});
      } else {
        errors.push_back({name, absl::StrCat("is a field of repeat \"", c.repeat,
                                             "\": its values belong to the repeat's instances")});
      }
      continue;
    }
    if (IsNull(value)) {
      if (c.def->required && !c.conditional) errors.push_back({name, "required"});
      continue;
    }
    std::string err = CheckValue(c, value, limits);
    if (!err.empty()) errors.push_back({name, std::move(err)});
  }
  // FieldMap iterates in name order already; sort anyway so the contract does not depend on
  // the container.
  std::stable_sort(errors.begin(), errors.end(),
                   [](const FieldError& a, const FieldError& b) { return a.field < b.field; });
  return errors;
}

std::vector<FieldError> FormSchema::CheckRequired(const FieldMap& full_record,
                                                  const std::string& repeat) const {
  std::vector<FieldError> errors;
  for (const auto& c : fields_) {
    const FieldDef& f = *c.def;
    if (!f.required || c.repeat != repeat || c.conditional) continue;
    auto it = full_record.find(f.name);
    if (it == full_record.end() || IsNull(it->second)) errors.push_back({f.name, "required"});
  }
  std::sort(errors.begin(), errors.end(),
            [](const FieldError& a, const FieldError& b) { return a.field < b.field; });
  return errors;
}

bool FormSchema::DefaultIsExpression(const std::string& default_value) {
  if (default_value.find("${") != std::string::npos) return true;
  // A function call: a name (letters, digits, '-', ':', '_') directly or after spaces
  // followed by '(' (today(), concat( ... )).
  for (size_t open = default_value.find('('); open != std::string::npos;
       open = default_value.find('(', open + 1)) {
    size_t end = open;
    while (end > 0 && default_value[end - 1] == ' ') --end;
    if (end > 0 && (std::isalnum(static_cast<unsigned char>(default_value[end - 1])) ||
                    default_value[end - 1] == '-' || default_value[end - 1] == '_')) {
      return true;
    }
  }
  return false;
}

std::vector<ScopePair> FormSchema::ScopeOfRecord(const Record& record) const {
  return record.is_child() ? record.root_scope : ScopeOf(record.fields);
}

std::vector<ScopePair> FormSchema::ScopeOf(const FieldMap& fields) const {
  std::vector<ScopePair> scope;
  for (const auto& name : form_.scope_fields) {
    auto it = fields.find(name);
    if (it == fields.end() || IsNull(it->second)) continue;
    scope.push_back({name, ScopeText(it->second)});
  }
  return scope;
}

}  // namespace fieldsync
