// FleetStatus and StatusTracker over an in-memory store with a FakeClock: device views built
// from what PushCore and PullCore record, silent-device detection, filters, pages, overview.
#include "server/admin/fleet_status.h"

#include "gmock/gmock.h"
#include "gtest/gtest.h"
#include "server/common/status.h"
#include "tests/sync/sync_fixture.h"

namespace fieldsync::sync_test {
namespace {

using admin::DeviceStatus;
using ::testing::ElementsAre;
using ::testing::IsEmpty;
using ::testing::SizeIs;

constexpr int64_t kSilentMs = 60'000;

class FleetStatusTest : public SyncFixture {
 protected:
  void SetUp() override {
    SyncFixture::SetUp();
    admin::FleetOptions options;
    options.silent_after_ms = kSilentMs;
    options.default_page = 2;
    options.max_page = 3;
    fleet_ = std::make_unique<admin::FleetStatus>(store_.get(), sequencer_, &clock_, options);
    Device post = MakeDevice("post-1", {{"border_point", "BP-001"}});
    post.role = Role::kBorderOfficer;
    Store::Batch batch;
    for (const Device& d : {tab1_, tab2_, post, AdminDevice()}) batch.PutDevice(d);
    ASSERT_TRUE(store_->Write(batch, true).ok());
  }

  std::map<std::string, admin::DeviceView> ById(const std::vector<admin::DeviceView>& views) {
    std::map<std::string, admin::DeviceView> out;
    for (const auto& v : views) out[v.device.device_id] = v;
    return out;
  }

  std::vector<std::string> Ids(const admin::DevicePage& page) {
    std::vector<std::string> ids;
    for (const auto& v : page.devices) ids.push_back(v.device.device_id);
    return ids;
  }

