#include "server/app/config.h"

#include <fstream>
#include <map>
#include <string>
#include <vector>

#include "gtest/gtest.h"
#include "server/app/aggregator_config.h"
#include "server/app/form_loader.h"
#include "tests/testing/temp_dir.h"

namespace fieldsync {
namespace {

const std::map<std::string, std::string> kNoEnv;

TEST(ConfigTest, DefaultsNeedTlsOrExplicitDevPlaintext) {
  auto c = ParseServerConfig({}, kNoEnv);
  EXPECT_EQ(c.status().code(), absl::StatusCode::kInvalidArgument);
  auto dev = ParseServerConfig({"--dev-plaintext"}, kNoEnv);
  ASSERT_TRUE(dev.ok()) << dev.status();
  EXPECT_EQ(dev->listen, "127.0.0.1:7443");
}

TEST(ConfigTest, PlaintextIsRefusedOffLoopback) {
  auto c = ParseServerConfig({"--dev-plaintext", "--listen", "0.0.0.0:7443"}, kNoEnv);
  EXPECT_EQ(c.status().code(), absl::StatusCode::kInvalidArgument);
  EXPECT_NE(c.status().message().find("loopback"), std::string::npos);
  // With TLS any address is fine.
  auto tls = ParseServerConfig(
      {"--listen=0.0.0.0:7443", "--tls-cert-file", "c.pem", "--tls-key-file", "k.pem"}, kNoEnv);
  EXPECT_TRUE(tls.ok()) << tls.status();
}

TEST(ConfigTest, TlsFilesGoTogether) {
  auto c = ParseServerConfig({"--tls-cert-file", "c.pem"}, kNoEnv);
  EXPECT_EQ(c.status().code(), absl::StatusCode::kInvalidArgument);
}

TEST(ConfigTest, ProtectionFlags) {
  auto c = ParseServerConfig(
      {"--tls-cert-file", "c.pem", "--tls-key-file", "k.pem", "--tls-client-ca-file", "ca.pem",
       "--tls-reload-interval-s", "5", "--pii-key-file", "/secret/pii.key",
       "--max-streams-per-device", "2", "--max-requests-per-second", "7", "--request-burst", "9"},
      kNoEnv);
  ASSERT_TRUE(c.ok()) << c.status();
  EXPECT_EQ(c->tls_client_ca_file, "ca.pem");
  EXPECT_EQ(c->tls_reload_interval_s, 5u);
  EXPECT_EQ(c->pii_key_file, "/secret/pii.key");
  EXPECT_EQ(c->max_streams_per_device, 2u);
  EXPECT_EQ(c->max_requests_per_second, 7u);
  EXPECT_EQ(c->request_burst, 9u);
  // Mutual TLS needs TLS; a zero reload interval or burst is refused.
  EXPECT_EQ(ParseServerConfig({"--dev-plaintext", "--tls-client-ca-file", "ca.pem"}, kNoEnv)
                .status()
                .code(),
            absl::StatusCode::kInvalidArgument);
  EXPECT_EQ(ParseServerConfig({"--tls-cert-file", "c.pem", "--tls-key-file", "k.pem",
                               "--tls-reload-interval-s", "0"},
                              kNoEnv)
                .status()
                .code(),
            absl::StatusCode::kInvalidArgument);
  EXPECT_EQ(ParseServerConfig({"--dev-plaintext", "--request-burst", "0"}, kNoEnv).status().code(),
            absl::StatusCode::kInvalidArgument);
}

TEST(ConfigTest, ConnectionTimeoutFlags) {
  auto c = ParseServerConfig(
      {"--dev-plaintext", "--handshake-timeout-ms", "250", "--max-connection-idle-ms", "1000",
       "--keepalive-time-ms", "3000", "--keepalive-timeout-ms", "400"},
      kNoEnv);
  ASSERT_TRUE(c.ok()) << c.status();
  EXPECT_EQ(c->handshake_timeout_ms, 250);
  EXPECT_EQ(c->max_connection_idle_ms, 1000);
  EXPECT_EQ(c->keepalive_time_ms, 3000);
  EXPECT_EQ(c->keepalive_timeout_ms, 400);
  for (const char* flag : {"--handshake-timeout-ms", "--max-connection-idle-ms",
                           "--keepalive-time-ms", "--keepalive-timeout-ms"}) {
    EXPECT_EQ(ParseServerConfig({"--dev-plaintext", flag, "0"}, kNoEnv).status().code(),
              absl::StatusCode::kInvalidArgument)
        << flag;
  }
}

TEST(ConfigTest, FlagsOverEnvironmentOverDefaults) {
  std::map<std::string, std::string> env = {{"FIELDSYNC_DATA_DIR", "/env/dir"},
                                            {"FIELDSYNC_MAX_BATCH", "42"},
                                            {"FIELDSYNC_DEV_PLAINTEXT", "true"}};
  auto from_env = ParseServerConfig({}, env);
  ASSERT_TRUE(from_env.ok()) << from_env.status();
  EXPECT_EQ(from_env->data_dir, "/env/dir");
  EXPECT_EQ(from_env->max_batch, 42u);
  auto flag_wins = ParseServerConfig({"--data-dir", "/flag/dir", "--max-batch=7"}, env);
  ASSERT_TRUE(flag_wins.ok()) << flag_wins.status();
  EXPECT_EQ(flag_wins->data_dir, "/flag/dir");
  EXPECT_EQ(flag_wins->max_batch, 7u);
}

class ConfigFileTest : public ::testing::Test {
 protected:
  std::string Write(const std::string& text) {
    std::string path = dir_.path() + "/fieldsyncd.conf";
    std::ofstream(path) << text;
    return path;
  }
  testing::TempDir dir_;
};

TEST_F(ConfigFileTest, FlagsOverEnvironmentOverFile) {
  std::string path = Write(
      "# border post\n"
      "data-dir = /file/dir\n"
      "max-batch = 9\n"
      "dev-plaintext = true\n"
      "admin-listen = \"127.0.0.1:0\"\n");
  auto from_file = ParseServerConfig({"--config", path}, kNoEnv);
  ASSERT_TRUE(from_file.ok()) << from_file.status();
  EXPECT_EQ(from_file->data_dir, "/file/dir");
  EXPECT_EQ(from_file->max_batch, 9u);
  EXPECT_EQ(from_file->admin_listen, "127.0.0.1:0");
  std::map<std::string, std::string> env = {{"FIELDSYNC_CONFIG", path},
                                            {"FIELDSYNC_MAX_BATCH", "42"}};
  auto env_wins = ParseServerConfig({}, env);
  ASSERT_TRUE(env_wins.ok()) << env_wins.status();
  EXPECT_EQ(env_wins->data_dir, "/file/dir");
  EXPECT_EQ(env_wins->max_batch, 42u);
  auto flag_wins = ParseServerConfig({"--max-batch=7"}, env);
  ASSERT_TRUE(flag_wins.ok()) << flag_wins.status();
  EXPECT_EQ(flag_wins->max_batch, 7u);
}

TEST_F(ConfigFileTest, AggregatorFlagsOverEnvironmentOverFile) {
  // A feed target is only parsed here, never dialled.
  std::string path = Write(
      "feed-target = 127.0.0.1:0\n"
      "feed-token-file = /file/feed.token\n"
      "query-token-file = /file/query.token\n"
      "data-dir = /file/cells\n"
      "listen = 127.0.0.1:0\n"
      "dev-plaintext = true\n");
  auto from_file = ParseAggregatorConfig({"--config", path}, kNoEnv);
  ASSERT_TRUE(from_file.ok()) << from_file.status();
  EXPECT_EQ(from_file->feed_target, "127.0.0.1:0");
  EXPECT_EQ(from_file->data_dir, "/file/cells");
  EXPECT_TRUE(from_file->dev_plaintext);
  std::map<std::string, std::string> env = {{"FIELDSYNC_CONFIG", path},
                                            {"FIELDSYNC_DATA_DIR", "/env/cells"}};
  auto env_wins = ParseAggregatorConfig({}, env);
  ASSERT_TRUE(env_wins.ok()) << env_wins.status();
  EXPECT_EQ(env_wins->data_dir, "/env/cells");
  EXPECT_EQ(env_wins->query_token_file, "/file/query.token");
  auto flag_wins = ParseAggregatorConfig({"--data-dir", "/flag/cells"}, env);
  ASSERT_TRUE(flag_wins.ok()) << flag_wins.status();
  EXPECT_EQ(flag_wins->data_dir, "/flag/cells");
  // A server setting is not an aggregator setting.
  auto unknown = ParseAggregatorConfig({"--config", Write("max-batch = 3\n")}, kNoEnv);
  EXPECT_NE(unknown.status().message().find("unknown setting 'max-batch'"), std::string::npos);
}

TEST(AggregatorConfigTest, RequiredSettingsAndPlaintextRules) {
  const std::vector<std::string> base = {
      "--feed-target", "127.0.0.1:1", "--feed-token-file", "f",          "--query-token-file", "q",
      "--data-dir",    "d",           "--listen",          "127.0.0.1:0"};
  auto plain = base;
  plain.push_back("--dev-plaintext");
  EXPECT_TRUE(ParseAggregatorConfig(plain, kNoEnv).ok());
  // Plaintext needs --dev-plaintext, and loopback on both sides.
  EXPECT_EQ(ParseAggregatorConfig(base, kNoEnv).status().code(),
            absl::StatusCode::kInvalidArgument);
  auto off_loopback = plain;
  off_loopback.insert(off_loopback.end(), {"--listen", "0.0.0.0:9"});
  EXPECT_NE(ParseAggregatorConfig(off_loopback, kNoEnv).status().message().find("loopback"),
            std::string::npos);
  auto half_tls = plain;
  half_tls.insert(half_tls.end(), {"--tls-cert-file", "c.pem"});
  EXPECT_NE(ParseAggregatorConfig(half_tls, kNoEnv).status().message().find("go together"),
            std::string::npos);
  auto missing = ParseAggregatorConfig({"--dev-plaintext", "--listen", "127.0.0.1:0"}, kNoEnv);
  EXPECT_NE(missing.status().message().find("--feed-target is required"), std::string::npos);
  // The environment fills a required setting as well as a flag does.
  std::vector<std::string> no_dir = {
      "--feed-target", "127.0.0.1:1", "--feed-token-file", "f", "--query-token-file", "q",
      "--listen",      "127.0.0.1:0", "--dev-plaintext"};
  EXPECT_EQ(ParseAggregatorConfig(no_dir, kNoEnv).status().code(),
            absl::StatusCode::kInvalidArgument);
  EXPECT_TRUE(ParseAggregatorConfig(no_dir, {{"FIELDSYNC_DATA_DIR", "/d"}}).ok());
}

TEST_F(ConfigFileTest, BadFilesNameTheLine) {
  auto unknown = ParseServerConfig({"--config", Write("dev-plaintext = 1\nno-such = 2\n")}, kNoEnv);
  EXPECT_EQ(unknown.status().code(), absl::StatusCode::kInvalidArgument);
  EXPECT_NE(unknown.status().message().find("fieldsyncd.conf:2: unknown setting 'no-such'"),
            std::string::npos)
      << unknown.status();
  auto no_eq = ParseServerConfig({"--config", Write("dev-plaintext\n")}, kNoEnv);
  EXPECT_NE(no_eq.status().message().find(":1: expected name = value"), std::string::npos);
  auto bad_value = ParseServerConfig({"--config", Write("max-batch = lots\n")}, kNoEnv);
  EXPECT_NE(bad_value.status().message().find(":1"), std::string::npos);
  auto nested = ParseServerConfig({"--config", Write("config = /etc/other\n")}, kNoEnv);
  EXPECT_EQ(nested.status().code(), absl::StatusCode::kInvalidArgument);
  auto missing = ParseServerConfig({"--config", dir_.path() + "/absent.conf"}, kNoEnv);
  EXPECT_EQ(missing.status().code(), absl::StatusCode::kInvalidArgument);
  auto level = ParseServerConfig({"--dev-plaintext", "--log-level", "loud"}, kNoEnv);
  EXPECT_EQ(level.status().code(), absl::StatusCode::kInvalidArgument);
}

TEST(ConfigTest, BadInputNamesTheFlag) {
  auto unknown = ParseServerConfig({"--dev-plaintext", "--no-such-flag", "1"}, kNoEnv);
  EXPECT_EQ(unknown.status().code(), absl::StatusCode::kInvalidArgument);
  EXPECT_NE(unknown.status().message().find("no-such-flag"), std::string::npos);
  auto not_number = ParseServerConfig({"--dev-plaintext", "--max-batch", "lots"}, kNoEnv);
  EXPECT_EQ(not_number.status().code(), absl::StatusCode::kInvalidArgument);
  EXPECT_NE(not_number.status().message().find("--max-batch"), std::string::npos);
  auto missing = ParseServerConfig({"--dev-plaintext", "--data-dir"}, kNoEnv);
  EXPECT_EQ(missing.status().code(), absl::StatusCode::kInvalidArgument);
  auto zero = ParseServerConfig({"--dev-plaintext", "--max-batch", "0"}, kNoEnv);
  EXPECT_EQ(zero.status().code(), absl::StatusCode::kInvalidArgument);
  auto bad_env = ParseServerConfig({"--dev-plaintext"}, {{"FIELDSYNC_MAX_BATCH", "x"}});
  EXPECT_NE(bad_env.status().message().find("FIELDSYNC_MAX_BATCH"), std::string::npos);
}

TEST(ConfigTest, DescribeListsEveryFlagWithoutSecrets) {
  auto c = ParseServerConfig(
      {"--dev-plaintext", "--tls-key-file", "/secret/key.pem", "--tls-cert-file", "/c.pem"},
      kNoEnv);
  ASSERT_TRUE(c.ok());
  const std::string d = DescribeConfig(*c);
  EXPECT_NE(d.find("data-dir="), std::string::npos);
  EXPECT_NE(d.find("max-changes-page=5000"), std::string::npos);
  // Key material is never read into the configuration: only its path appears.
  EXPECT_NE(d.find("tls-key-file=/secret/key.pem"), std::string::npos);
}

TEST(ConfigTest, LoopbackAddresses) {
  EXPECT_TRUE(IsLoopbackAddress("127.0.0.1:1"));
  EXPECT_TRUE(IsLoopbackAddress("127.8.9.10:0"));
  EXPECT_TRUE(IsLoopbackAddress("[::1]:7443"));
  EXPECT_TRUE(IsLoopbackAddress("localhost:7443"));
  EXPECT_FALSE(IsLoopbackAddress("0.0.0.0:7443"));
  EXPECT_FALSE(IsLoopbackAddress("[::]:7443"));
  EXPECT_FALSE(IsLoopbackAddress("10.0.0.1:7443"));
  EXPECT_FALSE(IsLoopbackAddress("127.example.org:7443"));
}

TEST(FormLoaderTest, ShippedFormsParseAndBadJsonIsInvalidArgument) {
  auto forms = LoadFormsDir(FIELDSYNC_SOURCE_DIR "/deploy/forms");
  ASSERT_TRUE(forms.ok()) << forms.status();
  // Two JSON forms and two XLSForms, by file name.
  ASSERT_EQ(forms->size(), 4u);
  EXPECT_EQ((*forms)[0].form_id, "border_crossing");
  EXPECT_EQ((*forms)[0].edit_policy, EditPolicy::kAppendOnly);
  EXPECT_EQ((*forms)[1].form_id, "border_flow_monitoring");
  EXPECT_EQ((*forms)[2].form_id, "displacement_household");
  EXPECT_EQ((*forms)[3].form_id, "dtm_household");
  EXPECT_EQ(ParseFormJson("{not json").status().code(), absl::StatusCode::kInvalidArgument);
  EXPECT_EQ(ParseFormJson(R"({"formId": "x", "fields": [{"name": "a"}]})").status().code(),
            absl::StatusCode::kInvalidArgument);  // a field without a type
  EXPECT_EQ(LoadFormsDir("/no/such/dir").status().code(), absl::StatusCode::kInvalidArgument);
}

}  // namespace
}  // namespace fieldsync
