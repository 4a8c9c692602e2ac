// Transport: how the sync engine reaches the server. GrpcTransport is the real one; unit
// tests use an in-process fake (tests/client/fake_transport.h) that can cut, drop and
// script answers. Statuses follow the house codes: UNAVAILABLE / DEADLINE_EXCEEDED retry;
// UNAUTHENTICATED / PERMISSION_DENIED stop; FAILED_PRECONDITION marked IsResyncRequired()
// (server/common/status.h) means "pull again from an empty cursor"; INVALID_ARGUMENT carries
// FieldViolations().
#ifndef FIELDSYNC_CLIENT_SDK_SRC_TRANSPORT_H_
#define FIELDSYNC_CLIENT_SDK_SRC_TRANSPORT_H_

#include <functional>
#include <memory>
#include <vector>

#include "absl/status/status.h"
#include "absl/status/statusor.h"
#include "fieldsync/v1/bundle.pb.h"
#include "fieldsync/v1/forms.pb.h"
#include "fieldsync/v1/sync.pb.h"

namespace fieldsync::client {

// One open Push stream. Not thread-safe; used by one sync at a time.
class PushStream {
 public:
  virtual ~PushStream() = default;
  // Sends one batch and waits for its receipts (one per mutation, in order). On error the
  // stream is dead: the receipts of the batch may or may not have been stored by the server.
  virtual absl::StatusOr<v1::PushResponse> Exchange(const v1::PushRequest& request) = 0;
  // Half-closes and returns the call's final status.
  virtual absl::Status Finish() = 0;
};

class Transport {
 public:
  virtual ~Transport() = default;
  virtual absl::StatusOr<std::unique_ptr<PushStream>> OpenPush() = 0;
  // One Pull call; `on_page` is called for each page in order and may stop the call by
  // returning an error (which Pull then returns).
  virtual absl::Status Pull(
      const v1::PullRequest& request,
      const std::function<absl::Status(const v1::PullResponse&)>& on_page) = 0;
  virtual absl::StatusOr<v1::ListReceiptsResponse> ListReceipts(
      const v1::ListReceiptsRequest& request) = 0;
  virtual absl::StatusOr<v1::ListFormsResponse> ListForms() = 0;
  // BundleService.ImportBundle (admins). UNIMPLEMENTED where a transport has no such call.
  virtual absl::StatusOr<v1::ImportBundleResponse> ImportBundle(
      const v1::ImportBundleRequest& request) {
    return absl::UnimplementedError("bundle import is not available over this transport");
  }
};

}  // namespace fieldsync::client

#endif  // FIELDSYNC_CLIENT_SDK_SRC_TRANSPORT_H_
