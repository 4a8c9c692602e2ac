#include "server/xform/xform_writer.h"

#include <set>

#include "absl/strings/str_cat.h"
#include "absl/strings/str_join.h"
#include "server/common/status.h"
#include "server/expr/lexer.h"
#include "server/forms/form_schema.h"
#include "server/xform/xml_writer.h"
#include "server/xform/xpath_text.h"

namespace fieldsync::xform {

namespace {

using Node = InstanceTree::Node;
using Kind = InstanceTree::Kind;

// What a question type is in an XForm: the bind type, the body control (nullptr: none, the
// value is computed or preloaded) and preloads.
struct Shape {
  const char* type = "string";
  const char* control = "input";
  const char* mediatype = nullptr;
  const char* preload = nullptr;
  const char* preload_params = nullptr;
};

Shape ShapeOf(const FieldDef& f) {
  const std::string& q = f.question_type;
  if (q.empty()) {  // form model v1: the field type says it all
    switch (f.type) {
      case FieldType::kInt:
        return {"int"};
      case FieldType::kDecimal:
        return {"decimal"};
      case FieldType::kBool:
        return {"string", "select1"};
      case FieldType::kDate:
        return {"date"};
      case FieldType::kDatetime:
        return {"dateTime"};
      case FieldType::kSelectOne:
        return {"string", "select1"};
      case FieldType::kSelectMultiple:
        return {"string", "select"};
      case FieldType::kGeopoint:
        return {"geopoint"};
      case FieldType::kAttachment:
        return {"binary", "upload", "application/*"};
      case FieldType::kString:
        return {};
    }
    return {};
  }
  if (q == "integer") return {"int"};
  if (q == "decimal") return {"decimal"};
  if (q == "date") return {"date"};
  if (q == "datetime") return {"dateTime"};
  if (q == "time") return {"time"};
  if (q == "geopoint" || q == "geotrace" || q == "geoshape" || q == "barcode") {
    return {f.type == FieldType::kGeopoint ? "geopoint"
            : q == "barcode"               ? "barcode"
            : q == "geotrace"              ? "geotrace"
                                           : "geoshape"};
  }
  if (q == "image") return {"binary", "upload", "image/*"};
  if (q == "audio") return {"binary", "upload", "audio/*"};
  if (q == "video") return {"binary", "upload", "video/*"};
  if (q == "file") return {"binary", "upload", "application/*"};
  if (q == "select_one" || q == "select_one_from_file") return {"string", "select1"};
  if (q == "select_multiple" || q == "select_multiple_from_file") return {"string", "select"};
  if (q == "acknowledge") return {"string", "trigger"};
  if (q == "calculate") return {"string", nullptr};
  if (q == "start" || q == "end") return {"dateTime", nullptr, nullptr, "timestamp", q.c_str()};
  if (q == "today") return {"date", nullptr, nullptr, "date", "today"};
  if (q == "deviceid" || q == "simserial" || q == "phonenumber" || q == "subscriberid" ||
      q == "username" || q == "email") {
    return {"string", nullptr, nullptr, "property", q.c_str()};
  }
  return {};  // text, note
}

std::string Quoted(const std::string& s) {
  return s.find('\'') == std::string::npos ? absl::StrCat("'", s, "'")
                                           : absl::StrCat("\"", s, "\"");
}

bool Quotable(const std::string& s) {
  return s.find('\'') == std::string::npos || s.find('"') == std::string::npos;
}

// "name = 'a' or name = 'b'" over `values`; "" if one cannot be quoted.
std::string AnyOf(const std::string& lhs, const std::vector<std::string>& values) {
  std::vector<std::string> parts;
  for (const auto& v : values) {
    if (!Quotable(v)) return "";
    parts.push_back(absl::StrCat(lhs, " = ", Quoted(v)));
  }
  return absl::StrJoin(parts, " or ");
}

std::string FormatNumber(double d) {
  std::string s = absl::StrCat(d);
  return s;
}

class Builder {
 public:
  Builder(const Form& form, const XFormOptions& options, const InstanceTree& tree)
      : form_(form), options_(options), tree_(tree), itext_(!form.languages.empty()) {}

