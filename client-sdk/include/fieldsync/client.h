// The fieldsync device SDK: an offline-first local store of records, an outbox of edits and
// a sync engine that pushes the outbox to fieldsyncd and pulls the device's scopes back.
//
// This header (and everything it includes) has no gRPC, protobuf or RocksDB types, so an
// app (desktop, or Android through JNI) links `fieldsync_client` without those leaking into
// its build. See fieldsync/c_api.h for the C binding of the same object.
//
// Typical use:
//   ClientOptions o;
//   o.data_dir = "/data/fieldsync";
//   o.server.target = "sync.example.org:7443";
//   o.server.token = token;
//   FS_ASSIGN_OR_RETURN(auto client, Client::Open(o));
//   FS_ASSIGN_OR_RETURN(std::string id, client->Create("displacement_household", fields));
//   auto report = client->Sync(&observer);   // whenever a link appears
//
// Guarantees: every edit is written to the local RocksDB folder, together with its outbox
// entry and its device_seq, in one synced write before the call returns. A process killed at
// any point loses no edit that was acknowledged locally and never sends one edit under two
// device_seqs. The outbox entry is removed only when a server receipt for it is stored.
//
// Thread safety: a Client may be used from any number of threads. Edits may run while a
// Sync() is in progress; only one Sync() runs at a time (a second call waits).
#ifndef FIELDSYNC_CLIENT_SDK_INCLUDE_FIELDSYNC_CLIENT_H_
#define FIELDSYNC_CLIENT_SDK_INCLUDE_FIELDSYNC_CLIENT_H_

#include <cstdint>
#include <functional>
#include <map>
#include <memory>
#include <string>
#include <utility>
#include <variant>
#include <vector>

#include "absl/status/status.h"
#include "absl/status/statusor.h"

