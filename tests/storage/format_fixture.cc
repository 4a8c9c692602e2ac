#include "tests/storage/format_fixture.h"

#include <memory>
#include <vector>

#include "server/admin/review.h"
#include "server/audit/audit_log.h"
#include "server/auth/device_registry.h"
#include "server/auth/enrollment.h"
#include "server/common/clock.h"
#include "server/common/status.h"
#include "server/forms/form_registry.h"
#include "server/forms/pseudonymizer.h"
#include "server/storage/store.h"
#include "server/sync/sync_engine.h"

namespace fieldsync::storage_test {
namespace {

FieldDef Field(std::string name, FieldType type, bool required = false) {
  FieldDef f;
  f.name = std::move(name);
  f.type = type;
  f.required = required;
  return f;
}

// Every field type and every field attribute, two aggregations (count and sum).
Form Household(uint32_t version) {
  Form form;
  form.form_id = "household";
  form.version = version;
  form.title = "Household survey \xd9\x85\xd8\xb3\xd8\xad";  // Arabic letters: bytes kept
  FieldDef gov = Field("governorate", FieldType::kSelectOne, true);
  gov.choices = {"Ninewa", "Anbar"};
  gov.label = "Governorate";
  form.fields.push_back(gov);
  form.fields.push_back(Field("team", FieldType::kString));
  FieldDef size = Field("household_size", FieldType::kInt, true);
  size.min = 1;
  size.max = 60;
  form.fields.push_back(size);
  FieldDef income = Field("income", FieldType::kDecimal);
  income.min = 0.5;
  form.fields.push_back(income);
  form.fields.push_back(Field("returning", FieldType::kBool));
  form.fields.push_back(Field("visit_date", FieldType::kDate, true));
  form.fields.push_back(Field("visited_at", FieldType::kDatetime));
  FieldDef needs = Field("needs", FieldType::kSelectMultiple);
  needs.choices = {"food", "water", "shelter"};
  needs.max = 2;
  form.fields.push_back(needs);
  form.fields.push_back(Field("location", FieldType::kGeopoint));
  form.fields.push_back(Field("photo", FieldType::kAttachment));
  FieldDef phone = Field("phone", FieldType::kString);
  phone.regex = "\\+?[0-9]{6,15}";
  phone.min = 6;
  form.fields.push_back(phone);
  FieldDef head = Field("head_name", FieldType::kString);
  head.pii = true;
  head.label = "Name of the head of household";
  form.fields.push_back(head);
  form.fields.push_back(Field("notes", FieldType::kString));
  if (version >= 2) form.fields.push_back(Field("shelter_type", FieldType::kString));
  form.scope_fields = {"governorate", "team"};
  form.edit_policy = EditPolicy::kMutable;
  form.conflict_policy =
      version >= 2 ? ConflictPolicy::kRolePriority : ConflictPolicy::kLastWriterWins;
  AggregationDef agg;
  agg.name = "households_by_governorate";
  agg.group_by = {"governorate"};
  agg.time_field = "visit_date";
  agg.bucket = TimeBucket::kWeek;
  agg.measures = {Measure{"households", Measure::Kind::kCount, ""},
                  Measure{"people", Measure::Kind::kSum, "household_size"}};
  form.aggregations.push_back(agg);
  return form;
}

Form Crossing() {
  Form form;
  form.form_id = "crossing";
  form.version = 1;
  form.title = "Border crossing log";
  FieldDef bp = Field("border_point", FieldType::kSelectOne, true);
  bp.choices = {"BP-001", "BP-002"};
  form.fields.push_back(bp);
  form.fields.push_back(Field("crossing_date", FieldType::kDate, true));
  FieldDef group = Field("group_size", FieldType::kInt, true);
  group.min = 1;
  form.fields.push_back(group);
  FieldDef doc = Field("document_number", FieldType::kString);
  doc.pii = true;
  form.fields.push_back(doc);
  form.scope_fields = {"border_point"};
  form.edit_policy = EditPolicy::kAppendOnly;
  form.conflict_policy = ConflictPolicy::kFirstWriterWins;
  AggregationDef agg;
  agg.name = "crossings";
  agg.group_by = {"border_point"};
  agg.time_field = "crossing_date";
  agg.bucket = TimeBucket::kMonth;
  agg.measures = {Measure{"people", Measure::Kind::kSum, "group_size"}};
  form.aggregations.push_back(agg);
  return form;
}

FieldMap FullHousehold() {
  FieldMap f;
  f["governorate"] = std::string("Ninewa");
  f["team"] = std::string("T1");
  f["household_size"] = int64_t{5};
  f["income"] = 120.75;
  f["returning"] = true;
  f["visit_date"] = std::string("2024-05-01");
  f["visited_at"] = std::string("2024-05-01T09:30:00Z");
  f["needs"] = std::vector<std::string>{"food", "water"};
  f["location"] = GeoPoint{36.3456, 43.1234};
  f["photo"] = std::string("sha256:") + std::string(64, 'c');
  f["phone"] = std::string("+9647701234567");
  f["head_name"] = std::string("Ahmed Example");
  f["notes"] = std::string("line one\nline two");
  return f;
}

FieldMap SmallHousehold(const std::string& team) {
  FieldMap f;
  f["governorate"] = std::string("Ninewa");
  f["team"] = team;
  f["household_size"] = int64_t{3};
  f["visit_date"] = std::string("2024-05-02");
  return f;
}

Mutation M(uint64_t device_seq, std::string record_id, std::string form_id, uint32_t form_version,
           uint64_t base_version, MutationOp op, FieldMap fields, Hlc hlc) {
  Mutation m;
  m.device_seq = device_seq;
  m.record_id = std::move(record_id);
  m.form_id = std::move(form_id);
  m.form_version = form_version;
  m.base_version = base_version;
  m.op = op;
  m.fields = std::move(fields);
  m.hlc = std::move(hlc);
  return m;
}

Mutation Upsert(uint64_t seq, std::string id, uint64_t base, FieldMap fields, Hlc hlc,
                uint32_t form_version = 1) {
  return M(seq, std::move(id), "household", form_version, base, MutationOp::kUpsert,
           std::move(fields), std::move(hlc));
}

absl::Status Pushed(PushCore* push, const Device& device, std::vector<Mutation> batch,
                    const DeviceReport* report = nullptr) {
  return push->Push(device, batch, report).status();
}

}  // namespace

absl::Status WriteFormatFixture(const std::string& db_path, FixtureSecrets* secrets) {
  FakeClock clock(1'714'000'000'000);  // 2024-04-24
  StoreOptions options;
  options.path = db_path;
  FS_ASSIGN_OR_RETURN(std::unique_ptr<Store> store, Store::Open(options));
  FS_ASSIGN_OR_RETURN(std::unique_ptr<AuditLog> audit, AuditLog::Open(store.get(), &clock));
  FS_ASSIGN_OR_RETURN(std::unique_ptr<Pseudonymizer> pii, Pseudonymizer::FromKey(kFixturePiiKey));

  // Forms: two versions of a questionnaire, one append-only log.
  FormRegistry forms(store.get(), SchemaLimits{});
  for (const Form& f : {Household(1), Household(2), Crossing()}) {
    FS_RETURN_IF_ERROR(forms.Publish(f).status());
    FS_RETURN_IF_ERROR(audit
                           ->Append(AuditEvent{AuditContext::Cli(), audit_action::kFormPublish,
                                               f.form_id + "@" + std::to_string(f.version), ""})
                           .status());
  }

  // Devices of every role; one revoked, one with a rotated token.
  DeviceRegistry registry(store.get(), &clock, audit.get());
  FS_ASSIGN_OR_RETURN(NewDevice admin, registry.CreateFirstAdmin("admin-1"));
  secrets->admin_token = admin.token;
  const std::vector<ScopePair> ninewa = {{"governorate", "Ninewa"}};
  FS_ASSIGN_OR_RETURN(NewDevice tab1, registry.Create("tab-1", Role::kEnumerator, ninewa, false));
  secrets->tablet_token = tab1.token;
  FS_ASSIGN_OR_RETURN(NewDevice tab2, registry.Create("tab-2", Role::kEnumerator, ninewa, false));
  FS_ASSIGN_OR_RETURN(NewDevice sup, registry.Create("sup-1", Role::kSupervisor, ninewa, false));
  FS_ASSIGN_OR_RETURN(NewDevice bp, registry.Create("bp-1", Role::kBorderOfficer,
                                                    {{"border_point", "BP-001"}}, false));
  FS_RETURN_IF_ERROR(registry.Create("feed-1", Role::kFeedReader, {}, true).status());
  FS_RETURN_IF_ERROR(
      registry.Create("tab-lost", Role::kEnumerator, {{"governorate", "Anbar"}}, false).status());
  clock.AdvanceMs(1000);
  FS_RETURN_IF_ERROR(registry.Revoke("tab-lost"));
  clock.AdvanceMs(1000);
  FS_RETURN_IF_ERROR(
      registry.RotateToken(tab2.device, AuditContext::Of(tab2.device, "req-rotate")).status());

  // Enrollment codes: one used, one not.
  EnrollmentOptions enroll_options;
  enroll_options.server_address = "fieldsync.example:8443";
  Enrollment enrollment(store.get(), &clock, &registry, enroll_options);
  CodeRequest code_req;
  code_req.role = Role::kEnumerator;
  code_req.scopes = {{"team", "T9"}};
  const AuditContext admin_ctx = AuditContext::Of(admin.device, "req-admin");
  FS_ASSIGN_OR_RETURN(NewEnrollmentCode used_code, enrollment.CreateCode(code_req, admin_ctx));
  code_req.scopes = {{"governorate", "Anbar"}, {"team", "T2"}};
  code_req.ttl_ms = 3600 * 1000;
  FS_RETURN_IF_ERROR(enrollment.CreateCode(code_req, admin_ctx).status());
  clock.AdvanceMs(1000);
  FS_RETURN_IF_ERROR(
      enrollment.Enroll(used_code.code, "tablet 9", "10.0.0.9:5000", "req-enroll").status());

  // Sync: creates (with pii), fast-forward, merge with a conflict, role metadata, deletes,
  // a stale delete, an edit of a deleted record, quarantine, append-only duplicates.
  FS_ASSIGN_OR_RETURN(std::unique_ptr<SyncEngine> engine,
                      SyncEngine::Open(store.get(), &forms, &clock, SyncEngineOptions{}));
  PushCore* push = engine->push();
  push->set_pseudonymizer(pii.get());
  const int64_t t0 = clock.NowMs();
  DeviceReport report;
  report.app_version = "1.4.2";
  report.form_versions = {{"household", 1}, {"crossing", 1}};
  report.outbox_depth = 3;
  report.oldest_unsent_age_ms = 60'000;
  report.device_clock_ms = t0 - 2500;
  report.free_storage_bytes = 1ull << 33;
  clock.AdvanceMs(1000);
  FS_RETURN_IF_ERROR(Pushed(push, tab1.device,
                            {Upsert(1, "h-1", 0, FullHousehold(), Hlc{t0, 0, "tab-1"}),
                             Upsert(2, "h-2", 0, SmallHousehold("T1"), Hlc{t0, 1, "tab-1"}),
                             Upsert(3, "h-3", 0, SmallHousehold("T2"), Hlc{t0, 2, "tab-1"})},
                            &report));
  clock.AdvanceMs(1000);
  // tab-1 fast-forwards h-1; tab-2, still at version 1, edits the same field earlier (loses
  // under last-writer-wins: an open conflict) and another field (merged).
  FS_RETURN_IF_ERROR(
      Pushed(push, tab1.device,
             {Upsert(4, "h-1", 1, {{"household_size", int64_t{6}}}, Hlc{t0 + 2000, 0, "tab-1"})}));
  clock.AdvanceMs(1000);
  FS_RETURN_IF_ERROR(
      Pushed(push, tab2.device,
             {Upsert(1, "h-1", 1,
                     {{"household_size", int64_t{7}}, {"notes", Value{}}, {"returning", false}},
                     Hlc{t0 + 1000, 0, "tab-2"})}));
  clock.AdvanceMs(1000);
  // The supervisor edits h-2 (field metadata with its role); tab-1 deletes h-3.
  FS_RETURN_IF_ERROR(Pushed(
      push, sup.device,
      {Upsert(1, "h-2", 1, {{"notes", std::string("checked")}}, Hlc{t0 + 4000, 0, "sup-1"})}));
  FS_RETURN_IF_ERROR(Pushed(
      push, tab1.device,
      {M(5, "h-3", "household", 1, 1, MutationOp::kDelete, {}, Hlc{t0 + 4000, 1, "tab-1"})}));
  clock.AdvanceMs(1000);
  // tab-2 at version 1: a stale delete of the edited h-2, an edit of the deleted h-3 ...
  FS_RETURN_IF_ERROR(
      Pushed(push, tab2.device,
             {M(2, "h-2", "household", 1, 1, MutationOp::kDelete, {}, Hlc{t0 + 5000, 0, "tab-2"}),
              Upsert(3, "h-3", 1, {{"household_size", int64_t{4}}}, Hlc{t0 + 5000, 1, "tab-2"}),
              // ... and an edit of another field of h-2: merged.
              Upsert(4, "h-2", 1, {{"income", 99.5}}, Hlc{t0 + 5000, 2, "tab-2"})}));
  clock.AdvanceMs(1000);
  // Invalid values, an unknown form, a record on the second form version, a retransmission
  // and a gap (neither stored).
  FieldMap bad = SmallHousehold("T1");
  bad["household_size"] = int64_t{999};
  bad["head_name"] = std::string("Private Person");
  FS_RETURN_IF_ERROR(
      Pushed(push, tab1.device,
             {Upsert(6, "h-bad", 0, bad, Hlc{t0 + 6000, 0, "tab-1"}),
              M(7, "h-nf", "no_such_form", 1, 0, MutationOp::kUpsert, SmallHousehold("T1"),
                Hlc{t0 + 6000, 1, "tab-1"}),
              Upsert(
                  8, "h-4", 0,
                  [] {
                    FieldMap f = SmallHousehold("T1");
                    f["shelter_type"] = std::string("tent");
                    return f;
                  }(),
                  Hlc{t0 + 6000, 2, "tab-1"}, /*form_version=*/2),
              Upsert(2, "h-2", 0, SmallHousehold("T1"), Hlc{t0, 1, "tab-1"}),
              Upsert(12, "h-gap", 0, SmallHousehold("T1"), Hlc{t0 + 6000, 3, "tab-1"})}));
  clock.AdvanceMs(1000);
  FieldMap crossing{{"border_point", std::string("BP-001")},
                    {"crossing_date", std::string("2024-05-03")},
                    {"group_size", int64_t{2}},
                    {"document_number", std::string("A1234567")}};
  FieldMap other = crossing;
  other["group_size"] = int64_t{3};
  FS_RETURN_IF_ERROR(Pushed(
      push, bp.device,
      {M(1, "c-1", "crossing", 1, 0, MutationOp::kUpsert, crossing, Hlc{t0 + 7000, 0, "bp-1"}),
       M(2, "c-1", "crossing", 1, 0, MutationOp::kUpsert, crossing, Hlc{t0 + 7000, 1, "bp-1"}),
       M(3, "c-1", "crossing", 1, 0, MutationOp::kUpsert, other, Hlc{t0 + 7000, 2, "bp-1"}),
       M(4, "c-2", "crossing", 1, 0, MutationOp::kUpsert, crossing, Hlc{t0 + 7000, 3, "bp-1"})},
      &report));
  clock.AdvanceMs(1000);

  // Review: resolve the household_size conflict of h-1 (closed entry, audited).
  admin::ConflictResolver resolver(engine->context());
  admin::QuarantineReplayer replayer(engine->context(), push->limits());
  admin::ConflictReview conflicts(store.get(), &forms, &resolver, audit.get(),
                                  admin::ReviewOptions{});
  admin::QuarantineReview quarantine(store.get(), &replayer, audit.get(), admin::ReviewOptions{});
  admin::Resolution resolution;
  resolution.id = admin::ConflictId{"h-1", "tab-2", 1, "household_size"};
  resolution.choice = admin::ResolutionChoice::kDevice;
  FS_RETURN_IF_ERROR(
      conflicts.Resolve(admin.device, resolution, "confirmed by phone", admin_ctx).status());
  // A replay that stays quarantined (the form is still unknown).
  FS_RETURN_IF_ERROR(quarantine.Replay("tab-1", 7, 0, "after the form fix", admin_ctx).status());
  clock.AdvanceMs(1000);

  // Pulls: progress and report in the device state.
  PullQuery query;
  query.report = &report;
  FS_RETURN_IF_ERROR(engine->pull()->Pull(tab1.device, query).status());
  FS_RETURN_IF_ERROR(engine->pull()->Pull(admin.device, PullQuery{}).status());
  FS_RETURN_IF_ERROR(
      audit->Append(AuditEvent{admin_ctx, audit_action::kRecordsRead, "pull", "all scopes"})
          .status());
  clock.AdvanceMs(1000);

  // Retention drops the first change (h-1's creation is superseded; its index entries go).
  RetentionPolicy policy;
  policy.keep_changes = engine->sequencer()->VisibleHead() - 1;
  policy.keep_ms = 0;
  FS_RETURN_IF_ERROR(engine->retention()->PurgeOnce(policy).status());

  engine.reset();
  FS_RETURN_IF_ERROR(store->Flush());
  return absl::OkStatus();
}

}  // namespace fieldsync::storage_test
