// Runs a program (the `fieldsync` CLI, mostly) to completion with its stdout and stderr in
// files under a test's temp dir, for tests that check exit codes and output.
#ifndef FIELDSYNC_TESTS_TESTING_RUN_PROGRAM_H_
#define FIELDSYNC_TESTS_TESTING_RUN_PROGRAM_H_

#include <fcntl.h>
#include <sys/wait.h>
#include <unistd.h>

#include <fstream>
#include <sstream>
#include <string>
#include <vector>

namespace fieldsync::testing {

struct ProgramResult {
  int code = -1;  // exit status; -1 if it died of a signal
  std::string out;
  std::string err;
};

// The whole file at `path` ("" if it cannot be read).
inline std::string SlurpFile(const std::string& path) {
  std::ifstream in(path, std::ios::binary);
  std::stringstream ss;
  ss << in.rdbuf();
  return ss.str();
}

// Runs argv[0] with `argv`; its output goes to `out_prefix`.out and `out_prefix`.err.
inline ProgramResult RunProgram(std::vector<std::string> argv, const std::string& out_prefix) {
  const std::string out = out_prefix + ".out", err = out_prefix + ".err";
  pid_t pid = fork();
  if (pid == 0) {
    int o = open(out.c_str(), O_WRONLY | O_CREAT | O_TRUNC, 0600);
    int e = open(err.c_str(), O_WRONLY | O_CREAT | O_TRUNC, 0600);
    dup2(o, 1);
    dup2(e, 2);
    std::vector<char*> cargv;
    for (auto& a : argv) cargv.push_back(a.data());
    cargv.push_back(nullptr);
    execv(cargv[0], cargv.data());
    _exit(127);
  }
  int status = 0;
  waitpid(pid, &status, 0);
  ProgramResult r;
  r.code = WIFEXITED(status) ? WEXITSTATUS(status) : -1;
  r.out = SlurpFile(out);
  r.err = SlurpFile(err);
  return r;
}

}  // namespace fieldsync::testing

#endif  // FIELDSYNC_TESTS_TESTING_RUN_PROGRAM_H_
