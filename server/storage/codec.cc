#include "server/storage/codec.h"

#include <google/protobuf/arena.h>

#include "absl/strings/str_cat.h"
#include "server/convert/form_v2_proto.h"
#include "server/storage/storage.pb.h"

namespace fieldsync::codec {
namespace {

namespace pb = ::fieldsync::storage;
template <typename T>
using Repeated = google::protobuf::RepeatedPtrField<T>;

template <typename M>
absl::Status Parse(std::string_view in, M* msg, const char* what) {
  if (!msg->ParseFromArray(in.data(), static_cast<int>(in.size()))) {
    return absl::DataLossError(std::string("corrupt stored ") + what);
  }
  return absl::OkStatus();
}

// ---- Values, clocks, scopes, errors ----

void ToPb(const Value& v, pb::ValuePb* out) {
  struct Visitor {
    pb::ValuePb* out;
    void operator()(std::monostate) const {}
    void operator()(const std::string& s) const { out->set_text(s); }
    void operator()(int64_t i) const { out->set_integer(i); }
    void operator()(double d) const { out->set_decimal(d); }
    void operator()(bool b) const { out->set_boolean(b); }
    void operator()(const std::vector<std::string>& l) const {
      auto* c = out->mutable_choices();
      c->mutable_values()->Reserve(static_cast<int>(l.size()));
      for (const auto& s : l) c->add_values(s);
    }
    void operator()(const GeoPoint& g) const {
      out->mutable_geopoint()->set_latitude(g.latitude);
      out->mutable_geopoint()->set_longitude(g.longitude);
    }
  };
  std::visit(Visitor{out}, v);
}

Value FromPb(const pb::ValuePb& v) {
  switch (v.kind_case()) {
    case pb::ValuePb::kText:
      return v.text();
    case pb::ValuePb::kInteger:
      return v.integer();
    case pb::ValuePb::kDecimal:
      return v.decimal();
    case pb::ValuePb::kBoolean:
      return v.boolean();
    case pb::ValuePb::kChoices:
      return std::vector<std::string>(v.choices().values().begin(), v.choices().values().end());
    case pb::ValuePb::kGeopoint:
      return GeoPoint{v.geopoint().latitude(), v.geopoint().longitude()};
    case pb::ValuePb::KIND_NOT_SET:
      break;
  }
  return std::monostate{};
}

void ToPb(const Hlc& h, pb::HlcPb* out) {
  out->set_physical_ms(h.physical_ms);
  out->set_logical(h.logical);
  out->set_device_id(h.device_id);
}

Hlc FromPb(const pb::HlcPb& h) { return Hlc{h.physical_ms(), h.logical(), h.device_id()}; }

void ToPb(const std::vector<ScopePair>& in, Repeated<pb::ScopePairPb>* out) {
  for (const auto& s : in) {
    auto* p = out->Add();
    p->set_field(s.field);
    p->set_value(s.value);
  }
}

std::vector<ScopePair> FromPb(const Repeated<pb::ScopePairPb>& in) {
  std::vector<ScopePair> out;
  out.reserve(in.size());
  for (const auto& p : in) out.push_back({p.field(), p.value()});
  return out;
}

void ToPb(const std::vector<FieldError>& in, Repeated<pb::FieldErrorPb>* out) {
  for (const auto& e : in) {
    auto* p = out->Add();
    p->set_field(e.field);
    p->set_description(e.description);
  }
}

std::vector<FieldError> FromPb(const Repeated<pb::FieldErrorPb>& in) {
  std::vector<FieldError> out;
  out.reserve(in.size());
  for (const auto& e : in) out.push_back({e.field(), e.description()});
  return out;
}

// A stored role name. Absent in field metadata written before roles were kept (their writers
// were field roles); `what` names the entity in the DATA_LOSS message of any other bad name.
absl::StatusOr<Role> StoredRole(const std::string& name, bool absent_is_field_role,
                                const char* what) {
  if (name.empty() && absent_is_field_role) return Role::kEnumerator;
  std::optional<Role> role = ParseRole(name);
  if (!role) return absl::DataLossError(absl::StrCat("stored ", what, " has an unknown role"));
  return *role;
}

// ---- Mutations, receipts, device reports ----

void ToPb(const Mutation& m, pb::MutationPb* out) {
  out->set_device_seq(m.device_seq);
  out->set_record_id(m.record_id);
  out->set_form_id(m.form_id);
  out->set_form_version(m.form_version);
  out->set_base_version(m.base_version);
  // An invalid op is kept as 0 (as sent: it is why the mutation is quarantined).
  const bool known = m.op == MutationOp::kUpsert || m.op == MutationOp::kDelete;
  out->set_op(known ? static_cast<int32_t>(m.op) : 0);
  auto* fields = out->mutable_fields();
  for (const auto& [name, value] : m.fields) ToPb(value, &(*fields)[name]);
  ToPb(m.hlc, out->mutable_hlc());
  out->set_parent_record_id(m.parent_record_id);
  out->set_repeat(m.repeat);
  out->set_ordinal(m.ordinal);
}

Mutation FromPb(const pb::MutationPb& m) {
  Mutation out;
  out.device_seq = m.device_seq();
  out.record_id = m.record_id();
  out.form_id = m.form_id();
  out.form_version = m.form_version();
  out.base_version = m.base_version();
  const bool known = m.op() == static_cast<int32_t>(MutationOp::kUpsert) ||
                     m.op() == static_cast<int32_t>(MutationOp::kDelete);
  out.op = known ? static_cast<MutationOp>(m.op()) : static_cast<MutationOp>(0);
  for (const auto& [name, value] : m.fields()) out.fields.emplace(name, FromPb(value));
  out.hlc = FromPb(m.hlc());
  out.parent_record_id = m.parent_record_id();
  out.repeat = m.repeat();
  out.ordinal = m.ordinal();
  return out;
}

bool KnownOutcome(int32_t o) {
  return o >= static_cast<int32_t>(Outcome::kApplied) &&
         o <= static_cast<int32_t>(Outcome::kOutOfOrder);
}

void ToPb(const DeviceReport& r, pb::DeviceReportPb* out) {
  out->set_app_version(r.app_version);
  for (const auto& [k, v] : r.form_versions) (*out->mutable_form_versions())[k] = v;
  out->set_outbox_depth(r.outbox_depth);
  out->set_oldest_unsent_age_ms(r.oldest_unsent_age_ms);
  out->set_device_clock_ms(r.device_clock_ms);
  out->set_free_storage_bytes(r.free_storage_bytes);
}

DeviceReport FromPb(const pb::DeviceReportPb& r) {
  DeviceReport out;
  out.app_version = r.app_version();
  for (const auto& [k, v] : r.form_versions()) out.form_versions[k] = v;
  out.outbox_depth = r.outbox_depth();
  out.oldest_unsent_age_ms = r.oldest_unsent_age_ms();
  out.device_clock_ms = r.device_clock_ms();
  out.free_storage_bytes = r.free_storage_bytes();
  return out;
}

}  // namespace

// The hot encoders build their messages on an arena: one allocation block, freed at once.
std::string Encode(const Record& r) {
  google::protobuf::Arena arena;
  pb::RecordPb& p = *google::protobuf::Arena::CreateMessage<pb::RecordPb>(&arena);
  p.set_record_id(r.record_id);
  p.set_form_id(r.form_id);
  p.set_form_version(r.form_version);
  p.set_version(r.version);
  p.set_seq(r.seq);
  p.set_deleted(r.deleted);
  p.set_open_conflict(r.open_conflict);
  p.set_last_writer_device(r.last_writer_device);
  p.mutable_field_values()->Reserve(static_cast<int>(r.fields.size()));
  for (const auto& [name, value] : r.fields) {
    auto* nv = p.add_field_values();
    nv->set_name(name);
    ToPb(value, nv->mutable_value());
  }
  // Group fields by identical metadata (usually one group per change).
  std::vector<std::pair<const FieldMeta*, pb::FieldMetaGroupPb*>> groups;
  for (const auto& [name, m] : r.field_meta) {
    pb::FieldMetaGroupPb* group = nullptr;
    for (auto& [meta, g] : groups) {
      if (meta->version == m.version && meta->hlc == m.hlc && meta->device_id == m.device_id &&
          meta->role == m.role) {
        group = g;
        break;
      }
    }
    if (group == nullptr) {
      group = p.add_field_meta_groups();
      group->mutable_meta()->set_version(m.version);
      ToPb(m.hlc, group->mutable_meta()->mutable_hlc());
      group->mutable_meta()->set_device_id(m.device_id);
      group->mutable_meta()->set_role(RoleName(m.role));
      groups.emplace_back(&m, group);
    }
    group->add_fields(name);
  }
  p.set_content_hash(r.content_hash);
  p.set_updated_ms(r.updated_ms);
  p.set_deleted_version(r.deleted_version);
  if (r.is_child()) {
    p.set_parent_record_id(r.parent_record_id);
    p.set_repeat(r.repeat);
    p.set_ordinal(r.ordinal);
    p.set_root_record_id(r.root_record_id);
    ToPb(r.root_scope, p.mutable_root_scope());
  }
  return p.SerializeAsString();
}

absl::Status Decode(std::string_view in, Record* out) {
  google::protobuf::Arena arena;
  pb::RecordPb& p = *google::protobuf::Arena::CreateMessage<pb::RecordPb>(&arena);
  if (auto s = Parse(in, &p, "record"); !s.ok()) return s;
  out->record_id = p.record_id();
  out->form_id = p.form_id();
  out->form_version = p.form_version();
  out->version = p.version();
  out->seq = p.seq();
  out->deleted = p.deleted();
  out->open_conflict = p.open_conflict();
  out->last_writer_device = p.last_writer_device();
  out->fields.clear();
  for (const auto& nv : p.field_values()) {
    out->fields.emplace_hint(out->fields.end(), nv.name(), FromPb(nv.value()));
  }
  out->field_meta.clear();
  for (const auto& g : p.field_meta_groups()) {
    absl::StatusOr<Role> role =
        StoredRole(g.meta().role(), /*absent_is_field_role=*/true, "record's field metadata");
    if (!role.ok()) return role.status();
    FieldMeta meta{g.meta().version(), FromPb(g.meta().hlc()), g.meta().device_id(), *role};
    for (const auto& name : g.fields()) out->field_meta[name] = meta;
  }
  out->content_hash = p.content_hash();
  out->updated_ms = p.updated_ms();
  out->deleted_version = p.deleted_version();
  out->parent_record_id = p.parent_record_id();
  out->repeat = p.repeat();
  out->ordinal = p.ordinal();
  out->root_record_id = p.root_record_id();
  out->root_scope = FromPb(p.root_scope());
  return absl::OkStatus();
}

std::string Encode(const ChangeEntry& c) {
  google::protobuf::Arena arena;
  pb::ChangePb& p = *google::protobuf::Arena::CreateMessage<pb::ChangePb>(&arena);
  p.set_seq(c.seq);
  p.set_record_id(c.record_id);
  p.set_form_id(c.form_id);
  p.set_form_version(c.form_version);
  p.set_version(c.version);
  p.set_created(c.created);
  p.set_deleted_before(c.deleted_before);
  p.set_deleted_after(c.deleted_after);
  p.mutable_changes()->Reserve(static_cast<int>(c.changes.size()));
  for (const auto& fc : c.changes) {
    auto* f = p.add_changes();
    f->set_field(fc.field);
    ToPb(fc.before, f->mutable_before());
    ToPb(fc.after, f->mutable_after());
  }
  ToPb(c.scope_before, p.mutable_scope_before());
  ToPb(c.scope_after, p.mutable_scope_after());
  p.set_device_id(c.device_id);
  p.set_commit_time_ms(c.commit_time_ms);
  p.set_parent_record_id(c.parent_record_id);
  p.set_repeat(c.repeat);
  p.set_ordinal(c.ordinal);
  p.set_root_record_id(c.root_record_id);
  return p.SerializeAsString();
}

absl::Status Decode(std::string_view in, ChangeEntry* out) {
  google::protobuf::Arena arena;
  pb::ChangePb& p = *google::protobuf::Arena::CreateMessage<pb::ChangePb>(&arena);
  if (auto s = Parse(in, &p, "change"); !s.ok()) return s;
  out->seq = p.seq();
  out->record_id = p.record_id();
  out->form_id = p.form_id();
  out->form_version = p.form_version();
  out->version = p.version();
  out->created = p.created();
  out->deleted_before = p.deleted_before();
  out->deleted_after = p.deleted_after();
  out->changes.clear();
  out->changes.reserve(p.changes_size());
  for (const auto& f : p.changes()) {
    out->changes.push_back({f.field(), FromPb(f.before()), FromPb(f.after())});
  }
  out->scope_before = FromPb(p.scope_before());
  out->scope_after = FromPb(p.scope_after());
  out->device_id = p.device_id();
  out->commit_time_ms = p.commit_time_ms();
  out->parent_record_id = p.parent_record_id();
  out->repeat = p.repeat();
  out->ordinal = p.ordinal();
  out->root_record_id = p.root_record_id();
  return absl::OkStatus();
}

std::string Encode(const ConflictEntry& c) {
  pb::ConflictPb p;
  p.set_record_id(c.record_id);
  p.set_form_id(c.form_id);
  p.set_seq(c.seq);
  p.set_field(c.field);
  p.set_base_version(c.base_version);
  ToPb(c.server_value, p.mutable_server_value());
  ToPb(c.device_value, p.mutable_device_value());
  p.set_server_writer(c.server_writer);
  p.set_device_writer(c.device_writer);
  ToPb(c.server_hlc, p.mutable_server_hlc());
  ToPb(c.device_hlc, p.mutable_device_hlc());
  p.set_device_won(c.device_won);
  p.set_delete_conflict(c.delete_conflict);
  p.set_device_seq(c.device_seq);
  p.set_open(c.open);
  p.set_created_ms(c.created_ms);
  return p.SerializeAsString();
}

absl::Status Decode(std::string_view in, ConflictEntry* out) {
  pb::ConflictPb p;
  if (auto s = Parse(in, &p, "conflict"); !s.ok()) return s;
  out->record_id = p.record_id();
  out->form_id = p.form_id();
  out->seq = p.seq();
  out->field = p.field();
  out->base_version = p.base_version();
  out->server_value = FromPb(p.server_value());
  out->device_value = FromPb(p.device_value());
  out->server_writer = p.server_writer();
  out->device_writer = p.device_writer();
  out->server_hlc = FromPb(p.server_hlc());
  out->device_hlc = FromPb(p.device_hlc());
  out->device_won = p.device_won();
  out->delete_conflict = p.delete_conflict();
  out->device_seq = p.device_seq();
  out->open = p.open();
  out->created_ms = p.created_ms();
  return absl::OkStatus();
}

std::string Encode(const QuarantineEntry& q) {
  pb::QuarantinePb p;
  p.set_device_id(q.device_id);
  ToPb(q.mutation, p.mutable_mutation());
  ToPb(q.errors, p.mutable_errors());
  p.set_reason(q.reason);
  p.set_received_ms(q.received_ms);
  return p.SerializeAsString();
}

absl::Status Decode(std::string_view in, QuarantineEntry* out) {
  pb::QuarantinePb p;
  if (auto s = Parse(in, &p, "quarantine entry"); !s.ok()) return s;
  out->device_id = p.device_id();
  out->mutation = FromPb(p.mutation());
  out->errors = FromPb(p.errors());
  out->reason = p.reason();
  out->received_ms = p.received_ms();
  return absl::OkStatus();
}

std::string Encode(const Device& d) {
  pb::DevicePb p;
  p.set_device_id(d.device_id);
  p.set_role(RoleName(d.role));
  p.set_all_scopes(d.all_scopes);
  ToPb(d.scopes, p.mutable_scopes());
  p.set_token_hash(d.token_hash);
  p.set_revoked(d.revoked);
  p.set_created_ms(d.created_ms);
  p.set_token_expires_ms(d.token_expires_ms);
  p.set_token_issued_ms(d.token_issued_ms);
  p.set_label(d.label);
  return p.SerializeAsString();
}

absl::Status Decode(std::string_view in, Device* out) {
  pb::DevicePb p;
  if (auto s = Parse(in, &p, "device"); !s.ok()) return s;
  out->device_id = p.device_id();
  absl::StatusOr<Role> role = StoredRole(p.role(), /*absent_is_field_role=*/false, "device");
  if (!role.ok()) return role.status();
  out->role = *role;
  out->all_scopes = p.all_scopes();
  out->scopes = FromPb(p.scopes());
  out->token_hash = p.token_hash();
  out->revoked = p.revoked();
  out->created_ms = p.created_ms();
  out->token_expires_ms = p.token_expires_ms();
  out->token_issued_ms = p.token_issued_ms();
  out->label = p.label();
  return absl::OkStatus();
}

std::string Encode(const EnrollmentCode& c) {
  pb::EnrollmentCodePb p;
  p.set_code_hash(c.code_hash);
  p.set_code_id(c.code_id);
  p.set_role(RoleName(c.role));
  p.set_all_scopes(c.all_scopes);
  ToPb(c.scopes, p.mutable_scopes());
  p.set_created_ms(c.created_ms);
  p.set_expires_ms(c.expires_ms);
  p.set_created_by(c.created_by);
  p.set_used_ms(c.used_ms);
  p.set_used_by(c.used_by);
  return p.SerializeAsString();
}

absl::Status Decode(std::string_view in, EnrollmentCode* out) {
  pb::EnrollmentCodePb p;
  if (auto s = Parse(in, &p, "enrollment code"); !s.ok()) return s;
  out->code_hash = p.code_hash();
  out->code_id = p.code_id();
  absl::StatusOr<Role> role =
      StoredRole(p.role(), /*absent_is_field_role=*/false, "enrollment code");
  if (!role.ok()) return role.status();
  out->role = *role;
  out->all_scopes = p.all_scopes();
  out->scopes = FromPb(p.scopes());
  out->created_ms = p.created_ms();
  out->expires_ms = p.expires_ms();
  out->created_by = p.created_by();
  out->used_ms = p.used_ms();
  out->used_by = p.used_by();
  return absl::OkStatus();
}

std::string Encode(const WebhookTarget& t) {
  pb::WebhookTargetPb p;
  p.set_target_id(t.target_id);
  p.set_url(t.url);
  for (const auto& f : t.form_ids) p.add_form_ids(f);
  ToPb(t.scopes, p.mutable_scopes());
  p.set_events(t.events);
  p.set_secret(t.secret);
  p.set_enabled(t.enabled);
  p.set_created_ms(t.created_ms);
  return p.SerializeAsString();
}

absl::Status Decode(std::string_view in, WebhookTarget* out) {
  pb::WebhookTargetPb p;
  if (auto s = Parse(in, &p, "webhook target"); !s.ok()) return s;
  out->target_id = p.target_id();
  out->url = p.url();
  out->form_ids.assign(p.form_ids().begin(), p.form_ids().end());
  out->scopes = FromPb(p.scopes());
  out->events = p.events();
  out->secret = p.secret();
  out->enabled = p.enabled();
  out->created_ms = p.created_ms();
  return absl::OkStatus();
}

std::string Encode(const WebhookState& s) {
  pb::WebhookStatePb p;
  p.set_next_seq(s.next_seq);
  p.set_delivered(s.delivered);
  p.set_dead_lettered(s.dead_lettered);
  p.set_dropped(s.dropped);
  p.set_last_success_ms(s.last_success_ms);
  p.set_last_error(s.last_error);
  p.set_last_error_ms(s.last_error_ms);
  return p.SerializeAsString();
}

absl::Status Decode(std::string_view in, WebhookState* out) {
  pb::WebhookStatePb p;
  if (auto s = Parse(in, &p, "webhook state"); !s.ok()) return s;
  out->next_seq = p.next_seq();
  out->delivered = p.delivered();
  out->dead_lettered = p.dead_lettered();
  out->dropped = p.dropped();
  out->last_success_ms = p.last_success_ms();
  out->last_error = p.last_error();
  out->last_error_ms = p.last_error_ms();
  return absl::OkStatus();
}

std::string Encode(const OpenRosaSubmission& s) {
  pb::OpenRosaSubmissionPb p;
  p.set_instance_id(s.instance_id);
  p.set_record_id(s.record_id);
  p.set_content_hash(s.content_hash);
  for (const auto& m : s.media) p.add_media(m);
  p.set_device_id(s.device_id);
  p.set_received_ms(s.received_ms);
  return p.SerializeAsString();
}

absl::Status Decode(std::string_view in, OpenRosaSubmission* out) {
  pb::OpenRosaSubmissionPb p;
  if (auto s = Parse(in, &p, "openrosa submission"); !s.ok()) return s;
  out->instance_id = p.instance_id();
  out->record_id = p.record_id();
  out->content_hash = p.content_hash();
  out->media.assign(p.media().begin(), p.media().end());
  out->device_id = p.device_id();
  out->received_ms = p.received_ms();
  return absl::OkStatus();
}

std::string Encode(const DeadLetter& d) {
  pb::DeadLetterPb p;
  p.set_target_id(d.target_id);
  p.set_seq(d.seq);
  p.set_attempts(d.attempts);
  p.set_last_error(d.last_error);
  p.set_failed_ms(d.failed_ms);
  p.set_event(d.event);
  p.set_payload(d.payload);
  return p.SerializeAsString();
}

absl::Status Decode(std::string_view in, DeadLetter* out) {
  pb::DeadLetterPb p;
  if (auto s = Parse(in, &p, "dead letter"); !s.ok()) return s;
  out->target_id = p.target_id();
  out->seq = p.seq();
  out->attempts = p.attempts();
  out->last_error = p.last_error();
  out->failed_ms = p.failed_ms();
  out->event = p.event();
  out->payload = p.payload();
  return absl::OkStatus();
}

std::string Encode(const DeviceSyncState& s) {
  pb::DeviceSyncStatePb p;
  p.set_acked_seq(s.acked_seq);
  p.set_last_seen_ms(s.last_seen_ms);
  p.set_last_push_ms(s.last_push_ms);
  p.set_last_pull_ms(s.last_pull_ms);
  p.set_last_pull_seq(s.last_pull_seq);
  p.set_clock_skew_ms(s.clock_skew_ms);
  p.set_quarantined(s.quarantined);
  p.set_conflicts(s.conflicts);
  ToPb(s.report, p.mutable_report());
  return p.SerializeAsString();
}

absl::Status Decode(std::string_view in, DeviceSyncState* out) {
  pb::DeviceSyncStatePb p;
  if (auto s = Parse(in, &p, "device state"); !s.ok()) return s;
  out->acked_seq = p.acked_seq();
  out->last_seen_ms = p.last_seen_ms();
  out->last_push_ms = p.last_push_ms();
  out->last_pull_ms = p.last_pull_ms();
  out->last_pull_seq = p.last_pull_seq();
  out->clock_skew_ms = p.clock_skew_ms();
  out->quarantined = p.quarantined();
  out->conflicts = p.conflicts();
  out->report = FromPb(p.report());
  return absl::OkStatus();
}

std::string Encode(const Receipt& r) {
  pb::ReceiptPb p;
  p.set_device_seq(r.device_seq);
  p.set_record_id(r.record_id);
  p.set_content_hash(r.content_hash);
  p.set_outcome(static_cast<int32_t>(r.outcome));
  if (r.original_outcome) p.set_original_outcome(static_cast<int32_t>(*r.original_outcome));
  p.set_record_version(r.record_version);
  p.set_seq(r.seq);
  for (const auto& f : r.conflict_fields) p.add_conflict_fields(f);
  ToPb(r.errors, p.mutable_errors());
  p.set_expected_device_seq(r.expected_device_seq);
  return p.SerializeAsString();
}

absl::Status Decode(std::string_view in, Receipt* out) {
  pb::ReceiptPb p;
  if (auto s = Parse(in, &p, "receipt"); !s.ok()) return s;
  if (!KnownOutcome(p.outcome()) ||
      (p.original_outcome() != 0 && !KnownOutcome(p.original_outcome()))) {
    return absl::DataLossError("stored receipt has an unknown outcome");
  }
  out->device_seq = p.device_seq();
  out->record_id = p.record_id();
  out->content_hash = p.content_hash();
  out->outcome = static_cast<Outcome>(p.outcome());
  out->original_outcome = p.original_outcome() != 0
                              ? std::optional<Outcome>(static_cast<Outcome>(p.original_outcome()))
                              : std::nullopt;
  out->record_version = p.record_version();
  out->seq = p.seq();
  out->conflict_fields.assign(p.conflict_fields().begin(), p.conflict_fields().end());
  out->errors = FromPb(p.errors());
  out->expected_device_seq = p.expected_device_seq();
  return absl::OkStatus();
}

// ---- Forms ----

std::string Encode(const Form& f) {
  pb::FormPb p;
  p.set_form_id(f.form_id);
  p.set_version(f.version);
  p.set_title(f.title);
  for (const auto& fd : f.fields) {
    auto* d = p.add_fields();
    d->set_name(fd.name);
    d->set_type(static_cast<int32_t>(fd.type));
    d->set_required(fd.required);
    if (fd.min) d->set_min(*fd.min);
    if (fd.max) d->set_max(*fd.max);
    d->set_regex(fd.regex);
    for (const auto& c : fd.choices) d->add_choices(c);
    d->set_pii(fd.pii);
    d->set_label(fd.label);
    convert::internal::FieldV2ToPb(fd, d);
  }
  for (const auto& s : f.scope_fields) p.add_scope_fields(s);
  p.set_edit_policy(static_cast<int32_t>(f.edit_policy));
  p.set_conflict_policy(static_cast<int32_t>(f.conflict_policy));
  for (const auto& a : f.aggregations) {
    auto* ap = p.add_aggregations();
    ap->set_name(a.name);
    for (const auto& g : a.group_by) ap->add_group_by(g);
    ap->set_time_field(a.time_field);
    ap->set_bucket(static_cast<int32_t>(a.bucket));
    for (const auto& m : a.measures) {
      auto* mp = ap->add_measures();
      mp->set_name(m.name);
      mp->set_kind(static_cast<int32_t>(m.kind));
      mp->set_field(m.field);
    }
  }
  convert::internal::FormV2ToPb(f, &p);
  return p.SerializeAsString();
}

namespace {

// `v` as an enum whose values run from `first` to `last`; 0 is `unspecified` if that is set.
template <typename E>
absl::StatusOr<E> StoredEnum(int32_t v, E first, E last, std::optional<E> unspecified,
                             const std::string& what) {
  if (v == 0 && unspecified) return *unspecified;
  if (v < static_cast<int32_t>(first) || v > static_cast<int32_t>(last)) {
    return absl::DataLossError(absl::StrCat("stored form has an unknown ", what, " (", v, ")"));
  }
  return static_cast<E>(v);
}

}  // namespace

absl::Status Decode(std::string_view in, Form* out) {
  pb::FormPb p;
  if (auto s = Parse(in, &p, "form"); !s.ok()) return s;
  Form f;
  f.form_id = p.form_id();
  f.version = p.version();
  f.title = p.title();
  f.fields.reserve(p.fields_size());
  for (const auto& d : p.fields()) {
    FieldDef fd;
    fd.name = d.name();
    absl::StatusOr<FieldType> type =
        StoredEnum<FieldType>(d.type(), FieldType::kString, FieldType::kAttachment, std::nullopt,
                              absl::StrCat("type of field '", d.name(), "'"));
    if (!type.ok()) return type.status();
    fd.type = *type;
    fd.required = d.required();
    if (d.has_min()) fd.min = d.min();
    if (d.has_max()) fd.max = d.max();
    fd.regex = d.regex();
    fd.choices.assign(d.choices().begin(), d.choices().end());
    fd.pii = d.pii();
    fd.label = d.label();
    convert::internal::FieldV2FromPb(d, &fd);
    f.fields.push_back(std::move(fd));
  }
  f.scope_fields.assign(p.scope_fields().begin(), p.scope_fields().end());
  absl::StatusOr<EditPolicy> edit =
      StoredEnum<EditPolicy>(p.edit_policy(), EditPolicy::kMutable, EditPolicy::kAppendOnly,
                             EditPolicy::kMutable, "edit policy");
  if (!edit.ok()) return edit.status();
  f.edit_policy = *edit;
  absl::StatusOr<ConflictPolicy> conflict = StoredEnum<ConflictPolicy>(
      p.conflict_policy(), ConflictPolicy::kLastWriterWins, ConflictPolicy::kRolePriority,
      ConflictPolicy::kLastWriterWins, "conflict policy");
  if (!conflict.ok()) return conflict.status();
  f.conflict_policy = *conflict;
  for (const auto& ap : p.aggregations()) {
    AggregationDef a;
    a.name = ap.name();
    a.group_by.assign(ap.group_by().begin(), ap.group_by().end());
    a.time_field = ap.time_field();
    absl::StatusOr<TimeBucket> bucket = StoredEnum<TimeBucket>(
        ap.bucket(), TimeBucket::kDay, TimeBucket::kMonth, TimeBucket::kDay, "time bucket");
    if (!bucket.ok()) return bucket.status();
    a.bucket = *bucket;
    for (const auto& mp : ap.measures()) {
      absl::StatusOr<Measure::Kind> kind = StoredEnum<Measure::Kind>(
          mp.kind(), Measure::Kind::kCount, Measure::Kind::kSum, std::nullopt, "measure kind");
      if (!kind.ok()) return kind.status();
      a.measures.push_back(Measure{mp.name(), *kind, mp.field()});
    }
    f.aggregations.push_back(std::move(a));
  }
  convert::internal::FormV2FromPb(p, &f);
  *out = std::move(f);
  return absl::OkStatus();
}

}  // namespace fieldsync::codec
