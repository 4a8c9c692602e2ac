// Conversions between the core model (server/common/model.h) and fieldsync.v1 protobuf
// messages. Used by rpc/ at the API boundary and by storage/ as part of its on-disk
// encoding. No gRPC here.
#ifndef FIELDSYNC_SERVER_CONVERT_CONVERT_H_
#define FIELDSYNC_SERVER_CONVERT_CONVERT_H_

#include "absl/status/statusor.h"
#include "fieldsync/v1/common.pb.h"
#include "fieldsync/v1/forms.pb.h"
#include "fieldsync/v1/sync.pb.h"
#include "server/common/model.h"

namespace fieldsync::convert {

void ToProto(const Value& v, v1::Value* out);
Value FromProto(const v1::Value& v);

void ToProto(const FieldMap& m, google::protobuf::Map<std::string, v1::Value>* out);
FieldMap FromProto(const google::protobuf::Map<std::string, v1::Value>& m);

void ToProto(const Hlc& h, v1::Hlc* out);
Hlc FromProto(const v1::Hlc& h);

void ToProto(const DeviceReport& r, v1::DeviceReport* out);
DeviceReport FromProto(const v1::DeviceReport& r);

// Fails with INVALID_ARGUMENT on enum values this server does not know.
void ToProto(const Form& f, v1::Form* out);
absl::StatusOr<Form> FromProto(const v1::Form& f);

// An unspecified or unknown op becomes MutationOp value 0, which push rejects per record.
void ToProto(const Mutation& m, v1::Mutation* out);
Mutation FromProto(const v1::Mutation& m);

void ToProto(const Receipt& r, v1::Receipt* out);
Receipt FromProto(const v1::Receipt& r);

void ToProto(const Record& r, v1::RecordState* out);

void ToProto(const ChangeEntry& c, v1::Change* out);

}  // namespace fieldsync::convert

#endif  // FIELDSYNC_SERVER_CONVERT_CONVERT_H_
