#include "server/cmdline/cmdline.h"

#include <cstdint>
#include <fstream>
#include <string>
#include <vector>

#include "gmock/gmock.h"
#include "gtest/gtest.h"
#include "tests/testing/temp_dir.h"

namespace fieldsync::cmdline {
namespace {

using ::testing::HasSubstr;

// A program with one setting of each kind on the root, a subcommand with its own setting and
// a plain (command-line only) option.
struct Program {
  Program() : app("test program", "prog"), cl(&app) {
    cl.AddConfigOption(&app);
    cl.Add(&app, "--data-dir", &data_dir, "folder");
    cl.Add(&app, "--max-batch", &max_batch, "batch");
    cl.AddFlag(&app, "--reflection", &reflection, "reflection");
    sub = app.add_subcommand("sub", "a subcommand");
    cl.Add(sub, "--timeout-ms", &timeout_ms, "deadline");
    sub->add_option("--id", id, "not a setting");
  }
  absl::StatusOr<CommandLine::Action> Parse(const std::vector<std::string>& args,
                                            const Environment& env = {}) {
    return cl.Parse(args, env, &help);
  }

  CLI::App app;
  CommandLine cl;
  CLI::App* sub = nullptr;
  std::string data_dir = "default-dir";
  uint32_t max_batch = 500;
  bool reflection = false;
  int64_t timeout_ms = 30'000;
  std::string id;
  std::string help;
};

class CommandLineTest : public ::testing::Test {
 protected:
  std::string Write(const std::string& text) {
    const std::string path = dir_.Sub("prog.conf");
    std::ofstream(path) << text;
    return path;
  }
  testing::TempDir dir_;
};

TEST(EnvNameTest, UpperCaseWithUnderscores) {
  EXPECT_EQ(EnvName("max-batch"), "FIELDSYNC_MAX_BATCH");
  EXPECT_EQ(EnvName("config"), "FIELDSYNC_CONFIG");
}

TEST_F(CommandLineTest, DefaultsStayWithoutAnySource) {
  Program p;
  ASSERT_TRUE(p.Parse({}).ok());
  EXPECT_EQ(p.data_dir, "default-dir");
  EXPECT_EQ(p.max_batch, 500u);
  EXPECT_FALSE(p.reflection);
}

TEST_F(CommandLineTest, FlagOverEnvironmentOverFileOverDefault) {
  const std::string path = Write(
      "# comment\n"
      "data-dir = \"/file/dir\"\n"
      "max-batch = 9\n"
      "reflection = true\n");
  {
    Program p;
    ASSERT_TRUE(p.Parse({"--config", path}).ok());
    EXPECT_EQ(p.data_dir, "/file/dir");
    EXPECT_EQ(p.max_batch, 9u);
    EXPECT_TRUE(p.reflection);
  }
  {
    Program p;  // the file named by the environment; the environment over the file
    ASSERT_TRUE(p.Parse({}, {{"FIELDSYNC_CONFIG", path},
                             {"FIELDSYNC_MAX_BATCH", "42"},
                             {"FIELDSYNC_REFLECTION", "false"}})
                    .ok());
    EXPECT_EQ(p.data_dir, "/file/dir");
    EXPECT_EQ(p.max_batch, 42u);
    EXPECT_FALSE(p.reflection);
  }
  {
    Program p;  // the flag over both
    ASSERT_TRUE(p.Parse({"--max-batch=7", "--config", path}, {{"FIELDSYNC_MAX_BATCH", "42"}}).ok());
    EXPECT_EQ(p.max_batch, 7u);
  }
}

TEST_F(CommandLineTest, EmptyBooleanVariableMeansOn) {
  Program p;
  ASSERT_TRUE(p.Parse({}, {{"FIELDSYNC_REFLECTION", ""}}).ok());
  EXPECT_TRUE(p.reflection);
}

TEST_F(CommandLineTest, EmptyValueAfterEqualsSign) {
  Program p;
  ASSERT_TRUE(p.Parse({"--data-dir=", "--reflection=", "--max-batch", "3"}).ok());
  EXPECT_EQ(p.data_dir, "");
  EXPECT_TRUE(p.reflection);
  EXPECT_EQ(p.max_batch, 3u);
  Program q;  // so the default is replaced, not kept
  ASSERT_TRUE(q.Parse({"--data-dir="}, {{"FIELDSYNC_DATA_DIR", "/env"}}).ok());
  EXPECT_EQ(q.data_dir, "");
}

TEST_F(CommandLineTest, RepeatedFlagKeepsTheLast) {
  Program p;
  ASSERT_TRUE(p.Parse({"--max-batch", "1", "--max-batch", "2"}).ok());
  EXPECT_EQ(p.max_batch, 2u);
}

TEST_F(CommandLineTest, SubcommandSettingsAndPlainOptions) {
  const std::string path = Write("timeout-ms = 5\n");
  Program p;
  ASSERT_TRUE(p.Parse({"--config", path, "sub", "--id", "x"}, {{"FIELDSYNC_ID", "from-env"}}).ok());
  EXPECT_EQ(p.timeout_ms, 5);
  EXPECT_EQ(p.id, "x");
  // An option that is not a setting never comes from the environment or the file.
  Program q;
  ASSERT_TRUE(q.Parse({"sub"}, {{"FIELDSYNC_ID", "from-env"}}).ok());
  EXPECT_EQ(q.id, "");
  Program r;
  auto bad = r.Parse({"--config", Write("id = x\n"), "sub"});
  EXPECT_EQ(bad.status().code(), absl::StatusCode::kInvalidArgument);
  // The setting of a subcommand that was not chosen is unknown to the file.
  Program s;
  auto not_chosen = s.Parse({"--config", Write("timeout-ms = 5\n")});
  EXPECT_THAT(not_chosen.status().message(), HasSubstr("unknown setting 'timeout-ms'"));
}

TEST_F(CommandLineTest, ErrorsNameFlagVariableOrFileLine) {
  Program a;
  auto flag = a.Parse({"--max-batch", "lots"});
  EXPECT_EQ(flag.status().code(), absl::StatusCode::kInvalidArgument);
  EXPECT_THAT(flag.status().message(), HasSubstr("--max-batch"));
  Program b;
  auto env = b.Parse({}, {{"FIELDSYNC_MAX_BATCH", "-3"}});
  EXPECT_THAT(env.status().message(), HasSubstr("FIELDSYNC_MAX_BATCH"));
  Program c;
  auto file = c.Parse({"--config", Write("\n# x\nmax-batch = lots\n")});
  EXPECT_THAT(file.status().message(), HasSubstr("prog.conf:3"));
  Program d;
  auto boolean = d.Parse({}, {{"FIELDSYNC_REFLECTION", "maybe"}});
  EXPECT_THAT(boolean.status().message(), HasSubstr("FIELDSYNC_REFLECTION"));
  Program e;
  auto unknown = e.Parse({"--no-such", "1"});
  EXPECT_THAT(unknown.status().message(), HasSubstr("no-such"));
  Program f;
  auto missing = f.Parse({"--data-dir"});
  EXPECT_EQ(missing.status().code(), absl::StatusCode::kInvalidArgument);
}

TEST_F(CommandLineTest, BadConfigFiles) {
  Program a;
  auto no_eq = a.Parse({"--config", Write("max-batch 9\n")});
  EXPECT_THAT(no_eq.status().message(), HasSubstr(":1: expected name = value"));
  Program b;
  auto nested = b.Parse({"--config", Write("config = /etc/other\n")});
  EXPECT_THAT(nested.status().message(), HasSubstr("unknown setting 'config'"));
  Program c;
  auto absent = c.Parse({"--config", dir_.Sub("absent.conf")});
  EXPECT_EQ(absent.status().code(), absl::StatusCode::kInvalidArgument);
  EXPECT_THAT(absent.status().message(), HasSubstr("absent.conf"));
  // The size bound: one byte over is refused, whatever the content.
  Program d;
  std::string big = "# " + std::string(kMaxConfigFileBytes, 'x') + "\n";
  auto oversized = d.Parse({"--config", Write(big)});
  EXPECT_EQ(oversized.status().code(), absl::StatusCode::kInvalidArgument);
  EXPECT_THAT(oversized.status().message(), HasSubstr("larger than"));
  Program e;
  std::string at_limit = "max-batch = 3\n#";
  at_limit += std::string(kMaxConfigFileBytes - at_limit.size(), 'x');
  ASSERT_TRUE(e.Parse({"--config", Write(at_limit)}).ok());
  EXPECT_EQ(e.max_batch, 3u);
}

TEST_F(CommandLineTest, HelpComesFromTheSameTable) {
  Program p;
  auto action = p.Parse({"--help"}, {{"FIELDSYNC_MAX_BATCH", "42"}});
  ASSERT_TRUE(action.ok());
  EXPECT_EQ(*action, CommandLine::Action::kHelp);
  EXPECT_THAT(p.help, HasSubstr("--max-batch"));
  EXPECT_THAT(p.help, HasSubstr("[env FIELDSYNC_MAX_BATCH]"));
  EXPECT_THAT(p.help, HasSubstr("500"));  // the default
  EXPECT_EQ(p.max_batch, 500u);           // nothing applied
  Program q;
  ASSERT_EQ(*q.Parse({"sub", "--help"}), CommandLine::Action::kHelp);
  EXPECT_THAT(q.help, HasSubstr("--timeout-ms"));
  EXPECT_THAT(q.help, HasSubstr("not a setting"));
}

TEST_F(CommandLineTest, DescribeListsSettingsWithBooleansAsWords) {
  Program p;
  ASSERT_TRUE(p.Parse({"--reflection", "--max-batch", "8"}).ok());
  auto described = p.cl.Describe(&p.app);
  ASSERT_EQ(described.size(), 3u);
  EXPECT_EQ(described[0], (std::pair<std::string, std::string>("data-dir", "default-dir")));
  EXPECT_EQ(described[1], (std::pair<std::string, std::string>("max-batch", "8")));
  EXPECT_EQ(described[2], (std::pair<std::string, std::string>("reflection", "true")));
}

}  // namespace
}  // namespace fieldsync::cmdline
