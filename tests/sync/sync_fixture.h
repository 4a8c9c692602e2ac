// Shared set-up of the sync unit tests: the two example forms of deploy/forms built in C++,
// devices, mutation builders, and a fixture wiring an in-memory store to PushCore, PullCore,
// Retention and the change feed with a FakeClock. No network, no sleeps.
#ifndef FIELDSYNC_TESTS_SYNC_SYNC_FIXTURE_H_
#define FIELDSYNC_TESTS_SYNC_SYNC_FIXTURE_H_

#include <atomic>
#include <cstdint>
#include <map>
#include <memory>
#include <string>
#include <utility>
#include <vector>

#include "gtest/gtest.h"
#include "server/common/clock.h"
#include "server/common/model.h"
#include "server/forms/form_registry.h"
#include "server/storage/store.h"
#include "server/sync/change_feed.h"
#include "server/sync/commit_sequencer.h"
#include "server/sync/lock_table.h"
#include "server/sync/pull.h"
#include "server/sync/push.h"
#include "server/sync/retention.h"
#include "server/sync/sync_engine.h"

namespace fieldsync::sync_test {

inline constexpr char kHousehold[] = "displacement_household";
inline constexpr char kCrossing[] = "border_crossing";

inline FieldDef Field(std::string name, FieldType type, bool required = false) {
  FieldDef f;
  f.name = std::move(name);
  f.type = type;
  f.required = required;
  return f;
}

// deploy/forms/displacement_household.v1.json, trimmed: mutable, scoped by governorate and team.
inline Form HouseholdForm(ConflictPolicy policy = ConflictPolicy::kLastWriterWins) {
  Form form;
  form.form_id = kHousehold;
  form.version = 1;
  form.title = "Displacement tracking: household survey";
  FieldDef gov = Field("governorate", FieldType::kSelectOne, true);
  gov.choices = {"Ninewa", "Anbar", "Salah al-Din", "Kirkuk"};
  form.fields.push_back(gov);
  form.fields.push_back(Field("district", FieldType::kString, true));
  form.fields.push_back(Field("team", FieldType::kString));
  form.fields.push_back(Field("visit_date", FieldType::kDate, true));
  FieldDef size = Field("household_size", FieldType::kInt, true);
  size.min = 1;
  size.max = 60;
  form.fields.push_back(size);
  FieldDef children = Field("children_under_5", FieldType::kInt);
  children.min = 0;
  children.max = 30;
  form.fields.push_back(children);
  FieldDef needs = Field("needs", FieldType::kSelectMultiple);
  needs.choices = {"food", "water", "shelter", "health"};
  form.fields.push_back(needs);
  form.fields.push_back(Field("location", FieldType::kGeopoint));
  form.fields.push_back(Field("intends_to_return", FieldType::kBool));
  form.fields.push_back(Field("notes", FieldType::kString));
  form.scope_fields = {"governorate", "team"};
  form.edit_policy = EditPolicy::kMutable;
  form.conflict_policy = policy;
  return form;
}

// deploy/forms/border_crossing.v1.json, trimmed: append-only, scoped by border_point.
inline Form CrossingForm() {
  Form form;
  form.form_id = kCrossing;
  form.version = 1;
  form.title = "Border crossing log";
  FieldDef bp = Field("border_point", FieldType::kSelectOne, true);
  bp.choices = {"BP-001", "BP-002", "BP-003"};
  form.fields.push_back(bp);
  form.fields.push_back(Field("crossing_date", FieldType::kDate, true));
  FieldDef direction = Field("direction", FieldType::kSelectOne, true);
  direction.choices = {"entry", "exit"};
  form.fields.push_back(direction);
  FieldDef nationality = Field("nationality", FieldType::kString, true);
  nationality.regex = "[A-Z]{3}";
  form.fields.push_back(nationality);
  FieldDef group = Field("group_size", FieldType::kInt, true);
  group.min = 1;
  group.max = 500;
  form.fields.push_back(group);
  form.fields.push_back(Field("notes", FieldType::kString));
  form.scope_fields = {"border_point"};
  form.edit_policy = EditPolicy::kAppendOnly;
  return form;
}

inline Device MakeDevice(std::string id, std::vector<ScopePair> scopes, bool all_scopes = false) {
  Device d;
  d.device_id = std::move(id);
  d.role = all_scopes ? Role::kAdmin : Role::kEnumerator;
  d.scopes = std::move(scopes);
  d.all_scopes = all_scopes;
  return d;
}

inline Device InGovernorate(std::string id, std::string governorate) {
  return MakeDevice(std::move(id), {{"governorate", std::move(governorate)}});
}

inline Device AdminDevice(std::string id = "admin") { return MakeDevice(std::move(id), {}, true); }

inline Hlc At(int64_t physical_ms, const std::string& device_id, uint32_t logical = 0) {
  return Hlc{physical_ms, logical, device_id};
}

// Every required field of a household record.
inline FieldMap Household(const std::string& governorate, int64_t size = 4,
                          const std::string& team = "T1") {
  FieldMap f;
  f["governorate"] = governorate;
  f["district"] = std::string("Mosul");
  f["team"] = team;
  f["visit_date"] = std::string("2024-05-01");
  f["household_size"] = size;
  return f;
}

inline FieldMap Crossing(const std::string& border_point, int64_t group_size = 2) {
  FieldMap f;
  f["border_point"] = border_point;
  f["crossing_date"] = std::string("2024-05-01");
  f["direction"] = std::string("entry");
  f["nationality"] = std::string("IRQ");
  f["group_size"] = group_size;
  return f;
}

inline Mutation Upsert(uint64_t device_seq, std::string record_id, uint64_t base_version,
                       FieldMap fields, Hlc hlc, std::string form_id = kHousehold) {
  Mutation m;
  m.device_seq = device_seq;
  m.record_id = std::move(record_id);
  m.form_id = std::move(form_id);
  m.form_version = 1;
  m.base_version = base_version;
  m.op = MutationOp::kUpsert;
  m.fields = std::move(fields);
  m.hlc = std::move(hlc);
  return m;
}

inline Mutation Create(uint64_t device_seq, std::string record_id, FieldMap fields, Hlc hlc,
                       std::string form_id = kHousehold) {
  return Upsert(device_seq, std::move(record_id), 0, std::move(fields), std::move(hlc),
                std::move(form_id));
}

inline Mutation Delete(uint64_t device_seq, std::string record_id, uint64_t base_version, Hlc hlc,
                       std::string form_id = kHousehold) {
  Mutation m = Upsert(device_seq, std::move(record_id), base_version, {}, std::move(hlc),
                      std::move(form_id));
  m.op = MutationOp::kDelete;
  return m;
}

// An in-memory store with both forms published and every sync core wired to it.
class SyncFixture : public ::testing::Test {
 protected:
  void SetUp() override {
    static std::atomic<int> counter{0};
    StoreOptions options;
    options.in_memory = true;
    options.path = "/mem/sync_test" + std::to_string(counter++);
    auto store = Store::Open(options);
    ASSERT_TRUE(store.ok()) << store.status();
    store_ = std::move(*store);
    forms_ = std::make_unique<FormRegistry>(store_.get(), SchemaLimits{});
    for (const Form& f : {HouseholdForm(), CrossingForm()}) {
      auto published = forms_->Publish(f);
      ASSERT_TRUE(published.ok()) << published.status();
    }
    MakeCores(PushLimits{}, PullLimits{});
  }