namespace fieldsync::client {

struct GeoPoint {
  double latitude = 0;
  double longitude = 0;
  bool operator==(const GeoPoint& o) const {
    return latitude == o.latitude && longitude == o.longitude;
  }
};

// A field value. std::monostate is null (clears the field). std::string holds string, date
// (YYYY-MM-DD), datetime (RFC 3339), select_one and attachment values; the vector holds
// select_multiple choices.
using Value = std::variant<std::monostate, std::string, int64_t, double, bool,
                           std::vector<std::string>, GeoPoint>;
using Fields = std::map<std::string, Value>;

// A human-readable rendering of a value ("" for null).
std::string ValueToString(const Value& v);

struct FieldError {
  std::string field;
  std::string description;
};

// The per-field problems carried by an INVALID_ARGUMENT status from this SDK (local
// validation against the cached form) or from the server; empty for other statuses.
std::vector<FieldError> FieldErrorsOf(const absl::Status& s);

// Whether `s` is the RESOURCE_EXHAUSTED this SDK returns when this device's own storage is
// full (free space, then retry); false for a server's overload, which a sync retries itself.
bool IsDiskFull(const absl::Status& s);

// A form as cached on the device (from FormService.ListForms at the last sync / RefreshForms).
// Text maps are keyed by language as the form names them ("Arabic (ar)"); expressions are
// XLSForm expressions, "" for none. Forms published as JSON before form model v2 leave every
// member below `label` empty.
struct FormInfo {
  struct Field {
    std::string name;
    // "string", "int", "decimal", "bool", "date", "datetime", "select_one",
    // "select_multiple", "geopoint", "attachment".
    std::string type;
    bool required = false;
    std::vector<std::string> choices;
    // In the form's default language.
    std::string label;
    // The group or repeat the field is in ("" at the root).
    std::string group;
    // The XLSForm question type ("barcode", "note", "time", "calculate", ...).
    std::string question_type;
    std::map<std::string, std::string> labels;
    std::string hint;
    std::map<std::string, std::string> hints;
    std::string appearance;
    bool read_only = false;
    std::string relevant;
    std::string constraint;
    std::string constraint_message;
    std::map<std::string, std::string> constraint_messages;
    std::string required_if;
    std::string calculate;
    std::string default_value;
    // The choices' labels per language: choice name -> language -> label.
    std::map<std::string, std::map<std::string, std::string>> choice_labels;
  };
  struct Group {
    std::string name;
    bool repeat = false;
    std::string parent;
    std::string label;
    std::map<std::string, std::string> labels;
    std::string relevant;
    std::string repeat_count;
  };
  std::string form_id;
  uint32_t version = 0;
  std::string title;
  bool append_only = false;
  std::vector<Field> fields;
  std::vector<Group> groups;
  std::string default_language;
  std::vector<std::string> languages;
};

// A record as the device sees it: the last server state with this device's pending edits on
// top.
struct Record {
  std::string record_id;
  std::string form_id;
  uint32_t form_version = 0;
  // The server version the device last saw (0: never on the server).
  uint64_t server_version = 0;
  Fields fields;
  bool deleted = false;
  // Outbox entries of this record not yet receipted by the server.
  uint32_t pending_edits = 0;
  // The server reported a conflict on this record (a CONFLICT receipt or an open conflict).
  bool conflict = false;
  // The last receipted edit of this record was REJECTED; `rejection` says why.
  bool rejected = false;
  std::vector<FieldError> rejection;
  int64_t updated_ms = 0;
  // A child record (an instance of a repeat, e.g. one member of a household roster): the
  // record it belongs to, the repeat's name and its 1-based position among the parent's
  // instances of that repeat. Empty / 0 for a root record.
  std::string parent_record_id;
  std::string repeat;
  uint32_t ordinal = 0;
};

// A query over the local store. Matches records of `form_id` (every form if empty) whose
// fields equal every entry of `equals`.
struct Query {
  std::string form_id;
  Fields equals;
  bool include_deleted = false;
  size_t limit = 0;  // 0: no limit
};

enum class Outcome {
  kUnknown = 0,
  kApplied = 1,
  kMerged = 2,
  kConflict = 3,
  kRejected = 4,
  kDuplicate = 5,
  kOutOfOrder = 6,
};
const char* OutcomeName(Outcome o);

// A server receipt for one outbox entry, as stored on the device.
struct ReceiptInfo {
  uint64_t device_seq = 0;
  std::string record_id;
  // For a retransmission (DUPLICATE), the outcome of the first delivery.
  Outcome outcome = Outcome::kUnknown;
  uint64_t record_version = 0;
  std::vector<std::string> conflict_fields;
  std::vector<FieldError> errors;
  int64_t received_ms = 0;
};

struct SyncProgress {
  enum class Phase { kReconcile, kPush, kPull };
  Phase phase = Phase::kPush;
  uint64_t done = 0;   // mutations receipted / records pulled so far in this call
  uint64_t total = 0;  // outbox depth at the start (push); 0 if unknown (pull)
};

// Callbacks from Sync(), on the thread that called Sync(). Keep them short.
class SyncObserver {
 public:
  virtual ~SyncObserver() = default;
  virtual void OnProgress(const SyncProgress& progress) {}
  // A CONFLICT receipt: the server kept both values; `conflict_fields` names them.
  virtual void OnConflict(const ReceiptInfo& receipt) {}
  // A REJECTED receipt: the edit is quarantined on the server; `errors` say which field, why.
  virtual void OnRejected(const ReceiptInfo& receipt) {}
  // A failed attempt that will be retried after `delay_ms`.
  virtual void OnRetry(const absl::Status& error, int attempt, int64_t delay_ms) {}
};

struct SyncReport {
  uint64_t pushed = 0;  // receipts stored
  uint64_t applied = 0;
  uint64_t merged = 0;
  uint64_t duplicates = 0;
  uint64_t conflicts = 0;
  uint64_t rejected = 0;
  uint64_t pulled = 0;   // remote records applied
  uint64_t removed = 0;  // records dropped because they left the device's scopes
  bool resynced = false;
  int attempts = 0;
};

struct StatusReport {
  uint64_t pending = 0;  // outbox depth
  int64_t oldest_unsent_age_ms = 0;
  uint64_t rejected = 0;   // REJECTED receipts received so far
  uint64_t conflicts = 0;  // CONFLICT receipts received so far
  uint64_t records = 0;    // live (not deleted) local records
  uint64_t next_device_seq = 1;
  uint64_t acked_device_seq = 0;  // highest receipted device_seq
  int64_t last_sync_ms = 0;       // end of the last successful Sync() (0: never)
  int64_t last_attempt_ms = 0;
  std::string last_error;  // of the last failed Sync(), "" after a success
  // The most recent REJECTED and CONFLICT receipts (at most 50), newest first.
  std::vector<ReceiptInfo> problems;
};

struct ServerOptions {
  std::string target;  // host:port
  std::string token;
  // PEM of the CA that signed the server's certificate; empty: the system roots.
  std::string ca_pem;
  // Plaintext (development against a loopback server only).
  bool plaintext = false;
  // Deadline of every unary call and of each Pull call.
  int64_t call_timeout_ms = 30'000;
  // Deadline of one Push stream (the engine opens a new stream after `batches_per_stream`).
  int64_t push_stream_timeout_ms = 120'000;
  // gzip on every request, and answers asked for in gzip (the server compresses pulled
  // records, receipt lists and change pages for clients that accept it): bandwidth on field
  // links is scarce. Off: nothing compressed either way.
  bool gzip = true;
};

struct ClientOptions {
  // Folder of the device's data (created if missing); the RocksDB store lives in it.
  std::string data_dir;
  // The device id stamped into this device's hybrid logical clocks (tie-breaks only).
  std::string device_id;
  std::string app_version = "fieldsync-sdk/0.1";
  // The language of the form's messages in refused edits ("Arabic (ar)"; "" = the form's
  // default language).
  std::string language;
  ServerOptions server;

