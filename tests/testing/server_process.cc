#include "tests/testing/server_process.h"

#include <fcntl.h>
#include <signal.h>
#include <sys/wait.h>
#include <unistd.h>

#include <cstdio>
#include <cstdlib>
#include <fstream>
#include <sstream>
#include <stdexcept>
#include <thread>

extern char** environ;

namespace fieldsync::testing {

std::string FieldsyncdPath() { return FIELDSYNCD_PATH; }
std::string FormsDir() { return FIELDSYNC_SOURCE_DIR "/deploy/forms"; }
std::string TestPiiKeyFile() { return FIELDSYNC_SOURCE_DIR "/tests/testing/pii-test.key"; }

namespace {

// A child's fieldsyncd reads its settings from FIELDSYNC_* too: drop the ones of the shell
// that started the tests (a developer's run-dev settings), so that a test sees only its own.
void ClearFieldsyncEnvironment() {
  std::vector<std::string> names;
  for (char** e = environ; *e != nullptr; ++e) {
    std::string kv(*e);
    if (kv.rfind("FIELDSYNC_", 0) == 0) names.push_back(kv.substr(0, kv.find('=')));
  }
  for (const auto& name : names) unsetenv(name.c_str());
}

// Runs argv to completion, capturing stdout; returns {exit status, stdout}.
std::pair<int, std::string> RunCapture(const std::vector<std::string>& argv) {
  int fds[2];
  if (pipe(fds) != 0) return {-1, ""};
  pid_t pid = fork();
  if (pid == 0) {
    dup2(fds[1], 1);
    close(fds[0]);
    close(fds[1]);
    ClearFieldsyncEnvironment();
    std::vector<char*> args;
    for (const auto& a : argv) args.push_back(const_cast<char*>(a.c_str()));
    args.push_back(nullptr);
    execv(args[0], args.data());
    _exit(127);
  }
  close(fds[1]);
  std::string out;
  char buf[4096];
  ssize_t n;
  while ((n = read(fds[0], buf, sizeof(buf))) > 0) out.append(buf, n);
  close(fds[0]);
  int status = 0;
  waitpid(pid, &status, 0);
  return {status, out};
}

}  // namespace

ServerProcess::ServerProcess(std::string data_dir, std::vector<std::string> extra_flags)
    : data_dir_(std::move(data_dir)), extra_flags_(std::move(extra_flags)) {
  log_path_ = data_dir_ + ".log";
  port_path_ = data_dir_ + ".port";
  admin_port_path_ = data_dir_ + ".admin-port";
  openrosa_port_path_ = data_dir_ + ".openrosa-port";
}

ServerProcess::~ServerProcess() {
  if (pid_ > 0) Stop(SIGKILL);
}

std::string ServerProcess::AddDevice(const DeviceSpec& spec) {
  std::vector<std::string> argv = {FieldsyncdPath(), "device", "add",    "--data-dir", data_dir_,
                                   "--id",           spec.id,  "--role", spec.role};
  for (const auto& s : spec.scopes) {
    argv.push_back("--scope");
    argv.push_back(s);
  }
  if (spec.all_scopes) argv.push_back("--all-scopes");
  argv.insert(argv.end(), spec.extra_args.begin(), spec.extra_args.end());
  auto [status, out] = RunCapture(argv);
  if (status != 0) throw std::runtime_error("fieldsyncd device add failed for " + spec.id);
  while (!out.empty() && (out.back() == '\n' || out.back() == '\r')) out.pop_back();
  return out;
}

std::pair<int, std::string> ServerProcess::RunCommand(const std::vector<std::string>& args) const {
  std::vector<std::string> argv = {FieldsyncdPath()};
  argv.insert(argv.end(), args.begin(), args.end());
  argv.insert(argv.end(), {"--data-dir", data_dir_});
  return RunCapture(argv);
}

void ServerProcess::RevokeDevice(const std::string& id) {
  auto [status, out] =
      RunCapture({FieldsyncdPath(), "device", "revoke", "--data-dir", data_dir_, "--id", id});
  if (status != 0) throw std::runtime_error("fieldsyncd device revoke failed for " + id);
}

bool ServerProcess::Start(std::chrono::milliseconds timeout) {
  std::remove(port_path_.c_str());
  std::vector<std::string> argv = {
      FieldsyncdPath(),  "serve",       "--data-dir", data_dir_,     "--listen", "127.0.0.1:0",
      "--dev-plaintext", "--forms-dir", FormsDir(),   "--port-file", port_path_};
  bool has_pii_key = false;
  for (const auto& f : extra_flags_) has_pii_key |= f.rfind("--pii-key-file", 0) == 0;
  if (!has_pii_key) argv.insert(argv.end(), {"--pii-key-file", TestPiiKeyFile()});
  // The admin HTTP port on a free loopback port (parallel tests must not share 9090).
  std::remove(admin_port_path_.c_str());
  admin_port_ = 0;
  argv.insert(argv.end(), {"--admin-listen", "127.0.0.1:0", "--admin-port-file", admin_port_path_});
  argv.insert(argv.end(), extra_flags_.begin(), extra_flags_.end());
  // With an OpenRosa listener (--openrosa-listen 127.0.0.1:0), learn its port too.
  std::remove(openrosa_port_path_.c_str());
  openrosa_port_ = 0;
  for (const auto& f : extra_flags_) {
    if (f.rfind("--openrosa-listen", 0) == 0) {
      argv.insert(argv.end(), {"--openrosa-port-file", openrosa_port_path_});
      break;
    }
  }
  pid_ = fork();
  if (pid_ == 0) {
    int fd = open(log_path_.c_str(), O_WRONLY | O_CREAT | O_APPEND, 0644);
    if (fd >= 0) {
      dup2(fd, 1);
      dup2(fd, 2);
      close(fd);
    }
    ClearFieldsyncEnvironment();
    std::vector<char*> args;
    for (const auto& a : argv) args.push_back(const_cast<char*>(a.c_str()));
    args.push_back(nullptr);
    execv(args[0], args.data());
    _exit(127);
  }
  const auto deadline = std::chrono::steady_clock::now() + timeout;
  while (std::chrono::steady_clock::now() < deadline) {
    std::ifstream in(port_path_);
    int port = 0;
    if (in >> port && port > 0) {
      port_ = port;
      // Written before the gRPC port file, so it is there now (unless turned off).
      std::ifstream admin_in(admin_port_path_);
      if (int admin = 0; admin_in >> admin && admin > 0) admin_port_ = admin;
      std::ifstream openrosa_in(openrosa_port_path_);
      if (int p = 0; openrosa_in >> p && p > 0) openrosa_port_ = p;
      return true;
    }
    int status = 0;
    if (waitpid(pid_, &status, WNOHANG) == pid_) {
      pid_ = -1;
      return false;
    }
    std::this_thread::sleep_for(std::chrono::milliseconds(10));  // polling a real process
  }
  Stop(SIGKILL);
  return false;
}

int ServerProcess::Stop(int sig) {
  if (pid_ <= 0) return -1;
  kill(pid_, sig);
  int status = 0;
  waitpid(pid_, &status, 0);
  pid_ = -1;
  return status;
}

std::string ServerProcess::SanitizerReport() const {
  std::istringstream in(log());
  std::string line, out;
  while (std::getline(in, line)) {
    if (line.find("AddressSanitizer") != std::string::npos ||
        line.find("LeakSanitizer") != std::string::npos ||
        line.find("runtime error:") != std::string::npos) {
      out += line + "\n";
    }
  }
  return out;
}

std::string ServerProcess::log() const {
  std::ifstream in(log_path_);
  std::stringstream ss;
  ss << in.rdbuf();
  return ss.str();
}

}  // namespace fieldsync::testing
