// The data model of DESIGN.md as plain C++ types: forms, records, mutations, receipts,
// change-log entries, conflicts, quarantine entries and devices. The domain cores take and
// return these; rpc/ converts them to and from protobuf; storage/ encodes them.
#ifndef FIELDSYNC_SERVER_COMMON_MODEL_H_
#define FIELDSYNC_SERVER_COMMON_MODEL_H_

#include <cstdint>
#include <map>
#include <optional>
#include <string>
#include <tuple>
#include <vector>

#include "server/common/value.h"

namespace fieldsync {

// ---- Forms -----------------------------------------------------------------------------

enum class FieldType {
  kString = 1,
  kInt,
  kDecimal,
  kBool,
  kDate,
  kDatetime,
  kSelectOne,
  kSelectMultiple,
  kGeopoint,
  kAttachment,
};

// Text per language: language name as the form writes it ("English (en)", "Arabic (ar)";
// "default" for an XLSForm column without a language when others have one) -> text.
using Translations = std::map<std::string, std::string>;

// One question of a form. Form model v1 (JSON forms) sets name..label; the rest is form
// model v2 (XLSForm): every member added in v2 defaults to "not used", so a v1 form means
// what it always did. Expressions are XLSForm expressions (server/expr), "" = none.
struct FieldDef {
  std::string name;
  // How the value is stored and checked.
  FieldType type = FieldType::kString;
  // Always required. See also `required_if`.
  bool required = false;
  std::optional<double> min;
  std::optional<double> max;
  std::string regex;
  // Allowed values of a select field. For a field with a `choice_list`, the distinct names
  // of that list in order (so v1 readers validate as before).
  std::vector<std::string> choices;
  bool pii = false;
  // The label in the form's default language (or the only label).
  std::string label;

  // ---- v2 ----
  // The innermost group or repeat (Form::groups) the field is in; "" at the root.
  std::string group;
  // The question type as the form author wrote it, without its list ("text", "barcode",
  // "select_one", "select_one_from_file", "time", "geotrace", "note", "calculate", "start",
  // "deviceid", ...); "" for v1 forms (the type says it all). Clients pick widgets by it.
  std::string question_type;
  Translations labels;  // per language; `label` is the default language's entry
  std::string hint;
  Translations hints;
  std::string relevant;
  std::string constraint;
  std::string constraint_message;
  Translations constraint_messages;
  // Required when this expression is true (XLSForm `required` that is not yes/no).
  std::string required_if;
  std::string required_message;
  Translations required_messages;
  std::string calculate;
  // XLSForm `default`: a literal, or an expression when it reads as one (pyxform's rule).
  std::string default_value;
  bool read_only = false;
  std::string choice_filter;
  std::string appearance;
  // Select fields: the choice list (Form::choice_lists) the choices come from.
  std::string choice_list;
  // select_one_from_file / select_multiple_from_file: the media file (Form::media) holding
  // the choices; `choices` is then empty and any value up to the value bound is accepted.
  std::string choice_file;
  // Columns of the XLSForm row that fieldsync keeps for clients without interpreting them
  // (media::image, parameters, body::*, ...): column header -> cell text.
  std::map<std::string, std::string> extra;
};

// A group or repeat of a form (form model v2). Groups and repeats nest; fields name the
// innermost one they are in (FieldDef::group).
struct GroupDef {
  std::string name;
  bool repeat = false;
  // The enclosing group or repeat; "" at the root.
  std::string parent;
  std::string label;
  Translations labels;
  std::string relevant;
  std::string appearance;
  // Repeats: the number of instances, an expression (or a number); "" = as many as entered.
  std::string repeat_count;
  std::map<std::string, std::string> extra;
};

struct Choice {
  std::string name;
  std::string label;
  Translations labels;
  // Other columns of the choices sheet (what choice_filter expressions read, media::image,
  // ...): column header -> cell text.
  std::map<std::string, std::string> properties;
};

struct ChoiceList {
  std::string name;
  std::vector<Choice> choices;
};

// A file published with a form version (a CSV list for select_one_from_file, an image a
// label shows). `sha256` is "" until its content is published.
struct MediaFile {
  std::string name;
  std::string media_type;
  std::string sha256;
  uint64_t size = 0;
};

enum class EditPolicy { kMutable = 1, kAppendOnly = 2 };
// kRolePriority: the writer with the higher role wins (admin > supervisor > field roles), ties
// by later HLC.
enum class ConflictPolicy {
  kLastWriterWins = 1,
  kFirstWriterWins = 2,
  kManual = 3,
  kRolePriority = 4,
};
enum class TimeBucket { kDay = 1, kWeek = 2, kMonth = 3 };

struct Measure {
  enum class Kind { kCount = 1, kSum = 2 };
  std::string name;
  Kind kind = Kind::kCount;
  std::string field;
};

struct AggregationDef {
  std::string name;
  std::vector<std::string> group_by;
  std::string time_field;
  TimeBucket bucket = TimeBucket::kDay;
  std::vector<Measure> measures;
};

struct Form {
  std::string form_id;
  uint32_t version = 0;
  std::string title;
  std::vector<FieldDef> fields;
  std::vector<std::string> scope_fields;
  EditPolicy edit_policy = EditPolicy::kMutable;
  ConflictPolicy conflict_policy = ConflictPolicy::kLastWriterWins;
  std::vector<AggregationDef> aggregations;

