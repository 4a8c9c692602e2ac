// XLSForms over real gRPC: fieldsyncd loads the .xlsx examples of its forms dir at start,
// PublishForm takes an .xlsx's bytes (converted on the server, errors naming the cell, a
// size bound), and devices read the v2 form back.
#include <fstream>
#include <map>
#include <sstream>
#include <string>

#include "gmock/gmock.h"
#include "gtest/gtest.h"
#include "tests/testing/server_test.h"
#include "tests/testing/test_client.h"

namespace fieldsync::testing {
namespace {

using ::testing::HasSubstr;

std::string ReadExample(const std::string& file) {
  std::ifstream in(std::string(FIELDSYNC_SOURCE_DIR) + "/deploy/forms/" + file, std::ios::binary);
  std::stringstream ss;
  ss << in.rdbuf();
  return ss.str();
}

class XlsFormIntegrationTest : public ServerTest {
 protected:
  void SetUp() override {
    // A message bound above the converter's 10 MiB, so the converter's own bound is what a
    // too-large workbook meets.
    server_ = std::make_unique<ServerProcess>(
        dir_.Sub("data"), std::vector<std::string>{"--max-message-bytes", "16777216"});
    admin_token_ = server_->AddDevice({"admin", "admin", {}, true});
    tablet_token_ = server_->AddDevice({"tab-1", "enumerator", {"governorate=ninewa"}});
    ASSERT_TRUE(server_->Start()) << server_->log();
  }

  grpc::Status Publish(const std::string& xlsx, v1::PublishFormResponse* resp,
                       const std::string& form_id = "", uint32_t version = 0) {
    TestClient admin = Client(admin_token_);
    v1::PublishFormRequest req;
    req.set_xlsx(xlsx);
    req.set_form_id(form_id);
    req.set_version(version);
    return admin.forms()->PublishForm(admin.Context().get(), req, resp);
  }

