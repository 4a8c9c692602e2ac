// Runs a real fieldsyncd process on loopback, port 0, for integration and crash tests.
#ifndef FIELDSYNC_TESTS_TESTING_SERVER_PROCESS_H_
#define FIELDSYNC_TESTS_TESTING_SERVER_PROCESS_H_

#include <sys/types.h>

#include <chrono>
#include <string>
#include <utility>
#include <vector>

namespace fieldsync::testing {

// The fieldsyncd binary under test (set by CMake).
std::string FieldsyncdPath();
// deploy/forms of the source tree (set by CMake).
std::string FormsDir();
// A checked-in pii key file for tests (the example forms have pii fields, so fieldsyncd needs
// one). ServerProcess passes it unless its flags name --pii-key-file themselves.
std::string TestPiiKeyFile();

struct DeviceSpec {
  std::string id;
  std::string role = "enumerator";
  std::vector<std::string> scopes;  // "field=value"; empty with all_scopes
  bool all_scopes = false;
  // More flags for `fieldsyncd device add`, e.g. {"--token-lifetime-ms", "1"}.
  std::vector<std::string> extra_args = {};
};

class ServerProcess {
 public:
  // `data_dir` persists across Restart(); `extra_flags` are passed to `fieldsyncd serve`.
  explicit ServerProcess(std::string data_dir, std::vector<std::string> extra_flags = {});
  ~ServerProcess();  // SIGKILLs a running server

  // Creates a device offline (server must be stopped); returns its token.
  std::string AddDevice(const DeviceSpec& spec);
  void RevokeDevice(const std::string& id);
  // Runs `fieldsyncd <args> --data-dir <data_dir>` to completion (an offline command: the
  // server must be stopped); returns its wait status and stdout.
  std::pair<int, std::string> RunCommand(const std::vector<std::string>& args) const;

  // Starts the server and waits (at most `timeout`) until it has written its port.
  // Returns false if it exited or timed out; `log()` then tells why.
  bool Start(std::chrono::milliseconds timeout = std::chrono::seconds(30));
  // Sends `sig` and waits for the process to exit; returns its exit status (as waitpid).
  int Stop(int sig);
  void Kill() { Stop(9); }
  bool running() const { return pid_ > 0; }
  pid_t pid() const { return pid_; }

  int port() const { return port_; }
  // The admin HTTP port (metrics, dashboard); 0 if the server runs without it.
  int admin_port() const { return admin_port_; }
  // The OpenRosa port when extra_flags hold --openrosa-listen; else 0.
  int openrosa_port() const { return openrosa_port_; }
  std::string target() const { return "127.0.0.1:" + std::to_string(port_); }
  std::string log() const;
  // Lines of the server's log that a sanitizer (ASan, LSan, UBSan) wrote, "" if none.
  std::string SanitizerReport() const;
  const std::string& data_dir() const { return data_dir_; }

 private:
  std::string data_dir_;
  std::vector<std::string> extra_flags_;
  pid_t pid_ = -1;
  int port_ = 0;
  std::string log_path_;
  std::string port_path_;
  std::string admin_port_path_;
  int admin_port_ = 0;
  std::string openrosa_port_path_;
  int openrosa_port_ = 0;
};

}  // namespace fieldsync::testing

#endif  // FIELDSYNC_TESTS_TESTING_SERVER_PROCESS_H_
