#include "server/openrosa/instance_reader.h"

#include <map>
#include <pugixml.hpp>

#include "absl/strings/ascii.h"
#include "absl/strings/numbers.h"
#include "absl/strings/str_cat.h"
#include "absl/strings/str_split.h"
#include "server/common/hash.h"
#include "server/common/status.h"
#include "server/xform/xform_writer.h"

namespace fieldsync::openrosa {

struct ParsedInstance::Doc {
  pugi::xml_document doc;
};

ParsedInstance::ParsedInstance() : doc_(std::make_unique<Doc>()) {}
ParsedInstance::~ParsedInstance() = default;
ParsedInstance::ParsedInstance(ParsedInstance&&) noexcept = default;

namespace {

using Kind = xform::InstanceTree::Kind;

// The element's text: its character data and CDATA, concatenated.
absl::StatusOr<std::string> TextOf(pugi::xml_node e, const InstanceLimits& limits) {
  std::string text;
  for (pugi::xml_node c : e.children()) {
    if (c.type() == pugi::node_element) {
      return absl::InvalidArgumentError(absl::StrCat("answer <", e.name(), "> holds an element"));
    }
    if (c.type() == pugi::node_pcdata || c.type() == pugi::node_cdata) text += c.value();
    if (text.size() > limits.max_text_bytes) {
      return absl::InvalidArgumentError(
          absl::StrCat("answer <", e.name(), "> is longer than ", limits.max_text_bytes, " bytes"));
    }
  }
  return text;
}

Value ToValue(const FieldDef& f, const std::string& text) {
  switch (f.type) {
    case FieldType::kInt: {
      int64_t v;
      if (absl::SimpleAtoi(text, &v)) return v;
      return text;
    }
    case FieldType::kDecimal: {
      double v;
      if (absl::SimpleAtod(text, &v)) return v;
      return text;
    }
    case FieldType::kBool:
      if (text == "true" || text == "1") return true;
      if (text == "false" || text == "0") return false;
      return text;
    case FieldType::kSelectMultiple: {
      std::vector<std::string> values = absl::StrSplit(text, ' ', absl::SkipEmpty());
      return values;
    }
    case FieldType::kGeopoint: {
      std::vector<std::string> parts = absl::StrSplit(text, ' ', absl::SkipEmpty());
      GeoPoint p;
      if (parts.size() >= 2 && absl::SimpleAtod(parts[0], &p.latitude) &&
          absl::SimpleAtod(parts[1], &p.longitude)) {
        return p;
      }
      return text;
    }
    default:
      return text;
  }
}

class Reader {
 public:
  Reader(const Form& form, const xform::InstanceTree& tree, const InstanceLimits& limits)
      : form_(form), tree_(tree), limits_(limits) {
    for (size_t id = 0; id < tree.size(); ++id) {
      const auto& n = tree.node(static_cast<int>(id));
      if (n.kind == Kind::kRepeat && xform::RepeatCountNeedsNode(*n.group)) {
        count_nodes_[{n.parent, xform::RepeatCountNodeName(tree, static_cast<int>(id))}] = true;
      }
    }
  }

  // Reads the children of element `e`, which is tree node `node`, into `fields`/`files`;
  // repeat instances found become children of `repeats`.
  absl::Status Container(pugi::xml_node e, int node, const std::string& path, FieldMap* fields,
                         std::map<std::string, std::string>* files,
                         std::vector<RepeatInstance>* repeats, SubmittedInstance* top) {
    std::map<std::string, uint32_t> ordinals;
    for (pugi::xml_node c : e.children()) {
      if (c.type() != pugi::node_element) continue;
      const std::string name = c.name();
      if (node == xform::InstanceTree::kRoot && name == "meta") {
        FS_RETURN_IF_ERROR(Meta(c, top));
        continue;
      }
      if (count_nodes_.count({node, name})) continue;
      int child = FindChild(node, name);
      if (child < 0) {
        return absl::InvalidArgumentError(absl::StrCat("<", name, "> is not in form ",
                                                       form_.form_id, " version ", form_.version,
                                                       " at ", tree_.node(node).path));
      }
      const auto& n = tree_.node(child);
      switch (n.kind) {
        case Kind::kField: {
          FS_ASSIGN_OR_RETURN(std::string text, TextOf(c, limits_));
          if (text.empty()) break;
          if (n.field->type == FieldType::kAttachment) (*files)[name] = text;
          (*fields)[name] = ToValue(*n.field, text);
          break;
        }
        case Kind::kGroup:
          FS_RETURN_IF_ERROR(Container(c, child, path, fields, files, repeats, top));
          break;
        case Kind::kRepeat: {
          if (c.attribute("jr:template")) break;  // the template is no instance
          RepeatInstance r;
          r.repeat = name;
          r.ordinal = ++ordinals[name];
          r.path = absl::StrCat(path, "/", name, "[", r.ordinal, "]");
          FS_RETURN_IF_ERROR(Container(c, child, r.path, &r.fields, &r.files, &r.children, top));
          repeats->push_back(std::move(r));
          break;
        }
        case Kind::kRoot:
          break;
      }
    }
    return absl::OkStatus();
  }

