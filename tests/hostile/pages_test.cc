// Every paged answer is cut by bytes as well as by count, so that whatever the server stores
// can be listed under its own send limit: two quarantined mutations of 2.5 MB each (default
// 4 MiB limit) are listed with the default page size, one per page.
#include <memory>
#include <string>
#include <vector>

#include "fieldsync/v1/admin.grpc.pb.h"
#include "gtest/gtest.h"
#include "tests/testing/server_process.h"
#include "tests/testing/server_test.h"
#include "tests/testing/test_client.h"

namespace fieldsync::testing {
namespace {

constexpr size_t kBigValue = 2'500'000;

class PagesTest : public ServerTest {};

TEST_F(PagesTest, LargeQuarantinedMutationsAreListedWithTheDefaultPageSize) {
  server_ = std::make_unique<ServerProcess>(dir_.Sub("db"));
  const std::string tablet =
      server_->AddDevice({"tab-ninewa", "enumerator", {"governorate=Ninewa"}});
  const std::string admin = server_->AddDevice({"admin", "admin", {}, true});
  ASSERT_TRUE(server_->Start()) << server_->log();

  // Over --max-value-bytes: REJECTED, and kept whole in quarantine. One per batch, since two
  // would not fit in one message.
  for (uint64_t seq : {1, 2}) {
    v1::Mutation m = HouseholdCreate(seq, "big-" + std::to_string(seq), "Ninewa");
    (*m.mutable_fields())["district"] = Text(std::string(kBigValue, 'a' + seq));
    std::vector<v1::Receipt> receipts;
    grpc::Status s = Client(tablet).PushOne({m}, &receipts);
    ASSERT_TRUE(s.ok()) << s.error_message();
    ASSERT_EQ(receipts.size(), 1u);
    EXPECT_EQ(receipts[0].outcome(), v1::REJECTED);
  }

  auto channel = Client(admin).channel();
  auto stub = v1::AdminService::NewStub(channel);
  std::vector<v1::QuarantinedMutation> listed;
  std::string token;
  int pages = 0;
  do {
    v1::ListQuarantineRequest req;  // default page size
    req.set_page_token(token);
    v1::ListQuarantineResponse resp;
    grpc::ClientContext ctx;
    ctx.AddMetadata("authorization", "Bearer " + admin);
    grpc::Status s = stub->ListQuarantine(&ctx, req, &resp);
    ASSERT_TRUE(s.ok()) << s.error_message();
    ASSERT_GT(resp.entries_size(), 0);
    for (const auto& e : resp.entries()) listed.push_back(e);
    token = resp.next_page_token();
    ASSERT_LE(++pages, 3);
  } while (!token.empty());
  ASSERT_EQ(listed.size(), 2u);
  EXPECT_EQ(pages, 2);
  for (size_t i = 0; i < listed.size(); ++i) {
    EXPECT_EQ(listed[i].mutation().record_id(), "big-" + std::to_string(i + 1));
    EXPECT_EQ(listed[i].mutation().fields().at("district").text().size(), kBigValue);
  }
}

}  // namespace
}  // namespace fieldsync::testing
