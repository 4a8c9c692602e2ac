#include "server/common/status.h"

#include <string>
#include <vector>

#include "absl/strings/cord.h"
#include "gmock/gmock.h"
#include "gtest/gtest.h"
#include "server/common/model.h"

namespace fieldsync {
namespace {

using ::testing::ElementsAre;
using ::testing::IsEmpty;

absl::Status Wrapped(absl::Status inner) {
  FS_RETURN_IF_ERROR_PREPEND(inner, "push batch 3");
  return absl::OkStatus();
}

TEST(PrependTest, KeepsCodeAndEveryPayload) {
  absl::Status violations = InvalidFieldsError("bad record", {{"age", "must be at least 0"}});
  absl::Status s = Wrapped(violations);
  EXPECT_EQ(s.code(), absl::StatusCode::kInvalidArgument);
  EXPECT_EQ(s.message(), "push batch 3: bad record");
  ASSERT_EQ(FieldViolations(s).size(), 1u);
  EXPECT_EQ(FieldViolations(s)[0].field, "age");
  absl::Status busy = Wrapped(WithRetryDelay(absl::UnavailableError("busy"), 250));
  EXPECT_EQ(busy.code(), absl::StatusCode::kUnavailable);
  EXPECT_EQ(RetryDelayMs(busy), 250);
  EXPECT_TRUE(IsResyncRequired(Wrapped(ResyncRequiredError("old cursor"))));
  EXPECT_TRUE(IsDiskFull(Wrapped(DiskFullError("no space"))));
  EXPECT_TRUE(Wrapped(absl::OkStatus()).ok());
}

TEST(DiskFullTest, MarkedByPayloadNotByWords) {
  EXPECT_TRUE(IsDiskFull(DiskFullError("no space left")));
  EXPECT_EQ(DiskFullError("x").code(), absl::StatusCode::kResourceExhausted);
  // A server's overload that happens to say "disk full" is not this machine's disk.
  EXPECT_FALSE(IsDiskFull(absl::ResourceExhaustedError("disk full: server side")));
  absl::Status other = absl::UnavailableError("x");
  other.SetPayload(kDiskFullPayload, absl::Cord("1"));
  EXPECT_FALSE(IsDiskFull(other));
}

TEST(ResyncRequiredTest, MarksFailedPrecondition) {
  absl::Status s = ResyncRequiredError("cursor too old");
  EXPECT_EQ(s.code(), absl::StatusCode::kFailedPrecondition);
  EXPECT_EQ(s.message(), "cursor too old");
  EXPECT_TRUE(IsResyncRequired(s));
}

TEST(ResyncRequiredTest, OtherStatusesAreNotResync) {
  EXPECT_FALSE(IsResyncRequired(absl::OkStatus()));
  EXPECT_FALSE(IsResyncRequired(absl::FailedPreconditionError("gap")));
  EXPECT_FALSE(IsResyncRequired(absl::InvalidArgumentError("bad")));
  // The payload alone on another code does not make it a resync.
  absl::Status s = absl::InvalidArgumentError("x");
  s.SetPayload(kResyncRequiredPayload, absl::Cord("1"));
  EXPECT_FALSE(IsResyncRequired(s));
}

TEST(FieldViolationsTest, RoundTrip) {
  const std::vector<FieldError> errors = {
      {"household_size", "must be at least 1"},
      {"", "too many fields: 300 (at most 200)"},
      {"notes", "12:contains: colons and 34 digits"},
      {"district", ""},
  };
  absl::Status s = InvalidFieldsError("invalid record", errors);
  EXPECT_EQ(s.code(), absl::StatusCode::kInvalidArgument);
  EXPECT_EQ(s.message(), "invalid record");
  EXPECT_EQ(FieldViolations(s), errors);
}

TEST(FieldViolationsTest, EmptyList) {
  absl::Status s = InvalidFieldsError("invalid", {});
  EXPECT_EQ(s.code(), absl::StatusCode::kInvalidArgument);
  EXPECT_THAT(FieldViolations(s), IsEmpty());
}

TEST(FieldViolationsTest, NoneOnOtherStatuses) {
  EXPECT_THAT(FieldViolations(absl::OkStatus()), IsEmpty());
  EXPECT_THAT(FieldViolations(absl::InvalidArgumentError("plain")), IsEmpty());
  EXPECT_THAT(FieldViolations(ResyncRequiredError("x")), IsEmpty());
}

TEST(FieldViolationsTest, NotResync) {
  EXPECT_FALSE(IsResyncRequired(InvalidFieldsError("x", {{"a", "b"}})));
}

TEST(FieldViolationsTest, MalformedPayloadYieldsWhatParses) {
  absl::Status s = absl::InvalidArgumentError("x");
  s.SetPayload(kFieldViolationsPayload, absl::Cord("1:a1:b9:truncated"));
  EXPECT_THAT(FieldViolations(s), ElementsAre(FieldError{"a", "b"}));
}

// ---- Macros ----

absl::Status FailIf(bool fail) { return fail ? absl::UnavailableError("down") : absl::OkStatus(); }

absl::StatusOr<int> Number(bool fail) {
  if (fail) return absl::NotFoundError("none");
  return 41;
}

absl::Status UseReturnIfError(bool fail, int* steps) {
  FS_RETURN_IF_ERROR(FailIf(fail));
  ++*steps;
  return absl::OkStatus();
}

absl::Status UsePrepend(bool fail) {
  FS_RETURN_IF_ERROR_PREPEND(FailIf(fail), "reading thing");
  return absl::OkStatus();
}

absl::StatusOr<int> UseAssignOrReturn(bool fail) {
  FS_ASSIGN_OR_RETURN(int n, Number(fail));
  return n + 1;
}

TEST(StatusMacrosTest, ReturnIfError) {
  int steps = 0;
  EXPECT_TRUE(UseReturnIfError(false, &steps).ok());
  EXPECT_EQ(steps, 1);
  absl::Status s = UseReturnIfError(true, &steps);
  EXPECT_EQ(s.code(), absl::StatusCode::kUnavailable);
  EXPECT_EQ(steps, 1);
}

TEST(StatusMacrosTest, PrependKeepsCodeAddsContext) {
  EXPECT_TRUE(UsePrepend(false).ok());
  absl::Status s = UsePrepend(true);
  EXPECT_EQ(s.code(), absl::StatusCode::kUnavailable);
  EXPECT_EQ(s.message(), "reading thing: down");
}

TEST(StatusMacrosTest, AssignOrReturn) {
  auto ok = UseAssignOrReturn(false);
  ASSERT_TRUE(ok.ok());
  EXPECT_EQ(*ok, 42);
  EXPECT_EQ(UseAssignOrReturn(true).status().code(), absl::StatusCode::kNotFound);
}

}  // namespace
}  // namespace fieldsync
