#include "server/storage/codec.h"

#include <google/protobuf/arena.h>

#include "server/convert/convert.h"
#include "server/storage/storage.pb.h"

namespace fieldsync::codec {
namespace {

namespace pb = ::fieldsync::storage;
using convert::FromProto;
using convert::ToProto;

template <typename M>
absl::Status Parse(std::string_view in, M* msg, const char* what) {
  if (!msg->ParseFromArray(in.data(), static_cast<int>(in.size()))) {
    return absl::DataLossError(std::string("corrupt stored ") + what);
  }
  return absl::OkStatus();
}

void ToPb(const std::vector<ScopePair>& in,
          google::protobuf::RepeatedPtrField<pb::ScopePairPb>* out) {
  for (const auto& s : in) {
    auto* p = out->Add();
    p->set_field(s.field);
    p->set_value(s.value);
  }
}

std::vector<ScopePair> FromPb(const google::protobuf::RepeatedPtrField<pb::ScopePairPb>& in) {
  std::vector<ScopePair> out;
  out.reserve(in.size());
  for (const auto& p : in) out.push_back({p.field(), p.value()});
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
    ToProto(value, nv->mutable_value());
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
      ToProto(m.hlc, group->mutable_meta()->mutable_hlc());
      group->mutable_meta()->set_device_id(m.device_id);
      group->mutable_meta()->set_role(RoleName(m.role));
      groups.emplace_back(&m, group);
    }
    group->add_fields(name);
  }
  p.set_content_hash(r.content_hash);
  p.set_updated_ms(r.updated_ms);
  p.set_deleted_version(r.deleted_version);
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
    out->fields.emplace_hint(out->fields.end(), nv.name(), FromProto(nv.value()));
  }
  out->field_meta.clear();
  for (const auto& g : p.field_meta_groups()) {
    FieldMeta meta{g.meta().version(), FromProto(g.meta().hlc()), g.meta().device_id(),
                   ParseRole(g.meta().role()).value_or(Role::kEnumerator)};
    for (const auto& name : g.fields()) out->field_meta[name] = meta;
  }
  out->content_hash = p.content_hash();
  out->updated_ms = p.updated_ms();
  out->deleted_version = p.deleted_version();
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
  for (const auto& fc : c.changes) {
    auto* f = p.add_changes();
    f->set_field(fc.field);
    ToProto(fc.before, f->mutable_before());
    ToProto(fc.after, f->mutable_after());
  }
  ToPb(c.scope_before, p.mutable_scope_before());
  ToPb(c.scope_after, p.mutable_scope_after());
  p.set_device_id(c.device_id);
  p.set_commit_time_ms(c.commit_time_ms);
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
  for (const auto& f : p.changes()) {
    out->changes.push_back({f.field(), FromProto(f.before()), FromProto(f.after())});
  }
  out->scope_before = FromPb(p.scope_before());
  out->scope_after = FromPb(p.scope_after());
  out->device_id = p.device_id();
  out->commit_time_ms = p.commit_time_ms();
  return absl::OkStatus();
}

std::string Encode(const ConflictEntry& c) {
  pb::ConflictPb p;
  p.set_record_id(c.record_id);
  p.set_form_id(c.form_id);
  p.set_seq(c.seq);
  p.set_field(c.field);
  p.set_base_version(c.base_version);
  ToProto(c.server_value, p.mutable_server_value());
  ToProto(c.device_value, p.mutable_device_value());
  p.set_server_writer(c.server_writer);
  p.set_device_writer(c.device_writer);
  ToProto(c.server_hlc, p.mutable_server_hlc());
  ToProto(c.device_hlc, p.mutable_device_hlc());
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
  out->server_value = FromProto(p.server_value());
  out->device_value = FromProto(p.device_value());
  out->server_writer = p.server_writer();
  out->device_writer = p.device_writer();
  out->server_hlc = FromProto(p.server_hlc());
  out->device_hlc = FromProto(p.device_hlc());
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
  ToProto(q.mutation, p.mutable_mutation());
  for (const auto& e : q.errors) {
    auto* ep = p.add_errors();
    ep->set_field(e.field);
    ep->set_description(e.description);
  }
  p.set_reason(q.reason);
  p.set_received_ms(q.received_ms);
  return p.SerializeAsString();
}

absl::Status Decode(std::string_view in, QuarantineEntry* out) {
  pb::QuarantinePb p;
  if (auto s = Parse(in, &p, "quarantine entry"); !s.ok()) return s;
  out->device_id = p.device_id();
  out->mutation = FromProto(p.mutation());
  out->errors.clear();
  for (const auto& e : p.errors()) out->errors.push_back({e.field(), e.description()});
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
  auto role = ParseRole(p.role());
  if (!role) return absl::DataLossError("stored device has an unknown role");
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
  auto role = ParseRole(p.role());
  if (!role) return absl::DataLossError("stored enrollment code has an unknown role");
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
  ToProto(s.report, p.mutable_report());
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
  out->report = FromProto(p.report());
  return absl::OkStatus();
}

std::string Encode(const Receipt& r) {
  v1::Receipt p;
  ToProto(r, &p);
  return p.SerializeAsString();
}

absl::Status Decode(std::string_view in, Receipt* out) {
  v1::Receipt p;
  if (auto s = Parse(in, &p, "receipt"); !s.ok()) return s;
  *out = FromProto(p);
  return absl::OkStatus();
}

std::string Encode(const Form& f) {
  v1::Form p;
  ToProto(f, &p);
  return p.SerializeAsString();
}

absl::Status Decode(std::string_view in, Form* out) {
  v1::Form p;
  if (auto s = Parse(in, &p, "form"); !s.ok()) return s;
  auto f = FromProto(p);
  if (!f.ok()) return absl::DataLossError(std::string(f.status().message()));
  *out = *std::move(f);
  return absl::OkStatus();
}

}  // namespace fieldsync::codec
