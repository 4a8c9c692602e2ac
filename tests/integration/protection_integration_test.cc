// Integration tests of issue 5 part B against a real fieldsyncd on 127.0.0.1, port 0:
// pseudonymisation of pii fields (nothing in plaintext in the RocksDB files, the feed, the
// quarantine or the log), the abuse limits (each exceeded while another device keeps being
// served) and TLS (certificate reload, mutual TLS).
#include <signal.h>
#include <sys/wait.h>

#include <chrono>
#include <cstdlib>
#include <filesystem>
#include <fstream>
#include <sstream>
#include <thread>

#include "absl/strings/ascii.h"
#include "gmock/gmock.h"
#include "google/rpc/error_details.pb.h"
#include "google/rpc/status.pb.h"
#include "grpc/health/v1/health.grpc.pb.h"
#include "gtest/gtest.h"
#include "tests/testing/server_process.h"
#include "tests/testing/server_test.h"
#include "tests/testing/temp_dir.h"
#include "tests/testing/test_client.h"

namespace fieldsync::testing {
namespace {

using ::testing::ElementsAre;
using ::testing::HasSubstr;
using ::testing::StartsWith;

constexpr char kDocument[] = "XK-4471-PLAINTEXT";
constexpr char kRejectedDocument[] = "QZ-9031-QUARANTINED";
constexpr char kControl[] = "CONTROL-MARKER-5518";  // a non-pii value: must be found

class ProtectionTest : public ServerTest {
 protected:
  void StartServer(std::vector<std::string> flags = {}) {
    server_ = std::make_unique<ServerProcess>(dir_.Sub("db"), std::move(flags));
    ninewa_ = server_->AddDevice({"tab-ninewa", "enumerator", {"governorate=Ninewa"}});
    anbar_ = server_->AddDevice({"tab-anbar", "enumerator", {"governorate=Anbar"}});
    post1_ = server_->AddDevice({"post-1", "border_officer", {"border_point=BP-001"}});
    admin_ = server_->AddDevice({"admin", "admin", {}, true});
    feed_ = server_->AddDevice({"aggregator", "feed_reader", {}, true});
    ASSERT_TRUE(server_->Start()) << server_->log();
  }

