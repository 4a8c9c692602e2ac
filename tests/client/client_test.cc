// Unit tests of the device SDK: local store, outbox, record API and the sync engine, against
// the real sync cores in-process (tests/client/fake_transport.h) with injected link faults.
#include "fieldsync/client.h"

#include <memory>
#include <string>
#include <vector>

#include "client-sdk/src/client_impl.h"
#include "client-sdk/src/hlc.h"
#include "client-sdk/src/local_store.h"
#include "gmock/gmock.h"
#include "gtest/gtest.h"
#include "tests/client/fake_transport.h"
#include "tests/testing/form_v2_sample.h"
#include "tests/testing/temp_dir.h"

namespace fieldsync::client_test {
namespace {

using client::Client;
using client::Fields;
using ::testing::ElementsAre;
using ::testing::HasSubstr;
using ::testing::SizeIs;

constexpr char kHousehold[] = "displacement_household";

Fields Household(const std::string& governorate, int64_t size = 4) {
  return {{"governorate", std::string(governorate)},
          {"district", std::string("Mosul")},
          {"team", std::string("T1")},
          {"visit_date", std::string("2024-05-01")},
          {"household_size", size}};
}

class Recorder final : public client::SyncObserver {
 public:
  void OnProgress(const client::SyncProgress& p) override { progress.push_back(p); }
  void OnConflict(const client::ReceiptInfo& r) override { conflicts.push_back(r); }
  void OnRejected(const client::ReceiptInfo& r) override { rejections.push_back(r); }
  void OnRetry(const absl::Status& s, int attempt, int64_t delay_ms) override {
    retries.push_back(s);
  }
  std::vector<client::SyncProgress> progress;
  std::vector<client::ReceiptInfo> conflicts, rejections;
  std::vector<absl::Status> retries;
};

// One fake tablet: its own data dir, link faults and call log.
struct Tablet {
  Faults faults;
  Calls calls;
  std::vector<int64_t> sleeps;
  std::unique_ptr<Client> client;
};

class ClientTest : public ::testing::Test {
 protected:
  std::unique_ptr<Tablet> Open(const std::string& name, Device device, size_t push_batch = 200) {
    auto t = std::make_unique<Tablet>();
    Reopen(t.get(), name, std::move(device), push_batch);
    return t;
  }
  void Reopen(Tablet* t, const std::string& name, Device device, size_t push_batch = 200) {
    t->client.reset();
    client::ClientOptions o;
    o.data_dir = dir_.Sub(name);
    o.device_id = device.device_id;
    o.push_batch = push_batch;
    o.seed = 42;
    o.now_ms = [this] { return device_clock_.NowMs(); };
    o.sleep_ms = [t](int64_t ms) { t->sleeps.push_back(ms); };
    auto c = Client::OpenWithTransport(
        o, std::make_unique<FakeTransport>(&server_, device, &t->faults, &t->calls));
    ASSERT_TRUE(c.ok()) << c.status();
    t->client = *std::move(c);
  }
  std::unique_ptr<Tablet> Ninewa(const std::string& name = "tab-ninewa", size_t batch = 200) {
    auto t = Open(name, sync_test::InGovernorate(name, "Ninewa"), batch);
    EXPECT_TRUE(t->client->RefreshForms().ok());
    return t;
  }

