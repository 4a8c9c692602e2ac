// Runs the C API test (c_api_test.c, compiled as C) against a real fieldsyncd.
#include <signal.h>
#include <sys/wait.h>

#include <cstdio>
#include <string>

#include "gmock/gmock.h"
#include "gtest/gtest.h"
#include "tests/testing/server_process.h"
#include "tests/testing/temp_dir.h"

namespace fieldsync::testing {
namespace {

TEST(CApiTest, RecordsStatusAndSyncThroughTheCBinding) {
  TempDir dir;
  ServerProcess server(dir.Sub("db"));
  const std::string token = server.AddDevice({"c-tablet", "enumerator", {"governorate=Ninewa"}});
  ASSERT_TRUE(server.Start()) << server.log();
  const std::string cmd = std::string(FIELDSYNC_C_API_TEST_PATH) + " " + server.target() + " " +
                          token + " " + dir.Sub("device") + " 2>&1";
  FILE* p = popen(cmd.c_str(), "r");
  ASSERT_NE(p, nullptr);
  std::string out;
  char buf[4096];
  size_t n;
  while ((n = fread(buf, 1, sizeof(buf), p)) > 0) out.append(buf, n);
  const int status = pclose(p);
  EXPECT_TRUE(WIFEXITED(status) && WEXITSTATUS(status) == 0) << out;
  EXPECT_THAT(out, ::testing::HasSubstr("all checks passed"));
  server.Stop(SIGTERM);
}

}  // namespace
}  // namespace fieldsync::testing
