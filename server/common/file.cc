#include "server/common/file.h"

#include <errno.h>
#include <fcntl.h>
#include <sys/stat.h>
#include <unistd.h>

#include <cstring>

#include "absl/status/status.h"
#include "absl/strings/ascii.h"
#include "absl/strings/str_cat.h"
#include "server/common/status.h"

namespace fieldsync {
namespace {

// The error of a failed open/read/write of `path`.
absl::Status FileError(const std::string& path, int err, const char* verb = "read") {
  return ErrnoToStatus(err, absl::StrCat("cannot ", verb, " ", path));
}

}  // namespace

absl::Status ErrnoToStatus(int err, absl::string_view what) {
  const std::string message = absl::StrCat(what, ": ", strerror(err));
  switch (err) {
    case ENOSPC:
    case EDQUOT:
      return DiskFullError(absl::StrCat("disk full: ", message));
    case ENOENT:
    case ENOTDIR:
      return absl::NotFoundError(message);
    case EACCES:
    case EPERM:
      return absl::PermissionDeniedError(message);
    case EISDIR:
      return absl::FailedPreconditionError(message);
    default:
      return absl::UnavailableError(message);
  }
}

absl::StatusOr<std::string> ReadFileToString(const std::string& path, size_t max_bytes) {
  const int fd = open(path.c_str(), O_RDONLY | O_CLOEXEC);
  if (fd < 0) return FileError(path, errno);
  struct stat st {};
  if (fstat(fd, &st) != 0) {
    const int err = errno;
    close(fd);
    return FileError(path, err);
  }
  if (S_ISDIR(st.st_mode)) {
    close(fd);
    return FileError(path, EISDIR);
  }
  // Read up to one byte past the bound, so that an oversized file (or a pipe, whose size
  // fstat does not know) is told apart without reading it all.
  std::string data;
  char buf[16384];
  while (true) {
    const ssize_t n = read(fd, buf, sizeof(buf));
    if (n < 0) {
      if (errno == EINTR) continue;
      const int err = errno;
      close(fd);
      return FileError(path, err);
    }
    if (n == 0) break;
    if (data.size() + static_cast<size_t>(n) > max_bytes) {
      close(fd);
      return absl::FailedPreconditionError(
          absl::StrCat(path, " is larger than ", max_bytes, " bytes"));
    }
    data.append(buf, static_cast<size_t>(n));
  }
  close(fd);
  return data;
}

absl::StatusOr<std::string> ReadSecretFile(const std::string& path, size_t max_bytes) {
  absl::StatusOr<std::string> data = ReadFileToString(path, max_bytes);
  if (!data.ok()) return data.status();
  std::string secret(absl::StripAsciiWhitespace(*data));
  if (secret.empty()) return absl::FailedPreconditionError(absl::StrCat(path, " is empty"));
  return secret;
}

absl::Status WriteFileAtomically(const std::string& path, absl::string_view data) {
  const std::string tmp = path + ".tmp";
  const int fd = open(tmp.c_str(), O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, 0644);
  if (fd < 0) return FileError(tmp, errno, "write");
  size_t done = 0;
  while (done < data.size()) {
    const ssize_t n = write(fd, data.data() + done, data.size() - done);
    if (n < 0 && errno == EINTR) continue;
    if (n < 0) {
      const int err = errno;
      close(fd);
      unlink(tmp.c_str());
      return FileError(tmp, err, "write");
    }
    done += static_cast<size_t>(n);
  }
  if (fsync(fd) != 0) {
    const int err = errno;
    close(fd);
    unlink(tmp.c_str());
    return FileError(tmp, err, "write");
  }
  close(fd);
  if (rename(tmp.c_str(), path.c_str()) != 0) {
    const int err = errno;
    unlink(tmp.c_str());
    return FileError(path, err, "write");
  }
  return absl::OkStatus();
}

}  // namespace fieldsync
