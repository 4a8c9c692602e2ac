#include "server/openrosa/submission.h"

#include "gmock/gmock.h"
#include "gtest/gtest.h"
#include "server/common/attachment_ref.h"
#include "server/common/hash.h"
#include "tests/sync/sync_fixture.h"
#include "tests/testing/temp_dir.h"

namespace fieldsync::openrosa {
namespace {

using sync_test::InGovernorate;
using ::testing::HasSubstr;

std::string HouseholdXml(const std::string& id, const std::string& size,
                         const std::string& extra = "", const std::string& meta = "") {
  return "<data id=\"displacement_household\" version=\"1\"><governorate>Ninewa</governorate>"
         "<district>Mosul</district><team>T1</team><visit_date>2026-11-30</visit_date>"
         "<household_size>" +
         size + "</household_size>" + extra + "<meta><instanceID>" + id + "</instanceID>" + meta +
         "</meta></data>";
}

class SubmissionTest : public sync_test::SyncFixture {
 protected:
  void SetUp() override {
    Form f = sync_test::HouseholdForm();
    f.version = 2;
    FieldDef photo;
    photo.name = "photo";
    photo.type = FieldType::kAttachment;
    f.fields.push_back(photo);
    SyncFixture::SetUp();
    ASSERT_TRUE(forms_->Publish(f).ok());
    BlobStoreOptions o;
    o.dir = dir_.Sub("blobs");
    o.max_chunk_bytes = 1000;  // a file is written in several pieces
    blobs_ = *BlobStore::Open(o);
    core_ =
        std::make_unique<SubmissionCore>(forms_.get(), push_, store_.get(), blobs_.get(), &clock_);
  }

  absl::StatusOr<SubmissionResult> Submit(const std::string& xml, std::vector<MediaPart> media = {},
                                          const Device* d = nullptr) {
    return core_->Submit(d ? *d : tab_, Submission{xml, std::move(media)});
  }

