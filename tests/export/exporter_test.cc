#include "server/export/exporter.h"

#include <nlohmann/json.hpp>

#include "client-sdk/cli/csv.h"
#include "gtest/gtest.h"
#include "server/common/status.h"
#include "tests/export/export_testing.h"
#include "tests/sync/sync_fixture.h"
#include "tests/testing/temp_dir.h"

namespace fieldsync::exporting {
namespace {

using sync_test::Create;
using sync_test::Delete;
using sync_test::Household;
using sync_test::kHousehold;
using sync_test::Upsert;
using testing::RecordingSink;

// A parsed CSV export: rows as column name -> cell, by record id.
struct Table {
  std::vector<std::string> header;
  std::map<std::string, std::map<std::string, std::string>> rows;
  std::vector<std::string> order;  // record ids in file order
};

Table ParseExport(const std::string& data) {
  Table t;
  std::vector<cli::CsvRow> rows = cli::ParseCsv(data);
  EXPECT_FALSE(rows.empty());
  if (rows.empty()) return t;
  t.header = rows[0].cells;
  for (size_t i = 1; i < rows.size(); ++i) {
    EXPECT_EQ(rows[i].error, "");
    std::map<std::string, std::string> row;
    for (size_t c = 0; c < t.header.size() && c < rows[i].cells.size(); ++c) {
      row[t.header[c]] = rows[i].cells[c];
    }
    t.order.push_back(row["_record_id"]);
    t.rows[row["_record_id"]] = row;
  }
  return t;
}

Device Supervisor(std::string governorate) {
  Device d = sync_test::InGovernorate("sup", std::move(governorate));
  d.role = Role::kSupervisor;
  return d;
}

class ExporterTest : public sync_test::SyncFixture {
 protected:
  void SetUp() override {
    SyncFixture::SetUp();
    source_ = std::make_unique<StoreRecordSource>(store_.get(), sequencer_);
    MakeExporter(ExportLimits{});
    // h1, h2 in Anbar, h3 in Ninewa; h2 edited, h3 deleted.
    FieldMap h1 = Household("Anbar", 3);
    h1["needs"] = std::vector<std::string>{"food", "water"};
    h1["location"] = GeoPoint{33.42, 43.3};
    h1["notes"] = std::string("=cmd|' /C calc'!A0");
    PushNext(field_, Create(0, "h1", h1, sync_test::At(1, "tab")));
    PushNext(field_, Create(0, "h2", Household("Anbar", 5), sync_test::At(2, "tab")));
    PushNext(ninewa_, Create(0, "h3", Household("Ninewa", 7), sync_test::At(3, "tab2")));
    FieldMap edit;
    edit["household_size"] = int64_t{6};
    PushNext(field_, Upsert(0, "h2", 1, edit, sync_test::At(4, "tab")));
    PushNext(ninewa_, Delete(0, "h3", 1, sync_test::At(5, "tab2")));
  }

  void MakeExporter(ExportLimits limits) {
    limits.xlsx.temp_dir = tmp_.path();
    exporter_ = std::make_unique<Exporter>(source_.get(), forms_.get(), limits);
  }

  absl::StatusOr<ExportSummary> Run(const Device& who, const ExportRequest& req,
                                    RecordingSink* sink) {
    return exporter_->Run(who, req, sink);
  }

  Table Csv(const Device& who, ExportRequest req) {
    RecordingSink sink;
    auto summary = Run(who, req, &sink);
    EXPECT_TRUE(summary.ok()) << summary.status();
    Table t = ParseExport(sink.data);
    if (summary.ok()) {
      EXPECT_EQ(summary->records, t.rows.size());
    }
    return t;
  }

  static ExportRequest Request() {
    ExportRequest r;
    r.form_id = kHousehold;
    return r;
  }

