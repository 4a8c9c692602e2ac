#include "server/forms/form_structure.h"

#include <algorithm>
#include <vector>

#include "absl/container/flat_hash_map.h"
#include "absl/container/flat_hash_set.h"
#include "absl/strings/str_cat.h"
#include "server/common/status.h"

namespace fieldsync::forms_internal {
namespace {

bool IsNameStart(char c) { return (c >= 'A' && c <= 'Z') || (c >= 'a' && c <= 'z') || c == '_'; }
bool IsNameChar(char c) { return IsNameStart(c) || (c >= '0' && c <= '9') || c == '-' || c == '.'; }

// The checks of one form, with its context for messages.
class Checker {
 public:
  Checker(Form* form, const SchemaLimits& limits) : form_(*form), limits_(limits) {}

  absl::Status Run() {
    FS_RETURN_IF_ERROR(CheckLanguages());
    FS_RETURN_IF_ERROR(CheckMedia());
    FS_RETURN_IF_ERROR(CheckGroups());
    FS_RETURN_IF_ERROR(CheckChoiceLists());
    for (auto& f : form_.fields) FS_RETURN_IF_ERROR(CheckField(&f));
    FS_RETURN_IF_ERROR(Expression("instance_name", form_.instance_name));
    FS_RETURN_IF_ERROR(Extra("the form's settings", form_.settings));
    return CheckRootOnly();
  }

 private:
  absl::Status Invalid(absl::string_view what) const {
    return absl::InvalidArgumentError(
        absl::StrCat("form \"", form_.form_id, "\" version ", form_.version, ": ", what));
  }

  absl::Status Text(absl::string_view where, const std::string& text) const {
    if (text.size() > limits_.max_text_bytes) {
      return Invalid(absl::StrCat(where, " is ", text.size(), " bytes; at most ",
                                  limits_.max_text_bytes, " are allowed"));
    }
    return absl::OkStatus();
  }

  absl::Status Expression(absl::string_view where, const std::string& text) const {
    if (text.size() > limits_.max_expression_bytes) {
      return Invalid(absl::StrCat(where, " is an expression of ", text.size(), " bytes; at most ",
                                  limits_.max_expression_bytes, " are allowed"));
    }
    return absl::OkStatus();
  }

  absl::Status Texts(absl::string_view where, const Translations& texts) const {
    for (const auto& [lang, text] : texts) {
      if (!languages_.contains(lang)) {
        return Invalid(absl::StrCat(where, " has text in language \"", lang,
                                    "\", which is not among the form's languages"));
      }
      FS_RETURN_IF_ERROR(Text(absl::StrCat(where, " (", lang, ")"), text));
    }
    return absl::OkStatus();
  }

  absl::Status Extra(absl::string_view where, const std::map<std::string, std::string>& extra) {
    if (extra.size() > limits_.max_extra_columns) {
      return Invalid(absl::StrCat(where, " keeps ", extra.size(), " extra columns; at most ",
                                  limits_.max_extra_columns, " are allowed"));
    }
    for (const auto& [k, v] : extra) {
      FS_RETURN_IF_ERROR(Text(absl::StrCat(where, " column \"", k, "\""), v));
    }
    return absl::OkStatus();
  }

  absl::Status CheckLanguages() {
    if (form_.languages.size() > limits_.max_languages) {
      return Invalid(absl::StrCat("has ", form_.languages.size(), " languages; at most ",
                                  limits_.max_languages, " are allowed"));
    }
    for (const auto& l : form_.languages) {
      if (l.empty()) return Invalid("a language has an empty name");
      FS_RETURN_IF_ERROR(Text("a language name", l));
      if (!languages_.insert(l).second) {
        return Invalid(absl::StrCat("language \"", l, "\" is listed twice"));
      }
    }
    if (!form_.default_language.empty() && !languages_.contains(form_.default_language)) {
      return Invalid(absl::StrCat("default language \"", form_.default_language,
                                  "\" is not among the form's languages"));
    }
    return absl::OkStatus();
  }

