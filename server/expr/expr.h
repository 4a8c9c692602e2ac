// XLSForm expressions (XPath 1.0 with `${name}` references and the ODK function library):
// compiled once per form version, evaluated on every record, on the server and in the SDK
// alike. No gRPC, protobuf or RocksDB here: the SDK links this library too.
//
// How to use it
//   1. For each expression of a form version (relevant, constraint, required, calculate,
//      default, choice_filter, repeat_count), call Compile(text, resolver, limits). The
//      Resolver maps every reference the text makes (`${name}`, `.`, `..`, `../x`, `/data/x`)
//      to a RefId of the caller's choosing and says what it is: one value, a node-set (the
//      values of a field in every instance of a repeat seen from outside it: count(), sum()),
//      or a group/repeat node (position(..), count(${repeat})). FormTreeResolver
//      (form_tree.h) does this for a form's tree the way pyxform does. Compile errors are
//      INVALID_ARGUMENT and name the column: bad syntax, an unknown function, a wrong number
//      of arguments, an unknown `${name}`, a type mismatch visible in the text (count() of a
//      value, selected() with a number), a construct we do not support, or a bound of Limits.
//   2. Keep the CompiledExpr with the form version. It is immutable; any number of threads
//      may evaluate it at once, each with its own EvalContext.
//   3. To evaluate, implement EvalContext over the record tree (the record, its ancestors and
//      its repeat children) and call EvaluateBoolean (relevant, constraint, required,
//      choice_filter), EvaluateAs(field type) (calculate, default), EvaluateNumber
//      (repeat_count) or EvaluateString. Evaluation errors:
//        INVALID_ARGUMENT    the expression cannot be evaluated on this record (a repeated
//                            field used as one value, a value that is not a date given to
//                            date(), a result that does not fit the field type); the
//                            message names the column;
//        RESOURCE_EXHAUSTED  a bound of Limits was hit (steps, node-set size, string size).
//                            Deterministic: the same record hits it again; it is no
//                            overload and no reason to retry.
//      Both mean "reject this record (quarantine it with the message)", never "store it".
//
// What the caller decides, as ODK does (not this library): a constraint is checked only when
// the field has a value; a non-relevant field (or a field in a non-relevant group) reads as
// empty; in a constraint `.` is the candidate value.
//
// Values (fieldsync::Value, server/common/value.h) become XPath values the way javarosa
// unpacks a node:
//   null (unanswered, non-relevant)   string ""     (so number() is NaN, boolean() false)
//   string (text, select_one, date, datetime, time, attachment)  string as stored
//   int64, double                     number
//   bool                              boolean
//   vector<string> (select_multiple)  string of the values joined by one space ("a c")
//   GeoPoint                          string "lat lon 0 0" (ODK's "lat lon altitude accuracy")
// A node-set of several values used where one value is needed is an error (as in javarosa:
// use count(), sum(), join() or indexed-repeat()); an empty node-set is "".
//
// Conversions (XPath 1.0, with ODK's extensions):
//   number(string)  trimmed decimal ("-1.5", ".5", "7."), no exponent, no "+", no ",";
//                   a date "YYYY-MM-DD" is its days since 1970-01-01 (a whole number); a
//                   datetime is its fractional days since 1970-01-01T00:00Z; otherwise NaN.
//   number(boolean) 1 or 0.
//   string(number)  integers without a decimal point (also a value within 1e-12 above one,
//                   and anything within 1e-12 of 0: javarosa's rule, which hides float
//                   noise), NaN, Infinity, -Infinity, else the shortest decimal that reads
//                   back the same, never an exponent.
//   boolean(number) false for 0 (|x| <= 1e-12) and NaN; boolean(string) false only for "".
//   a = b           a boolean on either side: compare booleans; else a number on either
//                   side: compare numbers (equal within 1e-12, javarosa's tolerance); else
//                   compare strings. <, <=, >, >= compare numbers (so dates compare by day).
//   dates           today() is "YYYY-MM-DD" and now() "YYYY-MM-DDTHH:MM:SS.mmm+HH:MM" in
//                   EvalContext::TimeZone(); date arithmetic works on days: today() - ${dob}
//                   is an age in days, date(today() + 7) a date a week later.
//
// Functions: the XForms spec's list (getodk/xforms-spec, "XPath Functions"), with these
// choices where the spec, XPath and javarosa differ:
//   regex()         matches anywhere (the spec's /pattern/ test; javarosa matches the whole
//                   value; with ^...$, as forms write it, both agree); RE2 syntax, so no
//                   backreferences or lookaround (a compile error for a literal pattern).
//   position()      without an argument: the position of the current repeat instance (the
//                   same as position(..) for a field directly in a repeat).
//   sum(), min(), max()  leave out values that are not numbers (unanswered members), as
//                   javarosa; min()/max() of nothing is NaN.
//   date(datetime)  the date as written (whatever its offset); date(NaN) is "".
//   number('4,6')   NaN (XPath; javarosa reads a locale comma as a decimal point).
//   format-date()   %b and %a in English.
//   string-length(), substr(), translate()  count characters (code points), not UTF-16 units.
// indexed-repeat() is supported; its field and repeat arguments must be references.
//
// Not supported (a compile error says so): predicates `[...]`, `//`, attributes, axes,
// `|`, XPath variables, instance()/current()/pulldata() (secondary instances), jr:itext(),
// randomize(), `${last-saved#name}`.
#ifndef FIELDSYNC_SERVER_EXPR_EXPR_H_
#define FIELDSYNC_SERVER_EXPR_EXPR_H_

