#include "server/common/log.h"

#include <gmock/gmock.h>
#include <gtest/gtest.h>

#include <sstream>

namespace fieldsync {
namespace {

using ::testing::HasSubstr;
using ::testing::MatchesRegex;
using ::testing::Not;

class LogTest : public ::testing::Test {
 protected:
  void SetUp() override { SetLogSink(&out_); }
  void TearDown() override {
    SetLogSink(nullptr);
    SetLogLevel(LogLevel::kInfo);
  }
  std::ostringstream out_;
};

TEST_F(LogTest, OneJsonObjectPerLine) {
  LogEvent(LogLevel::kInfo, "rpc").Str("method", "Push").Int("ms", 12).Bool("ok", true);
  std::string line = out_.str();
  EXPECT_THAT(line, MatchesRegex(R"(\{"ts":"[0-9]{4}-[0-9]{2}-[0-9]{2}T[0-9:.]+Z","level":"info",)"
                                 R"("event":"rpc","method":"Push","ms":12,"ok":true\}
)"));
}

TEST_F(LogTest, EscapesEverythingThatWouldBreakTheLine) {
  LogEvent(LogLevel::kWarn, "x").Str("msg", "a\"b\\c\nd\x01");
  std::string line = out_.str();
  EXPECT_THAT(line, HasSubstr(R"("msg":"a\"b\\c\nd\u0001")"));
  EXPECT_EQ(line.find('\n'), line.size() - 1);
}

TEST_F(LogTest, LevelFilters) {
  SetLogLevel(LogLevel::kWarn);
  LogEvent(LogLevel::kInfo, "dropped");
  LogEvent(LogLevel::kError, "kept");
  EXPECT_THAT(out_.str(), Not(HasSubstr("dropped")));
  EXPECT_THAT(out_.str(), HasSubstr("\"level\":\"error\",\"event\":\"kept\""));
}

TEST(LogLevelTest, Parses) {
  LogLevel l;
  EXPECT_TRUE(ParseLogLevel("debug", &l));
  EXPECT_EQ(l, LogLevel::kDebug);
  EXPECT_TRUE(ParseLogLevel("error", &l));
  EXPECT_EQ(l, LogLevel::kError);
  EXPECT_FALSE(ParseLogLevel("loud", &l));
}

}  // namespace
}  // namespace fieldsync
