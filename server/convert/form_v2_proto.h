// Form model v2 members (groups, repeats, expressions, languages, choice lists, media) to and
// from a protobuf message. The wire message (fieldsync.v1.Form) and the storage message
// (fieldsync.storage.FormPb) give these members the same names and numbers, so one template
// serves both: convert.cc and storage/codec.cc call it with their own message types. The v1
// members differ between the two (enum types, error codes) and are converted by each file.
#ifndef FIELDSYNC_SERVER_CONVERT_FORM_V2_PROTO_H_
#define FIELDSYNC_SERVER_CONVERT_FORM_V2_PROTO_H_

#include <map>
#include <string>

#include "server/common/model.h"

namespace fieldsync::convert::internal {

template <typename PbMap>
void MapToPb(const std::map<std::string, std::string>& in, PbMap* out) {
  for (const auto& [k, v] : in) (*out)[k] = v;
}

template <typename PbMap>
std::map<std::string, std::string> MapFromPb(const PbMap& in) {
  return std::map<std::string, std::string>(in.begin(), in.end());
}

template <typename FieldPb>
void FieldV2ToPb(const FieldDef& f, FieldPb* p) {
  p->set_group(f.group);
  p->set_question_type(f.question_type);
  MapToPb(f.labels, p->mutable_labels());
  p->set_hint(f.hint);
  MapToPb(f.hints, p->mutable_hints());
  p->set_relevant(f.relevant);
  p->set_constraint(f.constraint);
  p->set_constraint_message(f.constraint_message);
  MapToPb(f.constraint_messages, p->mutable_constraint_messages());
  p->set_required_if(f.required_if);
  p->set_required_message(f.required_message);
  MapToPb(f.required_messages, p->mutable_required_messages());
  p->set_calculate(f.calculate);
  p->set_default_value(f.default_value);
  p->set_read_only(f.read_only);
  p->set_choice_filter(f.choice_filter);
  p->set_appearance(f.appearance);
  p->set_choice_list(f.choice_list);
  p->set_choice_file(f.choice_file);
  MapToPb(f.extra, p->mutable_extra());
}

template <typename FieldPb>
void FieldV2FromPb(const FieldPb& p, FieldDef* f) {
  f->group = p.group();
  f->question_type = p.question_type();
  f->labels = MapFromPb(p.labels());
  f->hint = p.hint();
  f->hints = MapFromPb(p.hints());
  f->relevant = p.relevant();
  f->constraint = p.constraint();
  f->constraint_message = p.constraint_message();
  f->constraint_messages = MapFromPb(p.constraint_messages());
  f->required_if = p.required_if();
  f->required_message = p.required_message();
  f->required_messages = MapFromPb(p.required_messages());
  f->calculate = p.calculate();
  f->default_value = p.default_value();
  f->read_only = p.read_only();
  f->choice_filter = p.choice_filter();
  f->appearance = p.appearance();
  f->choice_list = p.choice_list();
  f->choice_file = p.choice_file();
  f->extra = MapFromPb(p.extra());
}

// The form-level v2 members: groups, choice lists, languages, instance name, media.
template <typename FormPb>
void FormV2ToPb(const Form& f, FormPb* p) {
  for (const auto& g : f.groups) {
    auto* gp = p->add_groups();
    gp->set_name(g.name);
    gp->set_repeat(g.repeat);
    gp->set_parent(g.parent);
    gp->set_label(g.label);
    MapToPb(g.labels, gp->mutable_labels());
    gp->set_relevant(g.relevant);
    gp->set_appearance(g.appearance);
    gp->set_repeat_count(g.repeat_count);
    MapToPb(g.extra, gp->mutable_extra());
  }
  for (const auto& l : f.choice_lists) {
    auto* lp = p->add_choice_lists();
    lp->set_name(l.name);
    for (const auto& c : l.choices) {
      auto* cp = lp->add_choices();
      cp->set_name(c.name);
      cp->set_label(c.label);
      MapToPb(c.labels, cp->mutable_labels());
      MapToPb(c.properties, cp->mutable_properties());
    }
  }
  p->set_default_language(f.default_language);
  for (const auto& l : f.languages) p->add_languages(l);
  p->set_instance_name(f.instance_name);
  for (const auto& m : f.media) {
    auto* mp = p->add_media();
    mp->set_name(m.name);
    mp->set_media_type(m.media_type);
    mp->set_sha256(m.sha256);
    mp->set_size(m.size);
  }
  MapToPb(f.settings, p->mutable_settings());
}

template <typename FormPb>
void FormV2FromPb(const FormPb& p, Form* f) {
  f->groups.clear();
  for (const auto& gp : p.groups()) {
    GroupDef g;
    g.name = gp.name();
    g.repeat = gp.repeat();
    g.parent = gp.parent();
    g.label = gp.label();
    g.labels = MapFromPb(gp.labels());
    g.relevant = gp.relevant();
    g.appearance = gp.appearance();
    g.repeat_count = gp.repeat_count();
    g.extra = MapFromPb(gp.extra());
    f->groups.push_back(std::move(g));
  }
  f->choice_lists.clear();
  for (const auto& lp : p.choice_lists()) {
    ChoiceList l;
    l.name = lp.name();
    for (const auto& cp : lp.choices()) {
      l.choices.push_back(
          Choice{cp.name(), cp.label(), MapFromPb(cp.labels()), MapFromPb(cp.properties())});
    }
    f->choice_lists.push_back(std::move(l));
  }
  f->default_language = p.default_language();
  f->languages.assign(p.languages().begin(), p.languages().end());
  f->instance_name = p.instance_name();
  f->media.clear();
  for (const auto& mp : p.media()) {
    f->media.push_back(MediaFile{mp.name(), mp.media_type(), mp.sha256(), mp.size()});
  }
  f->settings = MapFromPb(p.settings());
}

}  // namespace fieldsync::convert::internal

#endif  // FIELDSYNC_SERVER_CONVERT_FORM_V2_PROTO_H_