  testing::TempDir dir_;
  FakeServer server_;
  FakeClock device_clock_{1'700'000'000'000};
};

// ---- Record API and outbox -------------------------------------------------------------

TEST_F(ClientTest, CreateGetFindAndLocalValidation) {
  auto t = Ninewa();
  Client& c = *t->client;
  auto a = c.Create(kHousehold, Household("Ninewa", 4), "hh-a");
  ASSERT_TRUE(a.ok()) << a.status();
  auto b = c.Create(kHousehold, Household("Anbar", 6));
  ASSERT_TRUE(b.ok()) << b.status();
  EXPECT_EQ(b->size(), 36u);  // a UUID

  auto got = c.Get("hh-a");
  ASSERT_TRUE(got.ok());
  EXPECT_EQ(std::get<int64_t>(got->fields.at("household_size")), 4);
  EXPECT_EQ(got->pending_edits, 1u);
  EXPECT_EQ(got->server_version, 0u);

  auto found = c.Find({kHousehold, {{"governorate", std::string("Anbar")}}});
  ASSERT_TRUE(found.ok());
  ASSERT_THAT(*found, SizeIs(1));
  EXPECT_EQ((*found)[0].record_id, *b);
  EXPECT_THAT(*c.Find({kHousehold, {}}), SizeIs(2));
  EXPECT_THAT(*c.Find({"border_crossing", {}}), SizeIs(0));

  Fields bad = Household("Ninewa", 99);  // household_size max 60
  bad.erase("district");                 // required
  absl::Status s = c.Create(kHousehold, bad).status();
  EXPECT_EQ(s.code(), absl::StatusCode::kInvalidArgument);
  std::vector<std::string> fields;
  for (const auto& e : client::FieldErrorsOf(s)) fields.push_back(e.field);
  EXPECT_THAT(fields, ElementsAre("household_size", "district"));
  EXPECT_EQ(c.Create(kHousehold, Household("Ninewa"), "hh-a").status().code(),
            absl::StatusCode::kAlreadyExists);
  EXPECT_EQ(c.Create("no_such_form", {}).status().code(), absl::StatusCode::kFailedPrecondition);
  EXPECT_EQ(c.Create(kHousehold, Household("Ninewa"), "has space").status().code(),
            absl::StatusCode::kInvalidArgument);
  // Limits: record ids of at most 128 bytes, text values of at most 4096 bytes.
  EXPECT_EQ(c.Create(kHousehold, Household("Ninewa"), std::string(129, 'x')).status().code(),
            absl::StatusCode::kInvalidArgument);
  EXPECT_TRUE(c.Create(kHousehold, Household("Ninewa"), std::string(128, 'x')).ok());
  Fields long_value = Household("Ninewa");
  long_value["district"] = std::string(4097, 'd');
  EXPECT_EQ(c.Create(kHousehold, long_value).status().code(), absl::StatusCode::kInvalidArgument);
  // Text that is not UTF-8 (a truncated emoji) is refused field by field, on create and edit:
  // it could not be sent, nor read back from the local store.
  for (const std::string bad_text : {"Mosul \xF0\x9F", "\xC0\xAF", "\xED\xA0\x80", "\xFF"}) {
    Fields not_utf8 = Household("Ninewa");
    not_utf8["district"] = bad_text;
    absl::Status refused = c.Create(kHousehold, not_utf8).status();
    EXPECT_EQ(refused.code(), absl::StatusCode::kInvalidArgument);
    ASSERT_THAT(client::FieldErrorsOf(refused), SizeIs(1));
    EXPECT_EQ(client::FieldErrorsOf(refused)[0].field, "district");
    EXPECT_EQ(c.Update("hh-a", {{"district", bad_text}}).code(),
              absl::StatusCode::kInvalidArgument);
  }
  Fields emoji = Household("Ninewa");
  emoji["district"] = std::string("Mosul \xF0\x9F\x98\x80 \xD9\x85");  // U+1F600, Arabic
  EXPECT_TRUE(c.Create(kHousehold, emoji).ok());
  // Refused creates used no device_seq: the next one is 5 (the emoji create took 4).
  EXPECT_EQ(c.GetStatus()->next_device_seq, 5u);
}

// Form model v2 reaches the device's form cache: groups, repeats, languages, expressions and
// choice labels, and a select's choices come from its list.
TEST_F(ClientTest, FormCacheKeepsFormModelV2) {
  ASSERT_TRUE(server_.forms()->Publish(testing::SampleFormV2()).ok());
  auto t = Ninewa();
  auto forms = t->client->Forms();
  ASSERT_TRUE(forms.ok()) << forms.status();
  const client::FormInfo* v2 = nullptr;
  for (const auto& f : *forms) {
    if (f.form_id == "household_v2") v2 = &f;
  }
  ASSERT_NE(v2, nullptr);
  EXPECT_EQ(v2->default_language, "English (en)");
  EXPECT_THAT(v2->languages, ElementsAre("English (en)", "Arabic (ar)"));
  ASSERT_EQ(v2->groups.size(), 3u);
  EXPECT_TRUE(v2->groups[1].repeat);
  EXPECT_EQ(v2->groups[2].parent, "members");
  EXPECT_EQ(v2->groups[1].repeat_count, "${hh_size}");
  const client::FormInfo::Field& gov = v2->fields[0];
  EXPECT_THAT(gov.choices, ElementsAre("ninewa", "anbar"));
  EXPECT_EQ(gov.choice_labels.at("anbar").at("Arabic (ar)"), "الأنبار");
  EXPECT_EQ(gov.labels.at("Arabic (ar)"), "المحافظة");
  const client::FormInfo::Field& size = v2->fields[2];
  EXPECT_EQ(size.constraint, ". >= 1 and . <= 60");
  EXPECT_EQ(size.constraint_messages.at("Arabic (ar)"), "بين 1 و 60");
  EXPECT_EQ(size.required_if, "${consent} != ''");
  EXPECT_EQ(v2->fields[4].group, "members");
  EXPECT_EQ(v2->fields[9].question_type, "calculate");
  // A v1 form leaves the v2 members empty.
  for (const auto& f : *forms) {
    if (f.form_id == kHousehold) {
      EXPECT_TRUE(f.groups.empty() && f.languages.empty());
    }
  }
}

TEST_F(ClientTest, EditsAreContiguousMutationsWithChangedFieldsOnly) {
  auto t = Ninewa();
  Client& c = *t->client;
  ASSERT_TRUE(c.Create(kHousehold, Household("Ninewa", 4), "hh-1").ok());
  ASSERT_TRUE(c.Update("hh-1", {{"household_size", int64_t{5}}, {"team", std::string("T1")}}).ok());
  ASSERT_TRUE(c.Update("hh-1", {{"household_size", int64_t{5}}}).ok());  // no change: no entry
  ASSERT_TRUE(c.Update("hh-1", {{"team", std::monostate()}}).ok());      // clears team
  ASSERT_TRUE(c.Delete("hh-1").ok());
  EXPECT_EQ(c.Update("hh-1", {{"team", std::string("T2")}}).code(), absl::StatusCode::kNotFound);
  EXPECT_EQ(c.GetStatus()->pending, 4u);

  auto r = c.Sync();
  ASSERT_TRUE(r.ok()) << r.status();
  ASSERT_THAT(t->calls.requests, SizeIs(1));
  const auto& ms = t->calls.requests[0].mutations();
  ASSERT_EQ(ms.size(), 4);
  for (int i = 0; i < 4; ++i) {
    EXPECT_EQ(ms[i].device_seq(), static_cast<uint64_t>(i + 1));
    EXPECT_EQ(ms[i].base_version(), 0u);  // all made offline from the same (absent) version
    EXPECT_EQ(ms[i].hlc().device_id(), "tab-ninewa");
  }
  EXPECT_EQ(ms[1].fields().size(), 1u);  // household_size only
  EXPECT_EQ(ms[1].fields().at("household_size").integer(), 5);
  EXPECT_EQ(ms[2].fields().size(), 1u);
  EXPECT_EQ(ms[2].fields().at("team").kind_case(), v1::Value::KIND_NOT_SET);
  EXPECT_EQ(ms[3].op(), v1::Mutation::DELETE);
  // HLCs strictly increase even though the device clock did not move.
  for (int i = 1; i < 4; ++i) {
    EXPECT_TRUE(std::make_pair(ms[i - 1].hlc().physical_ms(), ms[i - 1].hlc().logical()) <
                std::make_pair(ms[i].hlc().physical_ms(), ms[i].hlc().logical()));
  }
  // The server treats a device's own offline edits as non-conflicting.
  EXPECT_EQ(r->applied + r->merged, 4u);
  EXPECT_EQ(r->conflicts, 0u);
  EXPECT_TRUE(server_.store()->GetRecord("hh-1").value()->deleted);
}

TEST_F(ClientTest, ReopenKeepsOutboxSeqCounterAndClock) {
  auto t = Ninewa();
  ASSERT_TRUE(t->client->Create(kHousehold, Household("Ninewa"), "hh-1").ok());
  ASSERT_TRUE(t->client->Create(kHousehold, Household("Ninewa"), "hh-2").ok());
  Reopen(t.get(), "tab-ninewa", sync_test::InGovernorate("tab-ninewa", "Ninewa"));
  auto st = t->client->GetStatus();
  ASSERT_TRUE(st.ok());
  EXPECT_EQ(st->pending, 2u);
  EXPECT_EQ(st->next_device_seq, 3u);
  ASSERT_TRUE(t->client->Create(kHousehold, Household("Ninewa"), "hh-3").ok());
  ASSERT_TRUE(t->client->Sync().ok());
  const auto& ms = t->calls.requests.at(0).mutations();
  ASSERT_EQ(ms.size(), 3);
  EXPECT_EQ(ms[2].device_seq(), 3u);
  EXPECT_GT(ms[2].hlc().logical() + ms[2].hlc().physical_ms(),
            ms[1].hlc().logical() + ms[1].hlc().physical_ms());
  EXPECT_EQ(t->client->GetStatus()->pending, 0u);
}

TEST_F(ClientTest, CreateManyStoresValidRowsAndReportsTheOthers) {
  auto t = Ninewa();
  auto results = t->client->CreateMany(
      kHousehold, {Household("Ninewa"), Household("Ninewa", 0), Household("Anbar")});
  ASSERT_THAT(results, SizeIs(3));
  EXPECT_TRUE(results[0].ok());
  EXPECT_EQ(results[1].status().code(), absl::StatusCode::kInvalidArgument);
  EXPECT_TRUE(results[2].ok());
  auto st = t->client->GetStatus();
  EXPECT_EQ(st->pending, 2u);
  EXPECT_EQ(st->next_device_seq, 3u);  // no gap for the refused row
}

TEST_F(ClientTest, ParseFieldsByFormTypes) {
  auto t = Ninewa();
  auto f = t->client->ParseFields(kHousehold, {{"household_size", "7"},
                                               {"intends_to_return", "yes"},
                                               {"needs", "food;water"},
                                               {"location", "36.3 43.1"},
                                               {"monthly_income", ""},
                                               {"district", "Mosul"}});
  // The fake server's household form is trimmed: no monthly_income field.
  EXPECT_EQ(f.status().code(), absl::StatusCode::kInvalidArgument);
  ASSERT_THAT(client::FieldErrorsOf(f.status()), SizeIs(1));
  EXPECT_EQ(client::FieldErrorsOf(f.status())[0].field, "monthly_income");

  f = t->client->ParseFields(kHousehold, {{"household_size", "7"},
                                          {"intends_to_return", "yes"},
                                          {"needs", "food;water"},
                                          {"location", "36.3 43.1"},
                                          {"team", ""}});
  ASSERT_TRUE(f.ok()) << f.status();
  EXPECT_EQ(std::get<int64_t>(f->at("household_size")), 7);
  EXPECT_EQ(std::get<bool>(f->at("intends_to_return")), true);
  EXPECT_THAT(std::get<std::vector<std::string>>(f->at("needs")), ElementsAre("food", "water"));
  EXPECT_EQ(std::get<client::GeoPoint>(f->at("location")).longitude, 43.1);
  EXPECT_TRUE(std::holds_alternative<std::monostate>(f->at("team")));

  f = t->client->ParseFields(kHousehold, {{"household_size", "seven"}, {"location", "36.3"}});
  EXPECT_THAT(client::FieldErrorsOf(f.status()), SizeIs(2));
}

// ---- Sync ------------------------------------------------------------------------------

TEST_F(ClientTest, SyncPushesInBatchesWithTheDeviceReportAndStoresReceipts) {
  auto t = Ninewa("tab-ninewa", /*batch=*/3);
  for (int i = 0; i < 7; ++i) {
    ASSERT_TRUE(t->client->Create(kHousehold, Household("Ninewa"), "hh-" + std::to_string(i)).ok());
  }
  device_clock_.AdvanceMs(60'000);
  Recorder obs;
  auto r = t->client->Sync(&obs);
  ASSERT_TRUE(r.ok()) << r.status();
  EXPECT_EQ(r->pushed, 7u);
  EXPECT_EQ(r->applied, 7u);
  EXPECT_EQ(r->pulled, 7u);
  ASSERT_THAT(t->calls.requests, SizeIs(3));
  const v1::DeviceReport& rep = t->calls.requests[0].report();
  EXPECT_EQ(rep.outbox_depth(), 7u);
  EXPECT_EQ(rep.oldest_unsent_age_ms(), 60'000);
  EXPECT_EQ(rep.device_clock_ms(), device_clock_.NowMs());
  EXPECT_GT(rep.free_storage_bytes(), 0u);
  EXPECT_EQ(rep.form_versions().at(kHousehold), 1u);
  EXPECT_FALSE(rep.app_version().empty());
  EXPECT_EQ(t->calls.requests[2].report().outbox_depth(), 1u);
  EXPECT_TRUE(t->calls.pull_requests.at(0).has_report());
  // Progress was reported up to 7 of 7.
  ASSERT_FALSE(obs.progress.empty());
  bool saw_all = false;
  for (const auto& p : obs.progress) {
    saw_all |= p.phase == client::SyncProgress::Phase::kPush && p.done == 7 && p.total == 7;
  }
  EXPECT_TRUE(saw_all);

  auto rec = t->client->Get("hh-3");
  EXPECT_EQ(rec->server_version, 1u);
  EXPECT_EQ(rec->pending_edits, 0u);
  auto receipts = t->client->Receipts(0, 100);
  ASSERT_THAT(*receipts, SizeIs(7));
  EXPECT_EQ((*receipts)[6].device_seq, 7u);
  EXPECT_EQ((*receipts)[6].outcome, client::Outcome::kApplied);
  auto st = t->client->GetStatus();
  EXPECT_EQ(st->pending, 0u);
  EXPECT_EQ(st->acked_device_seq, 7u);
  EXPECT_EQ(st->last_sync_ms, device_clock_.NowMs());
  // A second sync sends nothing and pulls from the stored cursor.
  ASSERT_TRUE(t->client->Sync().ok());
  EXPECT_THAT(t->calls.requests, SizeIs(3));
  EXPECT_FALSE(t->calls.pull_requests.back().cursor().empty());
}

TEST_F(ClientTest, LostAcknowledgementIsReconciledAndNothingIsAppliedTwice) {
  auto t = Ninewa("tab-ninewa", 2);
  for (int i = 0; i < 5; ++i) {
    ASSERT_TRUE(t->client->Create(kHousehold, Household("Ninewa"), "hh-" + std::to_string(i)).ok());
  }
  t->faults.lose_acks = 2;  // the first two batches are stored but their answers are lost
  Recorder obs;
  auto r = t->client->Sync(&obs);
  ASSERT_TRUE(r.ok()) << r.status();
  EXPECT_THAT(obs.retries, SizeIs(2));
  EXPECT_GE(t->calls.list_receipts, 2);
  EXPECT_EQ(r->pushed, 5u);
  EXPECT_EQ(t->client->GetStatus()->pending, 0u);
  // The server applied each mutation exactly once: 5 records at version 1, acked seq 5.
  auto records = server_.AllRecords();
  ASSERT_THAT(records, SizeIs(5));
  for (const auto& rec : records) EXPECT_EQ(rec.version, 1u);
  auto list =
      server_.push()->ListReceipts(sync_test::InGovernorate("tab-ninewa", "Ninewa"), 1, 100);
  EXPECT_EQ(list->acked_device_seq, 5u);
  EXPECT_THAT(list->receipts, SizeIs(5));
}

TEST_F(ClientTest, AnotherClientWithTheSameIdentityNeverMakesAnEditLookSent) {
  // Two data dirs with one device identity (a reinstalled app keeping its token): both number
  // their first edit 1. The second must not take the first's receipt as its own.
  auto first = Ninewa("tab-ninewa");
  ASSERT_TRUE(first->client->Create(kHousehold, Household("Ninewa"), "hh-first").ok());
  ASSERT_TRUE(first->client->Sync(nullptr).ok());
  auto second = Open("tab-ninewa-copy", sync_test::InGovernorate("tab-ninewa", "Ninewa"));
  ASSERT_TRUE(second->client->RefreshForms().ok());
  ASSERT_TRUE(second->client->Create(kHousehold, Household("Ninewa"), "hh-second").ok());
  auto r = second->client->Sync(nullptr);
  EXPECT_EQ(r.status().code(), absl::StatusCode::kFailedPrecondition) << r.status();
  EXPECT_THAT(std::string(r.status().message()), HasSubstr("another client"));
  EXPECT_EQ(second->client->GetStatus()->pending, 1u);  // still queued, not "sent"
  auto records = server_.AllRecords();
  ASSERT_THAT(records, SizeIs(1));
  EXPECT_EQ(records[0].record_id, "hh-first");
}

TEST_F(ClientTest, RetransmissionAfterCutGetsDuplicateWithOriginalOutcome) {
  auto t = Ninewa();
  ASSERT_TRUE(t->client->Create(kHousehold, Household("Ninewa"), "hh-1").ok());
  t->faults.lose_acks = 1;
  t->faults.hide_receipts = true;  // reconcile learns nothing: the resend goes through Push
  auto r = t->client->Sync();
  ASSERT_TRUE(r.ok()) << r.status();
  EXPECT_EQ(r->duplicates, 1u);
  auto receipts = t->client->Receipts(0, 10);
  ASSERT_THAT(*receipts, SizeIs(1));
  EXPECT_EQ((*receipts)[0].outcome, client::Outcome::kApplied);  // the original outcome
  EXPECT_EQ(t->client->Get("hh-1")->server_version, 1u);
  ASSERT_THAT(server_.AllRecords(), SizeIs(1));
  EXPECT_EQ(server_.AllRecords()[0].version, 1u);
}

TEST_F(ClientTest, RetriesUnavailableWithJitteredExponentialBackoff) {
  auto t = Ninewa();
  ASSERT_TRUE(t->client->Create(kHousehold, Household("Ninewa"), "hh-1").ok());
  t->faults.fail_calls = 3;
  auto r = t->client->Sync();
  ASSERT_TRUE(r.ok()) << r.status();
  EXPECT_EQ(r->attempts, 4);
  ASSERT_THAT(t->sleeps, SizeIs(3));
  const int64_t caps[] = {500, 1000, 2000};
  for (int i = 0; i < 3; ++i) {
    EXPECT_GE(t->sleeps[i], 0);
    EXPECT_LE(t->sleeps[i], caps[i]);
  }
  EXPECT_EQ(server_.AllRecords().size(), 1u);
}

TEST_F(ClientTest, GivesUpAfterMaxAttemptsAndKeepsEverything) {
  auto t = Ninewa();
  ASSERT_TRUE(t->client->Create(kHousehold, Household("Ninewa"), "hh-1").ok());
  t->faults.fail_calls = 1000;
  auto r = t->client->Sync();
  EXPECT_EQ(r.status().code(), absl::StatusCode::kUnavailable);
  EXPECT_THAT(t->sleeps, SizeIs(4));  // 5 attempts
  auto st = t->client->GetStatus();
  EXPECT_EQ(st->pending, 1u);
  EXPECT_EQ(st->last_sync_ms, 0);
  EXPECT_NE(st->last_error.find("connection refused"), std::string::npos);
  t->faults.fail_calls = 0;
  ASSERT_TRUE(t->client->Sync().ok());
  EXPECT_EQ(t->client->GetStatus()->last_error, "");
  EXPECT_EQ(t->client->GetStatus()->pending, 0u);
}

TEST_F(ClientTest, RevokedTokenIsNotRetried) {
  auto t = Ninewa();
  ASSERT_TRUE(t->client->Create(kHousehold, Household("Ninewa"), "hh-1").ok());
  t->faults.revoked = true;
  auto r = t->client->Sync();
  EXPECT_EQ(r.status().code(), absl::StatusCode::kUnauthenticated);
  EXPECT_TRUE(t->sleeps.empty());
  EXPECT_EQ(t->client->GetStatus()->pending, 1u);
}

TEST_F(ClientTest, OutOfOrderResendsFromTheExpectedSeq) {
  auto t = Ninewa();
  for (int i = 0; i < 3; ++i) {
    ASSERT_TRUE(t->client->Create(kHousehold, Household("Ninewa"), "hh-" + std::to_string(i)).ok());
  }
  t->faults.drop_first_mutations = 1;  // the server sees 2, 3: a gap
  auto r = t->client->Sync();
  ASSERT_TRUE(r.ok()) << r.status();
  ASSERT_GE(t->calls.requests.size(), 2u);
  EXPECT_EQ(t->calls.requests[1].mutations(0).device_seq(), 1u);  // resent from the expected
  EXPECT_EQ(r->applied, 3u);
  EXPECT_EQ(server_.AllRecords().size(), 3u);
  EXPECT_EQ(t->client->GetStatus()->pending, 0u);
}

TEST_F(ClientTest, RejectedEditIsSurfacedWithFieldErrorsAndCanBeFixed) {
  auto t = Ninewa();
  // Valid for the form, but outside this tablet's scope: the server refuses it.
  ASSERT_TRUE(t->client->Create(kHousehold, Household("Anbar"), "hh-x").ok());
  Recorder obs;
  auto r = t->client->Sync(&obs);
  ASSERT_TRUE(r.ok()) << r.status();
  EXPECT_EQ(r->rejected, 1u);
  ASSERT_THAT(obs.rejections, SizeIs(1));
  EXPECT_EQ(obs.rejections[0].record_id, "hh-x");
  ASSERT_FALSE(obs.rejections[0].errors.empty());
  auto rec = t->client->Get("hh-x");
  EXPECT_TRUE(rec->rejected);
  EXPECT_FALSE(rec->rejection.empty());
  auto st = t->client->GetStatus();
  EXPECT_EQ(st->rejected, 1u);
  ASSERT_THAT(st->problems, SizeIs(1));
  EXPECT_EQ(st->problems[0].outcome, client::Outcome::kRejected);

  // Fixing the record sends it whole again (it was never created on the server).
  ASSERT_TRUE(t->client->Update("hh-x", {{"governorate", std::string("Ninewa")}}).ok());
  r = t->client->Sync(&obs);
  ASSERT_TRUE(r.ok()) << r.status();
  EXPECT_EQ(r->applied, 1u);
  EXPECT_EQ(t->calls.requests.back().mutations(0).fields().size(), 5u);
  rec = t->client->Get("hh-x");
  EXPECT_FALSE(rec->rejected);
  EXPECT_EQ(rec->server_version, 1u);
}

TEST_F(ClientTest, ConflictIsSurfacedAndBothDevicesConverge) {
  auto a = Ninewa("tab-a");
  auto b = Ninewa("tab-b");
  ASSERT_TRUE(a->client->Create(kHousehold, Household("Ninewa", 4), "hh-1").ok());
  ASSERT_TRUE(a->client->Sync().ok());
  ASSERT_TRUE(b->client->Sync().ok());
  ASSERT_EQ(b->client->Get("hh-1")->server_version, 1u);
  // Both edit household_size offline; A also edits team, B edits district.
  ASSERT_TRUE(
      a->client->Update("hh-1", {{"household_size", int64_t{5}}, {"team", std::string("T9")}})
          .ok());
  device_clock_.AdvanceMs(1000);
  ASSERT_TRUE(
      b->client
          ->Update("hh-1", {{"household_size", int64_t{6}}, {"district", std::string("Tel Afar")}})
          .ok());
  ASSERT_TRUE(a->client->Sync().ok());
  Recorder obs;
  auto r = b->client->Sync(&obs);
  ASSERT_TRUE(r.ok()) << r.status();
  EXPECT_EQ(r->conflicts, 1u);
  ASSERT_THAT(obs.conflicts, SizeIs(1));
  EXPECT_THAT(obs.conflicts[0].conflict_fields, ElementsAre("household_size"));
  EXPECT_EQ(b->client->GetStatus()->conflicts, 1u);
  ASSERT_TRUE(a->client->Sync().ok());

  auto ra = a->client->Get("hh-1");
  auto rb = b->client->Get("hh-1");
  auto server = server_.store()->GetRecord("hh-1").value();
  EXPECT_EQ(ra->fields, rb->fields);
  EXPECT_EQ(ra->server_version, server->version);
  EXPECT_EQ(rb->server_version, server->version);
  EXPECT_EQ(std::get<int64_t>(rb->fields.at("household_size")), 6);  // later HLC wins
  EXPECT_EQ(std::get<std::string>(rb->fields.at("team")), "T9");
  EXPECT_EQ(std::get<std::string>(rb->fields.at("district")), "Tel Afar");
  EXPECT_TRUE(ra->conflict);
}

TEST_F(ClientTest, AConflictLostByAnotherDeviceReachesAnUpToDateDevice) {
  auto a = Ninewa("tab-a");
  auto b = Ninewa("tab-b");
  ASSERT_TRUE(a->client->Create(kHousehold, Household("Ninewa", 4), "hh-1").ok());
  ASSERT_TRUE(a->client->Sync().ok());
  ASSERT_TRUE(b->client->Sync().ok());
  // B edits first (older HLC), A later; A syncs first, so B's edit loses.
  ASSERT_TRUE(b->client->Update("hh-1", {{"household_size", int64_t{6}}}).ok());
  device_clock_.AdvanceMs(1000);
  ASSERT_TRUE(a->client->Update("hh-1", {{"household_size", int64_t{5}}}).ok());
  ASSERT_TRUE(a->client->Sync().ok());
  ASSERT_EQ(a->client->Get("hh-1")->server_version, 2u);
  ASSERT_FALSE(a->client->Get("hh-1")->conflict);
  auto r = b->client->Sync();
  ASSERT_TRUE(r.ok()) << r.status();
  EXPECT_EQ(r->conflicts, 1u);

  // A is up to date at version 2; its next incremental pull learns of the open conflict.
  auto again = a->client->Sync();
  ASSERT_TRUE(again.ok()) << again.status();
  EXPECT_EQ(again->pulled, 1u);
  auto ra = a->client->Get("hh-1");
  ASSERT_TRUE(ra.ok());
  EXPECT_TRUE(ra->conflict);
  EXPECT_EQ(ra->server_version, 2u);
  EXPECT_EQ(std::get<int64_t>(ra->fields.at("household_size")), 5);
  auto rb = b->client->Get("hh-1");
  EXPECT_TRUE(rb->conflict);
  EXPECT_EQ(rb->fields, ra->fields);
}

TEST_F(ClientTest, PullRebasesPendingLocalEditsOnRemoteState) {
  auto a = Ninewa("tab-a");
  auto b = Ninewa("tab-b");
  ASSERT_TRUE(a->client->Create(kHousehold, Household("Ninewa", 4), "hh-1").ok());
  ASSERT_TRUE(a->client->Sync().ok());
  ASSERT_TRUE(b->client->Sync().ok());
  ASSERT_TRUE(b->client->Update("hh-1", {{"district", std::string("Sinjar")}}).ok());
  ASSERT_TRUE(b->client->Sync().ok());
  // A edits team while its sync is between push and pull: the pulled state (with B's
  // district) becomes the base, A's pending team edit stays on top.
  a->faults.before_pull = [&] {
    ASSERT_TRUE(a->client->Update("hh-1", {{"team", std::string("T7")}}).ok());
  };
  ASSERT_TRUE(a->client->Sync().ok());
  auto rec = a->client->Get("hh-1");
  EXPECT_EQ(std::get<std::string>(rec->fields.at("district")), "Sinjar");
  EXPECT_EQ(std::get<std::string>(rec->fields.at("team")), "T7");
  EXPECT_EQ(rec->pending_edits, 1u);
  EXPECT_EQ(rec->server_version, 2u);
  // The pending edit still carries the version it was made on (1, not the rebased 2): the
  // server merges it with B's change instead of mistaking it for a fast-forward.
  auto r = a->client->Sync();
  ASSERT_TRUE(r.ok()) << r.status();
  EXPECT_EQ(a->calls.requests.back().mutations(0).base_version(), 1u);
  EXPECT_EQ(r->merged, 1u);
  EXPECT_EQ(a->client->Get("hh-1")->server_version, 3u);
  auto server = server_.store()->GetRecord("hh-1").value();
  EXPECT_EQ(std::get<std::string>(server->fields.at("team")), "T7");
  EXPECT_EQ(std::get<std::string>(server->fields.at("district")), "Sinjar");
}

TEST_F(ClientTest, RecordsLeavingTheScopeAreRemoved) {
  auto t = Ninewa();
  ASSERT_TRUE(t->client->Create(kHousehold, Household("Ninewa"), "hh-1").ok());
  ASSERT_TRUE(t->client->Create(kHousehold, Household("Ninewa"), "hh-2").ok());
  ASSERT_TRUE(t->client->Sync().ok());
  auto admin = Open("admin", sync_test::AdminDevice());
  ASSERT_TRUE(admin->client->Sync().ok());
  ASSERT_TRUE(admin->client->Update("hh-2", {{"governorate", std::string("Anbar")}}).ok());
  ASSERT_TRUE(admin->client->Sync().ok());
  auto r = t->client->Sync();
  ASSERT_TRUE(r.ok()) << r.status();
  EXPECT_EQ(r->removed, 1u);
  EXPECT_EQ(t->client->Get("hh-2").status().code(), absl::StatusCode::kNotFound);
  EXPECT_TRUE(t->client->Get("hh-1").ok());
}

TEST_F(ClientTest, ResyncRequiredReplacesTheLocalCopyButKeepsPendingEdits) {
  auto t = Ninewa();
  ASSERT_TRUE(t->client->Create(kHousehold, Household("Ninewa"), "hh-1").ok());
  ASSERT_TRUE(t->client->Create(kHousehold, Household("Ninewa"), "hh-2").ok());
  ASSERT_TRUE(t->client->Sync().ok());
  auto admin = Open("admin", sync_test::AdminDevice());
  ASSERT_TRUE(admin->client->Sync().ok());
  ASSERT_TRUE(admin->client->Update("hh-2", {{"governorate", std::string("Anbar")}}).ok());
  ASSERT_TRUE(admin->client->Sync().ok());
  t->faults.resync_pulls = 1;
  // hh-3 is created while the sync is between push and pull: still pending during the
  // resync, it must survive it.
  t->faults.before_pull = [&] {
    ASSERT_TRUE(t->client->Create(kHousehold, Household("Ninewa"), "hh-3").ok());
  };
  ASSERT_TRUE(t->client->Create(kHousehold, Household("Ninewa"), "hh-4").ok());
  auto r = t->client->Sync();
  ASSERT_TRUE(r.ok()) << r.status();
  EXPECT_TRUE(r->resynced);
  EXPECT_EQ(t->calls.pull_requests.back().cursor(), "");
  EXPECT_EQ(t->client->Get("hh-2").status().code(), absl::StatusCode::kNotFound);
  EXPECT_TRUE(t->client->Get("hh-1").ok());
  EXPECT_EQ(t->client->Get("hh-3")->pending_edits, 1u);
  EXPECT_EQ(t->client->GetStatus()->records, 3u);  // hh-1, hh-3, hh-4
}

TEST_F(ClientTest, EveryEditEitherAppliedOrConflictedAcrossDevices) {
  // A small seeded convergence run: 3 tablets, random offline edits, random link cuts.
  std::vector<std::unique_ptr<Tablet>> tabs;
  for (int i = 0; i < 3; ++i) tabs.push_back(Ninewa("tab-" + std::to_string(i), 3));
  std::mt19937 rng(7);
  std::vector<std::string> ids;
  int edits = 0;
  for (int round = 0; round < 6; ++round) {
    for (auto& t : tabs) {
      for (int k = 0; k < 3; ++k) {
        device_clock_.AdvanceMs(1 + rng() % 50);
        if (ids.empty() || rng() % 3 == 0) {
          auto id = t->client->Create(kHousehold, Household("Ninewa", 1 + rng() % 20));
          ASSERT_TRUE(id.ok());
          ids.push_back(*id);
          ++edits;
        } else {
          const std::string& id = ids[rng() % ids.size()];
          if (!t->client->Get(id).ok() || t->client->Get(id)->deleted) continue;
          absl::Status s =
              rng() % 7 == 0 ? t->client->Delete(id)
                             : t->client->Update(id, {{"household_size", int64_t(1 + rng() % 40)}});
          ASSERT_TRUE(s.ok()) << s;
          ++edits;
        }
      }
      t->faults.lose_acks = rng() % 2;
      t->faults.fail_calls = rng() % 2;
      auto r = t->client->Sync();
      ASSERT_TRUE(r.ok()) << r.status();
    }
  }
  for (int pass = 0; pass < 2; ++pass) {
    for (auto& t : tabs) ASSERT_TRUE(t->client->Sync().ok());
  }
  uint64_t receipted = 0;
  std::map<std::string, Record> server;
  for (auto& rec : server_.AllRecords()) server[rec.record_id] = rec;
  for (auto& t : tabs) {
    EXPECT_EQ(t->client->GetStatus()->pending, 0u);
    auto receipts = t->client->Receipts(0, 10'000);
    ASSERT_TRUE(receipts.ok());
    for (const auto& rc : *receipts) {
      ++receipted;
      EXPECT_NE(rc.outcome, client::Outcome::kRejected);
    }
    auto all = t->client->Find({kHousehold, {}, /*include_deleted=*/true});
    ASSERT_TRUE(all.ok());
    EXPECT_EQ(all->size(), server.size());
    for (const auto& rec : *all) {
      ASSERT_TRUE(server.count(rec.record_id));
      EXPECT_EQ(rec.server_version, server[rec.record_id].version);
      EXPECT_EQ(rec.deleted, server[rec.record_id].deleted);
      if (!rec.deleted) {
        EXPECT_EQ(std::get<int64_t>(rec.fields.at("household_size")),
                  std::get<int64_t>(server[rec.record_id].fields.at("household_size")));
      }
    }
  }
  EXPECT_EQ(receipted, static_cast<uint64_t>(edits));  // none vanished
}

// ---- Pieces ----------------------------------------------------------------------------

TEST(ClientPiecesTest, HlcNeverGoesBackwards) {
  client::HlcState h{1000, 0};
  h = client::NextHlc(h, 1000);
  EXPECT_EQ(h.physical_ms, 1000);
  EXPECT_EQ(h.logical, 1u);
  h = client::NextHlc(h, 500);  // the clock was set back
  EXPECT_EQ(h.physical_ms, 1000);
  EXPECT_EQ(h.logical, 2u);
  h = client::NextHlc(h, 2000);
  EXPECT_EQ(h.physical_ms, 2000);
  EXPECT_EQ(h.logical, 0u);
}

TEST(ClientPiecesTest, BackoffDoublesUpToTheCapWithJitter) {
  client::Backoff b(100, 1000, 1);
  int64_t max_seen[6] = {0};
  for (int trial = 0; trial < 200; ++trial) {
    b.Reset();
    for (int i = 0; i < 6; ++i) max_seen[i] = std::max(max_seen[i], b.NextDelayMs());
  }
  const int64_t caps[] = {100, 200, 400, 800, 1000, 1000};
  for (int i = 0; i < 6; ++i) {
    EXPECT_LE(max_seen[i], caps[i]);
    EXPECT_GT(max_seen[i], caps[i] / 2);  // jitter spans the range
  }
}

TEST(ClientPiecesTest, DiskFullBecomesAClearResourceExhausted) {
  absl::Status s = client::FromRocks(rocksdb::Status::NoSpace("write failed"), "save changes");
  EXPECT_EQ(s.code(), absl::StatusCode::kResourceExhausted);
  EXPECT_EQ(s.message().substr(0, 9), "disk full");
  EXPECT_TRUE(client::IsDiskFull(s));
  // By RocksDB's subcode (its POSIX layer maps ENOSPC to it), not by the words of a message.
  s = client::FromRocks(rocksdb::Status::IOError("While appending: No space left on device"),
                        "save changes");
  EXPECT_FALSE(client::IsDiskFull(s));
  EXPECT_EQ(client::FromRocks(rocksdb::Status::Corruption("x"), "read").code(),
            absl::StatusCode::kDataLoss);
}

TEST(ClientPiecesTest, OpenRefusesBadOptions) {
  testing::TempDir dir;
  client::ClientOptions o;
  EXPECT_EQ(Client::Open(o).status().code(), absl::StatusCode::kInvalidArgument);
  o.data_dir = dir.path();
  o.server.target = "127.0.0.1:1";
  o.server.plaintext = true;
  o.push_batch = 501;  // over the server's batch limit
  EXPECT_EQ(Client::Open(o).status().code(), absl::StatusCode::kInvalidArgument);
  o.push_batch = 500;
  auto c = Client::Open(o);
  ASSERT_TRUE(c.ok()) << c.status();
  // The store is locked by the open client: a second one fails clearly.
  EXPECT_EQ(Client::Open(o).status().code(), absl::StatusCode::kFailedPrecondition);
}

}  // namespace
}  // namespace fieldsync::client_test
