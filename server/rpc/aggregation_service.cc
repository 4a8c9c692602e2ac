#include "server/rpc/aggregation_service.h"

#include "server/aggregation/cell_math.h"
#include "server/rpc/grpc_status.h"

namespace fieldsync::rpc {
namespace {

constexpr std::initializer_list<Role> kQueryRoles = {Role::kEnumerator, Role::kBorderOfficer,
                                                     Role::kSupervisor, Role::kAdmin};
constexpr std::initializer_list<Role> kStatusRoles = {
    Role::kEnumerator, Role::kBorderOfficer, Role::kSupervisor, Role::kAdmin, Role::kFeedReader};

const char* KindName(Measure::Kind k) { return k == Measure::Kind::kSum ? "SUM" : "COUNT"; }

}  // namespace

template <typename Fn>
grpc::Status AggregationServiceImpl::Run(const grpc::ServerContext* ctx,
                                         std::initializer_list<Role> roles, Fn&& fn) {
  auto device = check_(ctx, roles);
  if (!device.ok()) return ToGrpcStatus(device.status());
  return ToGrpcStatus(fn(*device));
}

void AggregationServiceImpl::FillStatus(v1::AggregationStatus* out) const {
  aggregation::ConsumerStatus s = consumer_->status();
  out->set_checkpoint_seq(s.checkpoint_seq);
  out->set_head_seq(s.head_seq);
  out->set_lag(s.head_seq > s.checkpoint_seq ? s.head_seq - s.checkpoint_seq : 0);
  out->set_last_commit_time_ms(s.last_commit_time_ms);
  out->set_last_poll_time_ms(s.last_poll_time_ms);
  out->set_skipped_changes(s.skipped_changes);
  out->set_last_error(s.last_error);
  out->set_mode(mode_);
}

grpc::Status AggregationServiceImpl::Query(grpc::ServerContext* ctx,
                                           const v1::AggregationQueryRequest* req,
                                           v1::AggregationQueryResponse* resp) {
  return Run(ctx, kQueryRoles, [&](const Device& caller) -> absl::Status {
    aggregation::QueryRequest q;
    q.form_id = req->form_id();
    q.aggregation = req->aggregation();
    for (const auto& f : req->filters()) {
      q.filters.push_back({f.field(), {f.values().begin(), f.values().end()}});
    }
    q.from_date = req->from_date();
    q.to_date = req->to_date();
    if (req->has_group_by()) {
      q.group_by.emplace(req->group_by().fields().begin(), req->group_by().fields().end());
    }
    q.rollup_time = req->rollup_time();
    auto result = queries_->Query(caller, q);
    if (!result.ok()) return result.status();
    for (const auto& c : result->columns) resp->add_columns(c);
    for (const auto& row : result->rows) {
      auto* r = resp->add_rows();
      r->set_bucket(row.bucket_label);
      for (const auto& v : row.group_values) r->add_group_values(v);
      r->set_count(row.cell.count);
      for (size_t i = 0; i < result->measures.size(); ++i) {
        auto* m = r->add_measures();
        m->set_name(result->measures[i].name);
        if (result->measures[i].kind == Measure::Kind::kCount) {
          m->set_value(static_cast<double>(row.cell.count));
          m->set_exact(absl::StrCat(row.cell.count));
        } else {
          m->set_value(aggregation::MicrosToDouble(row.cell.measures[i].sum_micros));
          m->set_exact(aggregation::MicrosText(row.cell.measures[i].sum_micros));
          m->set_invalid(row.cell.measures[i].invalid);
        }
      }
    }
    resp->set_cells_read(result->cells_read);
    resp->set_bucket(aggregation::BucketName(result->bucket));
    FillStatus(resp->mutable_freshness());
    return absl::OkStatus();
  });
}

grpc::Status AggregationServiceImpl::Verify(grpc::ServerContext* ctx,
                                            const v1::VerifyAggregationRequest* req,
                                            v1::VerifyAggregationResponse* resp) {
  return Run(ctx, {Role::kAdmin}, [&](const Device&) -> absl::Status {
    auto result = queries_->Verify(req->form_id(), req->aggregation());
    if (!result.ok()) return result.status();
    resp->set_ok(result->ok);
    resp->set_records_scanned(result->records_scanned);
    resp->set_cells_compared(result->cells_compared);
    resp->set_invalid_measures(result->invalid_measures);
    resp->set_drift_cells(result->drift_cells);
    resp->set_checkpoint_seq(result->checkpoint_seq);
    for (const auto& d : result->drift) {
      auto* out = resp->add_drift();
      out->set_bucket(d.bucket_label);
      for (const auto& k : d.key) out->add_key(k);
      out->set_expected_count(d.expected.count);
      out->set_actual_count(d.actual.count);
      for (size_t i = 0; i < d.expected.measures.size() && i < d.actual.measures.size(); ++i) {
        if (d.expected.measures[i] == d.actual.measures[i]) continue;
        out->add_measures(absl::StrCat("measure ", i, ": expected ",
                                       aggregation::MicrosText(d.expected.measures[i].sum_micros),
                                       " (", d.expected.measures[i].invalid, " invalid), cells ",
                                       aggregation::MicrosText(d.actual.measures[i].sum_micros),
                                       " (", d.actual.measures[i].invalid, " invalid)"));
      }
    }
    return absl::OkStatus();
  });
}

grpc::Status AggregationServiceImpl::GetAggregationStatus(grpc::ServerContext* ctx,
                                                          const v1::GetAggregationStatusRequest*,
                                                          v1::AggregationStatus* resp) {
  return Run(ctx, kStatusRoles, [&](const Device&) -> absl::Status {
    FillStatus(resp);
    return absl::OkStatus();
  });
}

grpc::Status AggregationServiceImpl::ListAggregations(grpc::ServerContext* ctx,
                                                      const v1::ListAggregationsRequest*,
                                                      v1::ListAggregationsResponse* resp) {
  return Run(ctx, kQueryRoles, [&](const Device&) -> absl::Status {
    auto list = queries_->List();
    if (!list.ok()) return list.status();
    for (const auto& [form_id, def] : *list) {
      auto* a = resp->add_aggregations();
      a->set_form_id(form_id);
      a->set_name(def.name);
      for (const auto& g : def.group_by) a->add_group_by(g);
      a->set_time_field(def.time_field);
      a->set_bucket(aggregation::BucketName(def.bucket));
      for (const auto& m : def.measures) {
        a->add_measures(m.kind == Measure::Kind::kSum
                            ? absl::StrCat(m.name, "=SUM(", m.field, ")")
                            : absl::StrCat(m.name, "=", KindName(m.kind)));
      }
    }
    return absl::OkStatus();
  });
}

}  // namespace fieldsync::rpc