  std::string ninewa_, anbar_, post1_, admin_, feed_;
};

std::vector<v1::Outcome> Outcomes(const std::vector<v1::Receipt>& rs) {
  std::vector<v1::Outcome> out;
  for (const auto& r : rs) out.push_back(r.outcome());
  return out;
}

v1::Mutation Crossing(uint64_t seq, const std::string& id, const std::string& document,
                      int64_t group_size = 2, const std::string& notes = kControl) {
  return MakeMutation({seq,
                       id,
                       "border_crossing",
                       0,
                       {{"border_point", Text("BP-001")},
                        {"crossing_date", Text("2026-11-21")},
                        {"direction", Text("entry")},
                        {"nationality", Text("SYR")},
                        {"group_size", Int(group_size)},
                        {"document_number", Text(document)},
                        {"notes", Text(notes)}}});
}

std::string ReadAll(const std::string& path) {
  std::ifstream in(path, std::ios::binary);
  std::stringstream ss;
  ss << in.rdbuf();
  return ss.str();
}

// Every byte of every file under `dir`, concatenated (RocksDB WAL, SSTs, MANIFEST, ...).
std::string RawContents(const std::string& dir) {
  std::string all;
  for (const auto& e : std::filesystem::recursive_directory_iterator(dir)) {
    if (e.is_regular_file()) all += ReadAll(e.path().string());
  }
  return all;
}

bool Contains(const std::string& haystack, const std::string& needle) {
  return haystack.find(needle) != std::string::npos ||
         absl::AsciiStrToLower(haystack).find(absl::AsciiStrToLower(needle)) != std::string::npos;
}

// google.rpc.RetryInfo's delay in ms from a status's details, -1 if none.
int64_t RetryDelayMs(const grpc::Status& s) {
  google::rpc::Status st;
  if (!st.ParseFromString(s.error_details())) return -1;
  for (const auto& any : st.details()) {
    google::rpc::RetryInfo retry;
    if (any.UnpackTo(&retry)) {
      return retry.retry_delay().seconds() * 1000 + retry.retry_delay().nanos() / 1'000'000;
    }
  }
  return -1;
}

// ---- Pseudonymisation -------------------------------------------------------------------

TEST_F(ProtectionTest, PiiValuesArePseudonymisedEverywhereAndNeverStoredInPlaintext) {
  StartServer();
  TestClient post = Client(post1_);
  std::vector<v1::Receipt> r;
  ASSERT_TRUE(post.PushOne({Crossing(1, "cx-1", kDocument),
                            // group_size 0 is invalid: REJECTED and quarantined
                            Crossing(2, "cx-bad", kRejectedDocument, 0)},
                           &r)
                  .ok());
  ASSERT_THAT(Outcomes(r), ElementsAre(v1::APPLIED, v1::REJECTED));

  // What devices and the feed see is the pseudonym.
  auto pulled = ById(post.Pull("").records);
  ASSERT_EQ(pulled.count("cx-1"), 1u);
  const std::string pseudonym = pulled["cx-1"].fields().at("document_number").text();
  EXPECT_THAT(pseudonym, StartsWith("h:"));
  EXPECT_EQ(pseudonym.size(), 54u);
  EXPECT_EQ(pulled["cx-1"].fields().at("notes").text(), kControl);
  std::vector<v1::Change> changes;
  uint64_t head = 0;
  ASSERT_TRUE(Client(feed_).Changes(1, &changes, &head).ok());
  ASSERT_FALSE(changes.empty());
  EXPECT_THAT(changes[0].ShortDebugString(), HasSubstr(pseudonym));
  EXPECT_FALSE(Contains(changes[0].ShortDebugString(), kDocument));

  // Killed before any flush: everything is in the (uncompressed) WAL. The scan finds the
  // non-pii control value, so it would find the document numbers if they were there.
  server_->Kill();
  std::string raw = RawContents(server_->data_dir());
  EXPECT_TRUE(Contains(raw, kControl));
  EXPECT_TRUE(Contains(raw, pseudonym));
  EXPECT_FALSE(Contains(raw, kDocument));
  EXPECT_FALSE(Contains(raw, kRejectedDocument));
  EXPECT_FALSE(Contains(server_->log(), kDocument));
  EXPECT_FALSE(Contains(server_->log(), kRejectedDocument));

  // After recovery, a clean stop flushes to SST files: still no plaintext.
  ASSERT_TRUE(server_->Start()) << server_->log();
  EXPECT_EQ(ById(Client(post1_).Pull("").records)["cx-1"].fields().at("document_number").text(),
            pseudonym);
  server_->Stop(SIGTERM);
  raw = RawContents(server_->data_dir());
  EXPECT_FALSE(Contains(raw, kDocument));
  EXPECT_FALSE(Contains(raw, kRejectedDocument));
}

TEST_F(ProtectionTest, SameTravellerSamePseudonymAndAppendOnlyDuplicatesStillDetected) {
  StartServer();
  TestClient post = Client(post1_);
  std::vector<v1::Receipt> r;
  ASSERT_TRUE(post.PushOne({Crossing(1, "cx-1", "AB 123456"),
                            // the same crossing again, typed differently: a duplicate
                            Crossing(2, "cx-1", "  ab   123456 "),
                            // the same traveller crossing again (another record)
                            Crossing(3, "cx-2", "ab 123456"),
                            // the first record with another document: a conflict
                            Crossing(4, "cx-1", "AB 999999")},
                           &r)
                  .ok());
  ASSERT_THAT(Outcomes(r), ElementsAre(v1::APPLIED, v1::DUPLICATE, v1::APPLIED, v1::CONFLICT));
  EXPECT_EQ(r[1].content_hash(), r[0].content_hash());
  auto pulled = ById(post.Pull("").records);
  const std::string p1 = pulled["cx-1"].fields().at("document_number").text();
  EXPECT_EQ(pulled["cx-2"].fields().at("document_number").text(), p1);
  // A device echoing the pseudonym it pulled is not hashed twice: still a duplicate.
  v1::Mutation echo = Crossing(5, "cx-2", p1);
  ASSERT_TRUE(post.PushOne({echo}, &r).ok());
  EXPECT_EQ(r.back().outcome(), v1::DUPLICATE);
}

TEST_F(ProtectionTest, RefusesToStartWithoutAUsablePiiKey) {
  // The example forms have pii fields; an explicitly empty key file means "no key".
  server_ =
      std::make_unique<ServerProcess>(dir_.Sub("db"), std::vector<std::string>{"--pii-key-file="});
  EXPECT_FALSE(server_->Start());
  EXPECT_THAT(server_->log(), HasSubstr("--pii-key-file"));
  EXPECT_THAT(server_->log(), HasSubstr("document_number"));

  server_ = std::make_unique<ServerProcess>(
      dir_.Sub("db2"), std::vector<std::string>{"--pii-key-file", dir_.Sub("missing.key")});
  EXPECT_FALSE(server_->Start());
  EXPECT_THAT(server_->log(), HasSubstr("cannot read the pii key file"));

  const std::string short_key = dir_.Sub("short.key");
  std::ofstream(short_key) << "too-short-secret\n";
  server_ = std::make_unique<ServerProcess>(dir_.Sub("db3"),
                                            std::vector<std::string>{"--pii-key-file", short_key});
  EXPECT_FALSE(server_->Start());
  EXPECT_THAT(server_->log(), HasSubstr("at least 32 bytes"));
  EXPECT_THAT(server_->log(), ::testing::Not(HasSubstr("too-short-secret")));
}

TEST_F(ProtectionTest, PublishingAPiiFormWithoutKeyIsAFailedPrecondition) {
  std::filesystem::create_directories(dir_.Sub("no-forms"));
  StartServer({"--pii-key-file=", "--forms-dir", dir_.Sub("no-forms")});
  v1::Form form;
  form.set_form_id("traveller_log");
  form.set_version(1);
  auto* bp = form.add_fields();
  bp->set_name("border_point");
  bp->set_type(v1::STRING);
  auto* doc = form.add_fields();
  doc->set_name("passport");
  doc->set_type(v1::STRING);
  doc->set_pii(true);
  TestClient admin = Client(admin_);
  bool created = false;
  grpc::Status s = admin.PublishForm(form, &created);
  EXPECT_EQ(s.error_code(), grpc::StatusCode::FAILED_PRECONDITION);
  EXPECT_THAT(s.error_message(), HasSubstr("pii"));
  EXPECT_THAT(s.error_message(), HasSubstr("passport"));
  // Without the pii field the same form is accepted.
  form.mutable_fields()->RemoveLast();
  EXPECT_TRUE(admin.PublishForm(form, &created).ok());
  EXPECT_TRUE(created);
}

// ---- Abuse limits -----------------------------------------------------------------------

TEST_F(ProtectionTest, ConcurrentStreamsPerDeviceAreLimitedAndFreedOnCancel) {
  StartServer({"--max-streams-per-device", "2"});
  TestClient tablet = Client(ninewa_);
  // Two open Push streams, each known to the server (one empty round trip).
  std::vector<std::unique_ptr<grpc::ClientContext>> ctxs;
  std::vector<std::unique_ptr<grpc::ClientReaderWriter<v1::PushRequest, v1::PushResponse>>> open;
  for (int i = 0; i < 2; ++i) {
    ctxs.push_back(tablet.Context());
    open.push_back(tablet.sync()->Push(ctxs.back().get()));
    v1::PushResponse resp;
    ASSERT_TRUE(open.back()->Write(v1::PushRequest()));
    ASSERT_TRUE(open.back()->Read(&resp));
  }
  // A third stream (Pull) of the same device is refused, with a retry hint.
  PullResult third = tablet.Pull("", {}, 10);
  EXPECT_EQ(third.status.error_code(), grpc::StatusCode::RESOURCE_EXHAUSTED);
  EXPECT_GT(RetryDelayMs(third.status), 0);
  // Another device is served meanwhile.
  std::vector<v1::Receipt> r;
  ASSERT_TRUE(Client(anbar_).PushOne({HouseholdCreate(1, "hh-anbar", "Anbar")}, &r).ok());
  EXPECT_TRUE(Client(anbar_).Pull("").status.ok());

  // Cancelling one stream frees its slot.
  ctxs[0]->TryCancel();
  open[0]->Finish();
  const auto deadline = std::chrono::steady_clock::now() + std::chrono::seconds(20);
  grpc::Status again;
  do {
    again = tablet.Pull("", {}, 10).status;
    if (again.ok()) break;
    std::this_thread::sleep_for(std::chrono::milliseconds(20));  // polling a real server
  } while (std::chrono::steady_clock::now() < deadline);
  EXPECT_TRUE(again.ok()) << again.error_message();
  open[1]->WritesDone();
  EXPECT_TRUE(open[1]->Finish().ok());
}

TEST_F(ProtectionTest, RequestRatePerDeviceIsLimitedWithARetryDelay) {
  StartServer({"--max-requests-per-second", "1", "--request-burst", "3"});
  TestClient tablet = Client(ninewa_);
  const auto t0 = std::chrono::steady_clock::now();
  int ok = 0, exhausted = 0;
  int64_t delay = -1;
  for (int i = 0; i < 10; ++i) {
    v1::ListReceiptsResponse resp;
    grpc::Status s = tablet.ListReceipts(0, &resp);
    if (s.ok()) {
      ++ok;
    } else {
      EXPECT_EQ(s.error_code(), grpc::StatusCode::RESOURCE_EXHAUSTED) << s.error_message();
      ++exhausted;
      delay = RetryDelayMs(s);
    }
  }
  const auto elapsed_s =
      std::chrono::duration_cast<std::chrono::seconds>(std::chrono::steady_clock::now() - t0)
          .count();
  EXPECT_GE(ok, 3);
  EXPECT_LE(ok, 3 + elapsed_s + 1);
  EXPECT_GT(exhausted, 0);
  EXPECT_GT(delay, 0);
  EXPECT_LE(delay, 1000);
  // Another device has its own budget.
  v1::ListReceiptsResponse resp;
  EXPECT_TRUE(Client(anbar_).ListReceipts(0, &resp).ok());

  // Batches on one Push stream count too.
  TestClient other = Client(anbar_);
  std::vector<std::vector<v1::Mutation>> batches;
  for (int i = 1; i <= 6; ++i)
    batches.push_back({HouseholdCreate(i, "r-" + std::to_string(i), "Anbar")});
  std::vector<v1::Receipt> receipts;
  grpc::Status s = other.Push(batches, &receipts);
  EXPECT_EQ(s.error_code(), grpc::StatusCode::RESOURCE_EXHAUSTED);
  EXPECT_LT(receipts.size(), 6u);
}

TEST_F(ProtectionTest, MessageSizeLimitAppliesAfterDecompression) {
  StartServer({"--max-message-bytes", "65536"});
  TestClient tablet = Client(ninewa_);
  auto push_one = [&](const std::string& notes, bool gzip, uint64_t seq) {
    v1::Mutation m = HouseholdCreate(seq, "big-" + std::to_string(seq), "Ninewa");
    (*m.mutable_fields())["notes"] = Text(notes);
    auto ctx = tablet.Context();
    if (gzip) ctx->set_compression_algorithm(GRPC_COMPRESS_GZIP);
    auto stream = tablet.sync()->Push(ctx.get());
    v1::PushRequest req;
    *req.add_mutations() = m;
    stream->Write(req);
    v1::PushResponse resp;
    stream->Read(&resp);
    stream->WritesDone();
    return stream->Finish();
  };
  // 200 KB of one repeated letter: gzip makes it a few hundred bytes on the wire, but the
  // decompressed message is over the limit.
  const std::string huge(200'000, 'a');
  EXPECT_EQ(push_one(huge, /*gzip=*/false, 1).error_code(), grpc::StatusCode::RESOURCE_EXHAUSTED);
  EXPECT_EQ(push_one(huge, /*gzip=*/true, 1).error_code(), grpc::StatusCode::RESOURCE_EXHAUSTED);
  // Compressed messages under the limit are fine (the failure above is the size, not gzip).
  EXPECT_TRUE(push_one("short note", /*gzip=*/true, 1).ok());
  // Another device is served.
  std::vector<v1::Receipt> r;
  ASSERT_TRUE(Client(anbar_).PushOne({HouseholdCreate(1, "hh-a", "Anbar")}, &r).ok());
  EXPECT_THAT(Outcomes(r), ElementsAre(v1::APPLIED));
}

TEST_F(ProtectionTest, BatchAndPageLimits) {
  StartServer({"--max-batch", "5", "--max-pull-records", "3", "--pull-page", "2",
               "--max-receipts-page", "2"});
  TestClient tablet = Client(ninewa_);
  std::vector<v1::Mutation> six;
  for (int i = 1; i <= 6; ++i)
    six.push_back(HouseholdCreate(i, "b-" + std::to_string(i), "Ninewa"));
  std::vector<v1::Receipt> r;
  grpc::Status s = tablet.PushOne(six, &r);
  EXPECT_EQ(s.error_code(), grpc::StatusCode::INVALID_ARGUMENT);
  EXPECT_THAT(BadRequestFields(s), ElementsAre("mutations"));
  six.pop_back();
  ASSERT_TRUE(tablet.PushOne(six, &r).ok());
  ASSERT_EQ(r.size(), 5u);
  // A pull asking for a million gets max-pull-records, in pages of pull-page.
  PullResult pull = tablet.Pull("", {}, 1'000'000);
  ASSERT_TRUE(pull.status.ok());
  EXPECT_EQ(pull.records.size(), 3u);
  EXPECT_EQ(pull.pages, 2);
  EXPECT_TRUE(pull.has_more);
  v1::ListReceiptsResponse receipts;
  ASSERT_TRUE(tablet.ListReceipts(0, &receipts).ok());
  EXPECT_EQ(receipts.receipts_size(), 2);
  // Another device is served.
  ASSERT_TRUE(Client(anbar_).PushOne({HouseholdCreate(1, "hh-a", "Anbar")}, &r).ok());
}

// ---- TLS --------------------------------------------------------------------------------

std::string MakeCerts(const std::string& dir, const std::string& client = "") {
  const std::string script = FormsDir() + "/../../scripts/dev-cert.sh";
  std::string cmd = "'" + script + "' '" + dir + "'";
  if (!client.empty()) cmd += " '" + client + "'";
  EXPECT_EQ(std::system((cmd + " >/dev/null").c_str()), 0);
  return ReadAll(dir + "/server.crt");
}

// A health check over a fresh TLS connection.
grpc::Status TlsHealthCheck(const std::string& target, const grpc::SslCredentialsOptions& opts) {
  grpc::ChannelArguments args;
  args.SetInt(GRPC_ARG_USE_LOCAL_SUBCHANNEL_POOL, 1);
  auto channel = grpc::CreateCustomChannel(target, grpc::SslCredentials(opts), args);
  auto health = grpc::health::v1::Health::NewStub(channel);
  grpc::ClientContext ctx;
  ctx.set_deadline(std::chrono::system_clock::now() + std::chrono::seconds(5));
  grpc::health::v1::HealthCheckResponse resp;
  return health->Check(&ctx, grpc::health::v1::HealthCheckRequest(), &resp);
}

TEST_F(ProtectionTest, MutualTlsRequiresAClientCertificateFromTheClientCa) {
  const std::string certs = dir_.Sub("certs");
  const std::string server_cert = MakeCerts(certs, "post-1");
  MakeCerts(dir_.Sub("rogue"), "post-1");  // same name, another client CA
  StartServer({"--tls-cert-file", certs + "/server.crt", "--tls-key-file", certs + "/server.key",
               "--tls-client-ca-file", certs + "/client-ca.crt"});
  grpc::SslCredentialsOptions no_client_cert;
  no_client_cert.pem_root_certs = server_cert;
  EXPECT_EQ(TlsHealthCheck(server_->target(), no_client_cert).error_code(),
            grpc::StatusCode::UNAVAILABLE);
  grpc::SslCredentialsOptions rogue = no_client_cert;
  rogue.pem_private_key = ReadAll(dir_.Sub("rogue") + "/post-1.key");
  rogue.pem_cert_chain = ReadAll(dir_.Sub("rogue") + "/post-1.crt");
  EXPECT_EQ(TlsHealthCheck(server_->target(), rogue).error_code(), grpc::StatusCode::UNAVAILABLE);
  // A client that does not trust the server's certificate fails even with a good client cert.
  grpc::SslCredentialsOptions untrusting;
  untrusting.pem_root_certs = ReadAll(dir_.Sub("rogue") + "/server.crt");
  untrusting.pem_private_key = ReadAll(certs + "/post-1.key");
  untrusting.pem_cert_chain = ReadAll(certs + "/post-1.crt");
  EXPECT_EQ(TlsHealthCheck(server_->target(), untrusting).error_code(),
            grpc::StatusCode::UNAVAILABLE);

  grpc::SslCredentialsOptions good = no_client_cert;
  good.pem_private_key = ReadAll(certs + "/post-1.key");
  good.pem_cert_chain = ReadAll(certs + "/post-1.crt");
  EXPECT_TRUE(TlsHealthCheck(server_->target(), good).ok());
  // The bearer token is still required on top of the client certificate.
  TestClient post(server_->target(), post1_, grpc::SslCredentials(good));
  std::vector<v1::Receipt> r;
  ASSERT_TRUE(post.PushOne({CrossingCreate(1, "tls-cx", "BP-001")}, &r).ok());
  EXPECT_THAT(Outcomes(r), ElementsAre(v1::APPLIED));
  TestClient no_token(server_->target(), "", grpc::SslCredentials(good));
  EXPECT_EQ(no_token.Pull("").status.error_code(), grpc::StatusCode::UNAUTHENTICATED);
}

TEST_F(ProtectionTest, ReplacedCertificateFilesAreServedToNewConnections) {
  const std::string old_cert = MakeCerts(dir_.Sub("old"));
  const std::string new_cert = MakeCerts(dir_.Sub("new"));
  const std::string live = dir_.Sub("live");
  std::filesystem::create_directories(live);
  std::filesystem::copy_file(dir_.Sub("old") + "/server.crt", live + "/server.crt");
  std::filesystem::copy_file(dir_.Sub("old") + "/server.key", live + "/server.key");
  StartServer({"--tls-cert-file", live + "/server.crt", "--tls-key-file", live + "/server.key",
               "--tls-reload-interval-s", "1"});
  grpc::SslCredentialsOptions trusts_old, trusts_new;
  trusts_old.pem_root_certs = old_cert;
  trusts_new.pem_root_certs = new_cert;
  ASSERT_TRUE(TlsHealthCheck(server_->target(), trusts_old).ok());
  EXPECT_EQ(TlsHealthCheck(server_->target(), trusts_new).error_code(),
            grpc::StatusCode::UNAVAILABLE);

  // Replace both files (each by an atomic rename, as certificate tools do).
  std::filesystem::copy_file(dir_.Sub("new") + "/server.key", live + "/server.key.tmp");
  std::filesystem::copy_file(dir_.Sub("new") + "/server.crt", live + "/server.crt.tmp");
  std::filesystem::rename(live + "/server.key.tmp", live + "/server.key");
  std::filesystem::rename(live + "/server.crt.tmp", live + "/server.crt");
  const auto deadline = std::chrono::steady_clock::now() + std::chrono::seconds(20);
  grpc::Status s;
  do {
    s = TlsHealthCheck(server_->target(), trusts_new);
    if (s.ok()) break;
    std::this_thread::sleep_for(std::chrono::milliseconds(100));  // the reload is periodic
  } while (std::chrono::steady_clock::now() < deadline);
  EXPECT_TRUE(s.ok()) << s.error_message();
  EXPECT_EQ(TlsHealthCheck(server_->target(), trusts_old).error_code(),
            grpc::StatusCode::UNAVAILABLE);
}

}  // namespace
}  // namespace fieldsync::testing
