// Shared pieces of the aggregation unit tests: an in-memory change feed, a fixed FormSource,
// and the household form with aggregations.
#ifndef FIELDSYNC_TESTS_AGGREGATION_AGGREGATION_TEST_UTIL_H_
#define FIELDSYNC_TESTS_AGGREGATION_AGGREGATION_TEST_UTIL_H_

#include <map>
#include <memory>
#include <string>
#include <vector>

#include "server/aggregation/sources.h"
#include "server/sync/change_feed.h"
#include "tests/sync/sync_fixture.h"

namespace fieldsync::aggregation_test {

// Changes appended by the test; Read serves them like LocalChangeFeed.
class MemoryFeed final : public ChangeFeed {
 public:
  void Append(ChangeEntry c) { changes_.push_back(std::move(c)); }
  absl::StatusOr<ChangeBatch> Read(uint64_t from_seq, size_t limit) override {
    ++reads;
    if (fail_next) {
      fail_next = false;
      return absl::UnavailableError("feed down");
    }
    ChangeBatch b;
    b.head_seq = changes_.empty() ? 0 : changes_.back().seq;
    for (const auto& c : changes_) {
      if (c.seq >= from_seq && b.changes.size() < limit) b.changes.push_back(c);
    }
    return b;
  }
  uint64_t Wait(uint64_t, std::chrono::steady_clock::time_point) override {
    return changes_.empty() ? 0 : changes_.back().seq;
  }
  int reads = 0;
  bool fail_next = false;

 private:
  std::vector<ChangeEntry> changes_;
};

class FixedForms final : public aggregation::FormSource {
 public:
  void Add(Form f) { forms_[f.form_id] = std::move(f); }
  absl::StatusOr<Form> Latest(const std::string& id, uint32_t) override {
    auto it = forms_.find(id);
    if (it == forms_.end()) return absl::NotFoundError(id);
    return it->second;
  }
  absl::StatusOr<std::vector<Form>> ListLatest() override {
    std::vector<Form> out;
    for (auto& [id, f] : forms_) out.push_back(f);
    return out;
  }

 private:
  std::map<std::string, Form> forms_;
};

// The fixture's household form plus a decimal field and two aggregations:
//   hh_week: governorate, district by week of visit_date; COUNT, SUM(household_size),
//            SUM(monthly_income)
//   hh_team_month: team by month; COUNT
inline Form AggHouseholdForm() {
  Form f = sync_test::HouseholdForm();
  f.fields.push_back(sync_test::Field("monthly_income", FieldType::kDecimal));
  AggregationDef week;
  week.name = "hh_week";
  week.group_by = {"governorate", "district"};
  week.time_field = "visit_date";
  week.bucket = TimeBucket::kWeek;
  week.measures = {{"households", Measure::Kind::kCount, ""},
                   {"individuals", Measure::Kind::kSum, "household_size"},
                   {"income", Measure::Kind::kSum, "monthly_income"}};
  AggregationDef month;
  month.name = "hh_team_month";
  month.group_by = {"team"};
  month.time_field = "visit_date";
  month.bucket = TimeBucket::kMonth;
  month.measures = {{"households", Measure::Kind::kCount, ""}};
  f.aggregations = {week, month};
  return f;
}

// A crossing form with a day aggregation by border point and direction.
inline Form AggCrossingForm() {
  Form f = sync_test::CrossingForm();
  AggregationDef day;
  day.name = "crossings_per_point_day";
  day.group_by = {"border_point", "direction", "nationality"};
  day.time_field = "crossing_date";
  day.bucket = TimeBucket::kDay;
  day.measures = {{"crossings", Measure::Kind::kCount, ""},
                  {"people", Measure::Kind::kSum, "group_size"}};
  f.aggregations = {day};
  return f;
}

}  // namespace fieldsync::aggregation_test

#endif  // FIELDSYNC_TESTS_AGGREGATION_AGGREGATION_TEST_UTIL_H_
