#include "server/storage/store.h"

#include <atomic>
#include <cstdint>
#include <memory>
#include <string>
#include <utility>
#include <vector>

#include "gmock/gmock.h"
#include "gtest/gtest.h"
#include "server/forms/form_equality.h"
#include "server/storage/keys.h"
#include "tests/testing/form_v2_sample.h"

namespace fieldsync {
namespace {

using ::testing::ElementsAre;
using ::testing::IsEmpty;
using Strings = std::vector<std::string>;

// Every kind of value, so codecs are exercised on all of them.
FieldMap AllKinds() {
  FieldMap f;
  f["text"] = std::string("Ninewa");
  f["empty_text"] = std::string();
  f["int"] = int64_t{-1234567890123};
  f["decimal"] = 2.5;
  f["bool"] = true;
  f["false_bool"] = false;
  f["list"] = Strings{"food", "water"};
  f["empty_list"] = Strings{};
  f["geo"] = GeoPoint{36.34, 43.13};
  return f;
}

void ExpectSameHlc(const Hlc& a, const Hlc& b) {
  EXPECT_EQ(a.physical_ms, b.physical_ms);
  EXPECT_EQ(a.logical, b.logical);
  EXPECT_EQ(a.device_id, b.device_id);
}

void ExpectSameRecord(const Record& a, const Record& b) {
  EXPECT_EQ(a.record_id, b.record_id);
  EXPECT_EQ(a.form_id, b.form_id);
  EXPECT_EQ(a.form_version, b.form_version);
  EXPECT_EQ(a.version, b.version);
  EXPECT_EQ(a.seq, b.seq);
  EXPECT_EQ(a.deleted, b.deleted);
  EXPECT_EQ(a.open_conflict, b.open_conflict);
  EXPECT_EQ(a.last_writer_device, b.last_writer_device);
  EXPECT_EQ(a.fields, b.fields);
  ASSERT_EQ(a.field_meta.size(), b.field_meta.size());
  for (const auto& [name, meta] : a.field_meta) {
    auto it = b.field_meta.find(name);
    ASSERT_NE(it, b.field_meta.end()) << name;
    EXPECT_EQ(meta.version, it->second.version) << name;
    EXPECT_EQ(meta.device_id, it->second.device_id) << name;
    EXPECT_EQ(meta.role, it->second.role) << name;
    ExpectSameHlc(meta.hlc, it->second.hlc);
  }
  EXPECT_EQ(a.content_hash, b.content_hash);
  EXPECT_EQ(a.updated_ms, b.updated_ms);
  EXPECT_EQ(a.deleted_version, b.deleted_version);
  EXPECT_EQ(a.parent_record_id, b.parent_record_id);
  EXPECT_EQ(a.repeat, b.repeat);
  EXPECT_EQ(a.ordinal, b.ordinal);
  EXPECT_EQ(a.root_record_id, b.root_record_id);
  EXPECT_EQ(a.root_scope, b.root_scope);
}

void ExpectSameChange(const ChangeEntry& a, const ChangeEntry& b) {
  EXPECT_EQ(a.seq, b.seq);
  EXPECT_EQ(a.record_id, b.record_id);
  EXPECT_EQ(a.form_id, b.form_id);
  EXPECT_EQ(a.form_version, b.form_version);
  EXPECT_EQ(a.version, b.version);
  EXPECT_EQ(a.created, b.created);
  EXPECT_EQ(a.deleted_before, b.deleted_before);
  EXPECT_EQ(a.deleted_after, b.deleted_after);
  ASSERT_EQ(a.changes.size(), b.changes.size());
  for (size_t i = 0; i < a.changes.size(); ++i) {
    EXPECT_EQ(a.changes[i].field, b.changes[i].field);
    EXPECT_EQ(a.changes[i].before, b.changes[i].before) << a.changes[i].field;
    EXPECT_EQ(a.changes[i].after, b.changes[i].after) << a.changes[i].field;
  }
  EXPECT_EQ(a.scope_before, b.scope_before);
  EXPECT_EQ(a.scope_after, b.scope_after);
  EXPECT_EQ(a.device_id, b.device_id);
  EXPECT_EQ(a.commit_time_ms, b.commit_time_ms);
  EXPECT_EQ(a.parent_record_id, b.parent_record_id);
  EXPECT_EQ(a.repeat, b.repeat);
  EXPECT_EQ(a.ordinal, b.ordinal);
  EXPECT_EQ(a.root_record_id, b.root_record_id);
}

void ExpectSameMutation(const Mutation& a, const Mutation& b) {
  EXPECT_EQ(a.device_seq, b.device_seq);
  EXPECT_EQ(a.record_id, b.record_id);
  EXPECT_EQ(a.form_id, b.form_id);
  EXPECT_EQ(a.form_version, b.form_version);
  EXPECT_EQ(a.base_version, b.base_version);
  EXPECT_EQ(a.op, b.op);
  EXPECT_EQ(a.fields, b.fields);
  ExpectSameHlc(a.hlc, b.hlc);
  EXPECT_EQ(a.parent_record_id, b.parent_record_id);
  EXPECT_EQ(a.repeat, b.repeat);
  EXPECT_EQ(a.ordinal, b.ordinal);
}

Record SampleRecord(const std::string& id) {
  Record r;
  r.record_id = id;
  r.form_id = "displacement_household";
  r.form_version = 3;
  r.version = 7;
  r.seq = 65536;
  r.deleted = false;
  r.open_conflict = true;
  r.last_writer_device = "tab-2";
  r.fields = AllKinds();
  r.field_meta["text"] = FieldMeta{5, Hlc{1'700'000'000'123, 4, "tab-1"}, "tab-1"};
  r.field_meta["int"] =
      FieldMeta{7, Hlc{1'700'000'000'999, 0, "tab-2"}, "tab-2", Role::kSupervisor};
  r.field_meta["gone"] = FieldMeta{6, Hlc{1, 1, "tab-3"}, "tab-3"};  // a cleared field
  r.content_hash = std::string(64, 'a');
  r.updated_ms = 1'700'000'001'000;
  r.deleted_version = 0;
  return r;
}

ChangeEntry SampleChange(uint64_t seq) {
  ChangeEntry c;
  c.seq = seq;
  c.record_id = "rec-" + std::to_string(seq);
  c.form_id = "displacement_household";
  c.form_version = 2;
  c.version = 4;
  c.created = false;
  c.deleted_before = false;
  c.deleted_after = true;
  c.changes.push_back({"household_size", int64_t{4}, Value{}});
  c.changes.push_back({"needs", Strings{"food"}, Strings{"food", "water"}});
  c.changes.push_back({"location", Value{}, GeoPoint{1.5, -2.5}});
  c.changes.push_back({"notes", std::string("x"), std::string("y")});
  c.scope_before = {{"governorate", "Ninewa"}, {"team", "T1"}};
  c.scope_after = {{"governorate", "Anbar"}};
  c.device_id = "tab-1";
  c.commit_time_ms = 1'700'000'000'000 + static_cast<int64_t>(seq);
  return c;
}

Receipt SampleReceipt(uint64_t device_seq) {
  Receipt r;
  r.device_seq = device_seq;
  r.record_id = "rec-" + std::to_string(device_seq);
  r.content_hash = std::string(64, 'b');
  r.outcome = Outcome::kConflict;
  r.record_version = 3;
  r.seq = 100 + device_seq;
  r.conflict_fields = {"household_size", "needs"};
  r.errors = {{"district", "required"}};
  r.expected_device_seq = 0;
  return r;
}

Form SampleForm(const std::string& id, uint32_t version) {
  Form f;
  f.form_id = id;
  f.version = version;
  f.title = "Form " + id;
  FieldDef gov;
  gov.name = "governorate";
  gov.type = FieldType::kSelectOne;
  gov.required = true;
  gov.choices = {"Ninewa", "Anbar"};
  gov.label = "Governorate";
  f.fields.push_back(gov);
  FieldDef size;
  size.name = "household_size";
  size.type = FieldType::kInt;
  size.min = 1;
  size.max = 60;
  f.fields.push_back(size);
  FieldDef name;
  name.name = "name";
  name.type = FieldType::kString;
  name.regex = "[A-Za-z ]+";
  name.pii = true;
  f.fields.push_back(name);
  FieldDef zero_min;
  zero_min.name = "income";
  zero_min.type = FieldType::kDecimal;
  zero_min.min = 0;  // an explicit 0 bound is not "no bound"
  f.fields.push_back(zero_min);
  f.scope_fields = {"governorate"};
  f.edit_policy = EditPolicy::kAppendOnly;
  f.conflict_policy = ConflictPolicy::kManual;
  AggregationDef agg;
  agg.name = "per_gov";
  agg.group_by = {"governorate"};
  agg.time_field = "visit_date";
  agg.bucket = TimeBucket::kMonth;
  agg.measures = {Measure{"n", Measure::Kind::kCount, ""},
                  Measure{"people", Measure::Kind::kSum, "household_size"}};
  f.aggregations.push_back(agg);
  return f;
}

class StoreTest : public ::testing::Test {
 protected:
  void SetUp() override {
    static std::atomic<int> counter{0};
    StoreOptions options;
    options.in_memory = true;
    options.path = "/mem/store_test" + std::to_string(counter++);
    auto store = Store::Open(options);
    ASSERT_TRUE(store.ok()) << store.status();
    store_ = std::move(*store);
  }

