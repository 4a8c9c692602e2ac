#include "server/aggregation/query.h"

#include <algorithm>
#include <map>
#include <set>
#include <tuple>

#include "absl/strings/str_cat.h"
#include "server/aggregation/cell_math.h"
#include "server/common/status.h"
#include "server/sync/scope.h"

namespace fieldsync::aggregation {
namespace {

absl::Status Bad(const std::string& field, const std::string& description) {
  return InvalidFieldsError(absl::StrCat(field, ": ", description), {{field, description}});
}

void AddCell(const AggCell& from, AggCell* to) {
  to->count += from.count;
  if (to->measures.size() < from.measures.size()) to->measures.resize(from.measures.size());
  for (size_t i = 0; i < from.measures.size(); ++i) {
    to->measures[i].sum_micros += from.measures[i].sum_micros;
    to->measures[i].invalid += from.measures[i].invalid;
  }
}

std::vector<std::string> DescribeKey(const AggregationDef& def, std::string_view scope,
                                     std::string_view group) {
  std::vector<std::string> out;
  for (const auto& p : DecodeScopeTuple(scope).value_or(std::vector<ScopePair>{})) {
    out.push_back(absl::StrCat(p.field, "=", p.value));
  }
  auto values = DecodeGroupTuple(group).value_or(std::vector<std::optional<std::string>>{});
  for (size_t i = 0; i < values.size() && i < def.group_by.size(); ++i) {
    out.push_back(absl::StrCat(def.group_by[i], "=", values[i].value_or("")));
  }
  return out;
}

}  // namespace

AggregationQueries::AggregationQueries(AggregateStore* store, FormSource* forms,
                                       AggregationConsumer* consumer, RecordSource* records,
                                       QueryLimits limits)
    : store_(store), forms_(forms), consumer_(consumer), records_(records), limits_(limits) {}

absl::StatusOr<Form> AggregationQueries::FormWith(const std::string& form_id,
                                                  const std::string& aggregation) const {
  auto form = forms_->Latest(form_id, 0);
  if (!form.ok()) {
    if (form.status().code() == absl::StatusCode::kNotFound) {
      return Bad("form_id", absl::StrCat("no form \"", form_id, "\" is published"));
    }
    return form.status();
  }
  if (FindAggregation(*form, aggregation) == nullptr) {
    return Bad("aggregation",
               absl::StrCat("form \"", form_id, "\" has no aggregation \"", aggregation, "\""));
  }
  return form;
}

absl::StatusOr<QueryResult> AggregationQueries::Query(const Device& caller,
                                                      const QueryRequest& req) const {
  FS_ASSIGN_OR_RETURN(Form form, FormWith(req.form_id, req.aggregation));
  const AggregationDef& def = *FindAggregation(form, req.aggregation);
  auto group_index = [&](const std::string& field) -> std::optional<size_t> {
    auto it = std::find(def.group_by.begin(), def.group_by.end(), field);
    if (it == def.group_by.end()) return std::nullopt;
    return static_cast<size_t>(it - def.group_by.begin());
  };

  std::map<size_t, std::set<std::string>> filters;
  for (const auto& f : req.filters) {
    auto i = group_index(f.field);
    if (!i) {
      return Bad("filters",
                 absl::StrCat("\"", f.field, "\" is not a group-by field of ", def.name));
    }
    if (filters.count(*i)) return Bad("filters", absl::StrCat("\"", f.field, "\" is repeated"));
    filters[*i].insert(f.values.begin(), f.values.end());
  }
  std::vector<size_t> keep;
  if (req.group_by) {
    for (const auto& g : *req.group_by) {
      auto i = group_index(g);
      if (!i) {
        return Bad("group_by", absl::StrCat("\"", g, "\" is not a group-by field of ", def.name));
      }
      if (std::find(keep.begin(), keep.end(), *i) != keep.end()) {
        return Bad("group_by", absl::StrCat("\"", g, "\" is repeated"));
      }
      keep.push_back(*i);
    }
  } else {
    for (size_t i = 0; i < def.group_by.size(); ++i) keep.push_back(i);
  }

  uint64_t lo = kNoDateBucket, hi = UINT64_MAX;
  if (!req.from_date.empty() || !req.to_date.empty()) {
    if (def.time_field.empty()) {
      return Bad(req.from_date.empty() ? "to_date" : "from_date",
                 absl::StrCat(def.name, " has no time field"));
    }
    lo = kBucketBase;  // a range never includes records without a date
    if (!req.from_date.empty()) {
      auto b = req.from_date.size() == 10 ? BucketOfText(req.from_date, def.bucket) : std::nullopt;
      if (!b) return Bad("from_date", "must be a date YYYY-MM-DD");
      lo = *b;
    }
    if (!req.to_date.empty()) {
      auto b = req.to_date.size() == 10 ? BucketOfText(req.to_date, def.bucket) : std::nullopt;
      if (!b) return Bad("to_date", "must be a date YYYY-MM-DD");
      hi = *b;
    }
    if (!req.from_date.empty() && !req.to_date.empty() && req.to_date < req.from_date) {
      return Bad("to_date", "is before from_date");
    }
  }

  QueryResult result;
  result.bucket = def.bucket;
  result.measures = def.measures;
  if (!req.rollup_time) result.columns.push_back("bucket");
  for (size_t i : keep) result.columns.push_back(def.group_by[i]);
  result.columns.push_back("count");
  for (const auto& m : def.measures) result.columns.push_back(m.name);

  using RowKey = std::pair<uint64_t, std::vector<std::string>>;
  std::map<RowKey, AggCell> rows;
  absl::Status inner = absl::OkStatus();
  FS_ASSIGN_OR_RETURN(std::vector<std::string> scopes, store_->ListScopes(form.form_id, def.name));
  for (const auto& scope : scopes) {
    auto pairs = DecodeScopeTuple(scope);
    if (!pairs) return absl::DataLossError("aggregate store: undecodable scope tuple");
    if (!InScope(caller, *pairs)) continue;
    FS_RETURN_IF_ERROR(store_->ScanCells(
        form.form_id, def.name, scope, lo, hi,
        [&](uint64_t bucket, std::string_view group, const AggCell& cell) {
          result.cells_read++;
          auto values = DecodeGroupTuple(group);
          if (!values) {
            inner = absl::DataLossError("aggregate store: undecodable group tuple");
            return false;
          }
          values->resize(def.group_by.size());
          for (const auto& [i, allowed] : filters) {
            if (!allowed.count((*values)[i].value_or(""))) return true;
          }
          RowKey key;
          key.first = req.rollup_time ? 0 : bucket;
          for (size_t i : keep) key.second.push_back((*values)[i].value_or(""));
          AddCell(cell, &rows[key]);
          if (rows.size() > limits_.max_rows) {
            inner = Bad("group_by", absl::StrCat("more than ", limits_.max_rows,
                                                 " rows; filter or roll up more"));
            return false;
          }
          return true;
        }));
    FS_RETURN_IF_ERROR(inner);
  }
  for (auto& [key, cell] : rows) {
    QueryRow row;
    row.bucket = key.first;
    row.bucket_label = req.rollup_time ? "" : BucketLabel(key.first, def.bucket);
    row.group_values = key.second;
    row.cell = std::move(cell);
    row.cell.measures.resize(def.measures.size());
    result.rows.push_back(std::move(row));
  }
  if (consumer_ != nullptr) result.freshness = consumer_->status();
  return result;
}

absl::StatusOr<VerifyResult> AggregationQueries::Verify(const std::string& form_id,
                                                        const std::string& aggregation) {
  FS_ASSIGN_OR_RETURN(Form form, FormWith(form_id, aggregation));
  const AggregationDef& def = *FindAggregation(form, aggregation);
  if (records_ == nullptr || consumer_ == nullptr) {
    return absl::FailedPreconditionError(
        "Verify needs the records: run it against fieldsyncd (embedded aggregation)");
  }
  using Key = std::tuple<std::string, uint64_t, std::string>;
  for (int attempt = 0; attempt < 3; ++attempt) {
    bool moving = false;
    VerifyResult result;
    FS_RETURN_IF_ERROR(consumer_->Exclusive([&](uint64_t checkpoint) -> absl::Status {
      result.checkpoint_seq = checkpoint;
      std::map<Key, AggCell> expected, actual;
      FS_RETURN_IF_ERROR(records_->ForEachRecord(form_id, [&](const Record& r) {
        result.records_scanned++;
        if (r.seq > checkpoint) moving = true;
        if (moving || r.deleted || r.is_child()) return;
        AggContribution c =
            Contribute(def, r.fields, EncodeScopeTuple(ScopeOfFields(form, r.fields)));
        Apply(c, +1, &expected[Key(c.scope, c.bucket, c.group)]);
      }));
      if (moving) return absl::OkStatus();
      FS_RETURN_IF_ERROR(
          store_->ScanAllCells(form_id, def.name,
                               [&](std::string_view scope, uint64_t bucket, std::string_view group,
                                   const AggCell& cell) {
                                 actual[Key(std::string(scope), bucket, std::string(group))] = cell;
                               }));
      std::set<Key> keys;
      for (const auto& [k, c] : expected) {
        keys.insert(k);
        for (const auto& m : c.measures) result.invalid_measures += m.invalid;
      }
      for (const auto& [k, c] : actual) keys.insert(k);
      result.cells_compared = keys.size();
      for (const auto& k : keys) {
        AggCell e = expected.count(k) ? expected[k] : AggCell{};
        AggCell a = actual.count(k) ? actual[k] : AggCell{};
        e.measures.resize(def.measures.size());
        a.measures.resize(def.measures.size());
        if (e == a) continue;
        result.drift_cells++;
        if (result.drift.size() < kMaxDriftReported) {
          CellDiff d;
          d.bucket_label = BucketLabel(std::get<1>(k), def.bucket);
          d.key = DescribeKey(def, std::get<0>(k), std::get<2>(k));
          d.expected = e;
          d.actual = a;
          result.drift.push_back(std::move(d));
        }
      }
      result.ok = result.drift_cells == 0;
      return absl::OkStatus();
    }));
    if (moving) continue;
    if (!result.ok) {
      drift_runs_++;
      drift_cells_ += result.drift_cells;
    }
    return result;
  }
  return absl::UnavailableError("records kept changing during Verify; retry when quieter");
}

absl::StatusOr<std::vector<std::pair<std::string, AggregationDef>>> AggregationQueries::List()
    const {
  FS_ASSIGN_OR_RETURN(std::vector<Form> forms, forms_->ListLatest());
  std::vector<std::pair<std::string, AggregationDef>> out;
  for (const auto& f : forms) {
    for (const auto& a : f.aggregations) out.emplace_back(f.form_id, a);
  }
  return out;
}

}  // namespace fieldsync::aggregation