  absl::StatusOr<std::string> Write();

 private:
  // Text ids and their translations, in the order first used.
  struct ItextEntry {
    std::string id;
    const Translations* texts;
    std::string fallback;
    int context;
  };

  const std::vector<std::string>* ScopeValues(const FieldDef& f) const {
    auto it = options_.scope_values.find(f.name);
    if (it == options_.scope_values.end() || it->second.empty()) return nullptr;
    for (const auto& s : form_.scope_fields) {
      if (s == f.name) return &it->second;
    }
    return nullptr;
  }

  // A label/hint/message: an itext reference when the form has languages, else inline.
  void TextElement(XmlWriter* w, const char* element, const std::string& id,
                   const Translations& texts, const std::string& fallback, int context);
  std::string MessageAttribute(const std::string& id, const Translations& texts,
                               const std::string& fallback);

  void InstanceNode(XmlWriter* w, int id);
  absl::Status Binds(XmlWriter* w, int id);
  absl::Status BodyNode(XmlWriter* w, int id);
  absl::Status FieldControl(XmlWriter* w, const Node& n);
  void ChoiceInstances(XmlWriter* w);
  void Itext(XmlWriter* w);
  absl::StatusOr<std::string> Expr(int context, const std::string& text, const char* item_column,
                                   RefStyle style = RefStyle::kBind) {
    absl::StatusOr<std::string> x = ToXPath(tree_, context, text, style);
    if (!x.ok()) {
      return absl::InvalidArgumentError(
          absl::StrCat(tree_.node(context).name, " ", item_column, ": ", x.status().message()));
    }
    return x;
  }
  std::string CountNode(int repeat) const { return RepeatCountNodeName(tree_, repeat); }

