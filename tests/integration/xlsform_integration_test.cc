// XLSForms over real gRPC: fieldsyncd loads the .xlsx examples of its forms dir at start,
// PublishForm takes an .xlsx's bytes (converted on the server, errors naming the cell, a
// size bound), and devices read the v2 form back.
#include <fstream>
#include <sstream>
#include <string>

#include "gmock/gmock.h"
#include "gtest/gtest.h"
#include "tests/testing/server_test.h"

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
