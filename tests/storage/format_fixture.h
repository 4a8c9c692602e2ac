// The fixture database of format_compat_test.cc: a small database holding every kind of
// stored entity, written through the real cores (registry, enrollment, push with pii
// pseudonyms, merges, conflicts, deletes, quarantine, resolution, pull, retention, audit).
// make_format_fixture.cc runs it once per on-disk format and the result is committed under
// tests/storage/testdata/format_v<N>/, so later releases prove they still open it.
#ifndef FIELDSYNC_TESTS_STORAGE_FORMAT_FIXTURE_H_
#define FIELDSYNC_TESTS_STORAGE_FORMAT_FIXTURE_H_

#include <string>

#include "absl/status/status.h"

namespace fieldsync::storage_test {

// The pii key the fixture was written with (a test key: 32 bytes, not secret).
inline constexpr char kFixturePiiKey[] = "fieldsync format fixture pii key 0123456789";

// What a test needs besides the database: the bearer tokens issued while writing it.
struct FixtureSecrets {
  std::string admin_token;   // device "admin-1" (all scopes)
  std::string tablet_token;  // device "tab-1" (governorate=Ninewa)
};

// Writes the fixture database into `db_path` (which must not exist) and closes it.
absl::Status WriteFormatFixture(const std::string& db_path, FixtureSecrets* secrets);

}  // namespace fieldsync::storage_test

#endif  // FIELDSYNC_TESTS_STORAGE_FORMAT_FIXTURE_H_