  absl::Status CheckMedia() {
    if (form_.media.size() > limits_.max_media) {
      return Invalid(absl::StrCat("has ", form_.media.size(), " media files; at most ",
                                  limits_.max_media, " are allowed"));
    }
    for (const auto& m : form_.media) {
      if (m.name.empty() || m.name.find('/') != std::string::npos) {
        return Invalid(absl::StrCat("media file name \"", m.name,
                                    "\" must be a non-empty file name without '/'"));
      }
      FS_RETURN_IF_ERROR(Text("a media file name", m.name));
      if (!media_.insert(m.name).second) {
        return Invalid(absl::StrCat("media file \"", m.name, "\" is listed twice"));
      }
    }
    return absl::OkStatus();
  }

  absl::Status CheckGroups() {
    if (form_.groups.size() > limits_.max_groups) {
      return Invalid(absl::StrCat("has ", form_.groups.size(), " groups and repeats; at most ",
                                  limits_.max_groups, " are allowed"));
    }
    for (const auto& g : form_.groups) {
      const std::string where = absl::StrCat("group \"", g.name, "\"");
      if (!ValidItemName(g.name)) {
        return Invalid(
            absl::StrCat("group name \"", g.name, "\" must match [A-Za-z_][A-Za-z0-9_.-]{0,63}"));
      }
      if (!g.parent.empty() && !groups_.contains(g.parent)) {
        return Invalid(
            absl::StrCat(where, ": its parent \"", g.parent, "\" is not a group listed before it"));
      }
      if (!groups_.emplace(g.name, &g).second) {
        return Invalid(absl::StrCat("group \"", g.name, "\" is defined twice"));
      }
      if (!g.repeat && !g.repeat_count.empty()) {
        return Invalid(absl::StrCat(where, ": repeat_count is only for repeats"));
      }
      FS_RETURN_IF_ERROR(Text(where, g.label));
      FS_RETURN_IF_ERROR(Texts(where, g.labels));
      FS_RETURN_IF_ERROR(Text(absl::StrCat(where, " appearance"), g.appearance));
      FS_RETURN_IF_ERROR(Expression(absl::StrCat(where, " relevant"), g.relevant));
      FS_RETURN_IF_ERROR(Expression(absl::StrCat(where, " repeat_count"), g.repeat_count));
      FS_RETURN_IF_ERROR(Extra(where, g.extra));
    }
    for (const auto& f : form_.fields) {
      if (groups_.contains(f.name)) {
        return Invalid(absl::StrCat("\"", f.name, "\" names both a field and a group"));
      }
    }
    return absl::OkStatus();
  }

  absl::Status CheckChoiceLists() {
    size_t total = 0;
    for (const auto& l : form_.choice_lists) {
      const std::string where = absl::StrCat("choice list \"", l.name, "\"");
      if (l.name.empty()) return Invalid("a choice list has an empty name");
      FS_RETURN_IF_ERROR(Text("a choice list name", l.name));
      if (!lists_.emplace(l.name, &l).second) {
        return Invalid(absl::StrCat(where, " is defined twice"));
      }
      if (l.choices.empty()) return Invalid(absl::StrCat(where, " has no choices"));
      total += l.choices.size();
      if (total > limits_.max_list_choices) {
        return Invalid(absl::StrCat("the choice lists have more than ", limits_.max_list_choices,
                                    " choices together"));
      }
      for (const auto& c : l.choices) {
        if (c.name.empty()) return Invalid(absl::StrCat(where, " has a choice without a name"));
        const std::string cw = absl::StrCat(where, " choice \"", c.name, "\"");
        FS_RETURN_IF_ERROR(Text(cw, c.name));
        FS_RETURN_IF_ERROR(Text(cw, c.label));
        FS_RETURN_IF_ERROR(Texts(cw, c.labels));
        FS_RETURN_IF_ERROR(Extra(cw, c.properties));
      }
    }
    return absl::OkStatus();
  }

