// Splits an XLSForm expression into XPath tokens, taking spreadsheet quirks as pyxform does
// (expr.h, Compile). Internal to server/expr.
#ifndef FIELDSYNC_SERVER_EXPR_LEXER_H_
#define FIELDSYNC_SERVER_EXPR_LEXER_H_

#include <memory>
#include <string>
#include <vector>

#include "absl/status/statusor.h"
#include "absl/strings/string_view.h"

namespace fieldsync::expr {

enum class Tok : uint8_t {
  kStart,  // before the first token (never returned)
  kEnd,
  kError,   // the parser's stand-in for a token the lexer refused
  kNumber,  // number
  kString,  // text: the literal's content, normalised
  kName,    // text: an NCName or prefix:name
  kRef,     // text: the name inside ${...}
  kLParen,
  kRParen,
  kLBracket,
  kRBracket,
  kComma,
  kSlash,
  kDoubleSlash,
  kDot,
  kDotDot,
  kAt,
  kColonColon,
  kVariable,
  // operators
  kPipe,
  kPlus,
  kMinus,
  kStar,
  kEq,
  kNe,
  kLt,
  kLe,
  kGt,
  kGe,
  kAnd,
  kOr,
  kDiv,
  kMod,
};

struct Token {
  Tok kind = Tok::kEnd;
  size_t offset = 0;  // bytes into the text
  size_t length = 0;  // bytes of the token in the text
  std::string text;
  double number = 0;
};

// Reads tokens one at a time, so that a parse error stops the reading (a hostile text is
// never tokenized beyond its first error). `text` must outlive the Lexer.
class Lexer {
 public:
  explicit Lexer(absl::string_view text);
  ~Lexer();
  // The next token; kEnd at the end (and after it). INVALID_ARGUMENT ("column N: ...") for
  // a character that starts no token, an unclosed string or ${...}, a malformed reference
  // and invalid UTF-8.
  absl::StatusOr<Token> Next();

 private:
  class Impl;
  std::unique_ptr<Impl> impl_;
};

// All tokens of `text`, ending with kEnd; errors as Lexer::Next.
absl::StatusOr<std::vector<Token>> Tokenize(absl::string_view text);

// An error at byte `offset` of `text`: INVALID_ARGUMENT "column N: message".
absl::Status ErrorAt(absl::string_view text, size_t offset, absl::string_view message);

}  // namespace fieldsync::expr

#endif  // FIELDSYNC_SERVER_EXPR_LEXER_H_
