// The client side of the benchmark: K devices pushing over their own connections, and one
// device pulling everything. The same code drives fieldsyncd and the bare gRPC limit, so the
// two figures differ only in what the server does.
#ifndef FIELDSYNC_BENCH_SYNC_LOAD_H_
#define FIELDSYNC_BENCH_SYNC_LOAD_H_

#include <cstdint>
#include <string>
#include <vector>

#include "fieldsync/v1/sync.pb.h"

namespace fieldsync::bench {

struct PushLoad {
  std::string target;               // host:port
  std::vector<std::string> tokens;  // one per device; device i pushes as DeviceId(i)
  uint64_t records_per_device = 0;
  int batch = 100;
  v1::Mutation record;  // template; Stamp() makes each mutation
  // The devices' channels accept gzip answers (as the SDK's do); else identity only.
  bool accept_gzip = false;
};

struct PushLoadResult {
  std::string error;      // empty on success; else the first failure, with its device
  uint64_t receipts = 0;  // APPLIED receipts received
  double seconds = 0;     // wall time from the common start to the last device's last receipt
  std::vector<double> batch_ms;  // every batch: Write to the Read of its receipts
  // Per device: from the common start to its first receipts. A spread much wider than one
  // batch's latency means the server serves devices unfairly.
  std::vector<double> first_receipt_ms;
  double records_per_s() const { return seconds > 0 ? receipts / seconds : 0; }
};

// One thread and one channel (never shared: each has a distinct channel argument) per token;
// each opens one Push stream and sends records_per_device mutations in batches of `batch`,
// one batch in flight, checking that every receipt is APPLIED for the mutation it answers.
// All devices connect first and then start together.
PushLoadResult RunPushLoad(const PushLoad& load);

struct PullLoadResult {
  std::string error;
  uint64_t records = 0;
  uint64_t pages = 0;
  uint64_t calls = 0;
  double first_page_bytes_per_record = 0;  // serialized, measured on the first page
  double seconds = 0;
  double records_per_s() const { return seconds > 0 ? records / seconds : 0; }
};

// Pulls everything visible to `token` from an empty cursor, resuming with next_cursor while
// has_more, at most `max_calls` calls. Counts records and drops them (nothing accumulates).
// With `accept_gzip` the channel accepts gzip answers (as the SDK's does); else identity only.
PullLoadResult RunPullAll(const std::string& target, const std::string& token,
                          bool accept_gzip = false, int max_calls = 100'000);

}  // namespace fieldsync::bench

#endif  // FIELDSYNC_BENCH_SYNC_LOAD_H_
