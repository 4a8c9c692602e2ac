// libprotobuf writes its own messages (a parse error naming the field with invalid UTF-8, a
// missing required field) to stderr as plain text; RouteProtobufLogs sends them through our
// JSON log instead (event "protobuf"), so stderr keeps one JSON object per line.
#ifndef FIELDSYNC_SERVER_APP_PROTOBUF_LOG_H_
#define FIELDSYNC_SERVER_APP_PROTOBUF_LOG_H_

namespace fieldsync {

// Installs the handler. Not thread-safe (protobuf's SetLogHandler is not): call at the start
// of main, before any thread parses a message.
void RouteProtobufLogs();

}  // namespace fieldsync

#endif  // FIELDSYNC_SERVER_APP_PROTOBUF_LOG_H_