  // (Re)creates the cores with other limits, as a restart would; the store and its data stay.
  void MakeCores(PushLimits push_limits, PullLimits pull_limits) {
    SyncEngineOptions options;
    options.push = push_limits;
    options.pull = pull_limits;
    MakeCores(options);
  }
  void MakeCores(const SyncEngineOptions& options) {
    auto engine = SyncEngine::Open(store_.get(), forms_.get(), &clock_, options);
    ASSERT_TRUE(engine.ok()) << engine.status();
    engine_ = *std::move(engine);
    sequencer_ = engine_->sequencer();
    push_ = engine_->push();
    pull_ = engine_->pull();
    retention_ = engine_->retention();
    feed_ = engine_->feed();
  }

  // Pushes one batch; fails the test if the batch as a whole fails.
  std::vector<Receipt> Push(const Device& device, const std::vector<Mutation>& batch) {
    auto receipts = push_->Push(device, batch, nullptr);
    EXPECT_TRUE(receipts.ok()) << receipts.status();
    if (!receipts.ok()) return {};
    EXPECT_EQ(receipts->size(), batch.size());
    return *std::move(receipts);
  }

  // Pushes `m` alone with the device's next device_seq (tracked here) and returns its receipt.
  Receipt PushNext(const Device& device, Mutation m) {
    m.device_seq = ++next_seq_[device.device_id];
    std::vector<Receipt> r = Push(device, {m});
    return r.empty() ? Receipt{} : r[0];
  }

  // The stored record (nullopt if absent); fails the test on a store error.
  std::optional<Record> GetRecord(const std::string& id) {
    auto r = store_->GetRecord(id);
    EXPECT_TRUE(r.ok()) << r.status();
    return r.ok() ? *r : std::nullopt;
  }

  DeviceSyncState State(const std::string& device_id) {
    auto s = store_->GetDeviceSyncState(device_id);
    EXPECT_TRUE(s.ok()) << s.status();
    return s.ok() ? *s : DeviceSyncState{};
  }

  std::vector<ChangeEntry> AllChanges() {
    auto c = store_->ReadChanges(0, UINT64_MAX, 1'000'000);
    EXPECT_TRUE(c.ok()) << c.status();
    return c.ok() ? *c : std::vector<ChangeEntry>{};
  }

  std::vector<QuarantineEntry> Quarantined(const std::string& device_id) {
    auto q = store_->ListQuarantine(device_id);
    EXPECT_TRUE(q.ok()) << q.status();
    return q.ok() ? *q : std::vector<QuarantineEntry>{};
  }

  std::vector<ConflictEntry> Conflicts(const std::string& record_id) {
    auto c = store_->ListConflicts(record_id);
    EXPECT_TRUE(c.ok()) << c.status();
    return c.ok() ? *c : std::vector<ConflictEntry>{};
  }

  FakeClock clock_;
  std::unique_ptr<Store> store_;
  std::unique_ptr<FormRegistry> forms_;
  std::unique_ptr<SyncEngine> engine_;
  CommitSequencer* sequencer_ = nullptr;
  PushCore* push_ = nullptr;
  PullCore* pull_ = nullptr;
  Retention* retention_ = nullptr;
  LocalChangeFeed* feed_ = nullptr;
  std::map<std::string, uint64_t> next_seq_;
};

}  // namespace fieldsync::sync_test

#endif  // FIELDSYNC_TESTS_SYNC_SYNC_FIXTURE_H_
