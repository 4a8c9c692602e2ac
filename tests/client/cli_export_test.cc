// `fieldsync export` against a real fieldsyncd over gRPC: the CSV parsed back equals the
// records read through Pull (every field type, edits, a delete, pseudonymised pii), a
// supervisor gets its scope only, an enumerator is refused, incremental exports, XLSX and
// GeoJSON files, and the audit entry.
#include <fcntl.h>
#include <sys/wait.h>
#include <unistd.h>

#include <fstream>
#include <map>
#include <nlohmann/json.hpp>
#include <sstream>
#include <string>
#include <vector>

#include "absl/strings/str_join.h"
#include "client-sdk/cli/csv.h"
#include "gmock/gmock.h"
#include "gtest/gtest.h"
#include "tests/testing/run_program.h"
#include "tests/testing/server_process.h"
#include "tests/testing/server_test.h"
#include "tests/testing/temp_dir.h"
#include "tests/testing/test_client.h"

namespace fieldsync::testing {
namespace {

using ::testing::HasSubstr;

using CliResult = ProgramResult;

bool Exists(const std::string& path) { return access(path.c_str(), F_OK) == 0; }

// A pulled value as the CSV export writes it.
std::string ExportText(const v1::Value& v) {
  switch (v.kind_case()) {
    case v1::Value::kText:
      return v.text();
    case v1::Value::kInteger:
      return std::to_string(v.integer());
    case v1::Value::kBoolean:
      return v.boolean() ? "true" : "false";
    case v1::Value::kChoices:
      return absl::StrJoin(v.choices().values(), " ");
    default:
      return "?";
  }
}

class CliExportTest : public ServerTest {
 protected:
  void SetUp() override {
    server_ = std::make_unique<ServerProcess>(dir_.Sub("db"));
    admin_ = server_->AddDevice({"admin", "admin", {}, true});
    sup_ = server_->AddDevice({"sup-ninewa", "supervisor", {"governorate=Ninewa"}});
    tab_ = server_->AddDevice({"tab-1", "enumerator", {"governorate=Ninewa"}});
    tab2_ = server_->AddDevice({"tab-2", "enumerator", {"governorate=Anbar"}});
    ASSERT_TRUE(server_->Start()) << server_->log();
  }
  std::string TokenFile(const std::string& name, const std::string& token) {
    std::ofstream(dir_.Sub(name)) << token << "\n";
    return dir_.Sub(name);
  }

  // `fieldsync export` with the connection flags for `token`.
  CliResult Export(const std::string& token, const std::vector<std::string>& args) {
    std::vector<std::string> argv = {
        FIELDSYNC_CLI_PATH, "--data-dir",
        dir_.Sub("cli"),    "export",
        "--server",         server_->target(),
        "--token-file",     TokenFile("t" + std::to_string(runs_), token),
        "--plaintext"};
    argv.insert(argv.end(), args.begin(), args.end());
    return RunProgram(argv, dir_.Sub("run" + std::to_string(runs_++)));
  }

  // Records of a CSV export by record id: column -> cell.
  std::map<std::string, std::map<std::string, std::string>> ReadCsv(const std::string& path) {
    std::map<std::string, std::map<std::string, std::string>> out;
    std::vector<cli::CsvRow> rows = cli::ParseCsv(SlurpFile(path));
    EXPECT_FALSE(rows.empty());
    if (rows.empty()) return out;
    const auto& header = rows[0].cells;
    for (size_t i = 1; i < rows.size(); ++i) {
      EXPECT_EQ(rows[i].cells.size(), header.size()) << "line " << rows[i].line;
      std::map<std::string, std::string> row;
      for (size_t c = 0; c < header.size() && c < rows[i].cells.size(); ++c) {
        row[header[c]] = rows[i].cells[c];
      }
      out[row["_record_id"]] = row;
    }
    return out;
  }