  fieldsync::testing::TempDir tmp_;
  std::unique_ptr<StoreRecordSource> source_;
  std::unique_ptr<Exporter> exporter_;
  Device admin_ = sync_test::AdminDevice();
  Device field_ = sync_test::InGovernorate("tab", "Anbar");
  Device ninewa_ = sync_test::InGovernorate("tab2", "Ninewa");
};

TEST_F(ExporterTest, LatestStateOfLiveRecordsWithMetadata) {
  Table t = Csv(admin_, Request());
  EXPECT_EQ(t.order, (std::vector<std::string>{"h1", "h2"}));  // h3 is deleted
  auto& h1 = t.rows["h1"];
  EXPECT_EQ(h1["governorate"], "Anbar");
  EXPECT_EQ(h1["needs"], "food water");
  EXPECT_EQ(h1["location-latitude"], "33.42");
  EXPECT_EQ(h1["location-longitude"], "43.3");
  EXPECT_EQ(h1["notes"], "'=cmd|' /C calc'!A0");  // the formula guard
  EXPECT_EQ(h1["_version"], "1");
  EXPECT_EQ(h1["_last_writer"], "tab");
  EXPECT_EQ(h1["_open_conflict"], "false");
  auto& h2 = t.rows["h2"];
  EXPECT_EQ(h2["household_size"], "6");
  EXPECT_EQ(h2["_version"], "2");
  EXPECT_EQ(h2["_seq"], std::to_string(GetRecord("h2")->seq));
  EXPECT_FALSE(h2["_commit_time"].empty());
}

TEST_F(ExporterTest, ASupervisorGetsItsScopesOnly) {
  Table t = Csv(Supervisor("Anbar"), Request());
  EXPECT_EQ(t.order, (std::vector<std::string>{"h1", "h2"}));
  ExportRequest with_deleted = Request();
  with_deleted.include_deleted = true;
  EXPECT_EQ(Csv(Supervisor("Ninewa"), with_deleted).order, std::vector<std::string>{"h3"});
  EXPECT_TRUE(Csv(Supervisor("Kirkuk"), with_deleted).order.empty());
  // A filter naming another scope reads that scope's index but still shows nothing outside
  // the caller's scopes.
  ExportRequest other = with_deleted;
  other.where = {{"governorate", "Ninewa"}};
  EXPECT_TRUE(Csv(Supervisor("Anbar"), other).order.empty());
}

TEST_F(ExporterTest, DeletedRecordsOnlyWhenAsked) {
  ExportRequest r = Request();
  r.include_deleted = true;
  Table t = Csv(admin_, r);
  EXPECT_EQ(t.order, (std::vector<std::string>{"h1", "h2", "h3"}));
  EXPECT_EQ(t.rows["h3"]["_deleted"], "true");
  EXPECT_EQ(t.rows["h1"]["_deleted"], "false");
  EXPECT_EQ(t.header.back(), "_deleted");
}

TEST_F(ExporterTest, IncrementalFromTheLastHead) {
  RecordingSink sink;
  auto first = Run(admin_, Request(), &sink);
  ASSERT_TRUE(first.ok()) << first.status();
  EXPECT_EQ(first->head_seq, sequencer_->VisibleHead());
  FieldMap edit;
  edit["district"] = std::string("Falluja");
  PushNext(field_, Upsert(0, "h1", 1, edit, sync_test::At(9, "tab")));
  ExportRequest r = Request();
  r.since_seq = first->head_seq;
  Table t = Csv(admin_, r);
  EXPECT_EQ(t.order, std::vector<std::string>{"h1"});
  EXPECT_EQ(t.rows["h1"]["district"], "Falluja");
  r.since_seq = sequencer_->VisibleHead();
  EXPECT_TRUE(Csv(admin_, r).order.empty());
}

TEST_F(ExporterTest, Filters) {
  ExportRequest r = Request();
  r.where = {{"household_size", "6"}};
  EXPECT_EQ(Csv(admin_, r).order, std::vector<std::string>{"h2"});
  r.where = {{"needs", "water"}};
  EXPECT_EQ(Csv(admin_, r).order, std::vector<std::string>{"h1"});
  r.where = {{"governorate", "Anbar"}, {"district", "Mosul"}};
  EXPECT_EQ(Csv(admin_, r).order, (std::vector<std::string>{"h1", "h2"}));
  r.where = {{"district", "nowhere"}};
  EXPECT_TRUE(Csv(admin_, r).order.empty());
}

TEST_F(ExporterTest, BadRequestsFailBeforeAnyByte) {
  auto expect_refused = [&](ExportRequest r, absl::StatusCode code, const std::string& field) {
    RecordingSink sink;
    auto s = Run(admin_, r, &sink);
    EXPECT_EQ(s.status().code(), code) << s.status();
    if (!field.empty()) {
      auto v = FieldViolations(s.status());
      ASSERT_EQ(v.size(), 1u) << s.status();
      EXPECT_EQ(v[0].field, field);
    }
    EXPECT_TRUE(sink.data.empty());
  };
  ExportRequest r = Request();
  r.form_id = "no_such_form";
  expect_refused(r, absl::StatusCode::kNotFound, "");
  r = Request();
  r.where = {{"nope", "1"}};
  expect_refused(r, absl::StatusCode::kInvalidArgument, "where");
  r.where = {{"location", "1"}};
  expect_refused(r, absl::StatusCode::kInvalidArgument, "where");
  r.where.assign(9, FieldFilter{"district", "x"});
  expect_refused(r, absl::StatusCode::kInvalidArgument, "where");
  r.where = {{"district", std::string(1025, 'x')}};
  expect_refused(r, absl::StatusCode::kInvalidArgument, "where");
  r = Request();
  r.since_seq = sequencer_->VisibleHead() + 1;
  expect_refused(r, absl::StatusCode::kInvalidArgument, "since_seq");
  r = Request();
  r.layout.language = "ku";
  expect_refused(r, absl::StatusCode::kInvalidArgument, "");
  r = Request();
  r.form_id = sync_test::kCrossing;
  r.format = Format::kGeoJson;
  expect_refused(r, absl::StatusCode::kInvalidArgument, "");
}

TEST_F(ExporterTest, IncrementalWithDeletionsNeedsTheRetainedLog) {
  RetentionPolicy keep_one;
  keep_one.keep_changes = 1;
  keep_one.keep_ms = 0;
  ASSERT_TRUE(retention_->PurgeOnce(keep_one).ok());
  ExportRequest r = Request();
  r.since_seq = 1;
  RecordingSink sink;
  EXPECT_TRUE(Run(admin_, r, &sink).ok());  // without deletions: every live record is indexed
  r.include_deleted = true;
  EXPECT_EQ(Run(admin_, r, &sink).status().code(), absl::StatusCode::kFailedPrecondition);
}

TEST_F(ExporterTest, StreamsInBoundedChunksAndStopsWhenTheClientGoesAway) {
  for (int i = 0; i < 200; ++i) {
    PushNext(field_, Create(0, "m" + std::to_string(1000 + i), Household("Anbar", 2),
                            sync_test::At(10 + i, "tab")));
  }
  ExportLimits limits;
  limits.chunk_bytes = 512;
  limits.page = 7;
  limits.progress_every = 50;
  MakeExporter(limits);
  RecordingSink sink;
  auto s = Run(admin_, Request(), &sink);
  ASSERT_TRUE(s.ok()) << s.status();
  EXPECT_EQ(s->records, 202u);
  EXPECT_EQ(ParseExport(sink.data).rows.size(), 202u);
  // A chunk holds at most chunk_bytes plus the row that crossed it.
  EXPECT_LT(sink.LargestChunk(), 512u + 400u);
  EXPECT_GT(sink.chunks.size(), 20u);
  ASSERT_EQ(sink.progress.size(), 5u);  // 50, 100, 150, 200 and the end
  EXPECT_EQ(sink.progress[0].records, 50u);
  EXPECT_LT(sink.progress[0].seq, sink.progress[1].seq);
  EXPECT_EQ(sink.progress.back().records, 202u);
  EXPECT_EQ(sink.progress.back().seq, sink.progress.back().head_seq);

  RecordingSink gone;
  gone.fail_at = 3;
  EXPECT_EQ(Run(admin_, Request(), &gone).status().code(), absl::StatusCode::kCancelled);
  EXPECT_EQ(gone.chunks.size(), 3u);
}

TEST_F(ExporterTest, XlsxAndGeoJson) {
  ExportRequest r = Request();
  r.format = Format::kXlsx;
  r.layout.labels = true;
  RecordingSink sink;
  auto s = Run(admin_, r, &sink);
  ASSERT_TRUE(s.ok()) << s.status();
  std::string sheet = testing::ZipPart(sink.data, "xl/worksheets/sheet1.xml");
  EXPECT_NE(sheet.find("=cmd|"), std::string::npos);  // as text, no guard needed
  EXPECT_NE(sheet.find("Mosul"), std::string::npos);
  EXPECT_EQ(sheet.find("<f>"), std::string::npos);

  r.format = Format::kGeoJson;
  RecordingSink geo;
  ASSERT_TRUE(Run(admin_, r, &geo).ok());
  auto doc = nlohmann::json::parse(geo.data, nullptr, false);
  ASSERT_FALSE(doc.is_discarded()) << geo.data;
  ASSERT_EQ(doc["features"].size(), 2u);
  EXPECT_EQ(doc["features"][0]["id"], "h1");
  EXPECT_EQ(doc["features"][0]["geometry"]["coordinates"][0], 43.3);
  EXPECT_TRUE(doc["features"][1]["geometry"].is_null());
}

// The store source alone: scope moves leave exit entries; a record changing mid-scan is
// read as it was when the scan began, once, and the next incremental read has its new state.
TEST_F(ExporterTest, StoreSourceReadsOneMomentOnce) {
  // h1 moves from Anbar to Kirkuk: an exit entry stays under Anbar.
  FieldMap move;
  move["governorate"] = std::string("Kirkuk");
  PushNext(admin_, Upsert(0, "h1", 1, move, sync_test::At(20, "admin")));
  SourceQuery q;
  q.form_id = kHousehold;
  q.pairs = {{"governorate", "Anbar"}, {"governorate", "Kirkuk"}, {"team", "T1"}};
  q.page = 1;
  const uint64_t head = source_->Head();
  std::map<std::string, uint64_t> seen;  // id -> version
  std::vector<uint64_t> seqs;
  bool edited = false;
  auto visit = [&](const Record& r) {
    EXPECT_TRUE(seen.emplace(r.record_id, r.version).second) << r.record_id << " twice";
    seqs.push_back(r.seq);
    if (!edited) {
      // h3 (not yet visited) changes while the scan runs.
      edited = true;
      PushNext(ninewa_, Upsert(0, "h3", 2, Household("Ninewa", 8), sync_test::At(21, "tab2")));
    }
    return absl::OkStatus();
  };
  ASSERT_TRUE(source_->Scan(q, visit).ok());
  EXPECT_EQ(seen, (std::map<std::string, uint64_t>{{"h1", 2}, {"h2", 2}, {"h3", 2}}));
  EXPECT_TRUE(std::is_sorted(seqs.begin(), seqs.end()));
  seen.clear();
  q.after_seq = head;
  ASSERT_TRUE(source_->Scan(q, visit).ok());
  EXPECT_EQ(seen, (std::map<std::string, uint64_t>{{"h3", 3}}));
}

}  // namespace
}  // namespace fieldsync::exporting