 private:
  int FindChild(int node, const std::string& name) const {
    int id = tree_.Find(name);
    return id >= 0 && tree_.node(id).parent == node ? id : -1;
  }

  absl::Status Meta(pugi::xml_node meta, SubmittedInstance* top) {
    for (pugi::xml_node c : meta.children()) {
      if (c.type() != pugi::node_element) continue;
      const std::string name = c.name();
      if (name != "instanceID" && name != "deprecatedID") continue;  // instanceName, audit...
      FS_ASSIGN_OR_RETURN(std::string text, TextOf(c, limits_));
      (name == "instanceID" ? top->instance_id : top->deprecated_id) =
          std::string(absl::StripAsciiWhitespace(text));
    }
    return absl::OkStatus();
  }

  const Form& form_;
  const xform::InstanceTree& tree_;
  const InstanceLimits& limits_;
  std::map<std::pair<int, std::string>, bool> count_nodes_;
};

}  // namespace

absl::StatusOr<ParsedInstance> ParseInstance(std::string_view xml, const InstanceLimits& limits) {
  if (xml.size() > limits.max_bytes) {
    return absl::ResourceExhaustedError(
        absl::StrCat("the instance is larger than ", limits.max_bytes, " bytes"));
  }
  ParsedInstance p;
  // parse_doctype keeps a DOCTYPE in the tree so it can be refused; pugixml never expands
  // entities other than XML's own five and character references.
  pugi::xml_parse_result r = p.doc_->doc.load_buffer(
      xml.data(), xml.size(), (pugi::parse_default | pugi::parse_doctype) & ~pugi::parse_pi,
      pugi::encoding_utf8);
  if (!r) {
    return absl::InvalidArgumentError(absl::StrCat(
        "the instance is not well-formed XML: ", r.description(), " at byte ", r.offset));
  }
  // Depth and element count, without recursion.
  size_t elements = 0;
  size_t depth = 0;
  pugi::xml_node n = p.doc_->doc.first_child();
  while (n) {
    if (n.type() == pugi::node_doctype) {
      return absl::InvalidArgumentError("the instance has a DOCTYPE, which XForms never send");
    }
    if (n.type() == pugi::node_element) {
      if (++elements > limits.max_elements) {
        return absl::InvalidArgumentError(
            absl::StrCat("the instance has more than ", limits.max_elements, " elements"));
      }
      if (depth + 1 > limits.max_depth) {
        return absl::InvalidArgumentError(
            absl::StrCat("the instance nests deeper than ", limits.max_depth, " elements"));
      }
    }
    if (n.first_child()) {
      n = n.first_child();
      ++depth;
      continue;
    }
    while (n && !n.next_sibling()) {
      n = n.parent();
      if (depth == 0) break;
      --depth;
    }
    if (n) n = n.next_sibling();
  }
  pugi::xml_node root = p.doc_->doc.document_element();
  if (!root) return absl::InvalidArgumentError("the instance has no root element");
  p.form_id_ = root.attribute("id").value();
  if (p.form_id_.empty()) {
    return absl::InvalidArgumentError("the instance's root element has no form id");
  }
  uint32_t version = 0;
  if (absl::SimpleAtoi(root.attribute("version").value(), &version)) p.form_version_ = version;
  return p;
}

absl::StatusOr<SubmittedInstance> ReadInstance(const ParsedInstance& parsed, const Form& form,
                                               const xform::InstanceTree& tree,
                                               const InstanceLimits& limits) {
  SubmittedInstance out;
  out.form_id = parsed.form_id();
  out.form_version = parsed.form_version();
  Reader reader(form, tree, limits);
  FS_RETURN_IF_ERROR(reader.Container(parsed.doc_->doc.document_element(),
                                      xform::InstanceTree::kRoot, "", &out.fields, &out.files,
                                      &out.repeats, &out));
  if (out.instance_id.empty()) {
    return absl::InvalidArgumentError("the instance has no meta/instanceID");
  }
  return out;
}

std::string ChildRecordId(std::string_view root_record_id, std::string_view path) {
  std::string hex = Sha256Hex(std::string(root_record_id) + "|" + std::string(path)).substr(0, 32);
  hex[12] = '8';  // version 8: a name-based UUID of our own hash
  static constexpr char kHex[] = "0123456789abcdef";
  int variant = hex[16] >= 'a' ? hex[16] - 'a' + 10 : hex[16] - '0';
  hex[16] = kHex[8 | (variant & 3)];  // RFC 9562 variant: 10xx
  return absl::StrCat(hex.substr(0, 8), "-", hex.substr(8, 4), "-", hex.substr(12, 4), "-",
                      hex.substr(16, 4), "-", hex.substr(20, 12));
}

}  // namespace fieldsync::openrosa
