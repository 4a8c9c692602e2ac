// The one mapping from rocksdb::Status to absl::Status, for storage/ only: RocksDB statuses
// never leave this folder. Codes carry retry meaning (STYLE.md): busy, timed out and try
// again are UNAVAILABLE (retry); corruption DATA_LOSS; no space RESOURCE_EXHAUSTED.
#ifndef FIELDSYNC_SERVER_STORAGE_ROCKS_STATUS_H_
#define FIELDSYNC_SERVER_STORAGE_ROCKS_STATUS_H_

#include <rocksdb/status.h>

#include "absl/status/status.h"
#include "absl/strings/string_view.h"

namespace fieldsync {

// OK for an OK status; otherwise "<what>: <rocksdb message>" with the mapped code.
absl::Status FromRocks(const rocksdb::Status& s, absl::string_view what);

}  // namespace fieldsync

#endif  // FIELDSYNC_SERVER_STORAGE_ROCKS_STATUS_H_
