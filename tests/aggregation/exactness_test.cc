// Exactness: a seeded random stream of creates, edits (group-by values, dates, scope,
// measures, cleared measures), stale edits that merge or conflict, deletes and undeletes goes
// through the real push path; the consumer reads the real LocalChangeFeed in small pages
// interleaved with the pushes. Afterwards every query (random filters, roll-ups, date ranges,
// callers with different scopes) equals a brute-force recomputation from the stored records,
// and Verify agrees. Then a corrupted cell is reported by Verify as drift.
#include <map>
#include <random>
#include <set>

#include "absl/strings/str_cat.h"
#include "absl/strings/str_join.h"
#include "absl/time/civil_time.h"
#include "gtest/gtest.h"
#include "server/aggregation/cell_math.h"
#include "server/aggregation/consumer.h"
#include "server/aggregation/query.h"
#include "server/sync/scope.h"
#include "tests/aggregation/aggregation_test_util.h"

namespace fieldsync::aggregation {
namespace {

using namespace sync_test;  // NOLINT: form and mutation builders

class ExactnessTest : public ::testing::Test {
 protected:
  void SetUp() override {
    StoreOptions so;
    so.in_memory = true;
    so.path = "/mem/agg_exactness";
    store_ = *Store::Open(so);
    registry_ = std::make_unique<FormRegistry>(store_.get(), SchemaLimits{});
    ASSERT_TRUE(registry_->Publish(aggregation_test::AggHouseholdForm()).ok());
    engine_ = *SyncEngine::Open(store_.get(), registry_.get(), &clock_, SyncEngineOptions{});
    AggregateStoreOptions ao;
    ao.in_memory = true;
    ao.path = "/mem/agg_exactness_cells";
    agg_store_ = *AggregateStore::Open(ao);
    forms_ = std::make_unique<RegistryFormSource>(registry_.get());
    records_ = std::make_unique<StoreRecordSource>(store_.get());
    ConsumerOptions co;
    co.page = 7;
    consumer_ = std::make_unique<AggregationConsumer>(engine_->feed(), forms_.get(),
                                                      agg_store_.get(), &clock_, co);
    ASSERT_TRUE(consumer_->Init().ok());
    queries_ = std::make_unique<AggregationQueries>(agg_store_.get(), forms_.get(), consumer_.get(),
                                                    records_.get());
  }

  // Brute force: rows of `q` for `caller`, recomputed from the records, as strings.
  std::vector<std::string> Expected(const Device& caller, const QueryRequest& q) {
    Form form = aggregation_test::AggHouseholdForm();
    const AggregationDef& def = *FindAggregation(form, q.aggregation);
    std::vector<std::string> keep = q.group_by.value_or(def.group_by);
    struct Acc {
      int64_t count = 0;
      std::vector<absl::int128> sums;
      std::vector<int64_t> invalid;
    };
    std::map<std::pair<std::string, std::vector<std::string>>, Acc> rows;
    EXPECT_TRUE(records_
                    ->ForEachRecord(kHousehold,
                                    [&](const Record& r) {
                                      if (r.deleted) return;
                                      if (!InScope(caller, ScopeOfFields(form, r.fields))) return;
                                      auto text = [&](const std::string& f) -> std::string {
                                        auto it = r.fields.find(f);
                                        if (it == r.fields.end()) return "";
                                        return GroupText(it->second).value_or("");
                                      };
                                      for (const auto& flt : q.filters) {
                                        std::set<std::string> ok(flt.values.begin(),
                                                                 flt.values.end());
                                        if (!ok.count(text(flt.field))) return;
                                      }
                                      // Independent bucket arithmetic with absl civil time.
                                      std::string label;
                                      absl::CivilDay d;
                                      if (absl::ParseCivilTime(text(def.time_field), &d)) {
                                        absl::CivilDay start = d, end = d;
                                        if (def.bucket == TimeBucket::kWeek) {
                                          while (absl::GetWeekday(start) != absl::Weekday::monday)
                                            start -= 1;
                                          end = start + 6;
                                        } else if (def.bucket == TimeBucket::kMonth) {
                                          start = absl::CivilDay(absl::CivilMonth(d));
                                          end = absl::CivilDay(absl::CivilMonth(d) + 1) - 1;
                                        }
                                        label = def.bucket == TimeBucket::kMonth
                                                    ? absl::FormatCivilTime(absl::CivilMonth(d))
                                                    : absl::FormatCivilTime(start);
                                        absl::CivilDay from, to;
                                        if (absl::ParseCivilTime(q.from_date, &from) && end < from)
                                          return;
                                        if (absl::ParseCivilTime(q.to_date, &to) && start > to)
                                          return;
                                      } else if (!q.from_date.empty() || !q.to_date.empty()) {
                                        return;
                                      }
                                      std::vector<std::string> key;
                                      for (const auto& g : keep) key.push_back(text(g));
                                      Acc& acc = rows[{q.rollup_time ? "" : label, key}];
                                      acc.count++;
                                      acc.sums.resize(def.measures.size());
                                      acc.invalid.resize(def.measures.size());
                                      for (size_t i = 0; i < def.measures.size(); ++i) {
                                        if (def.measures[i].kind != Measure::Kind::kSum) continue;
                                        auto it = r.fields.find(def.measures[i].field);
                                        auto m = it == r.fields.end() ? std::nullopt
                                                                      : MeasureMicros(it->second);
                                        if (m) {
                                          acc.sums[i] += *m;
                                        } else {
                                          acc.invalid[i]++;
                                        }
                                      }
                                    })
                    .ok());
    std::vector<std::string> out;
    for (const auto& [k, acc] : rows) {
      std::string s = absl::StrCat(k.first, "|", absl::StrJoin(k.second, ","), "|", acc.count);
      for (size_t i = 0; i < acc.sums.size(); ++i) {
        absl::StrAppend(&s, "|", MicrosText(acc.sums[i]), "/", acc.invalid[i]);
      }
      out.push_back(s);
    }
    std::sort(out.begin(), out.end());
    return out;
  }

