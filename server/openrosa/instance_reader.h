// Reads a submitted XForm instance (the `xml_submission_file` of an OpenRosa submission) into
// the records it makes: the root record's values and, for each repeat instance, a child
// record's values with its repeat, its 1-based position and its path. The XML is parsed with
// pugixml, which expands no entities beyond XML's five and character references (a DOCTYPE
// is refused outright), within bounds on bytes, element depth and element count; the instance
// is then walked along the form's InstanceTree (server/xform), so only the nodes the
// downloaded XForm asked for are read.
//
// Pure functions, thread-safe.
#ifndef FIELDSYNC_SERVER_OPENROSA_INSTANCE_READER_H_
#define FIELDSYNC_SERVER_OPENROSA_INSTANCE_READER_H_

#include <cstdint>
#include <map>
#include <memory>
#include <string>
#include <string_view>
#include <vector>

#include "absl/status/statusor.h"
#include "server/common/model.h"
#include "server/xform/instance_tree.h"

namespace fieldsync::openrosa {

struct InstanceLimits {
  size_t max_bytes = 10 << 20;      // the whole instance document
  size_t max_depth = 64;            // element nesting
  size_t max_elements = 200000;     // elements in the document
  size_t max_text_bytes = 1 << 20;  // one element's text
};

// One repeat instance: a child record to be.
struct RepeatInstance {
  std::string repeat;    // the repeat's name (Form::groups)
  uint32_t ordinal = 0;  // 1-based among its parent's instances of the repeat
  // Where it is: "/members[2]/visits[1]" (repeat names with positions, root first). The
  // child's record id is derived from the root record id and this path.
  std::string path;
  FieldMap fields;
  // Its attachment fields: field name -> the file name the instance gives.
  std::map<std::string, std::string> files;
  std::vector<RepeatInstance> children;
};

struct SubmittedInstance {
  std::string form_id;
  uint32_t form_version = 0;
  std::string instance_id;    // meta/instanceID
  std::string deprecated_id;  // meta/deprecatedID: this submission edits that one
  FieldMap fields;            // the root record's non-empty answers
  std::map<std::string, std::string> files;
  std::vector<RepeatInstance> repeats;
};

// A parsed document, before its form is known.
class ParsedInstance {
 public:
  ~ParsedInstance();
  ParsedInstance(ParsedInstance&&) noexcept;
  const std::string& form_id() const { return form_id_; }
  // 0 when the root has no (numeric) version attribute.
  uint32_t form_version() const { return form_version_; }

 private:
  friend absl::StatusOr<ParsedInstance> ParseInstance(std::string_view, const InstanceLimits&);
  friend absl::StatusOr<SubmittedInstance> ReadInstance(const ParsedInstance&, const Form&,
                                                        const xform::InstanceTree&,
                                                        const InstanceLimits&);
  ParsedInstance();
  struct Doc;
  std::unique_ptr<Doc> doc_;
  std::string form_id_;
  uint32_t form_version_ = 0;
};

// Parses `xml`. INVALID_ARGUMENT (the message says what, never the content) for malformed
// XML, a DOCTYPE, a root element without an `id`, nesting or elements past their bound;
// RESOURCE_EXHAUSTED for a document larger than max_bytes.
absl::StatusOr<ParsedInstance> ParseInstance(std::string_view xml, const InstanceLimits& limits);

// The answers of `parsed` for `form` (`tree` built from it). Empty elements are unanswered.
// Values take the field's type: int64 and double where they parse (else the text, which the
// form check then refuses, so the submission is quarantined, not lost), "true"/"false" or
// 1/0 for booleans, space-separated select_multiple values, "lat lon [alt acc]" geopoints.
// INVALID_ARGUMENT: a missing meta/instanceID, an element the form does not have, a repeat
// that is not where the form puts it, an answer text past max_text_bytes.
absl::StatusOr<SubmittedInstance> ReadInstance(const ParsedInstance& parsed, const Form& form,
                                               const xform::InstanceTree& tree,
                                               const InstanceLimits& limits);

// The record id of the repeat instance at `path` of the submission whose root record is
// `root_record_id`: a UUID (RFC 9562 version 8, from the first 16 bytes of the SHA-256 of
// "<root record id>|<path>"), so a resent or edited submission names the same children.
std::string ChildRecordId(std::string_view root_record_id, std::string_view path);

}  // namespace fieldsync::openrosa

#endif  // FIELDSYNC_SERVER_OPENROSA_INSTANCE_READER_H_
