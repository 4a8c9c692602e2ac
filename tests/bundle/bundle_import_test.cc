// BundleImporter over an in-memory store: a bundle goes through the same push path as a live
// push, exactly once, with the device's key, status and scopes.
#include "server/sync/bundle_import.h"

#include "gmock/gmock.h"
#include "gtest/gtest.h"
#include "server/audit/audit_log.h"
#include "server/auth/device_registry.h"
#include "server/common/hash.h"
#include "server/convert/convert.h"
#include "tests/sync/sync_fixture.h"

namespace fieldsync {
namespace {

using sync_test::At;
using sync_test::Household;
using ::testing::ElementsAre;
using ::testing::HasSubstr;

class BundleImportTest : public sync_test::SyncFixture {
 protected:
  void SetUp() override {
    SyncFixture::SetUp();
    registry_ = std::make_unique<DeviceRegistry>(store_.get(), &clock_);
    auto tab = registry_->Create("tab-1", Role::kEnumerator, {{"governorate", "Ninewa"}}, false);
    ASSERT_TRUE(tab.ok()) << tab.status();
    tab_ = *tab;
    auto other = registry_->Create("tab-2", Role::kEnumerator, {{"governorate", "Ninewa"}}, false);
    ASSERT_TRUE(other.ok()) << other.status();
    other_ = *other;
    auto audit = AuditLog::Open(store_.get(), &clock_);
    ASSERT_TRUE(audit.ok()) << audit.status();
    audit_ = *std::move(audit);
    importer_ = std::make_unique<BundleImporter>(store_.get(), push_, &clock_);
    importer_->set_audit(audit_.get());
  }

  // The admin importing, as the audit log sees it.
  static AuditContext Who() { return AuditContext{"admin-1", "admin", "req-7"}; }

  std::vector<AuditEntry> AuditEntries() {
    auto list = audit_->List(1, 1000);
    EXPECT_TRUE(list.ok()) << list.status();
    return list.ok() ? *list : std::vector<AuditEntry>{};
  }

  // Household creates with device_seq first..first+n-1 (record "hh-<seq>").
  std::vector<Mutation> Creates(uint64_t first, int n, const std::string& gov = "Ninewa") {
    std::vector<Mutation> out;
    for (int i = 0; i < n; ++i) {
      const uint64_t seq = first + i;
      out.push_back(sync_test::Create(seq, "hh-" + std::to_string(seq), Household(gov, 2 + i),
                                      At(1000 + seq, "tab-1")));
    }
    return out;
  }

  std::string BundleFile(const std::vector<Mutation>& ms, const std::string& token,
                         const std::string& device_id = "tab-1") {
    v1::Bundle b;
    b.set_device_id(device_id);
    b.set_created_ms(clock_.NowMs());
    if (!ms.empty()) {
      b.set_first_device_seq(ms.front().device_seq);
      b.set_last_device_seq(ms.back().device_seq);
    }
    for (const auto& m : ms) convert::ToProto(m, b.add_mutations());
    b.mutable_report()->set_app_version("field-1.0");
    b.mutable_report()->set_outbox_depth(ms.size());
    auto file = bundle::WriteBundle(b, bundle::KeyFromToken(token));
    EXPECT_TRUE(file.ok()) << file.status();
    return file.ok() ? *file : "";
  }

  std::vector<Outcome> Outcomes(const std::vector<Receipt>& rs) {
    std::vector<Outcome> out;
    for (const auto& r : rs) out.push_back(r.outcome);
    return out;
  }