  testing::TempDir dir_;
  std::unique_ptr<BlobStore> blobs_;
  std::unique_ptr<SubmissionCore> core_;
  const Device tab_ = InGovernorate("tab-1", "Ninewa");
};

TEST_F(SubmissionTest, NewThenDuplicateThenOtherContent) {
  auto r = Submit(HouseholdXml("uuid:1", "4"));
  ASSERT_TRUE(r.ok()) << r.status();
  EXPECT_EQ(r->kind, SubmissionResult::Kind::kCreated);
  EXPECT_EQ(r->record_id, "uuid:1");
  EXPECT_TRUE(r->quarantined.empty());
  auto rec = GetRecord("uuid:1");
  ASSERT_TRUE(rec);
  EXPECT_EQ(std::get<int64_t>(rec->fields.at("household_size")), 4);
  EXPECT_EQ(rec->last_writer_device, "tab-1");

  auto dup = Submit(HouseholdXml("uuid:1", "4"));
  ASSERT_TRUE(dup.ok());
  EXPECT_EQ(dup->kind, SubmissionResult::Kind::kDuplicate);
  EXPECT_EQ(GetRecord("uuid:1")->version, 1u);
  EXPECT_EQ(State("tab-1").acked_seq, 1u);  // nothing pushed the second time

  EXPECT_EQ(Submit(HouseholdXml("uuid:1", "5")).status().code(), absl::StatusCode::kAlreadyExists);
  EXPECT_EQ(std::get<int64_t>(GetRecord("uuid:1")->fields.at("household_size")), 4);
}

TEST_F(SubmissionTest, SubmissionsTakeTheDevicesNextSeqsAfterItsGrpcPushes) {
  PushNext(tab_, sync_test::Create(0, "grpc-1", sync_test::Household("Ninewa"),
                                   sync_test::At(1, "tab-1")));
  ASSERT_TRUE(Submit(HouseholdXml("uuid:2", "3")).ok());
  auto receipts = push_->ListReceipts(tab_, 0, 10);
  ASSERT_TRUE(receipts.ok());
  ASSERT_EQ(receipts->receipts.size(), 2u);
  EXPECT_EQ(receipts->receipts[1].device_seq, 2u);
  EXPECT_EQ(receipts->receipts[1].record_id, "uuid:2");
  EXPECT_EQ(receipts->receipts[1].outcome, Outcome::kApplied);
}

TEST_F(SubmissionTest, DeprecatedIdEditsTheFirstRecordOfTheChain) {
  ASSERT_TRUE(Submit(HouseholdXml("uuid:a", "3", "<children_under_5>1</children_under_5>")).ok());
  auto e1 = Submit(HouseholdXml("uuid:b", "6", "", "<deprecatedID>uuid:a</deprecatedID>"));
  ASSERT_TRUE(e1.ok()) << e1.status();
  EXPECT_EQ(e1->record_id, "uuid:a");
  auto e2 = Submit(HouseholdXml("uuid:c", "7", "", "<deprecatedID>uuid:b</deprecatedID>"));
  ASSERT_TRUE(e2.ok()) << e2.status();
  auto rec = GetRecord("uuid:a");
  EXPECT_EQ(rec->version, 3u);
  EXPECT_EQ(std::get<int64_t>(rec->fields.at("household_size")), 7);
  EXPECT_EQ(rec->fields.count("children_under_5"), 0u);
  EXPECT_FALSE(GetRecord("uuid:b"));
  EXPECT_FALSE(GetRecord("uuid:c"));
  EXPECT_EQ(Submit(HouseholdXml("uuid:d", "1", "", "<deprecatedID>uuid:zz</deprecatedID>"))
                .status()
                .code(),
            absl::StatusCode::kInvalidArgument);
}

TEST_F(SubmissionTest, MediaArriveWithTheInstanceOrLater) {
  const std::string xml =
      "<data id=\"displacement_household\" version=\"2\">"
      "<governorate>Ninewa</governorate><district>Mosul</district>"
      "<visit_date>2026-11-30</visit_date><household_size>2</household_size>"
      "<photo>d.jpg</photo><meta><instanceID>uuid:m</instanceID></meta></data>";
  auto first = Submit(xml);
  ASSERT_TRUE(first.ok()) << first.status();
  EXPECT_EQ(first->files, 0u);
  EXPECT_EQ(GetRecord("uuid:m")->fields.count("photo"), 0u);
  const std::string jpeg(4500, 'j');
  // A part the instance does not name is ignored.
  auto second = Submit(xml, {{"d.jpg", "image/jpeg", jpeg}, {"other.jpg", "image/jpeg", "x"}});
  ASSERT_TRUE(second.ok()) << second.status();
  EXPECT_EQ(second->kind, SubmissionResult::Kind::kCreated);
  EXPECT_EQ(second->files, 1u);
  auto ref = ParseAttachmentRef(std::get<std::string>(GetRecord("uuid:m")->fields.at("photo")));
  ASSERT_TRUE(ref.ok());
  EXPECT_EQ(ref->sha256, Sha256Hex(jpeg));
  std::string back;
  ASSERT_TRUE(blobs_->Read(ref->sha256, 0, 10000, &back).ok());
  EXPECT_EQ(back, jpeg);
  auto third = Submit(xml, {{"d.jpg", "image/jpeg", jpeg}});
  ASSERT_TRUE(third.ok());
  EXPECT_EQ(third->kind, SubmissionResult::Kind::kDuplicate);
  EXPECT_EQ(GetRecord("uuid:m")->version, 2u);
}

TEST_F(SubmissionTest, InvalidAnswersAreQuarantinedAndStillReceived) {
  auto r = Submit(HouseholdXml("uuid:q", "500"));
  ASSERT_TRUE(r.ok()) << r.status();
  EXPECT_EQ(r->kind, SubmissionResult::Kind::kCreated);
  EXPECT_THAT(r->quarantined, HasSubstr("household_size"));
  EXPECT_FALSE(GetRecord("uuid:q"));
  EXPECT_EQ(Quarantined("tab-1").size(), 1u);
  // Resent: a duplicate, not a second quarantine entry.
  EXPECT_EQ(Submit(HouseholdXml("uuid:q", "500"))->kind, SubmissionResult::Kind::kDuplicate);
  EXPECT_EQ(Quarantined("tab-1").size(), 1u);
}

TEST_F(SubmissionTest, FormsAndScopes) {
  const Device border = sync_test::MakeDevice("bp", {{"border_point", "BP-001"}});
  EXPECT_EQ(Submit(HouseholdXml("uuid:s", "2"), {}, &border).status().code(),
            absl::StatusCode::kPermissionDenied);
  Device feed = sync_test::MakeDevice("feed", {}, true);
  feed.role = Role::kFeedReader;
  EXPECT_FALSE(SubmissionCore::MayFill(feed, sync_test::HouseholdForm()));
  auto forms = core_->FormsFor(tab_);
  ASSERT_TRUE(forms.ok());
  ASSERT_EQ(forms->size(), 1u);  // the household form, its latest version only
  EXPECT_EQ((*forms)[0].version, 2u);
  EXPECT_EQ(Submit("<data id=\"displacement_household\" version=\"7\"><meta><instanceID>u"
                   "</instanceID></meta></data>")
                .status()
                .code(),
            absl::StatusCode::kInvalidArgument);
}

}  // namespace
}  // namespace fieldsync::openrosa
