#include "server/convert/convert.h"

#include "absl/strings/str_cat.h"
#include "server/convert/form_v2_proto.h"

namespace fieldsync::convert {

namespace v1 = ::fieldsync::v1;

void ToProto(const Value& v, v1::Value* out) {
  out->Clear();
  struct Visitor {
    v1::Value* out;
    void operator()(std::monostate) const {}
    void operator()(const std::string& s) const { out->set_text(s); }
    void operator()(int64_t i) const { out->set_integer(i); }
    void operator()(double d) const { out->set_decimal(d); }
    void operator()(bool b) const { out->set_boolean(b); }
    void operator()(const std::vector<std::string>& l) const {
      auto* c = out->mutable_choices();
      for (const auto& s : l) c->add_values(s);
    }
    void operator()(const GeoPoint& g) const {
      out->mutable_geopoint()->set_latitude(g.latitude);
      out->mutable_geopoint()->set_longitude(g.longitude);
    }
  };
  std::visit(Visitor{out}, v);
}

Value FromProto(const v1::Value& v) {
  switch (v.kind_case()) {
    case v1::Value::kText:
      return v.text();
    case v1::Value::kInteger:
      return v.integer();
    case v1::Value::kDecimal:
      return v.decimal();
    case v1::Value::kBoolean:
      return v.boolean();
    case v1::Value::kChoices:
      return std::vector<std::string>(v.choices().values().begin(), v.choices().values().end());
    case v1::Value::kGeopoint:
      return GeoPoint{v.geopoint().latitude(), v.geopoint().longitude()};
    case v1::Value::KIND_NOT_SET:
      break;
  }
  return std::monostate{};
}

void ToProto(const FieldMap& m, google::protobuf::Map<std::string, v1::Value>* out) {
  out->clear();
  for (const auto& [name, value] : m) ToProto(value, &(*out)[name]);
}

FieldMap FromProto(const google::protobuf::Map<std::string, v1::Value>& m) {
  FieldMap out;
  for (const auto& [name, value] : m) out.emplace(name, FromProto(value));
  return out;
}

void ToProto(const Hlc& h, v1::Hlc* out) {
  out->set_physical_ms(h.physical_ms);
  out->set_logical(h.logical);
  out->set_device_id(h.device_id);
}

Hlc FromProto(const v1::Hlc& h) { return Hlc{h.physical_ms(), h.logical(), h.device_id()}; }

void ToProto(const DeviceReport& r, v1::DeviceReport* out) {
  out->set_app_version(r.app_version);
  for (const auto& [k, v] : r.form_versions) (*out->mutable_form_versions())[k] = v;
  out->set_outbox_depth(r.outbox_depth);
  out->set_oldest_unsent_age_ms(r.oldest_unsent_age_ms);
  out->set_device_clock_ms(r.device_clock_ms);
  out->set_free_storage_bytes(r.free_storage_bytes);
}

DeviceReport FromProto(const v1::DeviceReport& r) {
  DeviceReport out;
  out.app_version = r.app_version();
  for (const auto& [k, v] : r.form_versions()) out.form_versions[k] = v;
  out.outbox_depth = r.outbox_depth();
  out.oldest_unsent_age_ms = r.oldest_unsent_age_ms();
  out.device_clock_ms = r.device_clock_ms();
  out.free_storage_bytes = r.free_storage_bytes();
  return out;
}

void ToProto(const Form& f, v1::Form* out) {
  out->Clear();
  out->set_form_id(f.form_id);
  out->set_version(f.version);
  out->set_title(f.title);
  for (const auto& fd : f.fields) {
    auto* p = out->add_fields();
    p->set_name(fd.name);
    p->set_type(static_cast<v1::FieldType>(fd.type));
    p->set_required(fd.required);
    if (fd.min) p->set_min(*fd.min);
    if (fd.max) p->set_max(*fd.max);
    p->set_regex(fd.regex);
    for (const auto& c : fd.choices) p->add_choices(c);
    p->set_pii(fd.pii);
    p->set_label(fd.label);
    internal::FieldV2ToPb(fd, p);
  }
  for (const auto& s : f.scope_fields) out->add_scope_fields(s);
  out->set_edit_policy(static_cast<v1::EditPolicy>(f.edit_policy));
  out->set_conflict_policy(static_cast<v1::ConflictPolicy>(f.conflict_policy));
  for (const auto& a : f.aggregations) {
    auto* p = out->add_aggregations();
    p->set_name(a.name);
    for (const auto& g : a.group_by) p->add_group_by(g);
    p->set_time_field(a.time_field);
    p->set_bucket(static_cast<v1::TimeBucket>(a.bucket));
    for (const auto& m : a.measures) {
      auto* mp = p->add_measures();
      mp->set_name(m.name);
      mp->set_kind(static_cast<v1::Measure::Kind>(m.kind));
      mp->set_field(m.field);
    }
  }
  internal::FormV2ToPb(f, out);
}

absl::StatusOr<Form> FromProto(const v1::Form& f) {
  Form out;
  out.form_id = f.form_id();
  out.version = f.version();
  out.title = f.title();
  for (const auto& p : f.fields()) {
    FieldDef fd;
    fd.name = p.name();
    if (p.type() < v1::STRING || p.type() > v1::ATTACHMENT) {
      return absl::InvalidArgumentError(
          absl::StrCat("field '", p.name(), "': unknown or missing type"));
    }
    fd.type = static_cast<FieldType>(p.type());
    fd.required = p.required();
    if (p.has_min()) fd.min = p.min();
    if (p.has_max()) fd.max = p.max();
    fd.regex = p.regex();
    fd.choices.assign(p.choices().begin(), p.choices().end());
    fd.pii = p.pii();
    fd.label = p.label();
    internal::FieldV2FromPb(p, &fd);
    out.fields.push_back(std::move(fd));
  }
  out.scope_fields.assign(f.scope_fields().begin(), f.scope_fields().end());
  switch (f.edit_policy()) {
    case v1::EDIT_POLICY_UNSPECIFIED:
    case v1::MUTABLE:
      out.edit_policy = EditPolicy::kMutable;
      break;
    case v1::APPEND_ONLY:
      out.edit_policy = EditPolicy::kAppendOnly;
      break;
    default:
      return absl::InvalidArgumentError("unknown edit_policy");
  }
  switch (f.conflict_policy()) {
    case v1::CONFLICT_POLICY_UNSPECIFIED:
    case v1::LAST_WRITER_WINS:
      out.conflict_policy = ConflictPolicy::kLastWriterWins;
      break;
    case v1::FIRST_WRITER_WINS:
      out.conflict_policy = ConflictPolicy::kFirstWriterWins;
      break;
    case v1::MANUAL:
      out.conflict_policy = ConflictPolicy::kManual;
      break;
    case v1::ROLE_PRIORITY:
      out.conflict_policy = ConflictPolicy::kRolePriority;
      break;
    default:
      return absl::InvalidArgumentError("unknown conflict_policy");
  }
  for (const auto& p : f.aggregations()) {
    AggregationDef a;
    a.name = p.name();
    a.group_by.assign(p.group_by().begin(), p.group_by().end());
    a.time_field = p.time_field();
    if (p.bucket() < v1::TIME_BUCKET_UNSPECIFIED || p.bucket() > v1::MONTH) {
      return absl::InvalidArgumentError(absl::StrCat("aggregation '", p.name(), "': bad bucket"));
    }
    a.bucket = p.bucket() == v1::TIME_BUCKET_UNSPECIFIED ? TimeBucket::kDay
                                                         : static_cast<TimeBucket>(p.bucket());
    for (const auto& mp : p.measures()) {
      if (mp.kind() != v1::Measure::COUNT && mp.kind() != v1::Measure::SUM) {
        return absl::InvalidArgumentError(
            absl::StrCat("aggregation '", p.name(), "': measure '", mp.name(), "' has no kind"));
      }
      a.measures.push_back(Measure{mp.name(), static_cast<Measure::Kind>(mp.kind()), mp.field()});
    }
    out.aggregations.push_back(std::move(a));
  }
  internal::FormV2FromPb(f, &out);
  return out;
}

void ToProto(const Mutation& m, v1::Mutation* out) {
  out->set_device_seq(m.device_seq);
  out->set_record_id(m.record_id);
  out->set_form_id(m.form_id);
  out->set_form_version(m.form_version);
  out->set_base_version(m.base_version);
  // An invalid op stays unspecified (it is quarantined as sent), not an upsert.
  switch (m.op) {
    case MutationOp::kUpsert:
      out->set_op(v1::Mutation::UPSERT);
      break;
    case MutationOp::kDelete:
      out->set_op(v1::Mutation::DELETE);
      break;
    default:
      out->set_op(v1::Mutation::OP_UNSPECIFIED);
      break;
  }
  ToProto(m.fields, out->mutable_fields());
  ToProto(m.hlc, out->mutable_hlc());
  out->set_parent_record_id(m.parent_record_id);
  out->set_repeat(m.repeat);
  out->set_ordinal(m.ordinal);
}

Mutation FromProto(const v1::Mutation& m) {
  Mutation out;
  out.device_seq = m.device_seq();
  out.record_id = m.record_id();
  out.form_id = m.form_id();
  out.form_version = m.form_version();
  out.base_version = m.base_version();
  switch (m.op()) {
    case v1::Mutation::UPSERT:
      out.op = MutationOp::kUpsert;
      break;
    case v1::Mutation::DELETE:
      out.op = MutationOp::kDelete;
      break;
    default:
      out.op = static_cast<MutationOp>(0);
      break;
  }
  out.fields = FromProto(m.fields());
  out.hlc = FromProto(m.hlc());
  out.parent_record_id = m.parent_record_id();
  out.repeat = m.repeat();
  out.ordinal = m.ordinal();
  return out;
}

void ToProto(const Receipt& r, v1::Receipt* out) {
  out->set_device_seq(r.device_seq);
  out->set_record_id(r.record_id);
  out->set_content_hash(r.content_hash);
  out->set_outcome(static_cast<v1::Outcome>(r.outcome));
  if (r.original_outcome) out->set_original_outcome(static_cast<v1::Outcome>(*r.original_outcome));
  out->set_record_version(r.record_version);
  out->set_seq(r.seq);
  for (const auto& f : r.conflict_fields) out->add_conflict_fields(f);
  for (const auto& e : r.errors) {
    auto* p = out->add_errors();
    p->set_field(e.field);
    p->set_description(e.description);
  }
  out->set_expected_device_seq(r.expected_device_seq);
}

Receipt FromProto(const v1::Receipt& r) {
  Receipt out;
  out.device_seq = r.device_seq();
  out.record_id = r.record_id();
  out.content_hash = r.content_hash();
  out.outcome = static_cast<Outcome>(r.outcome());
  if (r.original_outcome() != v1::OUTCOME_UNSPECIFIED) {
    out.original_outcome = static_cast<Outcome>(r.original_outcome());
  }
  out.record_version = r.record_version();
  out.seq = r.seq();
  out.conflict_fields.assign(r.conflict_fields().begin(), r.conflict_fields().end());
  for (const auto& e : r.errors()) out.errors.push_back({e.field(), e.description()});
  out.expected_device_seq = r.expected_device_seq();
  return out;
}

void ToProto(const Record& r, v1::RecordState* out) {
  out->set_record_id(r.record_id);
  out->set_form_id(r.form_id);
  out->set_form_version(r.form_version);
  out->set_version(r.version);
  out->set_seq(r.seq);
  out->set_deleted(r.deleted);
  out->set_has_open_conflict(r.open_conflict);
  out->set_last_writer_device(r.last_writer_device);
  if (!r.deleted) ToProto(r.fields, out->mutable_fields());
  out->set_parent_record_id(r.parent_record_id);
  out->set_repeat(r.repeat);
  out->set_ordinal(r.ordinal);
  out->set_root_record_id(r.root_record_id);
}

void ToProto(const ChangeEntry& c, v1::Change* out) {
  out->set_seq(c.seq);
  out->set_record_id(c.record_id);
  out->set_form_id(c.form_id);
  out->set_form_version(c.form_version);
  out->set_version(c.version);
  out->set_deleted_before(c.deleted_before);
  out->set_deleted_after(c.deleted_after);
  out->set_created(c.created);
  for (const auto& fc : c.changes) {
    auto* p = out->add_changes();
    p->set_field(fc.field);
    ToProto(fc.before, p->mutable_before());
    ToProto(fc.after, p->mutable_after());
  }
  for (const auto& s : c.scope_after) (*out->mutable_scope())[s.field] = s.value;
  for (const auto& s : c.scope_before) (*out->mutable_scope_before())[s.field] = s.value;
  out->set_device_id(c.device_id);
  out->set_commit_time_ms(c.commit_time_ms);
  out->set_parent_record_id(c.parent_record_id);
  out->set_repeat(c.repeat);
  out->set_ordinal(c.ordinal);
  out->set_root_record_id(c.root_record_id);
}

}  // namespace fieldsync::convert
