// The client side of the separate aggregator (fieldsync-aggregator): the change feed read
// over SyncService.Changes and form definitions over FormService.GetForm, both with a
// feed_reader token. They implement the same interfaces as the in-process feed and
// registry, so the aggregation core does not know which one it reads.
#ifndef FIELDSYNC_SERVER_RPC_REMOTE_CHANGE_FEED_H_
#define FIELDSYNC_SERVER_RPC_REMOTE_CHANGE_FEED_H_

#include <grpcpp/grpcpp.h>

#include <map>
#include <memory>
#include <mutex>
#include <string>

#include "fieldsync/v1/forms.grpc.pb.h"
#include "fieldsync/v1/sync.grpc.pb.h"
#include "server/aggregation/sources.h"
#include "server/sync/change_feed.h"

namespace fieldsync::rpc {

// grpc::Status -> absl::Status (same codes and message).
absl::Status FromGrpcStatus(const grpc::Status& s);

// ChangeFeed over a remote fieldsyncd. Read() keeps one non-follow Changes stream open while
// the caller reads sequentially (a page per message) and reopens it when the caller asks for
// another seq; Wait() opens a follow stream that returns as soon as a change commits.
// Errors: the server's status (UNAVAILABLE while it is down, FAILED_PRECONDITION if the seq
// is older than the retained log, UNAUTHENTICATED/PERMISSION_DENIED for a bad token).
// Thread-safe (calls are serialised).
class RemoteChangeFeed final : public ChangeFeed {
 public:
  RemoteChangeFeed(std::shared_ptr<grpc::Channel> channel, std::string token,
                   std::chrono::milliseconds call_timeout = std::chrono::seconds(30));
  ~RemoteChangeFeed() override;
  absl::StatusOr<ChangeBatch> Read(uint64_t from_seq, size_t limit) override;
  uint64_t Wait(uint64_t after_seq, std::chrono::steady_clock::time_point deadline) override;

 private:
  void CloseStream();

  std::unique_ptr<v1::SyncService::Stub> stub_;
  const std::string token_;
  const std::chrono::milliseconds call_timeout_;
  std::mutex mu_;
  std::unique_ptr<grpc::ClientContext> ctx_;
  std::unique_ptr<grpc::ClientReader<v1::ChangesResponse>> reader_;
  uint64_t stream_next_ = 0;  // seq the open stream delivers next
  uint64_t head_ = 0;
};

// FormSource over FormService.GetForm/ListForms, caching the latest version per form.
class RemoteFormSource final : public aggregation::FormSource {
 public:
  RemoteFormSource(std::shared_ptr<grpc::Channel> channel, std::string token);
  absl::StatusOr<Form> Latest(const std::string& form_id, uint32_t min_version) override;
  absl::StatusOr<std::vector<Form>> ListLatest() override;

 private:
  std::unique_ptr<v1::FormService::Stub> stub_;
  const std::string token_;
  std::mutex mu_;
  std::map<std::string, Form> latest_;
};

}  // namespace fieldsync::rpc

#endif  // FIELDSYNC_SERVER_RPC_REMOTE_CHANGE_FEED_H_
