// Encoding of stored values (internal to server/storage).
#ifndef FIELDSYNC_SERVER_STORAGE_CODEC_H_
#define FIELDSYNC_SERVER_STORAGE_CODEC_H_

#include <string>
#include <string_view>

#include "absl/status/statusor.h"
#include "server/common/model.h"
#include "server/common/openrosa_submission.h"

namespace fieldsync::codec {

std::string Encode(const Record& r);
std::string Encode(const ChangeEntry& c);
std::string Encode(const ConflictEntry& c);
std::string Encode(const QuarantineEntry& q);
std::string Encode(const Device& d);
std::string Encode(const DeviceSyncState& s);
std::string Encode(const Receipt& r);
std::string Encode(const Form& f);
std::string Encode(const EnrollmentCode& c);
std::string Encode(const WebhookTarget& t);
std::string Encode(const WebhookState& s);
std::string Encode(const OpenRosaSubmission& s);
std::string Encode(const DeadLetter& d);

// Each fails with DATA_LOSS on bytes that do not parse.
absl::Status Decode(std::string_view in, Record* out);
absl::Status Decode(std::string_view in, ChangeEntry* out);
absl::Status Decode(std::string_view in, ConflictEntry* out);
absl::Status Decode(std::string_view in, QuarantineEntry* out);
absl::Status Decode(std::string_view in, Device* out);
absl::Status Decode(std::string_view in, DeviceSyncState* out);
absl::Status Decode(std::string_view in, Receipt* out);
absl::Status Decode(std::string_view in, Form* out);
absl::Status Decode(std::string_view in, EnrollmentCode* out);
absl::Status Decode(std::string_view in, WebhookTarget* out);
absl::Status Decode(std::string_view in, WebhookState* out);
absl::Status Decode(std::string_view in, OpenRosaSubmission* out);
absl::Status Decode(std::string_view in, DeadLetter* out);

}  // namespace fieldsync::codec

#endif  // FIELDSYNC_SERVER_STORAGE_CODEC_H_
