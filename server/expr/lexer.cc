#include "server/expr/lexer.h"

#include <charconv>
#include <limits>

#include "absl/strings/str_cat.h"
#include "server/expr/program.h"
#include "server/expr/utf8.h"

namespace fieldsync::expr {
namespace {

constexpr char32_t kNoBreakSpace = 0xA0;
constexpr char32_t kLeftSingleQuote = 0x2018;
constexpr char32_t kRightSingleQuote = 0x2019;
constexpr char32_t kLeftDoubleQuote = 0x201C;
constexpr char32_t kRightDoubleQuote = 0x201D;
bool IsSpace(char32_t c) {
  return c == ' ' || c == '\t' || c == '\r' || c == '\n' || c == kNoBreakSpace;
}
bool IsSingleQuote(char32_t c) {
  return c == '\'' || c == kLeftSingleQuote || c == kRightSingleQuote;
}
bool IsDoubleQuote(char32_t c) {
  return c == '"' || c == kLeftDoubleQuote || c == kRightDoubleQuote;
}
bool IsDigit(char32_t c) { return c >= '0' && c <= '9'; }

// XML NameStartChar (without ':'), close enough: ASCII letters, '_', and non-ASCII letters
// outside the Latin-1 symbols and the general punctuation block.
bool IsNameStart(char32_t c) {
  if ((c >= 'A' && c <= 'Z') || (c >= 'a' && c <= 'z') || c == '_') return true;
  if (c < 0xC0 || c == 0xD7 || c == 0xF7) return false;
  if (c >= 0x2000 && c <= 0x206F) return c == 0x200C || c == 0x200D || c == 0x203F || c == 0x2040;
  return c != kInvalidChar;
}
bool IsNameChar(char32_t c) {
  return IsNameStart(c) || IsDigit(c) || c == '-' || c == '.' || c == 0xB7 ||
         (c >= 0x300 && c <= 0x36F);
}

// An operator, or a token after which `*` and and/or/div/mod are names (XPath 1.0, 3.7).
bool MakesNextAnOperand(Tok previous) {
  switch (previous) {
    case Tok::kStart:
    case Tok::kAt:
    case Tok::kColonColon:
    case Tok::kLParen:
    case Tok::kLBracket:
    case Tok::kComma:
    case Tok::kPipe:
    case Tok::kPlus:
    case Tok::kMinus:
    case Tok::kStar:
    case Tok::kEq:
    case Tok::kNe:
    case Tok::kLt:
    case Tok::kLe:
    case Tok::kGt:
    case Tok::kGe:
    case Tok::kAnd:
    case Tok::kOr:
    case Tok::kDiv:
    case Tok::kMod:
    case Tok::kSlash:
    case Tok::kDoubleSlash:
      return true;
    default:
      return false;
  }
}

}  // namespace

class Lexer::Impl {
 public:
  explicit Impl(absl::string_view text) : text_(text) {}

  absl::Status Next(Token* out) {
    out_ = out;
    size_t len = 0;
    while (pos_ < text_.size() && IsSpace(Peek(pos_, &len))) pos_ += len;
    if (pos_ >= text_.size()) {
      *out = Token();
      out->kind = Tok::kEnd;
      out->offset = text_.size();
      return absl::OkStatus();
    }
    absl::Status s = Scan();
    if (s.ok()) previous_ = out->kind;
    return s;
  }

 private:
  char32_t Peek(size_t pos, size_t* len) const {
    if (pos >= text_.size()) {
      *len = 0;
      return 0;
    }
    return DecodeUtf8(text_, pos, len);
  }
  char Byte(size_t pos) const { return pos < text_.size() ? text_[pos] : '\0'; }

  void Emit(Tok kind, size_t length, std::string text = "", double number = 0) {
    out_->kind = kind;
    out_->offset = pos_;
    out_->length = length;
    out_->text = std::move(text);
    out_->number = number;
    pos_ += length;
  }

