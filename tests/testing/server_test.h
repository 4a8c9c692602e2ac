// A GoogleTest fixture around one real fieldsyncd: a temp dir, the ServerProcess (the test
// creates its devices and starts it), clients by token, and a clean stop at the end: SIGTERM
// must end the server with exit status 0 and no sanitizer report (leaks are reported at exit).
#ifndef FIELDSYNC_TESTS_TESTING_SERVER_TEST_H_
#define FIELDSYNC_TESTS_TESTING_SERVER_TEST_H_

#include <signal.h>
#include <sys/wait.h>

#include <memory>
#include <string>

#include "gtest/gtest.h"
#include "tests/testing/server_process.h"
#include "tests/testing/temp_dir.h"
#include "tests/testing/test_client.h"

namespace fieldsync::testing {

class ServerTest : public ::testing::Test {
 protected:
  void TearDown() override {
    if (!server_ || !server_->running()) return;
    int status = server_->Stop(SIGTERM);
    EXPECT_TRUE(WIFEXITED(status) && WEXITSTATUS(status) == 0) << server_->log();
    EXPECT_EQ(server_->SanitizerReport(), "");
  }
  TestClient Client(const std::string& token) { return TestClient(server_->target(), token); }

  TempDir dir_;
  std::unique_ptr<ServerProcess> server_;
};

}  // namespace fieldsync::testing

#endif  // FIELDSYNC_TESTS_TESTING_SERVER_TEST_H_