  void Write(Store::Batch& batch) {
    absl::Status s = store_->Write(batch, /*sync=*/true);
    ASSERT_TRUE(s.ok()) << s;
  }

  std::unique_ptr<Store> store_;
};

TEST_F(StoreTest, RecordRoundTrip) {
  Record live = SampleRecord("rec-1");
  Record tombstone = SampleRecord("rec-2");
  tombstone.deleted = true;
  tombstone.deleted_version = 7;
  tombstone.open_conflict = false;
  tombstone.fields = {{"governorate", std::string("Ninewa")}};
  Store::Batch batch;
  batch.PutRecord(live);
  batch.PutRecord(tombstone);
  EXPECT_EQ(batch.Count(), 2);
  EXPECT_GT(batch.ByteSize(), 0u);
  Write(batch);

  auto got = store_->GetRecord("rec-1");
  ASSERT_TRUE(got.ok()) << got.status();
  ASSERT_TRUE(got->has_value());
  ExpectSameRecord(**got, live);
  auto got2 = store_->GetRecord("rec-2");
  ASSERT_TRUE(got2.ok() && got2->has_value());
  ExpectSameRecord(**got2, tombstone);

  auto missing = store_->GetRecord("rec-");
  ASSERT_TRUE(missing.ok()) << missing.status();
  EXPECT_FALSE(missing->has_value());
}

TEST_F(StoreTest, GetRecordsBatchedInOrder) {
  Store::Batch batch;
  batch.PutRecord(SampleRecord("rec-1"));
  Record two = SampleRecord("rec-2");
  two.version = 2;
  batch.PutRecord(two);
  Write(batch);

  auto got = store_->GetRecords({"rec-2", "missing", "rec-1", "rec-2", "rec-"});
  ASSERT_TRUE(got.ok()) << got.status();
  ASSERT_EQ(got->size(), 5u);
  ASSERT_TRUE((*got)[0].has_value());
  EXPECT_EQ((*got)[0]->record_id, "rec-2");
  EXPECT_EQ((*got)[0]->version, 2u);
  EXPECT_FALSE((*got)[1].has_value());
  ASSERT_TRUE((*got)[2].has_value());
  ExpectSameRecord(*(*got)[2], SampleRecord("rec-1"));
  ASSERT_TRUE((*got)[3].has_value());
  EXPECT_EQ((*got)[3]->record_id, "rec-2");
  EXPECT_FALSE((*got)[4].has_value());

  auto none = store_->GetRecords({});
  ASSERT_TRUE(none.ok());
  EXPECT_THAT(*none, IsEmpty());
}

TEST_F(StoreTest, RecordOverwrite) {
  Record r = SampleRecord("rec-1");
  Store::Batch b1;
  b1.PutRecord(r);
  Write(b1);
  r.version = 8;
  r.fields.erase("text");
  Store::Batch b2;
  b2.PutRecord(r);
  Write(b2);
  auto got = store_->GetRecord("rec-1");
  ASSERT_TRUE(got.ok() && got->has_value());
  EXPECT_EQ((*got)->version, 8u);
  EXPECT_EQ((*got)->fields.count("text"), 0u);
}

TEST_F(StoreTest, DeviceRoundTripAndTokenIndex) {
  Device d;
  d.device_id = "tab-1";
  d.role = Role::kBorderOfficer;
  d.all_scopes = false;
  d.scopes = {{"border_point", "BP-001"}, {"border_point", "BP-002"}};
  d.token_hash = std::string(64, 'c');
  d.revoked = false;
  d.created_ms = 1234;
  Device admin;
  admin.device_id = "admin";
  admin.role = Role::kAdmin;
  admin.all_scopes = true;
  admin.token_hash = std::string(64, 'd');
  Store::Batch batch;
  batch.PutDevice(d);
  batch.PutDevice(admin);
  Write(batch);

  auto got = store_->GetDevice("tab-1");
  ASSERT_TRUE(got.ok() && got->has_value()) << got.status();
  EXPECT_EQ((*got)->device_id, "tab-1");
  EXPECT_EQ((*got)->role, Role::kBorderOfficer);
  EXPECT_FALSE((*got)->all_scopes);
  EXPECT_EQ((*got)->scopes, d.scopes);
  EXPECT_EQ((*got)->token_hash, d.token_hash);
  EXPECT_FALSE((*got)->revoked);
  EXPECT_EQ((*got)->created_ms, 1234);

  auto by_token = store_->GetDeviceIdByTokenHash(d.token_hash);
  ASSERT_TRUE(by_token.ok() && by_token->has_value());
  EXPECT_EQ(**by_token, "tab-1");
  auto unknown = store_->GetDeviceIdByTokenHash(std::string(64, 'e'));
  ASSERT_TRUE(unknown.ok());
  EXPECT_FALSE(unknown->has_value());

  auto devices = store_->ListDevices();
  ASSERT_TRUE(devices.ok());
  ASSERT_EQ(devices->size(), 2u);
  EXPECT_EQ((*devices)[0].device_id, "admin");
  EXPECT_TRUE((*devices)[0].all_scopes);
  EXPECT_EQ((*devices)[1].device_id, "tab-1");

  Store::Batch revoke;
  revoke.DeleteTokenIndex(d.token_hash);
  Write(revoke);
  auto gone = store_->GetDeviceIdByTokenHash(d.token_hash);
  ASSERT_TRUE(gone.ok());
  EXPECT_FALSE(gone->has_value());
  auto missing = store_->GetDevice("tab-");
  ASSERT_TRUE(missing.ok());
  EXPECT_FALSE(missing->has_value());
}

TEST_F(StoreTest, DeviceSyncStateRoundTripAndDefault) {
  auto fresh = store_->GetDeviceSyncState("never-synced");
  ASSERT_TRUE(fresh.ok()) << fresh.status();
  EXPECT_EQ(fresh->acked_seq, 0u);
  EXPECT_EQ(fresh->last_seen_ms, 0);

  DeviceSyncState s;
  s.acked_seq = 42;
  s.last_seen_ms = 10;
  s.last_push_ms = 11;
  s.last_pull_ms = 12;
  s.last_pull_seq = 13;
  s.clock_skew_ms = -14;
  s.quarantined = 15;
  s.conflicts = 16;
  s.report.app_version = "1.2.3";
  s.report.form_versions = {{"displacement_household", 2}, {"border_crossing", 1}};
  s.report.outbox_depth = 17;
  s.report.oldest_unsent_age_ms = 18;
  s.report.device_clock_ms = 19;
  s.report.free_storage_bytes = 20;
  Store::Batch batch;
  batch.PutDeviceSyncState("tab-1", s);
  Write(batch);

  auto got = store_->GetDeviceSyncState("tab-1");
  ASSERT_TRUE(got.ok());
  EXPECT_EQ(got->acked_seq, 42u);
  EXPECT_EQ(got->last_seen_ms, 10);
  EXPECT_EQ(got->last_push_ms, 11);
  EXPECT_EQ(got->last_pull_ms, 12);
  EXPECT_EQ(got->last_pull_seq, 13u);
  EXPECT_EQ(got->clock_skew_ms, -14);
  EXPECT_EQ(got->quarantined, 15u);
  EXPECT_EQ(got->conflicts, 16u);
  EXPECT_EQ(got->report.app_version, "1.2.3");
  EXPECT_EQ(got->report.form_versions, s.report.form_versions);
  EXPECT_EQ(got->report.outbox_depth, 17u);
  EXPECT_EQ(got->report.oldest_unsent_age_ms, 18);
  EXPECT_EQ(got->report.device_clock_ms, 19);
  EXPECT_EQ(got->report.free_storage_bytes, 20u);
  // Another device's state is separate.
  auto other = store_->GetDeviceSyncState("tab-10");
  ASSERT_TRUE(other.ok());
  EXPECT_EQ(other->acked_seq, 0u);
}

TEST_F(StoreTest, ReceiptRoundTrip) {
  Receipt r = SampleReceipt(5);
  Receipt ooo;
  ooo.device_seq = 6;
  ooo.record_id = "rec-6";
  ooo.outcome = Outcome::kOutOfOrder;
  ooo.expected_device_seq = 4;
  Store::Batch batch;
  batch.PutReceipt("tab-1", r);
  batch.PutReceipt("tab-1", ooo);
  Write(batch);

  auto got = store_->GetReceipt("tab-1", 5);
  ASSERT_TRUE(got.ok() && got->has_value()) << got.status();
  const Receipt& g = **got;
  EXPECT_EQ(g.device_seq, 5u);
  EXPECT_EQ(g.record_id, "rec-5");
  EXPECT_EQ(g.content_hash, r.content_hash);
  EXPECT_EQ(g.outcome, Outcome::kConflict);
  EXPECT_FALSE(g.original_outcome.has_value());
  EXPECT_EQ(g.record_version, 3u);
  EXPECT_EQ(g.seq, 105u);
  EXPECT_EQ(g.conflict_fields, r.conflict_fields);
  EXPECT_EQ(g.errors, r.errors);

  auto got_ooo = store_->GetReceipt("tab-1", 6);
  ASSERT_TRUE(got_ooo.ok() && got_ooo->has_value());
  EXPECT_EQ((*got_ooo)->outcome, Outcome::kOutOfOrder);
  EXPECT_EQ((*got_ooo)->expected_device_seq, 4u);

  auto missing = store_->GetReceipt("tab-1", 7);
  ASSERT_TRUE(missing.ok());
  EXPECT_FALSE(missing->has_value());
  auto other_device = store_->GetReceipt("tab-2", 5);
  ASSERT_TRUE(other_device.ok());
  EXPECT_FALSE(other_device->has_value());
}

TEST_F(StoreTest, ListReceiptsSinceAndLimit) {
  Store::Batch batch;
  for (uint64_t s : {1, 2, 3, 4, 5, 6, 255, 256, 257}) batch.PutReceipt("tab-1", SampleReceipt(s));
  // Neighbouring devices whose keys must not leak into tab-1's listing.
  batch.PutReceipt("tab-", SampleReceipt(3));
  batch.PutReceipt("tab-10", SampleReceipt(4));
  batch.PutReceipt("tab-2", SampleReceipt(1));
  Write(batch);

  auto seqs = [&](uint64_t since, size_t limit) {
    auto list = store_->ListReceipts("tab-1", since, limit);
    EXPECT_TRUE(list.ok()) << list.status();
    std::vector<uint64_t> out;
    if (list.ok()) {
      for (const auto& r : *list) out.push_back(r.device_seq);
    }
    return out;
  };
  EXPECT_THAT(seqs(0, 100), ElementsAre(1, 2, 3, 4, 5, 6, 255, 256, 257));
  EXPECT_THAT(seqs(1, 100), ElementsAre(1, 2, 3, 4, 5, 6, 255, 256, 257));
  EXPECT_THAT(seqs(4, 3), ElementsAre(4, 5, 6));
  EXPECT_THAT(seqs(7, 100), ElementsAre(255, 256, 257));
  EXPECT_THAT(seqs(256, 100), ElementsAre(256, 257));
  EXPECT_THAT(seqs(258, 100), IsEmpty());
  EXPECT_THAT(seqs(1, 0), IsEmpty());
  EXPECT_THAT(seqs(1, 1), ElementsAre(1));

  auto none = store_->ListReceipts("tab-3", 0, 100);
  ASSERT_TRUE(none.ok());
  EXPECT_THAT(*none, IsEmpty());
  auto ten = store_->ListReceipts("tab-10", 0, 100);
  ASSERT_TRUE(ten.ok());
  ASSERT_EQ(ten->size(), 1u);
  EXPECT_EQ((*ten)[0].device_seq, 4u);
}

TEST_F(StoreTest, ChildRecordRoundTripAndChildIndex) {
  Record child = SampleRecord("member-1");
  child.parent_record_id = "household-1";
  child.repeat = "members";
  child.ordinal = 3;
  child.root_record_id = "household-1";
  child.root_scope = {{"governorate", "Ninewa"}, {"team", "T1"}};
  ChangeEntry change = SampleChange(9);
  change.parent_record_id = "household-1";
  change.repeat = "members";
  change.ordinal = 3;
  change.root_record_id = "household-1";
  Store::Batch batch;
  batch.PutRecord(child);
  batch.PutChange(change);
  batch.PutChildIndex("household-1", "member-2");
  batch.PutChildIndex("household-1", "member-1");
  batch.PutChildIndex("household-10", "member-x");  // a longer id with the same start
  Write(batch);

  auto got = store_->GetRecord("member-1");
  ASSERT_TRUE(got.ok() && got->has_value()) << got.status();
  ExpectSameRecord(**got, child);
  auto changes = store_->ReadChanges(9, 9, 1);
  ASSERT_TRUE(changes.ok() && changes->size() == 1u);
  ExpectSameChange((*changes)[0], change);

  auto ids = store_->ListChildIds("household-1", 10);
  ASSERT_TRUE(ids.ok()) << ids.status();
  EXPECT_THAT(*ids, ElementsAre("member-1", "member-2"));
  auto limited = store_->ListChildIds("household-1", 1);
  ASSERT_TRUE(limited.ok());
  EXPECT_THAT(*limited, ElementsAre("member-1"));
  auto none = store_->ListChildIds("household-", 10);
  ASSERT_TRUE(none.ok());
  EXPECT_THAT(*none, IsEmpty());
}

TEST_F(StoreTest, ChangeRoundTripAndReadChangesRange) {
  Store::Batch batch;
  for (uint64_t s : {1, 2, 3, 4, 5, 7, 8, 255, 256, 65536}) batch.PutChange(SampleChange(s));
  Write(batch);

  auto all = store_->ReadChanges(0, UINT64_MAX, 100);
  ASSERT_TRUE(all.ok()) << all.status();
  ASSERT_EQ(all->size(), 10u);
  ExpectSameChange((*all)[0], SampleChange(1));
  ExpectSameChange((*all)[9], SampleChange(65536));

  auto seqs = [&](uint64_t from, uint64_t to, size_t limit) {
    auto list = store_->ReadChanges(from, to, limit);
    EXPECT_TRUE(list.ok()) << list.status();
    std::vector<uint64_t> out;
    if (list.ok()) {
      for (const auto& c : *list) out.push_back(c.seq);
    }
    return out;
  };
  EXPECT_THAT(seqs(0, UINT64_MAX, 100), ElementsAre(1, 2, 3, 4, 5, 7, 8, 255, 256, 65536));
  EXPECT_THAT(seqs(3, 7, 100), ElementsAre(3, 4, 5, 7));  // both ends inclusive, gaps skipped
  EXPECT_THAT(seqs(3, 7, 2), ElementsAre(3, 4));
  EXPECT_THAT(seqs(6, 6, 100), IsEmpty());
  EXPECT_THAT(seqs(255, 255, 100), ElementsAre(255));
  EXPECT_THAT(seqs(9, 65535, 100), ElementsAre(255, 256));
  EXPECT_THAT(seqs(5, 4, 100), IsEmpty());
  EXPECT_THAT(seqs(1, 100, 0), IsEmpty());
  EXPECT_THAT(seqs(65537, UINT64_MAX, 100), IsEmpty());
}

TEST_F(StoreTest, LastChangeSeq) {
  auto empty = store_->LastChangeSeq();
  ASSERT_TRUE(empty.ok());
  EXPECT_EQ(*empty, 0u);

  // Keys of other kinds around the change keys must not confuse it.
  Store::Batch batch;
  batch.PutRecord(SampleRecord("zzz"));
  batch.PutMeta(keys::kHeadSeq, 999999);
  batch.PutChange(SampleChange(255));
  batch.PutChange(SampleChange(256));
  batch.PutChange(SampleChange(3));
  Write(batch);
  auto last = store_->LastChangeSeq();
  ASSERT_TRUE(last.ok());
  EXPECT_EQ(*last, 256u);

  Store::Batch del;
  del.DeleteChange(256);
  Write(del);
  last = store_->LastChangeSeq();
  ASSERT_TRUE(last.ok());
  EXPECT_EQ(*last, 255u);
}

TEST_F(StoreTest, ScanScopeIndexBounds) {
  const ScopePair ninewa{"governorate", "Ninewa"};
  Store::Batch batch;
  for (uint64_t s = 1; s <= 10; ++s) {
    batch.PutScopeIndex("household", ninewa, s, "rec-" + std::to_string(s));
  }
  batch.PutScopeIndex("household", ninewa, 256, "rec-256");
  // Neighbours in key space.
  batch.PutScopeIndex("household", {"governorate", "Ninewa2"}, 5, "other-value");
  batch.PutScopeIndex("household", {"governorate", "Ninew"}, 5, "shorter-value");
  batch.PutScopeIndex("household2", ninewa, 5, "other-form");
  batch.PutScopeIndex("household", {"governorateX", "Ninewa"}, 5, "other-field");
  batch.PutScopeIndex("household", {"", ""}, 5, "form-wide");
  Write(batch);

  auto scan = [&](uint64_t after, uint64_t to) {
    std::vector<std::pair<uint64_t, std::string>> out;
    absl::Status s = store_->ScanScopeIndex("household", ninewa, after, to,
                                            [&](uint64_t seq, std::string_view id) {
                                              out.emplace_back(seq, std::string(id));
                                              return true;
                                            });
    EXPECT_TRUE(s.ok()) << s;
    std::vector<uint64_t> seqs;
    for (const auto& [seq, id] : out) {
      EXPECT_EQ(id, "rec-" + std::to_string(seq));
      seqs.push_back(seq);
    }
    return seqs;
  };
  EXPECT_THAT(scan(0, UINT64_MAX), ElementsAre(1, 2, 3, 4, 5, 6, 7, 8, 9, 10, 256));
  EXPECT_THAT(scan(3, 7), ElementsAre(4, 5, 6, 7));  // after exclusive, to inclusive
  EXPECT_THAT(scan(0, 1), ElementsAre(1));
  EXPECT_THAT(scan(9, 255), ElementsAre(10));
  EXPECT_THAT(scan(10, 256), ElementsAre(256));
  EXPECT_THAT(scan(7, 7), IsEmpty());
  EXPECT_THAT(scan(8, 7), IsEmpty());
  EXPECT_THAT(scan(256, UINT64_MAX), IsEmpty());

  // The callback stops the scan.
  int calls = 0;
  ASSERT_TRUE(store_
                  ->ScanScopeIndex("household", ninewa, 0, UINT64_MAX,
                                   [&](uint64_t, std::string_view) { return ++calls < 3; })
                  .ok());
  EXPECT_EQ(calls, 3);

  // Deleting one entry removes exactly it.
  Store::Batch del;
  del.DeleteScopeIndex("household", ninewa, 5);
  Write(del);
  EXPECT_THAT(scan(3, 7), ElementsAre(4, 6, 7));

  // The form-wide coordinate is its own index.
  std::vector<std::string> wide;
  ASSERT_TRUE(store_
                  ->ScanScopeIndex("household", {"", ""}, 0, UINT64_MAX,
                                   [&](uint64_t, std::string_view id) {
                                     wide.emplace_back(id);
                                     return true;
                                   })
                  .ok());
  EXPECT_THAT(wide, ElementsAre("form-wide"));
}

TEST_F(StoreTest, FormRoundTripAndLatest) {
  Store::Batch batch;
  batch.PutForm(SampleForm("f", 1));
  batch.PutForm(SampleForm("f", 2));
  batch.PutForm(SampleForm("f", 10));  // numeric order, not text order
  batch.PutForm(SampleForm("f2", 99));
  batch.PutForm(SampleForm("e", 5));
  Write(batch);

  auto v2 = store_->GetForm("f", 2);
  ASSERT_TRUE(v2.ok() && v2->has_value()) << v2.status();
  const Form& f = **v2;
  const Form want = SampleForm("f", 2);
  EXPECT_EQ(f.form_id, "f");
  EXPECT_EQ(f.version, 2u);
  EXPECT_EQ(f.title, want.title);
  ASSERT_EQ(f.fields.size(), want.fields.size());
  for (size_t i = 0; i < f.fields.size(); ++i) {
    EXPECT_EQ(f.fields[i].name, want.fields[i].name);
    EXPECT_EQ(f.fields[i].type, want.fields[i].type);
    EXPECT_EQ(f.fields[i].required, want.fields[i].required);
    EXPECT_EQ(f.fields[i].min, want.fields[i].min) << f.fields[i].name;
    EXPECT_EQ(f.fields[i].max, want.fields[i].max) << f.fields[i].name;
    EXPECT_EQ(f.fields[i].regex, want.fields[i].regex);
    EXPECT_EQ(f.fields[i].choices, want.fields[i].choices);
    EXPECT_EQ(f.fields[i].pii, want.fields[i].pii);
    EXPECT_EQ(f.fields[i].label, want.fields[i].label);
  }
  EXPECT_EQ(f.scope_fields, want.scope_fields);
  EXPECT_EQ(f.edit_policy, EditPolicy::kAppendOnly);
  EXPECT_EQ(f.conflict_policy, ConflictPolicy::kManual);
  ASSERT_EQ(f.aggregations.size(), 1u);
  EXPECT_EQ(f.aggregations[0].name, "per_gov");
  EXPECT_EQ(f.aggregations[0].group_by, want.aggregations[0].group_by);
  EXPECT_EQ(f.aggregations[0].time_field, "visit_date");
  EXPECT_EQ(f.aggregations[0].bucket, TimeBucket::kMonth);
  ASSERT_EQ(f.aggregations[0].measures.size(), 2u);
  EXPECT_EQ(f.aggregations[0].measures[1].kind, Measure::Kind::kSum);
  EXPECT_EQ(f.aggregations[0].measures[1].field, "household_size");

  auto latest = store_->GetForm("f", 0);
  ASSERT_TRUE(latest.ok() && latest->has_value());
  EXPECT_EQ((*latest)->form_id, "f");
  EXPECT_EQ((*latest)->version, 10u);
  auto latest_f2 = store_->GetForm("f2", 0);
  ASSERT_TRUE(latest_f2.ok() && latest_f2->has_value());
  EXPECT_EQ((*latest_f2)->form_id, "f2");
  EXPECT_EQ((*latest_f2)->version, 99u);
  auto latest_e = store_->GetForm("e", 0);
  ASSERT_TRUE(latest_e.ok() && latest_e->has_value());
  EXPECT_EQ((*latest_e)->form_id, "e");

  for (auto [id, version] : std::vector<std::pair<std::string, uint32_t>>{
           {"f", 3}, {"g", 0}, {"", 0}, {"f2", 1}, {"f", 0xFFFFFFFF}}) {
    auto missing = store_->GetForm(id, version);
    ASSERT_TRUE(missing.ok()) << missing.status();
    EXPECT_FALSE(missing->has_value()) << id << "@" << version;
  }

  auto forms = store_->ListForms();
  ASSERT_TRUE(forms.ok());
  EXPECT_EQ(forms->size(), 5u);
}

// Form model v2 members (groups, repeats, expressions, languages, choice lists, media) are
// stored and read back exactly.
TEST_F(StoreTest, FormV2RoundTrip) {
  const Form want = testing::SampleFormV2();
  Store::Batch batch;
  batch.PutForm(want);
  Write(batch);
  auto got = store_->GetForm(want.form_id, want.version);
  ASSERT_TRUE(got.ok() && got->has_value()) << got.status();
  EXPECT_TRUE(SameFormDefinition(**got, want));
  EXPECT_EQ((*got)->groups.size(), 3u);
  EXPECT_EQ((*got)->fields[2].constraint_messages.at("Arabic (ar)"), "بين 1 و 60");
  // A v1 form reads back with every v2 member empty.
  const Form v1 = SampleForm("plain", 1);
  Store::Batch b2;
  b2.PutForm(v1);
  Write(b2);
  auto plain = store_->GetForm("plain", 1);
  ASSERT_TRUE(plain.ok() && plain->has_value());
  EXPECT_TRUE(SameFormDefinition(**plain, v1));
  EXPECT_TRUE((*plain)->groups.empty() && (*plain)->languages.empty());
}

TEST_F(StoreTest, GetLatestFormIgnoresLongerIdWithCommonPrefix) {
  // Only "f" version 1 and a higher "f2": the latest "f" is still version 1.
  Store::Batch batch;
  batch.PutForm(SampleForm("f", 1));
  batch.PutForm(SampleForm("f2", 7));
  batch.PutForm(SampleForm("f0", 8));
  Write(batch);
  auto latest = store_->GetForm("f", 0);
  ASSERT_TRUE(latest.ok() && latest->has_value()) << latest.status();
  EXPECT_EQ((*latest)->form_id, "f");
  EXPECT_EQ((*latest)->version, 1u);
  // And an id that is a prefix of stored ones, with no versions itself, has no latest.
  Store::Batch other;
  other.PutForm(SampleForm("ab", 1));
  Write(other);
  auto a = store_->GetForm("a", 0);
  ASSERT_TRUE(a.ok());
  EXPECT_FALSE(a->has_value());
}

TEST_F(StoreTest, MetaRoundTrip) {
  auto absent = store_->GetMeta(keys::kMinRetainedSeq);
  ASSERT_TRUE(absent.ok());
  EXPECT_EQ(*absent, 0u);
  Store::Batch batch;
  batch.PutMeta(keys::kMinRetainedSeq, 0x0102030405060708ULL);
  batch.PutMeta(keys::kHeadSeq, 7);
  Write(batch);
  auto got = store_->GetMeta(keys::kMinRetainedSeq);
  ASSERT_TRUE(got.ok());
  EXPECT_EQ(*got, 0x0102030405060708ULL);
  auto head = store_->GetMeta(keys::kHeadSeq);
  ASSERT_TRUE(head.ok());
  EXPECT_EQ(*head, 7u);
}

TEST_F(StoreTest, QuarantineRoundTrip) {
  QuarantineEntry q;
  q.device_id = "tab-1";
  q.mutation.device_seq = 12;
  q.mutation.record_id = "rec-9";
  q.mutation.form_id = "displacement_household";
  q.mutation.form_version = 1;
  q.mutation.base_version = 3;
  q.mutation.op = MutationOp::kUpsert;
  q.mutation.fields = AllKinds();
  q.mutation.fields["cleared"] = Value{};
  q.mutation.hlc = Hlc{1'700'000'000'000, 3, "tab-1"};
  q.errors = {{"household_size", "must be at least 1"}, {"x", "unknown field"}};
  q.reason = "invalid";
  q.received_ms = 555;
  QuarantineEntry del = q;
  del.mutation.device_seq = 13;
  del.mutation.op = MutationOp::kDelete;
  del.mutation.fields.clear();
  QuarantineEntry other = q;
  other.device_id = "tab-10";
  q.mutation.parent_record_id = "household-1";  // a child's place is kept as sent
  q.mutation.repeat = "members";
  q.mutation.ordinal = 2;

  Store::Batch batch;
  batch.PutQuarantine(del);
  batch.PutQuarantine(q);
  batch.PutQuarantine(other);
  Write(batch);

  auto list = store_->ListQuarantine("tab-1");
  ASSERT_TRUE(list.ok()) << list.status();
  ASSERT_EQ(list->size(), 2u);
  const QuarantineEntry& g = (*list)[0];
  EXPECT_EQ(g.device_id, "tab-1");
  ExpectSameMutation(g.mutation, q.mutation);
  EXPECT_EQ(g.errors, q.errors);
  EXPECT_EQ(g.reason, "invalid");
  EXPECT_EQ(g.received_ms, 555);
  EXPECT_EQ((*list)[1].mutation.device_seq, 13u);
  EXPECT_EQ((*list)[1].mutation.op, MutationOp::kDelete);

  // A mutation quarantined for an invalid op keeps that op: it must not replay as an upsert.
  QuarantineEntry bad_op = q;
  bad_op.mutation.device_seq = 14;
  bad_op.mutation.op = static_cast<MutationOp>(0);
  Store::Batch bad_batch;
  bad_batch.PutQuarantine(bad_op);
  Write(bad_batch);
  auto with_bad = store_->ListQuarantine("tab-1");
  ASSERT_TRUE(with_bad.ok());
  ASSERT_EQ(with_bad->size(), 3u);
  EXPECT_EQ(static_cast<int>((*with_bad)[2].mutation.op), 0);

  auto none = store_->ListQuarantine("tab-");
  ASSERT_TRUE(none.ok());
  EXPECT_THAT(*none, IsEmpty());
}

TEST_F(StoreTest, ConflictRoundTrip) {
  ConflictEntry c;
  c.record_id = "rec-1";
  c.form_id = "displacement_household";
  c.seq = 77;
  c.field = "household_size";
  c.base_version = 2;
  c.server_value = int64_t{5};
  c.device_value = int64_t{7};
  c.server_writer = "tab-2";
  c.device_writer = "tab-1";
  c.server_hlc = Hlc{100, 1, "tab-2"};
  c.device_hlc = Hlc{200, 0, "tab-1"};
  c.device_won = true;
  c.delete_conflict = false;
  c.device_seq = 9;
  c.open = true;
  c.created_ms = 4242;
  ConflictEntry whole = c;
  whole.field = "";
  whole.server_value = Value{};
  whole.device_value = Value{};
  whole.delete_conflict = true;
  whole.device_won = false;
  whole.device_seq = 10;
  ConflictEntry other_record = c;
  other_record.record_id = "rec-10";

  Store::Batch batch;
  batch.PutConflict(c);
  batch.PutConflict(whole);
  batch.PutConflict(other_record);
  Write(batch);

  auto list = store_->ListConflicts("rec-1");
  ASSERT_TRUE(list.ok()) << list.status();
  ASSERT_EQ(list->size(), 2u);
  const ConflictEntry& g = (*list)[0];
  EXPECT_EQ(g.record_id, "rec-1");
  EXPECT_EQ(g.form_id, c.form_id);
  EXPECT_EQ(g.seq, 77u);
  EXPECT_EQ(g.field, "household_size");
  EXPECT_EQ(g.base_version, 2u);
  EXPECT_EQ(g.server_value, Value{int64_t{5}});
  EXPECT_EQ(g.device_value, Value{int64_t{7}});
  EXPECT_EQ(g.server_writer, "tab-2");
  EXPECT_EQ(g.device_writer, "tab-1");
  ExpectSameHlc(g.server_hlc, c.server_hlc);
  ExpectSameHlc(g.device_hlc, c.device_hlc);
  EXPECT_TRUE(g.device_won);
  EXPECT_FALSE(g.delete_conflict);
  EXPECT_EQ(g.device_seq, 9u);
  EXPECT_TRUE(g.open);
  EXPECT_EQ(g.created_ms, 4242);
  EXPECT_TRUE((*list)[1].delete_conflict);
  EXPECT_EQ((*list)[1].field, "");
  EXPECT_TRUE(IsNull((*list)[1].server_value));

  auto none = store_->ListConflicts("rec-");
  ASSERT_TRUE(none.ok());
  EXPECT_THAT(*none, IsEmpty());
}

TEST_F(StoreTest, BatchIsAtomicAndInvisibleUntilWritten) {
  Store::Batch batch;
  batch.PutRecord(SampleRecord("rec-1"));
  batch.PutChange(SampleChange(1));
  auto before = store_->GetRecord("rec-1");
  ASSERT_TRUE(before.ok());
  EXPECT_FALSE(before->has_value());
  Write(batch);
  auto after = store_->GetRecord("rec-1");
  ASSERT_TRUE(after.ok());
  EXPECT_TRUE(after->has_value());
  auto last = store_->LastChangeSeq();
  ASSERT_TRUE(last.ok());
  EXPECT_EQ(*last, 1u);
}

TEST_F(StoreTest, SeparateInMemoryStoresAreIsolated) {
  Store::Batch batch;
  batch.PutRecord(SampleRecord("rec-1"));
  Write(batch);
  StoreOptions options;
  options.in_memory = true;
  options.path = "/mem/store_test_isolated";
  auto other = Store::Open(options);
  ASSERT_TRUE(other.ok()) << other.status();
  auto got = (*other)->GetRecord("rec-1");
  ASSERT_TRUE(got.ok());
  EXPECT_FALSE(got->has_value());
}

}  // namespace
}  // namespace fieldsync
