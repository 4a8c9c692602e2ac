#include "server/export/writers.h"

#include <dirent.h>

#include <nlohmann/json.hpp>

#include "gtest/gtest.h"
#include "tests/export/export_testing.h"
#include "tests/sync/sync_fixture.h"
#include "tests/testing/temp_dir.h"

namespace fieldsync::exporting {
namespace {

using testing::RecordingSink;
using testing::ZipPart;

Cell Text(std::string s) { return Cell::Text(std::move(s)); }
Cell Int(int64_t i) { return Cell::Int(i); }
Cell Dec(double d) { return Cell::Decimal(d); }

ExportLayout TwoColumns(const std::string& a = "name", const std::string& b = "count") {
  ExportLayout layout;
  layout.form_id = "f";
  TableLayout t;
  t.name = "f";
  t.columns.push_back(Column{ColumnKind::kValue, a, a, a});
  t.columns.push_back(Column{ColumnKind::kValue, b, b, b, FieldType::kInt});
  layout.tables.push_back(t);
  return layout;
}

std::string Csv(const ExportLayout& layout, const std::vector<std::vector<Cell>>& rows,
                CsvOptions options) {
  RecordingSink sink;
  ChunkedOutput out(&sink, 1 << 16);
  auto w = NewCsvWriter(&out, options);
  EXPECT_TRUE(w->Begin(layout).ok());
  for (const auto& r : rows) EXPECT_TRUE(w->Row(0, r).ok());
  EXPECT_TRUE(w->Finish().ok());
  return sink.data;
}

TEST(CsvWriterTest, QuotesAsRfc4180) {
  CsvOptions o;
  o.byte_order_mark = false;
  std::string csv = Csv(TwoColumns(),
                        {{Text("plain"), Int(3)},
                         {Text("a,b"), Int(-4)},
                         {Text("say \"hi\""), Cell{}},
                         {Text("two\nlines"), Int(0)},
                         {Text("عربي"), Int(1)}},
                        o);
  EXPECT_EQ(csv,
            "name,count\r\n"
            "plain,3\r\n"
            "\"a,b\",-4\r\n"
            "\"say \"\"hi\"\"\",\r\n"
            "\"two\nlines\",0\r\n"
            "عربي,1\r\n");
}

TEST(CsvWriterTest, FormulaGuardOnTextOnly) {
  CsvOptions o;
  o.byte_order_mark = false;
  std::string csv = Csv(TwoColumns(),
                        {{Text("=HYPERLINK(\"http://x\")"), Int(-1)},
                         {Text("+964 750"), Int(2)},
                         {Text("-x"), Int(3)},
                         {Text("@SUM(A1)"), Int(4)},
                         {Text("\tx"), Int(5)},
                         {Text("a=b"), Int(6)}},
                        o);
  EXPECT_EQ(csv,
            "name,count\r\n"
            "\"'=HYPERLINK(\"\"http://x\"\")\",-1\r\n"
            "'+964 750,2\r\n"
            "'-x,3\r\n"
            "'@SUM(A1),4\r\n"
            "'\tx,5\r\n"
            "a=b,6\r\n");
  o.formula_guard = false;
  EXPECT_EQ(Csv(TwoColumns(), {{Text("=1+1"), Int(-1)}}, o), "name,count\r\n=1+1,-1\r\n");
  // Header cells are text too: a label beginning with '=' is guarded.
  o.formula_guard = true;
  EXPECT_EQ(Csv(TwoColumns("=x"), {}, o), "'=x,count\r\n");
}

TEST(CsvWriterTest, ByteOrderMarkFirst) {
  std::string csv = Csv(TwoColumns(), {}, CsvOptions{});
  EXPECT_EQ(csv, "\xEF\xBB\xBFname,count\r\n");
}

TEST(CsvWriterTest, RefusesChildTables) {
  ExportLayout layout = TwoColumns();
  layout.tables.push_back(layout.tables[0]);
  RecordingSink sink;
  ChunkedOutput out(&sink, 1024);
  EXPECT_EQ(NewCsvWriter(&out, CsvOptions{})->Begin(layout).code(),
            absl::StatusCode::kInvalidArgument);
}

TEST(ChunkedOutputTest, ChunksStayNearTheirSize) {
  RecordingSink sink;
  ChunkedOutput out(&sink, 100);
  for (int i = 0; i < 1000; ++i) ASSERT_TRUE(out.Append("0123456789").ok());
  ASSERT_TRUE(out.Flush().ok());
  EXPECT_EQ(sink.data.size(), 10000u);
  EXPECT_EQ(out.bytes(), 10000u);
  EXPECT_EQ(sink.chunks.size(), 100u);
  EXPECT_EQ(sink.LargestChunk(), 100u);
  // A sink error comes back to whoever appended.
  sink.fail_at = 1;
  EXPECT_EQ(out.Append(std::string(200, 'x')).code(), absl::StatusCode::kCancelled);
}

ExportLayout GeoLayout() {
  ExportLayout layout;
  layout.form_id = "f";
  TableLayout t;
  t.name = "f";
  t.columns.push_back(Column{ColumnKind::kRecordId, "_record_id", "_record_id"});
  t.columns.push_back(
      Column{ColumnKind::kLatitude, "loc-latitude", "loc-latitude", "loc", FieldType::kGeopoint});
  t.columns.push_back(Column{ColumnKind::kLongitude, "loc-longitude", "loc-longitude", "loc",
                             FieldType::kGeopoint});
  t.columns.push_back(Column{ColumnKind::kValue, "n", "n", "n", FieldType::kInt});
  t.columns.push_back(Column{ColumnKind::kValue, "s", "s", "s"});
  t.geo_latitude = 1;
  t.geo_longitude = 2;
  layout.tables.push_back(t);
  return layout;
}

TEST(GeoJsonWriterTest, FeatureCollectionParsesBack) {
  RecordingSink sink;
  ChunkedOutput out(&sink, 64);
  auto w = NewGeoJsonWriter(&out);
  ASSERT_TRUE(w->Begin(GeoLayout()).ok());
  ASSERT_TRUE(w->Row(0, {Text("r1"), Dec(36.5), Dec(43.25), Int(5), Text("a \"q\" ⟨x⟩")}).ok());
  ASSERT_TRUE(w->Row(0, {Text("r2"), Cell{}, Cell{}, Cell{}, Text("=1")}).ok());
  ASSERT_TRUE(w->Finish().ok());
  auto doc = nlohmann::json::parse(sink.data, nullptr, /*allow_exceptions=*/false);
  ASSERT_FALSE(doc.is_discarded()) << sink.data;
  EXPECT_EQ(doc["type"], "FeatureCollection");
  ASSERT_EQ(doc["features"].size(), 2u);
  const auto& f1 = doc["features"][0];
  EXPECT_EQ(f1["id"], "r1");
  EXPECT_EQ(f1["geometry"]["type"], "Point");
  EXPECT_EQ(f1["geometry"]["coordinates"][0], 43.25);  // longitude first (RFC 7946)
  EXPECT_EQ(f1["geometry"]["coordinates"][1], 36.5);
  EXPECT_EQ(f1["properties"]["n"], 5);
  EXPECT_EQ(f1["properties"]["s"], "a \"q\" ⟨x⟩");
  EXPECT_FALSE(f1["properties"].contains("loc-latitude"));
  const auto& f2 = doc["features"][1];
  EXPECT_TRUE(f2["geometry"].is_null());
  EXPECT_TRUE(f2["properties"]["n"].is_null());
  EXPECT_EQ(f2["properties"]["s"], "=1");  // JSON is not a spreadsheet: no guard
}

TEST(GeoJsonWriterTest, RefusesAFormWithoutGeopoint) {
  RecordingSink sink;
  ChunkedOutput out(&sink, 64);
  EXPECT_EQ(NewGeoJsonWriter(&out)->Begin(TwoColumns()).code(), absl::StatusCode::kInvalidArgument);
}

int FilesIn(const std::string& dir) {
  int n = 0;
  DIR* d = opendir(dir.c_str());
  if (d == nullptr) return -1;
  while (dirent* e = readdir(d)) {
    if (e->d_name[0] != '.') ++n;
  }
  closedir(d);
  return n;
}

TEST(XlsxWriterTest, SheetsHoldTypedCellsAndTheTempFileIsGone) {
  fieldsync::testing::TempDir tmp;
  XlsxOptions o;
  o.temp_dir = tmp.path();
  o.max_rows_per_sheet = 2;
  RecordingSink sink;
  ChunkedOutput out(&sink, 4096);
  {
    auto w = NewXlsxWriter(&out, o);
    ASSERT_TRUE(w->Begin(TwoColumns()).ok());
    ASSERT_TRUE(w->Row(0, {Text("=not a formula"), Int(7)}).ok());
    ASSERT_TRUE(w->Row(0, {Text("عربي"), Dec(2.5)}).ok());
    ASSERT_TRUE(w->Row(0, {Text(std::string(40000, 'x')), Int(9)}).ok());
    EXPECT_GT(FilesIn(tmp.path()), 0);  // the workbook being written
    ASSERT_TRUE(w->Finish().ok());
    EXPECT_EQ(w->truncated_cells(), 1u);
  }
  EXPECT_EQ(FilesIn(tmp.path()), 0);
  EXPECT_LE(sink.LargestChunk(), 2 * 4096u + (64u << 10));
  ASSERT_EQ(sink.data.substr(0, 2), "PK");
  std::string sheet1 = ZipPart(sink.data, "xl/worksheets/sheet1.xml");
  std::string sheet2 = ZipPart(sink.data, "xl/worksheets/sheet2.xml");
  std::string book = ZipPart(sink.data, "xl/workbook.xml");
  EXPECT_NE(book.find("name=\"f\""), std::string::npos) << book;
  EXPECT_NE(book.find("name=\"f (2)\""), std::string::npos) << book;
  // Strings are inline strings, never formulas; numbers are numbers.
  EXPECT_NE(sheet1.find("=not a formula"), std::string::npos) << sheet1;
  EXPECT_EQ(sheet1.find("<f>"), std::string::npos);
  EXPECT_NE(sheet1.find("<v>7</v>"), std::string::npos) << sheet1;
  EXPECT_NE(sheet1.find("<v>2.5</v>"), std::string::npos);
  EXPECT_NE(sheet1.find("عربي"), std::string::npos);
  // The third row went to the second sheet, under its own header, cut to 32,767 characters.
  EXPECT_NE(sheet2.find("count"), std::string::npos);
  EXPECT_NE(sheet2.find(std::string(32767, 'x') + "<"), std::string::npos);
  EXPECT_EQ(sheet2.find(std::string(32768, 'x')), std::string::npos);
}

TEST(XlsxWriterTest, AnAbandonedExportLeavesNoFile) {
  fieldsync::testing::TempDir tmp;
  XlsxOptions o;
  o.temp_dir = tmp.path();
  RecordingSink sink;
  ChunkedOutput out(&sink, 4096);
  {
    auto w = NewXlsxWriter(&out, o);
    ASSERT_TRUE(w->Begin(TwoColumns()).ok());
    ASSERT_TRUE(w->Row(0, {Text("a"), Int(1)}).ok());
  }
  EXPECT_EQ(FilesIn(tmp.path()), 0);
  o.temp_dir = tmp.path() + "/missing";
  auto w = NewXlsxWriter(&out, o);
  EXPECT_EQ(w->Begin(TwoColumns()).code(), absl::StatusCode::kUnavailable);
}

}  // namespace
}  // namespace fieldsync::exporting
