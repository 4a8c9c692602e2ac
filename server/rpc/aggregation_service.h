// fieldsync.v1.AggregationService over the aggregation core (server/aggregation). Handlers:
// who is calling, proto to core request, one core call, status back. The same service runs
// in fieldsyncd (callers authenticated by the device registry) and in fieldsync-aggregator
// (callers authenticated by that process), so authentication is passed in as a function.
#ifndef FIELDSYNC_SERVER_RPC_AGGREGATION_SERVICE_H_
#define FIELDSYNC_SERVER_RPC_AGGREGATION_SERVICE_H_

#include <functional>
#include <initializer_list>
#include <string>

#include "absl/status/statusor.h"
#include "fieldsync/v1/aggregation.grpc.pb.h"
#include "server/aggregation/consumer.h"
#include "server/aggregation/query.h"

namespace fieldsync::rpc {

// The calling device if it holds one of `roles`: UNAUTHENTICATED / PERMISSION_DENIED else.
using CallerCheck = std::function<absl::StatusOr<Device>(const grpc::ServerContext* ctx,
                                                         std::initializer_list<Role> roles)>;

// Query and ListAggregations: every role but feed_reader (scoped by the caller's scopes).
// Verify: admin. GetAggregationStatus: every role.
class AggregationServiceImpl final : public v1::AggregationService::Service {
 public:
  // None owned. `mode` is reported in the status ("embedded" or "remote").
  AggregationServiceImpl(CallerCheck check, aggregation::AggregationQueries* queries,
                         aggregation::AggregationConsumer* consumer, std::string mode)
      : check_(std::move(check)), queries_(queries), consumer_(consumer), mode_(std::move(mode)) {}

  grpc::Status Query(grpc::ServerContext* ctx, const v1::AggregationQueryRequest* req,
                     v1::AggregationQueryResponse* resp) override;
  grpc::Status Verify(grpc::ServerContext* ctx, const v1::VerifyAggregationRequest* req,
                      v1::VerifyAggregationResponse* resp) override;
  grpc::Status GetAggregationStatus(grpc::ServerContext* ctx,
                                    const v1::GetAggregationStatusRequest* req,
                                    v1::AggregationStatus* resp) override;
  grpc::Status ListAggregations(grpc::ServerContext* ctx, const v1::ListAggregationsRequest* req,
                                v1::ListAggregationsResponse* resp) override;

 private:
  template <typename Fn>
  grpc::Status Run(const grpc::ServerContext* ctx, std::initializer_list<Role> roles, Fn&& fn);
  void FillStatus(v1::AggregationStatus* out) const;

  CallerCheck check_;
  aggregation::AggregationQueries* queries_;
  aggregation::AggregationConsumer* consumer_;
  std::string mode_;
};

}  // namespace fieldsync::rpc

#endif  // FIELDSYNC_SERVER_RPC_AGGREGATION_SERVICE_H_
