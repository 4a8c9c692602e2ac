// Recursive descent over XPath 1.0's expression grammar (REC-xpath-19991116, section 3):
//   Or := And ('or' And)*            And := Equality ('and' Equality)*
//   Equality := Relational (('=' | '!=') Relational)*
//   Relational := Additive (('<' | '<=' | '>' | '>=') Additive)*
//   Additive := Multiplicative (('+' | '-') Multiplicative)*
//   Multiplicative := Unary (('*' | 'div' | 'mod') Unary)*
//   Unary := '-'* Path              Path := LocationPath | Primary
//   Primary := ${name} | '(' Or ')' | Literal | Number | FunctionCall
// Recursion happens only through '(' and function arguments, and is bounded by
// Limits::max_depth; every node's depth is checked as it is made, so the evaluator's
// recursion is bounded too.
#include "server/expr/parser.h"

#include <algorithm>
#include <deque>
#include <utility>

#include "absl/strings/str_cat.h"
#include "server/expr/datetime.h"
#include "server/expr/functions.h"
#include "server/expr/lexer.h"

namespace fieldsync::expr {
namespace {

bool IsRefNode(const Node& n) { return n.op == NodeOp::kRef; }

std::string ArityText(const FunctionSpec& f) {
  auto plural = [](int n) { return n == 1 ? " argument" : " arguments"; };
  if (f.max_args < 0) return absl::StrCat("at least ", f.min_args, plural(f.min_args));
  if (f.min_args == f.max_args) return absl::StrCat(f.min_args, plural(f.min_args));
  return absl::StrCat(f.min_args, " to ", f.max_args, plural(f.max_args));
}

class Parser {
 public:
  Parser(absl::string_view text, const Resolver& resolver, const Limits& limits, Program* program)
      : text_(text), lexer_(text), resolver_(resolver), limits_(limits), program_(program) {}

  absl::Status Run() {
    if (Cur().kind == Tok::kEnd) return ErrorAt(text_, 0, "empty expression");
    absl::StatusOr<int32_t> root = ParseExpr();
    if (!root.ok()) return root.status();
    if (Cur().kind != Tok::kEnd) {
      return Error(Cur(),
                   absl::StrCat("unexpected ", Describe(Cur()), " after a complete expression"));
    }
    absl::Status s = CheckValueUse(*root);
    if (!s.ok()) return s;
    program_->root = *root;
    CollectReferences();
    return absl::OkStatus();
  }

 private:
  // Token `i` of the text, read on demand; after kEnd (or a token the lexer refused, kError)
  // that last token again. A deque, so references to tokens stay valid as more are read.
  const Token& At(size_t i) {
    while (tokens_.size() <= i) {
      if (!tokens_.empty() &&
          (tokens_.back().kind == Tok::kEnd || tokens_.back().kind == Tok::kError)) {
        return tokens_.back();
      }
      absl::StatusOr<Token> t = lexer_.Next();
      if (t.ok()) {
        tokens_.push_back(*std::move(t));
      } else {
        lex_error_ = t.status();
        Token error;
        error.kind = Tok::kError;
        error.offset = tokens_.empty() ? 0 : tokens_.back().offset + tokens_.back().length;
        tokens_.push_back(std::move(error));
      }
    }
    return tokens_[i];
  }
  const Token& Cur() { return At(pos_); }
  const Token& Ahead(size_t k) { return At(pos_ + k); }
  bool Accept(Tok kind) {
    if (Cur().kind != kind) return false;
    ++pos_;
    return true;
  }

  // The lexer's own error when the parser stops at the token it refused.
  absl::Status Error(const Token& t, absl::string_view message) const {
    if (t.kind == Tok::kError) return lex_error_;
    return ErrorAt(text_, t.offset, message);
  }
  std::string Describe(const Token& t) const {
    if (t.kind == Tok::kEnd) return "end of expression";
    return absl::StrCat("'", text_.substr(t.offset, t.length), "'");
  }

