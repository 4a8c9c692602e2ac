// PushCore with pii fields: validation sees the plaintext, everything stored sees pseudonyms.
#include <string>
#include <vector>

#include "gmock/gmock.h"
#include "gtest/gtest.h"
#include "server/forms/pseudonymizer.h"
#include "tests/sync/sync_fixture.h"

namespace fieldsync::sync_test {
namespace {

using ::testing::HasSubstr;

constexpr char kTraveller[] = "traveller_log";

class PushPiiTest : public SyncFixture {
 protected:
  void SetUp() override {
    SyncFixture::SetUp();
    Form form = CrossingForm();
    form.form_id = kTraveller;
    FieldDef doc = Field("document_number", FieldType::kString);
    doc.pii = true;
    doc.regex = "[A-Za-z0-9 -]{4,20}";
    form.fields.push_back(doc);
    ASSERT_TRUE(forms_->Publish(form).ok());
    auto p = Pseudonymizer::FromKey(std::string(40, 'k'));
    ASSERT_TRUE(p.ok());
    pseudonymizer_ = std::move(*p);
  }

  Mutation Traveller(uint64_t seq, const std::string& id, const std::string& document,
                     int64_t group_size = 2) {
    FieldMap f = Crossing("BP-001", group_size);
    f["document_number"] = document;
    return Create(seq, id, f, At(1000 + seq, "post-1"), kTraveller);
  }

  std::unique_ptr<Pseudonymizer> pseudonymizer_;
  Device post_ = MakeDevice("post-1", {{"border_point", "BP-001"}});
};

TEST_F(PushPiiTest, WithoutPseudonymizerAPiiValueFailsTheBatchAndStoresNothing) {
  auto r = push_->Push(post_, {Traveller(1, "t-1", "AB123456")}, nullptr);
  EXPECT_EQ(r.status().code(), absl::StatusCode::kFailedPrecondition);
  EXPECT_FALSE(GetRecord("t-1").has_value());
  EXPECT_EQ(State("post-1").acked_seq, 0u);
  // A record of that form without a pii value is fine.
  FieldMap f = Crossing("BP-001");
  EXPECT_EQ(PushNext(post_, Create(0, "t-2", f, At(5, "post-1"), kTraveller)).outcome,
            Outcome::kApplied);
}

TEST_F(PushPiiTest, StoredRecordChangeQuarantineAndHashHoldOnlyPseudonyms) {
  push_->set_pseudonymizer(pseudonymizer_.get());
  const Value pseudonym = pseudonymizer_->Pseudonymize(std::string("AB123456"));
  std::vector<Receipt> r = Push(post_, {Traveller(1, "t-1", "AB123456"),
                                        // invalid group size: quarantined
                                        Traveller(2, "t-2", "CD654321", 0),
                                        // the document itself invalid (regex on plaintext)
                                        Traveller(3, "t-3", "EF#99999")});
  ASSERT_EQ(r.size(), 3u);
  EXPECT_EQ(r[0].outcome, Outcome::kApplied);
  EXPECT_EQ(r[1].outcome, Outcome::kRejected);
  EXPECT_EQ(r[2].outcome, Outcome::kRejected);
  ASSERT_EQ(r[2].errors.size(), 1u);
  EXPECT_EQ(r[2].errors[0].field, "document_number");

  auto rec = GetRecord("t-1");
  ASSERT_TRUE(rec.has_value());
  EXPECT_EQ(rec->fields["document_number"], pseudonym);
  Mutation stored_form = Traveller(1, "t-1", std::get<std::string>(pseudonym));
  EXPECT_EQ(r[0].content_hash, ContentHash(stored_form));
  EXPECT_NE(r[0].content_hash, ContentHash(Traveller(1, "t-1", "AB123456")));
  auto changes = AllChanges();
  ASSERT_EQ(changes.size(), 1u);
  for (const auto& c : changes[0].changes) {
    if (c.field == "document_number") EXPECT_EQ(c.after, pseudonym);
  }
  auto q = Quarantined("post-1");
  ASSERT_EQ(q.size(), 2u);
  for (const auto& e : q) {
    const auto& v = std::get<std::string>(e.mutation.fields.at("document_number"));
    EXPECT_TRUE(pseudonymizer_->IsPseudonym(v)) << v;
    for (const auto& err : e.errors) EXPECT_THAT(err.description, ::testing::Not(HasSubstr("EF#")));
  }
}

TEST_F(PushPiiTest, UnknownFormVersionIsQuarantinedPseudonymisedByTheLatestVersion) {
  push_->set_pseudonymizer(pseudonymizer_.get());
  Mutation m = Traveller(1, "t-9", "AB123456");
  m.form_version = 7;  // not published
  std::vector<Receipt> r = Push(post_, {m});
  ASSERT_EQ(r.size(), 1u);
  EXPECT_EQ(r[0].outcome, Outcome::kRejected);
  auto q = Quarantined("post-1");
  ASSERT_EQ(q.size(), 1u);
  EXPECT_TRUE(pseudonymizer_->IsPseudonym(
      std::get<std::string>(q[0].mutation.fields.at("document_number"))));
}

}  // namespace
}  // namespace fieldsync::sync_test