  const Form& form_;
  const XFormOptions& options_;
  const InstanceTree& tree_;
  const bool itext_;
  std::vector<ItextEntry> itext_entries_;
  std::set<std::string> itext_ids_;
  std::vector<std::string> setvalues_;  // rendered <setvalue/> attribute sets
};

void Builder::TextElement(XmlWriter* w, const char* element, const std::string& id,
                          const Translations& texts, const std::string& fallback, int context) {
  if (itext_ && !texts.empty()) {
    if (itext_ids_.insert(id).second) itext_entries_.push_back({id, &texts, fallback, context});
    w->Leaf(element, {{"ref", absl::StrCat("jr:itext('", id, "')")}});
    return;
  }
  w->LeafMarkup(element, {}, LabelMarkup(tree_, context, fallback));
}

std::string Builder::MessageAttribute(const std::string& id, const Translations& texts,
                                      const std::string& fallback) {
  if (itext_ && !texts.empty()) {
    if (itext_ids_.insert(id).second) itext_entries_.push_back({id, &texts, fallback, 0});
    return absl::StrCat("jr:itext('", id, "')");
  }
  return fallback;
}

void Builder::InstanceNode(XmlWriter* w, int id) {
  const Node& n = tree_.node(id);
  if (n.kind == Kind::kField) {
    std::string value;
    if (!FormSchema::DefaultIsExpression(n.field->default_value)) value = n.field->default_value;
    if (const auto* scope = ScopeValues(*n.field); scope != nullptr && scope->size() == 1) {
      value = scope->front();
    }
    w->Leaf(n.name, {}, value);
    return;
  }
  XmlAttributes attrs;
  if (n.kind == Kind::kRoot) {
    attrs = {{"id", form_.form_id}, {"version", absl::StrCat(form_.version)}};
  } else if (n.kind == Kind::kRepeat) {
    attrs = {{"jr:template", ""}};
  }
  w->Open(n.name, attrs);
  for (int c : n.children) {
    const Node& child = tree_.node(c);
    if (child.kind == Kind::kRepeat && RepeatCountNeedsNode(*child.group)) {
      w->Leaf(CountNode(c));
    }
    InstanceNode(w, c);
  }
  if (n.kind == Kind::kRoot) {
    w->Open("meta");
    w->Leaf("instanceID");
    if (!form_.instance_name.empty()) w->Leaf("instanceName");
    w->Close();
  }
  w->Close();
}

absl::Status Builder::Binds(XmlWriter* w, int id) {
  const Node& n = tree_.node(id);
  if (n.kind == Kind::kGroup || n.kind == Kind::kRepeat) {
    if (!n.group->relevant.empty()) {
      FS_ASSIGN_OR_RETURN(std::string rel, Expr(id, n.group->relevant, "relevant"));
      w->Leaf("bind", {{"nodeset", n.path}, {"relevant", rel}});
    }
  }
  if (n.kind != Kind::kField) {
    for (int c : n.children) {
      const Node& child = tree_.node(c);
      if (child.kind == Kind::kRepeat && RepeatCountNeedsNode(*child.group)) {
        FS_ASSIGN_OR_RETURN(std::string count, Expr(c, child.group->repeat_count, "repeat_count"));
        w->Leaf("bind", {{"nodeset", absl::StrCat(n.path, "/", CountNode(c))},
                         {"type", "string"},
                         {"readonly", "true()"},
                         {"calculate", count}});
      }
      FS_RETURN_IF_ERROR(Binds(w, c));
    }
    return absl::OkStatus();
  }
  const FieldDef& f = *n.field;
  const Shape shape = ShapeOf(f);
  XmlAttributes a{{"nodeset", n.path}, {"type", shape.type}};
  if (f.required) {
    a.emplace_back("required", "true()");
  } else if (!f.required_if.empty()) {
    FS_ASSIGN_OR_RETURN(std::string req, Expr(id, f.required_if, "required"));
    a.emplace_back("required", req);
  }
  if ((f.required || !f.required_if.empty()) && !f.required_message.empty()) {
    a.emplace_back("jr:requiredMsg", MessageAttribute(absl::StrCat(n.path, ":jr:requiredMsg"),
                                                      f.required_messages, f.required_message));
  }
  if (!f.relevant.empty()) {
    FS_ASSIGN_OR_RETURN(std::string rel, Expr(id, f.relevant, "relevant"));
    a.emplace_back("relevant", rel);
  }
  std::vector<std::string> constraints;
  if (!f.constraint.empty()) {
    FS_ASSIGN_OR_RETURN(std::string c, Expr(id, f.constraint, "constraint"));
    constraints.push_back(absl::StrCat("(", c, ")"));
  }
  const bool numeric = f.type == FieldType::kInt || f.type == FieldType::kDecimal;
  const std::string measured = numeric ? "." : "string-length(.)";
  if (f.min) constraints.push_back(absl::StrCat(measured, " >= ", FormatNumber(*f.min)));
  if (f.max) constraints.push_back(absl::StrCat(measured, " <= ", FormatNumber(*f.max)));
  if (!f.regex.empty() && Quotable(f.regex)) {
    constraints.push_back(absl::StrCat("regex(., ", Quoted(f.regex), ")"));
  }
  const auto* scope = ScopeValues(f);
  if (scope != nullptr && scope->size() > 1 && ShapeOf(f).control != std::string("select1")) {
    if (std::string any = AnyOf(".", *scope); !any.empty()) {
      constraints.push_back(absl::StrCat("(", any, ")"));
    }
  }
  if (!constraints.empty()) {
    a.emplace_back("constraint", absl::StrJoin(constraints, " and "));
    if (!f.constraint_message.empty()) {
      a.emplace_back("jr:constraintMsg",
                     MessageAttribute(absl::StrCat(n.path, ":jr:constraintMsg"),
                                      f.constraint_messages, f.constraint_message));
    }
  }
  if (!f.calculate.empty()) {
    FS_ASSIGN_OR_RETURN(std::string calc, Expr(id, f.calculate, "calculation"));
    a.emplace_back("calculate", calc);
  }
  if (f.read_only || f.question_type == "note" || (scope != nullptr && scope->size() == 1)) {
    a.emplace_back("readonly", "true()");
  }
  if (shape.preload != nullptr) {
    a.emplace_back("jr:preload", shape.preload);
    a.emplace_back("jr:preloadParams", shape.preload_params);
  }
  w->Leaf("bind", a);
  if (FormSchema::DefaultIsExpression(f.default_value)) {
    FS_ASSIGN_OR_RETURN(std::string value, Expr(id, f.default_value, "default"));
    setvalues_.push_back(n.path);
    setvalues_.push_back(value);
    setvalues_.push_back(n.repeat >= 0 ? "odk-instance-first-load odk-new-repeat"
                                       : "odk-instance-first-load");
  }
  return absl::OkStatus();
}

absl::Status Builder::FieldControl(XmlWriter* w, const Node& n) {
  const FieldDef& f = *n.field;
  const Shape shape = ShapeOf(f);
  if (shape.control == nullptr) return absl::OkStatus();
  XmlAttributes a{{"ref", n.path}};
  if (!f.appearance.empty()) a.emplace_back("appearance", f.appearance);
  if (shape.mediatype != nullptr) a.emplace_back("mediatype", shape.mediatype);
  w->Open(shape.control, a);
  TextElement(w, "label", absl::StrCat(n.path, ":label"), f.labels, f.label, tree_.Find(f.name));
  if (!f.hint.empty() || !f.hints.empty()) {
    TextElement(w, "hint", absl::StrCat(n.path, ":hint"), f.hints, f.hint, tree_.Find(f.name));
  }
  const bool select =
      shape.control == std::string("select1") || shape.control == std::string("select");
  if (select) {
    const auto* scope = ScopeValues(f);
    const int self = tree_.Find(f.name);
    if (!f.choice_list.empty() || !f.choice_file.empty()) {
      std::string list = f.choice_list;
      if (list.empty()) list = f.choice_file.substr(0, f.choice_file.rfind('.'));
      std::vector<std::string> filters;
      if (!f.choice_filter.empty()) {
        FS_ASSIGN_OR_RETURN(std::string cf,
                            Expr(self, f.choice_filter, "choice_filter", RefStyle::kPredicate));
        filters.push_back(absl::StrCat("(", cf, ")"));
      }
      if (scope != nullptr) {
        if (std::string any = AnyOf("name", *scope); !any.empty()) {
          filters.push_back(absl::StrCat("(", any, ")"));
        }
      }
      std::string nodeset = absl::StrCat("instance('", list, "')/root/item");
      if (!filters.empty()) absl::StrAppend(&nodeset, "[", absl::StrJoin(filters, " and "), "]");
      w->Open("itemset", {{"nodeset", nodeset}});
      w->Leaf("value", {{"ref", "name"}});
      const bool translated = itext_ && f.choice_file.empty();
      w->Leaf("label", {{"ref", translated ? "jr:itext(itextId)" : "label"}});
      w->Close();
    } else {
      std::vector<std::string> values = f.choices;
      std::vector<std::string> labels = f.choices;
      if (f.type == FieldType::kBool) {
        values = {"true", "false"};
        labels = {"Yes", "No"};
      }
      for (size_t i = 0; i < values.size(); ++i) {
        if (scope != nullptr &&
            std::find(scope->begin(), scope->end(), values[i]) == scope->end()) {
          continue;
        }
        w->Open("item");
        w->Leaf("label", {}, labels[i]);
        w->Leaf("value", {}, values[i]);
        w->Close();
      }
    }
  }
  w->Close();
  return absl::OkStatus();
}

absl::Status Builder::BodyNode(XmlWriter* w, int id) {
  const Node& n = tree_.node(id);
  if (n.kind == Kind::kField) return FieldControl(w, n);
  if (n.kind == Kind::kRoot) {
    for (int c : n.children) FS_RETURN_IF_ERROR(BodyNode(w, c));
    return absl::OkStatus();
  }
  const GroupDef& g = *n.group;
  XmlAttributes a{{"ref", n.path}};
  if (n.kind == Kind::kGroup && !g.appearance.empty()) a.emplace_back("appearance", g.appearance);
  w->Open("group", a);
  if (!g.label.empty() || !g.labels.empty()) {
    TextElement(w, "label", absl::StrCat(n.path, ":label"), g.labels, g.label, id);
  }
  if (n.kind == Kind::kRepeat) {
    XmlAttributes r{{"nodeset", n.path}};
    if (!g.appearance.empty()) r.emplace_back("appearance", g.appearance);
    if (!g.repeat_count.empty()) {
      if (RepeatCountNeedsNode(g)) {
        r.emplace_back("jr:count", absl::StrCat(tree_.node(n.parent).path, "/", CountNode(id)));
      } else {
        FS_ASSIGN_OR_RETURN(std::string count, Expr(id, g.repeat_count, "repeat_count"));
        r.emplace_back("jr:count", count);
      }
    }
    w->Open("repeat", r);
  }
  for (int c : n.children) FS_RETURN_IF_ERROR(BodyNode(w, c));
  if (n.kind == Kind::kRepeat) w->Close();
  w->Close();
  return absl::OkStatus();
}

void Builder::ChoiceInstances(XmlWriter* w) {
  std::set<std::string> used;
  std::set<std::string> files;
  for (const auto& f : form_.fields) {
    if (!f.choice_list.empty()) used.insert(f.choice_list);
    if (!f.choice_file.empty()) files.insert(f.choice_file);
  }
  for (const ChoiceList& list : form_.choice_lists) {
    if (!used.count(list.name)) continue;
    w->Open("instance", {{"id", list.name}});
    w->Open("root");
    for (size_t i = 0; i < list.choices.size(); ++i) {
      const Choice& c = list.choices[i];
      w->Open("item");
      if (itext_) {
        std::string id = absl::StrCat(list.name, "-", i);
        if (itext_ids_.insert(id).second) {
          itext_entries_.push_back({id, &c.labels, c.label.empty() ? c.name : c.label, 0});
        }
        w->Leaf("itextId", {}, id);
      } else {
        w->Leaf("label", {}, c.label.empty() ? c.name : c.label);
      }
      w->Leaf("name", {}, c.name);
      for (const auto& [k, v] : c.properties) {
        if (IsXmlName(k) && k != "name" && k != "label" && k != "itextId") w->Leaf(k, {}, v);
      }
      w->Close();
    }
    w->Close();
    w->Close();
  }
  for (const std::string& file : files) {
    const bool xml = file.size() > 4 && file.substr(file.size() - 4) == ".xml";
    w->Leaf("instance", {{"id", file.substr(0, file.rfind('.'))},
                         {"src", absl::StrCat(xml ? "jr://file/" : "jr://file-csv/", file)}});
  }
}

void Builder::Itext(XmlWriter* w) {
  if (!itext_ || itext_entries_.empty()) return;
  w->Open("itext");
  for (const std::string& lang : form_.languages) {
    XmlAttributes a;
    if (lang == form_.default_language) a.emplace_back("default", "true()");
    a.emplace_back("lang", lang);
    w->Open("translation", a);
    for (const ItextEntry& e : itext_entries_) {
      const std::string& text = Localized(*e.texts, e.fallback, lang);
      w->Open("text", {{"id", e.id}});
      w->LeafMarkup("value", {}, LabelMarkup(tree_, e.context, text.empty() ? "-" : text));
      w->Close();
    }
    w->Close();
  }
  w->Close();
}

absl::StatusOr<std::string> Builder::Write() {
  // The body and binds first (they collect the itext entries), then the document in order.
  XmlWriter body_w;
  FS_RETURN_IF_ERROR(BodyNode(&body_w, InstanceTree::kRoot));
  XmlWriter binds_w;
  FS_RETURN_IF_ERROR(Binds(&binds_w, InstanceTree::kRoot));
  XmlWriter choices_w;
  ChoiceInstances(&choices_w);
  XmlWriter itext_w;
  Itext(&itext_w);
  XmlWriter instance_w;
  InstanceNode(&instance_w, InstanceTree::kRoot);

  // Each part was written at depth 0; re-indent it into place.
  auto part = [](const XmlWriter& pw, int depth) {
    std::string s = pw.str().substr(pw.str().find('\n') + 1);
    std::string out;
    std::string pad(depth * 2, ' ');
    size_t i = 0;
    while (i < s.size()) {
      size_t nl = s.find('\n', i);
      absl::StrAppend(&out, pad, s.substr(i, nl - i + 1));
      i = nl + 1;
    }
    return out;
  };

  std::string doc = "<?xml version=\"1.0\" encoding=\"UTF-8\"?>\n";
  absl::StrAppend(&doc,
                  "<h:html xmlns=\"http://www.w3.org/2002/xforms\" "
                  "xmlns:ev=\"http://www.w3.org/2001/xml-events\" "
                  "xmlns:h=\"http://www.w3.org/1999/xhtml\" "
                  "xmlns:jr=\"http://openrosa.org/javarosa\" "
                  "xmlns:odk=\"http://www.opendatakit.org/xforms\" "
                  "xmlns:orx=\"http://openrosa.org/xforms\" "
                  "xmlns:xsd=\"http://www.w3.org/2001/XMLSchema\">\n");
  absl::StrAppend(&doc, "  <h:head>\n    <h:title>",
                  EscapeText(form_.title.empty() ? form_.form_id : form_.title), "</h:title>\n",
                  "    <model odk:xforms-version=\"1.0.0\">\n");
  absl::StrAppend(&doc, part(itext_w, 3), "      <instance>\n", part(instance_w, 4),
                  "      </instance>\n", part(choices_w, 3));
  absl::StrAppend(&doc, part(binds_w, 3));
  absl::StrAppend(&doc, "      <bind nodeset=\"", tree_.node(0).path,
                  "/meta/instanceID\" type=\"string\" readonly=\"true()\" jr:preload=\"uid\"/>\n");
  if (!form_.instance_name.empty()) {
    FS_ASSIGN_OR_RETURN(std::string name, Expr(0, form_.instance_name, "instance_name"));
    absl::StrAppend(&doc, "      <bind nodeset=\"", tree_.node(0).path,
                    "/meta/instanceName\" type=\"string\" calculate=\"", EscapeAttribute(name),
                    "\"/>\n");
  }
  for (size_t i = 0; i + 2 < setvalues_.size(); i += 3) {
    absl::StrAppend(&doc, "      <setvalue event=\"", setvalues_[i + 2], "\" ref=\"",
                    EscapeAttribute(setvalues_[i]), "\" value=\"",
                    EscapeAttribute(setvalues_[i + 1]), "\"/>\n");
  }
  absl::StrAppend(&doc, "    </model>\n  </h:head>\n  <h:body>\n", part(body_w, 2),
                  "  </h:body>\n</h:html>\n");
  return doc;
}

}  // namespace

bool RepeatCountNeedsNode(const GroupDef& repeat) {
  if (!repeat.repeat || repeat.repeat_count.empty()) return false;
  absl::StatusOr<std::vector<expr::Token>> tokens = expr::Tokenize(repeat.repeat_count);
  return !(tokens.ok() && tokens->size() == 2 && (*tokens)[0].kind == expr::Tok::kRef);
}

std::string RepeatCountNodeName(const InstanceTree& tree, int repeat) {
  std::string name = absl::StrCat(tree.node(repeat).name, "_count");
  while (tree.Find(name) >= 0) name += "_";
  return name;
}

absl::StatusOr<std::string> WriteXForm(const Form& form, const XFormOptions& options) {
  FS_ASSIGN_OR_RETURN(InstanceTree tree, InstanceTree::Build(form));
  for (const auto& list : form.choice_lists) {
    if (list.name.find('\'') != std::string::npos) {
      return absl::InvalidArgumentError(
          absl::StrCat("choice list \"", list.name, "\" holds a quote"));
    }
  }
  return Builder(form, options, tree).Write();
}

}  // namespace fieldsync::xform
