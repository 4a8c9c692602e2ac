// The compiled form of one expression: a syntax tree in one array, built by the parser and
// read (never changed) by the evaluator, so one Program serves any number of threads.
// Internal to server/expr.
#ifndef FIELDSYNC_SERVER_EXPR_PROGRAM_H_
#define FIELDSYNC_SERVER_EXPR_PROGRAM_H_

#include <cstdint>
#include <memory>
#include <string>
#include <vector>

#include "absl/strings/string_view.h"
#include "re2/re2.h"
#include "server/expr/expr.h"

namespace fieldsync::expr {

// What an expression yields, as far as the text tells.
enum class StaticType : uint8_t { kAny, kString, kNumber, kBoolean, kNodeSet };

// The functions we evaluate (functions.cc has their names, arities and behaviour).
enum class Fn : uint8_t {
  // strings
  kString,
  kConcat,
  kJoin,
  kSubstr,
  kSubstring,
  kSubstringBefore,
  kSubstringAfter,
  kTranslate,
  kStringLength,
  kNormalizeSpace,
  kContains,
  kStartsWith,
  kEndsWith,
  kUuid,
  kBase64Decode,
  kDigest,
  // booleans
  kIf,
  kCoalesce,
  kOnce,
  kTrue,
  kFalse,
  kBoolean,
  kBooleanFromString,
  kNot,
  kRegex,
  kChecklist,
  kWeightedChecklist,
  // numbers
  kNumber,
  kRandom,
  kInt,
  kSum,
  kMax,
  kMin,
  kRound,
  kPow,
  kLog,
  kLog10,
  kAbs,
  kSin,
  kCos,
  kTan,
  kAsin,
  kAcos,
  kAtan,
  kAtan2,
  kSqrt,
  kExp,
  kExp10,
  kPi,
  kFloor,
  kCeiling,
  // node-sets
  kCount,
  kCountNonEmpty,
  kPosition,
  kIndexedRepeat,
  // dates
  kToday,
  kNow,
  kFormatDate,
  kFormatDateTime,
  kDate,
  kDateTime,
  kDecimalDateTime,
  kDecimalTime,
  // selects
  kSelected,
  kSelectedAt,
  kCountSelected,
  kChoiceName,
  // geo
  kArea,
  kDistance,
};

// How a function takes its arguments.
enum ArgMode : uint8_t {
  kArgValue = 0,    // evaluated to one value (a node-set of one is unpacked)
  kArgNodeSet = 1,  // a reference, taken as a node-set (count, sum)
  kArgEither = 2,   // a reference is taken as a node-set, anything else as a value
  kArgLazy = 3,     // evaluated by the function itself, if at all (if, coalesce, once)
  kArgNode = 4,     // a reference whose node the function asks about (position)
};

struct FunctionSpec {
  absl::string_view name;
  Fn fn;
  int min_args;
  int max_args;  // -1: any number
  StaticType result;
  ArgMode args;          // how every argument is taken ...
  ArgMode first_arg;     // ... except the first
  bool volatile_result;  // now(), today(), random(), uuid()
  bool needs_self;       // reads `.` (once(), and string-length() etc. without arguments)
};

// The function called `name` ("jr:choice-name" with its prefix), or nullptr.
const FunctionSpec* FindFunction(absl::string_view name);
// Why a known ODK/XPath function we do not evaluate is missing, or "" for other names.
absl::string_view UnsupportedFunctionReason(absl::string_view name);

enum class NodeOp : uint8_t {
  kNumber,  // number
  kString,  // str
  kRef,     // ref
  kNeg,     // -child
  kOr,      // child or child or ... (short-circuit)
  kAnd,     // child and child and ...
  kEq,
  kNe,
  kLt,
  kLe,
  kGt,
  kGe,
  kAdditive,  // child (+|- child)...: str[i] is the operator before child i+1
  kMul,
  kDiv,
  kMod,
  kCall,  // fn(children...)
};

struct Node {
  NodeOp op = NodeOp::kNumber;
  StaticType type = StaticType::kAny;
  Fn fn = Fn::kTrue;
  uint16_t depth = 1;
  int32_t offset = 0;  // byte offset of the node in the text, for error columns
  int32_t first_child = 0;
  int32_t num_children = 0;
  double number = 0;
  std::string str;
  ResolvedRef ref;                   // kRef; jr:choice-name's field
  std::shared_ptr<const RE2> regex;  // regex() with a literal pattern, compiled once
};

class Program {
 public:
  std::string text;
  Limits limits;
  std::vector<Node> nodes;
  std::vector<int32_t> children;  // nodes' children, contiguous per node
  int32_t root = 0;
  std::vector<ResolvedRef> refs;  // every reference, first appearance first, no repeats
  bool volatile_result = false;
  bool has_self = false;  // `self` is `.` resolved (for needs_self functions)
  ResolvedRef self;

  const Node& child(const Node& n, int i) const { return nodes[children[n.first_child + i]]; }
  int32_t child_index(const Node& n, int i) const { return children[n.first_child + i]; }
};

// "column N" of byte `offset` of `text` (characters from 1).
int Column(absl::string_view text, size_t offset);

}  // namespace fieldsync::expr

#endif  // FIELDSYNC_SERVER_EXPR_PROGRAM_H_