  // Appends a node with `children`; enforces max_nodes and max_depth.
  absl::StatusOr<int32_t> Add(Node node, const std::vector<int32_t>& children) {
    if (program_->nodes.size() >= limits_.max_nodes) {
      return ErrorAt(text_, node.offset,
                     absl::StrCat("expression too large (more than ", limits_.max_nodes,
                                  " operators, values and references)"));
    }
    int depth = 0;
    for (int32_t c : children) depth = std::max<int>(depth, program_->nodes[c].depth);
    if (depth + 1 > limits_.max_depth) {
      return ErrorAt(
          text_, node.offset,
          absl::StrCat("expression nested too deeply (more than ", limits_.max_depth, " levels)"));
    }
    node.depth = static_cast<uint16_t>(depth + 1);
    node.first_child = static_cast<int32_t>(program_->children.size());
    node.num_children = static_cast<int32_t>(children.size());
    program_->children.insert(program_->children.end(), children.begin(), children.end());
    program_->nodes.push_back(std::move(node));
    return static_cast<int32_t>(program_->nodes.size() - 1);
  }

  // A group node (`..`, ${group}) has no value: only position() and count() take it.
  absl::Status CheckValueUse(int32_t index) const {
    const Node& n = program_->nodes[index];
    if (IsRefNode(n) && n.ref.kind == RefKind::kNode) {
      return ErrorAt(text_, n.offset,
                     absl::StrCat("'", n.str, "' is a group or repeat, which has no value; ",
                                  "use count() or position() with it, or name a field"));
    }
    return absl::OkStatus();
  }

  absl::StatusOr<int32_t> ParseExpr() {
    if (++nesting_ > limits_.max_depth) {
      return Error(Cur(), absl::StrCat("expression nested too deeply (more than ",
                                       limits_.max_depth, " levels)"));
    }
    absl::StatusOr<int32_t> r = ParseChain(NodeOp::kOr);
    --nesting_;
    return r;
  }

  // n-ary `or` / `and` chains.
  absl::StatusOr<int32_t> ParseChain(NodeOp op) {
    const Tok tok = op == NodeOp::kOr ? Tok::kOr : Tok::kAnd;
    const size_t offset = Cur().offset;
    std::vector<int32_t> operands;
    do {
      absl::StatusOr<int32_t> operand =
          op == NodeOp::kOr ? ParseChain(NodeOp::kAnd) : ParseBinary(0);
      if (!operand.ok()) return operand;
      operands.push_back(*operand);
    } while (Accept(tok));
    if (operands.size() == 1) return operands[0];
    for (int32_t o : operands) {
      absl::Status s = CheckValueUse(o);
      if (!s.ok()) return s;
    }
    Node n;
    n.op = op;
    n.type = StaticType::kBoolean;
    n.offset = static_cast<int32_t>(offset);
    return Add(std::move(n), operands);
  }

  // Left-associative binary levels: 0 equality, 1 relational, 2 additive (n-ary),
  // 3 multiplicative.
  absl::StatusOr<int32_t> ParseBinary(int level) {
    if (level == 2) return ParseAdditive();
    auto next = [&]() { return level == 3 ? ParseUnary() : ParseBinary(level + 1); };
    const size_t offset = Cur().offset;
    absl::StatusOr<int32_t> left = next();
    if (!left.ok()) return left;
    while (true) {
      const std::optional<NodeOp> op = BinaryOp(level, Cur().kind);
      if (!op) return left;
      ++pos_;
      absl::StatusOr<int32_t> right = next();
      if (!right.ok()) return right;
      absl::Status s = CheckValueUse(*left);
      if (s.ok()) s = CheckValueUse(*right);
      if (!s.ok()) return s;
      Node n;
      n.op = *op;
      n.type = level == 3 ? StaticType::kNumber : StaticType::kBoolean;
      n.offset = static_cast<int32_t>(offset);
      left = Add(std::move(n), {*left, *right});
      if (!left.ok()) return left;
    }
  }

