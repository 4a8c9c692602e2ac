#include "server/forms/form_schema.h"

#include <cmath>
#include <limits>
#include <string>
#include <vector>

#include "gmock/gmock.h"
#include "gtest/gtest.h"

namespace fieldsync {
namespace {

using ::testing::ElementsAre;
using ::testing::HasSubstr;
using ::testing::IsEmpty;

FieldDef Field(std::string name, FieldType type) {
  FieldDef f;
  f.name = std::move(name);
  f.type = type;
  return f;
}

// A form using every field type and constraint; valid.
Form ValidForm() {
  Form form;
  form.form_id = "visit";
  form.version = 1;
  form.title = "Household visit";

  FieldDef name = Field("name", FieldType::kString);
  name.required = true;
  name.min = 2;
  name.max = 10;
  form.fields.push_back(name);

  FieldDef code = Field("code", FieldType::kString);
  code.regex = "[A-Z]{3}";
  form.fields.push_back(code);

  FieldDef age = Field("age", FieldType::kInt);
  age.min = 0;
  age.max = 120;
  form.fields.push_back(age);

  FieldDef weight = Field("weight", FieldType::kDecimal);
  weight.min = 0;
  weight.max = 500;
  form.fields.push_back(weight);

  form.fields.push_back(Field("consent", FieldType::kBool));
  form.fields.push_back(Field("visit_date", FieldType::kDate));
  form.fields.push_back(Field("seen_at", FieldType::kDatetime));

  FieldDef direction = Field("direction", FieldType::kSelectOne);
  direction.choices = {"entry", "exit"};
  direction.required = true;
  form.fields.push_back(direction);

  FieldDef goods = Field("goods", FieldType::kSelectMultiple);
  goods.choices = {"food", "fuel", "medicine"};
  goods.min = 1;
  goods.max = 2;
  form.fields.push_back(goods);

  form.fields.push_back(Field("location", FieldType::kGeopoint));
  form.fields.push_back(Field("photo", FieldType::kAttachment));
  form.fields.push_back(Field("governorate", FieldType::kString));
  form.fields.push_back(Field("team", FieldType::kInt));

  FieldDef phone = Field("phone", FieldType::kString);
  phone.pii = true;
  form.fields.push_back(phone);

  form.scope_fields = {"governorate", "team"};

  AggregationDef daily;
  daily.name = "daily";
  daily.group_by = {"direction"};
  daily.time_field = "visit_date";
  daily.measures = {{"n", Measure::Kind::kCount, ""},
                    {"total_weight", Measure::Kind::kSum, "weight"}};
  form.aggregations.push_back(daily);
  return form;
}

FieldDef* Find(Form& form, const std::string& name) {
  for (auto& f : form.fields) {
    if (f.name == name) return &f;
  }
  ADD_FAILURE() << "no field " << name;
  return nullptr;
}

absl::Status CompileStatus(const Form& form, SchemaLimits limits = {}) {
  return FormSchema::Compile(form, limits).status();
}

// Expects INVALID_ARGUMENT with `what` named in the message.
void ExpectInvalid(const Form& form, const std::string& what, SchemaLimits limits = {}) {
  absl::Status s = CompileStatus(form, limits);
  EXPECT_EQ(s.code(), absl::StatusCode::kInvalidArgument) << s;
  EXPECT_THAT(s.message(), HasSubstr(what));
}

std::shared_ptr<const FormSchema> MustCompile(const Form& form) {
  auto schema = FormSchema::Compile(form, SchemaLimits{});
  EXPECT_TRUE(schema.ok()) << schema.status();
  return schema.ok() ? *schema : nullptr;
}

// ---- Definitions ---------------------------------------------------------------------

TEST(FormSchemaCompileTest, ValidFormCompiles) {
  auto schema = FormSchema::Compile(ValidForm(), SchemaLimits{});
  ASSERT_TRUE(schema.ok()) << schema.status();
  EXPECT_EQ((*schema)->form().form_id, "visit");
  EXPECT_EQ((*schema)->form().fields.size(), ValidForm().fields.size());
}

TEST(FormSchemaCompileTest, FormIdMustBeValid) {
  Form form = ValidForm();
  form.form_id = "";
  EXPECT_EQ(CompileStatus(form).code(), absl::StatusCode::kInvalidArgument);
  form.form_id = "has space";
  ExpectInvalid(form, "has space");
  form.form_id = "slash/id";
  ExpectInvalid(form, "slash/id");
  form.form_id = std::string(65, 'a');
  ExpectInvalid(form, "form id");
  form.form_id = std::string(64, 'a');
  EXPECT_TRUE(CompileStatus(form).ok());
  form.form_id = "Border-crossing_v.2";
  EXPECT_TRUE(CompileStatus(form).ok());
}

TEST(FormSchemaCompileTest, VersionMustBePositive) {
  Form form = ValidForm();
  form.version = 0;
  ExpectInvalid(form, "version");
}

TEST(FormSchemaCompileTest, FieldNamesMustBeValid) {
  for (const std::string& bad :
       {std::string(""), std::string("1st"), std::string("-dash"), std::string(".dot"),
        std::string("has space"), std::string("é"), std::string(65, 'a')}) {
    Form form = ValidForm();
    form.fields.push_back(Field(bad, FieldType::kString));
    EXPECT_EQ(CompileStatus(form).code(), absl::StatusCode::kInvalidArgument) << bad;
  }
  // XML names as XLSForm allows them: '-' and '.' after the first character.
  for (const std::string& good : {std::string("_x"), std::string("X9_y"), std::string(64, 'a'),
                                  std::string("has-dash"), std::string("a.b")}) {
    Form form = ValidForm();
    form.fields.push_back(Field(good, FieldType::kString));
    EXPECT_TRUE(CompileStatus(form).ok()) << good;
  }
}

TEST(FormSchemaCompileTest, FieldNamesMustBeUnique) {
  Form form = ValidForm();
  form.fields.push_back(Field("age", FieldType::kString));
  ExpectInvalid(form, "\"age\"");
}

TEST(FormSchemaCompileTest, UnknownFieldTypeRejected) {
  Form form = ValidForm();
  form.fields.push_back(Field("odd", static_cast<FieldType>(99)));
  ExpectInvalid(form, "\"odd\"");
}

TEST(FormSchemaCompileTest, TooManyFields) {
  Form form;
  form.form_id = "f";
  form.version = 1;
  for (int i = 0; i < 4; ++i)
    form.fields.push_back(Field("f" + std::to_string(i), FieldType::kInt));
  SchemaLimits limits;
  limits.max_fields_per_form = 3;
  ExpectInvalid(form, "fields", limits);
  limits.max_fields_per_form = 4;
  EXPECT_TRUE(CompileStatus(form, limits).ok());
}

TEST(FormSchemaCompileTest, SelectFieldsNeedChoices) {
  for (FieldType t : {FieldType::kSelectOne, FieldType::kSelectMultiple}) {
    Form form = ValidForm();
    form.fields.push_back(Field("pick", t));
    ExpectInvalid(form, "\"pick\"");
  }
}

TEST(FormSchemaCompileTest, ChoicesMustBeUniqueAndNonEmpty) {
  Form form = ValidForm();
  Find(form, "direction")->choices = {"entry", "exit", "entry"};
  ExpectInvalid(form, "\"direction\"");
  form = ValidForm();
  Find(form, "goods")->choices = {"food", ""};
  ExpectInvalid(form, "\"goods\"");
}

TEST(FormSchemaCompileTest, TooManyChoices) {
  Form form = ValidForm();
  Find(form, "direction")->choices = {"a", "b", "c"};
  SchemaLimits limits;
  limits.max_choices = 2;
  ExpectInvalid(form, "\"direction\"", limits);
  limits.max_choices = 3;
  EXPECT_TRUE(CompileStatus(form, limits).ok());
}

TEST(FormSchemaCompileTest, RegexOnlyOnStringFields) {
  Form form = ValidForm();
  Find(form, "age")->regex = "[0-9]+";
  ExpectInvalid(form, "\"age\"");
  form = ValidForm();
  Find(form, "direction")->regex = "e.*";
  ExpectInvalid(form, "\"direction\"");
}

TEST(FormSchemaCompileTest, RegexMustCompile) {
  Form form = ValidForm();
  Find(form, "code")->regex = "([A-Z";
  ExpectInvalid(form, "\"code\"");
  // Backreferences are not RE2 (they need backtracking).
  Find(form, "code")->regex = "(a)\\1";
  ExpectInvalid(form, "\"code\"");
}

TEST(FormSchemaCompileTest, MinMustNotExceedMax) {
  Form form = ValidForm();
  Find(form, "age")->min = 10;
  Find(form, "age")->max = 5;
  ExpectInvalid(form, "\"age\"");
  Find(form, "age")->max = 10;
  EXPECT_TRUE(CompileStatus(form).ok());
}

TEST(FormSchemaCompileTest, BoundsMustBeFinite) {
  Form form = ValidForm();
  Find(form, "weight")->max = std::numeric_limits<double>::quiet_NaN();
  ExpectInvalid(form, "\"weight\"");
  form = ValidForm();
  Find(form, "weight")->min = -std::numeric_limits<double>::infinity();
  ExpectInvalid(form, "\"weight\"");
}

TEST(FormSchemaCompileTest, ScopeFieldMustExist) {
  Form form = ValidForm();
  form.scope_fields.push_back("district");
  ExpectInvalid(form, "\"district\"");
}

TEST(FormSchemaCompileTest, ScopeFieldTypes) {
  for (const char* bad :
       {"weight", "consent", "visit_date", "seen_at", "goods", "location", "photo"}) {
    Form form = ValidForm();
    form.scope_fields = {bad};
    ExpectInvalid(form, bad);
  }
  Form form = ValidForm();
  form.scope_fields = {"direction", "team", "governorate"};
  EXPECT_TRUE(CompileStatus(form).ok());
}

TEST(FormSchemaCompileTest, ScopeFieldMustNotBePii) {
  Form form = ValidForm();
  form.scope_fields.push_back("phone");
  ExpectInvalid(form, "\"phone\"");
}

TEST(FormSchemaCompileTest, ScopeFieldListedTwice) {
  Form form = ValidForm();
  form.scope_fields.push_back("team");
  ExpectInvalid(form, "\"team\"");
}

TEST(FormSchemaCompileTest, AggregationNamesNonEmptyAndUnique) {
  Form form = ValidForm();
  form.aggregations[0].name = "";
  ExpectInvalid(form, "aggregation");
  form = ValidForm();
  form.aggregations.push_back(form.aggregations[0]);
  ExpectInvalid(form, "\"daily\"");
}

TEST(FormSchemaCompileTest, AggregationGroupByMustExist) {
  Form form = ValidForm();
  form.aggregations[0].group_by.push_back("district");
  ExpectInvalid(form, "\"district\"");
  EXPECT_THAT(CompileStatus(form).message(), HasSubstr("\"daily\""));
}

TEST(FormSchemaCompileTest, AggregationTimeFieldMustBeDateOrDatetime) {
  Form form = ValidForm();
  form.aggregations[0].time_field = "name";
  ExpectInvalid(form, "\"name\"");
  form.aggregations[0].time_field = "missing";
  ExpectInvalid(form, "\"missing\"");
  form.aggregations[0].time_field = "seen_at";
  EXPECT_TRUE(CompileStatus(form).ok());
  form.aggregations[0].time_field = "";
  EXPECT_TRUE(CompileStatus(form).ok());
}

TEST(FormSchemaCompileTest, SumNeedsNumericField) {
  Form form = ValidForm();
  form.aggregations[0].measures[1].field = "name";
  ExpectInvalid(form, "\"total_weight\"");
  form.aggregations[0].measures[1].field = "missing";
  ExpectInvalid(form, "\"total_weight\"");
  form.aggregations[0].measures[1].field = "age";
  EXPECT_TRUE(CompileStatus(form).ok());
}

TEST(FormSchemaCompileTest, MeasureNamesNonEmptyAndUnique) {
  Form form = ValidForm();
  form.aggregations[0].measures[1].name = "n";
  ExpectInvalid(form, "\"n\"");
  form = ValidForm();
  form.aggregations[0].measures[0].name = "";
  ExpectInvalid(form, "\"daily\"");
}

// ---- Values --------------------------------------------------------------------------

class CheckValuesTest : public ::testing::Test {
 protected:
  // The errors for setting one field.
  std::vector<FieldError> Check(const std::string& field, Value v) const {
    return schema_->CheckValues(FieldMap{{field, std::move(v)}}, limits_);
  }
  // The single error description for one field, or "" if it is accepted.
  std::string Error(const std::string& field, Value v) const {
    auto errors = Check(field, std::move(v));
    if (errors.empty()) return "";
    EXPECT_EQ(errors.size(), 1u);
    EXPECT_EQ(errors[0].field, field);
    return errors[0].description;
  }

