// Conversions between the public SDK types (fieldsync/client.h), the wire messages
// (fieldsync.v1) and the server's core model (used here only for form validation).
#ifndef FIELDSYNC_CLIENT_SDK_SRC_VALUES_H_
#define FIELDSYNC_CLIENT_SDK_SRC_VALUES_H_

#include <string>

#include "absl/status/statusor.h"
#include "fieldsync/client.h"
#include "fieldsync/v1/common.pb.h"
#include "fieldsync/v1/forms.pb.h"
#include "fieldsync/v1/sync.pb.h"
#include "google/protobuf/map.h"

namespace fieldsync::client {

using ProtoFields = google::protobuf::Map<std::string, v1::Value>;

void ToProto(const Value& v, v1::Value* out);
Value FromProto(const v1::Value& v);
void ToProto(const Fields& f, ProtoFields* out);
Fields FromProto(const ProtoFields& f);
bool ProtoValueEquals(const v1::Value& a, const v1::Value& b);

FormInfo ToFormInfo(const v1::Form& f);
Outcome ToOutcome(v1::Outcome o);
const char* FieldTypeName(v1::FieldType t);

// Parses `text` as a value of `type` (see Client::ParseFields). "" -> null. On error,
// INVALID_ARGUMENT whose message says what was expected.
absl::StatusOr<Value> ParseText(v1::FieldType type, const std::string& text);

}  // namespace fieldsync::client

#endif  // FIELDSYNC_CLIENT_SDK_SRC_VALUES_H_
