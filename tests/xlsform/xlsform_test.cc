// ConvertXlsForm on workbooks built in the test: what each construct becomes, errors that
// name sheet, row and column, spreadsheet quirks, and every bound.
#include "server/xlsform/xlsform.h"

#include <string>
#include <vector>

#include "gmock/gmock.h"
#include "gtest/gtest.h"
#include "tests/xlsform/xlsx_builder.h"

namespace fieldsync::xlsform {
namespace {

using ::testing::ElementsAre;
using ::testing::HasSubstr;
using testing::SheetRows;
using testing::Xlsx;

const std::vector<std::string> kSurveyHeader = {"type",
                                                "name",
                                                "label::English (en)",
                                                "label::Arabic (ar)",
                                                "hint",
                                                "required",
                                                "relevant",
                                                "constraint",
                                                "constraint_message::English (en)",
                                                "constraint_message::Arabic (ar)",
                                                "calculation",
                                                "default",
                                                "read_only",
                                                "appearance",
                                                "choice_filter",
                                                "repeat_count"};

// A survey row by column name (of kSurveyHeader).
std::vector<std::string> Q(std::map<std::string, std::string> cells) {
  std::vector<std::string> row(kSurveyHeader.size());
  for (size_t i = 0; i < kSurveyHeader.size(); ++i) {
    auto it = cells.find(kSurveyHeader[i]);
    if (it != cells.end()) row[i] = it->second;
  }
  return row;
}

SheetRows Choices() {
  return {{"list_name", "name", "label::English (en)", "label::Arabic (ar)", "gov"},
          {"govs", "ninewa", "Ninewa", "نينوى", ""},
          {"govs", "anbar", "Anbar", "الأنبار", ""},
          {"districts", "mosul", "Mosul", "", "ninewa"},
          {"districts", "ramadi", "Ramadi", "", "anbar"},
          {"sex", "m", "Male", "ذكر", ""},
          {"sex", "f", "Female", "أنثى", ""}};
}

SheetRows Settings() {
  return {{"form_id", "form_title", "version", "default_language", "instance_name"},
          {"household", "Household survey", "2024060101", "English (en)",
           "concat('HH ', ${governorate})"}};
}

// The household survey most tests start from.
SheetRows Survey() {
  SheetRows s = {kSurveyHeader};
  s.push_back(Q({{"type", "start"}, {"name", "started"}}));
  s.push_back(Q({{"type", "select_one govs"},
                 {"name", "governorate"},
                 {"label::English (en)", "Governorate"},
                 {"label::Arabic (ar)", "المحافظة"},
                 {"required", "yes"}}));
  s.push_back(Q({{"type", "select_one districts"},
                 {"name", "district"},
                 {"label::English (en)", "District"},
                 {"choice_filter", "gov = ${governorate}"}}));
  s.push_back(Q({{"type", "integer"},
                 {"name", "hh_size"},
                 {"label::English (en)", "Household size"},
                 {"constraint", ". >= 1 and . <= 60"},
                 {"constraint_message::English (en)", "Between 1 and 60"},
                 {"constraint_message::Arabic (ar)", "بين 1 و 60"},
                 {"default", "1"}}));
  s.push_back(Q({{"type", "begin repeat"},
                 {"name", "members"},
                 {"label::English (en)", "Members"},
                 {"repeat_count", "${hh_size}"}}));
  s.push_back(Q({{"type", "begin group"}, {"name", "who"}, {"appearance", "field-list"}}));
  s.push_back(Q({{"type", "select_one sex"}, {"name", "sex"}, {"label::English (en)", "Sex"}}));
  s.push_back(Q({{"type", "integer"},
                 {"name", "age"},
                 {"label::English (en)", "Age"},
                 {"required", "${sex} != ''"}}));
  s.push_back(Q({{"type", "end group"}}));
  s.push_back(Q({{"type", "text"},
                 {"name", "school"},
                 {"label::English (en)", "School"},
                 {"relevant", "${age} >= 6 and ${age} < 18"}}));
  s.push_back(Q({{"type", "end repeat"}}));
  s.push_back(
      Q({{"type", "calculate"}, {"name", "n_members"}, {"calculation", "count(${members})"}}));
  s.push_back(
      Q({{"type", "note"}, {"name", "summary"}, {"label::English (en)", "${n_members} members"}}));
  return s;
}

absl::StatusOr<Form> Convert(const SheetRows& survey, CellRef* where = nullptr,
                             const XlsFormOptions& options = XlsFormOptions{}) {
  return ConvertXlsForm(
      Xlsx({{"survey", survey}, {"choices", Choices()}, {"settings", Settings()}}), options, where);
}

TEST(XlsFormTest, HouseholdSurveyBecomesAFormV2) {
  auto form = Convert(Survey());
  ASSERT_TRUE(form.ok()) << form.status();
  EXPECT_EQ(form->form_id, "household");
  EXPECT_EQ(form->version, 2024060101u);
  EXPECT_EQ(form->title, "Household survey");
  EXPECT_EQ(form->default_language, "English (en)");
  EXPECT_THAT(form->languages, ElementsAre("English (en)", "Arabic (ar)"));
  EXPECT_EQ(form->instance_name, "concat('HH ', ${governorate})");
  ASSERT_EQ(form->groups.size(), 2u);
  EXPECT_TRUE(form->groups[0].repeat);
  EXPECT_EQ(form->groups[0].repeat_count, "${hh_size}");
  EXPECT_EQ(form->groups[1].parent, "members");
  EXPECT_EQ(form->groups[1].appearance, "field-list");

  const FieldDef* gov = form->FindField("governorate");
  EXPECT_EQ(gov->type, FieldType::kSelectOne);
  EXPECT_TRUE(gov->required);
  EXPECT_EQ(gov->label, "Governorate");
  EXPECT_EQ(gov->labels.at("Arabic (ar)"), "المحافظة");
  EXPECT_THAT(gov->choices, ElementsAre("ninewa", "anbar"));
  EXPECT_EQ(form->FindChoiceList("govs")->choices[1].labels.at("Arabic (ar)"), "الأنبار");
  EXPECT_EQ(form->FindChoiceList("districts")->choices[0].properties.at("gov"), "ninewa");
  EXPECT_EQ(form->FindField("district")->choice_filter, "gov = ${governorate}");

  const FieldDef* size = form->FindField("hh_size");
  EXPECT_EQ(size->type, FieldType::kInt);
  EXPECT_EQ(size->constraint, ". >= 1 and . <= 60");
  EXPECT_EQ(size->constraint_message, "Between 1 and 60");
  EXPECT_EQ(size->constraint_messages.at("Arabic (ar)"), "بين 1 و 60");
  EXPECT_EQ(size->default_value, "1");

  const FieldDef* age = form->FindField("age");
  EXPECT_EQ(age->group, "who");
  EXPECT_EQ(form->RepeatOf(*age), "members");
  EXPECT_FALSE(age->required);
  EXPECT_EQ(age->required_if, "${sex} != ''");
  EXPECT_EQ(form->FindField("school")->relevant, "${age} >= 6 and ${age} < 18");
  EXPECT_EQ(form->FindField("n_members")->calculate, "count(${members})");
  EXPECT_EQ(form->FindField("n_members")->question_type, "calculate");
  EXPECT_TRUE(form->FindField("summary")->read_only);
  EXPECT_EQ(form->FindField("started")->type, FieldType::kDatetime);
  EXPECT_EQ(form->FindField("started")->question_type, "start");
}

TEST(XlsFormTest, EveryQuestionTypeOfTheSpec) {
  struct T {
    const char* type;
    FieldType want;
    const char* question_type;
  };
  const std::vector<T> types = {
      {"text", FieldType::kString, "text"},
      {"integer", FieldType::kInt, "integer"},
      {"decimal", FieldType::kDecimal, "decimal"},
      {"date", FieldType::kDate, "date"},
      {"datetime", FieldType::kDatetime, "datetime"},
      {"time", FieldType::kString, "time"},
      {"select_one sex", FieldType::kSelectOne, "select_one"},
      {"select_multiple sex", FieldType::kSelectMultiple, "select_multiple"},
      {"select_one_from_file cities.csv", FieldType::kSelectOne, "select_one_from_file"},
      {"geopoint", FieldType::kGeopoint, "geopoint"},
      {"geotrace", FieldType::kString, "geotrace"},
      {"geoshape", FieldType::kString, "geoshape"},
      {"image", FieldType::kAttachment, "image"},
      {"audio", FieldType::kAttachment, "audio"},
      {"video", FieldType::kAttachment, "video"},
      {"file", FieldType::kAttachment, "file"},
      {"barcode", FieldType::kString, "barcode"},
      {"note", FieldType::kString, "note"},
      {"acknowledge", FieldType::kString, "acknowledge"},
      {"start", FieldType::kDatetime, "start"},
      {"end", FieldType::kDatetime, "end"},
      {"today", FieldType::kDate, "today"},
      {"deviceid", FieldType::kString, "deviceid"},
  };
  SheetRows s = Survey();
  for (size_t i = 0; i < types.size(); ++i) {
    s.push_back(Q({{"type", types[i].type},
                   {"name", "q" + std::to_string(i)},
                   {"label::English (en)", "Q"}}));
  }
  auto form = Convert(s);
  ASSERT_TRUE(form.ok()) << form.status();
  for (size_t i = 0; i < types.size(); ++i) {
    const FieldDef* f = form->FindField("q" + std::to_string(i));
    ASSERT_NE(f, nullptr) << types[i].type;
    EXPECT_EQ(f->type, types[i].want) << types[i].type;
    EXPECT_EQ(f->question_type, types[i].question_type) << types[i].type;
  }
  const FieldDef* from_file = form->FindField("q8");
  EXPECT_EQ(from_file->choice_file, "cities.csv");
  ASSERT_EQ(form->media.size(), 1u);
  EXPECT_EQ(form->media[0].name, "cities.csv");
  EXPECT_EQ(form->media[0].media_type, "text/csv");
}

struct ErrorCase {
  const char* what;
  std::vector<std::string> row;  // appended to Survey()
  int row_number;                // where the error is
  const char* column;
  const char* why;
};

TEST(XlsFormTest, ErrorsNameSheetRowAndColumn) {
  const int next = static_cast<int>(Survey().size()) + 1;
  const std::vector<ErrorCase> cases = {
      {"unknown type", Q({{"type", "rating"}, {"name", "x"}, {"label::English (en)", "X"}}), next,
       "A", "unknown question type"},
      {"range", Q({{"type", "range"}, {"name", "x"}, {"label::English (en)", "X"}}), next, "A",
       "not supported"},
      {"pulldata",
       Q({{"type", "calculate"}, {"name", "x"}, {"calculation", "pulldata('a', 'b', 'c', 'd')"}}),
       next, "K", "pulldata"},
      {"instance()",
       Q({{"type", "text"},
          {"name", "x"},
          {"label::English (en)", "X"},
          {"relevant", "instance('govs')/root/item"}}),
       next, "G", "instance"},
      {"unknown reference",
       Q({{"type", "integer"},
          {"name", "x"},
          {"label::English (en)", "X"},
          {"constraint", ". < ${nope}"}}),
       next, "H", "nope"},
      {"bad syntax in required",
       Q({{"type", "integer"},
          {"name", "x"},
          {"label::English (en)", "X"},
          {"required", "${hh_size} >"}}),
       next, "F", ""},
      {"duplicate name", Q({{"type", "text"}, {"name", "age"}, {"label::English (en)", "X"}}), next,
       "B", "already used"},
      {"bad name", Q({{"type", "text"}, {"name", "2nd"}, {"label::English (en)", "X"}}), next, "B",
       "must start with a letter"},
      {"no name", Q({{"type", "text"}, {"label::English (en)", "X"}}), next, "B", "no name"},
      {"missing list",
       Q({{"type", "select_one colours"}, {"name", "x"}, {"label::English (en)", "X"}}), next, "A",
       "not in the choices sheet"},
      {"read_only condition",
       Q({{"type", "text"},
          {"name", "x"},
          {"label::English (en)", "X"},
          {"read_only", "${age} > 3"}}),
       next, "M", "read_only"},
      {"end without begin", Q({{"type", "end repeat"}}), next, "A", "without a matching"},
      {"unclosed group", Q({{"type", "begin group"}, {"name", "g"}}), next, "A", "never ended"},
      {"or_other",
       Q({{"type", "select_one sex or_other"}, {"name", "x"}, {"label::English (en)", "X"}}), next,
       "A", "or_other"},
      {"no label", Q({{"type", "text"}, {"name", "x"}}), next, "B", "no label"},
      {"calculate without calculation", Q({{"type", "calculate"}, {"name", "x"}}), next, "K",
       "calculation"},
      {"repeat_count on a question",
       Q({{"type", "text"}, {"name", "x"}, {"label::English (en)", "X"}, {"repeat_count", "2"}}),
       next, "P", "only for repeats"},
      {"row with a name and no type", Q({{"name", "x"}}), next, "A", "no type"},
  };
  for (const auto& c : cases) {
    SheetRows s = Survey();
    s.push_back(c.row);
    CellRef where;
    auto form = Convert(s, &where);
    ASSERT_FALSE(form.ok()) << c.what;
    EXPECT_EQ(form.status().code(), absl::StatusCode::kInvalidArgument) << c.what;
    EXPECT_EQ(where.sheet, "survey") << c.what << ": " << form.status();
    EXPECT_EQ(where.row, c.row_number) << c.what << ": " << form.status();
    EXPECT_EQ(where.column, c.column) << c.what << ": " << form.status();
    EXPECT_THAT(form.status().message(), HasSubstr(c.why)) << c.what;
    EXPECT_THAT(form.status().message(),
                HasSubstr("survey sheet, row " + std::to_string(c.row_number)))
        << c.what;
  }
}

TEST(XlsFormTest, SettingsAndChoicesErrorsNameTheirCells) {
  CellRef where;
  SheetRows settings = Settings();
  settings[1][2] = "v2";  // version
  auto form = ConvertXlsForm(
      Xlsx({{"survey", Survey()}, {"choices", Choices()}, {"settings", settings}}), {}, &where);
  ASSERT_FALSE(form.ok());
  EXPECT_EQ(where.sheet, "settings");
  EXPECT_EQ(where.row, 2);
  EXPECT_EQ(where.column, "C");

  settings = Settings();
  settings[1][4] = "concat(${nope})";  // instance_name
  form = ConvertXlsForm(
      Xlsx({{"survey", Survey()}, {"choices", Choices()}, {"settings", settings}}), {}, &where);
  ASSERT_FALSE(form.ok());
  EXPECT_EQ(where.sheet, "settings");
  EXPECT_EQ(where.column, "E");

  SheetRows choices = Choices();
  choices.push_back({"govs", "ninewa", "Ninewa again", "", ""});
  form = ConvertXlsForm(
      Xlsx({{"survey", Survey()}, {"choices", choices}, {"settings", Settings()}}), {}, &where);
  ASSERT_FALSE(form.ok());
  EXPECT_EQ(where.sheet, "choices");
  EXPECT_EQ(where.row, 8);
  EXPECT_EQ(where.column, "B");
  EXPECT_THAT(form.status().message(), HasSubstr("appears twice"));

  form = ConvertXlsForm(Xlsx({{"survey", Survey()},
                              {"choices", Choices()},
                              {"settings", Settings()},
                              {"entities", {{"dataset"}, {"households"}}}}),
                        {}, &where);
  ASSERT_FALSE(form.ok());
  EXPECT_EQ(where.sheet, "entities");

  form = ConvertXlsForm(Xlsx({{"choices", Choices()}}), {}, &where);
  EXPECT_THAT(form.status().message(), HasSubstr("no survey sheet"));
}

TEST(XlsFormTest, SpreadsheetQuirksAsPyxformReadsThem) {
  SheetRows s = Survey();
  // Curly quotes typed by a spreadsheet, a no-break space, spaces in the type, upper-case
  // headers and "label:lang" with one colon.
  s.push_back(Q({{"type", "text"},
                 {"name", "nickname"},
                 {"label::English (en)", "Nickname"},
                 {"relevant", "${governorate} = \u201cninewa\u201d"}}));
  s.push_back(
      Q({{"type", "select_one   sex"}, {"name", "head_sex"}, {"label::English (en)", "Sex"}}));
  s[0][0] = "TYPE";
  s[0][2] = "Label:English (en)";
  auto form = Convert(s);
  ASSERT_TRUE(form.ok()) << form.status();
  EXPECT_EQ(form->FindField("nickname")->labels.at("English (en)"), "Nickname");
  EXPECT_EQ(form->FindField("head_sex")->choice_list, "sex");
}

TEST(XlsFormTest, UninterpretedColumnsAreKeptNotDropped) {
  SheetRows s = Survey();
  s[0].push_back("media::image::English (en)");
  s[0].push_back("parameters");
  s[0].push_back("bind::odk:length");
  std::vector<std::string> row =
      Q({{"type", "text"}, {"name", "photo_note"}, {"label::English (en)", "P"}});
  row.push_back("house.jpg");
  row.push_back("rows=3");
  row.push_back("10");
  s.push_back(row);
  auto form = Convert(s);
  ASSERT_TRUE(form.ok()) << form.status();
  const FieldDef* f = form->FindField("photo_note");
  EXPECT_EQ(f->extra.at("media::image::English (en)"), "house.jpg");
  EXPECT_EQ(f->extra.at("parameters"), "rows=3");
  EXPECT_EQ(f->extra.at("bind::odk:length"), "10");
  ASSERT_EQ(form->media.size(), 1u);
  EXPECT_EQ(form->media[0].media_type, "image/jpeg");
}

TEST(XlsFormTest, FieldsyncSettingsGiveScopesPolicyAndAggregations) {
  SheetRows settings = Settings();
  settings[0].insert(settings[0].end(),
                     {"fieldsync_scope_fields", "fieldsync_edit_policy", "fieldsync_aggregations"});
  settings[1].insert(settings[1].end(),
                     {"governorate", "mutable",
                      "households: group_by governorate district; time started week; count "
                      "households; sum people hh_size\nby_gov: group_by governorate; count n"});
  auto form = ConvertXlsForm(
      Xlsx({{"survey", Survey()}, {"choices", Choices()}, {"settings", settings}}), {});
  ASSERT_TRUE(form.ok()) << form.status();
  EXPECT_THAT(form->scope_fields, ElementsAre("governorate"));
  ASSERT_EQ(form->aggregations.size(), 2u);
  const AggregationDef& a = form->aggregations[0];
  EXPECT_EQ(a.name, "households");
  EXPECT_THAT(a.group_by, ElementsAre("governorate", "district"));
  EXPECT_EQ(a.time_field, "started");
  EXPECT_EQ(a.bucket, TimeBucket::kWeek);
  ASSERT_EQ(a.measures.size(), 2u);
  EXPECT_EQ(a.measures[1].kind, Measure::Kind::kSum);
  EXPECT_EQ(a.measures[1].field, "hh_size");

  CellRef where;
  settings[1][7] = "households: group_by nowhere";
  form = ConvertXlsForm(
      Xlsx({{"survey", Survey()}, {"choices", Choices()}, {"settings", settings}}), {}, &where);
  ASSERT_FALSE(form.ok());
  EXPECT_EQ(where.sheet, "settings");
  EXPECT_EQ(where.column, "H");
  EXPECT_THAT(form.status().message(), HasSubstr("nowhere"));
  // A scope field inside a repeat is refused as PublishForm would.
  settings[1][7] = "";
  settings[1][5] = "age";
  form = ConvertXlsForm(
      Xlsx({{"survey", Survey()}, {"choices", Choices()}, {"settings", settings}}), {}, &where);
  ASSERT_FALSE(form.ok());
  EXPECT_THAT(form.status().message(), HasSubstr("repeat"));
}

// ---- Bounds ----------------------------------------------------------------------------

TEST(XlsFormTest, NotAWorkbook) {
  EXPECT_EQ(ConvertXlsForm("not a zip at all", {}).status().code(),
            absl::StatusCode::kInvalidArgument);
  EXPECT_EQ(ConvertXlsForm(testing::Zip({{"hello.txt", "hi"}}), {}).status().code(),
            absl::StatusCode::kInvalidArgument);
  EXPECT_EQ(ConvertXlsForm(testing::Zip({{"xl/workbook.xml", "<workbook"}}), {}).status().code(),
            absl::StatusCode::kInvalidArgument);
}

TEST(XlsFormTest, FileSizeBound) {
  const std::string bytes =
      Xlsx({{"survey", Survey()}, {"choices", Choices()}, {"settings", Settings()}});
  XlsFormOptions options;
  options.xlsx.max_file_bytes = bytes.size() - 1;
  auto form = ConvertXlsForm(bytes, options);
  EXPECT_EQ(form.status().code(), absl::StatusCode::kResourceExhausted);
  options.xlsx.max_file_bytes = bytes.size();
  EXPECT_TRUE(ConvertXlsForm(bytes, options).ok());
}

TEST(XlsFormTest, ZipBombStopsAtTheInflatedBound) {
  // 8 MiB of one byte deflates to a few KiB; the reader stops at 1 MiB however large the
  // entry says it is.
  const std::string bomb(8 << 20, 'A');
  const std::string bytes = testing::Zip({{"xl/workbook.xml", bomb}});
  ASSERT_LT(bytes.size(), 100u << 10);
  XlsFormOptions options;
  options.xlsx.max_part_bytes = 1 << 20;
  auto form = ConvertXlsForm(bytes, options);
  EXPECT_EQ(form.status().code(), absl::StatusCode::kResourceExhausted);
  EXPECT_THAT(form.status().message(), HasSubstr("inflates past"));
  // The total over all parts is bounded too.
  options.xlsx.max_part_bytes = 64 << 20;
  options.xlsx.max_total_bytes = 1 << 20;
  EXPECT_EQ(ConvertXlsForm(bytes, options).status().code(), absl::StatusCode::kResourceExhausted);
}

TEST(XlsFormTest, ZipEntryCountBound) {
  std::vector<std::pair<std::string, std::string>> entries;
  for (int i = 0; i < 30; ++i) entries.emplace_back("junk/" + std::to_string(i), "x");
  XlsFormOptions options;
  options.xlsx.max_zip_entries = 20;
  auto form = ConvertXlsForm(testing::Zip(entries), options);
  EXPECT_EQ(form.status().code(), absl::StatusCode::kResourceExhausted);
  EXPECT_THAT(form.status().message(), HasSubstr("entries"));
}

TEST(XlsFormTest, RowColumnCellAndExpressionBounds) {
  const std::string bytes =
      Xlsx({{"survey", Survey()}, {"choices", Choices()}, {"settings", Settings()}});
  XlsFormOptions options;
  options.xlsx.max_rows = 5;
  auto form = ConvertXlsForm(bytes, options);
  EXPECT_EQ(form.status().code(), absl::StatusCode::kResourceExhausted);
  EXPECT_THAT(form.status().message(), HasSubstr("rows"));

  options = XlsFormOptions{};
  options.xlsx.max_columns = 10;
  form = ConvertXlsForm(bytes, options);
  EXPECT_EQ(form.status().code(), absl::StatusCode::kResourceExhausted);
  EXPECT_THAT(form.status().message(), HasSubstr("column"));

  options = XlsFormOptions{};
  options.xlsx.max_cell_bytes = 16;
  form = ConvertXlsForm(bytes, options);
  EXPECT_EQ(form.status().code(), absl::StatusCode::kResourceExhausted);

  // An expression longer than the expression bound fails at its cell: the district's
  // choice_filter (row 4, column O) is the first one past 12 bytes.
  options = XlsFormOptions{};
  options.expressions.max_text_bytes = 12;
  CellRef where;
  form = ConvertXlsForm(bytes, options, &where);
  ASSERT_FALSE(form.ok());
  EXPECT_EQ(where.sheet, "survey");
  EXPECT_EQ(where.row, 4);
  EXPECT_EQ(where.column, "O");
}

}  // namespace
}  // namespace fieldsync::xlsform
