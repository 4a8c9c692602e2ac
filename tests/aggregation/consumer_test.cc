// Cell math and the consumer over an in-memory feed: buckets, late records, edits that move
// a record between cells, deletes and undeletes, invalid measures, unknown forms, repeated
// delivery, a failing feed, and a restart from the persisted checkpoint.
#include "server/aggregation/consumer.h"

#include <memory>

#include "gtest/gtest.h"
#include "server/aggregation/cell_math.h"
#include "server/aggregation/query.h"
#include "server/common/status.h"
#include "tests/aggregation/aggregation_test_util.h"
#include "tests/testing/temp_dir.h"

namespace fieldsync::aggregation {
namespace {

using aggregation_test::AggHouseholdForm;
using aggregation_test::FixedForms;
using aggregation_test::MemoryFeed;

TEST(CellMathTest, BucketsOfDatesAndDatetimes) {
  // 2024-05-01 is a Wednesday: its week starts Monday 2024-04-29.
  EXPECT_EQ(BucketLabel(*BucketOfText("2024-05-01", TimeBucket::kDay), TimeBucket::kDay),
            "2024-05-01");
  EXPECT_EQ(BucketLabel(*BucketOfText("2024-05-01", TimeBucket::kWeek), TimeBucket::kWeek),
            "2024-04-29");
  EXPECT_EQ(BucketLabel(*BucketOfText("2024-05-05", TimeBucket::kWeek), TimeBucket::kWeek),
            "2024-04-29");
  EXPECT_EQ(BucketLabel(*BucketOfText("2024-05-06", TimeBucket::kWeek), TimeBucket::kWeek),
            "2024-05-06");
  EXPECT_EQ(BucketLabel(*BucketOfText("2024-05-31", TimeBucket::kMonth), TimeBucket::kMonth),
            "2024-05");
  // A datetime lands in its UTC day.
  EXPECT_EQ(
      BucketLabel(*BucketOfText("2024-05-01T23:30:00-02:00", TimeBucket::kDay), TimeBucket::kDay),
      "2024-05-02");
  EXPECT_FALSE(BucketOfText("2024-02-30", TimeBucket::kDay));
  EXPECT_FALSE(BucketOfText("yesterday", TimeBucket::kDay));
  EXPECT_EQ(BucketOfValue(Value{int64_t{3}}, TimeBucket::kDay), kNoDateBucket);
  EXPECT_EQ(BucketLabel(kNoDateBucket, TimeBucket::kDay), "");
}

TEST(CellMathTest, MeasuresAreExactAndBoundedValuesOnly) {
  EXPECT_EQ(MicrosText(*MeasureMicros(Value{0.1}) + *MeasureMicros(Value{0.2})), "0.3");
  EXPECT_EQ(MicrosText(*MeasureMicros(Value{int64_t{-12}})), "-12");
  EXPECT_EQ(MicrosText(*MeasureMicros(Value{2.5})), "2.5");
  EXPECT_TRUE(MeasureMicros(Value{9e12}));
  EXPECT_FALSE(MeasureMicros(Value{9.1e12}));  // beyond kMaxMeasureAbs
  EXPECT_FALSE(MeasureMicros(Value{int64_t{9'100'000'000'000}}));
  EXPECT_FALSE(MeasureMicros(Value{std::string("5")}));
  EXPECT_FALSE(MeasureMicros(Value{}));
}

ChangeEntry Change(uint64_t seq, const std::string& id, bool created,
                   std::vector<FieldChange> changes, std::vector<ScopePair> scope,
                   bool deleted = false) {
  ChangeEntry c;
  c.seq = seq;
  c.record_id = id;
  c.form_id = "displacement_household";
  c.form_version = 1;
  c.version = seq;
  c.created = created;
  c.deleted_after = deleted;
  c.changes = std::move(changes);
  c.scope_after = std::move(scope);
  c.commit_time_ms = 1000 + static_cast<int64_t>(seq);
  return c;
}

std::vector<FieldChange> NewHousehold(const std::string& gov, const std::string& district,
                                      const std::string& date, int64_t size) {
  return {{"governorate", Value{}, Value{gov}},
          {"district", Value{}, Value{district}},
          {"visit_date", Value{}, Value{date}},
          {"household_size", Value{}, Value{size}}};
}

class ConsumerTest : public ::testing::Test {
 protected:
  void SetUp() override { Open("/mem/agg_consumer"); }
  void Open(const std::string& path, bool in_memory = true) {
    queries_.reset();
    consumer_.reset();
    store_.reset();
    forms_.Add(AggHouseholdForm());
    AggregateStoreOptions o;
    o.path = path;
    o.in_memory = in_memory;
    auto s = AggregateStore::Open(o);
    ASSERT_TRUE(s.ok()) << s.status();
    store_ = std::move(*s);
    ConsumerOptions co;
    co.page = 2;
    consumer_ = std::make_unique<AggregationConsumer>(&feed_, &forms_, store_.get(), &clock_, co);
    ASSERT_TRUE(consumer_->Init().ok());
    queries_ =
        std::make_unique<AggregationQueries>(store_.get(), &forms_, consumer_.get(), nullptr);
  }
  void Drain() { ASSERT_TRUE(consumer_->CatchUp().ok()); }
  // Rows of hh_week as "bucket|gov|district|count|individuals|income_invalid".
  std::vector<std::string> Rows(const Device& caller = sync_test::AdminDevice()) {
    QueryRequest q;
    q.form_id = "displacement_household";
    q.aggregation = "hh_week";
    auto r = queries_->Query(caller, q);
    EXPECT_TRUE(r.ok()) << r.status();
    std::vector<std::string> out;
    if (!r.ok()) return out;
    for (const auto& row : r->rows) {
      out.push_back(absl::StrCat(
          row.bucket_label, "|", row.group_values[0], "|", row.group_values[1], "|", row.cell.count,
          "|", MicrosText(row.cell.measures[1].sum_micros), "|", row.cell.measures[2].invalid));
    }
    return out;
  }