#include <cstdint>
#include <memory>
#include <string>
#include <string_view>
#include <vector>

#include "absl/status/statusor.h"
#include "absl/time/time.h"
#include "server/common/model.h"
#include "server/common/value.h"

namespace fieldsync::expr {

// Bounds that keep a hostile form from hanging or crashing the server. The defaults allow
// the longest expressions real questionnaires contain with a wide margin.
struct Limits {
  // Compile: bytes of expression text.
  size_t max_text_bytes = 16 * 1024;
  // Compile: nesting of the syntax tree (parentheses, calls, operators; a chain of `and`,
  // `or`, `+`/`-` counts once). Evaluation recurses this deep, so values above
  // kMaxDepthCap are taken as kMaxDepthCap.
  int max_depth = 64;
  static constexpr int kMaxDepthCap = 256;
  // Compile: nodes of the syntax tree (literals, references, operators, calls).
  size_t max_nodes = 4096;
  // Compile and evaluate: memory for one regular expression program (RE2, linear time).
  int64_t max_regex_program_bytes = 1 << 20;
  // Evaluate: work units for one evaluation (one per node visited, one per node-set value
  // read, one per 64 bytes of string built or scanned).
  int64_t max_steps = 1'000'000;
  // Evaluate: values in one node-set.
  size_t max_node_set = 10'000;
  // Evaluate: bytes of any one string built (concat, join, uuid(n), translate, ...).
  size_t max_string_bytes = 1 << 20;
};

// A reference as written in an expression, given to the Resolver at compile time.
struct Reference {
  enum class Kind {
    kName,  // ${name}
    kPath,  // ., .., ../x, x/y, /data/x (steps below)
  };
  Kind kind = Kind::kName;
  // kName: the field name inside ${}.
  std::string name;
  // kPath: whether it starts at the root ("/data/x"); its steps, each ".." or a name ("."
  // steps are dropped, so `.` is the empty relative path: the current node).
  bool absolute = false;
  std::vector<std::string> steps;
  // Resolve as seen from the form's root, whatever the expression's own field: the field
  // and repeat arguments of indexed-repeat(), which pyxform writes as absolute paths.
  bool whole_form = false;
  // The reference as it appears in the text, for error messages.
  std::string text;

