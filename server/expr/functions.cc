// Strings, booleans, numbers and node-sets. Behaviour per the XForms spec's function list,
// XPath 1.0 and javarosa where the spec is silent (each deviation is said where it is made).
#include "server/expr/functions.h"

#include <algorithm>
#include <charconv>
#include <cmath>
#include <limits>
#include <optional>

#include "absl/strings/ascii.h"
#include "absl/strings/escaping.h"
#include "absl/strings/match.h"
#include "absl/strings/str_cat.h"
#include "absl/strings/str_format.h"
#include "absl/strings/str_split.h"
#include "openssl/evp.h"

namespace fieldsync::expr {
namespace {

constexpr double kNaN = std::numeric_limits<double>::quiet_NaN();

bool IsJavaSpace(char c) {
  return c == ' ' || c == '\t' || c == '\n' || c == '\x0B' || c == '\f' || c == '\r';
}

std::string NormalizeSpace(absl::string_view s) {
  std::string out;
  bool pending_space = false;
  for (char c : s) {
    if (IsJavaSpace(c)) {
      pending_space = !out.empty();
      continue;
    }
    if (pending_space) out.push_back(' ');
    pending_space = false;
    out.push_back(c);
  }
  return out;
}

// substr(): 0-based character indexes; negative ones count from the end (javarosa).
std::string Substr(absl::string_view s, double start_d, std::optional<double> end_d) {
  const std::vector<absl::string_view> chars = Chars(s);
  const auto len = static_cast<int64_t>(chars.size());
  int64_t start = ClampToInt(start_d, -len - 1, len + 1, 0);
  int64_t end = end_d ? ClampToInt(*end_d, -len - 1, len + 1, 0) : len;
  if (start < 0) start += len;
  if (end < 0) end += len;
  start = std::clamp<int64_t>(start, 0, len);
  end = std::clamp<int64_t>(end, 0, len);
  std::string out;
  for (int64_t i = start; i < end; ++i) absl::StrAppend(&out, chars[i]);
  return out;
}

// substring(): XPath 1.0's 1-based, rounded positions; NaN and infinities as the spec says.
std::string Substring(absl::string_view s, double start, std::optional<double> length) {
  const double first = std::floor(start + 0.5);
  const double last = length ? first + std::floor(*length + 0.5) : HUGE_VAL;
  std::string out;
  double position = 1;
  for (absl::string_view c : Chars(s)) {
    if (position >= first && position < last) absl::StrAppend(&out, c);
    ++position;
  }
  return out;
}

std::string Translate(absl::string_view s, absl::string_view from, absl::string_view to) {
  const std::vector<absl::string_view> from_chars = Chars(from);
  const std::vector<absl::string_view> to_chars = Chars(to);
  std::string out;
  for (absl::string_view c : Chars(s)) {
    size_t i = 0;
    while (i < from_chars.size() && from_chars[i] != c) ++i;
    if (i == from_chars.size()) {
      absl::StrAppend(&out, c);
    } else if (i < to_chars.size()) {
      absl::StrAppend(&out, to_chars[i]);
    }  // else: mapped to nothing, dropped
  }
  return out;
}

// Bytes that are no UTF-8 character become U+FFFD, so results stay valid text.
std::string ValidUtf8(absl::string_view s) {
  std::string out;
  for (size_t i = 0; i < s.size();) {
    size_t len = 1;
    if (DecodeUtf8(s, i, &len) == kInvalidChar) {
      out += "\xEF\xBF\xBD";
    } else {
      absl::StrAppend(&out, s.substr(i, len));
    }
    i += len;
  }
  return out;
}

// round(x, places) as javarosa: decimal rounding of the shortest decimal form of x (so
// round(1.005, 2) is 1.01), ties toward +Infinity (XPath's round: -2.5 -> -2).
double Round(double x, int64_t places) {
  if (std::isnan(x) || std::isinf(x)) return x;
  if (places > 30 || places < -30) return kNaN;
  if (places < 0) {
    const double scale = std::pow(10.0, static_cast<double>(-places));
    return std::floor(x / scale + 0.5) * scale;
  }
  char buf[400];
  auto [end, ec] = std::to_chars(buf, buf + sizeof(buf), std::fabs(x), std::chars_format::fixed);
  if (ec != std::errc()) return x;
  std::string digits(buf, end);
  const size_t dot = digits.find('.');
  if (dot == std::string::npos || digits.size() - dot - 1 <= static_cast<size_t>(places)) {
    return x;
  }
  const std::string dropped = digits.substr(dot + 1 + places);
  digits.erase(dot + 1 + places);
  digits.erase(dot, 1);
  const bool negative = x < 0;
  const bool up =
      negative ? (dropped[0] > '5' ||
                  (dropped[0] == '5' && dropped.find_first_not_of('0', 1) != std::string::npos))
               : dropped[0] >= '5';
  if (up) {
    int i = static_cast<int>(digits.size()) - 1;
    while (i >= 0 && digits[i] == '9') digits[i--] = '0';
    if (i < 0) {
      digits.insert(digits.begin(), '1');
    } else {
      ++digits[i];
    }
  }
  const std::string text = absl::StrCat(digits, "e-", places);
  double r = 0;
  std::from_chars(text.data(), text.data() + text.size(), r);
  return negative ? -r : r;
}

std::string Uuid(EvalContext& ctx) {
  uint8_t b[16];
  for (int half = 0; half < 2; ++half) {
    uint64_t r = ctx.Random();
    for (int i = 0; i < 8; ++i, r >>= 8) b[half * 8 + i] = static_cast<uint8_t>(r);
  }
  b[6] = static_cast<uint8_t>((b[6] & 0x0F) | 0x40);  // version 4
  b[8] = static_cast<uint8_t>((b[8] & 0x3F) | 0x80);  // RFC 4122 variant
  std::string out;
  for (int i = 0; i < 16; ++i) {
    if (i == 4 || i == 6 || i == 8 || i == 10) out.push_back('-');
    absl::StrAppendFormat(&out, "%02x", b[i]);
  }
  return out;
}

absl::Status RandomString(Evaluator& ev, double n_d, XValue* out) {
  const int64_t n = ClampToInt(n_d, 0, std::numeric_limits<int64_t>::max(), 0);
  absl::Status s = ev.ChargeString(static_cast<size_t>(
      std::min<int64_t>(n, static_cast<int64_t>(ev.program().limits.max_string_bytes) + 1)));
  if (!s.ok()) return s;
  static constexpr char kAlphabet[] =
      "0123456789abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ";
  std::string r(static_cast<size_t>(n), '0');
  for (char& c : r) c = kAlphabet[ev.ctx().Random() % 62];
  *out = XValue::String(std::move(r));
  return absl::OkStatus();
}

absl::Status Concat(Evaluator& ev, const Node& call, int first, absl::string_view separator,
                    XValue* out) {
  std::string result;
  bool any = false;
  absl::Status s = ForEachValue(ev, call, first, [&](const XValue& v) {
    if (any) absl::StrAppend(&result, separator);
    any = true;
    result += ToString(v);
    return ev.ChargeString(result.size());
  });
  if (!s.ok()) return s;
  *out = XValue::String(std::move(result));
  return absl::OkStatus();
}

// min() / max() over every value (NaN ignored, as javarosa); NaN when there is none.
absl::Status Extreme(Evaluator& ev, const Node& call, bool want_max, XValue* out) {
  double best = kNaN;
  absl::Status s = ForEachValue(ev, call, 0, [&](const XValue& v) {
    const double x = ev.Number(v);
    if (!std::isnan(x) && (std::isnan(best) || (want_max ? x > best : x < best))) best = x;
    return absl::OkStatus();
  });
  *out = XValue::Number(best);
  return s;
}

absl::Status Checklist(Evaluator& ev, const Node& call, XValue* out) {
  double min = 0;
  double max = 0;
  absl::Status s = ArgNumber(ev, call, 0, &min);
  if (s.ok()) s = ArgNumber(ev, call, 1, &max);
  if (!s.ok()) return s;
  int64_t count = 0;
  s = ForEachValue(ev, call, 2, [&](const XValue& v) {
    count += ToBoolean(v) ? 1 : 0;
    return absl::OkStatus();
  });
  const int64_t lo = ClampToInt(min, -1, 1'000'000'000, 0);
  const int64_t hi = ClampToInt(max, -1, 1'000'000'000, 0);
  *out = XValue::Boolean((lo < 0 || count >= lo) && (hi < 0 || count <= hi));
  return s;
}

absl::Status WeightedChecklist(Evaluator& ev, const Node& call, XValue* out) {
  double min = 0;
  double max = 0;
  absl::Status s = ArgNumber(ev, call, 0, &min);
  if (s.ok()) s = ArgNumber(ev, call, 1, &max);
  if (!s.ok()) return s;
  std::vector<XValue> values;
  s = ForEachValue(ev, call, 2, [&](const XValue& v) {
    values.push_back(v);
    return absl::OkStatus();
  });
  if (!s.ok()) return s;
  // Either pairs of (value, weight) arguments, or one node-set of values and one of weights.
  const bool two_lists = call.num_children == 4 &&
                         ev.program().child(call, 2).type == StaticType::kNodeSet &&
                         ev.program().child(call, 3).type == StaticType::kNodeSet;
  if (values.size() % 2 != 0) {
    return ev.Error(call, "weighted-checklist(): values and weights differ in number");
  }
  const size_t pairs = values.size() / 2;
  double sum = 0;
  for (size_t i = 0; i < pairs; ++i) {
    const XValue& flag = two_lists ? values[i] : values[2 * i];
    const XValue& weight = two_lists ? values[pairs + i] : values[2 * i + 1];
    if (ToBoolean(flag)) sum += ev.Number(weight);
  }
  *out = XValue::Boolean(sum >= min && sum <= max);
  return absl::OkStatus();
}

absl::Status Regex(Evaluator& ev, const Node& call, XValue* out) {
  std::string subject;
  absl::Status s = ArgString(ev, call, 0, &subject);
  if (!s.ok()) return s;
  s = ev.ChargeString(subject.size());
  if (!s.ok()) return s;
  // The spec makes regex('[0-9]+') the JavaScript test /[0-9]+/: a match anywhere. (javarosa
  // matches the whole value; with ^...$, as forms usually write, both agree.)
  if (call.regex != nullptr) {
    *out = XValue::Boolean(RE2::PartialMatch(subject, *call.regex));
    return absl::OkStatus();
  }
  std::string pattern;
  s = ArgString(ev, call, 1, &pattern);
  if (!s.ok()) return s;
  RE2::Options options;
  options.set_log_errors(false);
  options.set_max_mem(ev.program().limits.max_regex_program_bytes);
  RE2 re(pattern, options);
  if (!re.ok()) {
    return ev.Error(call, absl::StrCat("regex(): pattern not supported: ", re.error()));
  }
  *out = XValue::Boolean(RE2::PartialMatch(subject, re));
  return absl::OkStatus();
}

absl::Status IndexedRepeat(Evaluator& ev, const Node& call, XValue* out) {
  const Program& p = ev.program();
  std::vector<RefId> repeats;
  std::vector<int64_t> indexes;
  for (int i = 1; i + 1 < call.num_children; i += 2) {
    double index = 0;
    absl::Status s = ArgNumber(ev, call, i + 1, &index);
    if (!s.ok()) return s;
    repeats.push_back(p.child(call, i).ref.id);
    // javarosa takes an index below 1 (an unanswered count) as 1.
    indexes.push_back(ClampToInt(index, 1, std::numeric_limits<int32_t>::max(), 1));
  }
  *out = Unpack(ev.ctx().GetIndexed(p.child(call, 0).ref.id, repeats, indexes));
  return ev.ChargeString(out->string.size());
}

absl::Status StringFunction(Evaluator& ev, const Node& call, XValue* out) {
  std::string a;
  std::string b;
  std::string c;
  absl::Status s;
  auto args = [&](int n) {
    if (n > 0) s = ArgString(ev, call, 0, &a);
    if (n > 1 && s.ok()) s = ArgString(ev, call, 1, &b);
    if (n > 2 && s.ok()) s = ArgString(ev, call, 2, &c);
    if (s.ok()) s = ev.ChargeString(a.size() + b.size() + c.size());
    return s.ok();
  };
  switch (call.fn) {
    case Fn::kSubstringBefore:
      if (!args(2)) return s;
      *out =
          XValue::String(b.empty() || a.find(b) == std::string::npos ? "" : a.substr(0, a.find(b)));
      break;
    case Fn::kSubstringAfter: {
      if (!args(2)) return s;
      const size_t at = a.find(b);
      *out = XValue::String(at == std::string::npos ? "" : a.substr(at + b.size()));
      break;
    }
    case Fn::kTranslate:
      if (!args(3)) return s;
      *out = XValue::String(Translate(a, b, c));
      break;
    case Fn::kContains:
      if (!args(2)) return s;
      *out = XValue::Boolean(absl::StrContains(a, b));
      break;
    case Fn::kStartsWith:
      if (!args(2)) return s;
      *out = XValue::Boolean(absl::StartsWith(a, b));
      break;
    case Fn::kEndsWith:
      if (!args(2)) return s;
      *out = XValue::Boolean(absl::EndsWith(a, b));
      break;
    case Fn::kBase64Decode: {
      if (!args(1)) return s;
      std::string decoded;
      *out = XValue::String(absl::Base64Unescape(a, &decoded) ? ValidUtf8(decoded) : "");
      break;
    }
    case Fn::kBooleanFromString:
      if (!args(1)) return s;
      *out = XValue::Boolean(absl::EqualsIgnoreCase(a, "true") || a == "1");
      break;
    default: {
      // substr, substring: a string and one or two numbers.
      if (!args(1)) return s;
      double start = 0;
      double end = 0;
      s = ArgNumber(ev, call, 1, &start);
      if (s.ok() && call.num_children > 2) s = ArgNumber(ev, call, 2, &end);
      if (!s.ok()) return s;
      std::optional<double> third;
      if (call.num_children > 2) third = end;
      *out = XValue::String(call.fn == Fn::kSubstr ? Substr(a, start, third)
                                                   : Substring(a, start, third));
      break;
    }
  }
  return absl::OkStatus();
}

absl::Status DigestFunction(Evaluator& ev, const Node& call, XValue* out) {
  std::string text;
  std::string algorithm;
  std::string encoding = "base64";
  absl::Status s = ArgString(ev, call, 0, &text);
  if (s.ok()) s = ArgString(ev, call, 1, &algorithm);
  if (s.ok() && call.num_children > 2) s = ArgString(ev, call, 2, &encoding);
  if (s.ok()) s = ev.ChargeString(text.size());
  if (!s.ok()) return s;
  absl::StatusOr<std::string> digest = Digest(text, algorithm, encoding);
  if (!digest.ok()) return ev.Error(call, digest.status().message());
  *out = XValue::String(*std::move(digest));
  return absl::OkStatus();
}

// Functions that may read `.` when called without an argument.
absl::Status SelfOrArg(Evaluator& ev, const Node& call, XValue* v) {
  return call.num_children == 0 ? ev.EvalSelf(v) : ArgValue(ev, call, 0, v);
}

absl::Status MathFunction(Evaluator& ev, const Node& call, XValue* out) {
  double x = 0;
  double y = 0;
  absl::Status s;
  if (call.num_children > 0) s = ArgNumber(ev, call, 0, &x);
  if (s.ok() && call.num_children > 1) s = ArgNumber(ev, call, 1, &y);
  if (!s.ok()) return s;
  double r = kNaN;
  switch (call.fn) {
    case Fn::kInt:
      r = std::isfinite(x) ? std::trunc(x) : x;
      break;
    case Fn::kRound:
      r = Round(x, call.num_children > 1 ? ClampToInt(y, -1000, 1000, 0) : 0);
      break;
    case Fn::kPow:
      r = std::pow(x, y);
      break;
    case Fn::kLog:
      r = std::log(x);
      break;
    case Fn::kLog10:
      r = std::log10(x);
      break;
    case Fn::kAbs:
      r = std::fabs(x);
      break;
    case Fn::kSin:
      r = std::sin(x);
      break;
    case Fn::kCos:
      r = std::cos(x);
      break;
    case Fn::kTan:
      r = std::tan(x);
      break;
    case Fn::kAsin:
      r = std::asin(x);
      break;
    case Fn::kAcos:
      r = std::acos(x);
      break;
    case Fn::kAtan:
      r = std::atan(x);
      break;
    case Fn::kAtan2:
      r = std::atan2(x, y);
      break;
    case Fn::kSqrt:
      r = std::sqrt(x);
      break;
    case Fn::kExp:
      r = std::exp(x);
      break;
    case Fn::kExp10:
      r = std::pow(10.0, x);
      break;
    case Fn::kPi:
      r = M_PI;
      break;
    case Fn::kFloor:
      r = std::floor(x);
      break;
    case Fn::kCeiling:
      r = std::ceil(x);
      break;
    default:
      break;
  }
  *out = XValue::Number(r);
  return absl::OkStatus();
}

absl::Status NodeSetFunction(Evaluator& ev, const Node& call, XValue* out) {
  const Program& p = ev.program();
  if (call.fn == Fn::kPosition) {
    const RefId ref = call.num_children == 0 ? p.self.id : p.child(call, 0).ref.id;
    *out = XValue::Number(static_cast<double>(ev.ctx().Position(ref)));
    return absl::OkStatus();
  }
  XValue set;
  absl::Status s = ev.EvalNodeSet(p.child_index(call, 0), &set);
  if (!s.ok()) return s;
  double r = 0;
  for (const Value* v : set.nodes) {
    if (call.fn == Fn::kCount) {
      ++r;
      continue;
    }
    const XValue x = Unpack(v);
    if (call.fn == Fn::kCountNonEmpty) {
      r += ToString(x).empty() ? 0 : 1;
    } else {  // sum: NaN values (unanswered) are left out, as javarosa does
      const double d = ev.Number(x);
      if (!std::isnan(d)) r += d;
    }
  }
  *out = XValue::Number(r);
  return absl::OkStatus();
}

}  // namespace

absl::StatusOr<std::string> Digest(absl::string_view text, absl::string_view algorithm,
                                   absl::string_view encoding) {
  std::string name = absl::AsciiStrToUpper(algorithm);
  name.erase(std::remove(name.begin(), name.end(), '-'), name.end());
  const EVP_MD* md = name == "MD5"      ? EVP_md5()
                     : name == "SHA1"   ? EVP_sha1()
                     : name == "SHA256" ? EVP_sha256()
                     : name == "SHA384" ? EVP_sha384()
                     : name == "SHA512" ? EVP_sha512()
                                        : nullptr;
  if (md == nullptr) {
    return absl::InvalidArgumentError(absl::StrCat("digest(): unknown algorithm '", algorithm,
                                                   "' (MD5, SHA-1, SHA-256, SHA-384, SHA-512)"));
  }
  const std::string enc = absl::AsciiStrToLower(encoding);
  if (enc != "base64" && enc != "hex") {
    return absl::InvalidArgumentError(
        absl::StrCat("digest(): unknown encoding '", encoding, "' (base64 or hex)"));
  }
  unsigned char bytes[EVP_MAX_MD_SIZE];
  unsigned int len = 0;
  if (EVP_Digest(text.data(), text.size(), bytes, &len, md, nullptr) != 1) {
    return absl::InternalError("digest(): OpenSSL failed");
  }
  const absl::string_view raw(reinterpret_cast<const char*>(bytes), len);
  return enc == "hex" ? absl::BytesToHexString(raw) : absl::Base64Escape(raw);
}

std::vector<absl::string_view> Chars(absl::string_view s) {
  std::vector<absl::string_view> out;
  for (size_t i = 0; i < s.size();) {
    const size_t len = CharLen(s, i);
    out.push_back(s.substr(i, len));
    i += len;
  }
  return out;
}

std::vector<absl::string_view> SelectedItems(absl::string_view list) {
  return absl::StrSplit(list, ' ', absl::SkipEmpty());
}

absl::Status ArgValue(Evaluator& ev, const Node& call, int i, XValue* out) {
  return ev.EvalValue(ev.program().child_index(call, i), out);
}

absl::Status ArgString(Evaluator& ev, const Node& call, int i, std::string* out) {
  XValue v;
  absl::Status s = ArgValue(ev, call, i, &v);
  if (!s.ok()) return s;
  *out = v.is_string() ? std::move(v.string) : ToString(v);
  return absl::OkStatus();
}

absl::Status ArgNumber(Evaluator& ev, const Node& call, int i, double* out) {
  XValue v;
  absl::Status s = ArgValue(ev, call, i, &v);
  if (s.ok()) *out = ev.Number(v);
  return s;
}

absl::Status ForEachValue(Evaluator& ev, const Node& call, int first,
                          const std::function<absl::Status(const XValue&)>& fn) {
  const Program& p = ev.program();
  for (int i = first; i < call.num_children; ++i) {
    const int32_t index = p.child_index(call, i);
    XValue v;
    if (p.nodes[index].op == NodeOp::kRef) {
      absl::Status s = ev.EvalNodeSet(index, &v);
      if (!s.ok()) return s;
      for (const Value* node : v.nodes) {
        s = fn(Unpack(node));
        if (!s.ok()) return s;
      }
      continue;
    }
    absl::Status s = ev.EvalValue(index, &v);
    if (s.ok()) s = fn(v);
    if (!s.ok()) return s;
  }
  return absl::OkStatus();
}

absl::Status CallFunction(Evaluator& ev, const Node& call, XValue* out) {
  XValue v;
  absl::Status s;
  switch (call.fn) {
    case Fn::kString:
      s = SelfOrArg(ev, call, &v);
      if (s.ok()) *out = XValue::String(ToString(v));
      return s;
    case Fn::kConcat:
      return Concat(ev, call, 0, "", out);
    case Fn::kJoin: {
      std::string separator;
      s = ArgString(ev, call, 0, &separator);
      return s.ok() ? Concat(ev, call, 1, separator, out) : s;
    }
    case Fn::kStringLength:
      s = SelfOrArg(ev, call, &v);
      if (s.ok()) *out = XValue::Number(static_cast<double>(Chars(ToString(v)).size()));
      return s;
    case Fn::kNormalizeSpace:
      s = SelfOrArg(ev, call, &v);
      if (s.ok()) *out = XValue::String(NormalizeSpace(ToString(v)));
      return s;
    case Fn::kNumber:
      s = SelfOrArg(ev, call, &v);
      if (s.ok()) *out = XValue::Number(ev.Number(v));
      return s;
    case Fn::kUuid: {
      if (call.num_children == 0) {
        *out = XValue::String(Uuid(ev.ctx()));
        return absl::OkStatus();
      }
      double n = 0;
      s = ArgNumber(ev, call, 0, &n);
      return s.ok() ? RandomString(ev, n, out) : s;
    }
    case Fn::kSubstr:
    case Fn::kSubstring:
    case Fn::kSubstringBefore:
    case Fn::kSubstringAfter:
    case Fn::kTranslate:
    case Fn::kContains:
    case Fn::kStartsWith:
    case Fn::kEndsWith:
    case Fn::kBase64Decode:
    case Fn::kBooleanFromString:
      return StringFunction(ev, call, out);
    case Fn::kDigest:
      return DigestFunction(ev, call, out);
    case Fn::kIf:
      s = ArgValue(ev, call, 0, &v);
      return s.ok() ? ArgValue(ev, call, ToBoolean(v) ? 1 : 2, out) : s;
    case Fn::kCoalesce:
      // The first argument unless it is "" or NaN (javarosa's "null"), then the second.
      s = ArgValue(ev, call, 0, out);
      if (!s.ok()) return s;
      if ((out->is_string() && out->string.empty()) ||
          (out->is_number() && std::isnan(out->number))) {
        return ArgValue(ev, call, 1, out);
      }
      return s;
    case Fn::kOnce:
      // The current value if there is one, else the argument (evaluated only then).
      s = ev.EvalSelf(out);
      if (!s.ok() || !ToString(*out).empty()) return s;
      return ArgValue(ev, call, 0, out);
    case Fn::kTrue:
      *out = XValue::Boolean(true);
      return absl::OkStatus();
    case Fn::kFalse:
      *out = XValue::Boolean(false);
      return absl::OkStatus();
    case Fn::kBoolean:
    case Fn::kNot:
      s = ArgValue(ev, call, 0, &v);
      if (s.ok()) *out = XValue::Boolean(ToBoolean(v) == (call.fn == Fn::kBoolean));
      return s;
    case Fn::kRegex:
      return Regex(ev, call, out);
    case Fn::kChecklist:
      return Checklist(ev, call, out);
    case Fn::kWeightedChecklist:
      return WeightedChecklist(ev, call, out);
    case Fn::kRandom:
      *out = XValue::Number(static_cast<double>(ev.ctx().Random() >> 11) * 0x1.0p-53);
      return absl::OkStatus();
    case Fn::kMax:
      return Extreme(ev, call, true, out);
    case Fn::kMin:
      return Extreme(ev, call, false, out);
    case Fn::kInt:
    case Fn::kRound:
    case Fn::kPow:
    case Fn::kLog:
    case Fn::kLog10:
    case Fn::kAbs:
    case Fn::kSin:
    case Fn::kCos:
    case Fn::kTan:
    case Fn::kAsin:
    case Fn::kAcos:
    case Fn::kAtan:
    case Fn::kAtan2:
    case Fn::kSqrt:
    case Fn::kExp:
    case Fn::kExp10:
    case Fn::kPi:
    case Fn::kFloor:
    case Fn::kCeiling:
      return MathFunction(ev, call, out);
    case Fn::kSum:
    case Fn::kCount:
    case Fn::kCountNonEmpty:
    case Fn::kPosition:
      return NodeSetFunction(ev, call, out);
    case Fn::kIndexedRepeat:
      return IndexedRepeat(ev, call, out);
    default:
      return CallTimeSelectGeo(ev, call, out);
  }
}

}  // namespace fieldsync::expr
