// make_format_fixture OUT_DIR: writes OUT_DIR/db (the fixture database of format_fixture.h),
// OUT_DIR/expected.txt (its dump as this build reads it) and OUT_DIR/tokens.txt. Run once per
// on-disk format with the release that introduces it; commit the result under
// tests/storage/testdata/format_v<N>/ (without RocksDB's LOG files).
#include <filesystem>
#include <fstream>
#include <iostream>

#include "server/storage/store.h"
#include "tests/storage/format_fixture.h"
#include "tests/storage/store_dump.h"

int main(int argc, char** argv) {
  if (argc != 2) {
    std::cerr << "usage: make_format_fixture OUT_DIR\n";
    return 2;
  }
  const std::string out = argv[1];
  const std::string db = out + "/db";
  if (std::filesystem::exists(db)) {
    std::cerr << db << " exists; remove it first\n";
    return 2;
  }
  std::filesystem::create_directories(out);
  fieldsync::storage_test::FixtureSecrets secrets;
  if (auto s = fieldsync::storage_test::WriteFormatFixture(db, &secrets); !s.ok()) {
    std::cerr << "writing the fixture: " << s << "\n";
    return 1;
  }
  fieldsync::StoreOptions options;
  options.path = db;
  auto store = fieldsync::Store::Open(options);
  if (!store.ok()) {
    std::cerr << store.status() << "\n";
    return 1;
  }
  auto dump = fieldsync::storage_test::DumpStore(**store);
  if (!dump.ok()) {
    std::cerr << "dumping the fixture: " << dump.status() << "\n";
    return 1;
  }
  std::ofstream(out + "/expected.txt") << *dump;
  std::ofstream(out + "/tokens.txt") << "admin-1 " << secrets.admin_token << "\n"
                                     << "tab-1 " << secrets.tablet_token << "\n";
  store->reset();
  for (const auto& entry : std::filesystem::directory_iterator(db)) {
    const std::string name = entry.path().filename().string();
    if (name.rfind("LOG", 0) == 0) std::filesystem::remove(entry.path());
  }
  return 0;
}
