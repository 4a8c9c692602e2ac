#include "server/common/file.h"

#include <errno.h>
#include <sys/stat.h>
#include <unistd.h>

#include <fstream>
#include <string>

#include "gtest/gtest.h"
#include "server/common/status.h"
#include "tests/testing/temp_dir.h"

namespace fieldsync {
namespace {

TEST(ReadFileTest, WholeFileUpToTheBound) {
  testing::TempDir dir;
  const std::string path = dir.Sub("f");
  std::ofstream(path, std::ios::binary) << std::string("a\0b", 3);
  auto read = ReadFileToString(path, 3);
  ASSERT_TRUE(read.ok()) << read.status();
  EXPECT_EQ(*read, std::string("a\0b", 3));
  auto over = ReadFileToString(path, 2);
  EXPECT_EQ(over.status().code(), absl::StatusCode::kFailedPrecondition);
  EXPECT_NE(over.status().message().find(path), std::string::npos);
}

TEST(ReadFileTest, ErrorsByErrno) {
  testing::TempDir dir;
  EXPECT_EQ(ReadFileToString(dir.Sub("absent")).status().code(), absl::StatusCode::kNotFound);
  EXPECT_EQ(ReadFileToString(dir.path()).status().code(),
            absl::StatusCode::kFailedPrecondition);  // a directory
  const std::string locked = dir.Sub("locked");
  std::ofstream(locked) << "x";
  chmod(locked.c_str(), 0);
  if (geteuid() != 0) {  // root reads it anyway
    EXPECT_EQ(ReadFileToString(locked).status().code(), absl::StatusCode::kPermissionDenied);
  }
}

TEST(ReadFileTest, SecretsAreTrimmedAndNeverEmpty) {
  testing::TempDir dir;
  std::ofstream(dir.Sub("token")) << "  abc123\n";
  auto token = ReadSecretFile(dir.Sub("token"));
  ASSERT_TRUE(token.ok());
  EXPECT_EQ(*token, "abc123");
  std::ofstream(dir.Sub("blank")) << " \n";
  EXPECT_EQ(ReadSecretFile(dir.Sub("blank")).status().code(),
            absl::StatusCode::kFailedPrecondition);
}

TEST(WriteFileTest, AtomicallyReplacedAndErrorsByErrno) {
  testing::TempDir dir;
  const std::string path = dir.Sub("receipts");
  ASSERT_TRUE(WriteFileAtomically(path, "first").ok());
  ASSERT_TRUE(WriteFileAtomically(path, std::string("se\0cond", 7)).ok());
  EXPECT_EQ(*ReadFileToString(path), std::string("se\0cond", 7));
  EXPECT_NE(access((path + ".tmp").c_str(), F_OK), 0);  // nothing left beside it
  EXPECT_EQ(WriteFileAtomically(dir.Sub("no/such/dir/f"), "x").code(), absl::StatusCode::kNotFound);
}

TEST(ErrnoToStatusTest, CodesByErrno) {
  EXPECT_TRUE(IsDiskFull(ErrnoToStatus(ENOSPC, "cannot write f")));
  EXPECT_TRUE(IsDiskFull(ErrnoToStatus(EDQUOT, "cannot write f")));
  EXPECT_EQ(ErrnoToStatus(ENOENT, "m").code(), absl::StatusCode::kNotFound);
  EXPECT_EQ(ErrnoToStatus(EACCES, "m").code(), absl::StatusCode::kPermissionDenied);
  EXPECT_EQ(ErrnoToStatus(EIO, "m").code(), absl::StatusCode::kUnavailable);
  EXPECT_FALSE(IsDiskFull(ErrnoToStatus(EIO, "disk full")));
  EXPECT_NE(ErrnoToStatus(EIO, "cannot read f").message().find("cannot read f"), std::string::npos);
}

}  // namespace
}  // namespace fieldsync
