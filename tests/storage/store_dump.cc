#include "tests/storage/store_dump.h"

#include <set>
#include <string_view>
#include <vector>

#include "absl/strings/escaping.h"
#include "absl/strings/str_cat.h"
#include "absl/strings/str_format.h"
#include "absl/strings/str_join.h"
#include "server/common/status.h"
#include "server/storage/keys.h"

namespace fieldsync::storage_test {
namespace {

absl::string_view A(std::string_view s) { return absl::string_view(s.data(), s.size()); }

std::string Q(std::string_view s) { return absl::StrCat("\"", absl::CEscape(A(s)), "\""); }

std::string D(double d) { return absl::StrFormat("%.17g", d); }

std::string V(const Value& v) {
  struct Visitor {
    std::string operator()(std::monostate) const { return "null"; }
    std::string operator()(const std::string& s) const { return absl::StrCat("text:", Q(s)); }
    std::string operator()(int64_t i) const { return absl::StrCat("int:", i); }
    std::string operator()(double d) const { return absl::StrCat("dec:", D(d)); }
    std::string operator()(bool b) const { return b ? "bool:true" : "bool:false"; }
    std::string operator()(const std::vector<std::string>& l) const {
      std::vector<std::string> q;
      for (const auto& s : l) q.push_back(Q(s));
      return absl::StrCat("list:[", absl::StrJoin(q, ","), "]");
    }
    std::string operator()(const GeoPoint& g) const {
      return absl::StrCat("geo:", D(g.latitude), "/", D(g.longitude));
    }
  };
  return std::visit(Visitor{}, v);
}

std::string H(const Hlc& h) {
  return absl::StrCat(h.physical_ms, ".", h.logical, "@", Q(h.device_id));
}

std::string Fields(const FieldMap& m) {
  std::vector<std::string> parts;
  for (const auto& [name, value] : m) parts.push_back(absl::StrCat(Q(name), "=", V(value)));
  return absl::StrCat("{", absl::StrJoin(parts, ", "), "}");
}

std::string Scopes(const std::vector<ScopePair>& s) {
  std::vector<std::string> parts;
  for (const auto& p : s) parts.push_back(absl::StrCat(Q(p.field), "=", Q(p.value)));
  return absl::StrCat("[", absl::StrJoin(parts, ", "), "]");
}

std::string Errors(const std::vector<FieldError>& errors) {
  std::vector<std::string> parts;
  for (const auto& e : errors) parts.push_back(absl::StrCat(Q(e.field), ":", Q(e.description)));
  return absl::StrCat("[", absl::StrJoin(parts, ", "), "]");
}

std::string Strings(const std::vector<std::string>& l) {
  std::vector<std::string> q;
  for (const auto& s : l) q.push_back(Q(s));
  return absl::StrCat("[", absl::StrJoin(q, ","), "]");
}

std::string OptD(const std::optional<double>& d) { return d ? D(*d) : "none"; }

std::string RenderForm(const Form& f) {
  std::string out = absl::StrCat("form ", Q(f.form_id), " v", f.version, " title=", Q(f.title),
                                 " scope_fields=", Strings(f.scope_fields),
                                 " edit=", static_cast<int>(f.edit_policy),
                                 " conflict=", static_cast<int>(f.conflict_policy), "\n");
  for (const auto& fd : f.fields) {
    absl::StrAppend(&out, "  field ", Q(fd.name), " type=", static_cast<int>(fd.type),
                    " required=", fd.required, " min=", OptD(fd.min), " max=", OptD(fd.max),
                    " regex=", Q(fd.regex), " choices=", Strings(fd.choices), " pii=", fd.pii,
                    " label=", Q(fd.label), "\n");
  }
  for (const auto& a : f.aggregations) {
    absl::StrAppend(&out, "  aggregation ", Q(a.name), " group_by=", Strings(a.group_by),
                    " time_field=", Q(a.time_field), " bucket=", static_cast<int>(a.bucket), "\n");
    for (const auto& m : a.measures) {
      absl::StrAppend(&out, "    measure ", Q(m.name), " kind=", static_cast<int>(m.kind),
                      " field=", Q(m.field), "\n");
    }
  }
  return out;
}

std::string RenderDevice(const Device& d) {
  return absl::StrCat("device ", Q(d.device_id), " role=", RoleName(d.role),
                      " all_scopes=", d.all_scopes, " scopes=", Scopes(d.scopes),
                      " token_hash=", Q(d.token_hash), " revoked=", d.revoked,
                      " created=", d.created_ms, " expires=", d.token_expires_ms,
                      " issued=", d.token_issued_ms, " label=", Q(d.label), "\n");
}

std::string RenderState(const DeviceSyncState& s) {
  std::vector<std::string> fv;
  for (const auto& [form, v] : s.report.form_versions) fv.push_back(absl::StrCat(Q(form), ":", v));
  return absl::StrCat(
      "  state acked=", s.acked_seq, " seen=", s.last_seen_ms, " push=", s.last_push_ms,
      " pull=", s.last_pull_ms, " pull_seq=", s.last_pull_seq, " skew=", s.clock_skew_ms,
      " quarantined=", s.quarantined, " conflicts=", s.conflicts,
      " report{app=", Q(s.report.app_version), " forms=[", absl::StrJoin(fv, ","),
      "] outbox=", s.report.outbox_depth, " oldest=", s.report.oldest_unsent_age_ms,
      " clock=", s.report.device_clock_ms, " free=", s.report.free_storage_bytes, "}\n");
}

std::string RenderReceipt(const Receipt& r) {
  return absl::StrCat("  receipt #", r.device_seq, " record=", Q(r.record_id),
                      " hash=", Q(r.content_hash), " outcome=", OutcomeName(r.outcome),
                      " original=", r.original_outcome ? OutcomeName(*r.original_outcome) : "none",
                      " version=", r.record_version, " seq=", r.seq,
                      " conflict_fields=", Strings(r.conflict_fields), " errors=", Errors(r.errors),
                      " expected=", r.expected_device_seq, "\n");
}

std::string RenderMutation(const Mutation& m) {
  return absl::StrCat("#", m.device_seq, " record=", Q(m.record_id), " form=", Q(m.form_id), " v",
                      m.form_version, " base=", m.base_version, " op=", static_cast<int>(m.op),
                      " hlc=", H(m.hlc), " fields=", Fields(m.fields));
}

std::string RenderQuarantine(const QuarantineEntry& q) {
  return absl::StrCat("quarantine device=", Q(q.device_id), " ", RenderMutation(q.mutation),
                      " errors=", Errors(q.errors), " reason=", Q(q.reason),
                      " received=", q.received_ms, "\n");
}

std::string RenderCode(const EnrollmentCode& c) {
  return absl::StrCat("code ", Q(c.code_hash), " id=", Q(c.code_id), " role=", RoleName(c.role),
                      " all_scopes=", c.all_scopes, " scopes=", Scopes(c.scopes),
                      " created=", c.created_ms, " expires=", c.expires_ms, " by=", Q(c.created_by),
                      " used=", c.used_ms, " used_by=", Q(c.used_by), "\n");
}

std::string RenderChange(const ChangeEntry& c) {
  std::string out =
      absl::StrCat("change seq=", c.seq, " record=", Q(c.record_id), " form=", Q(c.form_id), " v",
                   c.form_version, " version=", c.version, " created=", c.created,
                   " deleted_before=", c.deleted_before, " deleted_after=", c.deleted_after,
                   " scope_before=", Scopes(c.scope_before), " scope_after=", Scopes(c.scope_after),
                   " device=", Q(c.device_id), " time=", c.commit_time_ms, "\n");
  for (const auto& fc : c.changes) {
    absl::StrAppend(&out, "  ", Q(fc.field), ": ", V(fc.before), " -> ", V(fc.after), "\n");
  }
  return out;
}

std::string RenderRecord(const Record& r) {
  std::string out =
      absl::StrCat("record ", Q(r.record_id), " form=", Q(r.form_id), " v", r.form_version,
                   " version=", r.version, " seq=", r.seq, " deleted=", r.deleted,
                   " open_conflict=", r.open_conflict, " writer=", Q(r.last_writer_device),
                   " hash=", Q(r.content_hash), " updated=", r.updated_ms,
                   " deleted_version=", r.deleted_version, "\n  fields=", Fields(r.fields), "\n");
  for (const auto& [name, m] : r.field_meta) {
    absl::StrAppend(&out, "  meta ", Q(name), " version=", m.version, " hlc=", H(m.hlc),
                    " device=", Q(m.device_id), " role=", RoleName(m.role), "\n");
  }
  return out;
}

std::string RenderConflict(const ConflictEntry& c) {
  return absl::StrCat("conflict record=", Q(c.record_id), " form=", Q(c.form_id), " seq=", c.seq,
                      " field=", Q(c.field), " base=", c.base_version,
                      " server=", V(c.server_value), " device=", V(c.device_value),
                      " server_writer=", Q(c.server_writer), " device_writer=", Q(c.device_writer),
                      " server_hlc=", H(c.server_hlc), " device_hlc=", H(c.device_hlc),
                      " device_won=", c.device_won, " delete_conflict=", c.delete_conflict,
                      " device_seq=", c.device_seq, " open=", c.open, " created=", c.created_ms,
                      "\n");
}

}  // namespace

absl::StatusOr<std::string> DumpStore(const Store& store) {
  std::string out;
  for (std::string_view name : {keys::kHeadSeq, keys::kMinRetainedSeq, keys::kSeqReserved}) {
    FS_ASSIGN_OR_RETURN(uint64_t v, store.GetMeta(name));
    absl::StrAppend(&out, "meta ", A(name), " = ", v, "\n");
  }
  FS_ASSIGN_OR_RETURN(auto head, store.GetAuditHead());
  if (head) absl::StrAppend(&out, "meta audit_head = ", head->count, " ", head->last_hash, "\n");

  FS_ASSIGN_OR_RETURN(std::vector<Form> forms, store.ListForms());
  for (const Form& f : forms) absl::StrAppend(&out, RenderForm(f));

  FS_ASSIGN_OR_RETURN(std::vector<Device> devices, store.ListDevices());
  for (const Device& d : devices) {
    absl::StrAppend(&out, RenderDevice(d));
    if (!d.token_hash.empty()) {
      FS_ASSIGN_OR_RETURN(auto owner, store.GetDeviceIdByTokenHash(d.token_hash));
      absl::StrAppend(&out, "  token_index -> ", owner ? Q(*owner) : "none", "\n");
    }
    FS_ASSIGN_OR_RETURN(auto retired, store.GetRetiredToken(d.device_id));
    if (retired) {
      absl::StrAppend(&out, "  retired_token ", Q(retired->token_hash), " until ",
                      retired->valid_until_ms, "\n");
      FS_ASSIGN_OR_RETURN(auto owner, store.GetDeviceIdByTokenHash(retired->token_hash));
      absl::StrAppend(&out, "  retired_token_index -> ", owner ? Q(*owner) : "none", "\n");
    }
    FS_ASSIGN_OR_RETURN(DeviceSyncState state, store.GetDeviceSyncState(d.device_id));
    absl::StrAppend(&out, RenderState(state));
    FS_ASSIGN_OR_RETURN(std::vector<Receipt> receipts,
                        store.ListReceipts(d.device_id, 0, SIZE_MAX));
    for (const Receipt& r : receipts) absl::StrAppend(&out, RenderReceipt(r));
    FS_ASSIGN_OR_RETURN(std::vector<QuarantineEntry> q, store.ListQuarantine(d.device_id));
    absl::StrAppend(&out, "  quarantined entries: ", q.size(), "\n");
  }

  FS_ASSIGN_OR_RETURN(std::vector<EnrollmentCode> codes, store.ListEnrollmentCodes());
  for (const EnrollmentCode& c : codes) absl::StrAppend(&out, RenderCode(c));

  std::set<std::string> record_ids;
  std::set<std::pair<std::string, ScopePair>> coordinates;  // (form, pair)
  FS_ASSIGN_OR_RETURN(std::vector<ChangeEntry> changes, store.ReadChanges(0, UINT64_MAX, SIZE_MAX));
  FS_ASSIGN_OR_RETURN(uint64_t last_seq, store.LastChangeSeq());
  absl::StrAppend(&out, "last_change_seq ", last_seq, "\n");
  for (const ChangeEntry& c : changes) {
    absl::StrAppend(&out, RenderChange(c));
    record_ids.insert(c.record_id);
    coordinates.insert({c.form_id, ScopePair{"", ""}});
    for (const auto& p : c.scope_before) coordinates.insert({c.form_id, p});
    for (const auto& p : c.scope_after) coordinates.insert({c.form_id, p});
  }

  FS_RETURN_IF_ERROR(store.ScanQuarantine("", "", [&](std::string_view, const QuarantineEntry& q) {
    absl::StrAppend(&out, RenderQuarantine(q));
    record_ids.insert(q.mutation.record_id);
    return true;
  }));

  std::vector<std::string> ids(record_ids.begin(), record_ids.end());
  FS_ASSIGN_OR_RETURN(std::vector<std::optional<Record>> records, store.GetRecords(ids));
  for (size_t i = 0; i < ids.size(); ++i) {
    if (!records[i]) {
      absl::StrAppend(&out, "record ", Q(ids[i]), " absent\n");
      continue;
    }
    FS_ASSIGN_OR_RETURN(std::optional<Record> one, store.GetRecord(ids[i]));
    if (!one || one->version != records[i]->version) {
      return absl::InternalError("GetRecord and GetRecords disagree");
    }
    absl::StrAppend(&out, RenderRecord(*records[i]));
  }

  for (const auto& [form_id, pair] : coordinates) {
    FS_RETURN_IF_ERROR(store.ScanScopeIndex(
        form_id, pair, 0, UINT64_MAX, [&](uint64_t seq, std::string_view record_id) {
          absl::StrAppend(&out, "scope_index ", Q(form_id), " ", Q(pair.field), "=", Q(pair.value),
                          " seq=", seq, " -> ", Q(record_id), "\n");
          return true;
        }));
  }

  FS_RETURN_IF_ERROR(store.ScanConflicts("", [&](std::string_view, const ConflictEntry& c) {
    absl::StrAppend(&out, RenderConflict(c));
    return true;
  }));

  FS_RETURN_IF_ERROR(store.ScanAudit(0, [&](uint64_t index, std::string_view encoded) {
    absl::StrAppend(&out, "audit ", index, " ", absl::BytesToHexString(A(encoded)), "\n");
    return true;
  }));
  return out;
}

}  // namespace fieldsync::storage_test
