// AttachmentService over real gRPC against a real fieldsyncd on 127.0.0.1 port 0: resumable
// chunked uploads (a cut upload resumes without re-sending a byte the server read, counted on
// the server by /metrics), deduplication, bounds and bad input with their details, and
// scope-checked downloads through the records that reference a blob.
#include <httplib.h>

#include <chrono>
#include <random>
#include <thread>

#include "absl/strings/str_replace.h"
#include "fieldsync/v1/attachment.grpc.pb.h"
#include "gtest/gtest.h"
#include "server/common/attachment_ref.h"
#include "server/common/hash.h"
#include "tests/testing/server_test.h"

namespace fieldsync::testing {
namespace {

constexpr size_t kChunk = 256 << 10;

std::string Bytes(size_t n, uint32_t seed) {
  std::mt19937 rng(seed);
  std::string out(n, '\0');
  for (char& c : out) c = static_cast<char>(rng() & 0xff);
  return out;
}

using UploadStream = grpc::ClientReaderWriter<v1::UploadRequest, v1::UploadResponse>;

class AttachmentIntegrationTest : public ServerTest {
 protected:
  void SetUp() override {
    server_ = std::make_unique<ServerProcess>(
        dir_.Sub("data"), std::vector<std::string>{"--max-attachment-bytes=4194304",
                                                   "--attachment-quota-bytes=8388608"});
    ninewa_ = server_->AddDevice({"tab-ninewa", "enumerator", {"governorate=Ninewa"}});
    ninewa2_ = server_->AddDevice({"tab-ninewa-2", "enumerator", {"governorate=Ninewa"}});
    anbar_ = server_->AddDevice({"tab-anbar", "enumerator", {"governorate=Anbar"}});
    ASSERT_TRUE(server_->Start()) << server_->log();
  }

  std::unique_ptr<v1::AttachmentService::Stub> Stub(const TestClient& c) {
    return v1::AttachmentService::NewStub(c.channel());
  }

  // Opens an upload of `hash`/`size`, retrying while another stream still holds the blob
  // (a cut stream the server has not finished with yet); returns the first answer.
  std::unique_ptr<UploadStream> Open(TestClient& c, v1::AttachmentService::Stub* stub,
                                     std::unique_ptr<grpc::ClientContext>* ctx,
                                     const std::string& hash, uint64_t size,
                                     v1::UploadResponse* first, grpc::Status* status) {
    const auto deadline = std::chrono::steady_clock::now() + std::chrono::seconds(10);
    while (true) {
      *ctx = c.Context();
      auto stream = stub->Upload(ctx->get());
      v1::UploadRequest req;
      req.set_hash(hash);
      req.set_size(size);
      stream->Write(req);
      if (stream->Read(first)) return stream;
      stream->WritesDone();
      *status = stream->Finish();
      if (status->error_code() != grpc::StatusCode::UNAVAILABLE ||
          std::chrono::steady_clock::now() > deadline) {
        return nullptr;
      }
      std::this_thread::sleep_for(std::chrono::milliseconds(20));
    }
  }

  // Sends data[from, size) and finishes; returns the status and the last answer.
  grpc::Status SendRest(UploadStream* stream, const std::string& data, uint64_t from,
                        v1::UploadResponse* last) {
    for (uint64_t pos = from; pos < data.size(); pos += kChunk) {
      v1::UploadRequest req;
      req.set_offset(pos);
      req.set_data(data.substr(pos, kChunk));
      if (!stream->Write(req)) break;
    }
    stream->WritesDone();
    v1::UploadResponse resp;
    while (stream->Read(&resp)) *last = resp;
    return stream->Finish();
  }

  // Uploads `data` whole on one stream.
  grpc::Status Upload(const std::string& token, const std::string& data, v1::UploadResponse* last,
                      std::string hash = "") {
    TestClient c = Client(token);
    auto stub = Stub(c);
    std::unique_ptr<grpc::ClientContext> ctx;
    grpc::Status status;
    if (hash.empty()) hash = Sha256Hex(data);
    auto stream = Open(c, stub.get(), &ctx, hash, data.size(), last, &status);
    if (!stream) return status;
    if (last->complete()) {
      stream->WritesDone();
      return stream->Finish();
    }
    return SendRest(stream.get(), data, last->durable_offset(), last);
  }

