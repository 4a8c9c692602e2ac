// A database written by an earlier release still opens, and reads back entity by entity
// exactly as that release wrote it (testdata/format_v1: the format before storage owned its
// messages; see format_fixture.h for what it holds and make_format_fixture.cc for how it was
// made).
#include <filesystem>
#include <fstream>
#include <sstream>
#include <string>
#include <vector>

#include "absl/strings/str_split.h"
#include "gtest/gtest.h"
#include "server/audit/audit_log.h"
#include "server/auth/device_registry.h"
#include "server/common/clock.h"
#include "server/forms/form_registry.h"
#include "server/storage/keys.h"
#include "server/storage/store.h"
#include "server/sync/sync_engine.h"
#include "tests/storage/store_dump.h"
#include "tests/testing/temp_dir.h"

namespace fieldsync {
namespace {

std::string ReadFile(const std::string& path) {
  std::ifstream in(path);
  std::stringstream s;
  s << in.rdbuf();
  return s.str();
}

class FormatV1Test : public ::testing::Test {
 protected:
  void SetUp() override {
    const std::string fixture = std::string(FIELDSYNC_TESTDATA_DIR) + "/format_v1";
    ASSERT_TRUE(std::filesystem::exists(fixture + "/db/CURRENT")) << fixture;
    // RocksDB writes into the folder it opens: work on a copy, never on the committed files.
    std::filesystem::copy(fixture + "/db", dir_.Sub("db"),
                          std::filesystem::copy_options::recursive);
    expected_ = ReadFile(fixture + "/expected.txt");
    for (const auto& line : absl::StrSplit(ReadFile(fixture + "/tokens.txt"), '\n')) {
      std::vector<std::string> parts = absl::StrSplit(line, ' ');
      if (parts.size() == 2) tokens_[parts[0]] = parts[1];
    }
    StoreOptions options;
    options.path = dir_.Sub("db");
    auto store = Store::Open(options);
    ASSERT_TRUE(store.ok()) << store.status();
    store_ = *std::move(store);
  }

  testing::TempDir dir_;
  std::string expected_;
  std::map<std::string, std::string> tokens_;
  std::unique_ptr<Store> store_;
};

TEST_F(FormatV1Test, EveryEntityReadsBackAsWritten) {
  ASSERT_FALSE(expected_.empty());
  auto dump = storage_test::DumpStore(*store_);
  ASSERT_TRUE(dump.ok()) << dump.status();
  // Line by line, so a failure names the entity that changed.
  std::vector<std::string> want = absl::StrSplit(expected_, '\n');
  std::vector<std::string> got = absl::StrSplit(*dump, '\n');
  for (size_t i = 0; i < std::min(want.size(), got.size()); ++i) {
    ASSERT_EQ(got[i], want[i]) << "line " << i + 1;
  }
  EXPECT_EQ(got.size(), want.size());
}

TEST_F(FormatV1Test, IsFormatOneAndStampedOnFirstOpen) {
  auto version = store_->GetMeta(keys::kFormatVersion);
  ASSERT_TRUE(version.ok()) << version.status();
  EXPECT_EQ(*version, 1u);
}

TEST_F(FormatV1Test, HoldsEveryKindOfEntity) {
  // The fixture is only worth something if it covers every entity (guards a regenerated one).
  for (const char* what : {"meta seq_reserved = ",
                           "meta min_retained_seq = ",
                           "meta audit_head = ",
                           "form ",
                           "  aggregation ",
                           "    measure ",
                           "device ",
                           "  token_index -> ",
                           "  retired_token ",
                           "  receipt #",
                           "code ",
                           "change seq=",
                           "quarantine device=",
                           "record ",
                           "  meta ",
                           "scope_index ",
                           "conflict record=",
                           "audit ",
                           "role=supervisor",
                           "role=border_officer",
                           "role=feed_reader",
                           "revoked=1",
                           "deleted=1",
                           "open_conflict=1",
                           "delete_conflict=1",
                           "open=0",
                           "outcome=REJECTED",
                           "outcome=CONFLICT",
                           "outcome=MERGED",
                           "outcome=DUPLICATE",
                           "text:\"h:",
                           "geo:",
                           "list:[",
                           "dec:",
                           "bool:false",
                           "used_by=\"d"}) {
    EXPECT_NE(expected_.find(what), std::string::npos) << what;
  }
}

TEST_F(FormatV1Test, TheCoresCarryOn) {
  FakeClock clock(1'714'000'100'000);  // shortly after the fixture was written: tokens valid
  auto audit = AuditLog::Open(store_.get(), &clock);
  ASSERT_TRUE(audit.ok()) << audit.status();
  auto verified = VerifyAuditChain(*store_);
  ASSERT_TRUE(verified.ok()) << verified.status();
  EXPECT_TRUE(verified->ok) << verified->problem;
  EXPECT_GT(verified->entries, 10u);

  DeviceRegistry registry(store_.get(), &clock, audit->get());
  auto tab1 = registry.Authenticate(tokens_["tab-1"]);
  ASSERT_TRUE(tab1.ok()) << tab1.status();
  EXPECT_EQ(tab1->device_id, "tab-1");
  auto admin = registry.Authenticate(tokens_["admin-1"]);
  ASSERT_TRUE(admin.ok()) << admin.status();

  FormRegistry forms(store_.get(), SchemaLimits{});
  auto engine = SyncEngine::Open(store_.get(), &forms, &clock, SyncEngineOptions{});
  ASSERT_TRUE(engine.ok()) << engine.status();
  auto before = store_->LastChangeSeq();
  ASSERT_TRUE(before.ok());
  auto h1 = store_->GetRecord("h-1");
  ASSERT_TRUE(h1.ok() && h1->has_value());

  // tab-1 edits h-1 from its current version: applied at a seq above every stored one.
  Mutation m;
  m.device_seq = 9;  // tab-1's acked seq in the fixture is 8
  m.record_id = "h-1";
  m.form_id = "household";
  m.form_version = 1;
  m.base_version = (*h1)->version;
  m.fields["notes"] = std::string("after the upgrade");
  m.hlc = Hlc{clock.NowMs(), 0, "tab-1"};
  auto receipts = (*engine)->push()->Push(*tab1, {m}, nullptr);
  ASSERT_TRUE(receipts.ok()) << receipts.status();
  ASSERT_EQ(receipts->size(), 1u);
  EXPECT_EQ((*receipts)[0].outcome, Outcome::kApplied);
  EXPECT_GT((*receipts)[0].seq, *before);

  // A full pull of the admin sees every live record, the edit included.
  auto page = (*engine)->pull()->Pull(*admin, PullQuery{});
  ASSERT_TRUE(page.ok()) << page.status();
  bool saw_edit = false;
  for (const auto& r : page->records) {
    if (r.record.record_id == "h-1") {
      saw_edit = std::get<std::string>(r.record.fields.at("notes")) == "after the upgrade";
    }
  }
  EXPECT_TRUE(saw_edit);
}

}  // namespace
}  // namespace fieldsync
