#include "server/common/model.h"

#include <cstdint>
#include <set>
#include <string>
#include <vector>

#include "gtest/gtest.h"

namespace fieldsync {
namespace {

Mutation BaseMutation() {
  Mutation m;
  m.device_seq = 7;
  m.record_id = "rec-1";
  m.form_id = "displacement_household";
  m.form_version = 1;
  m.base_version = 3;
  m.op = MutationOp::kUpsert;
  m.fields["governorate"] = std::string("Ninewa");
  m.fields["household_size"] = int64_t{5};
  m.hlc = Hlc{1'700'000'000'000, 2, "tab-1"};
  return m;
}

TEST(ContentHashTest, IsStableHexSha256) {
  const std::string h = ContentHash(BaseMutation());
  EXPECT_EQ(h.size(), 64u);
  EXPECT_EQ(h.find_first_not_of("0123456789abcdef"), std::string::npos);
  EXPECT_EQ(ContentHash(BaseMutation()), h);
  // A copy built in another order hashes the same (fields are an ordered map).
  Mutation m;
  m.fields["household_size"] = int64_t{5};
  m.fields["governorate"] = std::string("Ninewa");
  m.record_id = "rec-1";
  m.form_id = "displacement_household";
  EXPECT_EQ(ContentHash(m), h);
}

TEST(ContentHashTest, IgnoresDeliveryMetadata) {
  const std::string h = ContentHash(BaseMutation());
  Mutation m = BaseMutation();
  m.device_seq = 99;
  EXPECT_EQ(ContentHash(m), h) << "device_seq must not be part of the content";
  m = BaseMutation();
  m.base_version = 0;
  EXPECT_EQ(ContentHash(m), h) << "base_version must not be part of the content";
  m = BaseMutation();
  m.hlc = Hlc{1, 0, "other-device"};
  EXPECT_EQ(ContentHash(m), h) << "hlc must not be part of the content";
}

TEST(ContentHashTest, SensitiveToContent) {
  const Mutation base = BaseMutation();
  std::vector<Mutation> variants;
  {
    Mutation m = base;
    m.record_id = "rec-2";
    variants.push_back(m);
  }
  {
    Mutation m = base;
    m.form_id = "border_crossing";
    variants.push_back(m);
  }
  {
    Mutation m = base;
    m.op = MutationOp::kDelete;
    variants.push_back(m);
  }
  {
    Mutation m = base;
    m.fields["household_size"] = int64_t{6};
    variants.push_back(m);
  }
  {
    Mutation m = base;
    m.fields["household_size"] = std::string("5");  // same text, other kind
    variants.push_back(m);
  }
  {
    Mutation m = base;
    m.fields["household_size"] = Value{};  // cleared instead of set
    variants.push_back(m);
  }
  {
    Mutation m = base;
    m.fields.erase("household_size");
    variants.push_back(m);
  }
  {
    Mutation m = base;
    m.fields["team"] = std::string("T1");
    variants.push_back(m);
  }
  {
    Mutation m = base;
    m.fields.erase("household_size");
    m.fields["household_siz"] = int64_t{5};  // renamed field
    variants.push_back(m);
  }
  std::set<std::string> hashes{ContentHash(base)};
  for (size_t i = 0; i < variants.size(); ++i) {
    EXPECT_TRUE(hashes.insert(ContentHash(variants[i])).second) << "variant " << i;
  }
}

TEST(ContentHashTest, FieldBoundariesMatter) {
  // ("ab" = "c") and ("a" = "bc") must not collide; nor record/form id boundaries.
  Mutation a;
  a.record_id = "r";
  a.form_id = "f";
  a.fields["ab"] = std::string("c");
  Mutation b = a;
  b.fields.clear();
  b.fields["a"] = std::string("bc");
  EXPECT_NE(ContentHash(a), ContentHash(b));

  Mutation c;
  c.record_id = "ab";
  c.form_id = "c";
  Mutation d;
  d.record_id = "a";
  d.form_id = "bc";
  EXPECT_NE(ContentHash(c), ContentHash(d));
}

TEST(HlcTest, OrderedByPhysicalThenLogicalThenDevice) {
  EXPECT_LT((Hlc{1, 9, "z"}), (Hlc{2, 0, "a"}));
  EXPECT_LT((Hlc{5, 1, "z"}), (Hlc{5, 2, "a"}));
  EXPECT_LT((Hlc{5, 1, "tab-a"}), (Hlc{5, 1, "tab-b"}));
  EXPECT_FALSE((Hlc{5, 1, "tab-a"}) < (Hlc{5, 1, "tab-a"}));
  EXPECT_EQ((Hlc{5, 1, "tab-a"}), (Hlc{5, 1, "tab-a"}));
}

TEST(ModelTest, OutcomeNames) {
  EXPECT_STREQ(OutcomeName(Outcome::kApplied), "APPLIED");
  EXPECT_STREQ(OutcomeName(Outcome::kMerged), "MERGED");
  EXPECT_STREQ(OutcomeName(Outcome::kConflict), "CONFLICT");
  EXPECT_STREQ(OutcomeName(Outcome::kRejected), "REJECTED");
  EXPECT_STREQ(OutcomeName(Outcome::kDuplicate), "DUPLICATE");
  EXPECT_STREQ(OutcomeName(Outcome::kOutOfOrder), "OUT_OF_ORDER");
}

TEST(ModelTest, RoleNamesRoundTrip) {
  for (Role r : {Role::kEnumerator, Role::kBorderOfficer, Role::kSupervisor, Role::kAdmin,
                 Role::kFeedReader}) {
    auto parsed = ParseRole(RoleName(r));
    ASSERT_TRUE(parsed.has_value()) << RoleName(r);
    EXPECT_EQ(*parsed, r);
  }
  EXPECT_FALSE(ParseRole("").has_value());
  EXPECT_FALSE(ParseRole("Admin").has_value());
  EXPECT_FALSE(ParseRole("root").has_value());
}

TEST(ModelTest, FindField) {
  Form form;
  for (const char* name : {"a", "b"}) {
    FieldDef f;
    f.name = name;
    form.fields.push_back(f);
  }
  ASSERT_NE(form.FindField("b"), nullptr);
  EXPECT_EQ(form.FindField("b")->name, "b");
  EXPECT_EQ(form.FindField("c"), nullptr);
}

}  // namespace
}  // namespace fieldsync
