// Structured logs: one JSON object per line on stderr (or a set sink), e.g.
//   {"ts":"2026-11-28T02:40:01.123Z","level":"info","event":"rpc","method":"Push",...}
// Fields are names and values chosen by the caller: never pass tokens, enrollment codes,
// record field values or anything personal. Thread-safe; a line is written atomically.
//
//   LogEvent(LogLevel::kInfo, "rpc").Str("method", m).Int("ms", 12);  // emitted at ';'
#ifndef FIELDSYNC_SERVER_COMMON_LOG_H_
#define FIELDSYNC_SERVER_COMMON_LOG_H_

#include <cstdint>
#include <ostream>
#include <string>
#include <string_view>

namespace fieldsync {

enum class LogLevel { kDebug = 0, kInfo = 1, kWarn = 2, kError = 3 };

// Lines below `level` are dropped. Default kInfo.
void SetLogLevel(LogLevel level);
// Where lines go (default std::cerr); `out` must outlive its use. nullptr restores stderr.
void SetLogSink(std::ostream* out);
// Parses "debug", "info", "warn", "error"; false otherwise.
bool ParseLogLevel(std::string_view name, LogLevel* level);

// Builds one line and writes it when destroyed.
class LogEvent {
 public:
  LogEvent(LogLevel level, std::string_view event);
  ~LogEvent();
  LogEvent(const LogEvent&) = delete;
  LogEvent& operator=(const LogEvent&) = delete;

  LogEvent& Str(std::string_view key, std::string_view value);
  LogEvent& Int(std::string_view key, int64_t value);
  LogEvent& Bool(std::string_view key, bool value);

 private:
  bool enabled_;
  std::string line_;
};

// Appends `s` to `out` as a JSON string literal (quotes included).
void AppendJsonString(std::string* out, std::string_view s);

}  // namespace fieldsync

#endif  // FIELDSYNC_SERVER_COMMON_LOG_H_