  static std::optional<NodeOp> BinaryOp(int level, Tok t) {
    switch (level) {
      case 0:
        if (t == Tok::kEq) return NodeOp::kEq;
        if (t == Tok::kNe) return NodeOp::kNe;
        break;
      case 1:
        if (t == Tok::kLt) return NodeOp::kLt;
        if (t == Tok::kLe) return NodeOp::kLe;
        if (t == Tok::kGt) return NodeOp::kGt;
        if (t == Tok::kGe) return NodeOp::kGe;
        break;
      case 3:
        if (t == Tok::kStar) return NodeOp::kMul;
        if (t == Tok::kDiv) return NodeOp::kDiv;
        if (t == Tok::kMod) return NodeOp::kMod;
        break;
    }
    return std::nullopt;
  }

  absl::StatusOr<int32_t> ParseAdditive() {
    const size_t offset = Cur().offset;
    std::vector<int32_t> operands;
    std::string ops;
    while (true) {
      absl::StatusOr<int32_t> operand = ParseBinary(3);
      if (!operand.ok()) return operand;
      operands.push_back(*operand);
      if (Cur().kind != Tok::kPlus && Cur().kind != Tok::kMinus) break;
      ops.push_back(Cur().kind == Tok::kPlus ? '+' : '-');
      ++pos_;
    }
    if (operands.size() == 1) return operands[0];
    for (int32_t o : operands) {
      absl::Status s = CheckValueUse(o);
      if (!s.ok()) return s;
    }
    Node n;
    n.op = NodeOp::kAdditive;
    n.type = StaticType::kNumber;
    n.offset = static_cast<int32_t>(offset);
    n.str = std::move(ops);
    return Add(std::move(n), operands);
  }

  absl::StatusOr<int32_t> ParseUnary() {
    const size_t offset = Cur().offset;
    int minuses = 0;
    while (Accept(Tok::kMinus)) ++minuses;
    absl::StatusOr<int32_t> operand = ParsePath();
    if (!operand.ok() || minuses % 2 == 0) return operand;
    Node& inner = program_->nodes[*operand];
    if (inner.op == NodeOp::kNumber) {
      inner.number = -inner.number;
      return operand;
    }
    absl::Status s = CheckValueUse(*operand);
    if (!s.ok()) return s;
    Node n;
    n.op = NodeOp::kNeg;
    n.type = StaticType::kNumber;
    n.offset = static_cast<int32_t>(offset);
    return Add(std::move(n), {*operand});
  }

  absl::StatusOr<int32_t> ParsePath() {
    const Token& t = Cur();
    switch (t.kind) {
      case Tok::kSlash:
      case Tok::kDoubleSlash:
      case Tok::kDot:
      case Tok::kDotDot:
      case Tok::kAt:
        return ParseLocationPath();
      case Tok::kName:
        if (Ahead(1).kind != Tok::kLParen) return ParseLocationPath();
        break;
      default:
        break;
    }
    absl::StatusOr<int32_t> primary = ParsePrimary();
    if (!primary.ok()) return primary;
    if (Cur().kind == Tok::kLBracket) {
      return Error(Cur(), "predicates ('[...]') are not supported");
    }
    if (Cur().kind == Tok::kSlash || Cur().kind == Tok::kDoubleSlash) {
      return Error(Cur(), "a path after a reference or an expression is not supported");
    }
    if (Cur().kind == Tok::kPipe) return Error(Cur(), "node-set union ('|') is not supported");
    return primary;
  }

