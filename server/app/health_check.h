// `fieldsyncd health-check`: calls grpc.health.v1.Health/Check on a running server (over TLS
// unless --plaintext) and exits 0 if it is SERVING, 1 otherwise. For container and
// Kubernetes exec probes, whose built-in gRPC probe cannot speak TLS.
#ifndef FIELDSYNC_SERVER_APP_HEALTH_CHECK_H_
#define FIELDSYNC_SERVER_APP_HEALTH_CHECK_H_

#include "server/app/offline.h"

namespace fieldsync {

// Adds `health-check --target HOST:PORT (--ca-file PEM | --plaintext) [--authority NAME]
// [--service NAME] [--timeout-ms N]` to `p`. It prints one line and exits 0 serving, 1 not
// serving or unreachable, 2 usage.
void AddHealthCheckCommand(Program* p);

}  // namespace fieldsync

#endif  // FIELDSYNC_SERVER_APP_HEALTH_CHECK_H_