  bool IsSelf() const { return kind == Kind::kPath && !absolute && steps.empty(); }
};

// The caller's handle of a resolved reference; passed back to EvalContext.
using RefId = int32_t;

enum class RefKind {
  kValue,    // one value: a field of the current record or of an ancestor record
  kNodeSet,  // one entry per instance: a field (or repeat) inside a repeat seen from
             // outside that repeat instance: ${member_age} from the household
  kNode,     // one group or repeat instance node (`..`, ${group}): position(), count()
};

struct ResolvedRef {
  RefId id = 0;
  RefKind kind = RefKind::kValue;
};

// Maps references to RefIds at compile time, for one expression context (a field of a form
// version). Called only during Compile, on the compiling thread.
class Resolver {
 public:
  virtual ~Resolver() = default;
  // NOT_FOUND: no such field (Compile turns it into INVALID_ARGUMENT naming the reference);
  // INVALID_ARGUMENT: a reference the form cannot have (message passed on); other codes
  // are passed on as they are.
  virtual absl::StatusOr<ResolvedRef> Resolve(const Reference& ref) const = 0;
};

// What an evaluation reads, implemented by the caller over one record tree for one
// evaluation (or a series of them on one thread). Pointers it returns must stay valid until
// the evaluation returns.
class EvalContext {
 public:
  virtual ~EvalContext() = default;
  // The value of a kValue reference. nullptr, or a null Value, reads as "" (unanswered,
  // non-relevant, or absent).
  virtual const Value* Get(RefId ref) = 0;
  // The entries of a kNodeSet reference in document order, one per instance (a repeat
  // itself counts its instances), appended to *out; an entry may be nullptr (no value, or a
  // group node). Called only for kNodeSet references: a kValue or kNode reference where a
  // node-set is needed (count(${x})) is a node-set of one, which the evaluator makes itself.
  virtual void GetAll(RefId ref, std::vector<const Value*>* out) = 0;
  // 1-based position of the repeat instance that the node `ref` is or lies in (its
  // innermost repeat); 1 for a node in no repeat (as ODK). `ref` is any kind: position()
  // asks about `.`, position(..) about the parent.
  virtual int64_t Position(RefId ref) = 0;
  // indexed-repeat(): the value of `target` in instance indexes[0] (1-based) of repeat
  // repeats[0], instance indexes[1] of repeats[1] within it, and so on (outer repeat first,
  // 1 to 3 levels); nullptr when there is no such instance. `target` and `repeats` were
  // resolved with whole_form set.
  virtual const Value* GetIndexed(RefId target, const std::vector<RefId>& repeats,
                                  const std::vector<int64_t>& indexes) = 0;
  // The clock (today(), now()); injected, never the wall clock in tests.
  virtual absl::Time Now() = 0;
  // The time zone of today(), now() and datetimes written without an offset.
  virtual absl::TimeZone TimeZone() { return absl::UTCTimeZone(); }
  // 64 random bits (uuid(), random()); injected, seeded in tests.
  virtual uint64_t Random() = 0;
  // The label of `choice` in the choice list of the select field `field`, in the language
  // chosen by the caller (jr:choice-name); "" when there is none.
  virtual std::string ChoiceLabel(RefId field, std::string_view choice) = 0;
};

class Program;  // internal: the syntax tree

// A compiled expression. Immutable and cheap to copy (shared); thread-safe to evaluate
// concurrently with one EvalContext per thread.
class CompiledExpr {
 public:
  // Evaluates and converts with XPath boolean() (relevant, constraint, required,
  // choice_filter). Errors: see the top of this file.
  absl::StatusOr<bool> EvaluateBoolean(EvalContext& ctx) const;
  // Evaluates and converts with XPath number() (repeat_count); NaN when not a number.
  absl::StatusOr<double> EvaluateNumber(EvalContext& ctx) const;
  // Evaluates and converts with XPath string().
  absl::StatusOr<std::string> EvaluateString(EvalContext& ctx) const;
  // Evaluates and converts the result to a value of a field of `type` (calculate,
  // default): "" (and NaN for numbers) is null; kInt truncates toward zero (as int());
  // kDecimal is null for NaN and the infinities; kBool takes booleans, numbers and
  // "true"/"false"/"1"/"0"; kDate and kDatetime take date or datetime strings and day
  // numbers and normalise them; kSelectMultiple splits on spaces; kGeopoint parses
  // "lat lon [alt [acc]]". A result that does not fit is INVALID_ARGUMENT.
  absl::StatusOr<Value> EvaluateAs(FieldType type, EvalContext& ctx) const;

  // The text as given to Compile.
  const std::string& text() const;
  // Every reference the expression reads, resolved, in order of first appearance and
  // without repeats (for the caller's dependency order of calculates and cycle checks).
  const std::vector<ResolvedRef>& references() const;
  // Whether it calls now(), today(), random() or uuid(): its value changes without its
  // references changing.
  bool volatile_result() const;

 private:
  friend absl::StatusOr<CompiledExpr> Compile(std::string_view, const Resolver&, const Limits&);
  explicit CompiledExpr(std::shared_ptr<const Program> program);
  std::shared_ptr<const Program> program_;
};

// Parses `text` as an XLSForm expression, resolving its references with `resolver`.
// Spreadsheet quirks are taken as pyxform takes them: curly quotes (‘ ’ “ ”) are quotes,
// a no-break space is a space, and inside a string literal runs of spaces become one space
// and curly quotes straight ones; `${ name }` (spaces inside the braces) is an error, as in
// pyxform. Errors: INVALID_ARGUMENT (see the top of this file), with "column N" counting
// characters of `text` from 1.
absl::StatusOr<CompiledExpr> Compile(std::string_view text, const Resolver& resolver,
                                     const Limits& limits = Limits());

}  // namespace fieldsync::expr

#endif  // FIELDSYNC_SERVER_EXPR_EXPR_H_