  absl::StatusOr<int32_t> ParseLocationPath() {
    const Token& first = Cur();
    Reference ref;
    ref.kind = Reference::Kind::kPath;
    ref.absolute = first.kind == Tok::kSlash || first.kind == Tok::kDoubleSlash;
    if (first.kind == Tok::kDoubleSlash) return Error(first, "'//' is not supported");
    if (ref.absolute) ++pos_;
    bool need_step = !ref.absolute;
    while (true) {
      const Token& t = Cur();
      if (t.kind == Tok::kDot) {
        ++pos_;
      } else if (t.kind == Tok::kDotDot) {
        ref.steps.push_back("..");
        ++pos_;
      } else if (t.kind == Tok::kName) {
        if (t.text == "*") return Error(t, "wildcard steps ('*') are not supported");
        if (Ahead(1).kind == Tok::kColonColon) return Error(t, "axes ('::') are not supported");
        if (Ahead(1).kind == Tok::kLParen) {
          return Error(t, absl::StrCat("node tests (", t.text, "()) are not supported"));
        }
        ref.steps.push_back(t.text);
        ++pos_;
      } else if (t.kind == Tok::kAt) {
        return Error(t, "attributes ('@') are not supported");
      } else if (need_step) {
        return Error(t, absl::StrCat("expected a path step, found ", Describe(t)));
      } else {
        break;  // "/" alone
      }
      need_step = false;
      if (Cur().kind == Tok::kLBracket) {
        return Error(Cur(), "predicates ('[...]') are not supported");
      }
      if (Cur().kind == Tok::kDoubleSlash) return Error(Cur(), "'//' is not supported");
      if (!Accept(Tok::kSlash)) break;
      need_step = true;
    }
    const size_t end = Cur().offset;
    ref.text = std::string(text_.substr(first.offset, end - first.offset));
    while (!ref.text.empty() && (ref.text.back() == ' ' || ref.text.back() == '\t')) {
      ref.text.pop_back();
    }
    return AddRef(std::move(ref), first.offset);
  }

  absl::StatusOr<int32_t> AddRef(Reference ref, size_t offset) {
    absl::StatusOr<ResolvedRef> resolved = Resolve(ref, offset);
    if (!resolved.ok()) return resolved.status();
    Node n;
    n.op = NodeOp::kRef;
    n.type = resolved->kind == RefKind::kValue ? StaticType::kAny : StaticType::kNodeSet;
    n.offset = static_cast<int32_t>(offset);
    n.ref = *resolved;
    n.str = ref.text;
    absl::StatusOr<int32_t> index = Add(std::move(n), {});
    if (index.ok()) written_refs_.emplace_back(*index, std::move(ref));
    return index;
  }

  absl::StatusOr<ResolvedRef> Resolve(const Reference& ref, size_t offset) {
    absl::StatusOr<ResolvedRef> r = resolver_.Resolve(ref);
    if (r.ok()) return r;
    if (r.status().code() == absl::StatusCode::kNotFound) {
      const std::string what = ref.kind == Reference::Kind::kName
                                   ? absl::StrCat("unknown field ${", ref.name, "}")
                                   : absl::StrCat("path '", ref.text, "' names no field");
      return ErrorAt(text_, offset, what);
    }
    if (r.status().code() == absl::StatusCode::kInvalidArgument) {
      return ErrorAt(text_, offset, absl::StrCat("'", ref.text, "': ", r.status().message()));
    }
    return r.status();
  }

