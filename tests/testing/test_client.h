// A small synchronous gRPC client for tests and benchmarks: one device's view of the API.
#ifndef FIELDSYNC_TESTS_TESTING_TEST_CLIENT_H_
#define FIELDSYNC_TESTS_TESTING_TEST_CLIENT_H_

#include <grpcpp/grpcpp.h>

#include <map>
#include <memory>
#include <string>
#include <vector>

#include "fieldsync/v1/forms.grpc.pb.h"
#include "fieldsync/v1/identity.grpc.pb.h"
#include "fieldsync/v1/sync.grpc.pb.h"

namespace fieldsync::testing {

struct PullResult {
  grpc::Status status;
  std::vector<v1::RecordState> records;  // in arrival order
  std::string cursor;
  int pages = 0;
  bool has_more = false;  // of the last page
};

class TestClient {
 public:
  // Plaintext unless `credentials` are given. Accepts compressed answers (gRPC's default
  // grpc-accept-encoding) unless `accept_compression` is false (identity only).
  TestClient(const std::string& target, std::string token,
             std::shared_ptr<grpc::ChannelCredentials> credentials = nullptr,
             bool accept_compression = true);

  // Pushes each batch on one Push stream and returns every receipt in order.
  grpc::Status Push(const std::vector<std::vector<v1::Mutation>>& batches,
                    std::vector<v1::Receipt>* receipts);
  // One batch.
  grpc::Status PushOne(const std::vector<v1::Mutation>& batch, std::vector<v1::Receipt>* receipts) {
    return Push({batch}, receipts);
  }

  // Pulls until has_more is false (or `limit` per call if non-zero, one call).
  PullResult Pull(const std::string& cursor, const std::vector<std::string>& forms = {},
                  uint32_t limit = 0);

  grpc::Status ListReceipts(uint64_t since, v1::ListReceiptsResponse* resp);
  grpc::Status Changes(uint64_t from_seq, std::vector<v1::Change>* changes, uint64_t* head);
  grpc::Status PublishForm(const v1::Form& form, bool* created);

  v1::SyncService::Stub* sync() { return sync_.get(); }
  v1::FormService::Stub* forms() { return forms_.get(); }
  v1::IdentityService::Stub* identity() { return identity_.get(); }
  // A context carrying the token and a deadline.
  std::unique_ptr<grpc::ClientContext> Context(int timeout_ms = 30'000) const;
  const std::shared_ptr<grpc::Channel>& channel() const { return channel_; }

 private:
  std::string token_;
  std::shared_ptr<grpc::Channel> channel_;
  std::unique_ptr<v1::SyncService::Stub> sync_;
  std::unique_ptr<v1::FormService::Stub> forms_;
  std::unique_ptr<v1::IdentityService::Stub> identity_;
};

// Builds values and mutations tersely.
v1::Value Text(const std::string& s);
v1::Value Int(int64_t i);
v1::Value Null();

struct MutationSpec {
  uint64_t device_seq;
  std::string record_id;
  std::string form_id;
  uint64_t base_version = 0;
  std::map<std::string, v1::Value> fields;
  bool is_delete = false;
  int64_t hlc_ms = 0;
  std::string device_id;
};
v1::Mutation MakeMutation(const MutationSpec& spec);

// A valid displacement_household create in `governorate`.
v1::Mutation HouseholdCreate(uint64_t device_seq, const std::string& record_id,
                             const std::string& governorate, int64_t household_size = 5,
                             const std::string& device_id = "");
// A valid border_crossing create at `border_point`.
v1::Mutation CrossingCreate(uint64_t device_seq, const std::string& record_id,
                            const std::string& border_point, int64_t group_size = 1);

// Pulled records by id (the last state of each).
std::map<std::string, v1::RecordState> ById(const std::vector<v1::RecordState>& records);

// Extracts google.rpc.BadRequest field names from a status's details ("" if none).
std::vector<std::string> BadRequestFields(const grpc::Status& s);
// True if the status carries fieldsync.v1.ResyncRequired.
bool IsResyncRequired(const grpc::Status& s);

}  // namespace fieldsync::testing

#endif  // FIELDSYNC_TESTS_TESTING_TEST_CLIENT_H_