  size_t push_batch = 200;           // mutations per PushRequest (server max 500)
  size_t batches_per_stream = 16;    // then a fresh Push stream (and deadline)
  uint32_t pull_limit = 2000;        // records per Pull call
  int max_attempts = 5;              // per Sync(), counted from the last progress
  int64_t initial_backoff_ms = 500;  // doubled per failed attempt, full jitter
  int64_t max_backoff_ms = 30'000;
  uint64_t seed = 0;  // for the backoff jitter; 0: from the OS

  // Test seams; null means the system clock and a real sleep.
  std::function<int64_t()> now_ms;
  std::function<void(int64_t)> sleep_ms;
};

class Transport;  // internal (client-sdk/src/transport.h)

// What enrollment gives a new device. Store the token securely: it is shown once.
struct Enrollment {
  std::string device_id;
  std::string token;
  int64_t token_expires_ms = 0;
  std::string role;
};

// Enrolls a new device with a one-time code from an admin (IdentityService.Enroll; no token
// needed). `server.token` is ignored. Errors: UNAVAILABLE (server unreachable),
// NOT_FOUND / FAILED_PRECONDITION (unknown, used or expired code, as the server says),
// RESOURCE_EXHAUSTED (too many attempts: wait).
absl::StatusOr<Enrollment> Enroll(const ServerOptions& server, const std::string& code,
                                  const std::string& label);

class Client {
 public:
  // Opens (or creates) the device store in options.data_dir. Errors: INVALID_ARGUMENT for
  // bad options; RESOURCE_EXHAUSTED "disk full" if the device has no space; INTERNAL or
  // DATA_LOSS from the store.
  static absl::StatusOr<std::unique_ptr<Client>> Open(ClientOptions options);
  // As Open(), over a given transport (tests; other transports).
  static absl::StatusOr<std::unique_ptr<Client>> OpenWithTransport(
      ClientOptions options, std::unique_ptr<Transport> transport);
  ~Client();
  Client(const Client&) = delete;
  Client& operator=(const Client&) = delete;

  // ---- Records (local; never touch the network) ----

  // Creates a record of the latest cached version of `form_id` and queues it. Returns its id
  // (`record_id` if given, else a new random UUID). Errors: FAILED_PRECONDITION if the form
  // is not cached (sync or RefreshForms() first); INVALID_ARGUMENT with FieldErrorsOf() for
  // values the form refuses; ALREADY_EXISTS for a taken id; RESOURCE_EXHAUSTED when the
  // disk is full.
  absl::StatusOr<std::string> Create(const std::string& form_id, const Fields& fields,
                                     const std::string& record_id = "");
  // Creates several records in one synced write: valid rows are stored even if others
  // fail. One result per row, in order.
  std::vector<absl::StatusOr<std::string>> CreateMany(const std::string& form_id,
                                                      const std::vector<Fields>& rows);
  // Creates a child record under `parent_record_id`: an instance of the repeat `repeat` of the
  // parent's form (one member of a household roster), with the next ordinal among the parent's
  // local instances of that repeat, and queues it. Its fields are those of the repeat (and of
  // groups inside it); its scope is its root record's. Returns its id (`record_id` if given,
  // else a new random UUID). Errors: NOT_FOUND (no such parent, or deleted);
  // INVALID_ARGUMENT (no such repeat in the form, a repeat not directly inside the parent's,
  // or values the form refuses, with FieldErrorsOf()); FAILED_PRECONDITION (form not cached);
  // ALREADY_EXISTS; RESOURCE_EXHAUSTED (disk full).
  absl::StatusOr<std::string> CreateChild(const std::string& parent_record_id,
                                          const std::string& repeat, const Fields& fields,
                                          const std::string& record_id = "");
  // Queues an edit carrying only the fields of `changes` that differ from the local view
  // (null clears a field). No difference: OK, nothing queued. Errors: NOT_FOUND (unknown or
  // deleted record), INVALID_ARGUMENT with FieldErrorsOf(), RESOURCE_EXHAUSTED (disk full).
  absl::Status Update(const std::string& record_id, const Fields& changes);
  // Queues a delete. The record's children (and theirs) are deleted with it, locally now and
  // on the server in the same write as the delete. Errors: NOT_FOUND, RESOURCE_EXHAUSTED.
  absl::Status Delete(const std::string& record_id);
  // NOT_FOUND if the device has never seen `record_id` (deleted records are returned with
  // deleted = true).
  absl::StatusOr<Record> Get(const std::string& record_id) const;
  // The child records of `record_id` held on the device (deleted ones only with
  // `include_deleted`), ordered by repeat, then ordinal, then id. Errors: NOT_FOUND if the
  // device has never seen `record_id`.
  absl::StatusOr<std::vector<Record>> Children(const std::string& record_id,
                                               bool include_deleted = false) const;
  // Records matching `query`, ordered by record id.
  absl::StatusOr<std::vector<Record>> Find(const Query& query) const;