  absl::StatusOr<int32_t> ParsePrimary() {
    const Token& t = Cur();
    Node n;
    n.offset = static_cast<int32_t>(t.offset);
    switch (t.kind) {
      case Tok::kNumber:
        ++pos_;
        n.op = NodeOp::kNumber;
        n.type = StaticType::kNumber;
        n.number = t.number;
        return Add(std::move(n), {});
      case Tok::kString:
        ++pos_;
        n.op = NodeOp::kString;
        n.type = StaticType::kString;
        n.str = t.text;
        return Add(std::move(n), {});
      case Tok::kRef: {
        ++pos_;
        Reference ref;
        ref.kind = Reference::Kind::kName;
        ref.name = t.text;
        ref.text = absl::StrCat("${", t.text, "}");
        return AddRef(std::move(ref), t.offset);
      }
      case Tok::kLParen: {
        ++pos_;
        absl::StatusOr<int32_t> inner = ParseExpr();
        if (!inner.ok()) return inner;
        if (!Accept(Tok::kRParen)) {
          return Error(Cur(), absl::StrCat("expected ')', found ", Describe(Cur())));
        }
        return inner;
      }
      case Tok::kName:
        return ParseCall();
      case Tok::kVariable:
        return Error(t, absl::StrCat("XPath variables are not supported; a field is written ${",
                                     t.text, "}"));
      default:
        return Error(t, absl::StrCat("expected a value, a reference or a function call, found ",
                                     Describe(t)));
    }
  }

  absl::StatusOr<int32_t> ParseCall() {
    const Token& name = Cur();
    const FunctionSpec* spec = FindFunction(name.text);
    if (spec == nullptr) {
      const absl::string_view reason = UnsupportedFunctionReason(name.text);
      if (!reason.empty()) return Error(name, reason);
      if (name.text == "node" || name.text == "text" || name.text == "comment" ||
          name.text == "processing-instruction") {
        return Error(name, absl::StrCat("node tests (", name.text, "()) are not supported"));
      }
      return Error(name, absl::StrCat("unknown function '", name.text, "()'"));
    }
    pos_ += 2;  // name and '('
    std::vector<int32_t> args;
    if (!Accept(Tok::kRParen)) {
      do {
        absl::StatusOr<int32_t> arg = ParseExpr();
        if (!arg.ok()) return arg;
        args.push_back(*arg);
      } while (Accept(Tok::kComma));
      if (!Accept(Tok::kRParen)) {
        return Error(Cur(), absl::StrCat("expected ',' or ')' in the arguments of ", name.text,
                                         "(), found ", Describe(Cur())));
      }
    }
    const int n = static_cast<int>(args.size());
    if (n < spec->min_args || (spec->max_args >= 0 && n > spec->max_args)) {
      return Error(name, absl::StrCat(name.text, "() takes ", ArityText(*spec), ", not ", n));
    }
    Node call;
    call.op = NodeOp::kCall;
    call.fn = spec->fn;
    call.type = spec->result;
    call.offset = static_cast<int32_t>(name.offset);
    absl::Status s = CheckArguments(*spec, name, args, &call);
    if (!s.ok()) return s;
    if (spec->volatile_result) program_->volatile_result = true;
    if (spec->needs_self && (spec->fn == Fn::kOnce || n == 0)) {
      s = ResolveSelf(name.offset);
      if (!s.ok()) return s;
    }
    return Add(std::move(call), args);
  }

  absl::Status ResolveSelf(size_t offset) {
    if (program_->has_self) return absl::OkStatus();
    Reference self;
    self.kind = Reference::Kind::kPath;
    self.text = ".";
    absl::StatusOr<ResolvedRef> r = Resolve(self, offset);
    if (!r.ok()) return r.status();
    program_->has_self = true;
    program_->self = *r;
    return absl::OkStatus();
  }

