// Shared pieces of the function implementations (functions.cc: strings, booleans, numbers,
// node-sets; functions_time_geo.cc: dates, selects, geo). Internal to server/expr.
#ifndef FIELDSYNC_SERVER_EXPR_FUNCTIONS_H_
#define FIELDSYNC_SERVER_EXPR_FUNCTIONS_H_

#include <functional>
#include <string>
#include <vector>

#include "absl/status/status.h"
#include "absl/status/statusor.h"
#include "absl/strings/string_view.h"
#include "server/expr/evaluator.h"
#include "server/expr/utf8.h"

namespace fieldsync::expr {

// Argument `i` of `call` as one value, string or number.
absl::Status ArgValue(Evaluator& ev, const Node& call, int i, XValue* out);
absl::Status ArgString(Evaluator& ev, const Node& call, int i, std::string* out);
absl::Status ArgNumber(Evaluator& ev, const Node& call, int i, double* out);

// Calls `fn` with every value of arguments `first`.. of `call` in order: a reference
// argument gives each of its nodes' values (a repeated field: one per instance), any other
// argument its value.
absl::Status ForEachValue(Evaluator& ev, const Node& call, int first,
                          const std::function<absl::Status(const XValue&)>& fn);

// The characters of `s` (invalid bytes one each).
std::vector<absl::string_view> Chars(absl::string_view s);

// A select_multiple value's items: split on spaces, empty items dropped.
std::vector<absl::string_view> SelectedItems(absl::string_view list);

// digest(): INVALID_ARGUMENT unless `algorithm` is MD5, SHA-1, SHA-256, SHA-384 or SHA-512
// (any case, dashes optional) and `encoding` base64 or hex; else the digest of `text`'s bytes.
absl::StatusOr<std::string> Digest(absl::string_view text, absl::string_view algorithm,
                                   absl::string_view encoding);

// Dates, selects and geo functions (functions_time_geo.cc).
absl::Status CallTimeSelectGeo(Evaluator& ev, const Node& call, XValue* out);

}  // namespace fieldsync::expr

#endif  // FIELDSYNC_SERVER_EXPR_FUNCTIONS_H_
