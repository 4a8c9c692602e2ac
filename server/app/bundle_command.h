// `fieldsyncd bundle import`: imports an offline bundle file (server/bundle/bundle_codec.h)
// while the server is stopped, for bundles over the gRPC message cap of
// BundleService.ImportBundle. It opens the store like the other offline commands and goes
// through the same BundleImporter (and so the same PushCore path, receipts and idempotency)
// as the online import; the import is audited with the operator ("cli") as actor.
//
//   fieldsyncd bundle import FILE [--receipts-out FILE] [--data-dir DIR] [server flags]
//
// Server flags that shape the push path (--max-batch, --max-fields-per-record,
// --max-value-bytes, --pii-key-file) apply as they do to `serve`: pass the ones the server
// runs with. Forms are those already published in the database.
#ifndef FIELDSYNC_SERVER_APP_BUNDLE_COMMAND_H_
#define FIELDSYNC_SERVER_APP_BUNDLE_COMMAND_H_

#include "server/app/offline.h"

namespace fieldsync {

// Adds `bundle import FILE [--receipts-out FILE]` (with the server settings) to `p`. It exits
// 0 imported (per-mutation outcomes, rejections included, are printed, one line per outcome
// with its count), 1 failed (the file does not verify, unknown or revoked device, storage
// error; nothing more than already applied batches was written and importing again is safe),
// 2 usage.
void AddBundleCommands(Program* p);

}  // namespace fieldsync

#endif  // FIELDSYNC_SERVER_APP_BUNDLE_COMMAND_H_
