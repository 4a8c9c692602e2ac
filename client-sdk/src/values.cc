#include "client-sdk/src/values.h"

#include <cmath>
#include <utility>

#include "absl/strings/ascii.h"
#include "absl/strings/numbers.h"
#include "absl/strings/str_cat.h"
#include "absl/strings/str_join.h"
#include "absl/strings/str_split.h"

namespace fieldsync::client {

namespace {
absl::string_view Sv(const std::string& s) { return absl::string_view(s.data(), s.size()); }
}  // namespace

void ToProto(const Value& v, v1::Value* out) {
  out->Clear();
  if (auto* s = std::get_if<std::string>(&v)) {
    out->set_text(*s);
  } else if (auto* i = std::get_if<int64_t>(&v)) {
    out->set_integer(*i);
  } else if (auto* d = std::get_if<double>(&v)) {
    out->set_decimal(*d);
  } else if (auto* b = std::get_if<bool>(&v)) {
    out->set_boolean(*b);
  } else if (auto* l = std::get_if<std::vector<std::string>>(&v)) {
    auto* c = out->mutable_choices();
    for (const auto& x : *l) c->add_values(x);
  } else if (auto* g = std::get_if<GeoPoint>(&v)) {
    out->mutable_geopoint()->set_latitude(g->latitude);
    out->mutable_geopoint()->set_longitude(g->longitude);
  }
}

Value FromProto(const v1::Value& v) {
  switch (v.kind_case()) {
    case v1::Value::kText:
      return v.text();
    case v1::Value::kInteger:
      return static_cast<int64_t>(v.integer());
    case v1::Value::kDecimal:
      return v.decimal();
    case v1::Value::kBoolean:
      return v.boolean();
    case v1::Value::kChoices:
      return std::vector<std::string>(v.choices().values().begin(), v.choices().values().end());
    case v1::Value::kGeopoint:
      return GeoPoint{v.geopoint().latitude(), v.geopoint().longitude()};
    default:
      return std::monostate();
  }
}

void ToProto(const Fields& f, ProtoFields* out) {
  for (const auto& [k, v] : f) ToProto(v, &(*out)[k]);
}

Fields FromProto(const ProtoFields& f) {
  Fields out;
  for (const auto& [k, v] : f) out[k] = FromProto(v);
  return out;
}

bool ProtoValueEquals(const v1::Value& a, const v1::Value& b) {
  return FromProto(a) == FromProto(b);
}

std::string ValueToString(const Value& v) {
  if (auto* s = std::get_if<std::string>(&v)) return *s;
  if (auto* i = std::get_if<int64_t>(&v)) return std::to_string(*i);
  if (auto* d = std::get_if<double>(&v)) return absl::StrCat(*d);
  if (auto* b = std::get_if<bool>(&v)) return *b ? "true" : "false";
  if (auto* l = std::get_if<std::vector<std::string>>(&v)) return absl::StrJoin(*l, ";");
  if (auto* g = std::get_if<GeoPoint>(&v)) return absl::StrCat(g->latitude, " ", g->longitude);
  return "";
}

const char* FieldTypeName(v1::FieldType t) {
  switch (t) {
    case v1::STRING:
      return "string";
    case v1::INT:
      return "int";
    case v1::DECIMAL:
      return "decimal";
    case v1::BOOL:
      return "bool";
    case v1::DATE:
      return "date";
    case v1::DATETIME:
      return "datetime";
    case v1::SELECT_ONE:
      return "select_one";
    case v1::SELECT_MULTIPLE:
      return "select_multiple";
    case v1::GEOPOINT:
      return "geopoint";
    case v1::ATTACHMENT:
      return "attachment";
    default:
      return "unknown";
  }
}

FormInfo ToFormInfo(const v1::Form& f) {
  FormInfo out;
  out.form_id = f.form_id();
  out.version = f.version();
  out.title = f.title();
  out.append_only = f.edit_policy() == v1::APPEND_ONLY;
  for (const auto& fd : f.fields()) {
    FormInfo::Field x;
    x.name = fd.name();
    x.type = FieldTypeName(fd.type());
    x.required = fd.required();
    x.choices.assign(fd.choices().begin(), fd.choices().end());
    x.label = fd.label();
    x.group = fd.group();
    x.question_type = fd.question_type();
    x.labels.insert(fd.labels().begin(), fd.labels().end());
    x.hint = fd.hint();
    x.hints.insert(fd.hints().begin(), fd.hints().end());
    x.appearance = fd.appearance();
    x.read_only = fd.read_only();
    x.relevant = fd.relevant();
    x.constraint = fd.constraint();
    x.constraint_message = fd.constraint_message();
    x.constraint_messages.insert(fd.constraint_messages().begin(), fd.constraint_messages().end());
    x.required_if = fd.required_if();
    x.calculate = fd.calculate();
    x.default_value = fd.default_value();
    for (const auto& list : f.choice_lists()) {
      if (list.name() != fd.choice_list()) continue;
      for (const auto& c : list.choices()) {
        auto& labels = x.choice_labels[c.name()];
        labels.insert(c.labels().begin(), c.labels().end());
        if (labels.empty() && !c.label().empty()) labels[f.default_language()] = c.label();
      }
    }
    out.fields.push_back(std::move(x));
  }
  for (const auto& g : f.groups()) {
    FormInfo::Group x;
    x.name = g.name();
    x.repeat = g.repeat();
    x.parent = g.parent();
    x.label = g.label();
    x.labels.insert(g.labels().begin(), g.labels().end());
    x.relevant = g.relevant();
    x.repeat_count = g.repeat_count();
    out.groups.push_back(std::move(x));
  }
  out.default_language = f.default_language();
  out.languages.assign(f.languages().begin(), f.languages().end());
  return out;
}

Outcome ToOutcome(v1::Outcome o) {
  switch (o) {
    case v1::APPLIED:
      return Outcome::kApplied;
    case v1::MERGED:
      return Outcome::kMerged;
    case v1::CONFLICT:
      return Outcome::kConflict;
    case v1::REJECTED:
      return Outcome::kRejected;
    case v1::DUPLICATE:
      return Outcome::kDuplicate;
    case v1::OUT_OF_ORDER:
      return Outcome::kOutOfOrder;
    default:
      return Outcome::kUnknown;
  }
}

const char* OutcomeName(Outcome o) {
  switch (o) {
    case Outcome::kApplied:
      return "APPLIED";
    case Outcome::kMerged:
      return "MERGED";
    case Outcome::kConflict:
      return "CONFLICT";
    case Outcome::kRejected:
      return "REJECTED";
    case Outcome::kDuplicate:
      return "DUPLICATE";
    case Outcome::kOutOfOrder:
      return "OUT_OF_ORDER";
    default:
      return "UNKNOWN";
  }
}

absl::StatusOr<Value> ParseText(v1::FieldType type, const std::string& raw) {
  const std::string text(absl::StripAsciiWhitespace(Sv(raw)));
  if (text.empty()) return Value(std::monostate());
  switch (type) {
    case v1::INT: {
      int64_t i = 0;
      if (!absl::SimpleAtoi(Sv(text), &i)) {
        return absl::InvalidArgumentError(
            absl::StrCat("expected a whole number, got \"", text, "\""));
      }
      return Value(i);
    }
    case v1::DECIMAL: {
      double d = 0;
      if (!absl::SimpleAtod(Sv(text), &d) || !std::isfinite(d)) {
        return absl::InvalidArgumentError(absl::StrCat("expected a number, got \"", text, "\""));
      }
      return Value(d);
    }
    case v1::BOOL: {
      const std::string l = absl::AsciiStrToLower(Sv(text));
      if (l == "true" || l == "yes" || l == "1" || l == "y") return Value(true);
      if (l == "false" || l == "no" || l == "0" || l == "n") return Value(false);
      return absl::InvalidArgumentError(absl::StrCat("expected yes/no, got \"", text, "\""));
    }
    case v1::SELECT_MULTIPLE: {
      std::vector<std::string> parts =
          absl::StrSplit(Sv(text), absl::ByAnyChar("; "), absl::SkipEmpty());
      return Value(std::move(parts));
    }
    case v1::GEOPOINT: {
      std::vector<std::string> parts =
          absl::StrSplit(Sv(text), absl::ByAnyChar("; "), absl::SkipEmpty());
      GeoPoint g;
      if (parts.size() != 2 || !absl::SimpleAtod(Sv(parts[0]), &g.latitude) ||
          !absl::SimpleAtod(Sv(parts[1]), &g.longitude)) {
        return absl::InvalidArgumentError(
            absl::StrCat("expected \"latitude longitude\", got \"", text, "\""));
      }
      return Value(g);
    }
    default:
      return Value(text);
  }
}

}  // namespace fieldsync::client