  absl::Status CheckArguments(const FunctionSpec& spec, const Token& name,
                              std::vector<int32_t>& args, Node* call) {
    for (size_t i = 0; i < args.size(); ++i) {
      const ArgMode mode = i == 0 ? spec.first_arg : spec.args;
      const Node& arg = program_->nodes[args[i]];
      if ((mode == kArgNodeSet || mode == kArgNode) && !IsRefNode(arg)) {
        return ErrorAt(text_, arg.offset,
                       absl::StrCat(name.text, "() takes a reference to a field or repeat ",
                                    "(such as ${name} or ..), not an expression"));
      }
      if (mode == kArgValue || (mode == kArgLazy && spec.fn != Fn::kIndexedRepeat)) {
        absl::Status s = CheckValueUse(args[i]);
        if (!s.ok()) return s;
      }
    }
    switch (spec.fn) {
      case Fn::kWeightedChecklist:
        if (args.size() % 2 != 0) {
          return Error(name, "weighted-checklist() takes min, max and pairs of value and weight");
        }
        break;
      case Fn::kSelected:
        if (program_->nodes[args[1]].type == StaticType::kNumber) {
          return ErrorAt(text_, program_->nodes[args[1]].offset,
                         absl::StrCat("the second argument of ", name.text,
                                      "() is a choice name and must be in quotes (like '1')"));
        }
        break;
      case Fn::kRegex:
        return CompileLiteralRegex(program_->nodes[args[1]], call);
      case Fn::kFormatDate:
      case Fn::kFormatDateTime: {
        const Node& pattern = program_->nodes[args[1]];
        if (pattern.op != NodeOp::kString) break;
        absl::Status s = CheckPattern(pattern.str);
        if (!s.ok()) return ErrorAt(text_, pattern.offset, s.message());
        break;
      }
      case Fn::kDigest: {
        const Node& algorithm = program_->nodes[args[1]];
        const Node* encoding = args.size() > 2 ? &program_->nodes[args[2]] : nullptr;
        if (algorithm.op != NodeOp::kString ||
            (encoding != nullptr && encoding->op != NodeOp::kString)) {
          break;
        }
        absl::StatusOr<std::string> d =
            Digest("", algorithm.str, encoding != nullptr ? encoding->str : "base64");
        if (!d.ok()) return ErrorAt(text_, algorithm.offset, d.status().message());
        break;
      }
      case Fn::kChoiceName:
        return ResolveChoiceField(program_->nodes[args[1]], call);
      case Fn::kIndexedRepeat:
        return ResolveIndexedRepeat(name, args);
      default:
        break;
    }
    return absl::OkStatus();
  }

  absl::Status CompileLiteralRegex(const Node& pattern, Node* call) {
    if (pattern.op != NodeOp::kString) return absl::OkStatus();
    RE2::Options options;
    options.set_log_errors(false);
    options.set_max_mem(limits_.max_regex_program_bytes);
    auto re = std::make_shared<RE2>(pattern.str, options);
    if (!re->ok()) {
      return ErrorAt(text_, pattern.offset,
                     absl::StrCat("regular expression not supported (RE2 syntax: no ",
                                  "backreferences or lookaround): ", re->error()));
    }
    call->regex = std::move(re);
    return absl::OkStatus();
  }

  // jr:choice-name(value, '${field}'): pyxform writes the field's path into the string.
  absl::Status ResolveChoiceField(const Node& field, Node* call) {
    constexpr absl::string_view kHint =
        "the second argument of jr:choice-name() must name the select field in quotes, "
        "like jr:choice-name(${fruit}, '${fruit}')";
    if (field.op != NodeOp::kString) return ErrorAt(text_, field.offset, kHint);
    absl::StatusOr<std::vector<Token>> tokens = Tokenize(field.str);
    if (!tokens.ok()) return ErrorAt(text_, field.offset, kHint);
    Reference ref;
    if (tokens->size() == 2 && (*tokens)[0].kind == Tok::kRef) {
      ref.kind = Reference::Kind::kName;
      ref.name = (*tokens)[0].text;
    } else {
      ref.kind = Reference::Kind::kPath;
      size_t i = 0;
      ref.absolute = (*tokens)[0].kind == Tok::kSlash;
      if (ref.absolute) ++i;
      for (; i < tokens->size() && (*tokens)[i].kind != Tok::kEnd; ++i) {
        const Token& t = (*tokens)[i];
        const bool step = t.kind == Tok::kName || t.kind == Tok::kDotDot || t.kind == Tok::kDot;
        const bool expect_step = (i - (ref.absolute ? 1 : 0)) % 2 == 0;
        if (step != expect_step && !(t.kind == Tok::kSlash && !expect_step)) {
          return ErrorAt(text_, field.offset, kHint);
        }
        if (t.kind == Tok::kName) ref.steps.push_back(t.text);
        if (t.kind == Tok::kDotDot) ref.steps.push_back("..");
      }
      if (ref.steps.empty()) return ErrorAt(text_, field.offset, kHint);
    }
    ref.text = std::string(field.str);
    absl::StatusOr<ResolvedRef> r = Resolve(ref, field.offset);
    if (!r.ok()) return r.status();
    call->ref = *r;
    return absl::OkStatus();
  }

