#include "server/webhook/dispatcher.h"

#include <algorithm>
#include <limits>
#include <random>

#include "absl/strings/str_cat.h"
#include "server/common/hash.h"
#include "server/common/log.h"
#include "server/common/status.h"
#include "server/storage/keys.h"
#include "server/webhook/payload.h"

namespace fieldsync::webhook {

struct WebhookDispatcher::Worker {
  WebhookTarget target;
  std::mutex mu;  // guards state and stop
  std::condition_variable cv;
  bool stop = false;
  WebhookState state;
  std::atomic<uint64_t> next_seq{1};
  std::mt19937_64 rng;
  std::thread thread;
};

namespace {

std::string Describe(const HttpResult& r) {
  return r.status != 0 ? absl::StrCat("HTTP ", r.status) : r.error;
}

}  // namespace

WebhookDispatcher::WebhookDispatcher(Store* store, ChangeFeed* feed, HttpPoster* poster,
                                     Clock* clock, DispatcherOptions options)
    : store_(store), feed_(feed), poster_(poster), clock_(clock), options_(options) {}

WebhookDispatcher::~WebhookDispatcher() { Stop(); }

absl::Status WebhookDispatcher::Start() {
  FS_ASSIGN_OR_RETURN(std::vector<WebhookTarget> targets, store_->ListWebhookTargets());
  for (const auto& t : targets) {
    if (!t.enabled) continue;
    FS_ASSIGN_OR_RETURN(WebhookState state, store_->GetWebhookState(t.target_id));
    StartWorker(t, state);
  }
  return absl::OkStatus();
}

void WebhookDispatcher::StartWorker(const WebhookTarget& target, const WebhookState& state) {
  auto w = std::make_unique<Worker>();
  w->target = target;
  w->state = state;
  w->next_seq = std::max<uint64_t>(state.next_seq, 1);
  const uint64_t seed = options_.jitter_seed != 0
                            ? options_.jitter_seed + jitter_counter_++
                            : static_cast<uint64_t>(clock_->NowMs()) + jitter_counter_++;
  w->rng.seed(seed);
  Worker* raw = w.get();
  std::lock_guard<std::mutex> l(mu_);
  if (stopped_) return;
  workers_[target.target_id] = std::move(w);
  raw->thread = std::thread([this, raw] { Run(raw); });
}

void WebhookDispatcher::Stop() {
  std::map<std::string, std::unique_ptr<Worker>> workers;
  {
    std::lock_guard<std::mutex> l(mu_);
    stopped_ = true;
    workers.swap(workers_);
  }
  for (auto& [id, w] : workers) {
    {
      std::lock_guard<std::mutex> l(w->mu);
      w->stop = true;
    }
    w->cv.notify_all();
  }
  for (auto& [id, w] : workers) {
    if (w->thread.joinable()) w->thread.join();
  }
}

bool WebhookDispatcher::Sleep(Worker* w, std::chrono::milliseconds d) {
  std::unique_lock<std::mutex> l(w->mu);
  w->cv.wait_for(l, d, [&] { return w->stop; });
  return !w->stop;
}

HttpResult WebhookDispatcher::Send(const WebhookTarget& t, uint64_t seq, const std::string& event,
                                   const std::string& body) {
  Headers headers = {{"X-Fieldsync-Signature", SignatureHeader(t.secret, body)},
                     {"Idempotency-Key", absl::StrCat(seq)},
                     {"X-Fieldsync-Event", event},
                     {"X-Fieldsync-Target", t.target_id}};
  return poster_->Post(t.url, body, headers, options_.timeout);
}

bool WebhookDispatcher::Deliver(Worker* w, const ChangeEntry& change) {
  std::optional<Record> current;
  if (auto r = store_->GetRecord(change.record_id); r.ok()) current = *r;
  const std::string body = PayloadJson(change, current);
  const std::string event = EventName(EventOf(change));
  for (int attempt = 1;; ++attempt) {
    HttpResult r = Send(w->target, change.seq, event, body);
    const int64_t now = clock_->NowMs();
    if (r.ok()) {
      std::lock_guard<std::mutex> l(w->mu);
      ++w->state.delivered;
      w->state.last_success_ms = now;
      return true;
    }
    {
      std::lock_guard<std::mutex> l(w->mu);
      w->state.last_error = absl::StrCat("seq ", change.seq, ": ", Describe(r));
      w->state.last_error_ms = now;
    }
    if (attempt >= options_.max_attempts) {
      DeadLetter dead;
      dead.target_id = w->target.target_id;
      dead.seq = change.seq;
      dead.attempts = static_cast<uint32_t>(attempt);
      dead.last_error = Describe(r);
      dead.failed_ms = now;
      dead.event = event;
      dead.payload = body;
      Store::Batch batch;
      batch.PutDeadLetter(dead);
      WebhookState state;
      {
        std::lock_guard<std::mutex> l(w->mu);
        ++w->state.dead_lettered;
        w->state.next_seq = change.seq + 1;
        state = w->state;
      }
      batch.PutWebhookState(w->target.target_id, state);
      // Synced: the change leaves the delivery order here and must not be lost.
      if (auto s = store_->Write(batch, /*sync=*/true); !s.ok()) {
        LogEvent(LogLevel::kError, "webhook_dead_letter_failed").Str("status", s.ToString());
        return Sleep(w, options_.max_backoff) && Deliver(w, change);
      }
      LogEvent(LogLevel::kWarn, "webhook_dead_letter")
          .Str("target", w->target.target_id)
          .Int("seq", static_cast<int64_t>(change.seq));
      return true;
    }
    auto backoff = options_.first_backoff * (1LL << std::min(attempt - 1, 20));
    backoff = std::min<std::chrono::milliseconds>(backoff, options_.max_backoff);
    const double jitter = std::uniform_real_distribution<double>(0.5, 1.0)(w->rng);
    if (!Sleep(w, std::chrono::milliseconds(static_cast<int64_t>(backoff.count() * jitter)))) {
      return false;
    }
  }
}

void WebhookDispatcher::Run(Worker* w) {
  auto persist = [&] {
    WebhookState state;
    {
      std::lock_guard<std::mutex> l(w->mu);
      w->state.next_seq = w->next_seq;
      state = w->state;
    }
    Store::Batch batch;
    batch.PutWebhookState(w->target.target_id, state);
    // Not synced: a lost checkpoint only sends changes again (at-least-once).
    if (auto s = store_->Write(batch, /*sync=*/false); !s.ok()) {
      LogEvent(LogLevel::kError, "webhook_checkpoint_failed").Str("status", s.ToString());
    }
  };
  while (true) {
    {
      std::lock_guard<std::mutex> l(w->mu);
      if (w->stop) return;
    }
    const uint64_t next = w->next_seq;
    auto batch = feed_->Read(next, options_.page);
    if (!batch.ok()) {
      if (batch.status().code() == absl::StatusCode::kFailedPrecondition) {
        // Purged while this target was disabled: say so, and go on from what is kept.
        auto oldest = store_->GetMeta(keys::kMinRetainedSeq);
        if (oldest.ok() && *oldest > next) {
          std::lock_guard<std::mutex> l(w->mu);
          w->state.dropped += *oldest - next;
          w->state.last_error = absl::StrCat("changes ", next, "-", *oldest - 1,
                                             " were purged before delivery (target disabled)");
          w->state.last_error_ms = clock_->NowMs();
          w->next_seq = *oldest;
          persist();
          continue;
        }
      }
      {
        std::lock_guard<std::mutex> l(w->mu);
        w->state.last_error = std::string(batch.status().message());
        w->state.last_error_ms = clock_->NowMs();
      }
      if (!Sleep(w, options_.first_backoff)) return;
      continue;
    }
    if (batch->changes.empty()) {
      // Wake at least every 200 ms to notice Stop().
      feed_->Wait(next - 1, std::chrono::steady_clock::now() + std::chrono::milliseconds(200));
      continue;
    }
    for (const auto& change : batch->changes) {
      if (Wants(w->target, change)) {
        if (!Deliver(w, change)) return;  // stopped: this change is sent again next time
      }
      w->next_seq = change.seq + 1;
    }
    persist();
  }
}

absl::StatusOr<WebhookTarget> WebhookDispatcher::Add(WebhookTarget target) {
  FS_RETURN_IF_ERROR(CheckTargetUrl(target.url));
  if (target.secret.size() < options_.min_secret_bytes ||
      target.secret.size() > options_.max_secret_bytes) {
    return InvalidFieldsError("bad secret",
                              {{"secret", absl::StrCat(options_.min_secret_bytes, " to ",
                                                       options_.max_secret_bytes, " bytes")}});
  }
  if (target.events == 0) {
    return InvalidFieldsError("no events", {{"events", "name at least one event"}});
  }
  if (target.form_ids.size() > options_.max_forms) {
    return InvalidFieldsError("too many forms",
                              {{"form_ids", absl::StrCat("at most ", options_.max_forms)}});
  }
  if (target.scopes.size() > options_.max_scopes) {
    return InvalidFieldsError("too many scopes",
                              {{"scopes", absl::StrCat("at most ", options_.max_scopes)}});
  }
  FS_ASSIGN_OR_RETURN(std::vector<WebhookTarget> existing, store_->ListWebhookTargets());
  if (existing.size() >= options_.max_targets) {
    return absl::ResourceExhaustedError(
        absl::StrCat("at most ", options_.max_targets, " webhook targets"));
  }
  target.target_id = "wh-" + RandomHex(6);
  target.created_ms = clock_->NowMs();
  FS_ASSIGN_OR_RETURN(ChangeBatch head, feed_->Read(std::numeric_limits<uint64_t>::max(), 1));
  WebhookState state;
  state.next_seq = head.head_seq + 1;
  Store::Batch batch;
  batch.PutWebhookTarget(target);
  batch.PutWebhookState(target.target_id, state);
  FS_RETURN_IF_ERROR(store_->Write(batch, /*sync=*/true));
  if (target.enabled) StartWorker(target, state);
  return target;
}

absl::Status WebhookDispatcher::Remove(const std::string& target_id) {
  FS_ASSIGN_OR_RETURN(std::vector<WebhookTarget> targets, store_->ListWebhookTargets());
  if (std::none_of(targets.begin(), targets.end(),
                   [&](const WebhookTarget& t) { return t.target_id == target_id; })) {
    return absl::NotFoundError(absl::StrCat("no webhook target ", target_id));
  }
  std::unique_ptr<Worker> w;
  {
    std::lock_guard<std::mutex> l(mu_);
    auto it = workers_.find(target_id);
    if (it != workers_.end()) {
      w = std::move(it->second);
      workers_.erase(it);
    }
  }
  if (w) {
    {
      std::lock_guard<std::mutex> l(w->mu);
      w->stop = true;
    }
    w->cv.notify_all();
    w->thread.join();
  }
  Store::Batch batch;
  batch.DeleteWebhookTarget(target_id);
  FS_RETURN_IF_ERROR(store_->ScanDeadLetters(target_id, 0, [&](const DeadLetter& d) {
    batch.DeleteDeadLetter(target_id, d.seq);
    return true;
  }));
  return store_->Write(batch, /*sync=*/true);
}

absl::StatusOr<std::vector<TargetStatus>> WebhookDispatcher::List() const {
  FS_ASSIGN_OR_RETURN(std::vector<WebhookTarget> targets, store_->ListWebhookTargets());
  FS_ASSIGN_OR_RETURN(ChangeBatch head, feed_->Read(std::numeric_limits<uint64_t>::max(), 1));
  std::vector<TargetStatus> out;
  for (auto& t : targets) {
    TargetStatus s;
    FS_ASSIGN_OR_RETURN(s.state, store_->GetWebhookState(t.target_id));
    {
      // A running worker's status is newer than what it last wrote.
      std::lock_guard<std::mutex> l(mu_);
      auto it = workers_.find(t.target_id);
      if (it != workers_.end()) {
        std::lock_guard<std::mutex> wl(it->second->mu);
        s.state = it->second->state;
        s.state.next_seq = it->second->next_seq;
      }
    }
    s.lag = head.head_seq >= s.state.next_seq ? head.head_seq - s.state.next_seq + 1 : 0;
    FS_RETURN_IF_ERROR(store_->ScanDeadLetters(t.target_id, 0, [&](const DeadLetter&) {
      ++s.dead_letters;
      return true;
    }));
    t.secret.clear();
    s.target = std::move(t);
    out.push_back(std::move(s));
  }
  return out;
}

absl::StatusOr<std::vector<DeadLetter>> WebhookDispatcher::DeadLetters(const std::string& target_id,
                                                                       size_t limit) const {
  FS_ASSIGN_OR_RETURN(std::vector<WebhookTarget> targets, store_->ListWebhookTargets());
  if (std::none_of(targets.begin(), targets.end(),
                   [&](const WebhookTarget& t) { return t.target_id == target_id; })) {
    return absl::NotFoundError(absl::StrCat("no webhook target ", target_id));
  }
  std::vector<DeadLetter> out;
  FS_RETURN_IF_ERROR(store_->ScanDeadLetters(target_id, 0, [&](const DeadLetter& d) {
    out.push_back(d);
    return out.size() < limit;
  }));
  return out;
}

absl::StatusOr<uint64_t> WebhookDispatcher::Replay(const std::string& target_id, uint64_t seq) {
  FS_ASSIGN_OR_RETURN(std::vector<WebhookTarget> targets, store_->ListWebhookTargets());
  auto t = std::find_if(targets.begin(), targets.end(),
                        [&](const WebhookTarget& x) { return x.target_id == target_id; });
  if (t == targets.end()) return absl::NotFoundError(absl::StrCat("no webhook target ", target_id));
  std::vector<DeadLetter> letters;
  FS_RETURN_IF_ERROR(store_->ScanDeadLetters(target_id, seq, [&](const DeadLetter& d) {
    if (seq != 0 && d.seq != seq) return false;
    letters.push_back(d);
    return letters.size() < options_.page;
  }));
  if (seq != 0 && letters.empty()) {
    return absl::NotFoundError(absl::StrCat("no dead letter ", seq, " for ", target_id));
  }
  uint64_t delivered = 0;
  for (const auto& d : letters) {
    HttpResult r = Send(*t, d.seq, d.event, d.payload);
    Store::Batch batch;
    if (r.ok()) {
      batch.DeleteDeadLetter(target_id, d.seq);
      ++delivered;
    } else {
      DeadLetter again = d;
      ++again.attempts;
      again.last_error = Describe(r);
      again.failed_ms = clock_->NowMs();
      batch.PutDeadLetter(again);
    }
    FS_RETURN_IF_ERROR(store_->Write(batch, /*sync=*/true));
  }
  return delivered;
}

uint64_t WebhookDispatcher::KeepFromSeq() const {
  uint64_t keep = std::numeric_limits<uint64_t>::max();
  std::lock_guard<std::mutex> l(mu_);
  for (const auto& [id, w] : workers_) keep = std::min<uint64_t>(keep, w->next_seq);
  return keep;
}

}  // namespace fieldsync::webhook
