// The SDK with questionnaires as field teams write them: roster members as child records
// (CreateChild, Children, a delete that takes the roster with it, sync both ways) and the
// XLSForm checks before an edit is queued (forms/record_checks.h), with the form's messages in
// the chosen language.
#include <memory>
#include <string>
#include <vector>

#include "fieldsync/client.h"
#include "gmock/gmock.h"
#include "gtest/gtest.h"
#include "tests/client/fake_transport.h"
#include "tests/testing/temp_dir.h"

namespace fieldsync::client_test {
namespace {

using client::Client;
using client::Fields;
using ::testing::ElementsAre;
using ::testing::IsEmpty;
using ::testing::SizeIs;

constexpr char kRoster[] = "roster";

// A household with consent, a size shown only with consent (checked, with messages in two
// languages) and a members repeat with a calculate.
Form RosterForm() {
  Form f;
  f.form_id = kRoster;
  f.version = 1;
  f.languages = {"English (en)", "Arabic (ar)"};
  f.default_language = "English (en)";
  auto add = [&](const char* name, FieldType type, const char* group = "") {
    FieldDef d;
    d.name = name;
    d.type = type;
    d.group = group;
    f.fields.push_back(d);
    return &f.fields.back();
  };
  FieldDef* gov = add("governorate", FieldType::kSelectOne);
  gov->choices = {"Ninewa", "Anbar"};
  gov->required = true;
  FieldDef* consent = add("consent", FieldType::kSelectOne);
  consent->choices = {"yes", "no"};
  consent->required = true;
  FieldDef* size = add("hh_size", FieldType::kInt);
  size->required = true;
  size->relevant = "${consent} = 'yes'";
  size->constraint = ". >= 1 and . <= 30";
  size->constraint_message = "Between 1 and 30 people";
  size->constraint_messages = {{"English (en)", "Between 1 and 30 people"},
                               {"Arabic (ar)", "بين 1 و 30 شخصاً"}};
  GroupDef members;
  members.name = "members";
  members.repeat = true;
  f.groups.push_back(members);
  add("name", FieldType::kString, "members")->required = true;
  add("age", FieldType::kInt, "members")->constraint = ". <= 120";
  add("age_months", FieldType::kInt, "members")->calculate = "${age} * 12";
  f.scope_fields = {"governorate"};
  return f;
}

Fields Household(int64_t size) {
  return {
      {"governorate", std::string("Ninewa")}, {"consent", std::string("yes")}, {"hh_size", size}};
}

class ClientChildrenTest : public ::testing::Test {
 protected:
  void SetUp() override { ASSERT_TRUE(server_.forms()->Publish(RosterForm()).ok()); }

  std::unique_ptr<Client> Open(const std::string& name, const std::string& language = "") {
    client::ClientOptions o;
    o.data_dir = dir_.Sub(name);
    o.device_id = name;
    o.seed = 7;
    o.language = language;
    o.now_ms = [this] { return clock_.NowMs(); };
    o.sleep_ms = [](int64_t) {};
    auto c = Client::OpenWithTransport(
        o, std::make_unique<FakeTransport>(&server_, sync_test::InGovernorate(name, "Ninewa"),
                                           &faults_, &calls_));
    EXPECT_TRUE(c.ok()) << c.status();
    if (!c.ok()) return nullptr;
    EXPECT_TRUE((*c)->RefreshForms().ok());
    return *std::move(c);
  }