  // ---- v2 (all empty for v1 forms) ----
  // In document order; a group comes before everything in it.
  std::vector<GroupDef> groups;
  std::vector<ChoiceList> choice_lists;
  // The language of `label`, `hint` and `constraint_message` where there are several; "" if
  // the form has one language (or none).
  std::string default_language;
  // Every language the form has text in, in the order the form first names them.
  std::vector<std::string> languages;
  // XLSForm instance_name: an expression naming a record for people.
  std::string instance_name;
  std::vector<MediaFile> media;
  // XLSForm settings fieldsync keeps for clients without interpreting them (public_key,
  // submission_url, style, ...): column header -> cell text.
  std::map<std::string, std::string> settings;

  // The definition of `name`, or nullptr.
  const FieldDef* FindField(const std::string& name) const;
  // The group or repeat `name`, or nullptr.
  const GroupDef* FindGroup(const std::string& name) const;
  // The choice list `name`, or nullptr.
  const ChoiceList* FindChoiceList(const std::string& name) const;
  // The innermost repeat that contains `field` (through its groups), or "" for a field of
  // the root record. Fields of a repeat belong to its instances (child records), not to the
  // root record.
  std::string RepeatOf(const FieldDef& field) const;
  // The innermost repeat that contains the group or repeat `group` (not `group` itself), or
  // "" when it is at the root record: where the instances of a repeat live.
  std::string EnclosingRepeat(const GroupDef& group) const;
  // The innermost repeat that is or contains the group `group` ("" = the root).
  std::string RepeatFrom(const std::string& group) const;
};

// `texts[language]`, else `fallback` (the default language's text) when `language` is ""
// or the form has no text in it.
const std::string& Localized(const Translations& texts, const std::string& fallback,
                             const std::string& language);

// ---- Clocks and mutations --------------------------------------------------------------

// Hybrid logical clock stamp. Ordered by (physical_ms, logical, device_id).
struct Hlc {
  int64_t physical_ms = 0;
  uint32_t logical = 0;
  std::string device_id;

  bool operator<(const Hlc& o) const {
    return std::tie(physical_ms, logical, device_id) <
           std::tie(o.physical_ms, o.logical, o.device_id);
  }
  bool operator==(const Hlc& o) const {
    return std::tie(physical_ms, logical, device_id) ==
           std::tie(o.physical_ms, o.logical, o.device_id);
  }
};

enum class MutationOp { kUpsert = 1, kDelete = 2 };

// What a device pushes. (device id, device_seq) is the idempotency key.
struct Mutation {
  uint64_t device_seq = 0;
  std::string record_id;
  std::string form_id;
  uint32_t form_version = 0;
  uint64_t base_version = 0;  // 0 creates
  MutationOp op = MutationOp::kUpsert;
  FieldMap fields;  // only the changed fields; null clears
  Hlc hlc;
  // A repeat instance (child record; DESIGN.md "Repeats"): the record it belongs to, the
  // repeat (Form::groups name) it is an instance of and its 1-based position among that
  // parent's instances of the repeat. A create of a child names all three; an edit may leave
  // parent and repeat empty (they never change) and ordinal 0 (unchanged). Empty for a root.
  std::string parent_record_id;
  std::string repeat;
  uint32_t ordinal = 0;

