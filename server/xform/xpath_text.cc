#include "server/xform/xpath_text.h"

#include "absl/strings/str_cat.h"
#include "server/common/status.h"
#include "server/expr/lexer.h"
#include "server/xform/xml_writer.h"

namespace fieldsync::xform {

std::string PathFrom(const InstanceTree& tree, int context, int target, RefStyle style) {
  // The innermost repeat holding both ends: inside it, a path must stay in the current
  // instance, so it is relative; without one, the absolute path means the same everywhere.
  for (int r = tree.node(target).repeat; r >= 0; r = tree.node(tree.node(r).parent).repeat) {
    if (tree.Contains(r, context)) {
      std::string rel = tree.RelativePath(context, target);
      return style == RefStyle::kPredicate ? absl::StrCat("current()/", rel) : rel;
    }
    if (tree.node(r).parent < 0) break;
  }
  return tree.node(target).path;
}

absl::StatusOr<std::string> ToXPath(const InstanceTree& tree, int context, std::string_view text,
                                    RefStyle style) {
  FS_ASSIGN_OR_RETURN(std::vector<expr::Token> tokens,
                      expr::Tokenize(absl::string_view(text.data(), text.size())));
  std::string out;
  size_t end = 0;
  for (const expr::Token& t : tokens) {
    if (t.kind == expr::Tok::kEnd) break;
    if (!out.empty() && t.offset > end) out += ' ';
    end = t.offset + t.length;
    switch (t.kind) {
      case expr::Tok::kRef: {
        int target = tree.Find(t.text);
        if (target < 0) {
          return absl::InvalidArgumentError(absl::StrCat("${", t.text, "} names no question"));
        }
        absl::StrAppend(&out, " ", PathFrom(tree, context, target, style), " ");
        break;
      }
      case expr::Tok::kString: {
        const char q = t.text.find('\'') == std::string::npos ? '\'' : '"';
        absl::StrAppend(&out, std::string(1, q), t.text, std::string(1, q));
        break;
      }
      default:
        out.append(text.substr(t.offset, t.length));
    }
  }
  return out;
}

std::string LabelMarkup(const InstanceTree& tree, int context, std::string_view text) {
  std::string out;
  size_t i = 0;
  while (i < text.size()) {
    size_t open = text.find("${", i);
    size_t close = open == std::string_view::npos ? open : text.find('}', open);
    int target = close == std::string_view::npos
                     ? -1
                     : tree.Find(std::string(text.substr(open + 2, close - open - 2)));
    if (target < 0) {
      size_t upto = open == std::string_view::npos ? text.size() : open + 2;
      out += EscapeText(text.substr(i, upto - i));
      i = upto;
      continue;
    }
    out += EscapeText(text.substr(i, open - i));
    absl::StrAppend(&out, "<output value=\" ",
                    EscapeAttribute(PathFrom(tree, context, target, RefStyle::kBind)), " \"/>");
    i = close + 1;
  }
  return out;
}

}  // namespace fieldsync::xform
