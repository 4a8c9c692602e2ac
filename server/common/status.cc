#include "server/common/status.h"

#include "absl/strings/cord.h"
#include "absl/strings/numbers.h"
#include "server/common/model.h"

namespace fieldsync {

absl::Status Prepend(const absl::Status& s, absl::string_view context) {
  if (s.ok()) return s;
  absl::Status out(s.code(), absl::StrCat(context, ": ", s.message()));
  s.ForEachPayload(
      [&out](absl::string_view key, const absl::Cord& value) { out.SetPayload(key, value); });
  return out;
}

absl::Status DiskFullError(absl::string_view message) {
  absl::Status s = absl::ResourceExhaustedError(message);
  s.SetPayload(kDiskFullPayload, absl::Cord("1"));
  return s;
}

bool IsDiskFull(const absl::Status& s) {
  return s.code() == absl::StatusCode::kResourceExhausted &&
         s.GetPayload(kDiskFullPayload).has_value();
}

absl::Status ResyncRequiredError(absl::string_view message) {
  absl::Status s = absl::FailedPreconditionError(message);
  s.SetPayload(kResyncRequiredPayload, absl::Cord("1"));
  return s;
}

bool IsResyncRequired(const absl::Status& s) {
  return s.code() == absl::StatusCode::kFailedPrecondition &&
         s.GetPayload(kResyncRequiredPayload).has_value();
}

namespace {

void PutLp(std::string* out, absl::string_view s) { absl::StrAppend(out, s.size(), ":", s); }

bool GetLp(std::string_view* in, std::string* out) {
  size_t colon = in->find(':');
  if (colon == std::string_view::npos) return false;
  size_t n = 0;
  for (char c : in->substr(0, colon)) {
    if (c < '0' || c > '9') return false;
    n = n * 10 + (c - '0');
  }
  in->remove_prefix(colon + 1);
  if (in->size() < n) return false;
  *out = std::string(in->substr(0, n));
  in->remove_prefix(n);
  return true;
}

}  // namespace

absl::Status InvalidFieldsError(absl::string_view message, const std::vector<FieldError>& errors) {
  absl::Status s = absl::InvalidArgumentError(message);
  std::string encoded;
  for (const auto& e : errors) {
    PutLp(&encoded, e.field);
    PutLp(&encoded, e.description);
  }
  s.SetPayload(kFieldViolationsPayload, absl::Cord(encoded));
  return s;
}

std::vector<FieldError> FieldViolations(const absl::Status& s) {
  std::vector<FieldError> out;
  auto payload = s.GetPayload(kFieldViolationsPayload);
  if (!payload) return out;
  std::string flat(*payload);
  std::string_view in(flat);
  while (!in.empty()) {
    FieldError e;
    if (!GetLp(&in, &e.field) || !GetLp(&in, &e.description)) break;
    out.push_back(std::move(e));
  }
  return out;
}

absl::Status WithRetryDelay(absl::Status s, int64_t delay_ms) {
  s.SetPayload(kRetryDelayPayload, absl::Cord(absl::StrCat(delay_ms)));
  return s;
}

int64_t RetryDelayMs(const absl::Status& s) {
  auto payload = s.GetPayload(kRetryDelayPayload);
  int64_t ms = 0;
  if (!payload || !absl::SimpleAtoi(std::string(*payload), &ms) || ms < 0) return -1;
  return ms;
}

}  // namespace fieldsync