  bool is_child() const { return !parent_record_id.empty(); }
};

// SHA-256 (hex) over the mutation's content: record, form, op and fields. The same edit sent
// twice has the same hash; device_seq, base_version and HLC are not part of it.
std::string ContentHash(const Mutation& m);

// ---- Receipts --------------------------------------------------------------------------

enum class Outcome {
  kApplied = 1,
  kMerged = 2,
  kConflict = 3,
  kRejected = 4,
  kDuplicate = 5,
  kOutOfOrder = 6,
};
const char* OutcomeName(Outcome o);

struct FieldError {
  std::string field;
  std::string description;
  bool operator==(const FieldError& o) const {
    return field == o.field && description == o.description;
  }
};

struct Receipt {
  uint64_t device_seq = 0;
  std::string record_id;
  std::string content_hash;
  Outcome outcome = Outcome::kApplied;
  std::optional<Outcome> original_outcome;  // set on retransmissions
  uint64_t record_version = 0;
  uint64_t seq = 0;
  std::vector<std::string> conflict_fields;
  std::vector<FieldError> errors;
  uint64_t expected_device_seq = 0;  // with kOutOfOrder
};

// ---- Records ---------------------------------------------------------------------------

enum class Role { kEnumerator = 1, kBorderOfficer, kSupervisor, kAdmin, kFeedReader };

// One scope grant or one scope coordinate of a record: `field` = `value`.
struct ScopePair {
  std::string field;
  std::string value;
  bool operator<(const ScopePair& o) const {
    return std::tie(field, value) < std::tie(o.field, o.value);
  }
  bool operator==(const ScopePair& o) const { return field == o.field && value == o.value; }
};

// When and by whom a field last changed.
struct FieldMeta {
  uint64_t version = 0;  // record version that last changed the field
  Hlc hlc;
  std::string device_id;
  Role role = Role::kEnumerator;  // the writer's role then (for kRolePriority)
};

struct Record {
  std::string record_id;
  std::string form_id;
  uint32_t form_version = 0;
  uint64_t version = 0;  // +1 per applied change
  uint64_t seq = 0;      // global seq of the last applied change
  bool deleted = false;
  bool open_conflict = false;
  std::string last_writer_device;
  FieldMap fields;  // never holds nulls
  std::map<std::string, FieldMeta> field_meta;
  std::string content_hash;  // of the creating mutation (append-only duplicate detection)
  int64_t updated_ms = 0;
  // Version at which the record was deleted (0 if never); a stale edit is a conflict.
  uint64_t deleted_version = 0;

  // ---- Child records (repeat instances). All empty for a root record. ----
  // The record this one is an instance in, the repeat and the 1-based ordinal (Mutation).
  std::string parent_record_id;
  std::string repeat;
  uint32_t ordinal = 0;
  // Kept by the server: the root of the tree (the parent's root, or the parent when it is a
  // root) and the root's scope coordinates, which are this record's scope (a child never has
  // its own). Moving the root rewrites root_scope in every record of its tree.
  std::string root_record_id;
  std::vector<ScopePair> root_scope;

