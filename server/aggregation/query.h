// Queries over the cells: one aggregation, filtered on group-by values and a time range,
// rolled up to the group-by fields the caller keeps, limited to the caller's scopes. Reads
// only cells (prefix and range scans per scope tuple), so the cost grows with the cells read,
// never with the number of records. Also Verify: recompute an aggregation from the records
// and compare it with the cells.
//
// Thread-safe.
#ifndef FIELDSYNC_SERVER_AGGREGATION_QUERY_H_
#define FIELDSYNC_SERVER_AGGREGATION_QUERY_H_

#include <atomic>
#include <cstdint>
#include <optional>
#include <string>
#include <vector>

#include "absl/status/statusor.h"
#include "server/aggregation/consumer.h"
#include "server/aggregation/sources.h"
#include "server/common/model.h"
#include "server/storage/aggregate_store.h"

namespace fieldsync::aggregation {

struct QueryFilter {
  std::string field;
  std::vector<std::string> values;  // "" matches a missing value
};

struct QueryRequest {
  std::string form_id;
  std::string aggregation;
  std::vector<QueryFilter> filters;
  std::string from_date;  // "YYYY-MM-DD" or "" (open); inclusive
  std::string to_date;
  // Group-by fields to keep, in order; std::nullopt keeps all of them.
  std::optional<std::vector<std::string>> group_by;
  bool rollup_time = false;
};

struct QueryRow {
  uint64_t bucket = 0;                    // 0 when rolled up or without a date
  std::string bucket_label;               // see BucketLabel
  std::vector<std::string> group_values;  // "" for a missing value
  AggCell cell;                           // count and per-measure sums / invalid counts
};

struct QueryResult {
  // "bucket" (unless rolled up), kept group-by fields, "count", measure names.
  std::vector<std::string> columns;
  std::vector<Measure> measures;
  TimeBucket bucket = TimeBucket::kDay;
  std::vector<QueryRow> rows;  // ordered by (bucket, group values)
  uint64_t cells_read = 0;
  ConsumerStatus freshness;
};

struct QueryLimits {
  size_t max_rows = 100'000;  // more: INVALID_ARGUMENT, narrow the query
};

struct CellDiff {
  std::string bucket_label;
  std::vector<std::string> key;  // scope coordinates and group-by values, "field=value"
  AggCell expected;
  AggCell actual;
};

struct VerifyResult {
  bool ok = true;
  uint64_t records_scanned = 0;
  uint64_t cells_compared = 0;
  uint64_t invalid_measures = 0;
  std::vector<CellDiff> drift;  // at most kMaxDriftReported
  uint64_t drift_cells = 0;
  uint64_t checkpoint_seq = 0;
};

class AggregationQueries {
 public:
  static constexpr size_t kMaxDriftReported = 100;

  // `records` may be null (no Verify: FAILED_PRECONDITION); `consumer` gives freshness and
  // pauses for Verify. None owned.
  AggregationQueries(AggregateStore* store, FormSource* forms, AggregationConsumer* consumer,
                     RecordSource* records, QueryLimits limits = {});

  // Rows of `req` over the cells of records in `caller`'s scopes. INVALID_ARGUMENT (with
  // per-field violations naming the request field) for an unknown form or aggregation, a
  // filter or group-by field that the aggregation does not group by (or repeated), a
  // malformed date, a range in the wrong order, a range on an aggregation without a time
  // field, or more than limits.max_rows rows.
  absl::StatusOr<QueryResult> Query(const Device& caller, const QueryRequest& req) const;

  // Recomputes (form_id, aggregation) from the records at the consumer's checkpoint and
  // compares it with the cells. INVALID_ARGUMENT as in Query; FAILED_PRECONDITION without a
  // RecordSource; UNAVAILABLE if records kept changing under three attempts (retry later).
  absl::StatusOr<VerifyResult> Verify(const std::string& form_id, const std::string& aggregation);

  // The latest definition of every aggregation of every form.
  absl::StatusOr<std::vector<std::pair<std::string, AggregationDef>>> List() const;

  // Verify runs that found drift, and cells found drifting, since start (for /metrics).
  uint64_t verify_drift_runs() const { return drift_runs_.load(); }
  uint64_t verify_drift_cells() const { return drift_cells_.load(); }

 private:
  // The latest form `form_id`, checked to define `aggregation`; INVALID_ARGUMENT otherwise.
  absl::StatusOr<Form> FormWith(const std::string& form_id, const std::string& aggregation) const;

  AggregateStore* store_;
  FormSource* forms_;
  AggregationConsumer* consumer_;
  RecordSource* records_;
  QueryLimits limits_;
  std::atomic<uint64_t> drift_runs_{0};
  std::atomic<uint64_t> drift_cells_{0};
};

}  // namespace fieldsync::aggregation

#endif  // FIELDSYNC_SERVER_AGGREGATION_QUERY_H_
