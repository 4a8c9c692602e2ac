// XLSForm expressions and labels as an XForm writes them: `${name}` becomes the path of the
// node called `name`, seen from a context node of the InstanceTree: relative ("../age") when
// both lie in the same repeat instance, absolute ("/data/age") otherwise, as pyxform writes
// them. Internal to server/xform.
#ifndef FIELDSYNC_SERVER_XFORM_XPATH_TEXT_H_
#define FIELDSYNC_SERVER_XFORM_XPATH_TEXT_H_

#include <string>
#include <string_view>

#include "absl/status/statusor.h"
#include "server/xform/instance_tree.h"

namespace fieldsync::xform {

enum class RefStyle {
  kBind,       // the expression's context node is `context` (binds, jr:count)
  kPredicate,  // inside an itemset predicate: relative paths start at current()
};

// The path of `target` seen from `context`.
std::string PathFrom(const InstanceTree& tree, int context, int target, RefStyle style);

// `text` (an XLSForm expression) as XPath: references replaced, string literals requoted
// (curly quotes become plain ones), whitespace runs as one space. INVALID_ARGUMENT for a
// text the expression lexer refuses or a reference to a name the form does not have.
absl::StatusOr<std::string> ToXPath(const InstanceTree& tree, int context, std::string_view text,
                                    RefStyle style = RefStyle::kBind);

// Label or hint text as XML content: escaped, with each `${name}` of a known name as
// <output value=" path "/>.
std::string LabelMarkup(const InstanceTree& tree, int context, std::string_view text);

}  // namespace fieldsync::xform

#endif  // FIELDSYNC_SERVER_XFORM_XPATH_TEXT_H_