  bool is_child() const { return !parent_record_id.empty(); }
};

// ---- Change log ------------------------------------------------------------------------

struct FieldChange {
  std::string field;
  Value before;
  Value after;
};

struct ChangeEntry {
  uint64_t seq = 0;
  std::string record_id;
  std::string form_id;
  uint32_t form_version = 0;
  uint64_t version = 0;
  bool created = false;
  bool deleted_before = false;
  bool deleted_after = false;
  std::vector<FieldChange> changes;
  std::vector<ScopePair> scope_before;
  std::vector<ScopePair> scope_after;
  std::string device_id;
  int64_t commit_time_ms = 0;
  // A child record's place (Record): "" / 0 for a root record.
  std::string parent_record_id;
  std::string repeat;
  uint32_t ordinal = 0;
  std::string root_record_id;
};

// ---- Conflicts and quarantine ----------------------------------------------------------

struct ConflictEntry {
  std::string record_id;
  std::string form_id;
  uint64_t seq = 0;   // commit seq of the mutation that met the conflict (or head if none)
  std::string field;  // empty for a whole-record conflict (delete vs edit)
  uint64_t base_version = 0;
  Value server_value;
  Value device_value;
  std::string server_writer;
  std::string device_writer;
  Hlc server_hlc;
  Hlc device_hlc;
  bool device_won = false;  // which value the policy kept
  bool delete_conflict = false;
  uint64_t device_seq = 0;
  bool open = true;
  int64_t created_ms = 0;
};

struct QuarantineEntry {
  std::string device_id;
  Mutation mutation;
  std::vector<FieldError> errors;
  std::string reason;
  int64_t received_ms = 0;
};

// ---- Devices ---------------------------------------------------------------------------

const char* RoleName(Role r);
// Precedence under ConflictPolicy::kRolePriority: admin 3, supervisor 2, field roles 1.
int RolePriority(Role r);
std::optional<Role> ParseRole(const std::string& name);

struct Device {
  std::string device_id;
  Role role = Role::kEnumerator;
  bool all_scopes = false;  // admins and feed readers
  std::vector<ScopePair> scopes;
  std::string token_hash;
  bool revoked = false;
  int64_t created_ms = 0;
  // When the current token stops working (0: never, for devices created before expiry).
  int64_t token_expires_ms = 0;
  int64_t token_issued_ms = 0;
  // A human label given at enrollment (e.g. "tablet 7"); not an identifier.
  std::string label;
};

// A one-time enrollment code (server/auth/enrollment.h). Only the code's SHA-256 is stored.
struct EnrollmentCode {
  std::string code_hash;  // SHA-256 hex of the code: the lookup key
  std::string code_id;    // a short public name for listings and the audit log
  Role role = Role::kEnumerator;
  bool all_scopes = false;
  std::vector<ScopePair> scopes;
  int64_t created_ms = 0;
  int64_t expires_ms = 0;
  std::string created_by;  // device id of the admin, or "cli"
  int64_t used_ms = 0;     // 0 while unused
  std::string used_by;     // the device enrolled with it
};

struct DeviceReport {
  std::string app_version;
  std::map<std::string, uint32_t> form_versions;
  uint64_t outbox_depth = 0;
  int64_t oldest_unsent_age_ms = 0;
  int64_t device_clock_ms = 0;
  uint64_t free_storage_bytes = 0;
};

// The server's view of a device's sync progress.
struct DeviceSyncState {
  uint64_t acked_seq = 0;
  int64_t last_seen_ms = 0;
  int64_t last_push_ms = 0;
  int64_t last_pull_ms = 0;
  uint64_t last_pull_seq = 0;
  int64_t clock_skew_ms = 0;
  uint64_t quarantined = 0;
  uint64_t conflicts = 0;
  DeviceReport report;
};

// ---- Page sizes --------------------------------------------------------------------------

// An upper estimate of the bytes an entity takes in an API message: its strings plus a fixed
// allowance per field for protobuf tags, lengths and numbers. Paged answers stop adding
// entities at a byte budget below the server's send limit (--max-message-bytes), so that any
// stored content can be listed (issue 10). Pure functions.
size_t ApproxWireBytes(const Value& v);
size_t ApproxWireBytes(const FieldMap& fields);
size_t ApproxWireBytes(const Record& r);
size_t ApproxWireBytes(const ConflictEntry& c);
size_t ApproxWireBytes(const QuarantineEntry& q);

// ---- Webhooks (server/webhook) -------------------------------------------------------

// What a change is to a webhook target (a bit each, for a target's event filter).
enum class WebhookEvent : uint32_t { kCreate = 1, kUpdate = 2, kDelete = 4 };

// An external system that receives changes (DESIGN.md "Records out").
struct WebhookTarget {
  std::string target_id;
  std::string url;
  std::vector<std::string> form_ids;  // empty: every form
  std::vector<ScopePair> scopes;      // empty: every scope
  uint32_t events = 0;                // WebhookEvent bits
  std::string secret;                 // HMAC-SHA256 key of the signature header
  bool enabled = true;
  int64_t created_ms = 0;
};

// A target's delivery progress.
struct WebhookState {
  uint64_t next_seq = 1;  // the next change to consider (checkpoint)
  uint64_t delivered = 0;
  uint64_t dead_lettered = 0;
  uint64_t dropped = 0;  // changes purged before delivery (while the target was disabled)
  int64_t last_success_ms = 0;
  std::string last_error;
  int64_t last_error_ms = 0;
};

// A change a target did not accept after every attempt, with the body it was sent.
struct DeadLetter {
  std::string target_id;
  uint64_t seq = 0;
  uint32_t attempts = 0;
  std::string last_error;
  int64_t failed_ms = 0;
  std::string event;
  std::string payload;
};

}  // namespace fieldsync

#endif  // FIELDSYNC_SERVER_COMMON_MODEL_H_