  FakeClock clock_;
  MemoryFeed feed_;
  FixedForms forms_;
  std::unique_ptr<AggregateStore> store_;
  std::unique_ptr<AggregationConsumer> consumer_;
  std::unique_ptr<AggregationQueries> queries_;
};

TEST_F(ConsumerTest, CreateEditMoveDeleteUndelete) {
  feed_.Append(Change(1, "r1", true, NewHousehold("Ninewa", "Mosul", "2024-05-01", 4),
                      {{"governorate", "Ninewa"}}));
  // A late record: captured weeks ago, synced now, lands in its own week.
  feed_.Append(Change(2, "r2", true, NewHousehold("Ninewa", "Mosul", "2024-03-01", 2),
                      {{"governorate", "Ninewa"}}));
  Drain();
  EXPECT_EQ(Rows(), (std::vector<std::string>{"2024-02-26|Ninewa|Mosul|1|2|1",
                                              "2024-04-29|Ninewa|Mosul|1|4|1"}));
  // An edit carrying only the changed field moves r1 to another district; size unchanged.
  feed_.Append(Change(3, "r1", false, {{"district", Value{"Mosul"}, Value{"Tal Afar"}}},
                      {{"governorate", "Ninewa"}}));
  // And a measure edit of r2.
  feed_.Append(Change(4, "r2", false, {{"household_size", Value{int64_t{2}}, Value{int64_t{7}}}},
                      {{"governorate", "Ninewa"}}));
  Drain();
  EXPECT_EQ(Rows(), (std::vector<std::string>{"2024-02-26|Ninewa|Mosul|1|7|1",
                                              "2024-04-29|Ninewa|Tal Afar|1|4|1"}));
  // Delete r1 (non-scope fields cleared, scope kept), then bring it back with new values.
  feed_.Append(Change(5, "r1", false,
                      {{"district", Value{"Tal Afar"}, Value{}},
                       {"visit_date", Value{"2024-05-01"}, Value{}},
                       {"household_size", Value{int64_t{4}}, Value{}}},
                      {{"governorate", "Ninewa"}}, /*deleted=*/true));
  Drain();
  EXPECT_EQ(Rows(), (std::vector<std::string>{"2024-02-26|Ninewa|Mosul|1|7|1"}));
  feed_.Append(Change(6, "r1", false,
                      {{"district", Value{}, Value{"Sinjar"}},
                       {"visit_date", Value{}, Value{"2024-05-02"}},
                       {"household_size", Value{}, Value{int64_t{3}}}},
                      {{"governorate", "Ninewa"}}));
  Drain();
  // The governorate (a scope field the delete kept) is still known after the undelete.
  EXPECT_EQ(Rows(), (std::vector<std::string>{"2024-02-26|Ninewa|Mosul|1|7|1",
                                              "2024-04-29|Ninewa|Sinjar|1|3|1"}));
  EXPECT_EQ(consumer_->status().checkpoint_seq, 6u);
  EXPECT_EQ(consumer_->status().last_commit_time_ms, 1006);
}

TEST_F(ConsumerTest, ChildRecordsAreNotCountedAsRecordsOfTheForm) {
  feed_.Append(Change(1, "r1", true, NewHousehold("Ninewa", "Mosul", "2024-05-01", 4),
                      {{"governorate", "Ninewa"}}));
  // A roster member of r1: its change carries the root's scope, not a household of its own.
  ChangeEntry member =
      Change(2, "m1", true, {{"age", Value{}, Value{int64_t{30}}}}, {{"governorate", "Ninewa"}});
  member.parent_record_id = "r1";
  member.repeat = "members";
  member.ordinal = 1;
  member.root_record_id = "r1";
  feed_.Append(member);
  Drain();
  EXPECT_EQ(Rows(), (std::vector<std::string>{"2024-04-29|Ninewa|Mosul|1|4|1"}));
  EXPECT_EQ(consumer_->status().checkpoint_seq, 2u);
}

TEST_F(ConsumerTest, ScopeChangeMovesTheRecordBetweenCallers) {
  feed_.Append(Change(1, "r1", true, NewHousehold("Ninewa", "Mosul", "2024-05-01", 4),
                      {{"governorate", "Ninewa"}}));
  Drain();
  Device ninewa = sync_test::InGovernorate("t1", "Ninewa");
  Device anbar = sync_test::InGovernorate("t2", "Anbar");
  EXPECT_EQ(Rows(ninewa).size(), 1u);
  EXPECT_TRUE(Rows(anbar).empty());
  feed_.Append(Change(2, "r1", false, {{"governorate", Value{"Ninewa"}, Value{"Anbar"}}},
                      {{"governorate", "Anbar"}}));
  Drain();
  EXPECT_TRUE(Rows(ninewa).empty());
  EXPECT_EQ(Rows(anbar), (std::vector<std::string>{"2024-04-29|Anbar|Mosul|1|4|1"}));
}

TEST_F(ConsumerTest, BadChangesNeverStopTheConsumer) {
  // Unknown form: skipped and counted. Invalid measure and date: counted in their cell.
  ChangeEntry unknown = Change(1, "x", true, {}, {});
  unknown.form_id = "no_such_form";
  feed_.Append(unknown);
  feed_.Append(Change(2, "r1", true,
                      {{"governorate", Value{}, Value{"Ninewa"}},
                       {"visit_date", Value{}, Value{"not a date"}},
                       {"household_size", Value{}, Value{"seven"}}},
                      {{"governorate", "Ninewa"}}));
  Drain();
  EXPECT_EQ(consumer_->status().skipped_changes, 1u);
  EXPECT_EQ(consumer_->status().checkpoint_seq, 2u);
  QueryRequest q;
  q.form_id = "displacement_household";
  q.aggregation = "hh_week";
  auto r = queries_->Query(sync_test::AdminDevice(), q);
  ASSERT_TRUE(r.ok()) << r.status();
  ASSERT_EQ(r->rows.size(), 1u);
  EXPECT_EQ(r->rows[0].bucket_label, "");  // no valid date
  EXPECT_EQ(r->rows[0].group_values, (std::vector<std::string>{"Ninewa", ""}));
  EXPECT_EQ(r->rows[0].cell.count, 1);
  EXPECT_EQ(r->rows[0].cell.measures[1].invalid, 1);  // "seven"
  EXPECT_EQ(r->rows[0].cell.measures[1].sum_micros, 0);
}

TEST_F(ConsumerTest, FeedErrorLeavesCheckpointAndRetries) {
  feed_.Append(Change(1, "r1", true, NewHousehold("Ninewa", "Mosul", "2024-05-01", 4),
                      {{"governorate", "Ninewa"}}));
  feed_.fail_next = true;
  auto n = consumer_->ConsumeOnce();
  EXPECT_FALSE(n.ok());
  EXPECT_EQ(consumer_->status().last_error, "feed down");
  EXPECT_EQ(consumer_->status().checkpoint_seq, 0u);
  n = consumer_->ConsumeOnce();
  ASSERT_TRUE(n.ok());
  EXPECT_EQ(*n, 1u);
  EXPECT_EQ(consumer_->status().last_error, "");
  EXPECT_EQ(Rows().size(), 1u);
}

TEST_F(ConsumerTest, RedeliveredChangesAreNotCountedTwice) {
  // A feed that hands back changes at or below the checkpoint (at-least-once).
  feed_.Append(Change(1, "r1", true, NewHousehold("Ninewa", "Mosul", "2024-05-01", 4),
                      {{"governorate", "Ninewa"}}));
  feed_.Append(Change(1, "r1", true, NewHousehold("Ninewa", "Mosul", "2024-05-01", 4),
                      {{"governorate", "Ninewa"}}));
  Drain();
  EXPECT_EQ(Rows(), (std::vector<std::string>{"2024-04-29|Ninewa|Mosul|1|4|1"}));
}

TEST_F(ConsumerTest, RestartResumesFromTheCheckpoint) {
  testing::TempDir dir;
  Open(dir.Sub("agg"), /*in_memory=*/false);
  feed_.Append(Change(1, "r1", true, NewHousehold("Ninewa", "Mosul", "2024-05-01", 4),
                      {{"governorate", "Ninewa"}}));
  Drain();
  Open(dir.Sub("agg"), /*in_memory=*/false);  // a new consumer over the same folder
  EXPECT_EQ(consumer_->status().checkpoint_seq, 1u);
  feed_.Append(Change(2, "r1", false, {{"household_size", Value{int64_t{4}}, Value{int64_t{5}}}},
                      {{"governorate", "Ninewa"}}));
  Drain();
  EXPECT_EQ(Rows(), (std::vector<std::string>{"2024-04-29|Ninewa|Mosul|1|5|1"}));
}

TEST_F(ConsumerTest, BadQueriesAreInvalidArgumentNamingTheField) {
  Device admin = sync_test::AdminDevice();
  auto field_of = [&](QueryRequest q) -> std::string {
    auto r = queries_->Query(admin, q);
    EXPECT_EQ(r.status().code(), absl::StatusCode::kInvalidArgument) << r.status();
    auto v = FieldViolations(r.status());
    return v.empty() ? "" : v[0].field;
  };
  QueryRequest base;
  base.form_id = "displacement_household";
  base.aggregation = "hh_week";
  QueryRequest q = base;
  q.form_id = "nope";
  EXPECT_EQ(field_of(q), "form_id");
  q = base;
  q.aggregation = "nope";
  EXPECT_EQ(field_of(q), "aggregation");
  q = base;
  q.filters = {{"team", {"T1"}}};  // a field, but not a group-by field of hh_week
  EXPECT_EQ(field_of(q), "filters");
  q = base;
  q.group_by = std::vector<std::string>{"household_size"};
  EXPECT_EQ(field_of(q), "group_by");
  q = base;
  q.group_by = std::vector<std::string>{"district", "district"};
  EXPECT_EQ(field_of(q), "group_by");
  q = base;
  q.from_date = "2024-05-10";
  q.to_date = "2024-05-01";
  EXPECT_EQ(field_of(q), "to_date");
  q = base;
  q.from_date = "2024/05/10";
  EXPECT_EQ(field_of(q), "from_date");
}

TEST_F(ConsumerTest, RowLimitIsEnforced) {
  for (uint64_t i = 1; i <= 3; ++i) {
    feed_.Append(Change(i, absl::StrCat("r", i), true,
                        NewHousehold("Ninewa", absl::StrCat("D", i), "2024-05-01", 1),
                        {{"governorate", "Ninewa"}}));
  }
  Drain();
  QueryLimits limits;
  limits.max_rows = 2;
  AggregationQueries small(store_.get(), &forms_, consumer_.get(), nullptr, limits);
  QueryRequest q;
  q.form_id = "displacement_household";
  q.aggregation = "hh_week";
  EXPECT_EQ(small.Query(sync_test::AdminDevice(), q).status().code(),
            absl::StatusCode::kInvalidArgument);
  q.group_by = std::vector<std::string>{"governorate"};  // rolled up: one row
  auto r = small.Query(sync_test::AdminDevice(), q);
  ASSERT_TRUE(r.ok()) << r.status();
  ASSERT_EQ(r->rows.size(), 1u);
  EXPECT_EQ(r->rows[0].cell.count, 3);
  EXPECT_EQ(r->cells_read, 3u);
}

TEST_F(ConsumerTest, VerifyWithoutRecordsIsFailedPrecondition) {
  EXPECT_EQ(queries_->Verify("displacement_household", "hh_week").status().code(),
            absl::StatusCode::kFailedPrecondition);
}

}  // namespace
}  // namespace fieldsync::aggregation
