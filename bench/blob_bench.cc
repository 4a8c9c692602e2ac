// blob_bench: where attachment bytes should live (issue 13). Writes one blob of --mb MiB in
// --chunk-kib KiB pieces, each piece durable before the next is "acknowledged", three ways on
// the same disk in one run:
//   files      server/blob BlobStore (pwrite + fdatasync + durable offset per sync, rename)
//   rocksdb    a column family with integrated blob files (enable_blob_files), one synced Put
//              per --sync-kib under keys <hash>/<chunk index>, then a flush
//   plain      a plain file copy: write everything, one fsync (the disk's limit, no resume)
// and reads the blob back from files and rocksdb. Prints MiB/s per way and the ratios.
//
//   blob_bench [--mb=50] [--chunk-kib=256] [--sync-kib=256] [--dir=.]
#include <fcntl.h>
#include <unistd.h>

#include <chrono>
#include <cstdio>
#include <cstdlib>
#include <cstring>
#include <filesystem>
#include <random>
#include <string>

#include "rocksdb/db.h"
#include "rocksdb/options.h"
#include "server/blob/blob_store.h"
#include "server/common/hash.h"

namespace {

using Clock = std::chrono::steady_clock;

double Seconds(Clock::time_point since) {
  return std::chrono::duration<double>(Clock::now() - since).count();
}

[[noreturn]] void Die(const std::string& what) {
  std::fprintf(stderr, "blob_bench: %s\n", what.c_str());
  std::exit(1);
}

long Flag(int argc, char** argv, const std::string& name, long def) {
  const std::string prefix = "--" + name + "=";
  for (int i = 1; i < argc; ++i) {
    std::string a = argv[i];
    if (a.rfind(prefix, 0) == 0) return std::atol(a.c_str() + prefix.size());
  }
  return def;
}

std::string StrFlag(int argc, char** argv, const std::string& name, const std::string& def) {
  const std::string prefix = "--" + name + "=";
  for (int i = 1; i < argc; ++i) {
    std::string a = argv[i];
    if (a.rfind(prefix, 0) == 0) return a.substr(prefix.size());
  }
  return def;
}

double BenchFiles(const std::string& dir, const std::string& data, size_t chunk, size_t sync,
                  double* read_mib_s) {
  fieldsync::BlobStoreOptions o;
  o.dir = dir;
  o.max_blob_bytes = data.size();
  o.device_quota_bytes = data.size();
  o.max_chunk_bytes = chunk;
  o.sync_every_bytes = sync;
  auto store = fieldsync::BlobStore::Open(o);
  if (!store.ok()) Die(store.status().ToString());
  const std::string hash = fieldsync::Sha256Hex(data);
  const auto start = Clock::now();
  auto w = (*store)->OpenWriter("bench", hash, data.size());
  if (!w.ok()) Die(w.status().ToString());
  for (size_t pos = 0; pos < data.size(); pos += chunk) {
    auto s = (*w)->Append(pos, absl::string_view(data).substr(pos, chunk));
    if (!s.ok()) Die(s.ToString());
  }
  if (!(*w)->complete()) Die("blob not complete");
  const double secs = Seconds(start);
  const auto rstart = Clock::now();
  std::string piece;
  size_t got = 0;
  for (size_t pos = 0; pos < data.size(); pos += chunk) {
    if (!(*store)->Read(hash, pos, chunk, &piece).ok()) Die("read");
    got += piece.size();
  }
  if (got != data.size()) Die("short read");
  *read_mib_s = data.size() / 1048576.0 / Seconds(rstart);
  return data.size() / 1048576.0 / secs;
}

double BenchRocks(const std::string& dir, const std::string& data, size_t chunk, size_t sync,
                  double* read_mib_s) {
  rocksdb::DBOptions db_options;
  db_options.create_if_missing = true;
  db_options.create_missing_column_families = true;
  rocksdb::ColumnFamilyOptions blobs;
  blobs.enable_blob_files = true;
  blobs.min_blob_size = 4096;
  blobs.blob_file_size = 256ull << 20;
  blobs.write_buffer_size = 64ull << 20;
  std::vector<rocksdb::ColumnFamilyDescriptor> cfs = {
      {rocksdb::kDefaultColumnFamilyName, rocksdb::ColumnFamilyOptions()}, {"blobs", blobs}};
  std::vector<rocksdb::ColumnFamilyHandle*> handles;
  rocksdb::DB* raw = nullptr;
  auto s = rocksdb::DB::Open(db_options, dir, cfs, &handles, &raw);
  if (!s.ok()) Die(s.ToString());
  const std::string hash = fieldsync::Sha256Hex(data);
  rocksdb::WriteOptions wo;
  const auto start = Clock::now();
  size_t unsynced = 0;
  for (size_t pos = 0, i = 0; pos < data.size(); pos += chunk, ++i) {
    // The same durability points as the files: a synced Put every `sync` bytes.
    unsynced += std::min(chunk, data.size() - pos);
    wo.sync = unsynced >= sync || pos + chunk >= data.size();
    if (wo.sync) unsynced = 0;
    char key[96];
    std::snprintf(key, sizeof(key), "%s/%08zu", hash.c_str(), i);
    s = raw->Put(wo, handles[1], key,
                 rocksdb::Slice(data.data() + pos, std::min(chunk, data.size() - pos)));
    if (!s.ok()) Die(s.ToString());
  }
  // The blob files are written at flush: a blob is on its final storage only then.
  s = raw->Flush(rocksdb::FlushOptions(), handles[1]);
  if (!s.ok()) Die(s.ToString());
  const double secs = Seconds(start);
  const auto rstart = Clock::now();
  size_t got = 0;
  std::unique_ptr<rocksdb::Iterator> it(raw->NewIterator(rocksdb::ReadOptions(), handles[1]));
  for (it->Seek(hash); it->Valid() && it->key().starts_with(hash); it->Next()) {
    got += it->value().size();
  }
  if (got != data.size()) Die("short rocksdb read");
  *read_mib_s = data.size() / 1048576.0 / Seconds(rstart);
  it.reset();
  for (auto* h : handles) raw->DestroyColumnFamilyHandle(h);
  delete raw;
  return data.size() / 1048576.0 / secs;
}

double BenchPlain(const std::string& path, const std::string& data, size_t chunk) {
  const auto start = Clock::now();
  int fd = ::open(path.c_str(), O_WRONLY | O_CREAT | O_TRUNC, 0600);
  if (fd < 0) Die("open plain");
  for (size_t pos = 0; pos < data.size(); pos += chunk) {
    size_t n = std::min(chunk, data.size() - pos);
    if (::write(fd, data.data() + pos, n) != static_cast<ssize_t>(n)) Die("write plain");
  }
  if (::fsync(fd) != 0) Die("fsync plain");
  ::close(fd);
  return data.size() / 1048576.0 / Seconds(start);
}

}  // namespace