  absl::Status Scan() {
    size_t len = 0;
    const char32_t c = Peek(pos_, &len);
    if (c == kInvalidChar) return ErrorAt(text_, pos_, "invalid UTF-8");
    if (IsSingleQuote(c) || IsDoubleQuote(c)) return StringLiteral(IsSingleQuote(c), len);
    if (IsDigit(c) || (c == '.' && IsDigit(static_cast<unsigned char>(Byte(pos_ + 1))))) {
      return NumberLiteral();
    }
    if (IsNameStart(c)) return Name();
    switch (c) {
      case '$':
        return Dollar();
      case '(':
        Emit(Tok::kLParen, 1);
        return absl::OkStatus();
      case ')':
        Emit(Tok::kRParen, 1);
        return absl::OkStatus();
      case '[':
        Emit(Tok::kLBracket, 1);
        return absl::OkStatus();
      case ']':
        Emit(Tok::kRBracket, 1);
        return absl::OkStatus();
      case ',':
        Emit(Tok::kComma, 1);
        return absl::OkStatus();
      case '@':
        Emit(Tok::kAt, 1);
        return absl::OkStatus();
      case '|':
        Emit(Tok::kPipe, 1);
        return absl::OkStatus();
      case '+':
        Emit(Tok::kPlus, 1);
        return absl::OkStatus();
      case '-':
        Emit(Tok::kMinus, 1);
        return absl::OkStatus();
      case '=':
        Emit(Tok::kEq, 1);
        return absl::OkStatus();
      case '*':
        Emit(MakesNextAnOperand(previous_) ? Tok::kName : Tok::kStar, 1, "*");
        return absl::OkStatus();
      case '/':
        Byte(pos_ + 1) == '/' ? Emit(Tok::kDoubleSlash, 2) : Emit(Tok::kSlash, 1);
        return absl::OkStatus();
      case '.':
        Byte(pos_ + 1) == '.' ? Emit(Tok::kDotDot, 2) : Emit(Tok::kDot, 1);
        return absl::OkStatus();
      case '<':
        Byte(pos_ + 1) == '=' ? Emit(Tok::kLe, 2) : Emit(Tok::kLt, 1);
        return absl::OkStatus();
      case '>':
        Byte(pos_ + 1) == '=' ? Emit(Tok::kGe, 2) : Emit(Tok::kGt, 1);
        return absl::OkStatus();
      case '!':
        if (Byte(pos_ + 1) != '=') return ErrorAt(text_, pos_, "'!' must be followed by '='");
        Emit(Tok::kNe, 2);
        return absl::OkStatus();
      case ':':
        if (Byte(pos_ + 1) != ':') return ErrorAt(text_, pos_, "unexpected ':'");
        Emit(Tok::kColonColon, 2);
        return absl::OkStatus();
      default:
        break;
    }
    return ErrorAt(text_, pos_,
                   absl::StrCat("unexpected character '", text_.substr(pos_, len), "'"));
  }

  // A literal ends at the first quote of its kind, straight or curly (as after pyxform's
  // replacement of curly quotes). Its content is normalised as pyxform normalises cells:
  // curly quotes straight, no-break spaces plain, runs of spaces one space.
  absl::Status StringLiteral(bool single, size_t open_len) {
    const size_t start = pos_;
    size_t p = pos_ + open_len;
    std::string content;
    while (true) {
      size_t len = 0;
      const char32_t c = Peek(p, &len);
      if (p >= text_.size()) return ErrorAt(text_, start, "string literal is not closed");
      if (c == kInvalidChar) return ErrorAt(text_, p, "invalid UTF-8");
      if (single ? IsSingleQuote(c) : IsDoubleQuote(c)) {
        p += len;
        break;
      }
      if (c == kLeftSingleQuote || c == kRightSingleQuote) {
        content.push_back('\'');
      } else if (c == kLeftDoubleQuote || c == kRightDoubleQuote) {
        content.push_back('"');
      } else if (c == ' ' || c == kNoBreakSpace) {
        if (content.empty() || content.back() != ' ') content.push_back(' ');
      } else {
        absl::StrAppend(&content, text_.substr(p, len));
      }
      p += len;
    }
    Emit(Tok::kString, p - start, std::move(content));
    return absl::OkStatus();
  }

