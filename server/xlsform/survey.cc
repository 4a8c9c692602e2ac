// The survey sheet: questions, groups and repeats.
#include <algorithm>

#include "absl/container/flat_hash_set.h"
#include "absl/strings/ascii.h"
#include "absl/strings/match.h"
#include "absl/strings/str_cat.h"
#include "absl/strings/str_join.h"
#include "absl/strings/str_split.h"
#include "server/common/status.h"
#include "server/xlsform/converter.h"

namespace fieldsync::xlsform {
namespace {

struct QuestionType {
  FieldType type;
  const char* canonical;
  bool metadata;  // filled by the device; no label needed
};

// The question types fieldsync supports, by every name pyxform accepts for them.
const QuestionType* FindType(const std::string& t) {
  static const auto* types = new std::map<std::string, QuestionType>{
      {"text", {FieldType::kString, "text", false}},
      {"string", {FieldType::kString, "text", false}},
      {"integer", {FieldType::kInt, "integer", false}},
      {"int", {FieldType::kInt, "integer", false}},
      {"decimal", {FieldType::kDecimal, "decimal", false}},
      {"date", {FieldType::kDate, "date", false}},
      {"datetime", {FieldType::kDatetime, "datetime", false}},
      {"time", {FieldType::kString, "time", false}},
      {"geopoint", {FieldType::kGeopoint, "geopoint", false}},
      {"gps", {FieldType::kGeopoint, "geopoint", false}},
      {"location", {FieldType::kGeopoint, "geopoint", false}},
      {"geotrace", {FieldType::kString, "geotrace", false}},
      {"geoshape", {FieldType::kString, "geoshape", false}},
      {"image", {FieldType::kAttachment, "image", false}},
      {"photo", {FieldType::kAttachment, "image", false}},
      {"audio", {FieldType::kAttachment, "audio", false}},
      {"video", {FieldType::kAttachment, "video", false}},
      {"file", {FieldType::kAttachment, "file", false}},
      {"barcode", {FieldType::kString, "barcode", false}},
      {"note", {FieldType::kString, "note", false}},
      {"calculate", {FieldType::kString, "calculate", true}},
      {"acknowledge", {FieldType::kString, "acknowledge", false}},
      {"trigger", {FieldType::kString, "acknowledge", false}},
      {"start", {FieldType::kDatetime, "start", true}},
      {"end", {FieldType::kDatetime, "end", true}},
      {"today", {FieldType::kDate, "today", true}},
      {"deviceid", {FieldType::kString, "deviceid", true}},
      {"imei", {FieldType::kString, "deviceid", true}},
      {"uri:deviceid", {FieldType::kString, "deviceid", true}},
      {"simserial", {FieldType::kString, "simserial", true}},
      {"phonenumber", {FieldType::kString, "phonenumber", true}},
      {"subscriberid", {FieldType::kString, "subscriberid", true}},
      {"username", {FieldType::kString, "username", true}},
      {"email", {FieldType::kString, "email", true}},
  };
  auto it = types->find(t);
  return it == types->end() ? nullptr : &it->second;
}

bool IsYes(const std::string& v) {
  const std::string l = absl::AsciiStrToLower(v);
  return l == "yes" || l == "true" || l == "true()" || l == "1";
}
bool IsNo(const std::string& v) {
  const std::string l = absl::AsciiStrToLower(v);
  return l.empty() || l == "no" || l == "false" || l == "false()" || l == "0";
}

bool IsNameStart(char c) { return (c >= 'A' && c <= 'Z') || (c >= 'a' && c <= 'z') || c == '_'; }
bool IsNameChar(char c) { return IsNameStart(c) || (c >= '0' && c <= '9') || c == '-' || c == '.'; }

// Media files a form names by extension.
std::string MediaType(const std::string& file) {
  const std::string l = absl::AsciiStrToLower(file);
  for (const auto& [ext, type] :
       std::vector<std::pair<std::string, std::string>>{{".csv", "text/csv"},
                                                        {".jpg", "image/jpeg"},
                                                        {".jpeg", "image/jpeg"},
                                                        {".png", "image/png"},
                                                        {".gif", "image/gif"},
                                                        {".wav", "audio/wav"},
                                                        {".mp3", "audio/mpeg"},
                                                        {".ogg", "audio/ogg"},
                                                        {".mp4", "video/mp4"},
                                                        {".mov", "video/quicktime"},
                                                        {".xml", "application/xml"},
                                                        {".geojson", "application/geo+json"}}) {
    if (absl::EndsWith(l, ext)) return type;
  }
  return "application/octet-stream";
}

// Columns whose meaning the converter applies (everything else is kept in `extra`).
bool Interpreted(const std::string& key) {
  static const auto* keys =
      new absl::flat_hash_set<std::string>{"type",        "name",          "label",
                                           "hint",        "required",      "required_message",
                                           "relevant",    "constraint",    "constraint_message",
                                           "calculation", "default",       "read_only",
                                           "appearance",  "choice_filter", "repeat_count",
                                           "pii",         "list_name",     "trigger"};
  return keys->contains(key);
}

}  // namespace

std::string Converter::Get(const Table& t, const Row& row, const std::string& key) const {
  const Column* c = t.Find(key);
  return c == nullptr ? "" : CellText(row, c->index);
}

void Converter::Texts(const Table& t, const Row& row, const std::string& key, std::string* text,
                      Translations* texts) const {
  text->clear();
  texts->clear();
  for (const Column& c : t.columns()) {
    if (!c.known || c.key != key) continue;
    std::string v = CellText(row, c.index);
    if (v.empty()) continue;
    if (!languages_) {
      *text = v;
      continue;
    }
    (*texts)[c.language.empty() ? default_language_ : c.language] = v;
  }
  if (!languages_) return;
  auto it = texts->find(default_language_);
  if (it != texts->end()) {
    *text = it->second;
    return;
  }
  // No text in the default language: `text` (what v1 clients show) is the first there is.
  for (const auto& l : form_.languages) {
    auto t2 = texts->find(l);
    if (t2 != texts->end()) {
      *text = t2->second;
      return;
    }
  }
}

std::map<std::string, std::string> Converter::Extra(const Table& t, const Row& row) {
  std::map<std::string, std::string> out;
  for (const Column& c : t.columns()) {
    if (c.known && Interpreted(c.key)) continue;
    std::string v = CellText(row, c.index);
    if (v.empty()) continue;
    if (c.known && absl::StartsWith(c.key, "media::")) {
      if (std::none_of(form_.media.begin(), form_.media.end(),
                       [&](const MediaFile& m) { return m.name == v; })) {
        form_.media.push_back(MediaFile{v, MediaType(v), "", 0});
      }
    }
    std::string key = c.known ? c.key : c.header;
    if (c.known && !c.language.empty()) absl::StrAppend(&key, "::", c.language);
    out[key] = std::move(v);
  }
  return out;
}

absl::Status Converter::CheckName(const Table& t, const Row& row, const std::string& name) {
  const Column* col = t.Find("name");
  if (name.empty()) return Fail(t, row.number, col ? col : t.Find("type"), "has no name");
  if (name.size() > 64 || !IsNameStart(name[0]) ||
      !std::all_of(name.begin() + 1, name.end(), IsNameChar)) {
    return Fail(t, row.number, col,
                absl::StrCat("name \"", name,
                             "\" must start with a letter or '_' and hold only letters, digits, "
                             "'_', '-' and '.' (at most 64)"));
  }
  if (name == form_.form_id) {
    return Fail(t, row.number, col, absl::StrCat("name \"", name, "\" is the form's id"));
  }
  auto [it, fresh] = item_rows_.emplace(name, row.number);
  if (!fresh) {
    return Fail(t, row.number, col,
                absl::StrCat("name \"", name, "\" is already used in row ", it->second,
                             "; names must be unique in the form"));
  }
  return absl::OkStatus();
}

absl::Status Converter::ReadSurvey(const Table& t) {
  const Column* type_col = t.Find("type");
  if (type_col == nullptr) return Fail(t, t.header_row(), nullptr, "has no type column");
  for (const Row* row : t.rows()) {
    // Spaces collapse, as pyxform reads types ("select_one  yes_no").
    std::string type =
        absl::StrJoin(absl::StrSplit(CellText(*row, type_col->index), ' ', absl::SkipEmpty()), " ");
    const std::string lower = absl::AsciiStrToLower(type);
    if (type.empty()) {
      if (!Get(t, *row, "name").empty()) {
        return Fail(t, row->number, type_col, "a row with a name has no type");
      }
      continue;  // pyxform skips rows without a type
    }
    if (lower == "begin group" || lower == "begin_group") {
      FS_RETURN_IF_ERROR(ReadGroupBegin(t, *row, false));
    } else if (lower == "begin repeat" || lower == "begin_repeat") {
      FS_RETURN_IF_ERROR(ReadGroupBegin(t, *row, true));
    } else if (lower == "end group" || lower == "end_group") {
      FS_RETURN_IF_ERROR(ReadGroupEnd(t, *row, false));
    } else if (lower == "end repeat" || lower == "end_repeat") {
      FS_RETURN_IF_ERROR(ReadGroupEnd(t, *row, true));
    } else {
      FS_RETURN_IF_ERROR(ReadQuestion(t, *row, type));
    }
  }
  if (!open_.empty()) {
    return Fail(t, open_.back().row, type_col,
                absl::StrCat(open_.back().repeat ? "repeat \"" : "group \"", open_.back().name,
                             "\" is never ended"));
  }
  return absl::OkStatus();
}

absl::Status Converter::ReadGroupBegin(const Table& t, const Row& row, bool repeat) {
  GroupDef g;
  g.name = Get(t, row, "name");
  FS_RETURN_IF_ERROR(CheckName(t, row, g.name));
  g.repeat = repeat;
  g.parent = open_.empty() ? "" : open_.back().name;
  Texts(t, row, "label", &g.label, &g.labels);
  g.relevant = Get(t, row, "relevant");
  g.appearance = Get(t, row, "appearance");
  g.repeat_count = Get(t, row, "repeat_count");
  if (!repeat && !g.repeat_count.empty()) {
    return FailAt(t, row.number, "repeat_count", "repeat_count is only for repeats");
  }
  for (const char* key : {"constraint", "calculation", "required", "default", "choice_filter"}) {
    if (!Get(t, row, key).empty()) {
      return FailAt(t, row.number, key,
                    absl::StrCat("a ", repeat ? "repeat" : "group", " cannot have a ", key));
    }
  }
  g.extra = Extra(t, row);
  open_.push_back(Open{g.name, repeat, row.number});
  form_.groups.push_back(std::move(g));
  return absl::OkStatus();
}

absl::Status Converter::ReadGroupEnd(const Table& t, const Row& row, bool repeat) {
  const char* kind = repeat ? "repeat" : "group";
  if (open_.empty() || open_.back().repeat != repeat) {
    return Fail(
        t, row.number, t.Find("type"),
        absl::StrCat(
            "end ", kind, " without a matching begin ", kind,
            open_.empty() ? "" : absl::StrCat(" (\"", open_.back().name, "\" is still open)")));
  }
  // pyxform ignores the name of an end row (its own test forms carry mismatched ones).
  const std::string ended = open_.back().name;
  open_.pop_back();
  const bool empty = std::none_of(form_.fields.begin(), form_.fields.end(),
                                  [&](const FieldDef& f) { return f.group == ended; }) &&
                     std::none_of(form_.groups.begin(), form_.groups.end(),
                                  [&](const GroupDef& g) { return g.parent == ended; });
  if (empty) {
    return Fail(t, row.number, t.Find("type"),
                absl::StrCat(kind, " \"", ended, "\" holds no questions"));
  }
  return absl::OkStatus();
}

absl::Status Converter::ReadQuestion(const Table& t, const Row& row, const std::string& type) {
  const Column* type_col = t.Find("type");
  auto unsupported = [&](absl::string_view why) {
    return Fail(t, row.number, type_col, absl::StrCat("type \"", type, "\": ", why));
  };
  std::vector<std::string> words = absl::StrSplit(type, ' ');
  const std::string head = absl::AsciiStrToLower(words[0]);
  FieldDef f;
  f.name = Get(t, row, "name");
  // Selects: "select_one LIST", "select one LIST", "select one from LIST", "select all that
  // apply [from] LIST", "select_multiple LIST", "select_one_from_file FILE".
  std::string lower = absl::AsciiStrToLower(type);
  std::string list;
  bool select = false;
  for (const auto& [prefix, ftype] : std::vector<std::pair<std::string, FieldType>>{
           {"select_one_from_file ", FieldType::kSelectOne},
           {"select_multiple_from_file ", FieldType::kSelectMultiple},
           {"select one from ", FieldType::kSelectOne},
           {"select all that apply from ", FieldType::kSelectMultiple},
           {"select all that apply ", FieldType::kSelectMultiple},
           {"select_one ", FieldType::kSelectOne},
           {"select one ", FieldType::kSelectOne},
           {"select_multiple ", FieldType::kSelectMultiple},
           {"select multiple ", FieldType::kSelectMultiple}}) {
    if (absl::StartsWith(lower, prefix)) {
      select = true;
      f.type = ftype;
      list = type.substr(prefix.size());
      f.question_type = absl::StrContains(prefix, "from_file")
                            ? std::string(absl::StripSuffix(prefix, " "))
                        : ftype == FieldType::kSelectOne ? "select_one"
                                                         : "select_multiple";
      break;
    }
  }
  if (select) {
    const std::string ll = absl::AsciiStrToLower(list);
    if (absl::EndsWith(ll, " or_other") || absl::EndsWith(ll, " or specify other")) {
      return unsupported(
          "or_other is not supported: add an 'other' choice to the list and a text question "
          "with relevant selected(${name}, 'other')");
    }
    if (list.empty() || absl::StrContains(list, ' ')) {
      return unsupported("needs exactly one choice list (or file) name");
    }
    if (absl::EndsWith(f.question_type, "_from_file")) {
      if (!absl::EndsWith(ll, ".csv")) {
        return unsupported("only .csv choice files are supported (not .xml or .geojson)");
      }
      f.choice_file = list;
      if (std::none_of(form_.media.begin(), form_.media.end(),
                       [&](const MediaFile& m) { return m.name == list; })) {
        form_.media.push_back(MediaFile{list, "text/csv", "", 0});
      }
    } else {
      if (form_.FindChoiceList(list) == nullptr) {
        return unsupported(absl::StrCat("list name \"", list, "\" is not in the choices sheet"));
      }
      f.choice_list = list;
    }
  } else if (absl::StartsWith(lower, "begin ")) {
    return unsupported("only begin group and begin repeat are supported (a loop is not)");
  } else {
    const QuestionType* qt = FindType(lower);
    if (qt == nullptr) {
      if (absl::StartsWith(lower, "select_one_external") || lower == "osm" ||
          absl::StartsWith(lower, "osm ") || lower == "rank" || absl::StartsWith(lower, "rank ") ||
          lower == "range" || lower == "hidden" || lower == "xml-external" ||
          lower == "csv-external" || lower == "audit" || lower == "background-audio" ||
          lower == "start-geopoint" || lower == "phone number") {
        return unsupported("this question type is not supported by fieldsync");
      }
      return unsupported("unknown question type");
    }
    f.type = qt->type;
    f.question_type = qt->canonical;
  }
  FS_RETURN_IF_ERROR(CheckName(t, row, f.name));
  f.group = open_.empty() ? "" : open_.back().name;
  Texts(t, row, "label", &f.label, &f.labels);
  Texts(t, row, "hint", &f.hint, &f.hints);
  Texts(t, row, "constraint_message", &f.constraint_message, &f.constraint_messages);
  Texts(t, row, "required_message", &f.required_message, &f.required_messages);
  f.relevant = Get(t, row, "relevant");
  f.constraint = Get(t, row, "constraint");
  f.calculate = Get(t, row, "calculation");
  f.default_value = Get(t, row, "default");
  f.appearance = Get(t, row, "appearance");
  f.choice_filter = Get(t, row, "choice_filter");
  if (!Get(t, row, "trigger").empty()) {
    return FailAt(t, row.number, "trigger", "the trigger column is not supported");
  }
  if (!Get(t, row, "repeat_count").empty()) {
    return FailAt(t, row.number, "repeat_count", "repeat_count is only for repeats");
  }
  if (!f.choice_filter.empty() && f.choice_list.empty()) {
    return FailAt(t, row.number, "choice_filter", "choice_filter is only for selects from a list");
  }
  const std::string required = Get(t, row, "required");
  if (IsYes(required)) {
    f.required = true;
  } else if (!IsNo(required)) {
    f.required_if = required;
  }
  const std::string read_only = Get(t, row, "read_only");
  if (IsYes(read_only)) {
    f.read_only = true;
  } else if (!IsNo(read_only)) {
    return FailAt(t, row.number, "read_only",
                  "read_only must be yes or no (a condition is not supported)");
  }
  const std::string pii = Get(t, row, "pii");
  if (IsYes(pii)) {
    f.pii = true;
  } else if (!IsNo(pii)) {
    return FailAt(t, row.number, "pii", "pii must be yes or no");
  }
  if (f.question_type == "note") f.read_only = true;
  if (f.question_type == "calculate" && f.calculate.empty()) {
    return Fail(t, row.number, t.Find("calculation") ? t.Find("calculation") : type_col,
                "a calculate needs a calculation");
  }
  f.extra = Extra(t, row);
  const bool has_media = std::any_of(f.extra.begin(), f.extra.end(), [](const auto& kv) {
    return absl::StartsWith(kv.first, "media::");
  });
  const QuestionType* qt = FindType(lower);
  const bool metadata = qt != nullptr && qt->metadata;
  if (!metadata && f.label.empty() && f.hint.empty() && !has_media &&
      f.appearance.find("label") == std::string::npos) {
    return Fail(t, row.number, t.Find("label") ? t.Find("label") : t.Find("name"),
                absl::StrCat("question \"", f.name, "\" has no label"));
  }
  form_.fields.push_back(std::move(f));
  return absl::OkStatus();
}

}  // namespace fieldsync::xlsform
