// XPath 1.0 expression grammar (as XLSForm uses it) to a Program, resolving references and
// checking function arities and argument kinds. Internal to server/expr; Compile (expr.h)
// is the public entry.
#ifndef FIELDSYNC_SERVER_EXPR_PARSER_H_
#define FIELDSYNC_SERVER_EXPR_PARSER_H_

#include <memory>

#include "absl/status/statusor.h"
#include "absl/strings/string_view.h"
#include "server/expr/expr.h"
#include "server/expr/program.h"

namespace fieldsync::expr {

// Errors: as Compile's.
absl::StatusOr<std::shared_ptr<const Program>> ParseProgram(absl::string_view text,
                                                            const Resolver& resolver,
                                                            const Limits& limits);

}  // namespace fieldsync::expr

#endif  // FIELDSYNC_SERVER_EXPR_PARSER_H_
