// A direct gRPC connection to fieldsyncd for the server-only CLI commands (`stats`, `admin`):
// from the data dir's config, or from --server/--token-file/--ca-file/--plaintext flags so
// that a job (the Kubernetes backup CronJob) can run without an init'ed data dir.
// Not thread-safe; one per CLI process.
#ifndef FIELDSYNC_CLIENT_SDK_CLI_SERVER_CONNECTION_H_
#define FIELDSYNC_CLIENT_SDK_CLI_SERVER_CONNECTION_H_

#include <grpcpp/grpcpp.h>

#include <cstdint>
#include <memory>
#include <string>
#include <vector>

#include "absl/status/status.h"
#include "absl/status/statusor.h"
#include "client-sdk/cli/cli_common.h"

namespace fieldsync::cli {

struct ServerConnection {
  Config config;  // server and token actually used (for messages)
  std::shared_ptr<grpc::Channel> channel;
  int64_t timeout_ms = 30'000;  // --timeout-ms / FIELDSYNC_TIMEOUT_MS

  // A context carrying the bearer token and a deadline of `timeout_ms` (or `override_ms`
  // if > 0: backups take longer than a query).
  std::unique_ptr<grpc::ClientContext> Context(int64_t override_ms = 0) const;
};

// Removes the connection flags (`--server X`, `--server=X`, likewise --token-file, --ca-file;
// `--plaintext`) from `args`, wherever they are, and connects: flags win over the data dir
// `dir`'s config; with --server the data dir is not read at all (then --token-file is
// required). Errors: INVALID_ARGUMENT for a flag without a value, --ca-file with
// --plaintext or --server without --token-file; FAILED_PRECONDITION if a file cannot be read
// or there is neither --server nor an init'ed data dir. Connecting itself is lazy: an
// unreachable server shows as UNAVAILABLE on the first call.
absl::StatusOr<ServerConnection> ConnectToServer(const Settings& settings,
                                                 std::vector<std::string>* args);

// What a user reads for a failed `stats`/`admin` call: like Explain() (cli_common.h), but
// an unreachable server or a refused token is told as an operator needs it (no device
// outbox is involved) and a refusal lists the request fields the server named.
std::string ExplainServerCall(const absl::Status& s, const Config& cfg, const std::string& refused);

// grpc::Status -> absl::Status, keeping google.rpc.BadRequest violations (FieldErrorsOf).
absl::Status FromGrpcStatus(const grpc::Status& s);

}  // namespace fieldsync::cli

#endif  // FIELDSYNC_CLIENT_SDK_CLI_SERVER_CONNECTION_H_