  // ---- Forms ----

  // The forms cached on the device.
  absl::StatusOr<std::vector<FormInfo>> Forms() const;
  // Fetches every form from the server (FormService.ListForms) and caches it.
  absl::Status RefreshForms();
  // Parses text values ("key=value" from a command line, a CSV cell) into typed values by
  // the cached form's field types: int, decimal, bool (true/false/yes/no/1/0),
  // select_multiple (separated by ';' or spaces), geopoint ("lat lon" or "lat;lon"); other
  // types stay text. An empty text is null. Errors: FAILED_PRECONDITION if the form is not
  // cached; INVALID_ARGUMENT with FieldErrorsOf() naming each bad field.
  absl::StatusOr<Fields> ParseFields(
      const std::string& form_id,
      const std::vector<std::pair<std::string, std::string>>& text) const;

  // ---- Sync ----

  // Pushes the outbox, then pulls the device's scopes; retries what is safe to retry (with
  // exponential backoff and jitter) up to options.max_attempts times without progress.
  // Errors (the last one, also kept for status()): UNAVAILABLE (server unreachable),
  // UNAUTHENTICATED (token revoked or wrong), PERMISSION_DENIED, DEADLINE_EXCEEDED,
  // RESOURCE_EXHAUSTED (disk full), DATA_LOSS (the server lost edits it had receipted).
  // Local edits are never lost by a failed sync.
  absl::StatusOr<SyncReport> Sync(SyncObserver* observer = nullptr);

  absl::StatusOr<StatusReport> GetStatus() const;
  // Stored receipts with device_seq >= since, at most `limit`, in device_seq order.
  absl::StatusOr<std::vector<ReceiptInfo>> Receipts(uint64_t since, size_t limit) const;

  // ---- Offline bundles (a post with no link; DESIGN.md "Devices and the fleet") ----

  // Writes the whole outbox to `path` as a signed, zstd-compressed bundle file (format:
  // server/bundle/bundle_codec.h; signed with a key derived from this device's token), to
  // carry to head office. Entries stay in the outbox until their receipts arrive (a receipts
  // file, or the reconcile of the next Sync()), so exporting twice or syncing after an export
  // never applies anything twice. Returns the number of mutations written. Errors:
  // FAILED_PRECONDITION if options.device_id (which must be the server's id for this
  // device) or the token is empty; NOT_FOUND-free: an empty outbox writes an empty bundle.
  absl::StatusOr<uint64_t> ExportBundle(const std::string& path);
  // Applies a receipts file produced by the server's bundle import, exactly as receipts from
  // a live sync. Returns the number of receipts applied (those already applied are skipped).
  // INVALID_ARGUMENT if the file is not a receipts file signed for this device.
  absl::StatusOr<uint64_t> ImportReceipts(const std::string& path);
  // Admin devices at head office: sends a bundle file to the server (BundleService) and
  // writes the signed receipts file to `receipts_path`. Returns the receipts.
  absl::StatusOr<std::vector<ReceiptInfo>> ImportBundleOnServer(const std::string& bundle_path,
                                                                const std::string& receipts_path);

  class Impl;

 private:
  explicit Client(std::unique_ptr<Impl> impl);
  std::unique_ptr<Impl> impl_;
};

}  // namespace fieldsync::client

#endif  // FIELDSYNC_CLIENT_SDK_INCLUDE_FIELDSYNC_CLIENT_H_
