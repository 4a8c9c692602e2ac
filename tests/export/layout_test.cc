#include "server/export/layout.h"

#include <algorithm>

#include "gtest/gtest.h"
#include "server/common/status.h"
#include "tests/sync/sync_fixture.h"

namespace fieldsync::exporting {
namespace {

using sync_test::HouseholdForm;

std::vector<std::string> Names(const TableLayout& t) {
  std::vector<std::string> out;
  for (const auto& c : t.columns) out.push_back(c.name);
  return out;
}

TEST(LayoutTest, ColumnsOfAFlatForm) {
  auto layout = BuildLayout({HouseholdForm()}, LayoutOptions{}, LayoutLimits{});
  ASSERT_TRUE(layout.ok()) << layout.status();
  ASSERT_EQ(layout->tables.size(), 1u);
  const TableLayout& t = layout->tables[0];
  EXPECT_EQ(t.name, "displacement_household");
  EXPECT_EQ(Names(t), (std::vector<std::string>{"_record_id", "governorate", "district", "team",
                                                "visit_date", "household_size", "children_under_5",
                                                "needs", "location-latitude", "location-longitude",
                                                "intends_to_return", "notes", "_version", "_seq",
                                                "_last_writer", "_commit_time", "_open_conflict"}));
  EXPECT_EQ(t.columns[t.geo_latitude].name, "location-latitude");
  EXPECT_EQ(t.columns[t.geo_longitude].name, "location-longitude");
}

TEST(LayoutTest, ChoiceColumnsLabelsAndDeletedColumn) {
  Form form = HouseholdForm();
  for (auto& f : form.fields) {
    if (f.name == "needs") f.label = "Priority needs";
  }
  LayoutOptions o;
  o.choice_columns = true;
  o.labels = true;
  o.deleted_column = true;
  auto layout = BuildLayout({form}, o, LayoutLimits{});
  ASSERT_TRUE(layout.ok()) << layout.status();
  const TableLayout& t = layout->tables[0];
  auto needs = std::find_if(t.columns.begin(), t.columns.end(),
                            [](const Column& c) { return c.name == "needs"; });
  ASSERT_NE(needs, t.columns.end());
  EXPECT_EQ(needs->header, "Priority needs");
  EXPECT_EQ(needs[1].name, "needs/food");
  EXPECT_EQ(needs[1].header, "Priority needs/food");
  EXPECT_EQ(needs[4].name, "needs/health");
  EXPECT_EQ(t.columns.back().name, "_deleted");
  // A field without a label keeps its name as header.
  EXPECT_EQ(t.columns[1].header, "governorate");
}

TEST(LayoutTest, MetaColumnsNeverTakeAFieldsName) {
  Form form = HouseholdForm();
  form.fields.push_back(sync_test::Field("_version", FieldType::kString));
  form.fields.push_back(sync_test::Field("__version", FieldType::kString));
  auto layout = BuildLayout({form}, LayoutOptions{}, LayoutLimits{});
  ASSERT_TRUE(layout.ok()) << layout.status();
  std::vector<std::string> names = Names(layout->tables[0]);
  EXPECT_NE(std::find(names.begin(), names.end(), "___version"), names.end());
  std::sort(names.begin(), names.end());
  EXPECT_EQ(std::adjacent_find(names.begin(), names.end()), names.end());
}

TEST(LayoutTest, FieldsOfOlderVersionsFollowTheLatest) {
  Form v1 = HouseholdForm();
  v1.fields.push_back(sync_test::Field("old_only", FieldType::kInt));
  Form v2 = HouseholdForm();
  v2.version = 2;
  v2.fields.insert(v2.fields.begin(), sync_test::Field("new_first", FieldType::kString));
  auto layout = BuildLayout({v1, v2}, LayoutOptions{}, LayoutLimits{});
  ASSERT_TRUE(layout.ok()) << layout.status();
  std::vector<std::string> names = Names(layout->tables[0]);
  EXPECT_EQ(names[1], "new_first");
  EXPECT_EQ(names[names.size() - 6], "old_only");  // before the five meta columns
}

TEST(LayoutTest, RefusesWhatItCannotLayOut) {
  EXPECT_EQ(BuildLayout({}, LayoutOptions{}, LayoutLimits{}).status().code(),
            absl::StatusCode::kInvalidArgument);
  LayoutOptions lang;
  lang.language = "ar";
  EXPECT_EQ(BuildLayout({HouseholdForm()}, lang, LayoutLimits{}).status().code(),
            absl::StatusCode::kInvalidArgument);
  LayoutOptions geo;
  geo.geo_field = "district";
  EXPECT_EQ(BuildLayout({HouseholdForm()}, geo, LayoutLimits{}).status().code(),
            absl::StatusCode::kInvalidArgument);
  Form other = sync_test::CrossingForm();
  EXPECT_EQ(BuildLayout({HouseholdForm(), other}, LayoutOptions{}, LayoutLimits{}).status().code(),
            absl::StatusCode::kInvalidArgument);
}

TEST(LayoutTest, ColumnLimit) {
  LayoutOptions o;
  o.choice_columns = true;
  LayoutLimits limits;
  // 17 columns without choice columns, 4 more with them.
  limits.max_columns = 21;
  EXPECT_TRUE(BuildLayout({HouseholdForm()}, o, limits).ok());
  limits.max_columns = 20;
  auto over = BuildLayout({HouseholdForm()}, o, limits);
  EXPECT_EQ(over.status().code(), absl::StatusCode::kInvalidArgument);
}

TEST(LayoutTest, CellsOfARecord) {
  LayoutOptions o;
  o.choice_columns = true;
  auto layout = BuildLayout({HouseholdForm()}, o, LayoutLimits{});
  ASSERT_TRUE(layout.ok());
  Record r;
  r.record_id = "r1";
  r.version = 3;
  r.seq = 42;
  r.last_writer_device = "tab-1";
  r.updated_ms = 1764656387123;
  r.open_conflict = true;
  r.fields = sync_test::Household("Anbar", 7);
  r.fields["needs"] = std::vector<std::string>{"water", "food"};
  r.fields["location"] = GeoPoint{36.34, 43.13};
  r.fields["intends_to_return"] = false;
  std::vector<Cell> cells;
  FillRow(layout->tables[0], r, &cells);
  std::map<std::string, std::string> text;
  for (size_t i = 0; i < cells.size(); ++i) {
    text[layout->tables[0].columns[i].name] = CellText(cells[i]);
  }
  EXPECT_EQ(text["_record_id"], "r1");
  EXPECT_EQ(text["household_size"], "7");
  EXPECT_EQ(text["needs"], "water food");
  EXPECT_EQ(text["needs/food"], "1");
  EXPECT_EQ(text["needs/shelter"], "0");
  EXPECT_EQ(text["location-latitude"], "36.34");
  EXPECT_EQ(text["location-longitude"], "43.13");
  EXPECT_EQ(text["intends_to_return"], "false");
  EXPECT_EQ(text["children_under_5"], "");
  EXPECT_EQ(text["_version"], "3");
  EXPECT_EQ(text["_seq"], "42");
  EXPECT_EQ(text["_last_writer"], "tab-1");
  EXPECT_EQ(text["_commit_time"], "2025-12-02T06:19:47.123Z");
  EXPECT_EQ(text["_open_conflict"], "true");
}

TEST(LayoutTest, DecimalsReadBackExactly) {
  for (double d : {0.1, 1.0 / 3, 1e-300, 123456789.125, -0.5}) {
    EXPECT_EQ(std::stod(CellText(Cell::Decimal(d))), d);
  }
}

}  // namespace
}  // namespace fieldsync::exporting