  // Households of every field type in Ninewa and Anbar; one edited, one deleted.
  void Seed() {
    TestClient tab(server_->target(), tab_);
    std::vector<v1::Mutation> batch;
    for (int i = 0; i < 5; ++i) {
      v1::Mutation m = HouseholdCreate(i + 1, "n" + std::to_string(i), "Ninewa", 2 + i);
      auto& f = *m.mutable_fields();
      f["team"] = Text("T" + std::to_string(i % 2));
      f["head_of_household_name"] = Text("Ahmed " + std::to_string(i));  // pii
      f["needs"].mutable_choices()->add_values("food");
      if (i % 2 == 0) f["needs"].mutable_choices()->add_values("water");
      f["location"].mutable_geopoint()->set_latitude(36.3 + i / 100.0);
      f["location"].mutable_geopoint()->set_longitude(43.1);
      f["intends_to_return"].set_boolean(i % 2 == 1);
      f["monthly_income"].set_decimal(120.5 + i);
      f["shelter_type"] = Text("camp");
      batch.push_back(m);
    }
    // Text a spreadsheet would run as a formula, with a comma and a quote.
    (*batch[1].mutable_fields())["district"] = Text("=HYPERLINK(\"x\"),y");
    std::vector<v1::Receipt> receipts;
    ASSERT_TRUE(tab.PushOne(batch, &receipts).ok());
    v1::Mutation edit =
        MakeMutation({6, "n0", "displacement_household", 1, {{"household_size", Int(9)}}});
    v1::Mutation del = MakeMutation({7, "n4", "displacement_household", 1, {}, true});
    ASSERT_TRUE(tab.PushOne({edit, del}, &receipts).ok());
    TestClient tab2(server_->target(), tab2_);
    ASSERT_TRUE(tab2.PushOne({HouseholdCreate(1, "a0", "Anbar", 4)}, &receipts).ok());
    for (const auto& r : receipts) ASSERT_NE(r.outcome(), v1::REJECTED) << r.DebugString();
  }

