#include "server/common/value.h"

#include <cstring>

#include "absl/strings/str_cat.h"
#include "absl/strings/str_join.h"

namespace fieldsync {
namespace {

void AppendLengthPrefixed(std::string* out, absl::string_view s) {
  absl::StrAppend(out, s.size(), ":", s);
}

template <typename T>
std::string RawBytes(T v) {
  std::string s(sizeof(T), '\0');
  std::memcpy(s.data(), &v, sizeof(T));
  return s;
}

}  // namespace

std::string DebugString(const Value& v) {
  struct Visitor {
    std::string operator()(std::monostate) const { return "null"; }
    std::string operator()(const std::string& s) const { return absl::StrCat("\"", s, "\""); }
    std::string operator()(int64_t i) const { return absl::StrCat(i); }
    std::string operator()(double d) const { return absl::StrCat(d); }
    std::string operator()(bool b) const { return b ? "true" : "false"; }
    std::string operator()(const std::vector<std::string>& l) const {
      return absl::StrCat("[", absl::StrJoin(l, ","), "]");
    }
    std::string operator()(const GeoPoint& g) const {
      return absl::StrCat("(", g.latitude, ",", g.longitude, ")");
    }
  };
  return std::visit(Visitor{}, v);
}

std::string CanonicalEncoding(const Value& v) {
  std::string out;
  out.push_back(static_cast<char>('0' + v.index()));
  switch (v.index()) {
    case 0:
      break;
    case 1:
      AppendLengthPrefixed(&out, std::get<std::string>(v));
      break;
    case 2:
      out += RawBytes(std::get<int64_t>(v));
      break;
    case 3:
      out += RawBytes(std::get<double>(v));
      break;
    case 4:
      out.push_back(std::get<bool>(v) ? '1' : '0');
      break;
    case 5: {
      const auto& list = std::get<std::vector<std::string>>(v);
      absl::StrAppend(&out, list.size(), ":");
      for (const auto& s : list) AppendLengthPrefixed(&out, s);
      break;
    }
    case 6:
      out += RawBytes(std::get<GeoPoint>(v).latitude);
      out += RawBytes(std::get<GeoPoint>(v).longitude);
      break;
  }
  return out;
}

std::string ScopeText(const Value& v) {
  if (auto* s = std::get_if<std::string>(&v)) return *s;
  if (auto* i = std::get_if<int64_t>(&v)) return absl::StrCat(*i);
  if (auto* b = std::get_if<bool>(&v)) return *b ? "true" : "false";
  return "";
}

}  // namespace fieldsync