  absl::Status CheckField(FieldDef* f) {
    const std::string where = absl::StrCat("field \"", f->name, "\"");
    if (!f->group.empty() && !groups_.contains(f->group)) {
      return Invalid(absl::StrCat(where, ": its group \"", f->group, "\" does not exist"));
    }
    const bool select = f->type == FieldType::kSelectOne || f->type == FieldType::kSelectMultiple;
    if (!f->choice_list.empty()) {
      auto it = lists_.find(f->choice_list);
      if (it == lists_.end()) {
        return Invalid(
            absl::StrCat(where, ": choice list \"", f->choice_list, "\" does not exist"));
      }
      if (!select) return Invalid(absl::StrCat(where, ": only select fields have a choice list"));
      std::vector<std::string> names;
      absl::flat_hash_set<std::string> seen;
      for (const auto& c : it->second->choices) {
        if (seen.insert(c.name).second) names.push_back(c.name);
      }
      if (f->choices.empty()) {
        f->choices = std::move(names);
      } else if (f->choices != names) {
        return Invalid(
            absl::StrCat(where, ": its choices differ from choice list \"", f->choice_list, "\""));
      }
    }
    if (!f->choice_file.empty()) {
      if (!select) return Invalid(absl::StrCat(where, ": only select fields have a choice file"));
      if (!f->choices.empty() || !f->choice_list.empty()) {
        return Invalid(absl::StrCat(where, ": a choice file and choices cannot be combined"));
      }
      if (!media_.contains(f->choice_file)) {
        return Invalid(absl::StrCat(where, ": choice file \"", f->choice_file,
                                    "\" is not among the form's media"));
      }
    }
    for (const auto* s : {&f->label, &f->hint, &f->constraint_message, &f->required_message,
                          &f->appearance, &f->question_type, &f->default_value}) {
      FS_RETURN_IF_ERROR(Text(where, *s));
    }
    FS_RETURN_IF_ERROR(Texts(absl::StrCat(where, " label"), f->labels));
    FS_RETURN_IF_ERROR(Texts(absl::StrCat(where, " hint"), f->hints));
    FS_RETURN_IF_ERROR(Texts(absl::StrCat(where, " constraint message"), f->constraint_messages));
    FS_RETURN_IF_ERROR(Texts(absl::StrCat(where, " required message"), f->required_messages));
    for (const auto* e :
         {&f->relevant, &f->constraint, &f->required_if, &f->calculate, &f->choice_filter}) {
      FS_RETURN_IF_ERROR(Expression(where, *e));
    }
    return Extra(where, f->extra);
  }

  // Scope fields and aggregations read the root record.
  absl::Status CheckRootOnly() const {
    auto root_only = [&](const std::string& name, absl::string_view role) -> absl::Status {
      const FieldDef* f = form_.FindField(name);
      if (f == nullptr) return absl::OkStatus();  // reported by the v1 checks
      const std::string repeat = form_.RepeatOf(*f);
      if (!repeat.empty()) {
        return Invalid(absl::StrCat(role, " \"", name, "\" is inside repeat \"", repeat,
                                    "\"; it must be a field of the root record"));
      }
      return absl::OkStatus();
    };
    for (const auto& s : form_.scope_fields) FS_RETURN_IF_ERROR(root_only(s, "scope field"));
    for (const auto& a : form_.aggregations) {
      for (const auto& g : a.group_by) FS_RETURN_IF_ERROR(root_only(g, "group_by field"));
      if (!a.time_field.empty()) FS_RETURN_IF_ERROR(root_only(a.time_field, "time_field"));
      for (const auto& m : a.measures) {
        if (!m.field.empty()) FS_RETURN_IF_ERROR(root_only(m.field, "measure field"));
      }
    }
    return absl::OkStatus();
  }

  Form& form_;
  const SchemaLimits& limits_;
  absl::flat_hash_set<std::string> languages_;
  absl::flat_hash_set<std::string> media_;
  absl::flat_hash_map<std::string, const GroupDef*> groups_;
  absl::flat_hash_map<std::string, const ChoiceList*> lists_;
};

}  // namespace

bool ValidItemName(const std::string& name) {
  return !name.empty() && name.size() <= 64 && IsNameStart(name[0]) &&
         std::all_of(name.begin() + 1, name.end(), IsNameChar);
}

absl::Status CheckStructure(Form* form, const SchemaLimits& limits) {
  return Checker(form, limits).Run();
}

}  // namespace fieldsync::forms_internal