  testing::TempDir dir_;
  FakeServer server_;
  FakeClock clock_{1'700'000'000'000};
  Faults faults_;
  Calls calls_;
};

TEST_F(ClientChildrenTest, RosterMembersAreChildRecordsThatSyncBothWays) {
  auto tab = Open("tab-1");
  ASSERT_NE(tab, nullptr);
  auto hh = tab->Create(kRoster, Household(2), "hh-1");
  ASSERT_TRUE(hh.ok()) << hh.status();
  auto m1 =
      tab->CreateChild("hh-1", "members", {{"name", std::string("Amal")}, {"age", int64_t{40}}});
  ASSERT_TRUE(m1.ok()) << m1.status();
  auto m2 = tab->CreateChild("hh-1", "members",
                             {{"name", std::string("Omar")}, {"age", int64_t{9}}}, "member-2");
  ASSERT_TRUE(m2.ok()) << m2.status();

  auto children = tab->Children("hh-1");
  ASSERT_TRUE(children.ok()) << children.status();
  ASSERT_THAT(*children, SizeIs(2));
  EXPECT_EQ((*children)[0].record_id, *m1);
  EXPECT_EQ((*children)[0].ordinal, 1u);
  EXPECT_EQ((*children)[1].record_id, "member-2");
  EXPECT_EQ((*children)[1].ordinal, 2u);
  EXPECT_EQ((*children)[1].parent_record_id, "hh-1");
  EXPECT_EQ((*children)[1].repeat, "members");
  // The calculate was filled in before the edit was queued.
  EXPECT_EQ(std::get<int64_t>((*children)[1].fields.at("age_months")), 108);

  auto report = tab->Sync();
  ASSERT_TRUE(report.ok()) << report.status();
  EXPECT_EQ(report->applied, 3u);
  auto stored = server_.store()->GetRecord("member-2");
  ASSERT_TRUE(stored.ok() && stored->has_value());
  EXPECT_EQ((*stored)->parent_record_id, "hh-1");
  EXPECT_EQ((*stored)->ordinal, 2u);

  // Another tablet of the scope pulls the household with its roster.
  auto other = Open("tab-2");
  ASSERT_TRUE(other->Sync().ok());
  auto pulled = other->Children("hh-1");
  ASSERT_TRUE(pulled.ok()) << pulled.status();
  ASSERT_THAT(*pulled, SizeIs(2));
  EXPECT_EQ((*pulled)[1].record_id, "member-2");
  EXPECT_EQ((*pulled)[1].repeat, "members");
  // ... adds a third member, numbered after the pulled ones.
  auto m3 = other->CreateChild("hh-1", "members", {{"name", std::string("Lina")}});
  ASSERT_TRUE(m3.ok()) << m3.status();
  EXPECT_EQ(other->Get(*m3)->ordinal, 3u);
  ASSERT_TRUE(other->Sync().ok());
  EXPECT_TRUE(server_.store()->GetRecord(*m3).value().has_value());
}

TEST_F(ClientChildrenTest, DeletingAHouseholdDeletesItsRosterHereAndOnTheServer) {
  auto tab = Open("tab-1");
  ASSERT_TRUE(tab->Create(kRoster, Household(1), "hh-1").ok());
  ASSERT_TRUE(tab->CreateChild("hh-1", "members", {{"name", std::string("A")}}, "m-1").ok());
  ASSERT_TRUE(tab->Sync().ok());
  ASSERT_TRUE(tab->Delete("hh-1").ok());
  EXPECT_THAT(*tab->Children("hh-1"), IsEmpty());
  EXPECT_THAT(*tab->Children("hh-1", /*include_deleted=*/true), SizeIs(1));
  EXPECT_TRUE(tab->Get("m-1")->deleted);
  ASSERT_TRUE(tab->Sync().ok());
  EXPECT_TRUE(server_.store()->GetRecord("m-1").value()->deleted);
  EXPECT_EQ(tab->CreateChild("hh-1", "members", {{"name", std::string("B")}}).status().code(),
            absl::StatusCode::kNotFound);
}

TEST_F(ClientChildrenTest, BadPlacesAndFieldsAreRefusedBeforeQueueing) {
  auto tab = Open("tab-1");
  ASSERT_TRUE(tab->Create(kRoster, Household(1), "hh-1").ok());
  EXPECT_EQ(tab->CreateChild("nope", "members", {}).status().code(), absl::StatusCode::kNotFound);
  absl::Status no_repeat = tab->CreateChild("hh-1", "hh_size", {}).status();
  EXPECT_EQ(no_repeat.code(), absl::StatusCode::kInvalidArgument);
  EXPECT_EQ(client::FieldErrorsOf(no_repeat)[0].field, "repeat");
  absl::Status root_field =
      tab->CreateChild("hh-1", "members",
                       {{"name", std::string("x")}, {"consent", std::string("yes")}})
          .status();
  ASSERT_EQ(root_field.code(), absl::StatusCode::kInvalidArgument);
  EXPECT_EQ(client::FieldErrorsOf(root_field)[0].field, "consent");
  absl::Status member_field = tab->Create(kRoster, {{"governorate", std::string("Ninewa")},
                                                    {"consent", std::string("no")},
                                                    {"age", int64_t{3}}})
                                  .status();
  EXPECT_EQ(member_field.code(), absl::StatusCode::kInvalidArgument);
  EXPECT_EQ(tab->GetStatus()->pending, 1u);
}

TEST_F(ClientChildrenTest, ConstraintsAreCheckedWithTheFormsMessageInTheChosenLanguage) {
  auto en = Open("tab-en");
  absl::Status s = en->Create(kRoster, Household(45)).status();
  ASSERT_EQ(s.code(), absl::StatusCode::kInvalidArgument);
  EXPECT_THAT(
      client::FieldErrorsOf(s),
      ElementsAre(::testing::Field(&client::FieldError::description, "Between 1 and 30 people")));
  auto ar = Open("tab-ar", "Arabic (ar)");
  s = ar->Create(kRoster, Household(45)).status();
  ASSERT_EQ(s.code(), absl::StatusCode::kInvalidArgument);
  EXPECT_EQ(client::FieldErrorsOf(s)[0].description, "بين 1 و 30 شخصاً");
  // A member constraint without a message.
  ASSERT_TRUE(en->Create(kRoster, Household(3), "hh-1").ok());
  s = en->CreateChild("hh-1", "members", {{"name", std::string("x")}, {"age", int64_t{130}}})
          .status();
  ASSERT_EQ(s.code(), absl::StatusCode::kInvalidArgument);
  EXPECT_EQ(client::FieldErrorsOf(s)[0].field, "age");
  EXPECT_EQ(en->GetStatus()->pending, 1u);  // only the household was queued
}

TEST_F(ClientChildrenTest, RequiredOnlyWhenRelevantAndHiddenValuesAreClearedInTheSameEdit) {
  auto tab = Open("tab-1");
  // hh_size is required only with consent.
  EXPECT_EQ(tab->Create(kRoster,
                        {{"governorate", std::string("Ninewa")}, {"consent", std::string("yes")}})
                .status()
                .code(),
            absl::StatusCode::kInvalidArgument);
  ASSERT_TRUE(tab->Create(kRoster,
                          {{"governorate", std::string("Ninewa")}, {"consent", std::string("no")}},
                          "hh-0")
                  .ok());
  ASSERT_TRUE(tab->Create(kRoster, Household(4), "hh-1").ok());
  ASSERT_TRUE(tab->Sync().ok());
  // Consent withdrawn: hh_size is hidden now, and the same edit clears it.
  ASSERT_TRUE(tab->Update("hh-1", {{"consent", std::string("no")}}).ok());
  EXPECT_EQ(tab->Get("hh-1")->fields.count("hh_size"), 0u);
  ASSERT_TRUE(tab->Sync().ok());
  auto stored = server_.store()->GetRecord("hh-1").value();
  ASSERT_TRUE(stored.has_value());
  EXPECT_EQ(stored->fields.count("hh_size"), 0u);
  EXPECT_EQ(std::get<std::string>(stored->fields.at("consent")), "no");
}

}  // namespace
}  // namespace fieldsync::client_test
