#include "server/forms/pseudonymizer.h"

#include <fstream>
#include <string>

#include "absl/strings/escaping.h"
#include "gmock/gmock.h"
#include "gtest/gtest.h"
#include "tests/testing/temp_dir.h"

namespace fieldsync {
namespace {

using ::testing::HasSubstr;
using ::testing::Not;
using ::testing::StartsWith;

const std::string kKey = "0123456789abcdef0123456789abcdef-test-key";

std::unique_ptr<Pseudonymizer> Make(const std::string& key = kKey) {
  auto p = Pseudonymizer::FromKey(key);
  EXPECT_TRUE(p.ok()) << p.status();
  return p.ok() ? std::move(*p) : std::make_unique<Pseudonymizer>();
}

std::string Text(const Value& v) { return std::get<std::string>(v); }

Form CrossingForm() {
  Form f;
  f.form_id = "border_crossing";
  f.version = 1;
  FieldDef bp;
  bp.name = "border_point";
  FieldDef doc;
  doc.name = "document_number";
  doc.pii = true;
  FieldDef age;
  age.name = "birth_year";
  age.type = FieldType::kInt;
  age.pii = true;
  FieldDef notes;
  notes.name = "notes";
  f.fields = {bp, doc, age, notes};
  return f;
}

TEST(HmacSha256Test, Rfc4231TestCase2) {
  EXPECT_EQ(absl::BytesToHexString(HmacSha256("Jefe", "what do ya want for nothing?")),
            "5bdcc146bf60754e6a042426089575c75a003f089d2739839dec58b964ec3843");
}

TEST(PseudonymizerTest, SameValueSamePseudonymDifferentValueDifferent) {
  auto p = Make();
  const std::string a = Text(p->Pseudonymize(std::string("AB1234567")));
  EXPECT_EQ(a, Text(p->Pseudonymize(std::string("AB1234567"))));
  EXPECT_NE(a, Text(p->Pseudonymize(std::string("AB1234568"))));
  EXPECT_THAT(a, StartsWith("h:" + p->key_id() + ":"));
  EXPECT_EQ(a.size(), 54u);
  EXPECT_THAT(a, Not(HasSubstr("1234567")));
  EXPECT_TRUE(p->IsPseudonym(a));
}

TEST(PseudonymizerTest, NormalisesWhitespaceAndAsciiCase) {
  auto p = Make();
  const Value want = p->Pseudonymize(std::string("ab 1234567"));
  EXPECT_EQ(p->Pseudonymize(std::string("AB 1234567")), want);
  EXPECT_EQ(p->Pseudonymize(std::string("  Ab \t 1234567\n")), want);
  // Inner whitespace is collapsed, not removed.
  EXPECT_NE(p->Pseudonymize(std::string("ab1234567")), want);
  EXPECT_EQ(NormalizePiiText("  Ab \t 12 "), "ab 12");
  // Non-ASCII bytes are kept as they are (no Unicode case folding).
  EXPECT_EQ(NormalizePiiText("\xC3\x89lodie"), "\xC3\x89lodie");
}

TEST(PseudonymizerTest, KeyDecidesThePseudonym) {
  auto p1 = Make();
  auto p2 = Make(kKey + "-other");
  EXPECT_NE(p1->key_id(), p2->key_id());
  const std::string a1 = Text(p1->Pseudonymize(std::string("AB1234567")));
  const std::string a2 = Text(p2->Pseudonymize(std::string("AB1234567")));
  EXPECT_NE(a1.substr(12), a2.substr(12));
  // A pseudonym of another key is not recognised as one of ours: it is hashed again.
  EXPECT_FALSE(p2->IsPseudonym(a1));
  EXPECT_NE(Text(p2->Pseudonymize(a1)), a1);
}

TEST(PseudonymizerTest, AnExistingPseudonymIsKept) {
  auto p = Make();
  const Value once = p->Pseudonymize(std::string("AB1234567"));
  EXPECT_EQ(p->Pseudonymize(once), once);
  // Something that only looks similar is hashed.
  std::string fake = Text(once);
  fake.back() = '!';
  EXPECT_FALSE(p->IsPseudonym(fake));
  EXPECT_NE(Text(p->Pseudonymize(fake)), fake);
}

TEST(PseudonymizerTest, OtherTypesBecomeTextPseudonymsAndNullStaysNull) {
  auto p = Make();
  const Value year = p->Pseudonymize(int64_t{1990});
  ASSERT_TRUE(std::holds_alternative<std::string>(year));
  EXPECT_TRUE(p->IsPseudonym(Text(year)));
  EXPECT_NE(year, p->Pseudonymize(int64_t{1991}));
  // The int 1990 and the text "1990" are different inputs.
  EXPECT_NE(year, p->Pseudonymize(std::string("1990")));
  EXPECT_TRUE(IsNull(p->Pseudonymize(Value{})));
}

TEST(PseudonymizerTest, ApplyReplacesOnlyPiiFields) {
  auto p = Make();
  FieldMap fields{{"border_point", std::string("BP-001")},
                  {"document_number", std::string("AB1234567")},
                  {"birth_year", int64_t{1990}},
                  {"notes", std::string("AB1234567")}};
  ASSERT_TRUE(p->Apply(CrossingForm(), &fields).ok());
  EXPECT_EQ(Text(fields["border_point"]), "BP-001");
  EXPECT_EQ(Text(fields["notes"]), "AB1234567");  // not marked pii: the form decides
  EXPECT_EQ(fields["document_number"], p->Pseudonymize(std::string("AB1234567")));
  EXPECT_TRUE(p->IsPseudonym(Text(fields["birth_year"])));
}

TEST(PseudonymizerTest, WithoutKeyPiiIsRefusedAndNothingChanges) {
  Pseudonymizer none;
  EXPECT_FALSE(none.has_key());
  absl::Status s = none.CheckForm(CrossingForm());
  EXPECT_EQ(s.code(), absl::StatusCode::kFailedPrecondition);
  EXPECT_THAT(std::string(s.message()), HasSubstr("document_number"));
  EXPECT_THAT(std::string(s.message()), HasSubstr("--pii-key-file"));

  FieldMap fields{{"document_number", std::string("AB1234567")}};
  EXPECT_EQ(none.Apply(CrossingForm(), &fields).code(), absl::StatusCode::kFailedPrecondition);
  EXPECT_EQ(Text(fields["document_number"]), "AB1234567");

  // No pii value present (or a null one): nothing to protect, so it is fine.
  FieldMap others{{"border_point", std::string("BP-001")}, {"document_number", Value{}}};
  EXPECT_TRUE(none.Apply(CrossingForm(), &others).ok());

  Form plain = CrossingForm();
  for (auto& f : plain.fields) f.pii = false;
  EXPECT_TRUE(none.CheckForm(plain).ok());
  EXPECT_TRUE(Make()->CheckForm(CrossingForm()).ok());
}

TEST(PseudonymizerTest, ErrorsOnPiiFieldsDoNotRepeatTheValue) {
  Form form = CrossingForm();
  FieldDef tags;
  tags.name = "aliases";
  tags.type = FieldType::kSelectMultiple;
  tags.pii = true;
  form.fields.push_back(tags);
  FieldMap plain{{"document_number", std::string("AB1234567")},
                 {"aliases", std::vector<std::string>{"Jane Roe"}},
                 {"notes", std::string("free text")}};
  std::vector<FieldError> errors{{"aliases", "contains \"Jane Roe\"; each must be one of: x"},
                                 {"document_number", "must match the pattern [0-9]+"},
                                 {"notes", "contains \"free text\""}};
  Pseudonymizer::ScrubErrors(form, plain, &errors);
  EXPECT_THAT(errors[0].description, Not(HasSubstr("Jane Roe")));
  EXPECT_THAT(errors[0].description, HasSubstr("pii"));
  EXPECT_EQ(errors[1].description, "must match the pattern [0-9]+");  // no value in it
  EXPECT_EQ(errors[2].description, "contains \"free text\"");         // not a pii field
}

TEST(PseudonymizerTest, KeyLengthIsChecked) {
  EXPECT_EQ(Pseudonymizer::FromKey(std::string(31, 'k')).status().code(),
            absl::StatusCode::kInvalidArgument);
  EXPECT_TRUE(Pseudonymizer::FromKey(std::string(32, 'k')).ok());
}

TEST(PseudonymizerTest, KeyFile) {
  testing::TempDir dir;
  EXPECT_EQ(Pseudonymizer::FromKeyFile(dir.Sub("missing")).status().code(),
            absl::StatusCode::kFailedPrecondition);
  { std::ofstream(dir.Sub("short")) << "tooshort-secret\n"; }
  auto short_key = Pseudonymizer::FromKeyFile(dir.Sub("short"));
  EXPECT_EQ(short_key.status().code(), absl::StatusCode::kInvalidArgument);
  EXPECT_THAT(std::string(short_key.status().message()), Not(HasSubstr("tooshort-secret")));
  {
    std::ofstream(dir.Sub("key")) << kKey << "\n";  // as `openssl rand -hex 32 > key` writes
  }
  auto from_file = Pseudonymizer::FromKeyFile(dir.Sub("key"));
  ASSERT_TRUE(from_file.ok()) << from_file.status();
  EXPECT_EQ((*from_file)->Pseudonymize(std::string("x")), Make()->Pseudonymize(std::string("x")));
}

}  // namespace
}  // namespace fieldsync