  std::vector<std::string> Actual(const Device& caller, const QueryRequest& q) {
    auto r = queries_->Query(caller, q);
    EXPECT_TRUE(r.ok()) << r.status();
    std::vector<std::string> out;
    if (!r.ok()) return out;
    for (const auto& row : r->rows) {
      std::string s = absl::StrCat(row.bucket_label, "|", absl::StrJoin(row.group_values, ","), "|",
                                   row.cell.count);
      for (size_t i = 0; i < row.cell.measures.size(); ++i) {
        absl::StrAppend(&s, "|", MicrosText(row.cell.measures[i].sum_micros), "/",
                        row.cell.measures[i].invalid);
      }
      out.push_back(s);
    }
    std::sort(out.begin(), out.end());
    return out;
  }

  FakeClock clock_;
  std::unique_ptr<Store> store_;
  std::unique_ptr<FormRegistry> registry_;
  std::unique_ptr<SyncEngine> engine_;
  std::unique_ptr<AggregateStore> agg_store_;
  std::unique_ptr<RegistryFormSource> forms_;
  std::unique_ptr<StoreRecordSource> records_;
  std::unique_ptr<AggregationConsumer> consumer_;
  std::unique_ptr<AggregationQueries> queries_;
};

TEST_F(ExactnessTest, RandomStreamMatchesBruteForce) {
  std::mt19937 rng(20261128);
  auto pick = [&](const std::vector<std::string>& v) { return v[rng() % v.size()]; };
  const std::vector<std::string> govs = {"Ninewa", "Anbar", "Kirkuk"};
  const std::vector<std::string> districts = {"D1", "D2", "D3"};
  const std::vector<std::string> teams = {"T1", "T2"};
  auto date = [&]() {
    absl::CivilDay d = absl::CivilDay(2024, 4, 20) + static_cast<int>(rng() % 60);
    return absl::FormatCivilTime(d);
  };
  Device a1 = AdminDevice("a1"), a2 = AdminDevice("a2");
  uint64_t seq1 = 0, seq2 = 0;
  const int kRecords = 40;
  for (int step = 0; step < 600; ++step) {
    clock_.AdvanceMs(1000);
    std::string id = absl::StrCat("r", rng() % kRecords);
    auto current = *store_->GetRecord(id);
    bool use_a2 = rng() % 3 == 0;
    Device& dev = use_a2 ? a2 : a1;
    uint64_t& seq = use_a2 ? seq2 : seq1;
    Hlc hlc = At(clock_.NowMs(), dev.device_id);
    Mutation m;
    if (!current) {
      FieldMap f;
      f["governorate"] = pick(govs);
      f["district"] = pick(districts);
      if (rng() % 2) f["team"] = pick(teams);
      f["visit_date"] = date();
      f["household_size"] = static_cast<int64_t>(1 + rng() % 10);
      if (rng() % 3) f["monthly_income"] = static_cast<double>(rng() % 100000) / 100.0;
      m = Create(++seq, id, f, hlc);
    } else if (current->deleted) {
      FieldMap f;
      f["district"] = pick(districts);
      f["visit_date"] = date();
      f["household_size"] = static_cast<int64_t>(1 + rng() % 10);
      m = Upsert(++seq, id, current->version, f, hlc);
    } else if (rng() % 8 == 0) {
      m = Delete(++seq, id, current->version - (rng() % 4 == 0 ? 1 : 0), hlc);
    } else {
      FieldMap f;
      switch (rng() % 6) {
        case 0:
          f["governorate"] = pick(govs);
          break;  // scope and group-by change
        case 1:
          f["district"] = pick(districts);
          break;
        case 2:
          f["visit_date"] = date();
          break;
        case 3:
          f["household_size"] = static_cast<int64_t>(1 + rng() % 10);
          break;
        case 4:
          f["monthly_income"] = rng() % 2 ? Value{static_cast<double>(rng() % 1000) / 10.0}
                                          : Value{};  // cleared: an invalid measure
          break;
        default:
          f["team"] = rng() % 2 ? Value{pick(teams)} : Value{};
          break;
      }
      // Sometimes a stale base: merges, or conflicts decided by the policy.
      uint64_t base =
          current->version > 1 && rng() % 4 == 0 ? current->version - 1 : current->version;
      m = Upsert(++seq, id, base, f, hlc);
    }
    auto receipts = engine_->push()->Push(dev, {m}, nullptr);
    ASSERT_TRUE(receipts.ok()) << receipts.status();
    if (rng() % 5 == 0) {
      ASSERT_TRUE(consumer_->ConsumeOnce().ok());
    }
  }
  ASSERT_TRUE(consumer_->CatchUp().ok());
  EXPECT_EQ(consumer_->status().checkpoint_seq, engine_->sequencer()->VisibleHead());

  std::vector<Device> callers = {AdminDevice(), InGovernorate("g", "Ninewa"),
                                 MakeDevice("t", {{"team", "T1"}}),
                                 MakeDevice("m", {{"governorate", "Anbar"}, {"team", "T2"}})};
  const std::vector<std::optional<std::vector<std::string>>> keeps = {
      std::nullopt, std::vector<std::string>{}, std::vector<std::string>{"district"},
      std::vector<std::string>{"district", "governorate"}};
  int nonempty = 0;
  for (int i = 0; i < 200; ++i) {
    QueryRequest q;
    q.form_id = kHousehold;
    q.aggregation = rng() % 3 == 0 ? "hh_team_month" : "hh_week";
    if (q.aggregation == "hh_week") {
      q.group_by = keeps[rng() % keeps.size()];
      if (rng() % 3 == 0) q.filters.push_back({"governorate", {pick(govs), pick(govs)}});
      if (rng() % 4 == 0) q.filters.push_back({"district", {pick(districts)}});
    } else if (rng() % 2) {
      q.filters.push_back({"team", {pick(teams), ""}});
    }
    if (rng() % 2) {
      std::string a = date(), b = date();
      if (b < a) std::swap(a, b);
      if (rng() % 4) q.from_date = a;
      if (rng() % 4) q.to_date = b;
    }
    q.rollup_time = rng() % 4 == 0;
    const Device& caller = callers[rng() % callers.size()];
    auto expected = Expected(caller, q);
    ASSERT_EQ(Actual(caller, q), expected)
        << "query " << i << " " << q.aggregation << " from " << q.from_date << " to " << q.to_date;
    nonempty += !expected.empty();
  }
  EXPECT_GT(nonempty, 100);  // the comparison is not vacuous

  for (const char* agg : {"hh_week", "hh_team_month"}) {
    auto v = queries_->Verify(kHousehold, agg);
    ASSERT_TRUE(v.ok()) << v.status();
    EXPECT_TRUE(v->ok) << agg << " drift " << v->drift_cells;
    EXPECT_GT(v->cells_compared, 10u);
  }
  EXPECT_EQ(queries_->verify_drift_runs(), 0u);
}

TEST_F(ExactnessTest, VerifyReportsDrift) {
  Device admin = AdminDevice();
  FieldMap f = Household("Ninewa", 4);
  f["monthly_income"] = 12.5;
  ASSERT_TRUE(engine_->push()->Push(admin, {Create(1, "r1", f, At(1, "admin"))}, nullptr).ok());
  ASSERT_TRUE(engine_->push()
                  ->Push(admin, {Create(2, "r2", Household("Anbar", 3), At(2, "admin"))}, nullptr)
                  .ok());
  auto v = queries_->Verify(kHousehold, "hh_week");
  ASSERT_TRUE(v.ok()) << v.status();
  EXPECT_TRUE(v->ok);
  EXPECT_EQ(v->records_scanned, 2u);
  EXPECT_EQ(v->invalid_measures, 1u);  // r2 has no monthly_income
  // Corrupt one cell behind the consumer's back.
  std::string scope = EncodeScopeTuple({{"governorate", "Ninewa"}, {"team", "T1"}});
  uint64_t bucket = *BucketOfText("2024-05-01", TimeBucket::kWeek);
  std::string group = EncodeGroupTuple({std::string("Ninewa"), std::string("Mosul")});
  auto cell = *agg_store_->GetCell(kHousehold, "hh_week", scope, bucket, group);
  ASSERT_TRUE(cell.has_value());
  cell->count = 5;
  AggregateStore::Batch b;
  b.PutCell(kHousehold, "hh_week", scope, bucket, group, *cell);
  ASSERT_TRUE(agg_store_->Write(b).ok());
  v = queries_->Verify(kHousehold, "hh_week");
  ASSERT_TRUE(v.ok()) << v.status();
  EXPECT_FALSE(v->ok);
  ASSERT_EQ(v->drift_cells, 1u);
  EXPECT_EQ(v->drift[0].expected.count, 1);
  EXPECT_EQ(v->drift[0].actual.count, 5);
  EXPECT_EQ(v->drift[0].bucket_label, "2024-04-29");
  EXPECT_EQ(queries_->verify_drift_runs(), 1u);
  EXPECT_EQ(queries_->verify_drift_cells(), 1u);
}

}  // namespace
}  // namespace fieldsync::aggregation