  const Device tab1_ = InGovernorate("tab-1", "Ninewa");
  const Device tab2_ = InGovernorate("tab-2", "Anbar");
  std::unique_ptr<admin::FleetStatus> fleet_;
};

TEST_F(FleetStatusTest, ViewCarriesWhatPushAndPullRecorded) {
  DeviceReport report;
  report.app_version = "2.1.0";
  report.form_versions = {{kHousehold, 1}};
  report.outbox_depth = 3;
  report.oldest_unsent_age_ms = 90'000;
  report.device_clock_ms = clock_.NowMs() + 1500;
  report.free_storage_bytes = 1 << 30;
  auto receipts =
      push_->Push(tab1_,
                  {Create(1, "r1", Household("Ninewa"), At(1, "tab-1")),
                   Create(2, "r2", Household("Ninewa", 99), At(2, "tab-1"))},  // 99: quarantined
                  &report);
  ASSERT_TRUE(receipts.ok());
  PushNext(tab2_, Create(0, "r3", Household("Anbar"), At(3, "tab-2")));

  auto snapshot = fleet_->Snapshot(0);
  ASSERT_TRUE(snapshot.ok()) << snapshot.status();
  auto views = ById(*snapshot);
  const admin::DeviceView& v = views.at("tab-1");
  EXPECT_EQ(v.device.token_hash, "");
  EXPECT_EQ(v.state.acked_seq, 2u);
  EXPECT_EQ(v.state.last_push_ms, clock_.NowMs());
  EXPECT_EQ(v.state.quarantined, 1u);
  EXPECT_EQ(v.state.report.app_version, "2.1.0");
  EXPECT_EQ(v.state.report.outbox_depth, 3u);
  EXPECT_EQ(v.state.clock_skew_ms, 1500);
  EXPECT_EQ(v.cursor_lag, sequencer_->VisibleHead());  // never pulled
  EXPECT_EQ(v.status, DeviceStatus::kBehind);
  EXPECT_EQ(views.at("post-1").status, DeviceStatus::kSilent);  // never seen

  auto page = pull_->Pull(tab2_, PullQuery{});
  ASSERT_TRUE(page.ok());
  views = ById(*fleet_->Snapshot(0));
  EXPECT_EQ(views.at("tab-2").cursor_lag, 0u);
  EXPECT_EQ(views.at("tab-2").status, DeviceStatus::kInSync);
  EXPECT_EQ(views.at("tab-2").state.last_pull_ms, clock_.NowMs());
}

TEST_F(FleetStatusTest, DeviceTurnsSilentAfterTheThreshold) {
  PushNext(tab1_, Create(0, "r1", Household("Ninewa"), At(1, "tab-1")));
  ASSERT_TRUE(pull_->Pull(tab1_, PullQuery{}).ok());
  EXPECT_EQ(ById(*fleet_->Snapshot(0)).at("tab-1").status, DeviceStatus::kInSync);
  clock_.AdvanceMs(kSilentMs);
  EXPECT_EQ(ById(*fleet_->Snapshot(0)).at("tab-1").status, DeviceStatus::kInSync);
  clock_.AdvanceMs(1);
  EXPECT_EQ(ById(*fleet_->Snapshot(0)).at("tab-1").status, DeviceStatus::kSilent);
  // A request's own threshold overrides the default.
  EXPECT_EQ(ById(*fleet_->Snapshot(kSilentMs * 2)).at("tab-1").status, DeviceStatus::kInSync);
  // Seen again: no longer silent.
  ASSERT_TRUE(pull_->Pull(tab1_, PullQuery{}).ok());
  EXPECT_EQ(ById(*fleet_->Snapshot(0)).at("tab-1").status, DeviceStatus::kInSync);
  EXPECT_EQ(fleet_->Snapshot(-1).status().code(), absl::StatusCode::kInvalidArgument);
}

TEST_F(FleetStatusTest, ListFiltersAndPagesWithACap) {
  PushNext(tab1_, Create(0, "r1", Household("Ninewa"), At(1, "tab-1")));
  auto first = fleet_->List({}, 0, "");  // default page 2
  ASSERT_TRUE(first.ok());
  EXPECT_THAT(Ids(*first), ElementsAre("admin", "post-1"));
  auto second = fleet_->List({}, 0, first->next_page_token);
  ASSERT_TRUE(second.ok());
  EXPECT_THAT(Ids(*second), ElementsAre("tab-1", "tab-2"));
  EXPECT_TRUE(second->next_page_token.empty());
  auto capped = fleet_->List({}, 1000, "");
  EXPECT_THAT(capped->devices, SizeIs(3));  // max_page

  admin::DeviceFilter role;
  role.role = Role::kBorderOfficer;
  EXPECT_THAT(Ids(*fleet_->List(role, 3, "")), ElementsAre("post-1"));
  admin::DeviceFilter scope;
  scope.scope = ScopePair{"governorate", "Ninewa"};
  EXPECT_THAT(Ids(*fleet_->List(scope, 3, "")), ElementsAre("admin", "tab-1"));
  admin::DeviceFilter prefix;
  prefix.id_prefix = "tab-";
  EXPECT_THAT(Ids(*fleet_->List(prefix, 3, "")), ElementsAre("tab-1", "tab-2"));
  admin::DeviceFilter behind;
  behind.status = DeviceStatus::kBehind;
  EXPECT_THAT(Ids(*fleet_->List(behind, 3, "")), ElementsAre("tab-1"));

  auto bad = fleet_->List({}, 0, "not-a-token");
  EXPECT_EQ(bad.status().code(), absl::StatusCode::kInvalidArgument);
  EXPECT_EQ(FieldViolations(bad.status())[0].field, "page_token");
}

TEST_F(FleetStatusTest, ListIsCutByBytes) {
  // A device's report is its own: a long app version makes a large entry.
  DeviceReport report;
  report.app_version = std::string(5000, 'v');
  ASSERT_TRUE(
      push_->Push(tab1_, {Create(1, "r1", Household("Ninewa"), At(1, "tab-1"))}, &report).ok());
  admin::FleetOptions options;
  options.max_page = 10;
  options.max_page_bytes = 4000;  // under tab-1's entry alone; room for two small ones
  admin::FleetStatus fleet(store_.get(), sequencer_, &clock_, options);
  std::vector<std::vector<std::string>> pages;
  std::string token;
  do {
    auto page = fleet.List({}, 0, token);
    ASSERT_TRUE(page.ok()) << page.status();
    pages.push_back(Ids(*page));
    token = page->next_page_token;
    ASSERT_LT(pages.size(), 10u);
  } while (!token.empty());
  EXPECT_THAT(pages, ElementsAre(ElementsAre("admin", "post-1"), ElementsAre("tab-1"),
                                 ElementsAre("tab-2")));
}

TEST_F(FleetStatusTest, OverviewCountsSilentDevicesAndBacklogByScope) {
  DeviceReport report;
  report.outbox_depth = 7;
  report.oldest_unsent_age_ms = 5000;
  ASSERT_TRUE(
      push_->Push(tab1_, {Create(1, "r1", Household("Ninewa", 99), At(1, "tab-1"))}, &report).ok());
  clock_.AdvanceMs(kSilentMs + 1);
  PushNext(tab2_, Create(0, "r2", Household("Anbar"), At(1, "tab-2")));
  auto o = fleet_->GetOverview(0);
  ASSERT_TRUE(o.ok()) << o.status();
  EXPECT_EQ(o->devices, 4u);
  EXPECT_EQ(o->silent, 3u);  // tab-1 (silent now), post-1 and admin (never seen)
  EXPECT_EQ(o->behind, 1u);  // tab-2: its cursor is behind the head
  EXPECT_EQ(o->quarantined, 1u);
  EXPECT_EQ(o->outbox_depth, 7u);
  ASSERT_THAT(o->silent_devices, SizeIs(3));
  EXPECT_EQ(o->silent_devices.back().device.device_id, "tab-1");  // seen once, most recent
  std::map<std::string, admin::ScopeBacklog> by_value;
  for (const auto& b : o->backlog) by_value[b.scope.value] = b;
  EXPECT_EQ(by_value.at("Ninewa").outbox_depth, 7u);
  EXPECT_EQ(by_value.at("Ninewa").quarantined, 1u);
  EXPECT_EQ(by_value.at("Ninewa").silent_devices, 1u);
  EXPECT_EQ(by_value.at("Ninewa").oldest_unsent_age_ms, 5000);
  EXPECT_EQ(by_value.at("Anbar").outbox_depth, 0u);
  EXPECT_EQ(by_value.at("BP-001").devices, 1u);
}

TEST_F(FleetStatusTest, TrackerReportsOnlyChanges) {
  admin::StatusTracker tracker;
  auto first = tracker.Update(*fleet_->Snapshot(0));
  EXPECT_THAT(first, SizeIs(4));
  EXPECT_THAT(tracker.Update(*fleet_->Snapshot(0)), IsEmpty());
  PushNext(tab1_, Create(0, "r1", Household("Ninewa"), At(1, "tab-1")));
  auto changed = tracker.Update(*fleet_->Snapshot(0));
  // tab-1 pushed; every other device's cursor lag grew with the head.
  ASSERT_FALSE(changed.empty());
  EXPECT_EQ(ById({changed[2].view}).count("tab-1"), 1u);
  clock_.AdvanceMs(kSilentMs + 1);
  auto silent = tracker.Update(*fleet_->Snapshot(0));
  ASSERT_THAT(silent, SizeIs(1));
  EXPECT_EQ(silent[0].view.device.device_id, "tab-1");
  EXPECT_EQ(silent[0].view.status, DeviceStatus::kSilent);
  // A device that disappears is reported removed; memory follows the fleet.
  auto snapshot = *fleet_->Snapshot(0);
  snapshot.pop_back();
  auto removed = tracker.Update(snapshot);
  ASSERT_THAT(removed, SizeIs(1));
  EXPECT_TRUE(removed[0].removed);
  EXPECT_EQ(tracker.size(), 3u);
}

}  // namespace
}  // namespace fieldsync::sync_test