int main(int argc, char** argv) {
  const size_t mib = static_cast<size_t>(Flag(argc, argv, "mb", 50));
  const size_t chunk = static_cast<size_t>(Flag(argc, argv, "chunk-kib", 256)) << 10;
  const size_t sync = static_cast<size_t>(Flag(argc, argv, "sync-kib", 256)) << 10;
  const std::string base = StrFlag(argc, argv, "dir", ".") + "/blob_bench.tmp";
  if (mib == 0 || chunk == 0 || sync == 0) Die("--mb, --chunk-kib and --sync-kib must be > 0");
  std::filesystem::remove_all(base);
  std::filesystem::create_directories(base);
  std::string data(mib << 20, '\0');
  std::mt19937_64 rng(42);  // incompressible, like a JPEG
  for (size_t i = 0; i + 8 <= data.size(); i += 8) {
    const uint64_t v = rng();
    std::memcpy(&data[i], &v, 8);
  }
  double files_read = 0;
  double rocks_read = 0;
  const double plain = BenchPlain(base + "/plain", data, chunk);
  const double files = BenchFiles(base + "/files", data, chunk, sync, &files_read);
  const double rocks = BenchRocks(base + "/rocksdb", data, chunk, sync, &rocks_read);
  std::filesystem::remove_all(base);
  std::printf("blob of %zu MiB in %zu KiB chunks, durable every %zu KiB\n", mib, chunk >> 10,
              sync >> 10);
  std::printf("plain copy + 1 fsync : %8.1f MiB/s\n", plain);
  std::printf("files (BlobStore)    : %8.1f MiB/s write (%.2f of plain), %8.1f MiB/s read\n", files,
              files / plain, files_read);
  std::printf("rocksdb blob files   : %8.1f MiB/s write (%.2f of plain), %8.1f MiB/s read\n", rocks,
              rocks / plain, rocks_read);
  return 0;
}
