// The sync engine of Client::Impl: reconcile lost acknowledgements (ListReceipts), push the
// outbox in batches on a Push stream, apply receipts, pull and rebase, full resync.
//
// Every step persists its progress in the same synced write as its effect (receipts with
// the outbox deletions, each pulled page with its cursor), so a sync cut or killed at any
// point resumes where it stopped, and re-sending an outbox entry is always safe: it keeps
// its device_seq, and the server answers a retransmission with DUPLICATE.
#include <algorithm>
#include <chrono>
#include <thread>
#include <utility>

#include "absl/strings/str_cat.h"
#include "client-sdk/src/client_impl.h"
#include "client-sdk/src/values.h"
#include "server/bundle/bundle_codec.h"
#include "server/common/file.h"
#include "server/common/status.h"

namespace fieldsync::client {

struct Client::Impl::SyncRun {
  SyncObserver* observer = nullptr;
  SyncReport report;
  uint64_t push_total = 0;
  uint64_t push_done = 0;
  bool progress = false;  // something was stored during the current attempt
  int out_of_order_rounds = 0;
};

namespace {

class NullObserver final : public SyncObserver {};

// Safe to retry: every step is idempotent (pushes keep their device_seq, pulls resume from a
// stored cursor), so only the kind of failure matters.
bool Retryable(const absl::Status& s) {
  switch (s.code()) {
    case absl::StatusCode::kUnavailable:
    case absl::StatusCode::kDeadlineExceeded:
    case absl::StatusCode::kAborted:
      return true;
    case absl::StatusCode::kResourceExhausted:
      return !IsDiskFull(s);  // server overload: yes; our own disk: no
    default:
      // A connection reset mid-call is UNAVAILABLE already (FromGrpc); INTERNAL is the
      // server's own failure and is not retried.
      return false;
  }
}

// `s` (a refused push batch) with the batch's edits named; its payloads (field violations)
// are kept.
absl::Status RejectedBatch(const absl::Status& s, uint64_t first_seq, uint64_t last_seq) {
  absl::Status out(s.code(), absl::StrCat("the server refused the batch of edits #", first_seq,
                                          "-#", last_seq, " (kept in the outbox): ", s.message()));
  s.ForEachPayload(
      [&out](absl::string_view url, const absl::Cord& payload) { out.SetPayload(url, payload); });
  return out;
}

ReceiptInfo ToInfo(const local::StoredReceipt& sr) {
  const v1::Receipt& r = sr.receipt();
  ReceiptInfo out;
  out.device_seq = r.device_seq();
  out.record_id = r.record_id();
  out.outcome = ToOutcome(r.outcome() == v1::DUPLICATE ? r.original_outcome() : r.outcome());
  if (r.outcome() == v1::DUPLICATE && out.outcome == Outcome::kUnknown) {
    out.outcome = Outcome::kDuplicate;
  }
  out.record_version = r.record_version();
  out.conflict_fields.assign(r.conflict_fields().begin(), r.conflict_fields().end());
  for (const auto& e : r.errors()) out.errors.push_back({e.field(), e.description()});
  out.received_ms = sr.received_ms();
  return out;
}

}  // namespace

Client::Impl::Impl(ClientOptions options, std::unique_ptr<LocalStore> store,
                   std::unique_ptr<Transport> transport)
    : options_(std::move(options)),
      store_(std::move(store)),
      transport_(std::move(transport)),
      backoff_(options_.initial_backoff_ms, options_.max_backoff_ms,
               options_.seed != 0 ? options_.seed : std::random_device()()) {}

absl::Status Client::Impl::Init() {
  absl::MutexLock lock(&mu_);
  FS_ASSIGN_OR_RETURN(uint64_t next, store_->GetMetaU64(kMetaNextSeq));
  next_seq_ = std::max<uint64_t>(next, 1);
  FS_ASSIGN_OR_RETURN(uint64_t ms, store_->GetMetaU64(kMetaHlcMs));
  FS_ASSIGN_OR_RETURN(uint64_t logical, store_->GetMetaU64(kMetaHlcLogical));
  hlc_ = {static_cast<int64_t>(ms), static_cast<uint32_t>(logical)};
  return absl::OkStatus();
}

v1::DeviceReport Client::Impl::MakeReport(uint64_t outbox_depth, int64_t oldest_created_ms) const {
  v1::DeviceReport r;
  r.set_app_version(options_.app_version);
  const int64_t now = NowMs();
  if (auto forms = store_->Forms(); forms.ok()) {
    for (const auto& f : *forms) (*r.mutable_form_versions())[f.form_id()] = f.version();
  }
  r.set_outbox_depth(outbox_depth);
  if (outbox_depth > 0) r.set_oldest_unsent_age_ms(std::max<int64_t>(0, now - oldest_created_ms));
  r.set_device_clock_ms(now);
  r.set_free_storage_bytes(store_->FreeBytes());
  return r;
}

v1::DeviceReport Client::Impl::MakeReport() const {
  // Counting the outbox is a scan: done once per call that needs it, not per batch.
  uint64_t depth = 0;
  int64_t oldest = 0;
  if (auto d = store_->OutboxDepth(); d.ok()) depth = *d;
  if (auto first = store_->ReadOutbox(0, 1); first.ok() && !first->empty()) {
    oldest = first->front().created_ms();
  }
  return MakeReport(depth, oldest);
}

absl::StatusOr<SyncReport> Client::Impl::Sync(SyncObserver* observer) {
  absl::MutexLock sync_lock(&sync_mu_);
  NullObserver null_observer;
  SyncRun run;
  run.observer = observer != nullptr ? observer : &null_observer;
  {
    absl::MutexLock lock(&mu_);
    LocalStore::Batch batch;
    batch.PutMetaU64(kMetaLastAttemptMs, static_cast<uint64_t>(NowMs()));
    FS_RETURN_IF_ERROR(store_->Write(&batch));
  }
  FS_ASSIGN_OR_RETURN(run.push_total, store_->OutboxDepth());
  backoff_.Reset();
  int failures = 0;
  absl::Status s;
  while (true) {
    ++run.report.attempts;
    run.progress = false;
    s = SyncOnce(&run);
    if (s.ok() || !Retryable(s)) break;
    if (run.progress) {
      failures = 0;
      backoff_.Reset();
    }
    if (++failures >= options_.max_attempts) break;
    const int64_t delay = backoff_.NextDelayMs();
    run.observer->OnRetry(s, failures, delay);
    if (options_.sleep_ms) {
      options_.sleep_ms(delay);
    } else {
      std::this_thread::sleep_for(std::chrono::milliseconds(delay));
    }
  }
  absl::MutexLock lock(&mu_);
  LocalStore::Batch batch;
  if (s.ok()) {
    batch.PutMetaU64(kMetaLastSyncMs, static_cast<uint64_t>(NowMs()));
    batch.PutMeta(kMetaLastError, "");
  } else {
    batch.PutMeta(kMetaLastError, std::string(s.message()));
  }
  absl::Status w = store_->Write(&batch);
  if (!s.ok()) return s;
  if (!w.ok()) return w;
  return run.report;
}

absl::Status Client::Impl::SyncOnce(SyncRun* run) {
  FS_RETURN_IF_ERROR(RefreshForms());
  FS_RETURN_IF_ERROR(Reconcile(run));
  FS_RETURN_IF_ERROR(PushOutbox(run));
  return PullChanges(run);
}

absl::Status Client::Impl::Reconcile(SyncRun* run) {
  FS_ASSIGN_OR_RETURN(std::vector<local::OutboxEntry> first, store_->ReadOutbox(0, 1));
  if (first.empty()) return absl::OkStatus();
  uint64_t since = first[0].mutation().device_seq();
  run->observer->OnProgress({SyncProgress::Phase::kReconcile, run->push_done, run->push_total});
  while (true) {
    v1::ListReceiptsRequest req;
    req.set_since_device_seq(since);
    req.set_limit(1000);
    FS_ASSIGN_OR_RETURN(v1::ListReceiptsResponse resp, transport_->ListReceipts(req));
    if (resp.acked_device_seq() + 1 < first[0].mutation().device_seq()) {
      return absl::DataLossError(absl::StrCat(
          "the server has acknowledged only up to device_seq ", resp.acked_device_seq(),
          " but this device holds receipts up to ", first[0].mutation().device_seq() - 1,
          ": the server lost data; ask an administrator to restore it (nothing is deleted "
          "here)"));
    }
    if (resp.receipts().empty()) return absl::OkStatus();
    std::vector<v1::Receipt> receipts(resp.receipts().begin(), resp.receipts().end());
    FS_RETURN_IF_ERROR(ApplyReceipts(receipts, run).status());
    since = receipts.back().device_seq() + 1;
    if (since > resp.acked_device_seq()) return absl::OkStatus();
  }
}

absl::Status Client::Impl::PushOutbox(SyncRun* run) {
  std::unique_ptr<PushStream> stream;
  size_t batches_on_stream = 0;
  uint64_t from = 0;
  FS_ASSIGN_OR_RETURN(uint64_t depth, store_->OutboxDepth());
  while (true) {
    FS_ASSIGN_OR_RETURN(std::vector<local::OutboxEntry> entries,
                        store_->ReadOutbox(from, std::max<size_t>(1, options_.push_batch)));
    if (entries.empty()) break;
    if (stream == nullptr || batches_on_stream >= options_.batches_per_stream) {
      if (stream != nullptr) FS_RETURN_IF_ERROR(stream->Finish());
      FS_ASSIGN_OR_RETURN(stream, transport_->OpenPush());
      batches_on_stream = 0;
    }
    v1::PushRequest req;
    for (const auto& e : entries) *req.add_mutations() = e.mutation();
    *req.mutable_report() = MakeReport(depth, entries.front().created_ms());
    absl::StatusOr<v1::PushResponse> exchanged = stream->Exchange(req);
    if (exchanged.status().code() == absl::StatusCode::kInvalidArgument) {
      // The server refused the batch as a whole (it could not decode it, or it breaks a
      // limit): resending it cannot help, so Sync stops here (not retried) and says which.
      return RejectedBatch(exchanged.status(), entries.front().mutation().device_seq(),
                           entries.back().mutation().device_seq());
    }
    FS_ASSIGN_OR_RETURN(v1::PushResponse resp, std::move(exchanged));
    ++batches_on_stream;
    if (resp.receipts_size() != req.mutations_size()) {
      return absl::UnavailableError(absl::StrCat("the server answered ", resp.receipts_size(),
                                                 " receipts for ", req.mutations_size(),
                                                 " mutations"));
    }
    std::vector<v1::Receipt> receipts(resp.receipts().begin(), resp.receipts().end());
    const uint64_t pushed_before = run->report.pushed;
    FS_ASSIGN_OR_RETURN(uint64_t expected, ApplyReceipts(receipts, run));
    depth -= std::min<uint64_t>(depth, run->report.pushed - pushed_before);
    if (expected != 0) {
      // The server expects an earlier seq than we sent: find out what it has (receipts we
      // missed), then send again from the first entry still in the outbox.
      if (++run->out_of_order_rounds > 3) {
        return absl::InternalError(absl::StrCat(
            "the server keeps answering OUT_OF_ORDER (expects device_seq ", expected, ")"));
      }
      FS_RETURN_IF_ERROR(stream->Finish());
      stream.reset();
      FS_RETURN_IF_ERROR(Reconcile(run));
      from = 0;
      continue;
    }
    from = entries.back().mutation().device_seq() + 1;
  }
  if (stream != nullptr) FS_RETURN_IF_ERROR(stream->Finish());
  return absl::OkStatus();
}

absl::StatusOr<uint64_t> Client::Impl::ApplyReceipts(const std::vector<v1::Receipt>& receipts,
                                                     SyncRun* run) {
  uint64_t expected = 0;
  std::vector<ReceiptInfo> conflicts, rejections;
  {
    absl::MutexLock lock(&mu_);
    FS_ASSIGN_OR_RETURN(uint64_t acked, store_->GetMetaU64(kMetaAckedSeq));
    FS_ASSIGN_OR_RETURN(uint64_t rejected_total, store_->GetMetaU64(kMetaRejected));
    FS_ASSIGN_OR_RETURN(uint64_t conflicts_total, store_->GetMetaU64(kMetaConflicts));
    std::map<std::string, std::optional<local::LocalRecord>> records;
    LocalStore::Batch batch;
    SyncReport delta;
    const int64_t now = NowMs();
    for (const auto& r : receipts) {
      if (r.outcome() == v1::OUT_OF_ORDER) {
        if (expected == 0 || r.expected_device_seq() < expected) expected = r.expected_device_seq();
        continue;
      }
      FS_ASSIGN_OR_RETURN(std::optional<local::OutboxEntry> entry,
                          store_->GetOutbox(r.device_seq()));
      if (!entry) continue;  // already receipted (a duplicate answer to a resend)
      const v1::Mutation& m = entry->mutation();
      if (!r.record_id().empty() && r.record_id() != m.record_id()) {
        // The server's seq belongs to another edit: a second client (a reinstalled app, a
        // copy of the token) used this device identity's sequence numbers. Taking the receipt
        // would mark this edit sent when the server never saw it.
        return absl::FailedPreconditionError(absl::StrCat(
            "the server's receipt for edit #", r.device_seq(), " is for record ", r.record_id(),
            ", not ", m.record_id(), ": another client has used this device's identity. Your ",
            "edits are kept here; enroll this device again (or init it with its own token)"));
      }
      auto it = records.find(m.record_id());
      if (it == records.end()) {
        FS_ASSIGN_OR_RETURN(auto rec, store_->GetRecord(m.record_id()));
        it = records.emplace(m.record_id(), std::move(rec)).first;
      }
      const v1::Outcome outcome = r.outcome() == v1::DUPLICATE ? r.original_outcome() : r.outcome();
      batch.DeleteOutbox(r.device_seq(), m.record_id());
      if (it->second) {
        local::LocalRecord& rec = *it->second;
        rec.set_pending(rec.pending() > 0 ? rec.pending() - 1 : 0);
        switch (outcome) {
          case v1::APPLIED:
          case v1::MERGED:
          case v1::CONFLICT:
            if (r.record_version() > rec.base_version()) {
              // A fast-forward of the state we knew: the server now holds base + this edit.
              if (outcome == v1::APPLIED && r.record_version() == rec.base_version() + 1) {
                local::LocalRecord tmp = rec;
                tmp.set_base_version(0);
                *tmp.mutable_fields() = rec.base_fields();
                tmp.set_deleted(rec.base_deleted());
                local::OutboxEntry one = *entry;
                Rebase(&tmp, {one});
                *rec.mutable_base_fields() = tmp.fields();
                rec.set_base_deleted(tmp.deleted());
              }
              rec.set_base_version(r.record_version());
            }
            if (outcome == v1::CONFLICT) rec.set_conflict(true);
            rec.set_rejected(false);
            rec.clear_rejection();
            break;
          case v1::REJECTED:
            rec.set_rejected(true);
            *rec.mutable_rejection() = r.errors();
            break;
          default:
            break;
        }
      }
      local::StoredReceipt sr;
      *sr.mutable_receipt() = r;
      sr.set_received_ms(now);
      const bool problem = outcome == v1::CONFLICT || outcome == v1::REJECTED;
      batch.PutReceipt(sr, problem);
      acked = std::max(acked, r.device_seq());
      ++delta.pushed;
      if (r.outcome() == v1::DUPLICATE) ++delta.duplicates;
      if (outcome == v1::APPLIED) ++delta.applied;
      if (outcome == v1::MERGED) ++delta.merged;
      if (outcome == v1::CONFLICT) {
        ++delta.conflicts;
        ++conflicts_total;
        conflicts.push_back(ToInfo(sr));
      }
      if (outcome == v1::REJECTED) {
        ++delta.rejected;
        ++rejected_total;
        rejections.push_back(ToInfo(sr));
      }
    }
    if (batch.Count() == 0) return expected;
    for (const auto& [id, rec] : records) {
      if (rec) batch.PutRecord(*rec);
    }
    batch.PutMetaU64(kMetaAckedSeq, acked);
    batch.PutMetaU64(kMetaRejected, rejected_total);
    batch.PutMetaU64(kMetaConflicts, conflicts_total);
    FS_RETURN_IF_ERROR(store_->Write(&batch));
    run->progress = true;
    run->push_done += delta.pushed;
    run->report.pushed += delta.pushed;
    run->report.duplicates += delta.duplicates;
    run->report.applied += delta.applied;
    run->report.merged += delta.merged;
    run->report.conflicts += delta.conflicts;
    run->report.rejected += delta.rejected;
  }
  for (const auto& c : conflicts) run->observer->OnConflict(c);
  for (const auto& r : rejections) run->observer->OnRejected(r);
  run->observer->OnProgress(
      {SyncProgress::Phase::kPush, run->push_done, std::max(run->push_total, run->push_done)});
  return expected;
}

absl::Status Client::Impl::PullChanges(SyncRun* run) {
  FS_ASSIGN_OR_RETURN(std::string cursor, store_->GetMeta(kMetaCursor));
  FS_ASSIGN_OR_RETURN(uint64_t gen, store_->GetMetaU64(kMetaResyncGen));
  FS_ASSIGN_OR_RETURN(uint64_t active, store_->GetMetaU64(kMetaResyncActive));
  bool restarted = false;
  const v1::DeviceReport report = MakeReport();
  while (true) {
    v1::PullRequest req;
    req.set_cursor(cursor);
    req.set_limit(options_.pull_limit);
    *req.mutable_report() = report;
    bool has_more = false;
    absl::Status s = transport_->Pull(req, [&](const v1::PullResponse& page) -> absl::Status {
      FS_RETURN_IF_ERROR(ApplyPullPage(page, gen, run));
      cursor = page.next_cursor();
      has_more = page.has_more();
      return absl::OkStatus();
    });
    if (IsResyncRequired(s) && !restarted) {
      // The server no longer has the changes since our cursor: take a full snapshot, then
      // drop what it did not contain. The generation makes this survive a kill midway.
      restarted = true;
      ++gen;
      active = 1;
      cursor.clear();
      absl::MutexLock lock(&mu_);
      LocalStore::Batch batch;
      batch.PutMeta(kMetaCursor, "");
      batch.PutMetaU64(kMetaResyncGen, gen);
      batch.PutMetaU64(kMetaResyncActive, 1);
      FS_RETURN_IF_ERROR(store_->Write(&batch));
      continue;
    }
    FS_RETURN_IF_ERROR(s);
    if (!has_more) break;
  }
  if (active != 0) {
    FS_RETURN_IF_ERROR(SweepAfterResync(gen, run));
    run->report.resynced = true;
  }
  return absl::OkStatus();
}

absl::Status Client::Impl::ApplyPullPage(const v1::PullResponse& page, uint64_t resync_gen,
                                         SyncRun* run) {
  absl::MutexLock lock(&mu_);
  LocalStore::Batch batch;
  std::map<std::string, std::optional<local::LocalRecord>> touched;
  uint64_t pulled = 0, removed = 0;
  for (const auto& rs : page.records()) {
    auto it = touched.find(rs.record_id());
    if (it == touched.end()) {
      FS_ASSIGN_OR_RETURN(auto rec, store_->GetRecord(rs.record_id()));
      it = touched.emplace(rs.record_id(), std::move(rec)).first;
    }
    std::optional<local::LocalRecord>& local = it->second;
    if (rs.out_of_scope()) {
      // The record left this device's scopes: drop it, unless edits of it still wait to be
      // sent (the server will answer them; the record goes on the next sync).
      if (local && local->pending() == 0) {
        batch.DeleteRecord(*local);
        local.reset();
        ++removed;
      }
      continue;
    }
    if (local && local->base_version() > rs.version()) {
      local->set_resync_gen(resync_gen);
      continue;  // older than what we already have
    }
    if (!local) {
      local.emplace();
      local->set_record_id(rs.record_id());
    }
    local->set_form_id(rs.form_id());
    local->set_form_version(rs.form_version());
    local->set_base_version(rs.version());
    local->set_parent_record_id(rs.parent_record_id());
    local->set_repeat(rs.repeat());
    local->set_ordinal(rs.ordinal());
    *local->mutable_base_fields() = rs.fields();
    local->set_base_deleted(rs.deleted());
    local->set_conflict(rs.has_open_conflict());
    local->set_resync_gen(resync_gen);
    // Rebase: the server state is the new base; this device's pending edits stay on top.
    std::vector<local::OutboxEntry> pending;
    if (local->pending() > 0) {
      FS_ASSIGN_OR_RETURN(pending, store_->PendingFor(rs.record_id()));
    }
    Rebase(&*local, pending);
    ++pulled;
  }
  for (const auto& [id, rec] : touched) {
    if (rec) batch.PutRecord(*rec);
  }
  batch.PutMeta(kMetaCursor, page.next_cursor());
  FS_RETURN_IF_ERROR(store_->Write(&batch));
  run->progress = true;
  run->report.pulled += pulled;
  run->report.removed += removed;
  run->observer->OnProgress({SyncProgress::Phase::kPull, run->report.pulled, 0});
  return absl::OkStatus();
}

absl::Status Client::Impl::SweepAfterResync(uint64_t gen, SyncRun* run) {
  absl::MutexLock lock(&mu_);
  LocalStore::Batch batch;
  uint64_t removed = 0;
  FS_RETURN_IF_ERROR(store_->ForEachRecord("", [&](const local::LocalRecord& r) {
    // Records the snapshot did not contain, that came from the server and wait for nothing.
    if (r.resync_gen() != gen && r.pending() == 0 && r.base_version() > 0) {
      batch.DeleteRecord(r);
      ++removed;
    }
    return true;
  }));
  batch.PutMetaU64(kMetaResyncActive, 0);
  FS_RETURN_IF_ERROR(store_->Write(&batch));
  run->report.removed += removed;
  return absl::OkStatus();
}

absl::StatusOr<StatusReport> Client::Impl::GetStatus() const {
  StatusReport out;
  FS_ASSIGN_OR_RETURN(out.pending, store_->OutboxDepth());
  FS_ASSIGN_OR_RETURN(std::vector<local::OutboxEntry> first, store_->ReadOutbox(0, 1));
  if (!first.empty()) {
    out.oldest_unsent_age_ms = std::max<int64_t>(0, NowMs() - first[0].created_ms());
  }
  FS_ASSIGN_OR_RETURN(out.rejected, store_->GetMetaU64(kMetaRejected));
  FS_ASSIGN_OR_RETURN(out.conflicts, store_->GetMetaU64(kMetaConflicts));
  FS_ASSIGN_OR_RETURN(out.acked_device_seq, store_->GetMetaU64(kMetaAckedSeq));
  FS_ASSIGN_OR_RETURN(uint64_t last_sync, store_->GetMetaU64(kMetaLastSyncMs));
  FS_ASSIGN_OR_RETURN(uint64_t last_attempt, store_->GetMetaU64(kMetaLastAttemptMs));
  out.last_sync_ms = static_cast<int64_t>(last_sync);
  out.last_attempt_ms = static_cast<int64_t>(last_attempt);
  FS_ASSIGN_OR_RETURN(out.last_error, store_->GetMeta(kMetaLastError));
  FS_RETURN_IF_ERROR(store_->ForEachRecord("", [&](const local::LocalRecord& r) {
    if (!r.deleted()) ++out.records;
    return true;
  }));
  {
    absl::MutexLock lock(&mu_);
    out.next_device_seq = next_seq_;
  }
  FS_ASSIGN_OR_RETURN(std::vector<local::StoredReceipt> problems, store_->RecentProblems(50));
  for (const auto& p : problems) out.problems.push_back(ToInfo(p));
  return out;
}

absl::StatusOr<std::vector<ReceiptInfo>> Client::Impl::Receipts(uint64_t since,
                                                                size_t limit) const {
  FS_ASSIGN_OR_RETURN(std::vector<local::StoredReceipt> stored, store_->ReadReceipts(since, limit));
  std::vector<ReceiptInfo> out;
  for (const auto& s : stored) out.push_back(ToInfo(s));
  return out;
}

namespace {

// Bundles and receipts files: bounded by the bundle format's own limit.
absl::StatusOr<std::string> ReadWholeFile(const std::string& path) {
  return ReadFileToString(path, bundle::BundleLimits{}.max_file_bytes);
}

}  // namespace

absl::StatusOr<uint64_t> Client::Impl::ExportBundle(const std::string& path) {
  if (options_.device_id.empty() || options_.server.token.empty()) {
    return absl::FailedPreconditionError(
        "a bundle is signed for this device: set its device id and token (fieldsync init)");
  }
  v1::Bundle bundle;
  bundle.set_device_id(options_.device_id);
  bundle.set_created_ms(NowMs());
  FS_ASSIGN_OR_RETURN(std::vector<local::OutboxEntry> entries,
                      store_->ReadOutbox(0, bundle::BundleLimits{}.max_mutations));
  for (const auto& e : entries) *bundle.add_mutations() = e.mutation();
  if (!entries.empty()) {
    bundle.set_first_device_seq(entries.front().mutation().device_seq());
    bundle.set_last_device_seq(entries.back().mutation().device_seq());
  }
  *bundle.mutable_report() =
      MakeReport(entries.size(), entries.empty() ? 0 : entries.front().created_ms());
  FS_ASSIGN_OR_RETURN(std::string file,
                      bundle::WriteBundle(bundle, bundle::KeyFromToken(options_.server.token)));
  FS_RETURN_IF_ERROR(WriteFileAtomically(path, file));
  return static_cast<uint64_t>(entries.size());
}

absl::StatusOr<uint64_t> Client::Impl::ImportReceipts(const std::string& path) {
  FS_ASSIGN_OR_RETURN(std::string file, ReadWholeFile(path));
  FS_ASSIGN_OR_RETURN(v1::BundleReceipts receipts,
                      bundle::ReadReceipts(file, bundle::KeyFromToken(options_.server.token)));
  if (receipts.device_id() != options_.device_id) {
    return absl::InvalidArgumentError(
        absl::StrCat("the receipts are for device ", receipts.device_id(), ", not this one"));
  }
  absl::MutexLock sync_lock(&sync_mu_);
  NullObserver null_observer;
  SyncRun run;
  run.observer = &null_observer;
  std::vector<v1::Receipt> list(receipts.receipts().begin(), receipts.receipts().end());
  FS_RETURN_IF_ERROR(ApplyReceipts(list, &run).status());
  return run.report.pushed;
}

absl::StatusOr<std::vector<ReceiptInfo>> Client::Impl::ImportBundleOnServer(
    const std::string& bundle_path, const std::string& receipts_path) {
  v1::ImportBundleRequest req;
  FS_ASSIGN_OR_RETURN(*req.mutable_bundle(), ReadWholeFile(bundle_path));
  FS_ASSIGN_OR_RETURN(v1::ImportBundleResponse resp, transport_->ImportBundle(req));
  FS_RETURN_IF_ERROR(WriteFileAtomically(receipts_path, resp.receipts_file()));
  std::vector<ReceiptInfo> out;
  for (const auto& r : resp.receipts()) {
    local::StoredReceipt sr;
    *sr.mutable_receipt() = r;
    out.push_back(ToInfo(sr));
  }
  return out;
}

}  // namespace fieldsync::client
