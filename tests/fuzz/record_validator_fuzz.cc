// Fuzz target: the record validator of server/forms/form_schema.h (and the pseudonymiser that
// runs after it at ingest). The first byte picks the mode:
//   even: the rest is a serialised fieldsync.v1.Mutation, as a device sends it; its fields are
//         checked against a form with every field type and constraint. Properties: at most one
//         error per field, sorted by field name; accepted values of pii fields become
//         pseudonyms, other fields are untouched.
//   odd:  the rest is a serialised fieldsync.v1.Form, as an admin publishes it: Compile()
//         either accepts it or says INVALID_ARGUMENT; a compiled form validates its own
//         example-free empty record without crashing.
#include <cstdint>
#include <memory>
#include <string>

#include "fieldsync/v1/forms.pb.h"
#include "fieldsync/v1/sync.pb.h"
#include "server/convert/convert.h"
#include "server/forms/form_schema.h"
#include "server/forms/pseudonymizer.h"
#include "tests/fuzz/fuzz_input.h"

namespace fieldsync::fuzz {
namespace {

FieldDef Field(const std::string& name, FieldType type) {
  FieldDef f;
  f.name = name;
  f.type = type;
  return f;
}

// Every field type with the constraints forms use.
Form EveryTypeForm() {
  Form form;
  form.form_id = "fuzz_form";
  form.version = 1;
  FieldDef bp = Field("border_point", FieldType::kSelectOne);
  bp.required = true;
  bp.choices = {"BP-001", "BP-002"};
  FieldDef doc = Field("document_number", FieldType::kString);
  doc.pii = true;
  doc.max = 64;
  FieldDef nat = Field("nationality", FieldType::kString);
  nat.regex = "[A-Z]{3}";
  FieldDef size = Field("group_size", FieldType::kInt);
  size.min = 1;
  size.max = 500;
  FieldDef weight = Field("weight", FieldType::kDecimal);
  weight.min = -1.5;
  weight.max = 1e6;
  FieldDef tags = Field("tags", FieldType::kSelectMultiple);
  tags.choices = {"a", "b", "c"};
  form.fields = {bp,
                 doc,
                 nat,
                 size,
                 weight,
                 Field("vehicle", FieldType::kBool),
                 Field("crossing_date", FieldType::kDate),
                 Field("crossing_time", FieldType::kDatetime),
                 tags,
                 Field("location", FieldType::kGeopoint),
                 Field("photo", FieldType::kAttachment)};
  form.scope_fields = {"border_point"};
  form.edit_policy = EditPolicy::kAppendOnly;
  return form;
}

void CheckMutation(std::string_view bytes) {
  static const std::shared_ptr<const FormSchema> schema = [] {
    auto s = FormSchema::Compile(EveryTypeForm(), SchemaLimits{});
    FUZZ_CHECK(s.ok());
    return *s;
  }();
  static const std::unique_ptr<Pseudonymizer> pseudonymizer = [] {
    auto p = Pseudonymizer::FromKey(std::string(32, 'k'));
    FUZZ_CHECK(p.ok());
    return std::move(*p);
  }();
  v1::Mutation proto;
  if (!proto.ParseFromArray(bytes.data(), static_cast<int>(bytes.size()))) return;
  Mutation m = convert::FromProto(proto);
  RecordLimits limits;
  limits.max_fields_per_record = 16;
  limits.max_value_bytes = 256;
  const auto errors = schema->CheckValues(m.fields, limits);
  for (size_t i = 1; i < errors.size(); ++i) FUZZ_CHECK(errors[i - 1].field < errors[i].field);
  (void)schema->CheckRequired(m.fields);
  (void)schema->ScopeOf(m.fields);
  (void)ContentHash(m);
  FieldMap pseudonymised = m.fields;
  FUZZ_CHECK(pseudonymizer->Apply(schema->form(), &pseudonymised).ok());
  FUZZ_CHECK(pseudonymised.size() == m.fields.size());
  for (const auto& [name, value] : m.fields) {
    const Value& after = pseudonymised.at(name);
    if (name == "document_number" && !IsNull(value)) {
      FUZZ_CHECK(pseudonymizer->IsPseudonym(std::get<std::string>(after)));
    } else {
      // Compared by encoding: a NaN decimal is not == itself.
      FUZZ_CHECK(CanonicalEncoding(after) == CanonicalEncoding(value));
    }
  }
}

void CheckForm(std::string_view bytes) {
  v1::Form proto;
  if (!proto.ParseFromArray(bytes.data(), static_cast<int>(bytes.size()))) return;
  auto form = convert::FromProto(proto);
  if (!form.ok()) return;
  SchemaLimits limits;
  limits.max_fields_per_form = 64;
  limits.max_choices = 64;
  auto schema = FormSchema::Compile(*form, limits);
  if (!schema.ok()) {
    FUZZ_CHECK(schema.status().code() == absl::StatusCode::kInvalidArgument);
    return;
  }
  (void)(*schema)->CheckRequired(FieldMap{});
  (void)(*schema)->CheckValues(FieldMap{}, RecordLimits{});
}

}  // namespace
}  // namespace fieldsync::fuzz

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  if (size == 0) return 0;
  const std::string_view rest(reinterpret_cast<const char*>(data) + 1, size - 1);
  if (data[0] % 2 == 0) {
    fieldsync::fuzz::CheckMutation(rest);
  } else {
    fieldsync::fuzz::CheckForm(rest);
  }
  return 0;
}
