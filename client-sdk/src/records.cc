// The record API of Client::Impl: local edits, each one synced write of the record, its
// outbox entry, the seq counter and the clock.
#include <algorithm>
#include <deque>
#include <tuple>
#include <utility>

#include "absl/strings/str_cat.h"
#include "client-sdk/src/client_impl.h"
#include "client-sdk/src/values.h"
#include "server/common/clock.h"
#include "server/common/hash.h"
#include "server/common/status.h"
#include "server/convert/convert.h"
#include "server/forms/record_checks.h"

namespace fieldsync::client {

namespace {

// Printable ASCII without spaces, at most 128 bytes (the server's rule), so never '\0'.
bool ValidRecordId(const std::string& id) {
  if (id.empty() || id.size() > 128) return false;
  return std::all_of(id.begin(), id.end(), [](unsigned char c) { return c > 0x20 && c < 0x7f; });
}

std::string NewRecordId() {
  std::string h = RandomHex(16);
  h[12] = '4';                                                  // UUID version 4
  h[16] = "89ab"[std::stoi(h.substr(16, 1), nullptr, 16) & 3];  // variant 10xx
  return absl::StrCat(h.substr(0, 8), "-", h.substr(8, 4), "-", h.substr(12, 4), "-",
                      h.substr(16, 4), "-", h.substr(20, 12));
}

Record ToRecord(const local::LocalRecord& r) {
  Record out;
  out.record_id = r.record_id();
  out.form_id = r.form_id();
  out.form_version = r.form_version();
  out.server_version = r.base_version();
  out.fields = FromProto(r.fields());
  out.deleted = r.deleted();
  out.pending_edits = r.pending();
  out.conflict = r.conflict();
  out.rejected = r.rejected();
  for (const auto& e : r.rejection()) out.rejection.push_back({e.field(), e.description()});
  out.updated_ms = r.updated_ms();
  out.parent_record_id = r.parent_record_id();
  out.repeat = r.repeat();
  out.ordinal = r.ordinal();
  return out;
}

// A child's every edit names its place (the server checks it never changes), so an edit that
// must recreate a record the server refused carries it too.
void SetPlace(const local::LocalRecord& r, v1::Mutation* m) {
  if (r.parent_record_id().empty()) return;
  m->set_parent_record_id(r.parent_record_id());
  m->set_repeat(r.repeat());
  m->set_ordinal(r.ordinal());
}

absl::Status InvalidValues(const std::vector<fieldsync::FieldError>& errors) {
  std::string msg = "invalid values:";
  for (const auto& e : errors) absl::StrAppend(&msg, " ", e.field, " (", e.description, ");");
  msg.pop_back();
  return InvalidFieldsError(msg, errors);
}

// Whether `s` is well-formed UTF-8 (no overlong forms, surrogates or code points past U+10FFFF).
bool IsUtf8(const std::string& s) {
  size_t i = 0;
  while (i < s.size()) {
    const unsigned char c = static_cast<unsigned char>(s[i]);
    size_t n = 0;
    unsigned char lo = 0x80, hi = 0xBF;  // bounds of the second byte
    if (c < 0x80) {
      ++i;
      continue;
    } else if (c >= 0xC2 && c <= 0xDF) {
      n = 1;
    } else if (c >= 0xE0 && c <= 0xEF) {
      n = 2;
      if (c == 0xE0) lo = 0xA0;
      if (c == 0xED) hi = 0x9F;
    } else if (c >= 0xF0 && c <= 0xF4) {
      n = 3;
      if (c == 0xF0) lo = 0x90;
      if (c == 0xF4) hi = 0x8F;
    } else {
      return false;
    }
    if (i + n >= s.size()) return false;  // cut short
    for (size_t k = 1; k <= n; ++k) {
      const unsigned char b = static_cast<unsigned char>(s[i + k]);
      if (k == 1 ? (b < lo || b > hi) : (b < 0x80 || b > 0xBF)) return false;
    }
    i += n + 1;
  }
  return true;
}

// Text that is not UTF-8 could neither be sent (the server refuses the whole batch it is in)
// nor read back from the local store: such a field is refused here, alone.
void AddUtf8Errors(const v1::Mutation& m, std::vector<fieldsync::FieldError>* errors) {
  for (const auto& [name, value] : m.fields()) {
    bool ok = IsUtf8(name);
    if (value.kind_case() == v1::Value::kText) ok = ok && IsUtf8(value.text());
    if (value.kind_case() == v1::Value::kChoices) {
      for (const auto& c : value.choices().values()) ok = ok && IsUtf8(c);
    }
    if (!ok) errors->push_back({IsUtf8(name) ? name : "(field name)", "not valid UTF-8 text"});
  }
}

}  // namespace

void Rebase(local::LocalRecord* rec, const std::vector<local::OutboxEntry>& pending) {
  *rec->mutable_fields() = rec->base_fields();
  rec->set_deleted(rec->base_deleted());
  for (const auto& e : pending) {
    const auto& m = e.mutation();
    if (m.op() == v1::Mutation::DELETE) {
      rec->set_deleted(true);
      continue;
    }
    rec->set_deleted(false);
    for (const auto& [k, v] : m.fields()) {
      if (v.kind_case() == v1::Value::KIND_NOT_SET) {
        rec->mutable_fields()->erase(k);
      } else {
        (*rec->mutable_fields())[k] = v;
      }
    }
  }
}

int64_t Client::Impl::NowMs() const {
  return options_.now_ms ? options_.now_ms() : SystemClock::Default()->NowMs();
}

absl::StatusOr<std::shared_ptr<const FormSchema>> Client::Impl::Schema(
    const std::string& form_id) const {
  FS_ASSIGN_OR_RETURN(std::optional<v1::Form> form, store_->GetForm(form_id));
  if (!form) {
    return absl::FailedPreconditionError(absl::StrCat(
        "form \"", form_id, "\" is not known on this device: run a sync (or init) first"));
  }
  auto it = schemas_.find(form_id);
  if (it != schemas_.end() && it->second->form().version == form->version()) return it->second;
  FS_ASSIGN_OR_RETURN(Form model, convert::FromProto(*form));
  FS_ASSIGN_OR_RETURN(std::shared_ptr<const FormSchema> schema,
                      FormSchema::Compile(std::move(model), SchemaLimits{}));
  schemas_[form_id] = schema;
  return schema;
}

void Client::Impl::StageMutation(v1::Mutation* m, LocalStore::Batch* batch, uint64_t* seq,
                                 HlcState* hlc) {
  const int64_t now = NowMs();
  *hlc = NextHlc(*hlc, now);
  m->set_device_seq((*seq)++);
  m->mutable_hlc()->set_physical_ms(hlc->physical_ms);
  m->mutable_hlc()->set_logical(hlc->logical);
  m->mutable_hlc()->set_device_id(options_.device_id);
  local::OutboxEntry e;
  *e.mutable_mutation() = *m;
  e.set_created_ms(now);
  batch->PutOutbox(e);
}

absl::Status Client::Impl::Commit(LocalStore::Batch* batch, uint64_t seq, HlcState hlc) {
  batch->PutMetaU64(kMetaNextSeq, seq);
  batch->PutMetaU64(kMetaHlcMs, static_cast<uint64_t>(hlc.physical_ms));
  batch->PutMetaU64(kMetaHlcLogical, hlc.logical);
  FS_RETURN_IF_ERROR(store_->Write(batch));
  // Only a durable write moves the in-memory counters, so a failed write leaves no gap.
  next_seq_ = seq;
  hlc_ = hlc;
  return absl::OkStatus();
}

absl::Status Client::Impl::StageCreate(const std::string& form_id, const Fields& fields,
                                       const std::string& record_id, const ChildPlace* child,
                                       LocalStore::Batch* batch, uint64_t* seq, HlcState* hlc) {
  if (!ValidRecordId(record_id)) {
    return absl::InvalidArgumentError(absl::StrCat(
        "record id must be 1-128 printable characters without spaces: \"", record_id, "\""));
  }
  FS_ASSIGN_OR_RETURN(auto schema, Schema(form_id));
  FS_ASSIGN_OR_RETURN(std::optional<local::LocalRecord> existing, store_->GetRecord(record_id));
  if (existing) return absl::AlreadyExistsError(absl::StrCat("record ", record_id, " exists"));
  v1::Mutation m;
  m.set_record_id(record_id);
  m.set_form_id(form_id);
  m.set_form_version(schema->form().version);
  m.set_base_version(0);
  m.set_op(v1::Mutation::UPSERT);
  const std::string repeat = child != nullptr ? child->repeat : "";
  if (child != nullptr) {
    m.set_parent_record_id(child->parent_record_id);
    m.set_repeat(child->repeat);
    m.set_ordinal(child->ordinal);
  }
  for (const auto& [k, v] : fields) {
    if (!std::holds_alternative<std::monostate>(v)) ToProto(v, &(*m.mutable_fields())[k]);
  }
  std::vector<fieldsync::FieldError> errors;
  AddUtf8Errors(m, &errors);
  if (!errors.empty()) return InvalidValues(errors);
  FieldMap model = convert::FromProto(m.fields());
  errors = schema->CheckValues(model, RecordLimits{}, repeat);
  for (auto& e : schema->CheckRequired(model, repeat)) {
    if (std::none_of(errors.begin(), errors.end(),
                     [&](const auto& x) { return x.field == e.field; })) {
      errors.push_back(std::move(e));
    }
  }
  if (!errors.empty()) return InvalidValues(errors);
  {
    local::LocalRecord place;
    place.set_record_id(record_id);
    place.set_parent_record_id(m.parent_record_id());
    place.set_repeat(m.repeat());
    place.set_ordinal(m.ordinal());
    FieldMap derived;
    FS_RETURN_IF_ERROR(CheckExpressions(*schema, place, &model, &derived));
    for (const auto& [k, v] : derived) {
      if (IsNull(v)) {
        m.mutable_fields()->erase(k);
      } else {
        convert::ToProto(v, &(*m.mutable_fields())[k]);
      }
    }
  }
  StageMutation(&m, batch, seq, hlc);
  local::LocalRecord rec;
  rec.set_record_id(record_id);
  rec.set_form_id(form_id);
  rec.set_form_version(m.form_version());
  rec.set_parent_record_id(m.parent_record_id());
  rec.set_repeat(m.repeat());
  rec.set_ordinal(m.ordinal());
  *rec.mutable_fields() = m.fields();
  rec.set_pending(1);
  rec.set_updated_ms(hlc->physical_ms);
  batch->PutRecord(rec);
  return absl::OkStatus();
}

absl::StatusOr<std::string> Client::Impl::Create(const std::string& form_id, const Fields& fields,
                                                 const std::string& record_id) {
  auto results = CreateMany(form_id, {fields}, {record_id});
  return results[0];
}

std::vector<absl::StatusOr<std::string>> Client::Impl::CreateMany(
    const std::string& form_id, const std::vector<Fields>& rows,
    const std::vector<std::string>& ids) {
  std::vector<absl::StatusOr<std::string>> out;
  absl::MutexLock lock(&mu_);
  LocalStore::Batch batch;
  uint64_t seq = next_seq_;
  HlcState hlc = hlc_;
  std::vector<size_t> staged;
  std::map<std::string, bool> taken;
  for (size_t i = 0; i < rows.size(); ++i) {
    std::string id = i < ids.size() && !ids[i].empty() ? ids[i] : NewRecordId();
    if (taken.count(id)) {
      out.push_back(absl::AlreadyExistsError(absl::StrCat("record ", id, " twice in one call")));
      continue;
    }
    // StageCreate checks everything before it stages anything, so a refused row leaves
    // nothing in the batch.
    absl::Status st = StageCreate(form_id, rows[i], id, nullptr, &batch, &seq, &hlc);
    if (!st.ok()) {
      out.push_back(st);
      continue;
    }
    taken[id] = true;
    staged.push_back(out.size());
    out.push_back(id);
  }
  if (staged.empty()) return out;
  absl::Status s = Commit(&batch, seq, hlc);
  if (!s.ok()) {
    for (size_t i : staged) out[i] = s;
  }
  return out;
}

absl::StatusOr<std::string> Client::Impl::CreateChild(const std::string& parent_record_id,
                                                      const std::string& repeat,
                                                      const Fields& fields,
                                                      const std::string& record_id) {
  absl::MutexLock lock(&mu_);
  FS_ASSIGN_OR_RETURN(std::optional<local::LocalRecord> parent,
                      store_->GetRecord(parent_record_id));
  if (!parent || parent->deleted()) {
    return absl::NotFoundError(absl::StrCat("no record ", parent_record_id, " on this device"));
  }
  FS_ASSIGN_OR_RETURN(auto schema, Schema(parent->form_id()));
  const Form& form = schema->form();
  const GroupDef* group = form.FindGroup(repeat);
  if (group == nullptr || !group->repeat) {
    return InvalidFieldsError(
        absl::StrCat("form ", form.form_id, " has no repeat \"", repeat, "\""),
        {{"repeat", absl::StrCat("form ", form.form_id, " has no repeat \"", repeat, "\"")}});
  }
  if (form.EnclosingRepeat(*group) != parent->repeat()) {
    const std::string around = form.EnclosingRepeat(*group);
    const std::string why =
        around.empty() ? absl::StrCat("instances of \"", repeat, "\" belong to a root record")
                       : absl::StrCat("instances of \"", repeat, "\" belong to an instance of \"",
                                      around, "\"");
    return InvalidFieldsError(why, {{"repeat", why}});
  }
  ChildPlace place{parent_record_id, repeat, 1};
  FS_ASSIGN_OR_RETURN(std::vector<std::string> siblings, store_->ChildIds(parent_record_id));
  for (const auto& id : siblings) {
    FS_ASSIGN_OR_RETURN(std::optional<local::LocalRecord> s, store_->GetRecord(id));
    if (s && s->repeat() == repeat) place.ordinal = std::max(place.ordinal, s->ordinal() + 1);
  }
  const std::string id = record_id.empty() ? NewRecordId() : record_id;
  LocalStore::Batch batch;
  uint64_t seq = next_seq_;
  HlcState hlc = hlc_;
  FS_RETURN_IF_ERROR(StageCreate(parent->form_id(), fields, id, &place, &batch, &seq, &hlc));
  FS_RETURN_IF_ERROR(Commit(&batch, seq, hlc));
  return id;
}

absl::Status Client::Impl::CheckExpressions(const FormSchema& schema, const local::LocalRecord& rec,
                                            FieldMap* full, FieldMap* changed) const {
  if (schema.expressions().empty()) return absl::OkStatus();
  // The record's tree as this device holds it: its ancestors, and the whole tree of its root
  // when the form reads repeat instances (deleted records left out).
  std::vector<local::LocalRecord> others;
  std::string root = rec.record_id();
  std::string up = rec.parent_record_id();
  for (size_t hops = 0; !up.empty() && hops <= schema.form().groups.size(); ++hops) {
    FS_ASSIGN_OR_RETURN(std::optional<local::LocalRecord> r, store_->GetRecord(up));
    if (!r || r->deleted()) break;
    root = r->record_id();
    up = r->parent_record_id();
    others.push_back(*std::move(r));
  }
  if (ChecksReadTree(schema)) {
    FS_ASSIGN_OR_RETURN(std::vector<local::LocalRecord> below, Descendants(root));
    for (auto& r : below) {
      if (!r.deleted() && r.record_id() != rec.record_id()) others.push_back(std::move(r));
    }
  }
  std::deque<FieldMap> values;
  std::vector<TreeRecord> tree;
  tree.push_back({rec.record_id(), rec.parent_record_id(), rec.repeat(), rec.ordinal(), full});
  for (const auto& r : others) {
    if (r.record_id() == rec.record_id()) continue;
    values.push_back(convert::FromProto(r.fields()));
    tree.push_back({r.record_id(), r.parent_record_id(), r.repeat(), r.ordinal(), &values.back()});
  }
  RecordCheckOptions options;
  options.language = options_.language;
  options.volatile_checks = true;  // the moment of entry is this one
  options.now = absl::FromUnixMillis(NowMs());
  options.time_zone = absl::LocalTimeZone();
  options.random = [] {
    const std::string h = RandomHex(8);
    return static_cast<uint64_t>(std::stoull(h, nullptr, 16));
  };
  for (auto& [k, v] : DerivedChanges(schema, tree, rec.record_id(), options)) {
    if (IsNull(v)) {
      full->erase(k);
    } else {
      (*full)[k] = v;
    }
    (*changed)[k] = std::move(v);
  }
  std::vector<fieldsync::FieldError> errors =
      CheckRecordExpressions(schema, tree, rec.record_id(), options);
  if (!errors.empty()) return InvalidValues(errors);
  return absl::OkStatus();
}

absl::StatusOr<std::vector<local::LocalRecord>> Client::Impl::Descendants(
    const std::string& record_id) const {
  std::vector<local::LocalRecord> out;
  std::vector<std::string> frontier{record_id};
  while (!frontier.empty()) {
    std::vector<std::string> next;
    for (const auto& id : frontier) {
      FS_ASSIGN_OR_RETURN(std::vector<std::string> children, store_->ChildIds(id));
      for (const auto& c : children) {
        FS_ASSIGN_OR_RETURN(std::optional<local::LocalRecord> r, store_->GetRecord(c));
        if (!r) continue;
        out.push_back(*std::move(r));
        next.push_back(c);
      }
    }
    frontier = std::move(next);
  }
  return out;
}

absl::StatusOr<std::vector<Record>> Client::Impl::Children(const std::string& record_id,
                                                           bool include_deleted) const {
  FS_ASSIGN_OR_RETURN(std::optional<local::LocalRecord> rec, store_->GetRecord(record_id));
  if (!rec) return absl::NotFoundError(absl::StrCat("no record ", record_id, " on this device"));
  FS_ASSIGN_OR_RETURN(std::vector<std::string> ids, store_->ChildIds(record_id));
  std::vector<Record> out;
  for (const auto& id : ids) {
    FS_ASSIGN_OR_RETURN(std::optional<local::LocalRecord> r, store_->GetRecord(id));
    if (!r || (r->deleted() && !include_deleted)) continue;
    out.push_back(ToRecord(*r));
  }
  std::sort(out.begin(), out.end(), [](const Record& a, const Record& b) {
    return std::tie(a.repeat, a.ordinal, a.record_id) < std::tie(b.repeat, b.ordinal, b.record_id);
  });
  return out;
}

absl::Status Client::Impl::Update(const std::string& record_id, const Fields& changes) {
  absl::MutexLock lock(&mu_);
  FS_ASSIGN_OR_RETURN(std::optional<local::LocalRecord> rec, store_->GetRecord(record_id));
  if (!rec || rec->deleted()) {
    return absl::NotFoundError(absl::StrCat("no record ", record_id, " on this device"));
  }
  FS_ASSIGN_OR_RETURN(auto schema, Schema(rec->form_id()));
  if (schema->form().edit_policy == EditPolicy::kAppendOnly && rec->base_version() > 0) {
    return absl::FailedPreconditionError(absl::StrCat(
        "form ", rec->form_id(), " is append-only: its records cannot be edited once synced"));
  }
  v1::Mutation m;
  m.set_record_id(record_id);
  m.set_form_id(rec->form_id());
  m.set_form_version(rec->form_version());
  m.set_base_version(rec->base_version());
  m.set_op(v1::Mutation::UPSERT);
  SetPlace(*rec, &m);
  for (const auto& [k, v] : changes) {
    v1::Value pv;
    ToProto(v, &pv);
    auto it = rec->fields().find(k);
    const bool is_null = pv.kind_case() == v1::Value::KIND_NOT_SET;
    if (it == rec->fields().end() ? is_null : ProtoValueEquals(it->second, pv)) continue;
    (*m.mutable_fields())[k] = pv;
  }
  if (m.fields().empty()) return absl::OkStatus();
  std::vector<fieldsync::FieldError> errors;
  AddUtf8Errors(m, &errors);
  if (!errors.empty()) return InvalidValues(errors);
  errors = schema->CheckValues(convert::FromProto(m.fields()), RecordLimits{}, rec->repeat());
  local::LocalRecord next = *rec;
  for (const auto& [k, v] : m.fields()) {
    if (v.kind_case() == v1::Value::KIND_NOT_SET) {
      next.mutable_fields()->erase(k);
    } else {
      (*next.mutable_fields())[k] = v;
    }
  }
  for (auto& e : schema->CheckRequired(convert::FromProto(next.fields()), rec->repeat())) {
    if (std::none_of(errors.begin(), errors.end(),
                     [&](const auto& x) { return x.field == e.field; })) {
      errors.push_back(std::move(e));
    }
  }
  if (!errors.empty()) return InvalidValues(errors);
  {
    FieldMap full = convert::FromProto(next.fields());
    FieldMap derived;
    FS_RETURN_IF_ERROR(CheckExpressions(*schema, *rec, &full, &derived));
    for (const auto& [k, v] : derived) {
      v1::Value pv;
      convert::ToProto(v, &pv);
      auto it = rec->fields().find(k);
      const bool same = it == rec->fields().end() ? IsNull(v) : ProtoValueEquals(it->second, pv);
      if (same) {
        m.mutable_fields()->erase(k);
      } else {
        (*m.mutable_fields())[k] = pv;
      }
      if (IsNull(v)) {
        next.mutable_fields()->erase(k);
      } else {
        (*next.mutable_fields())[k] = pv;
      }
    }
  }
  // A record the server never accepted (its create was rejected) is sent whole again, so
  // the server can create it.
  if (rec->base_version() == 0 && rec->pending() == 0) *m.mutable_fields() = next.fields();
  LocalStore::Batch batch;
  uint64_t seq = next_seq_;
  HlcState hlc = hlc_;
  StageMutation(&m, &batch, &seq, &hlc);
  next.set_pending(rec->pending() + 1);
  next.set_rejected(false);
  next.clear_rejection();
  next.set_updated_ms(hlc.physical_ms);
  batch.PutRecord(next);
  return Commit(&batch, seq, hlc);
}

absl::Status Client::Impl::Delete(const std::string& record_id) {
  absl::MutexLock lock(&mu_);
  FS_ASSIGN_OR_RETURN(std::optional<local::LocalRecord> rec, store_->GetRecord(record_id));
  if (!rec || rec->deleted()) {
    return absl::NotFoundError(absl::StrCat("no record ", record_id, " on this device"));
  }
  v1::Mutation m;
  m.set_record_id(record_id);
  m.set_form_id(rec->form_id());
  m.set_form_version(rec->form_version());
  m.set_base_version(rec->base_version());
  m.set_op(v1::Mutation::DELETE);
  SetPlace(*rec, &m);
  LocalStore::Batch batch;
  uint64_t seq = next_seq_;
  HlcState hlc = hlc_;
  StageMutation(&m, &batch, &seq, &hlc);
  rec->set_deleted(true);
  rec->set_pending(rec->pending() + 1);
  rec->set_updated_ms(hlc.physical_ms);
  batch.PutRecord(*rec);
  // The server deletes the subtree with the record (in the same write); so does the local
  // view, until the pulled tombstones confirm it.
  FS_ASSIGN_OR_RETURN(std::vector<local::LocalRecord> below, Descendants(record_id));
  for (auto& r : below) {
    if (r.deleted()) continue;
    r.set_deleted(true);
    r.set_updated_ms(hlc.physical_ms);
    batch.PutRecord(r);
  }
  return Commit(&batch, seq, hlc);
}

absl::StatusOr<Record> Client::Impl::Get(const std::string& record_id) const {
  FS_ASSIGN_OR_RETURN(std::optional<local::LocalRecord> rec, store_->GetRecord(record_id));
  if (!rec) return absl::NotFoundError(absl::StrCat("no record ", record_id, " on this device"));
  return ToRecord(*rec);
}

absl::StatusOr<std::vector<Record>> Client::Impl::Find(const Query& query) const {
  std::vector<Record> out;
  std::map<std::string, v1::Value> want;
  for (const auto& [k, v] : query.equals) ToProto(v, &want[k]);
  FS_RETURN_IF_ERROR(store_->ForEachRecord(query.form_id, [&](const local::LocalRecord& r) {
    if (r.deleted() && !query.include_deleted) return true;
    for (const auto& [k, v] : want) {
      auto it = r.fields().find(k);
      const bool is_null = v.kind_case() == v1::Value::KIND_NOT_SET;
      if (it == r.fields().end() ? !is_null : !ProtoValueEquals(it->second, v)) return true;
    }
    out.push_back(ToRecord(r));
    return query.limit == 0 || out.size() < query.limit;
  }));
  return out;
}

absl::StatusOr<std::vector<FormInfo>> Client::Impl::Forms() const {
  FS_ASSIGN_OR_RETURN(std::vector<v1::Form> forms, store_->Forms());
  std::vector<FormInfo> out;
  for (const auto& f : forms) out.push_back(ToFormInfo(f));
  return out;
}

absl::Status Client::Impl::RefreshForms() {
  FS_ASSIGN_OR_RETURN(v1::ListFormsResponse resp, transport_->ListForms());
  // Keep the latest version of each form.
  std::map<std::string, const v1::Form*> latest;
  for (const auto& f : resp.forms()) {
    auto& slot = latest[f.form_id()];
    if (slot == nullptr || slot->version() < f.version()) slot = &f;
  }
  absl::MutexLock lock(&mu_);
  LocalStore::Batch batch;
  for (const auto& [id, f] : latest) batch.PutForm(*f);
  if (batch.Count() == 0) return absl::OkStatus();
  return store_->Write(&batch);
}

absl::StatusOr<Fields> Client::Impl::ParseFields(
    const std::string& form_id,
    const std::vector<std::pair<std::string, std::string>>& text) const {
  FS_ASSIGN_OR_RETURN(std::optional<v1::Form> form, store_->GetForm(form_id));
  if (!form) {
    return absl::FailedPreconditionError(absl::StrCat(
        "form \"", form_id, "\" is not known on this device: run a sync (or init) first"));
  }
  Fields out;
  std::vector<fieldsync::FieldError> errors;
  for (const auto& [name, value] : text) {
    auto def = std::find_if(form->fields().begin(), form->fields().end(),
                            [&](const v1::FieldDef& d) { return d.name() == name; });
    if (def == form->fields().end()) {
      errors.push_back({name, absl::StrCat("unknown field of form ", form_id)});
      continue;
    }
    absl::StatusOr<Value> v = ParseText(def->type(), value);
    if (!v.ok()) {
      errors.push_back({name, std::string(v.status().message())});
      continue;
    }
    out[name] = *std::move(v);
  }
  if (!errors.empty()) return InvalidValues(errors);
  return out;
}

}  // namespace fieldsync::client