  double Metric(const std::string& name) {
    httplib::Client http("127.0.0.1", server_->admin_port());
    auto res = http.Get("/metrics");
    if (!res) return -1;
    const std::string& body = res->body;
    size_t at = body.find("\n" + name + " ");
    if (at == std::string::npos) return -1;
    return std::stod(body.substr(at + name.size() + 2));
  }

  // Pushes a household in `governorate` whose photo references `data`.
  void PushHouseholdWithPhoto(const std::string& token, uint64_t seq, const std::string& id,
                              const std::string& governorate, const std::string& data) {
    v1::Mutation m = HouseholdCreate(seq, id, governorate);
    AttachmentRef ref{Sha256Hex(data), data.size(), "image/jpeg", "shelter 1.jpg"};
    (*m.mutable_fields())["photo"] = Text(FormatAttachmentRef(ref));
    std::vector<v1::Receipt> receipts;
    TestClient c = Client(token);
    ASSERT_TRUE(c.PushOne({m}, &receipts).ok());
    ASSERT_EQ(receipts.size(), 1u);
    ASSERT_EQ(receipts[0].outcome(), v1::APPLIED) << receipts[0].DebugString();
  }

  grpc::Status Download(const std::string& token, const std::string& record_id, uint64_t offset,
                        std::string* out, v1::DownloadResponse* first = nullptr,
                        const std::string& hash = "") {
    TestClient c = Client(token);
    auto stub = Stub(c);
    auto ctx = c.Context();
    v1::DownloadRequest req;
    req.set_record_id(record_id);
    req.set_field("photo");
    req.set_offset(offset);
    req.set_hash(hash);
    auto reader = stub->Download(ctx.get(), req);
    v1::DownloadResponse resp;
    out->clear();
    bool is_first = true;
    while (reader->Read(&resp)) {
      if (is_first && first != nullptr) *first = resp;
      is_first = false;
      EXPECT_EQ(resp.offset(), offset + out->size());
      out->append(resp.data());
    }
    return reader->Finish();
  }

