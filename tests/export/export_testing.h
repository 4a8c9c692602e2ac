// Shared pieces of the export tests: a sink that keeps what it is given, and an XLSX reader
// (minizip) that returns one part of the zip so tests can check the sheets' XML.
#ifndef FIELDSYNC_TESTS_EXPORT_EXPORT_TESTING_H_
#define FIELDSYNC_TESTS_EXPORT_EXPORT_TESTING_H_

#include <minizip/unzip.h>
#include <unistd.h>

#include <cstdio>
#include <string>
#include <vector>

#include "server/export/exporter.h"

namespace fieldsync::exporting::testing {

// Keeps every chunk and progress report; fails with `fail_with` from the `fail_at`-th chunk
// on (1-based; 0: never), as a client that goes away would.
class RecordingSink final : public ExportSink {
 public:
  absl::Status Write(std::string_view bytes) override {
    chunks.emplace_back(bytes);
    data.append(bytes.data(), bytes.size());
    if (fail_at > 0 && chunks.size() >= fail_at) return absl::CancelledError("client went away");
    return absl::OkStatus();
  }
  absl::Status Progress(const ExportProgress& p) override {
    progress.push_back(p);
    return absl::OkStatus();
  }
  size_t LargestChunk() const {
    size_t m = 0;
    for (const auto& c : chunks) m = std::max(m, c.size());
    return m;
  }

  std::vector<std::string> chunks;
  std::string data;
  std::vector<ExportProgress> progress;
  size_t fail_at = 0;
};

// The part `name` ("xl/worksheets/sheet1.xml") of the zip in `bytes`; "" if absent.
inline std::string ZipPart(const std::string& bytes, const std::string& name) {
  char path[] = "/tmp/export_test_XXXXXX.xlsx";
  int fd = mkstemps(path, 5);
  if (fd < 0) return "";
  if (write(fd, bytes.data(), bytes.size()) != static_cast<ssize_t>(bytes.size())) {
    close(fd);
    unlink(path);
    return "";
  }
  close(fd);
  std::string out;
  unzFile zip = unzOpen(path);
  if (zip != nullptr && unzLocateFile(zip, name.c_str(), 0) == UNZ_OK &&
      unzOpenCurrentFile(zip) == UNZ_OK) {
    char buf[8192];
    int n;
    while ((n = unzReadCurrentFile(zip, buf, sizeof(buf))) > 0) out.append(buf, n);
    unzCloseCurrentFile(zip);
  }
  if (zip != nullptr) unzClose(zip);
  unlink(path);
  return out;
}

}  // namespace fieldsync::exporting::testing

#endif  // FIELDSYNC_TESTS_EXPORT_EXPORT_TESTING_H_
