#include "server/app/protobuf_log.h"

#include <google/protobuf/stubs/logging.h>

#include <string>

#include "absl/strings/str_cat.h"
#include "server/common/log.h"

namespace fieldsync {
namespace {

// protobuf's messages name types and fields, never values: safe to log as they are.
void Handler(google::protobuf::LogLevel level, const char* filename, int line,
             const std::string& message) {
  LogLevel ours = LogLevel::kError;
  switch (level) {
    case google::protobuf::LOGLEVEL_INFO:
      ours = LogLevel::kInfo;
      break;
    case google::protobuf::LOGLEVEL_WARNING:
      ours = LogLevel::kWarn;
      break;
    default:
      break;
  }
  LogEvent(ours, "protobuf")
      .Str("message", message)
      .Str("source", absl::StrCat(filename == nullptr ? "" : filename, ":", line));
}

}  // namespace

void RouteProtobufLogs() { google::protobuf::SetLogHandler(&Handler); }

}  // namespace fieldsync
