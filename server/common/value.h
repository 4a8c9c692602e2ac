// Field values of records, as the domain cores see them.
#ifndef FIELDSYNC_SERVER_COMMON_VALUE_H_
#define FIELDSYNC_SERVER_COMMON_VALUE_H_

#include <cstdint>
#include <map>
#include <string>
#include <variant>
#include <vector>

namespace fieldsync {

struct GeoPoint {
  double latitude = 0;
  double longitude = 0;
  bool operator==(const GeoPoint& o) const {
    return latitude == o.latitude && longitude == o.longitude;
  }
  bool operator!=(const GeoPoint& o) const { return !(*this == o); }
};

// std::monostate is null (a cleared field). std::string holds string, date, datetime,
// select_one and attachment values; std::vector<std::string> holds select_multiple.
using Value = std::variant<std::monostate, std::string, int64_t, double, bool,
                           std::vector<std::string>, GeoPoint>;

// Field name -> value. Ordered, so that hashing and encoding are deterministic.
using FieldMap = std::map<std::string, Value>;

inline bool IsNull(const Value& v) { return std::holds_alternative<std::monostate>(v); }

// A short human-readable rendering, for tests and error messages (never for logs of
// personal data).
std::string DebugString(const Value& v);

// A deterministic byte encoding of a value, used for content hashes and scope keys.
// Distinct values have distinct encodings.
std::string CanonicalEncoding(const Value& v);

// The value as text for scope matching: text values as they are, integers in decimal,
// booleans "true"/"false"; other kinds have no scope text and return "".
std::string ScopeText(const Value& v);

}  // namespace fieldsync

#endif  // FIELDSYNC_SERVER_COMMON_VALUE_H_
