// One way every fieldsync program reads its configuration: fieldsyncd, fieldsync-aggregator
// and the fieldsync CLI declare their options once on a CLI::App (CLI11), and --help is
// generated from the same declarations.
//
// An option declared a *setting* (CommandLine::Setting) takes its value from, first found:
//   1. the command line: --name VALUE or --name=VALUE; a boolean as --name or --name=false;
//   2. the environment: FIELDSYNC_<NAME>, upper case, dashes as underscores
//      (--max-batch: FIELDSYNC_MAX_BATCH);
//   3. the config file named by --config FILE or FIELDSYNC_CONFIG: "name = value" lines with
//      the option's long name, '#' comment lines, values optionally in quotes; at most
//      kMaxConfigFileBytes; a name that is not a setting of the command is an error;
//   4. its default: the bound variable's value before parsing.
// Any other option (a command's own arguments, such as `device add --id`) comes only from
// the command line.
//
// Why not CLI11's own env and config support: it lets the file win over the environment, and
// it reads the process environment itself. Here the environment is a map the caller passes
// (tests pass their own), and the layers are applied after CLI11 parsed the command line.
//
// Not thread-safe: one CommandLine per program run, used from one thread. CLI11 reports errors
// by throwing; they are caught here and never leave this library.
#ifndef FIELDSYNC_SERVER_CMDLINE_CMDLINE_H_
#define FIELDSYNC_SERVER_CMDLINE_CMDLINE_H_

#include <CLI/CLI.hpp>
#include <cstddef>
#include <map>
#include <optional>
#include <set>
#include <string>
#include <vector>

#include "absl/status/status.h"
#include "absl/status/statusor.h"
#include "absl/strings/string_view.h"

namespace fieldsync::cmdline {

using Environment = std::map<std::string, std::string>;

inline constexpr size_t kMaxConfigFileBytes = 1 << 20;

// The FIELDSYNC_* variables of this process.
Environment ProcessEnvironment();

// "max-batch" -> "FIELDSYNC_MAX_BATCH".
std::string EnvName(absl::string_view option_name);

class CommandLine {
 public:
  // `app` (the program's root command) must outlive this object. Repeated options keep their
  // last value (a list option, such as a repeated --scope, keeps them all).
  explicit CommandLine(CLI::App* app);
  CommandLine(const CommandLine&) = delete;
  CommandLine& operator=(const CommandLine&) = delete;

  CLI::App* app() const { return app_; }

  // Declares `opt` (an option with a long name) a setting: also read from the environment and
  // the config file; its help names the variable and shows the default. Returns `opt`.
  CLI::Option* Setting(CLI::Option* opt);

  // Adds --config FILE to `command` (the root or a subcommand; once per command that has
  // settings). The file applies to the settings of the commands that were parsed.
  void AddConfigOption(CLI::App* command);

  enum class Action { kRun, kHelp };

  // Parses `args` (without the program name) and then applies the environment `env` and the
  // config file to the settings the command line left unset. kHelp: --help was asked for and
  // *help (if not null) holds the text of the command it was asked on; nothing else is
  // applied. INVALID_ARGUMENT: an unknown option or command, a missing or malformed value
  // (the message names the flag, the variable or the file and line), an unreadable or
  // oversized config file, or a setting the file names that the command does not have.
  absl::StatusOr<Action> Parse(const std::vector<std::string>& args, const Environment& env,
                               std::string* help);

  // Parse for a caller that runs nothing else (a test, a library): --help is
  // INVALID_ARGUMENT too.
  absl::Status ParseArgs(const std::vector<std::string>& args, const Environment& env);

  // For main(): Parse(argv[1..], env); on --help prints the help on stdout and returns 0; on
  // an error prints "PROGRAM: message" and a pointer to --help on stderr and returns 2;
  // otherwise nullopt (run the command).
  std::optional<int> ParseOrExit(int argc, char** argv, const Environment& env);

  // Binds `value` to the option `name` ("--max-batch") of `command` and declares it a setting.
  template <typename T>
  CLI::Option* Add(CLI::App* command, const std::string& name, T* value, const std::string& help) {
    return Setting(command->add_option(name, *value, help));
  }
  // The same for a boolean: --name, --name=false; FIELDSYNC_NAME=true|false|1|0 (empty: true).
  CLI::Option* AddFlag(CLI::App* command, const std::string& name, bool* value,
                       const std::string& help);

  // (name, value) per setting of `command`, in declaration order, from the bound variables as
  // they are now; booleans as true/false. For logging the effective configuration.
  std::vector<std::pair<std::string, std::string>> Describe(CLI::App* command) const;

 private:
  struct FileEntry {
    std::string value;
    int line = 0;
  };
  // The parsed commands: the root, then the chosen subcommand, its chosen subcommand, ...
  std::vector<CLI::App*> ParsedChain() const;
  absl::StatusOr<std::map<std::string, FileEntry>> ReadConfigFile(const std::string& path) const;
  absl::Status ApplyLayers(const Environment& env);

  CLI::App* app_;
  std::set<const CLI::Option*> settings_;
  std::string config_path_;
  std::map<const CLI::Option*, const bool*> flags_;
};

}  // namespace fieldsync::cmdline

#endif  // FIELDSYNC_SERVER_CMDLINE_CMDLINE_H_