  absl::Status NumberLiteral() {
    size_t p = pos_;
    while (p < text_.size() && IsDigit(static_cast<unsigned char>(text_[p]))) ++p;
    if (Byte(p) == '.' && Byte(p + 1) != '.') {
      ++p;
      while (p < text_.size() && IsDigit(static_cast<unsigned char>(text_[p]))) ++p;
    }
    std::string digits(text_.substr(pos_, p - pos_));
    if (digits.front() == '.') digits.insert(0, "0");
    if (digits.back() == '.') digits.pop_back();
    double d = 0;
    auto [end, ec] = std::from_chars(digits.data(), digits.data() + digits.size(), d);
    if (ec == std::errc::result_out_of_range) {
      d = std::numeric_limits<double>::infinity();
    } else if (ec != std::errc()) {
      return ErrorAt(text_, pos_, "malformed number");
    }
    Emit(Tok::kNumber, p - pos_, "", d);
    return absl::OkStatus();
  }

  // An NCName, or prefix:name (jr:choice-name). and/or/div/mod after an operand are
  // operators.
  absl::Status Name() {
    size_t p = NameEnd(pos_);
    if (Byte(p) == ':' && Byte(p + 1) != ':') {
      size_t len = 0;
      if (IsNameStart(Peek(p + 1, &len))) p = NameEnd(p + 1);
    }
    const absl::string_view name = text_.substr(pos_, p - pos_);
    if (!MakesNextAnOperand(previous_)) {
      const Tok op = name == "and"   ? Tok::kAnd
                     : name == "or"  ? Tok::kOr
                     : name == "div" ? Tok::kDiv
                     : name == "mod" ? Tok::kMod
                                     : Tok::kName;
      if (op != Tok::kName) {
        Emit(op, name.size());
        return absl::OkStatus();
      }
    }
    Emit(Tok::kName, p - pos_, std::string(name));
    return absl::OkStatus();
  }

  size_t NameEnd(size_t p) const {
    size_t len = 0;
    while (p < text_.size()) {
      const char32_t c = Peek(p, &len);
      if (!IsNameChar(c)) break;
      p += len;
    }
    return p;
  }

  // ${name} as pyxform reads it: a field name and nothing else between the braces.
  absl::Status Dollar() {
    if (Byte(pos_ + 1) != '{') {
      const size_t end = NameEnd(pos_ + 1);
      Emit(Tok::kVariable, end - pos_, std::string(text_.substr(pos_ + 1, end - pos_ - 1)));
      return absl::OkStatus();
    }
    const size_t close = text_.find('}', pos_ + 2);
    if (close == absl::string_view::npos) {
      return ErrorAt(text_, pos_, "'${' is not closed by '}'");
    }
    const absl::string_view inner = text_.substr(pos_ + 2, close - pos_ - 2);
    if (inner.substr(0, 11) == "last-saved#") {
      return ErrorAt(text_, pos_, "${last-saved#...} references are not supported");
    }
    size_t len = 0;
    const bool valid =
        !inner.empty() && IsNameStart(DecodeUtf8(inner, 0, &len)) && NameEnd(pos_ + 2) == close;
    if (!valid) {
      return ErrorAt(text_, pos_,
                     absl::StrCat("invalid reference '${", inner,
                                  "}': a reference is '${', a field name and '}', with no "
                                  "spaces or other characters inside"));
    }
    Emit(Tok::kRef, close + 1 - pos_, std::string(inner));
    return absl::OkStatus();
  }

  absl::string_view text_;
  size_t pos_ = 0;
  Tok previous_ = Tok::kStart;
  Token* out_ = nullptr;
};

Lexer::Lexer(absl::string_view text) : impl_(std::make_unique<Impl>(text)) {}
Lexer::~Lexer() = default;

absl::StatusOr<Token> Lexer::Next() {
  Token t;
  absl::Status s = impl_->Next(&t);
  if (!s.ok()) return s;
  return t;
}

int Column(absl::string_view text, size_t offset) {
  int column = 1;
  for (size_t i = 0; i < offset && i < text.size(); ++i) {
    if ((static_cast<unsigned char>(text[i]) & 0xC0) != 0x80) ++column;
  }
  return column;
}

absl::Status ErrorAt(absl::string_view text, size_t offset, absl::string_view message) {
  return absl::InvalidArgumentError(absl::StrCat("column ", Column(text, offset), ": ", message));
}

absl::StatusOr<std::vector<Token>> Tokenize(absl::string_view text) {
  Lexer lexer(text);
  std::vector<Token> out;
  do {
    absl::StatusOr<Token> t = lexer.Next();
    if (!t.ok()) return t.status();
    out.push_back(*std::move(t));
  } while (out.back().kind != Tok::kEnd);
  return out;
}

}  // namespace fieldsync::expr