  std::unique_ptr<DeviceRegistry> registry_;
  NewDevice tab_, other_;
  std::unique_ptr<AuditLog> audit_;
  std::unique_ptr<BundleImporter> importer_;
};

TEST_F(BundleImportTest, AppliesOnceAndASecondImportIsAllDuplicate) {
  const std::string file = BundleFile(Creates(1, 3), tab_.token);
  auto first = importer_->Import(file, Who());
  ASSERT_TRUE(first.ok()) << first.status();
  EXPECT_EQ(first->device_id, "tab-1");
  EXPECT_THAT(Outcomes(first->receipts),
              ElementsAre(Outcome::kApplied, Outcome::kApplied, Outcome::kApplied));
  EXPECT_EQ(first->acked_device_seq, 3u);
  auto rec = GetRecord("hh-2");
  ASSERT_TRUE(rec.has_value());
  EXPECT_EQ(rec->version, 1u);
  EXPECT_EQ(rec->last_writer_device, "tab-1");
  EXPECT_EQ(std::get<int64_t>(rec->fields.at("household_size")), 3);
  const uint64_t seq_before = rec->seq;
  const size_t changes_before = AllChanges().size();
  EXPECT_EQ(changes_before, 3u);
  EXPECT_EQ(State("tab-1").report.app_version, "field-1.0");  // the device report applies

  auto second = importer_->Import(file, Who());
  ASSERT_TRUE(second.ok()) << second.status();
  EXPECT_THAT(Outcomes(second->receipts),
              ElementsAre(Outcome::kDuplicate, Outcome::kDuplicate, Outcome::kDuplicate));
  for (size_t i = 0; i < 3; ++i) {
    EXPECT_EQ(second->receipts[i].original_outcome, Outcome::kApplied);
    EXPECT_EQ(second->receipts[i].seq, first->receipts[i].seq);
  }
  EXPECT_EQ(AllChanges().size(), changes_before);
  EXPECT_EQ(GetRecord("hh-2")->seq, seq_before);
  EXPECT_EQ(GetRecord("hh-2")->version, 1u);
}

TEST_F(BundleImportTest, ReceiptsFileIsSignedForTheDeviceAndMatches) {
  const std::string file = BundleFile(Creates(1, 2), tab_.token);
  auto result = importer_->Import(file, Who());
  ASSERT_TRUE(result.ok()) << result.status();
  auto receipts = bundle::ReadReceipts(result->receipts_file, bundle::KeyFromToken(tab_.token));
  ASSERT_TRUE(receipts.ok()) << receipts.status();
  EXPECT_EQ(receipts->device_id(), "tab-1");
  EXPECT_EQ(receipts->acked_device_seq(), 2u);
  EXPECT_EQ(receipts->bundle_sha256(), Sha256Hex(file));
  ASSERT_EQ(receipts->receipts_size(), 2);
  EXPECT_EQ(receipts->receipts(1).device_seq(), 2u);
  EXPECT_EQ(receipts->receipts(1).outcome(), v1::APPLIED);
  EXPECT_EQ(receipts->receipts(1).seq(), result->receipts[1].seq);
  // Another device's key does not open it.
  EXPECT_FALSE(
      bundle::ReadReceipts(result->receipts_file, bundle::KeyFromToken(other_.token)).ok());
}

TEST_F(BundleImportTest, PartAlreadyPushedLiveIsDuplicateTheRestApplies) {
  Device dev = *registry_->Authenticate(tab_.token);
  std::vector<Mutation> all = Creates(1, 4);
  Push(dev, {all[0], all[1]});
  auto result = importer_->Import(BundleFile(all, tab_.token), Who());
  ASSERT_TRUE(result.ok()) << result.status();
  EXPECT_THAT(Outcomes(result->receipts), ElementsAre(Outcome::kDuplicate, Outcome::kDuplicate,
                                                      Outcome::kApplied, Outcome::kApplied));
  EXPECT_EQ(result->acked_device_seq, 4u);
  EXPECT_EQ(AllChanges().size(), 4u);
}

TEST_F(BundleImportTest, AGapBeforeTheBundleIsOutOfOrderAndAppliesNothing) {
  auto result = importer_->Import(BundleFile(Creates(3, 2), tab_.token), Who());
  ASSERT_TRUE(result.ok()) << result.status();
  EXPECT_THAT(Outcomes(result->receipts), ElementsAre(Outcome::kOutOfOrder, Outcome::kOutOfOrder));
  EXPECT_EQ(result->receipts[0].expected_device_seq, 1u);
  EXPECT_EQ(result->acked_device_seq, 0u);
  EXPECT_FALSE(GetRecord("hh-3").has_value());
}

TEST_F(BundleImportTest, BundlesLargerThanAPushBatchAreSplit) {
  PushLimits small;
  small.max_mutations_per_batch = 2;
  MakeCores(small, PullLimits{});
  BundleImporter importer(store_.get(), push_, &clock_);
  importer.set_audit(audit_.get());
  auto result = importer.Import(BundleFile(Creates(1, 5), tab_.token), Who());
  ASSERT_TRUE(result.ok()) << result.status();
  ASSERT_EQ(result->receipts.size(), 5u);
  for (const auto& r : result->receipts) EXPECT_EQ(r.outcome, Outcome::kApplied);
  EXPECT_EQ(result->acked_device_seq, 5u);
}

TEST_F(BundleImportTest, AnotherDevicesSignatureIsRefused) {
  // Claims to be tab-1 but is signed with tab-2's token.
  auto result = importer_->Import(BundleFile(Creates(1, 2), other_.token, "tab-1"), Who());
  EXPECT_EQ(result.status().code(), absl::StatusCode::kInvalidArgument);
  EXPECT_THAT(result.status().message(), HasSubstr("signature does not verify"));
  EXPECT_FALSE(GetRecord("hh-1").has_value());
  EXPECT_EQ(State("tab-1").acked_seq, 0u);
}

TEST_F(BundleImportTest, RevokedDeviceIsRefused) {
  const std::string file = BundleFile(Creates(1, 2), tab_.token);
  ASSERT_TRUE(registry_->Revoke("tab-1").ok());
  auto result = importer_->Import(file, Who());
  EXPECT_EQ(result.status().code(), absl::StatusCode::kFailedPrecondition);
  EXPECT_THAT(result.status().message(), HasSubstr("revoked"));
  EXPECT_FALSE(GetRecord("hh-1").has_value());
}

TEST_F(BundleImportTest, UnknownDeviceIsNotFound) {
  auto result = importer_->Import(BundleFile(Creates(1, 1), tab_.token, "ghost"), Who());
  EXPECT_EQ(result.status().code(), absl::StatusCode::kNotFound);
}

TEST_F(BundleImportTest, TheDevicesScopesAndValidationStillApply) {
  std::vector<Mutation> ms = Creates(1, 3);
  ms[1].fields = Household("Anbar");              // outside tab-1's scope
  ms[2].fields["household_size"] = int64_t{999};  // over the form's max
  auto result = importer_->Import(BundleFile(ms, tab_.token), Who());
  ASSERT_TRUE(result.ok()) << result.status();
  EXPECT_THAT(Outcomes(result->receipts),
              ElementsAre(Outcome::kApplied, Outcome::kRejected, Outcome::kRejected));
  EXPECT_FALSE(GetRecord("hh-2").has_value());
  EXPECT_EQ(Quarantined("tab-1").size(), 2u);
  EXPECT_EQ(result->acked_device_seq, 3u);  // nothing a device sent is dropped
}

TEST_F(BundleImportTest, LimitsOfTheImporterApply) {
  bundle::BundleLimits limits;
  limits.max_mutations = 2;
  BundleImporter importer(store_.get(), push_, &clock_, limits);
  importer.set_audit(audit_.get());
  auto result = importer.Import(BundleFile(Creates(1, 3), tab_.token), Who());
  EXPECT_EQ(result.status().code(), absl::StatusCode::kInvalidArgument);
  EXPECT_THAT(result.status().message(), HasSubstr("over the limit of 2"));
  EXPECT_FALSE(GetRecord("hh-1").has_value());
}

TEST_F(BundleImportTest, AReceiptsFileIsNotImported) {
  v1::BundleReceipts r;
  r.set_device_id("tab-1");
  auto file = bundle::WriteReceipts(r, bundle::KeyFromToken(tab_.token));
  ASSERT_TRUE(file.ok());
  auto result = importer_->Import(*file, Who());
  EXPECT_THAT(result.status().message(), HasSubstr("receipts file, not a bundle"));
}

TEST_F(BundleImportTest, EveryImportIsAuditedWithWhoWhichDeviceAndHowMany) {
  std::vector<Mutation> ms = Creates(1, 3);
  ms[2].fields["household_size"] = int64_t{999};  // rejected
  const std::string file = BundleFile(ms, tab_.token);
  ASSERT_TRUE(importer_->Import(file, Who()).ok());
  ASSERT_TRUE(importer_->Import(file, Who()).ok());  // all duplicate: audited again
  std::vector<AuditEntry> entries = AuditEntries();
  ASSERT_EQ(entries.size(), 2u);
  const AuditEvent& e = entries[0].event;
  EXPECT_EQ(e.action, kAuditBundleImport);
  EXPECT_EQ(e.who.actor_device_id, "admin-1");
  EXPECT_EQ(e.who.actor_role, "admin");
  EXPECT_EQ(e.who.request_id, "req-7");
  EXPECT_EQ(e.target, "tab-1");
  EXPECT_THAT(e.detail, HasSubstr("mutations=3 "));
  EXPECT_THAT(e.detail, HasSubstr("applied=2"));
  EXPECT_THAT(e.detail, HasSubstr("rejected=1"));
  EXPECT_THAT(e.detail, HasSubstr("acked_seq=3"));
  EXPECT_THAT(e.detail, HasSubstr(Sha256Hex(file)));
  EXPECT_THAT(entries[1].event.detail, HasSubstr("duplicate=3"));
}

TEST_F(BundleImportTest, ARefusedImportIsAuditedWithoutItsContent) {
  auto result = importer_->Import(BundleFile(Creates(1, 2), other_.token, "tab-1"), Who());
  ASSERT_EQ(result.status().code(), absl::StatusCode::kInvalidArgument);
  std::vector<AuditEntry> entries = AuditEntries();
  ASSERT_EQ(entries.size(), 1u);
  EXPECT_EQ(entries[0].event.action, kAuditBundleImport);
  EXPECT_EQ(entries[0].event.target, "tab-1");
  EXPECT_THAT(entries[0].event.detail, HasSubstr("refused: INVALID_ARGUMENT"));
}

TEST_F(BundleImportTest, WithoutAnAuditLogNothingIsImported) {
  BundleImporter unaudited(store_.get(), push_, &clock_);
  auto result = unaudited.Import(BundleFile(Creates(1, 1), tab_.token), Who());
  EXPECT_EQ(result.status().code(), absl::StatusCode::kInternal);
  EXPECT_FALSE(GetRecord("hh-1").has_value());
}

// Token rotation: a bundle exported before the rotation still imports within the grace
// period (verification only; the old token authenticates nothing), not after it.
TEST_F(BundleImportTest, ABundleSignedBeforeARotationImportsWithinTheGracePeriod) {
  const std::string file = BundleFile(Creates(1, 2), tab_.token);
  auto caller = registry_->Authenticate(tab_.token);
  ASSERT_TRUE(caller.ok()) << caller.status();
  auto rotated = registry_->RotateToken(*caller, Who());
  ASSERT_TRUE(rotated.ok()) << rotated.status();
  EXPECT_EQ(registry_->Authenticate(tab_.token).status().code(),
            absl::StatusCode::kUnauthenticated);

  clock_.AdvanceMs(29LL * 24 * 3600 * 1000);
  auto result = importer_->Import(file, Who());
  ASSERT_TRUE(result.ok()) << result.status();
  EXPECT_THAT(Outcomes(result->receipts), ElementsAre(Outcome::kApplied, Outcome::kApplied));
  // The receipts go back under the device's current token.
  EXPECT_TRUE(
      bundle::ReadReceipts(result->receipts_file, bundle::KeyFromToken(rotated->token)).ok());
  EXPECT_EQ(registry_->Authenticate(tab_.token).status().code(),
            absl::StatusCode::kUnauthenticated);
}

TEST_F(BundleImportTest, AfterTheGracePeriodTheOldKeyNoLongerVerifies) {
  const std::string file = BundleFile(Creates(1, 2), tab_.token);
  ASSERT_TRUE(registry_->RotateToken(*registry_->Authenticate(tab_.token), Who()).ok());
  clock_.AdvanceMs(30LL * 24 * 3600 * 1000);
  auto result = importer_->Import(file, Who());
  EXPECT_EQ(result.status().code(), absl::StatusCode::kInvalidArgument);
  EXPECT_THAT(result.status().message(), HasSubstr("signature does not verify"));
  EXPECT_FALSE(GetRecord("hh-1").has_value());
}

TEST_F(BundleImportTest, OnlyThePreviousTokenIsKeptAndRevocationDropsIt) {
  const std::string two_ago = BundleFile(Creates(1, 1), tab_.token);
  auto first = registry_->RotateToken(*registry_->Authenticate(tab_.token), Who());
  ASSERT_TRUE(first.ok());
  const std::string one_ago = BundleFile(Creates(1, 1), first->token);
  ASSERT_TRUE(registry_->RotateToken(*registry_->Authenticate(first->token), Who()).ok());
  EXPECT_EQ(importer_->Import(two_ago, Who()).status().code(), absl::StatusCode::kInvalidArgument);
  ASSERT_TRUE(importer_->Import(one_ago, Who()).ok());

  ASSERT_TRUE(registry_->Revoke("tab-1").ok());
  auto retired = store_->GetRetiredToken("tab-1");
  ASSERT_TRUE(retired.ok());
  EXPECT_FALSE(retired->has_value());
}

TEST_F(BundleImportTest, WithNoGracePeriodARotationInvalidatesOlderBundles) {
  DeviceRegistryOptions options;
  options.bundle_key_grace_ms = 0;
  DeviceRegistry strict(store_.get(), &clock_, nullptr, options);
  const std::string file = BundleFile(Creates(1, 1), tab_.token);
  ASSERT_TRUE(strict.RotateToken(*strict.Authenticate(tab_.token), Who()).ok());
  EXPECT_EQ(importer_->Import(file, Who()).status().code(), absl::StatusCode::kInvalidArgument);
}

}  // namespace
}  // namespace fieldsync
