// What every `fieldsync` subcommand shares: exit codes, the data dir's config, the failure
// messages a user reads, and an aligned text table. Not thread-safe (a CLI is one thread).
#ifndef FIELDSYNC_CLIENT_SDK_CLI_CLI_COMMON_H_
#define FIELDSYNC_CLIENT_SDK_CLI_CLI_COMMON_H_

#include <cstdint>
#include <ostream>
#include <string>
#include <vector>

#include "absl/status/status.h"

namespace fieldsync::cli {

constexpr int kOk = 0;
constexpr int kFailed = 1;
constexpr int kUsage = 2;
constexpr int kPartial = 3;

// What every command shares: a flag, else FIELDSYNC_<NAME>, else a line of the --config file
// (server/cmdline).
struct Settings {
  std::string data_dir;    // --data-dir: the local store, `config` and `token`
  int64_t timeout_ms = 0;  // --timeout-ms: deadline per server call
  int max_attempts = 0;    // --max-attempts: sync attempts without progress
  size_t push_batch = 0;   // --push-batch: mutations per push request
  std::string language;    // --language: of the form's messages ("" = its default)
};

// The data dir's `config` and `token` files.
struct Config {
  std::string server;
  std::string token;
  std::string ca_file;
  bool plaintext = false;
  std::string device_id;
};

// The whole file at `path`; *ok says whether it could be opened.
std::string ReadFile(const std::string& path, bool* ok);
// `s` without trailing line breaks and spaces.
std::string Trim(std::string s);
// Reads `dir`/config and `dir`/token; false if there is no config (not init'ed).
bool LoadConfig(const std::string& dir, Config* c);

// What a user should read for a failure. INVALID_ARGUMENT with field violations is shown as
// `refused` followed by one "field NAME: why" line per violation.
std::string Explain(const absl::Status& s, const Config& cfg,
                    const std::string& refused = "record refused:");
// Prints "fieldsync: " + Explain(s, cfg) to stderr; returns kFailed.
int Fail(const absl::Status& s, const Config& cfg);

// "12 s ago", "3 min ago", ... of `then_ms` seen from `now_ms` ("never" if then_ms <= 0).
std::string AgeText(int64_t then_ms, int64_t now_ms);

// A text table: columns padded to their widest cell, two spaces apart. Columns listed in
// `right_aligned` (by index) are right-aligned (numbers).
void PrintTable(std::ostream& out, const std::vector<std::string>& header,
                const std::vector<std::vector<std::string>>& rows,
                const std::vector<size_t>& right_aligned = {});

}  // namespace fieldsync::cli

#endif  // FIELDSYNC_CLIENT_SDK_CLI_CLI_COMMON_H_
