// The settings and choices sheets, and the form's languages.
#include <algorithm>
#include <cstdlib>

#include "absl/strings/ascii.h"
#include "absl/strings/numbers.h"
#include "absl/strings/str_cat.h"
#include "absl/strings/str_split.h"
#include "absl/strings/strip.h"
#include "server/common/status.h"
#include "server/xlsform/converter.h"

namespace fieldsync::xlsform {
namespace {

bool IsYes(const std::string& v) {
  const std::string l = absl::AsciiStrToLower(v);
  return l == "yes" || l == "true" || l == "true()" || l == "1";
}

std::vector<std::string> Words(const std::string& v) {
  return absl::StrSplit(v, absl::ByAnyChar(" ,\t\n"), absl::SkipEmpty());
}

}  // namespace

absl::Status Converter::ReadSettings(const Table& t) {
  if (t.rows().empty()) return absl::OkStatus();
  const Row& row = *t.rows()[0];
  settings_row_ = row.number;
  for (const Column& c : t.columns()) {
    const std::string v = CellText(row, c.index);
    if (v.empty()) continue;
    if (!c.known) {
      form_.settings[c.header] = v;  // kept for clients (public_key, style, ...)
      continue;
    }
    if (c.key == "form_title") {
      form_.title = v;
    } else if (c.key == "form_id") {
      if (options_.form_id.empty()) form_.form_id = v;
    } else if (c.key == "version") {
      if (options_.version != 0) continue;
      uint32_t version = 0;
      if (!absl::SimpleAtoi(v, &version) || version == 0) {
        return Fail(t, row.number, &c,
                    absl::StrCat("version \"", v,
                                 "\" must be a whole number from 1 to 4294967295 (e.g. "
                                 "2024060101)"));
      }
      form_.version = version;
    } else if (c.key == "default_language") {
      default_language_ = v;
    } else if (c.key == "instance_name") {
      form_.instance_name = v;
    } else if (c.key == "allow_choice_duplicates") {
      allow_choice_duplicates_ = IsYes(v);
    }
  }
  return absl::OkStatus();
}

absl::Status Converter::ReadFieldsyncSettings(const Table& t, const Row& row) {
  for (const Column& c : t.columns()) {
    const std::string v = CellText(row, c.index);
    if (v.empty() || !c.known) continue;
    if (c.key == "fieldsync_scope_fields") {
      for (const auto& name : Words(v)) {
        if (form_.FindField(name) == nullptr) {
          return Fail(t, row.number, &c,
                      absl::StrCat("scope field \"", name, "\" is not a field of the survey"));
        }
        form_.scope_fields.push_back(name);
      }
    } else if (c.key == "fieldsync_edit_policy") {
      const std::string p = absl::AsciiStrToLower(v);
      if (p == "mutable") {
        form_.edit_policy = EditPolicy::kMutable;
      } else if (p == "append_only") {
        form_.edit_policy = EditPolicy::kAppendOnly;
      } else {
        return Fail(t, row.number, &c, "must be mutable or append_only");
      }
    } else if (c.key == "fieldsync_conflict_policy") {
      const std::string p = absl::AsciiStrToLower(v);
      if (p == "last_writer_wins") {
        form_.conflict_policy = ConflictPolicy::kLastWriterWins;
      } else if (p == "first_writer_wins") {
        form_.conflict_policy = ConflictPolicy::kFirstWriterWins;
      } else if (p == "manual") {
        form_.conflict_policy = ConflictPolicy::kManual;
      } else if (p == "role_priority") {
        form_.conflict_policy = ConflictPolicy::kRolePriority;
      } else {
        return Fail(t, row.number, &c,
                    "must be last_writer_wins, first_writer_wins, manual or role_priority");
      }
    } else if (c.key == "fieldsync_aggregations") {
      FS_RETURN_IF_ERROR(ReadAggregations(t, row, c));
    }
  }
  return absl::OkStatus();
}

// One aggregation per line: "NAME: group_by F...; time FIELD [day|week|month]; count M;
// sum M FIELD" (docs/XLSFORM.md).
absl::Status Converter::ReadAggregations(const Table& t, const Row& row, const Column& col) {
  for (absl::string_view line :
       absl::StrSplit(CellText(row, col.index), '\n', absl::SkipWhitespace())) {
    auto bad = [&](absl::string_view what) {
      return Fail(t, row.number, &col,
                  absl::StrCat("aggregation \"", absl::StripAsciiWhitespace(line), "\": ", what));
    };
    const size_t colon = line.find(':');
    if (colon == absl::string_view::npos) return bad("must start with its name and ':'");
    AggregationDef a;
    a.name = std::string(absl::StripAsciiWhitespace(line.substr(0, colon)));
    if (a.name.empty()) return bad("has no name");
    for (absl::string_view clause :
         absl::StrSplit(line.substr(colon + 1), ';', absl::SkipWhitespace())) {
      std::vector<std::string> w = Words(std::string(clause));
      const std::string verb = absl::AsciiStrToLower(w[0]);
      auto field = [&](const std::string& name) -> absl::Status {
        if (form_.FindField(name) == nullptr) {
          return bad(absl::StrCat("\"", name, "\" is not a field of the survey"));
        }
        return absl::OkStatus();
      };
      if (verb == "group_by" && w.size() >= 2) {
        for (size_t i = 1; i < w.size(); ++i) {
          FS_RETURN_IF_ERROR(field(w[i]));
          a.group_by.push_back(w[i]);
        }
      } else if (verb == "time" && (w.size() == 2 || w.size() == 3)) {
        FS_RETURN_IF_ERROR(field(w[1]));
        a.time_field = w[1];
        const std::string b = w.size() == 3 ? absl::AsciiStrToLower(w[2]) : "day";
        if (b == "day") {
          a.bucket = TimeBucket::kDay;
        } else if (b == "week") {
          a.bucket = TimeBucket::kWeek;
        } else if (b == "month") {
          a.bucket = TimeBucket::kMonth;
        } else {
          return bad(absl::StrCat("time bucket \"", w[2], "\" must be day, week or month"));
        }
      } else if (verb == "count" && w.size() == 2) {
        a.measures.push_back(Measure{w[1], Measure::Kind::kCount, ""});
      } else if (verb == "sum" && w.size() == 3) {
        FS_RETURN_IF_ERROR(field(w[2]));
        a.measures.push_back(Measure{w[1], Measure::Kind::kSum, w[2]});
      } else {
        return bad(absl::StrCat("cannot read \"", absl::StripAsciiWhitespace(clause),
                                "\" (group_by F..., time F [day|week|month], count NAME, "
                                "sum NAME F)"));
      }
    }
    form_.aggregations.push_back(std::move(a));
  }
  return absl::OkStatus();
}

void Converter::SetLanguages(const std::vector<const Table*>& tables) {
  std::vector<std::string> named;
  bool plain = false;
  for (const Table* t : tables) {
    if (t == nullptr) continue;
    for (const auto& l : t->Languages()) {
      if (std::find(named.begin(), named.end(), l) == named.end()) named.push_back(l);
    }
    plain = plain || t->HasPlainTranslatable();
  }
  std::vector<std::string> languages;
  if (!default_language_.empty()) {
    languages.push_back(default_language_);
  } else if (!named.empty()) {
    // As pyxform: text without a language is in the language "default".
    default_language_ = plain ? "default" : named[0];
    languages.push_back(default_language_);
  }
  for (const auto& l : named) {
    if (std::find(languages.begin(), languages.end(), l) == languages.end()) languages.push_back(l);
  }
  languages_ = !languages.empty();
  if (languages_ && (named.size() > 0 || !default_language_.empty())) {
    form_.languages = languages;
    form_.default_language = default_language_;
  }
}

absl::Status Converter::ReadChoices(const Table& t) {
  const Column* list_col = t.Find("list_name");
  const Column* name_col = t.Find("name");
  if (!t.rows().empty() && (list_col == nullptr || name_col == nullptr)) {
    return Fail(t, t.header_row(), nullptr,
                "the choices sheet needs the columns list_name and name");
  }
  for (const Row* row : t.rows()) {
    const std::string list = CellText(*row, list_col->index);
    const std::string name = CellText(*row, name_col->index);
    if (list.empty() && name.empty()) continue;
    if (list.empty()) return Fail(t, row->number, list_col, "a choice without a list name");
    if (name.empty()) {
      return Fail(t, row->number, name_col,
                  absl::StrCat("a choice of list \"", list, "\" has no name"));
    }
    ChoiceList* l = nullptr;
    for (auto& x : form_.choice_lists) {
      if (x.name == list) l = &x;
    }
    if (l == nullptr) {
      form_.choice_lists.push_back(ChoiceList{list, {}});
      l = &form_.choice_lists.back();
      list_rows_[list] = row->number;
    }
    if (!allow_choice_duplicates_ && std::any_of(l->choices.begin(), l->choices.end(),
                                                 [&](const Choice& c) { return c.name == name; })) {
      return Fail(t, row->number, name_col,
                  absl::StrCat("choice \"", name, "\" appears twice in list \"", list,
                               "\" (set allow_choice_duplicates to yes in settings to allow it)"));
    }
    Choice c;
    c.name = name;
    Texts(t, *row, "label", &c.label, &c.labels);
    c.properties = Extra(t, *row);
    l->choices.push_back(std::move(c));
  }
  return absl::OkStatus();
}

}  // namespace fieldsync::xlsform
