// Fuzz target: a submitted OpenRosa instance (server/openrosa/instance_reader.h). The
// `xml_submission_file` of a submission is untrusted bytes.
//   - ParseInstance never crashes and stays within its bounds: an error is INVALID_ARGUMENT
//     or RESOURCE_EXHAUSTED (nothing else);
//   - ReadInstance of what parsed, against a form with a group, a repeat and a nested repeat
//     counted by an expression, never crashes: an error is INVALID_ARGUMENT; a result has an
//     instance id, repeat ordinals from 1 and paths that name their repeat.
#include <cstdint>
#include <cstdlib>
#include <string>
#include <string_view>

#include "server/openrosa/instance_reader.h"
#include "server/xform/instance_tree.h"

namespace {

using namespace fieldsync;

const Form& FuzzForm() {
  static const Form* form = [] {
    auto* f = new Form;
    f->form_id = "roster";
    f->version = 2;
    auto group = [](const char* name, bool repeat, const char* parent, const char* count) {
      GroupDef g;
      g.name = name;
      g.repeat = repeat;
      g.parent = parent;
      g.repeat_count = count;
      return g;
    };
    f->groups = {group("where", false, "", ""), group("members", true, "", ""),
                 group("visits", true, "members", "${age} + 1")};
    auto field = [](const char* name, FieldType t, const char* group) {
      FieldDef d;
      d.name = name;
      d.type = t;
      d.group = group;
      return d;
    };
    f->fields = {field("village", FieldType::kString, "where"),
                 field("size", FieldType::kInt, ""),
                 field("income", FieldType::kDecimal, ""),
                 field("ok", FieldType::kBool, ""),
                 field("needs", FieldType::kSelectMultiple, ""),
                 field("gps", FieldType::kGeopoint, ""),
                 field("photo", FieldType::kAttachment, ""),
                 field("name", FieldType::kString, "members"),
                 field("age", FieldType::kInt, "members"),
                 field("day", FieldType::kDate, "visits")};
    return f;
  }();
  return *form;
}

void CheckRepeats(const std::vector<openrosa::RepeatInstance>& repeats) {
  for (const auto& r : repeats) {
    if (r.ordinal == 0 || r.path.find(r.repeat) == std::string::npos) std::abort();
    CheckRepeats(r.children);
  }
}

}  // namespace

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  static const xform::InstanceTree* tree =
      new xform::InstanceTree(*xform::InstanceTree::Build(FuzzForm()));
  openrosa::InstanceLimits limits;
  limits.max_bytes = 64 << 10;
  limits.max_depth = 16;
  limits.max_elements = 2000;
  limits.max_text_bytes = 4096;
  std::string_view xml(reinterpret_cast<const char*>(data), size);
  absl::StatusOr<openrosa::ParsedInstance> parsed = openrosa::ParseInstance(xml, limits);
  if (!parsed.ok()) {
    auto code = parsed.status().code();
    if (code != absl::StatusCode::kInvalidArgument &&
        code != absl::StatusCode::kResourceExhausted) {
      std::abort();
    }
    return 0;
  }
  absl::StatusOr<openrosa::SubmittedInstance> read =
      openrosa::ReadInstance(*parsed, FuzzForm(), *tree, limits);
  if (!read.ok()) {
    if (read.status().code() != absl::StatusCode::kInvalidArgument) std::abort();
    return 0;
  }
  if (read->instance_id.empty()) std::abort();
  CheckRepeats(read->repeats);
  return 0;
}
