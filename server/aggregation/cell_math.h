// The arithmetic of aggregation cells, shared by the consumer, queries and Verify: which
// time bucket a date falls in, what one record contributes to one aggregation, and adding
// or retracting a contribution. Pure functions; thread-safe.
#ifndef FIELDSYNC_SERVER_AGGREGATION_CELL_MATH_H_
#define FIELDSYNC_SERVER_AGGREGATION_CELL_MATH_H_

#include <cstdint>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "absl/numeric/int128.h"
#include "server/common/model.h"
#include "server/storage/aggregate_store.h"

namespace fieldsync::aggregation {

// Bucket 0 holds records without a valid date; others are kBucketBase + the number of days
// from 1970-01-01 to the bucket's first day (Monday for weeks, the 1st for months).
inline constexpr uint64_t kNoDateBucket = 0;
inline constexpr uint64_t kBucketBase = uint64_t{1} << 32;

// The bucket of a "YYYY-MM-DD" date, or of an RFC 3339 datetime (its UTC date). std::nullopt
// if `text` is neither.
std::optional<uint64_t> BucketOfText(std::string_view text, TimeBucket kind);
// The bucket of a field value (a date or datetime string); kNoDateBucket otherwise.
uint64_t BucketOfValue(const Value& v, TimeBucket kind);
// "YYYY-MM-DD" of the bucket's first day ("YYYY-MM" for months; "" for kNoDateBucket).
std::string BucketLabel(uint64_t bucket, TimeBucket kind);
const char* BucketName(TimeBucket kind);

// Sums are exact: values are kept in millionths. Values beyond +-kMaxMeasureAbs are invalid
// (counted, not summed), as are non-numbers and missing values.
inline constexpr double kMaxMeasureAbs = 9e12;
std::optional<absl::int128> MeasureMicros(const Value& v);
// "-12.5", "3" (the exact decimal rendering of a micros sum).
std::string MicrosText(absl::int128 micros);
double MicrosToDouble(absl::int128 micros);

// A group-by value as text (null: std::nullopt). select_multiple: choices sorted, joined by ",".
std::optional<std::string> GroupText(const Value& v);

// Fields that some aggregation of `form` reads (group-by, time and SUM fields).
std::vector<std::string> ReferencedFields(const Form& form);
// The record's scope coordinates, in the form's scope_fields order, as push computes them.
std::vector<ScopePair> ScopeOfFields(const Form& form, const FieldMap& fields);
// `scope` reordered to the form's scope_fields order (pairs of other fields dropped).
std::vector<ScopePair> NormalizeScope(const Form& form, const std::vector<ScopePair>& scope);

// What a live record with `fields` and (encoded) `scope` adds to `def`.
AggContribution Contribute(const AggregationDef& def, const FieldMap& fields,
                           const std::string& scope);

// cell += sign * contribution (sign is +1 or -1). Resizes cell->measures if needed.
void Apply(const AggContribution& c, int sign, AggCell* cell);

const AggregationDef* FindAggregation(const Form& form, std::string_view name);

}  // namespace fieldsync::aggregation

#endif  // FIELDSYNC_SERVER_AGGREGATION_CELL_MATH_H_