  std::string admin_, sup_, tab_, tab2_;
  int runs_ = 0;
};

TEST_F(CliExportTest, CsvEqualsWhatPullReturns) {
  Seed();
  const std::string file = dir_.Sub("households.csv");
  CliResult r = Export(admin_, {"displacement_household", "--format", "csv", "--raw", "-o", file});
  ASSERT_EQ(r.code, 0) << r.out << r.err;
  EXPECT_THAT(r.out, HasSubstr("5 records"));
  EXPECT_FALSE(Exists(file + ".partial"));
  auto csv = ReadCsv(file);

  PullResult pulled = TestClient(server_->target(), admin_).Pull("", {"displacement_household"});
  ASSERT_TRUE(pulled.status.ok()) << pulled.status.error_message();
  size_t live = 0;
  for (const auto& [id, rec] : ById(pulled.records)) {
    if (rec.deleted()) {
      EXPECT_EQ(csv.count(id), 0u) << id << " is deleted";
      continue;
    }
    ++live;
    ASSERT_EQ(csv.count(id), 1u) << id;
    auto& row = csv[id];
    EXPECT_EQ(row["_version"], std::to_string(rec.version())) << id;
    EXPECT_EQ(row["_seq"], std::to_string(rec.seq())) << id;
    EXPECT_EQ(row["_last_writer"], rec.last_writer_device()) << id;
    EXPECT_EQ(row["_open_conflict"], rec.has_open_conflict() ? "true" : "false");
    for (const auto& [name, value] : rec.fields()) {
      if (value.kind_case() == v1::Value::kGeopoint) {
        EXPECT_EQ(std::stod(row[name + "-latitude"]), value.geopoint().latitude()) << id;
        EXPECT_EQ(std::stod(row[name + "-longitude"]), value.geopoint().longitude()) << id;
      } else if (value.kind_case() == v1::Value::kDecimal) {
        EXPECT_EQ(std::stod(row[name]), value.decimal()) << id << " " << name;
      } else {
        EXPECT_EQ(row[name], ExportText(value)) << id << " " << name;
      }
    }
  }
  EXPECT_EQ(csv.size(), live);
  // pii as stored: the pseudonym, never the name that was pushed.
  EXPECT_THAT(csv["n1"]["head_of_household_name"], ::testing::Not(HasSubstr("Ahmed")));
  EXPECT_FALSE(csv["n1"]["head_of_household_name"].empty());
  EXPECT_EQ(csv["n1"]["district"], "=HYPERLINK(\"x\"),y");  // --raw: as stored
  EXPECT_EQ(csv["n0"]["household_size"], "9");

  // Without --raw the formula is defused for spreadsheets.
  CliResult guarded = Export(admin_, {"displacement_household", "-o", file});
  ASSERT_EQ(guarded.code, 0) << guarded.err;
  EXPECT_EQ(ReadCsv(file)["n1"]["district"], "'=HYPERLINK(\"x\"),y");

  // The export is in the audit log as a read of personal data, by whom and of what.
  TestClient admin(server_->target(), admin_);
  v1::ListAuditRequest areq;
  v1::ListAuditResponse aresp;
  ASSERT_TRUE(admin.identity()->ListAudit(admin.Context().get(), areq, &aresp).ok());
  int exports = 0;
  for (const auto& e : aresp.entries()) {
    if (e.action() != "records.export") continue;
    ++exports;
    EXPECT_EQ(e.actor_device_id(), "admin");
    EXPECT_EQ(e.target(), "displacement_household");
  }
  EXPECT_EQ(exports, 2);
}

TEST_F(CliExportTest, ScopesRolesAndIncrementalExports) {
  Seed();
  const std::string file = dir_.Sub("sup.csv");
  CliResult r = Export(sup_, {"displacement_household", "--include-deleted", "-o", file});
  ASSERT_EQ(r.code, 0) << r.err;
  auto csv = ReadCsv(file);
  EXPECT_EQ(csv.size(), 5u);  // Ninewa only, the deleted one included
  EXPECT_EQ(csv.count("a0"), 0u);
  EXPECT_EQ(csv["n4"]["_deleted"], "true");

  CliResult refused = Export(tab_, {"displacement_household", "-o", dir_.Sub("tab.csv")});
  EXPECT_EQ(refused.code, 1);
  EXPECT_FALSE(Exists(dir_.Sub("tab.csv")));
  EXPECT_FALSE(Exists(dir_.Sub("tab.csv.partial")));

  CliResult bad = Export(admin_, {"displacement_household", "--where", "nope=1", "-o", file});
  EXPECT_EQ(bad.code, 1);
  EXPECT_THAT(bad.err, HasSubstr("where"));
  EXPECT_EQ(Export(admin_, {"displacement_household", "--format", "pdf", "-o", file}).code, 2);
  EXPECT_EQ(Export(admin_, {"displacement_household"}).code, 2);

  // The printed --since makes the next export incremental.
  const std::string marker = "--since ";
  const size_t at = r.out.find(marker);
  ASSERT_NE(at, std::string::npos) << r.out;
  const std::string since =
      r.out.substr(at + marker.size(), r.out.find('\n', at) - at - marker.size());
  std::vector<v1::Receipt> receipts;
  ASSERT_TRUE(
      TestClient(server_->target(), tab_)
          .PushOne(
              {MakeMutation({8, "n1", "displacement_household", 1, {{"household_size", Int(11)}}})},
              &receipts)
          .ok());
  r = Export(sup_, {"displacement_household", "--since", since, "-o", file});
  ASSERT_EQ(r.code, 0) << r.err;
  csv = ReadCsv(file);
  ASSERT_EQ(csv.size(), 1u);
  EXPECT_EQ(csv["n1"]["household_size"], "11");

  // A filter on a scope field and a select_multiple choice.
  r = Export(admin_, {"displacement_household", "--where", "governorate=Ninewa", "--where",
                      "needs=water", "-o", file});
  ASSERT_EQ(r.code, 0) << r.err;
  csv = ReadCsv(file);
  EXPECT_EQ(csv.size(), 2u);  // n0 and n2 (n4, also with water, is deleted)
}

TEST_F(CliExportTest, XlsxAndGeoJsonFiles) {
  Seed();
  const std::string xlsx = dir_.Sub("h.xlsx");
  CliResult r = Export(admin_, {"displacement_household", "--format", "xlsx", "--labels",
                                "--choice-columns", "-o", xlsx});
  ASSERT_EQ(r.code, 0) << r.err;
  EXPECT_EQ(SlurpFile(xlsx).substr(0, 2), "PK");
  const std::string geo = dir_.Sub("h.geojson");
  r = Export(admin_, {"displacement_household", "--format", "geojson", "-o", geo});
  ASSERT_EQ(r.code, 0) << r.err;
  auto doc = nlohmann::json::parse(SlurpFile(geo), nullptr, false);
  ASSERT_FALSE(doc.is_discarded());
  EXPECT_EQ(doc["features"].size(), 5u);
  // A form without a geopoint cannot be a map.
  r = Export(admin_, {"border_crossing", "--format", "geojson", "-o", geo});
  EXPECT_EQ(r.code, 1);
}

}  // namespace
}  // namespace fieldsync::testing
