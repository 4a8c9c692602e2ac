// Client::Impl: the record API (records.cc) and the sync engine (sync_engine.cc) over one
// LocalStore and one Transport.
//
// Locking: mu_ serialises every read-modify-write of the store (an edit, a batch of receipts,
// a pulled page), each of which is one synced WriteBatch; network calls run outside mu_, so
// edits proceed while a sync waits on the network. sync_mu_ lets one Sync() run at a time.
#ifndef FIELDSYNC_CLIENT_SDK_SRC_CLIENT_IMPL_H_
#define FIELDSYNC_CLIENT_SDK_SRC_CLIENT_IMPL_H_

#include <map>
#include <memory>
#include <optional>
#include <string>
#include <vector>

#include "absl/base/thread_annotations.h"
#include "absl/synchronization/mutex.h"
#include "client-sdk/src/hlc.h"
#include "client-sdk/src/local_store.h"
#include "client-sdk/src/transport.h"
#include "fieldsync/client.h"
#include "server/forms/form_schema.h"

namespace fieldsync::client {

class Client::Impl {
 public:
  Impl(ClientOptions options, std::unique_ptr<LocalStore> store,
       std::unique_ptr<Transport> transport);
  // Loads the seq counter and the clock from the store.
  absl::Status Init();

  // records.cc
  absl::StatusOr<std::string> Create(const std::string& form_id, const Fields& fields,
                                     const std::string& record_id);
  std::vector<absl::StatusOr<std::string>> CreateMany(const std::string& form_id,
                                                      const std::vector<Fields>& rows,
                                                      const std::vector<std::string>& ids);
  absl::StatusOr<std::string> CreateChild(const std::string& parent_record_id,
                                          const std::string& repeat, const Fields& fields,
                                          const std::string& record_id);
  absl::StatusOr<std::vector<Record>> Children(const std::string& record_id,
                                               bool include_deleted) const;
  absl::Status Update(const std::string& record_id, const Fields& changes);
  absl::Status Delete(const std::string& record_id);
  absl::StatusOr<Record> Get(const std::string& record_id) const;
  absl::StatusOr<std::vector<Record>> Find(const Query& query) const;
  absl::StatusOr<std::vector<FormInfo>> Forms() const;
  absl::Status RefreshForms();
  absl::StatusOr<Fields> ParseFields(
      const std::string& form_id,
      const std::vector<std::pair<std::string, std::string>>& text) const;

  // sync_engine.cc
  absl::StatusOr<SyncReport> Sync(SyncObserver* observer);
  absl::StatusOr<StatusReport> GetStatus() const;
  absl::StatusOr<std::vector<ReceiptInfo>> Receipts(uint64_t since, size_t limit) const;

  // sync_engine.cc (offline bundles)
  absl::StatusOr<uint64_t> ExportBundle(const std::string& path);
  absl::StatusOr<uint64_t> ImportReceipts(const std::string& path);
  absl::StatusOr<std::vector<ReceiptInfo>> ImportBundleOnServer(const std::string& bundle_path,
                                                                const std::string& receipts_path);

 private:
  struct SyncRun;

  int64_t NowMs() const;
  absl::StatusOr<std::shared_ptr<const FormSchema>> Schema(const std::string& form_id) const
      ABSL_EXCLUSIVE_LOCKS_REQUIRED(mu_);
  // Where a new child record goes (CreateChild); nullptr for a root record.
  struct ChildPlace {
    std::string parent_record_id;
    std::string repeat;
    uint32_t ordinal = 0;
  };
  // Validates a new record, stages its create into `batch` and advances *seq / *hlc.
  absl::Status StageCreate(const std::string& form_id, const Fields& fields,
                           const std::string& record_id, const ChildPlace* child,
                           LocalStore::Batch* batch, uint64_t* seq, HlcState* hlc)
      ABSL_EXCLUSIVE_LOCKS_REQUIRED(mu_);
  // The form's XLSForm checks of an edit that leaves `rec` (its place) with the values
  // `*full` (forms/record_checks.h, with the device's clock): first fills in what the form
  // derives (clears non-relevant values, sets calculates) into `*full` and `*changed`, then
  // refuses the edit with the form's messages (INVALID_ARGUMENT with FieldErrorsOf()).
  absl::Status CheckExpressions(const FormSchema& schema, const local::LocalRecord& rec,
                                FieldMap* full, FieldMap* changed) const;
  // The local records below `record_id` (children, their children, ...).
  absl::StatusOr<std::vector<local::LocalRecord>> Descendants(const std::string& record_id) const;
  // Appends the outbox entry of `m` (device_seq and hlc filled in from *seq/*hlc) and the
  // counters to `batch`.
  void StageMutation(v1::Mutation* m, LocalStore::Batch* batch, uint64_t* seq, HlcState* hlc)
      ABSL_EXCLUSIVE_LOCKS_REQUIRED(mu_);
  absl::Status Commit(LocalStore::Batch* batch, uint64_t seq, HlcState hlc)
      ABSL_EXCLUSIVE_LOCKS_REQUIRED(mu_);

  // Sync steps.
  absl::Status SyncOnce(SyncRun* run);
  absl::Status Reconcile(SyncRun* run);
  absl::Status PushOutbox(SyncRun* run);
  absl::Status PullChanges(SyncRun* run);
  // Applies receipts in one write; returns the lowest expected seq of OUT_OF_ORDER answers
  // (0 if none).
  absl::StatusOr<uint64_t> ApplyReceipts(const std::vector<v1::Receipt>& receipts, SyncRun* run);
  absl::Status ApplyPullPage(const v1::PullResponse& page, uint64_t resync_gen, SyncRun* run);
  absl::Status SweepAfterResync(uint64_t gen, SyncRun* run);
  // The device report of every sync call; the outbox figures given or counted.
  v1::DeviceReport MakeReport(uint64_t outbox_depth, int64_t oldest_created_ms) const;
  v1::DeviceReport MakeReport() const;

  const ClientOptions options_;
  std::unique_ptr<LocalStore> store_;
  std::unique_ptr<Transport> transport_;

  mutable absl::Mutex mu_;
  uint64_t next_seq_ ABSL_GUARDED_BY(mu_) = 1;
  HlcState hlc_ ABSL_GUARDED_BY(mu_);
  mutable std::map<std::string, std::shared_ptr<const FormSchema>> schemas_ ABSL_GUARDED_BY(mu_);

  absl::Mutex sync_mu_;
  Backoff backoff_ ABSL_GUARDED_BY(sync_mu_);
};

// The view of a record: `base` with `pending` edits applied in order.
void Rebase(local::LocalRecord* rec, const std::vector<local::OutboxEntry>& pending);

}  // namespace fieldsync::client

#endif  // FIELDSYNC_CLIENT_SDK_SRC_CLIENT_IMPL_H_