  std::string ninewa_, ninewa2_, anbar_;
};

TEST_F(AttachmentIntegrationTest, ACutUploadResumesWithoutResendingBytesTheServerRead) {
  const std::string data = Bytes(3 << 20, 1);
  const std::string hash = Sha256Hex(data);
  TestClient c = Client(ninewa_);
  auto stub = Stub(c);
  std::unique_ptr<grpc::ClientContext> ctx;
  grpc::Status status;
  v1::UploadResponse resp;
  auto stream = Open(c, stub.get(), &ctx, hash, data.size(), &resp, &status);
  ASSERT_TRUE(stream) << status.error_message();
  EXPECT_EQ(resp.durable_offset(), 0u);
  EXPECT_EQ(resp.max_chunk_bytes(), 1u << 20);
  // Five chunks; wait until the server says the first MiB is durable, then cut the stream.
  for (uint64_t pos = 0; pos < 5 * kChunk; pos += kChunk) {
    v1::UploadRequest req;
    req.set_offset(pos);
    req.set_data(data.substr(pos, kChunk));
    ASSERT_TRUE(stream->Write(req));
  }
  ASSERT_TRUE(stream->Read(&resp));
  EXPECT_EQ(resp.durable_offset(), 1u << 20);
  EXPECT_FALSE(resp.complete());
  ctx->TryCancel();
  stream->Finish();

  // The resumed upload starts where the server's bytes end, at least the acknowledged MiB.
  auto resumed = Open(c, stub.get(), &ctx, hash, data.size(), &resp, &status);
  ASSERT_TRUE(resumed) << status.error_message();
  const uint64_t from = resp.durable_offset();
  EXPECT_GE(from, 1u << 20);
  EXPECT_LE(from, 5 * kChunk);
  ASSERT_TRUE(SendRest(resumed.get(), data, from, &resp).ok());
  EXPECT_TRUE(resp.complete());
  EXPECT_EQ(resp.durable_offset(), data.size());

  // Every byte crossed into the server once: none was sent again after the cut.
  EXPECT_EQ(Metric("fieldsync_attachment_bytes_received_total"), static_cast<double>(data.size()));
  EXPECT_EQ(Metric("fieldsync_attachment_upload_resumes_total"), 1);
  EXPECT_EQ(Metric("fieldsync_attachments_stored_total"), 1);
  v1::StatRequest sreq;
  sreq.set_hash(hash);
  v1::StatResponse sresp;
  auto sctx = c.Context();
  ASSERT_TRUE(stub->Stat(sctx.get(), sreq, &sresp).ok());
  EXPECT_EQ(sresp.state(), v1::StatResponse::COMPLETE);
  EXPECT_EQ(sresp.size(), data.size());
}

TEST_F(AttachmentIntegrationTest, ABlobTheServerHoldsIsAcknowledgedWithoutItsBytes) {
  const std::string data = Bytes(600'000, 2);
  v1::UploadResponse last;
  ASSERT_TRUE(Upload(ninewa_, data, &last).ok());
  ASSERT_TRUE(last.complete());
  v1::UploadResponse again;
  ASSERT_TRUE(Upload(anbar_, data, &again).ok());
  EXPECT_TRUE(again.complete());
  EXPECT_EQ(again.durable_offset(), data.size());
  EXPECT_EQ(Metric("fieldsync_attachment_bytes_received_total"), static_cast<double>(data.size()));
  EXPECT_EQ(Metric("fieldsync_attachments_stored_total"), 1);
}

TEST_F(AttachmentIntegrationTest, BadInputAndBoundsSayWhichFieldAndWhy) {
  const std::string data = Bytes(300'000, 3);
  v1::UploadResponse last;
  // Content that is not what its hash says.
  grpc::Status s = Upload(ninewa_, data, &last, Sha256Hex("something else"));
  EXPECT_EQ(s.error_code(), grpc::StatusCode::INVALID_ARGUMENT);
  EXPECT_EQ(BadRequestFields(s), std::vector<std::string>{"hash"}) << s.error_message();
  // Not a hash at all.
  s = Upload(ninewa_, data, &last, "not-a-hash");
  EXPECT_EQ(BadRequestFields(s), std::vector<std::string>{"hash"});
  // Larger than --max-attachment-bytes.
  TestClient c = Client(ninewa_);
  auto stub = Stub(c);
  std::unique_ptr<grpc::ClientContext> ctx;
  auto stream = Open(c, stub.get(), &ctx, Sha256Hex("x"), (4 << 20) + 1, &last, &s);
  ASSERT_FALSE(stream);
  EXPECT_EQ(s.error_code(), grpc::StatusCode::INVALID_ARGUMENT);
  EXPECT_EQ(BadRequestFields(s), std::vector<std::string>{"size"});
  EXPECT_NE(s.error_message().find("4194304"), std::string::npos) << s.error_message();

  // A chunk at the wrong offset, a chunk too big, data past the end.
  auto check_chunk = [&](uint64_t offset, size_t bytes, const std::string& field) {
    const std::string blob = Bytes(2 << 20, 4);
    std::unique_ptr<grpc::ClientContext> cctx;
    grpc::Status status;
    v1::UploadResponse first;
    auto up = Open(c, stub.get(), &cctx, Sha256Hex(blob), 1 << 20, &first, &status);
    ASSERT_TRUE(up) << status.error_message();
    v1::UploadRequest req;
    req.set_offset(offset);
    req.set_data(blob.substr(0, bytes));
    up->Write(req);
    up->WritesDone();
    while (up->Read(&first)) {
    }
    status = up->Finish();
    EXPECT_EQ(status.error_code(), grpc::StatusCode::INVALID_ARGUMENT) << field;
    EXPECT_EQ(BadRequestFields(status), std::vector<std::string>{field});
  };
  check_chunk(10, 100, "offset");
  check_chunk(0, (1 << 20) + 1, "data");

  // The device's quota: two reserved 4 MiB uploads fill its 8 MiB, a third is refused.
  c = Client(ninewa2_);
  stub = Stub(c);
  for (uint32_t i = 0; i < 2; ++i) {
    std::unique_ptr<grpc::ClientContext> qctx;
    auto up = Open(c, stub.get(), &qctx, Sha256Hex(std::to_string(i)), 4 << 20, &last, &s);
    ASSERT_TRUE(up) << s.error_message();
    up->WritesDone();
    while (up->Read(&last)) {
    }
    ASSERT_TRUE(up->Finish().ok());
  }
  stream = Open(c, stub.get(), &ctx, Sha256Hex("third"), 1000, &last, &s);
  ASSERT_FALSE(stream);
  EXPECT_EQ(s.error_code(), grpc::StatusCode::RESOURCE_EXHAUSTED);
  EXPECT_NE(s.error_message().find("quota is 8388608"), std::string::npos) << s.error_message();

  v1::StatRequest sreq;
  sreq.set_hash("ZZ");
  v1::StatResponse sresp;
  auto sctx = c.Context();
  s = stub->Stat(sctx.get(), sreq, &sresp);
  EXPECT_EQ(s.error_code(), grpc::StatusCode::INVALID_ARGUMENT);
  EXPECT_EQ(BadRequestFields(s), std::vector<std::string>{"hash"});
}

TEST_F(AttachmentIntegrationTest, DownloadsGoThroughARecordInTheCallersScopes) {
  const std::string data = Bytes(700'000, 5);
  PushHouseholdWithPhoto(ninewa_, 1, "hh-photo-1", "Ninewa", data);
  std::string got;
  // The record arrived before its blob: nothing to download yet.
  grpc::Status s = Download(ninewa2_, "hh-photo-1", 0, &got);
  EXPECT_EQ(s.error_code(), grpc::StatusCode::NOT_FOUND) << s.error_message();

  v1::UploadResponse last;
  ASSERT_TRUE(Upload(ninewa_, data, &last).ok());
  v1::DownloadResponse first;
  ASSERT_TRUE(Download(ninewa2_, "hh-photo-1", 0, &got, &first).ok());
  EXPECT_EQ(got, data);
  EXPECT_EQ(first.size(), data.size());
  EXPECT_EQ(first.hash(), Sha256Hex(data));
  EXPECT_EQ(first.media_type(), "image/jpeg");
  EXPECT_EQ(first.file_name(), "shelter 1.jpg");
  // A download resumed from an offset.
  ASSERT_TRUE(Download(ninewa2_, "hh-photo-1", 500'000, &got, nullptr, Sha256Hex(data)).ok());
  EXPECT_EQ(got, data.substr(500'000));
  EXPECT_EQ(Download(ninewa2_, "hh-photo-1", data.size() + 1, &got).error_code(),
            grpc::StatusCode::INVALID_ARGUMENT);
  // The hash the caller resumes with must still be the record's.
  EXPECT_EQ(Download(ninewa2_, "hh-photo-1", 0, &got, nullptr, Sha256Hex("old")).error_code(),
            grpc::StatusCode::FAILED_PRECONDITION);

  // Another scope: refused with no bytes, exactly as a record that does not exist.
  s = Download(anbar_, "hh-photo-1", 0, &got);
  EXPECT_EQ(s.error_code(), grpc::StatusCode::NOT_FOUND);
  EXPECT_TRUE(got.empty());
  grpc::Status none = Download(anbar_, "no-such-record", 0, &got);
  EXPECT_EQ(none.error_code(), grpc::StatusCode::NOT_FOUND);
  EXPECT_EQ(s.error_message(),
            absl::StrReplaceAll(none.error_message(), {{"no-such-record", "hh-photo-1"}}));
}

}  // namespace
}  // namespace fieldsync::testing
