// A deterministic text rendering of everything a Store holds, entity by entity, one line per
// stored value, for tests that compare a database with what an earlier release wrote
// (format_compat_test.cc). Only the Store's public reads are used, so the dump shows what
// the current code decodes, not the bytes.
#ifndef FIELDSYNC_TESTS_STORAGE_STORE_DUMP_H_
#define FIELDSYNC_TESTS_STORAGE_STORE_DUMP_H_

#include <string>

#include "absl/status/statusor.h"
#include "server/storage/store.h"

namespace fieldsync::storage_test {

// Every meta value, form, device (with its token index entry, sync state, retired token,
// receipts and quarantine), enrollment code, change-log entry, record named by the change log
// or quarantine, scope-index entry under every coordinate the change log names, conflict and
// audit entry (raw bytes, hex). Errors: whatever a read returns (DATA_LOSS for bytes that do
// not decode).
absl::StatusOr<std::string> DumpStore(const Store& store);

}  // namespace fieldsync::storage_test

#endif  // FIELDSYNC_TESTS_STORAGE_STORE_DUMP_H_