  std::string admin_token_, tablet_token_;
};

TEST_F(XlsFormIntegrationTest, ExamplesLoadedAtStartAndPublishedAsXlsx) {
  TestClient tablet = Client(tablet_token_);
  v1::GetFormRequest get;
  get.set_form_id("dtm_household");
  v1::Form form;
  ASSERT_TRUE(tablet.forms()->GetForm(tablet.Context().get(), get, &form).ok());
  EXPECT_EQ(form.languages_size(), 3);
  bool roster = false;
  for (const auto& g : form.groups()) roster = roster || (g.name() == "members" && g.repeat());
  EXPECT_TRUE(roster);

  // The same workbook again is the same definition: no new version.
  v1::PublishFormResponse resp;
  grpc::Status s = Publish(ReadExample("dtm_household.xlsx"), &resp);
  ASSERT_TRUE(s.ok()) << s.error_message();
  EXPECT_FALSE(resp.created());
  EXPECT_EQ(resp.form_id(), "dtm_household");
  // Under another version it is published.
  s = Publish(ReadExample("border_flow_monitoring.xlsx"), &resp, "", 2026120299);
  ASSERT_TRUE(s.ok()) << s.error_message();
  EXPECT_TRUE(resp.created());
  EXPECT_EQ(resp.version(), 2026120299u);
  // Only admins publish.
  v1::PublishFormRequest req;
  req.set_xlsx(ReadExample("dtm_household.xlsx"));
  EXPECT_EQ(tablet.forms()->PublishForm(tablet.Context().get(), req, &resp).error_code(),
            grpc::StatusCode::PERMISSION_DENIED);
}

// A dtm_household mutation (the example's version) from `device`.
v1::Mutation Dtm(uint64_t seq, const std::string& id, uint64_t base,
                 std::map<std::string, v1::Value> fields, const std::string& device) {
  v1::Mutation m;
  m.set_device_seq(seq);
  m.set_record_id(id);
  m.set_form_id("dtm_household");
  m.set_form_version(2026120201);
  m.set_base_version(base);
  m.set_op(v1::Mutation::UPSERT);
  for (auto& [k, v] : fields) (*m.mutable_fields())[k] = v;
  m.mutable_hlc()->set_physical_ms(1'795'000'000'000 + static_cast<int64_t>(seq));
  m.mutable_hlc()->set_device_id(device);
  return m;
}

v1::Mutation Member(uint64_t seq, const std::string& id, const std::string& parent,
                    uint32_t ordinal, int64_t age, const std::string& device) {
  v1::Mutation m =
      Dtm(seq, id, 0, {{"sex", Text("female")}, {"age", Int(age)}, {"relationship", Text("child")}},
          device);
  m.set_parent_record_id(parent);
  m.set_repeat("members");
  m.set_ordinal(ordinal);
  return m;
}

// An edit of member `id` from `base`: a child's edit names its parent, repeat and ordinal.
v1::Mutation MemberEdit(uint64_t seq, const std::string& id, const std::string& parent,
                        uint32_t ordinal, uint64_t base, int64_t age, const std::string& device) {
  v1::Mutation m = Dtm(seq, id, base, {{"age", Int(age)}}, device);
  m.set_parent_record_id(parent);
  m.set_repeat("members");
  m.set_ordinal(ordinal);
  return m;
}

TEST_F(XlsFormIntegrationTest, RosterRecordsAndServerChecksOverGrpc) {
  TestClient tab = Client(tablet_token_);
  const std::map<std::string, v1::Value> household = {{"visit_date", Text("2026-11-20")},
                                                      {"governorate", Text("ninewa")},
                                                      {"district", Text("mosul")},
                                                      {"consent", Text("yes")},
                                                      {"hh_size", Int(3)},
                                                      {"children_under_5", Int(1)}};
  std::map<std::string, v1::Value> too_many = household;
  too_many["children_under_5"] = Int(4);  // more than the household size
  std::vector<v1::Receipt> receipts;
  // A client that skipped the SDK's checks: the server re-checks and quarantines with the
  // form's message. A member before its household: refused, replayable.
  ASSERT_TRUE(
      tab.PushOne(
             {Dtm(1, "hh-bad", 0, too_many, "tab-1"), Member(2, "m-early", "hh-1", 1, 30, "tab-1"),
              Dtm(3, "hh-1", 0, household, "tab-1"), Member(4, "m-1", "hh-1", 1, 30, "tab-1"),
              Member(5, "m-2", "hh-1", 2, 3, "tab-1")},
             &receipts)
          .ok());
  ASSERT_EQ(receipts.size(), 5u);
  EXPECT_EQ(receipts[0].outcome(), v1::REJECTED);
  ASSERT_EQ(receipts[0].errors_size(), 1);
  EXPECT_EQ(receipts[0].errors(0).field(), "children_under_5");
  EXPECT_EQ(receipts[0].errors(0).description(),
            "Children under 5 cannot be more than the household size");
  EXPECT_EQ(receipts[1].outcome(), v1::REJECTED);
  EXPECT_EQ(receipts[1].errors(0).field(), "parent_record_id");
  for (int i = 2; i < 5; ++i) EXPECT_EQ(receipts[i].outcome(), v1::APPLIED) << i;

  // Another device edits one member while the tablet edits another, both from the same
  // versions: member by member, no conflict.
  TestClient admin = Client(admin_token_);
  receipts.clear();  // PushOne appends
  ASSERT_TRUE(admin.PushOne({MemberEdit(1, "m-1", "hh-1", 1, 1, 31, "admin")}, &receipts).ok());
  EXPECT_EQ(receipts[0].outcome(), v1::APPLIED);
  receipts.clear();
  ASSERT_TRUE(tab.PushOne({MemberEdit(6, "m-2", "hh-1", 2, 1, 4, "tab-1")}, &receipts).ok());
  EXPECT_EQ(receipts[0].outcome(), v1::APPLIED);

  // Deleting the household deletes its roster in the same write: a pull shows the tombstones.
  v1::Mutation del = Dtm(7, "hh-1", 1, {}, "tab-1");
  del.set_op(v1::Mutation::DELETE);
  receipts.clear();
  ASSERT_TRUE(tab.PushOne({del}, &receipts).ok());
  EXPECT_EQ(receipts[0].outcome(), v1::APPLIED);
  std::map<std::string, v1::RecordState> pulled;
  for (const auto& r : tab.Pull("").records) pulled[r.record_id()] = r;
  ASSERT_EQ(pulled.count("m-1"), 1u);
  EXPECT_TRUE(pulled["m-1"].deleted());
  EXPECT_TRUE(pulled["m-2"].deleted());
  EXPECT_EQ(pulled["m-2"].parent_record_id(), "hh-1");
  EXPECT_EQ(pulled.count("hh-bad"), 0u);
  EXPECT_EQ(pulled.count("m-early"), 0u);
}

TEST_F(XlsFormIntegrationTest, BadWorkbooksAreRefusedWithTheirCell) {
  v1::PublishFormResponse resp;
  grpc::Status s = Publish("PK not really a zip", &resp);
  EXPECT_EQ(s.error_code(), grpc::StatusCode::INVALID_ARGUMENT);
  // A form and an xlsx together are refused.
  TestClient admin = Client(admin_token_);
  v1::PublishFormRequest both;
  both.set_xlsx(ReadExample("dtm_household.xlsx"));
  both.mutable_form()->set_form_id("x");
  s = admin.forms()->PublishForm(admin.Context().get(), both, &resp);
  EXPECT_EQ(s.error_code(), grpc::StatusCode::INVALID_ARGUMENT);
  EXPECT_THAT(s.error_message(), HasSubstr("not both"));
  // Past the converter's 10 MiB bound.
  s = Publish(std::string((10 << 20) + 1, 'x'), &resp);
  EXPECT_EQ(s.error_code(), grpc::StatusCode::RESOURCE_EXHAUSTED);
  EXPECT_THAT(s.error_message(), HasSubstr("at most 10485760"));
}

}  // namespace
}  // namespace fieldsync::testing