  // indexed-repeat(field, repeat1, index1[, repeat2, index2[, repeat3, index3]]): the field
  // and repeats are taken from the whole form, as pyxform writes absolute paths for them.
  absl::Status ResolveIndexedRepeat(const Token& name, const std::vector<int32_t>& args) {
    if (args.size() % 2 == 0) {
      return Error(name, "indexed-repeat() takes a field, then pairs of repeat and index");
    }
    for (size_t i = 0; i < args.size(); i += (i == 0 ? 1 : 2)) {
      Node& arg = program_->nodes[args[i]];
      if (!IsRefNode(arg)) {
        return ErrorAt(text_, arg.offset,
                       "indexed-repeat() takes references (such as ${name}) for its field "
                       "and repeats");
      }
      auto written = std::find_if(written_refs_.begin(), written_refs_.end(),
                                  [&](const auto& w) { return w.first == args[i]; });
      Reference whole = written->second;
      whole.whole_form = true;
      absl::StatusOr<ResolvedRef> r = Resolve(whole, arg.offset);
      if (!r.ok()) return r.status();
      arg.ref = *r;
    }
    for (size_t i = 2; i < args.size(); i += 2) {
      absl::Status s = CheckValueUse(args[i]);
      if (!s.ok()) return s;
    }
    return absl::OkStatus();
  }

  // Every reference read, first appearance first (node order is creation order, which is
  // text order for references), without repeats.
  void CollectReferences() {
    auto add = [&](const ResolvedRef& r) {
      for (const ResolvedRef& seen : program_->refs) {
        if (seen.id == r.id && seen.kind == r.kind) return;
      }
      program_->refs.push_back(r);
    };
    if (program_->has_self) add(program_->self);
    for (const Node& n : program_->nodes) {
      if (n.op == NodeOp::kRef) add(n.ref);
      if (n.op == NodeOp::kCall && n.fn == Fn::kChoiceName) add(n.ref);
    }
  }

  absl::string_view text_;
  Lexer lexer_;
  std::deque<Token> tokens_;
  absl::Status lex_error_;
  const Resolver& resolver_;
  const Limits& limits_;
  Program* program_;
  size_t pos_ = 0;
  int nesting_ = 0;
  // Reference nodes with the reference as written (indexed-repeat resolves some again).
  std::vector<std::pair<int32_t, Reference>> written_refs_;
};

}  // namespace

absl::StatusOr<std::shared_ptr<const Program>> ParseProgram(absl::string_view text,
                                                            const Resolver& resolver,
                                                            const Limits& limits) {
  if (text.size() > limits.max_text_bytes) {
    return absl::InvalidArgumentError(absl::StrCat("expression too long (", text.size(),
                                                   " bytes; at most ", limits.max_text_bytes, ")"));
  }
  auto program = std::make_shared<Program>();
  program->text = std::string(text);
  program->limits = limits;
  program->limits.max_depth = std::min(limits.max_depth, Limits::kMaxDepthCap);
  Parser parser(program->text, resolver, program->limits, program.get());
  absl::Status s = parser.Run();
  if (!s.ok()) return s;
  return std::shared_ptr<const Program>(std::move(program));
}

}  // namespace fieldsync::expr