  std::shared_ptr<const FormSchema> schema_ = MustCompile(ValidForm());
  RecordLimits limits_;
};

TEST_F(CheckValuesTest, ValidValuesPass) {
  FieldMap values = {
      {"name", std::string("Amal")},
      {"code", std::string("ABC")},
      {"age", int64_t{34}},
      {"weight", 72.5},
      {"consent", true},
      {"visit_date", std::string("2024-02-29")},
      {"seen_at", std::string("2024-05-01T08:30:00Z")},
      {"direction", std::string("entry")},
      {"goods", std::vector<std::string>{"food", "fuel"}},
      {"location", GeoPoint{33.3, 44.4}},
      {"photo", std::string("sha256:abcd")},
      {"governorate", std::string("Basra")},
      {"team", int64_t{7}},
      {"phone", std::string("+964 770 000 0000")},
  };
  EXPECT_THAT(schema_->CheckValues(values, limits_), IsEmpty());
}

TEST_F(CheckValuesTest, UnknownField) {
  EXPECT_THAT(Check("nickname", std::string("x")),
              ElementsAre(FieldError{"nickname", "unknown field"}));
}

TEST_F(CheckValuesTest, TooManyFields) {
  limits_.max_fields_per_record = 2;
  FieldMap two = {{"age", int64_t{1}}, {"consent", true}};
  EXPECT_THAT(schema_->CheckValues(two, limits_), IsEmpty());
  FieldMap three = {{"age", int64_t{1}}, {"consent", true}, {"code", std::string("ABC")}};
  auto errors = schema_->CheckValues(three, limits_);
  ASSERT_EQ(errors.size(), 1u);
  EXPECT_EQ(errors[0].field, "");
  EXPECT_THAT(errors[0].description, HasSubstr("too many fields"));
}

TEST_F(CheckValuesTest, NullOnRequiredField) {
  EXPECT_THAT(Check("name", std::monostate{}), ElementsAre(FieldError{"name", "required"}));
  // Clearing an optional field is fine.
  EXPECT_THAT(Check("age", std::monostate{}), IsEmpty());
}

TEST_F(CheckValuesTest, WrongKind) {
  const Value text = std::string("x");
  const Value integer = int64_t{1};
  const Value decimal = 1.5;
  const Value boolean = true;
  const Value list = std::vector<std::string>{"food"};
  const Value point = GeoPoint{1, 2};
  struct Case {
    const char* field;
    std::vector<Value> wrong;
  };
  const std::vector<Case> cases = {
      {"name", {integer, decimal, boolean, list, point}},
      {"visit_date", {integer, decimal, boolean, list, point}},
      {"seen_at", {integer, decimal, boolean, list, point}},
      {"direction", {integer, decimal, boolean, list, point}},
      {"photo", {integer, decimal, boolean, list, point}},
      {"age", {text, decimal, boolean, list, point}},
      {"weight", {text, boolean, list, point}},
      {"consent", {text, integer, decimal, list, point}},
      {"goods", {text, integer, decimal, boolean, point}},
      {"location", {text, integer, decimal, boolean, list}},
  };
  for (const auto& c : cases) {
    for (const auto& v : c.wrong) {
      EXPECT_NE(Error(c.field, v), "") << c.field << " accepted " << DebugString(v);
    }
  }
  EXPECT_EQ(Error("age", decimal), "must be an integer");
  EXPECT_EQ(Error("consent", text), "must be true or false");
  EXPECT_EQ(Error("name", integer), "must be a string");
}

TEST_F(CheckValuesTest, DecimalAcceptsInteger) {
  EXPECT_EQ(Error("weight", int64_t{70}), "");
  EXPECT_EQ(Error("weight", int64_t{501}), "must be at most 500");
}

TEST_F(CheckValuesTest, TextTooLong) {
  limits_.max_value_bytes = 8;
  EXPECT_EQ(Error("phone", std::string(8, 'x')), "");
  EXPECT_THAT(Error("phone", std::string(9, 'x')), HasSubstr("too long"));
  EXPECT_THAT(Error("photo", std::string(9, 'x')), HasSubstr("too long"));
  EXPECT_THAT(Error("direction", std::string(9, 'x')), HasSubstr("too long"));
  EXPECT_NE(Error("seen_at", std::string("2024-05-01T08:30:00Z")), "");
}

TEST_F(CheckValuesTest, SelectMultipleTotalBytes) {
  limits_.max_value_bytes = 8;
  EXPECT_EQ(Error("goods", std::vector<std::string>{"food", "fuel"}), "");  // 8 bytes
  EXPECT_THAT(Error("goods", std::vector<std::string>{"food", "medicine"}), HasSubstr("too long"));
}

TEST_F(CheckValuesTest, Dates) {
  for (const char* good : {"2024-02-29", "2000-02-29", "2023-12-31", "1999-01-01"}) {
    EXPECT_EQ(Error("visit_date", std::string(good)), "") << good;
  }
  for (const char* bad : {"2023-02-29", "1900-02-29", "2024-04-31", "2024-13-01", "2024-00-10",
                          "2024-01-00", "2024-4-01", "2024-04-1", "20240401", "2024/04/01",
                          "2024-04-01T00:00:00Z", "2024-04-01 ", "", "yesterday"}) {
    EXPECT_EQ(Error("visit_date", std::string(bad)), "not a valid date (YYYY-MM-DD)") << bad;
  }
}

TEST_F(CheckValuesTest, Datetimes) {
  for (const char* good :
       {"2024-05-01T08:30:00Z", "2024-05-01T08:30:00.1Z", "2024-05-01T08:30:00.123456789Z",
        "2024-05-01T08:30:00+03:00", "2024-05-01T23:59:59-05:30", "2024-02-29T00:00:00Z",
        "2016-12-31T23:59:60Z"}) {
    EXPECT_EQ(Error("seen_at", std::string(good)), "") << good;
  }
  for (const char* bad :
       {"2024-05-01", "2024-05-01 08:30:00Z", "2024-05-01T08:30:00", "2024-05-01T08:30Z",
        "2024-05-01T24:00:00Z", "2024-05-01T08:60:00Z", "2024-05-01T08:30:61Z",
        "2023-02-29T08:00:00Z", "2024-05-01T08:30:00.Z", "2024-05-01T08:30:00.1234567890Z",
        "2024-05-01T08:30:00+0300", "2024-05-01T08:30:00+24:00", "2024-05-01T08:30:00+03:60",
        "2024-05-01T08:30:00Zjunk", "2024-05-01T08:30:00+03:00x", "2024-05-01t08:30:00Z", ""}) {
    EXPECT_THAT(Error("seen_at", std::string(bad)), HasSubstr("not a valid datetime")) << bad;
  }
}

TEST_F(CheckValuesTest, IntegerBounds) {
  EXPECT_EQ(Error("age", int64_t{0}), "");
  EXPECT_EQ(Error("age", int64_t{120}), "");
  EXPECT_EQ(Error("age", int64_t{-1}), "must be at least 0");
  EXPECT_EQ(Error("age", int64_t{121}), "must be at most 120");
}

TEST_F(CheckValuesTest, DecimalBoundsAndFinite) {
  EXPECT_EQ(Error("weight", 500.0), "");
  EXPECT_EQ(Error("weight", 500.5), "must be at most 500");
  EXPECT_EQ(Error("weight", -0.5), "must be at least 0");
  EXPECT_EQ(Error("weight", std::numeric_limits<double>::quiet_NaN()), "must be a finite number");
  EXPECT_EQ(Error("weight", std::numeric_limits<double>::infinity()), "must be a finite number");
}

TEST_F(CheckValuesTest, DecimalBoundsFormatted) {
  Form form = ValidForm();
  Find(form, "weight")->max = 2.5;
  auto schema = MustCompile(form);
  auto errors = schema->CheckValues({{"weight", 3.0}}, limits_);
  ASSERT_EQ(errors.size(), 1u);
  EXPECT_EQ(errors[0].description, "must be at most 2.5");
}

TEST_F(CheckValuesTest, StringLengthBounds) {
  EXPECT_EQ(Error("name", std::string("Al")), "");
  EXPECT_EQ(Error("name", std::string(10, 'a')), "");
  EXPECT_EQ(Error("name", std::string("A")), "must be at least 2 characters long");
  EXPECT_EQ(Error("name", std::string(11, 'a')), "must be at most 10 characters long");
  // Length counts characters, not UTF-8 bytes: ten two-byte letters are ten characters.
  std::string arabic;
  for (int i = 0; i < 10; ++i) arabic += "\xd8\xb9";  // U+0639
  EXPECT_EQ(Error("name", arabic), "");
  EXPECT_EQ(Error("name", arabic + "\xd8\xb9"), "must be at most 10 characters long");
}

TEST_F(CheckValuesTest, RegexIsFullMatch) {
  EXPECT_EQ(Error("code", std::string("ABC")), "");
  EXPECT_EQ(Error("code", std::string("ABCD")), "must match the pattern [A-Z]{3}");
  EXPECT_NE(Error("code", std::string("xABC")), "");
  EXPECT_NE(Error("code", std::string("abc")), "");
}

TEST_F(CheckValuesTest, SelectOne) {
  EXPECT_EQ(Error("direction", std::string("exit")), "");
  EXPECT_EQ(Error("direction", std::string("both")), "must be one of: entry, exit");
  EXPECT_EQ(Error("direction", std::string("")), "must be one of: entry, exit");
}

TEST_F(CheckValuesTest, SelectOneMessageListsAtMostTwentyChoices) {
  Form form = ValidForm();
  auto& choices = Find(form, "direction")->choices;
  choices.clear();
  for (int i = 0; i < 30; ++i) choices.push_back("c" + std::to_string(i));
  auto schema = MustCompile(form);
  auto errors = schema->CheckValues({{"direction", std::string("zz")}}, limits_);
  ASSERT_EQ(errors.size(), 1u);
  EXPECT_THAT(errors[0].description, HasSubstr("c19, ... (30 choices)"));
  EXPECT_THAT(errors[0].description, ::testing::Not(HasSubstr("c20")));
}

TEST_F(CheckValuesTest, SelectMultiple) {
  using List = std::vector<std::string>;
  EXPECT_EQ(Error("goods", List{"medicine"}), "");
  EXPECT_EQ(Error("goods", List{"fuel", "food"}), "");
  EXPECT_THAT(Error("goods", List{"food", "gold"}), HasSubstr("\"gold\""));
  EXPECT_THAT(Error("goods", List{"food", "gold"}), HasSubstr("food, fuel, medicine"));
  EXPECT_EQ(Error("goods", List{"food", "food"}), "contains \"food\" more than once");
  EXPECT_EQ(Error("goods", List{}), "must have at least 1 choices");
  EXPECT_EQ(Error("goods", List{"food", "fuel", "medicine"}), "must have at most 2 choices");
}

TEST_F(CheckValuesTest, Geopoint) {
  const double nan = std::numeric_limits<double>::quiet_NaN();
  EXPECT_EQ(Error("location", GeoPoint{90, 180}), "");
  EXPECT_EQ(Error("location", GeoPoint{-90, -180}), "");
  EXPECT_EQ(Error("location", GeoPoint{90.5, 0}), "latitude must be between -90 and 90");
  EXPECT_EQ(Error("location", GeoPoint{-91, 0}), "latitude must be between -90 and 90");
  EXPECT_EQ(Error("location", GeoPoint{0, 180.1}), "longitude must be between -180 and 180");
  EXPECT_EQ(Error("location", GeoPoint{0, -181}), "longitude must be between -180 and 180");
  EXPECT_NE(Error("location", GeoPoint{nan, 0}), "");
  EXPECT_NE(Error("location", GeoPoint{0, nan}), "");
  EXPECT_NE(Error("location", GeoPoint{0, std::numeric_limits<double>::infinity()}), "");
}

TEST_F(CheckValuesTest, ErrorsSortedByFieldOnePerField) {
  FieldMap values = {
      {"weight", std::string("heavy")},
      {"age", int64_t{-5}},
      {"zzz", true},
      {"name", std::monostate{}},
      {"consent", true},  // valid
      // An unknown choice, a repeat and too many choices: still one error for the field.
      {"goods", std::vector<std::string>{"gold", "gold", "food"}},
  };
  auto errors = schema_->CheckValues(values, limits_);
  std::vector<std::string> fields;
  for (const auto& e : errors) fields.push_back(e.field);
  EXPECT_THAT(fields, ElementsAre("age", "goods", "name", "weight", "zzz"));
}

// ---- Whole records and scope ---------------------------------------------------------

TEST(FormSchemaTest, CheckRequired) {
  auto schema = MustCompile(ValidForm());
  EXPECT_THAT(schema->CheckRequired({}),
              ElementsAre(FieldError{"direction", "required"}, FieldError{"name", "required"}));
  EXPECT_THAT(
      schema->CheckRequired({{"name", std::string("Amal")}, {"direction", std::monostate{}}}),
      ElementsAre(FieldError{"direction", "required"}));
  EXPECT_THAT(
      schema->CheckRequired({{"name", std::string("Amal")}, {"direction", std::string("exit")}}),
      IsEmpty());
}

TEST(FormSchemaTest, ScopeOf) {
  Form form = ValidForm();
  form.scope_fields = {"team", "governorate", "direction"};
  auto schema = MustCompile(form);
  FieldMap fields = {{"governorate", std::string("Basra")},
                     {"team", int64_t{7}},
                     {"direction", std::monostate{}},
                     {"name", std::string("Amal")}};
  EXPECT_THAT(schema->ScopeOf(fields),
              ElementsAre(ScopePair{"team", "7"}, ScopePair{"governorate", "Basra"}));
  EXPECT_THAT(schema->ScopeOf({}), IsEmpty());
}

TEST(FormSchemaTest, SchemaIsUsableAfterSourceFormIsGone) {
  std::shared_ptr<const FormSchema> schema;
  {
    Form form = ValidForm();
    schema = MustCompile(form);
  }
  EXPECT_EQ(schema->CheckValues({{"code", std::string("abc")}}, RecordLimits{}).size(), 1u);
}

}  // namespace
}  // namespace fieldsync
