#include "server/aggregation/consumer.h"

#include <map>
#include <set>
#include <tuple>
#include <utility>

#include "absl/strings/str_cat.h"
#include "server/aggregation/cell_math.h"
#include "server/common/status.h"

namespace fieldsync::aggregation {
namespace {

// (form_id, aggregation, scope, bucket, group)
using CellId = std::tuple<std::string, std::string, std::string, uint64_t, std::string>;

struct FormInfo {
  Form form;
  std::set<std::string> referenced;
};

// What one feed page changes, accumulated in memory and written in one batch.
struct Page {
  std::map<std::pair<std::string, std::string>, AggRecordState> states;
  std::map<CellId, AggCell> deltas;
  std::map<std::string, FormInfo> forms;
};

}  // namespace

AggregationConsumer::AggregationConsumer(ChangeFeed* feed, FormSource* forms, AggregateStore* store,
                                         Clock* clock, ConsumerOptions options)
    : feed_(feed), forms_(forms), store_(store), clock_(clock), options_(options) {}

AggregationConsumer::~AggregationConsumer() { Stop(); }

absl::Status AggregationConsumer::Init() {
  std::lock_guard<std::mutex> l(consume_mu_);
  FS_ASSIGN_OR_RETURN(checkpoint_, store_->GetCheckpoint());
  std::lock_guard<std::mutex> s(status_mu_);
  status_.checkpoint_seq = checkpoint_.seq;
  status_.last_commit_time_ms = checkpoint_.last_commit_time_ms;
  status_.skipped_changes = checkpoint_.skipped_changes;
  status_.head_seq = std::max(status_.head_seq, checkpoint_.seq);
  return absl::OkStatus();
}

absl::StatusOr<size_t> AggregationConsumer::ConsumeOnce() {
  std::lock_guard<std::mutex> l(consume_mu_);
  return ConsumeLocked();
}

absl::StatusOr<size_t> AggregationConsumer::ConsumeLocked() {
  auto fail = [&](const absl::Status& s) {
    std::lock_guard<std::mutex> l(status_mu_);
    status_.last_error = std::string(s.message());
    return s;
  };
  auto batch = feed_->Read(checkpoint_.seq + 1, options_.page);
  if (!batch.ok()) return fail(batch.status());
  {
    std::lock_guard<std::mutex> l(status_mu_);
    status_.head_seq = std::max(batch->head_seq, checkpoint_.seq);
    status_.last_poll_time_ms = clock_->NowMs();
    status_.last_error.clear();
  }
  if (batch->changes.empty()) {
    // Nothing committed up to the head: seqs there were reserved but never used (a restart
    // skips a reserved chunk). Move past them so that the lag reads 0.
    if (batch->head_seq > checkpoint_.seq) {
      AggCheckpoint next = checkpoint_;
      next.seq = batch->head_seq;
      AggregateStore::Batch out;
      out.PutCheckpoint(next);
      if (auto s = store_->Write(out); !s.ok()) return fail(s);
      checkpoint_ = next;
      std::lock_guard<std::mutex> l(status_mu_);
      status_.checkpoint_seq = next.seq;
    }
    return size_t{0};
  }

  Page page;
  AggCheckpoint next = checkpoint_;
  for (const ChangeEntry& c : batch->changes) {
    if (c.seq <= next.seq) continue;  // at-least-once delivery: already applied
    if (!c.parent_record_id.empty()) {
      // A repeat instance (child record) is no record of its form's aggregations, which
      // count root records; aggregations over a repeat are not supported yet.
      next.seq = c.seq;
      continue;
    }
    auto fit = page.forms.find(c.form_id);
    if (fit == page.forms.end() || fit->second.form.version < c.form_version) {
      auto form = forms_->Latest(c.form_id, c.form_version);
      if (!form.ok() && form.status().code() == absl::StatusCode::kNotFound) {
        // Nothing to aggregate it under; it must not block the feed.
        next.skipped_changes++;
        next.seq = c.seq;
        continue;
      }
      if (!form.ok()) return fail(form.status());
      FormInfo info;
      info.form = std::move(*form);
      for (auto& f : ReferencedFields(info.form)) info.referenced.insert(std::move(f));
      fit = page.forms.insert_or_assign(c.form_id, std::move(info)).first;
    }
    const FormInfo& info = fit->second;

    auto key = std::make_pair(c.form_id, c.record_id);
    auto sit = page.states.find(key);
    if (sit == page.states.end() && c.created) {
      // The change created the record: there is no earlier contribution to retract, so no
      // read of the store (most of a peak's changes are creations).
      sit = page.states.emplace(key, AggRecordState{}).first;
    } else if (sit == page.states.end()) {
      auto stored = store_->GetRecordState(c.form_id, c.record_id);
      if (!stored.ok()) return fail(stored.status());
      sit = page.states.emplace(key, stored->value_or(AggRecordState{})).first;
    }
    AggRecordState& state = sit->second;
    for (const auto& old : state.contributions) {
      Apply(old, -1,
            &page.deltas[CellId(c.form_id, old.aggregation, old.scope, old.bucket, old.group)]);
    }
    state.contributions.clear();
    for (const auto& fc : c.changes) {
      if (!info.referenced.count(fc.field)) continue;
      if (IsNull(fc.after)) {
        state.fields.erase(fc.field);
      } else {
        state.fields[fc.field] = fc.after;
      }
    }
    state.deleted = c.deleted_after;
    if (!state.deleted) {
      const std::string scope = EncodeScopeTuple(NormalizeScope(info.form, c.scope_after));
      for (const auto& def : info.form.aggregations) {
        AggContribution add = Contribute(def, state.fields, scope);
        Apply(add, +1,
              &page.deltas[CellId(c.form_id, add.aggregation, add.scope, add.bucket, add.group)]);
        state.contributions.push_back(std::move(add));
      }
    }
    next.seq = c.seq;
    next.last_commit_time_ms = c.commit_time_ms;
  }
  // The feed's page may end in a gap (failed batches): the checkpoint still moves past it.
  next.seq = std::max(next.seq, batch->changes.back().seq);

  AggregateStore::Batch out;
  std::set<std::tuple<std::string, std::string, std::string>> scopes;
  for (const auto& [id, delta] : page.deltas) {
    if (delta.Empty()) continue;  // retracted and re-added to the same cell
    const auto& [form_id, agg, scope, bucket, group] = id;
    auto current = store_->GetCell(form_id, agg, scope, bucket, group);
    if (!current.ok()) return fail(current.status());
    AggCell cell = current->value_or(AggCell{});
    cell.count += delta.count;
    if (cell.measures.size() < delta.measures.size()) cell.measures.resize(delta.measures.size());
    for (size_t i = 0; i < delta.measures.size(); ++i) {
      cell.measures[i].sum_micros += delta.measures[i].sum_micros;
      cell.measures[i].invalid += delta.measures[i].invalid;
    }
    if (cell.Empty()) {
      if (current->has_value()) out.DeleteCell(form_id, agg, scope, bucket, group);
    } else {
      out.PutCell(form_id, agg, scope, bucket, group, cell);
      scopes.emplace(form_id, agg, scope);
    }
  }
  for (const auto& [form_id, agg, scope] : scopes) out.PutScope(form_id, agg, scope);
  for (const auto& [key, state] : page.states) out.PutRecordState(key.first, key.second, state);
  out.PutCheckpoint(next);
  if (auto s = store_->Write(out); !s.ok()) return fail(s);
  checkpoint_ = next;
  {
    std::lock_guard<std::mutex> l(status_mu_);
    status_.checkpoint_seq = next.seq;
    status_.last_commit_time_ms = next.last_commit_time_ms;
    status_.skipped_changes = next.skipped_changes;
    status_.head_seq = std::max(status_.head_seq, next.seq);
    status_.pages_written++;
  }
  return batch->changes.size();
}

absl::Status AggregationConsumer::CatchUp() {
  std::lock_guard<std::mutex> l(consume_mu_);
  return CatchUpLocked();
}

absl::Status AggregationConsumer::CatchUpLocked() {
  uint64_t target = 0;
  while (true) {
    FS_ASSIGN_OR_RETURN(size_t n, ConsumeLocked());
    if (target == 0) target = status().head_seq;
    if (n == 0 || checkpoint_.seq >= target) return absl::OkStatus();
  }
}

absl::Status AggregationConsumer::Exclusive(
    const std::function<absl::Status(uint64_t checkpoint)>& fn) {
  std::lock_guard<std::mutex> l(consume_mu_);
  FS_RETURN_IF_ERROR(CatchUpLocked());
  return fn(checkpoint_.seq);
}

void AggregationConsumer::Start() {
  std::lock_guard<std::mutex> l(run_mu_);
  if (thread_.joinable() || stopping_) return;
  thread_ = std::thread([this] { RunLoop(); });
}

void AggregationConsumer::Stop() {
  {
    std::lock_guard<std::mutex> l(run_mu_);
    stopping_ = true;
  }
  run_cv_.notify_all();
  if (thread_.joinable()) thread_.join();
}

void AggregationConsumer::RunLoop() {
  while (true) {
    {
      std::lock_guard<std::mutex> l(run_mu_);
      if (stopping_) return;
    }
    auto n = ConsumeOnce();
    if (!n.ok()) {
      std::unique_lock<std::mutex> l(run_mu_);
      run_cv_.wait_for(l, options_.error_backoff, [&] { return stopping_; });
      continue;
    }
    if (*n > 0) continue;
    uint64_t after = status().checkpoint_seq;
    uint64_t head = feed_->Wait(after, std::chrono::steady_clock::now() + options_.idle_wait);
    std::lock_guard<std::mutex> l(status_mu_);
    status_.head_seq = std::max(status_.head_seq, head);
  }
}

ConsumerStatus AggregationConsumer::status() const {
  std::lock_guard<std::mutex> l(status_mu_);
  return status_;
}

}  // namespace fieldsync::aggregation
