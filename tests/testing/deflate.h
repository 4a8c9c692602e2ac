// gzip and zlib ("deflate" in gRPC) streams for tests, made with zlib. Header-only: link zlib.
#ifndef FIELDSYNC_TESTS_TESTING_DEFLATE_H_
#define FIELDSYNC_TESTS_TESTING_DEFLATE_H_

#include <zlib.h>

#include <algorithm>
#include <string>

namespace fieldsync::testing {

// `raw` compressed as gRPC's gzip (`gzip`) or deflate (zlib format) would send it.
inline std::string Deflate(const std::string& raw, bool gzip) {
  z_stream zs{};
  deflateInit2(&zs, 6, Z_DEFLATED, gzip ? 15 + 16 : 15, 8, Z_DEFAULT_STRATEGY);
  std::string out(deflateBound(&zs, raw.size()), '\0');
  zs.next_in = reinterpret_cast<Bytef*>(const_cast<char*>(raw.data()));
  zs.avail_in = static_cast<uInt>(raw.size());
  zs.next_out = reinterpret_cast<Bytef*>(out.data());
  zs.avail_out = static_cast<uInt>(out.size());
  deflate(&zs, Z_FINISH);
  out.resize(zs.total_out);
  deflateEnd(&zs);
  return out;
}

// gzip of `n` zero bytes, compressed a MiB at a time (never holding `n` bytes).
inline std::string GzipOfZeros(size_t n) {
  z_stream zs{};
  deflateInit2(&zs, 6, Z_DEFLATED, 15 + 16, 8, Z_DEFAULT_STRATEGY);
  const std::string zeros(1 << 20, '\0');
  std::string out;
  char buf[1 << 16];
  size_t left = n;
  int flush = Z_NO_FLUSH;
  do {
    const size_t take = std::min(left, zeros.size());
    left -= take;
    flush = left == 0 ? Z_FINISH : Z_NO_FLUSH;
    zs.next_in = reinterpret_cast<Bytef*>(const_cast<char*>(zeros.data()));
    zs.avail_in = static_cast<uInt>(take);
    do {
      zs.next_out = reinterpret_cast<Bytef*>(buf);
      zs.avail_out = sizeof(buf);
      deflate(&zs, flush);
      out.append(buf, sizeof(buf) - zs.avail_out);
    } while (zs.avail_out == 0);
  } while (flush != Z_FINISH);
  deflateEnd(&zs);
  return out;
}

}  // namespace fieldsync::testing

#endif  // FIELDSYNC_TESTS_TESTING_DEFLATE_H_
