#include "server/xlsform/table.h"

#include <algorithm>

#include "absl/container/flat_hash_map.h"
#include "absl/strings/ascii.h"
#include "absl/strings/match.h"
#include "absl/strings/str_replace.h"
#include "absl/strings/strip.h"

namespace fieldsync::xlsform {
namespace {

// pyxform's header aliases (pyxform/aliases.py), to our canonical keys.
const absl::flat_hash_map<std::string, std::string>& SurveyAliases() {
  static const auto* m = new absl::flat_hash_map<std::string, std::string>{
      {"type", "type"},
      {"command", "type"},
      {"name", "name"},
      {"value", "name"},
      {"tag", "name"},
      {"label", "label"},
      {"caption", "label"},
      {"hint", "hint"},
      {"guidance_hint", "guidance_hint"},
      {"required", "required"},
      {"required_message", "required_message"},
      {"required message", "required_message"},
      {"requiredmsg", "required_message"},
      {"jr:requiredmsg", "required_message"},
      {"relevant", "relevant"},
      {"relevance", "relevant"},
      {"constraint", "constraint"},
      {"constraint_message", "constraint_message"},
      {"constraint message", "constraint_message"},
      {"constraining message", "constraint_message"},
      {"constraintmsg", "constraint_message"},
      {"jr:constraintmsg", "constraint_message"},
      {"calculation", "calculation"},
      {"calculate", "calculation"},
      {"default", "default"},
      {"read_only", "read_only"},
      {"readonly", "read_only"},
      {"appearance", "appearance"},
      {"choice_filter", "choice_filter"},
      {"repeat_count", "repeat_count"},
      {"count", "repeat_count"},
      {"jr:count", "repeat_count"},
      {"parameters", "parameters"},
      {"image", "media::image"},
      {"big-image", "media::big-image"},
      {"audio", "media::audio"},
      {"video", "media::video"},
      {"media::image", "media::image"},
      {"media::big-image", "media::big-image"},
      {"media::audio", "media::audio"},
      {"media::video", "media::video"},
      {"trigger", "trigger"},
      {"pii", "pii"},
  };
  return *m;
}

const absl::flat_hash_map<std::string, std::string>& ChoicesAliases() {
  static const auto* m = new absl::flat_hash_map<std::string, std::string>{
      {"list_name", "list_name"},
      {"list name", "list_name"},
      {"name", "name"},
      {"value", "name"},
      {"label", "label"},
      {"image", "media::image"},
      {"big-image", "media::big-image"},
      {"audio", "media::audio"},
      {"video", "media::video"},
      {"media::image", "media::image"},
      {"media::big-image", "media::big-image"},
      {"media::audio", "media::audio"},
      {"media::video", "media::video"},
  };
  return *m;
}

const absl::flat_hash_map<std::string, std::string>& SettingsAliases() {
  static const auto* m = new absl::flat_hash_map<std::string, std::string>{
      {"form_title", "form_title"},
      {"title", "form_title"},
      {"form_id", "form_id"},
      {"id_string", "form_id"},
      {"version", "version"},
      {"default_language", "default_language"},
      {"instance_name", "instance_name"},
      {"allow_choice_duplicates", "allow_choice_duplicates"},
      {"fieldsync_scope_fields", "fieldsync_scope_fields"},
      {"fieldsync_edit_policy", "fieldsync_edit_policy"},
      {"fieldsync_conflict_policy", "fieldsync_conflict_policy"},
      {"fieldsync_aggregations", "fieldsync_aggregations"},
  };
  return *m;
}

// Splits "label::Arabic (ar)" (or the older "label:english") into its key and language,
// for keys that have languages.
Column ParseHeader(int index, const std::string& header, SheetKind kind) {
  const auto& aliases = kind == SheetKind::kSurvey    ? SurveyAliases()
                        : kind == SheetKind::kChoices ? ChoicesAliases()
                                                      : SettingsAliases();
  Column c;
  c.index = index;
  c.header = header;
  c.key = header;
  // The language is case-sensitive (it names itext translations); the key is not.
  std::string lower = absl::AsciiStrToLower(header);
  auto it = aliases.find(lower);
  if (it != aliases.end()) {
    c.key = it->second;
    c.known = true;
    return c;
  }
  if (kind == SheetKind::kSettings) return c;
  // The longest known translatable prefix followed by "::" or ":".
  for (size_t cut = lower.rfind(':'); cut != std::string::npos && cut > 0;
       cut = cut == 0 ? std::string::npos : lower.rfind(':', cut - 1)) {
    size_t key_end = cut;
    if (key_end > 0 && lower[key_end - 1] == ':') --key_end;
    auto base = aliases.find(lower.substr(0, key_end));
    if (base != aliases.end() && Translatable(base->second)) {
      c.key = base->second;
      c.language = std::string(absl::StripAsciiWhitespace(header.substr(cut + 1)));
      c.known = !c.language.empty();
      if (!c.known) c.key = header;
      return c;
    }
  }
  return c;
}

}  // namespace

bool Translatable(const std::string& key) {
  return key == "label" || key == "hint" || key == "guidance_hint" || key == "constraint_message" ||
         key == "required_message" || absl::StartsWith(key, "media::");
}

std::string CellText(const Row& row, int column) {
  for (const Cell& c : row.cells) {
    if (c.column == column) return std::string(absl::StripAsciiWhitespace(c.text));
  }
  return "";
}

Table::Table(const Sheet& sheet, SheetKind kind) : name_(sheet.name) {
  if (sheet.rows.empty()) return;
  const Row& header = sheet.rows[0];
  header_row_ = header.number;
  for (const Cell& cell : header.cells) {
    std::string text(absl::StripAsciiWhitespace(cell.text));
    if (text.empty()) continue;
    columns_.push_back(ParseHeader(cell.column, text, kind));
  }
  for (size_t i = 1; i < sheet.rows.size(); ++i) rows_.push_back(&sheet.rows[i]);
}

const Column* Table::Find(const std::string& key) const {
  for (const Column& c : columns_) {
    if (c.known && c.key == key && c.language.empty()) return &c;
  }
  return nullptr;
}

std::vector<std::string> Table::Languages() const {
  std::vector<std::string> out;
  for (const Column& c : columns_) {
    if (c.known && !c.language.empty() &&
        std::find(out.begin(), out.end(), c.language) == out.end()) {
      out.push_back(c.language);
    }
  }
  return out;
}

bool Table::HasPlainTranslatable() const {
  return std::any_of(columns_.begin(), columns_.end(), [](const Column& c) {
    return c.known && c.language.empty() && Translatable(c.key);
  });
}

}  // namespace fieldsync::xlsform
