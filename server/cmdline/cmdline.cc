#include "server/cmdline/cmdline.h"

#include <algorithm>
#include <iostream>

#include "absl/strings/ascii.h"
#include "absl/strings/match.h"
#include "absl/strings/str_cat.h"
#include "absl/strings/str_split.h"
#include "absl/strings/strip.h"
#include "server/common/file.h"

extern char** environ;

namespace fieldsync::cmdline {
namespace {

constexpr char kPrefix[] = "FIELDSYNC_";

// The option's long name without dashes ("max-batch"), or "" if it has none.
std::string LongName(const CLI::Option* opt) {
  const auto& names = opt->get_lnames();
  return names.empty() ? std::string() : names.front();
}

// Gives `opt` the value `value` as if it had been on the command line. `source` names where
// the value came from, for the error message.
absl::Status ApplyValue(CLI::Option* opt, std::string value, const std::string& source) {
  // A boolean named with no value is on, as --name is on the command line.
  if (opt->get_expected_max() == 0 && value.empty()) value = "true";
  try {
    opt->add_result(std::move(value));
    opt->run_callback();
  } catch (const CLI::Error& e) {
    return absl::InvalidArgumentError(absl::StrCat(source, ": ", e.what()));
  }
  return absl::OkStatus();
}

// Any option named `name` ("--admin-listen") in `app` or its subcommands, or null.
const CLI::Option* FindOption(CLI::App* app, const std::string& name) {
  if (const CLI::Option* opt = app->get_option_no_throw(name)) return opt;
  for (CLI::App* sub : app->get_subcommands([](CLI::App*) { return true; })) {
    if (const CLI::Option* opt = FindOption(sub, name)) return opt;
  }
  return nullptr;
}

// CLI11 reads "--name=" as "--name" with its value still to come; here it is the empty value
// ("--admin-listen=" turns the admin port off), and a boolean named so is on.
std::vector<std::string> EmptyValuesExplicit(CLI::App* app, const std::vector<std::string>& args) {
  std::vector<std::string> out;
  for (size_t i = 0; i < args.size(); ++i) {
    const std::string& a = args[i];
    if (a == "--") {
      out.insert(out.end(), args.begin() + static_cast<std::ptrdiff_t>(i), args.end());
      break;
    }
    if (a.size() > 3 && absl::StartsWith(a, "--") && a.back() == '=' &&
        a.find('=') == a.size() - 1) {
      const std::string name = a.substr(0, a.size() - 1);
      const CLI::Option* opt = FindOption(app, name);
      out.push_back(name);
      if (opt == nullptr || opt->get_expected_max() != 0) out.emplace_back();
      continue;
    }
    out.push_back(a);
  }
  return out;
}

}  // namespace

Environment ProcessEnvironment() {
  Environment env;
  for (char** e = environ; e != nullptr && *e != nullptr; ++e) {
    absl::string_view kv(*e);
    if (!absl::StartsWith(kv, kPrefix)) continue;
    const size_t eq = kv.find('=');
    if (eq == absl::string_view::npos) continue;
    env[std::string(kv.substr(0, eq))] = std::string(kv.substr(eq + 1));
  }
  return env;
}

std::string EnvName(absl::string_view option_name) {
  std::string name = absl::StrCat(kPrefix, option_name);
  for (char& c : name) c = c == '-' ? '_' : absl::ascii_toupper(static_cast<unsigned char>(c));
  return name;
}

CommandLine::CommandLine(CLI::App* app) : app_(app) {
  // The last of a repeated option wins (scripts append overrides); subcommands inherit this.
  app_->option_defaults()->multi_option_policy(CLI::MultiOptionPolicy::TakeLast);
}

CLI::Option* CommandLine::Setting(CLI::Option* opt) {
  settings_.insert(opt);
  opt->capture_default_str();
  opt->description(absl::StrCat(opt->get_description(), " [env ", EnvName(LongName(opt)), "]"));
  return opt;
}

CLI::Option* CommandLine::AddFlag(CLI::App* command, const std::string& name, bool* value,
                                  const std::string& help) {
  CLI::Option* opt = command->add_flag(name, *value, help);
  flags_[opt] = value;
  return Setting(opt);
}

void CommandLine::AddConfigOption(CLI::App* command) {
  command->add_option("--config", config_path_,
                      absl::StrCat("a file of \"name = value\" settings, under the environment "
                                   "and the flags [env ",
                                   EnvName("config"), "]"));
}

std::vector<CLI::App*> CommandLine::ParsedChain() const {
  std::vector<CLI::App*> chain = {app_};
  for (size_t i = 0; i < chain.size(); ++i) {
    for (CLI::App* sub : chain[i]->get_subcommands()) chain.push_back(sub);
  }
  return chain;
}

absl::StatusOr<std::map<std::string, CommandLine::FileEntry>> CommandLine::ReadConfigFile(
    const std::string& path) const {
  absl::StatusOr<std::string> text = ReadFileToString(path, kMaxConfigFileBytes);
  if (!text.ok()) {
    return absl::InvalidArgumentError(absl::StrCat("config file: ", text.status().message()));
  }
  std::map<std::string, FileEntry> entries;
  int number = 0;
  for (absl::string_view line : absl::StrSplit(*text, '\n')) {
    ++number;
    absl::string_view body = absl::StripAsciiWhitespace(line);
    if (body.empty() || body.front() == '#') continue;
    const std::string where = absl::StrCat(path, ":", number);
    const size_t eq = body.find('=');
    if (eq == absl::string_view::npos) {
      return absl::InvalidArgumentError(absl::StrCat(where, ": expected name = value"));
    }
    std::string name(absl::StripAsciiWhitespace(body.substr(0, eq)));
    std::string value(absl::StripAsciiWhitespace(body.substr(eq + 1)));
    if (value.size() >= 2 && (value.front() == '"' || value.front() == '\'') &&
        value.back() == value.front()) {
      value = value.substr(1, value.size() - 2);
    }
    entries[name] = FileEntry{std::move(value), number};
  }
  return entries;
}

absl::Status CommandLine::ApplyLayers(const Environment& env) {
  std::vector<CLI::Option*> settings;
  for (CLI::App* command : ParsedChain()) {
    for (CLI::Option* opt : command->get_options()) {
      if (settings_.count(opt) > 0) settings.push_back(opt);
    }
  }
  std::string config_path = config_path_;
  if (auto it = env.find(EnvName("config")); config_path.empty() && it != env.end()) {
    config_path = it->second;
  }
  std::map<std::string, FileEntry> file;
  if (!config_path.empty()) {
    absl::StatusOr<std::map<std::string, FileEntry>> read = ReadConfigFile(config_path);
    if (!read.ok()) return read.status();
    file = *std::move(read);
    for (const auto& [name, entry] : file) {
      const bool known = std::any_of(settings.begin(), settings.end(),
                                     [&](const CLI::Option* o) { return LongName(o) == name; });
      if (!known) {
        return absl::InvalidArgumentError(
            absl::StrCat(config_path, ":", entry.line, ": unknown setting '", name, "'"));
      }
    }
  }
  for (CLI::Option* opt : settings) {
    if (opt->count() > 0) continue;  // the command line wins
    const std::string name = LongName(opt);
    if (auto it = env.find(EnvName(name)); it != env.end()) {
      if (absl::Status s = ApplyValue(opt, it->second, EnvName(name)); !s.ok()) return s;
    } else if (auto f = file.find(name); f != file.end()) {
      const std::string where = absl::StrCat(config_path, ":", f->second.line);
      if (absl::Status s = ApplyValue(opt, f->second.value, where); !s.ok()) return s;
    }
  }
  return absl::OkStatus();
}

absl::StatusOr<CommandLine::Action> CommandLine::Parse(const std::vector<std::string>& args,
                                                       const Environment& env, std::string* help) {
  const std::vector<std::string> explicit_args = EmptyValuesExplicit(app_, args);
  // CLI11 takes the arguments last first.
  std::vector<std::string> reversed(explicit_args.rbegin(), explicit_args.rend());
  try {
    app_->parse(reversed);
  } catch (const CLI::CallForHelp&) {
    if (help != nullptr) *help = app_->help();
    return Action::kHelp;
  } catch (const CLI::CallForAllHelp&) {
    if (help != nullptr) *help = app_->help("", CLI::AppFormatMode::All);
    return Action::kHelp;
  } catch (const CLI::Error& e) {
    return absl::InvalidArgumentError(e.what());
  }
  if (absl::Status s = ApplyLayers(env); !s.ok()) return s;
  return Action::kRun;
}

absl::Status CommandLine::ParseArgs(const std::vector<std::string>& args, const Environment& env) {
  absl::StatusOr<Action> action = Parse(args, env, nullptr);
  if (!action.ok()) return action.status();
  if (*action == Action::kHelp) {
    return absl::InvalidArgumentError(
        absl::StrCat("--help is answered by the program: ", app_->get_name(), " --help"));
  }
  return absl::OkStatus();
}

std::optional<int> CommandLine::ParseOrExit(int argc, char** argv, const Environment& env) {
  const std::string program = app_->get_name();
  std::string help;
  absl::StatusOr<Action> action =
      Parse(std::vector<std::string>(argv + (argc > 0 ? 1 : 0), argv + argc), env, &help);
  if (!action.ok()) {
    std::cerr << program << ": " << action.status().message() << "\nRun `" << program
              << " --help` (or COMMAND --help) for the options.\n";
    return 2;
  }
  if (*action == Action::kHelp) {
    std::cout << help;
    return 0;
  }
  return std::nullopt;
}

std::vector<std::pair<std::string, std::string>> CommandLine::Describe(CLI::App* command) const {
  std::vector<std::pair<std::string, std::string>> out;
  for (CLI::Option* opt : command->get_options()) {
    if (settings_.count(opt) == 0) continue;
    if (auto flag = flags_.find(opt); flag != flags_.end()) {
      out.emplace_back(LongName(opt), *flag->second ? "true" : "false");
      continue;
    }
    opt->capture_default_str();
    out.emplace_back(LongName(opt), opt->get_default_str());
  }
  return out;
}

}  // namespace fieldsync::cmdline
