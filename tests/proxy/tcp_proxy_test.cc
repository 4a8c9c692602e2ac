// Unit tests of the fault-injecting TCP proxy against a plain TCP echo server on loopback.
// No sleeps: every wait polls a socket or a counter with a deadline.
#include "tests/testing/tcp_proxy.h"

#include <arpa/inet.h>
#include <errno.h>
#include <netinet/in.h>
#include <poll.h>
#include <sys/eventfd.h>
#include <sys/socket.h>
#include <unistd.h>

#include <atomic>
#include <chrono>
#include <random>
#include <string>
#include <thread>
#include <vector>

#include "gtest/gtest.h"

namespace fieldsync::testing {
namespace {

using std::chrono::milliseconds;
using Dir = TcpProxy::Direction;
constexpr milliseconds kDeadline{5000};

// A single-threaded echo server on 127.0.0.1:0: writes back everything it reads and closes
// its side when the client closes.
class EchoServer {
 public:
  EchoServer() {
    listen_fd_ = socket(AF_INET, SOCK_STREAM | SOCK_CLOEXEC, 0);
    sockaddr_in addr{};
    addr.sin_family = AF_INET;
    addr.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
    socklen_t len = sizeof(addr);
    bind(listen_fd_, reinterpret_cast<sockaddr*>(&addr), sizeof(addr));
    listen(listen_fd_, 16);
    getsockname(listen_fd_, reinterpret_cast<sockaddr*>(&addr), &len);
    port_ = ntohs(addr.sin_port);
    stop_fd_ = eventfd(0, EFD_CLOEXEC);
    thread_ = std::thread([this] { Run(); });
  }
  ~EchoServer() {
    uint64_t one = 1;
    (void)!write(stop_fd_, &one, sizeof(one));
    thread_.join();
    close(listen_fd_);
    close(stop_fd_);
  }
  int port() const { return port_; }
  uint64_t received() const { return received_.load(); }

 private:
  void Run() {
    std::vector<int> conns;
    while (true) {
      std::vector<pollfd> p{{stop_fd_, POLLIN, 0}, {listen_fd_, POLLIN, 0}};
      for (int fd : conns) p.push_back({fd, POLLIN, 0});
      if (poll(p.data(), p.size(), -1) < 0) break;
      if (p[0].revents) break;
      if (p[1].revents & POLLIN) conns.push_back(accept4(listen_fd_, nullptr, nullptr, 0));
      for (size_t i = 2; i < p.size(); ++i) {
        if (!p[i].revents) continue;
        char buf[65536];
        ssize_t n = recv(p[i].fd, buf, sizeof(buf), 0);
        if (n > 0) {
          received_ += n;
          ssize_t off = 0;
          while (off < n) {
            ssize_t w = send(p[i].fd, buf + off, n - off, MSG_NOSIGNAL);
            if (w <= 0) break;
            off += w;
          }
        } else {
          close(p[i].fd);
          conns.erase(std::find(conns.begin(), conns.end(), p[i].fd));
        }
      }
    }
    for (int fd : conns) close(fd);
  }

  int listen_fd_ = -1;
  int stop_fd_ = -1;
  int port_ = 0;
  std::atomic<uint64_t> received_{0};
  std::thread thread_;
};

int Connect(int port) {
  int fd = socket(AF_INET, SOCK_STREAM | SOCK_CLOEXEC, 0);
  sockaddr_in addr{};
  addr.sin_family = AF_INET;
  addr.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
  addr.sin_port = htons(static_cast<uint16_t>(port));
  if (connect(fd, reinterpret_cast<sockaddr*>(&addr), sizeof(addr)) != 0) {
    close(fd);
    return -1;
  }
  return fd;
}

void SendAll(int fd, const std::string& data) {
  size_t off = 0;
  while (off < data.size()) {
    ssize_t n = send(fd, data.data() + off, data.size() - off, MSG_NOSIGNAL);
    if (n <= 0) return;
    off += n;
  }
}

// How a read ended.
enum class End { kComplete, kEof, kReset, kTimeout };

struct ReadResult {
  std::string data;
  End end;
};

// Reads until `want` bytes, EOF, an error, or `timeout`.
ReadResult ReadUpTo(int fd, size_t want, milliseconds timeout) {
  ReadResult r{"", End::kTimeout};
  const auto deadline = std::chrono::steady_clock::now() + timeout;
  while (r.data.size() < want) {
    const auto left =
        std::chrono::duration_cast<milliseconds>(deadline - std::chrono::steady_clock::now());
    if (left.count() <= 0) return r;
    pollfd p{fd, POLLIN, 0};
    if (poll(&p, 1, static_cast<int>(left.count())) == 0) return r;
    char buf[65536];
    ssize_t n = recv(fd, buf, std::min(sizeof(buf), want - r.data.size()), 0);
    if (n == 0) {
      r.end = End::kEof;
      return r;
    }
    if (n < 0) {
      r.end = errno == ECONNRESET ? End::kReset : End::kEof;
      return r;
    }
    r.data.append(buf, n);
  }
  r.end = End::kComplete;
  return r;
}

std::string RandomBytes(size_t n, uint32_t seed) {
  std::mt19937 rng(seed);
  std::string s(n, '\0');
  for (auto& c : s) c = static_cast<char>(rng());
  return s;
}

class TcpProxyTest : public ::testing::Test {
 protected:
  void SetUp() override {
    auto p = TcpProxy::Start("127.0.0.1", echo_.port());
    ASSERT_TRUE(p.ok()) << p.status();
    proxy_ = std::move(*p);
  }
  void TearDown() override {
    for (int fd : fds_) close(fd);
  }
  int Client() {
    int fd = Connect(proxy_->port());
    EXPECT_GE(fd, 0);
    fds_.push_back(fd);
    return fd;
  }

  EchoServer echo_;
  std::unique_ptr<TcpProxy> proxy_;
  std::vector<int> fds_;
};

TEST_F(TcpProxyTest, ForwardsBothWaysAndCounts) {
  int fd = Client();
  SendAll(fd, "hello");
  ReadResult r = ReadUpTo(fd, 5, kDeadline);
  EXPECT_EQ(r.end, End::kComplete);
  EXPECT_EQ(r.data, "hello");
  EXPECT_EQ(proxy_->bytes(Dir::kUpstream), 5u);
  EXPECT_TRUE(proxy_->WaitForBytes(Dir::kDownstream, 5, kDeadline));
  EXPECT_EQ(proxy_->bytes(Dir::kDownstream), 5u);
  EXPECT_EQ(proxy_->connections_accepted(), 1u);
  EXPECT_EQ(proxy_->open_connections(), 1);
  EXPECT_NE(proxy_->port(), echo_.port());
}

TEST_F(TcpProxyTest, LargeTransferArrivesIntactBothWays) {
  const std::string payload = RandomBytes(2 << 20, 7);
  int fd = Client();
  std::thread writer([&] { SendAll(fd, payload); });
  ReadResult r = ReadUpTo(fd, payload.size(), kDeadline);
  writer.join();
  EXPECT_EQ(r.end, End::kComplete);
  EXPECT_TRUE(r.data == payload);
  EXPECT_EQ(proxy_->bytes(Dir::kUpstream), payload.size());
  EXPECT_EQ(echo_.received(), payload.size());
}

TEST_F(TcpProxyTest, HalfCloseIsPassedOnAndTheConnectionEnds) {
  int fd = Client();
  SendAll(fd, "bye");
  shutdown(fd, SHUT_WR);
  ReadResult r = ReadUpTo(fd, 100, kDeadline);
  EXPECT_EQ(r.end, End::kEof);
  EXPECT_EQ(r.data, "bye");
  EXPECT_TRUE(proxy_->WaitForOpen(0, kDeadline));
}

TEST_F(TcpProxyTest, CutResetsEveryConnectionAndLaterOnesWork) {
  int a = Client();
  int b = Client();
  SendAll(a, "a");
  SendAll(b, "b");
  ASSERT_EQ(ReadUpTo(a, 1, kDeadline).data, "a");
  ASSERT_EQ(ReadUpTo(b, 1, kDeadline).data, "b");
  ASSERT_EQ(proxy_->open_connections(), 2);
  proxy_->Cut();
  EXPECT_EQ(proxy_->open_connections(), 0);  // applied before Cut() returned
  EXPECT_EQ(proxy_->cuts(), 1u);
  EXPECT_EQ(ReadUpTo(a, 1, kDeadline).end, End::kReset);
  EXPECT_EQ(ReadUpTo(b, 1, kDeadline).end, End::kReset);

  int c = Client();
  SendAll(c, "again");
  EXPECT_EQ(ReadUpTo(c, 5, kDeadline).data, "again");
  EXPECT_EQ(proxy_->connections_accepted(), 3u);
}

TEST_F(TcpProxyTest, CutAfterBytesUpstreamForwardsExactlyThatMany) {
  proxy_->CutAfterBytes(10, Dir::kUpstream);
  int fd = Client();
  SendAll(fd, std::string(100, 'x'));
  ReadResult r = ReadUpTo(fd, 100, kDeadline);
  EXPECT_EQ(r.end, End::kReset);
  EXPECT_EQ(proxy_->bytes(Dir::kUpstream), 10u);
  EXPECT_EQ(proxy_->cuts(), 1u);
  EXPECT_TRUE(proxy_->WaitForOpen(0, kDeadline));
  // One-shot: the next connection is not cut.
  int fd2 = Client();
  SendAll(fd2, std::string(100, 'y'));
  EXPECT_EQ(ReadUpTo(fd2, 100, kDeadline).end, End::kComplete);
}

TEST_F(TcpProxyTest, CutAfterBytesDownstreamCountsFromTheCall) {
  int fd = Client();
  SendAll(fd, "warmup");
  ASSERT_EQ(ReadUpTo(fd, 6, kDeadline).data, "warmup");
  ASSERT_TRUE(proxy_->WaitForBytes(Dir::kDownstream, 6, kDeadline));
  proxy_->CutAfterBytes(4, Dir::kDownstream);
  SendAll(fd, "0123456789");
  ReadResult r = ReadUpTo(fd, 10, kDeadline);
  EXPECT_NE(r.end, End::kComplete);
  EXPECT_EQ(proxy_->bytes(Dir::kDownstream), 6u + 4u);
  EXPECT_EQ(proxy_->bytes(Dir::kUpstream), 16u);
  // What did arrive is a prefix of the 4 forwarded bytes (a reset may discard the rest).
  EXPECT_LE(r.data.size(), 4u);
  EXPECT_EQ(r.data, std::string("0123").substr(0, r.data.size()));
}

TEST_F(TcpProxyTest, CutAfterZeroBytesCutsAtTheNextByte) {
  int fd = Client();
  proxy_->CutAfterBytes(0, Dir::kUpstream);
  SendAll(fd, "z");
  EXPECT_EQ(ReadUpTo(fd, 1, kDeadline).end, End::kReset);
  EXPECT_EQ(proxy_->bytes(Dir::kUpstream), 0u);
  EXPECT_EQ(echo_.received(), 0u);
}

TEST_F(TcpProxyTest, StallHoldsBytesWithoutClosingAndResumeDeliversThemInOrder) {
  int fd = Client();
  ASSERT_TRUE(proxy_->WaitForAccepted(1, kDeadline));
  proxy_->Stall();
  SendAll(fd, "abc");
  SendAll(fd, "def");
  // Nothing moves while stalled (bounded wait for bytes that must not come).
  ReadResult held = ReadUpTo(fd, 1, milliseconds(100));
  EXPECT_EQ(held.end, End::kTimeout);
  EXPECT_EQ(proxy_->bytes(Dir::kUpstream), 0u);
  EXPECT_EQ(proxy_->open_connections(), 1);
  proxy_->Resume();
  ReadResult r = ReadUpTo(fd, 6, kDeadline);
  EXPECT_EQ(r.end, End::kComplete);
  EXPECT_EQ(r.data, "abcdef");
}

TEST_F(TcpProxyTest, DelayHoldsEachChunkInBothDirections) {
  int fd = Client();
  SendAll(fd, "w");
  ASSERT_EQ(ReadUpTo(fd, 1, kDeadline).data, "w");
  proxy_->SetDelay(milliseconds(100));
  const auto start = std::chrono::steady_clock::now();
  SendAll(fd, "d");
  ReadResult r = ReadUpTo(fd, 1, kDeadline);
  const auto elapsed = std::chrono::steady_clock::now() - start;
  EXPECT_EQ(r.data, "d");
  EXPECT_GE(elapsed, milliseconds(200));  // 100 ms up + 100 ms down
  proxy_->SetDelay(milliseconds(0));
  const auto start2 = std::chrono::steady_clock::now();
  SendAll(fd, "e");
  EXPECT_EQ(ReadUpTo(fd, 1, kDeadline).data, "e");
  EXPECT_LT(std::chrono::steady_clock::now() - start2, milliseconds(100));
}

TEST_F(TcpProxyTest, RefuseAcceptsThenClosesWithoutConnectingUpstream) {
  proxy_->Refuse();
  int fd = Client();
  SendAll(fd, "no");
  ReadResult r = ReadUpTo(fd, 2, kDeadline);
  EXPECT_NE(r.end, End::kComplete);
  EXPECT_EQ(r.data, "");
  EXPECT_EQ(proxy_->connections_refused(), 1u);
  EXPECT_EQ(echo_.received(), 0u);
  proxy_->Refuse(false);
  int ok = Client();
  SendAll(ok, "yes");
  EXPECT_EQ(ReadUpTo(ok, 3, kDeadline).data, "yes");
}

TEST_F(TcpProxyTest, ConnectionsOverTheLimitAreRefused) {
  auto p = TcpProxy::Start("127.0.0.1", echo_.port(), TcpProxy::Options{1, 1 << 20});
  ASSERT_TRUE(p.ok());
  int a = Connect((*p)->port());
  int b = Connect((*p)->port());
  fds_.push_back(a);
  fds_.push_back(b);
  SendAll(a, "1");
  EXPECT_EQ(ReadUpTo(a, 1, kDeadline).data, "1");
  EXPECT_NE(ReadUpTo(b, 1, kDeadline).end, End::kComplete);
  EXPECT_EQ((*p)->connections_refused(), 1u);
}

TEST_F(TcpProxyTest, TargetDownClosesTheClient) {
  // A port with no listener: bind, read the port, close.
  int s = socket(AF_INET, SOCK_STREAM | SOCK_CLOEXEC, 0);
  sockaddr_in addr{};
  addr.sin_family = AF_INET;
  addr.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
  socklen_t len = sizeof(addr);
  bind(s, reinterpret_cast<sockaddr*>(&addr), sizeof(addr));
  getsockname(s, reinterpret_cast<sockaddr*>(&addr), &len);
  close(s);
  auto p = TcpProxy::Start("127.0.0.1", ntohs(addr.sin_port));
  ASSERT_TRUE(p.ok());
  int fd = Connect((*p)->port());
  fds_.push_back(fd);
  EXPECT_NE(ReadUpTo(fd, 1, kDeadline).end, End::kComplete);
  EXPECT_TRUE((*p)->WaitForOpen(0, kDeadline));
}

TEST_F(TcpProxyTest, BadTargetIsAnError) {
  EXPECT_EQ(TcpProxy::Start("localhost", 1).status().code(), absl::StatusCode::kInvalidArgument);
}

TEST_F(TcpProxyTest, StopClosesOpenConnectionsAndIsIdempotent) {
  int fd = Client();
  SendAll(fd, "s");
  ASSERT_EQ(ReadUpTo(fd, 1, kDeadline).data, "s");
  proxy_->Stop();
  EXPECT_EQ(ReadUpTo(fd, 1, kDeadline).end, End::kReset);
  EXPECT_EQ(proxy_->open_connections(), 0);
  proxy_->Stop();
  proxy_->Cut();  // a control after Stop returns at once
  EXPECT_EQ(Connect(proxy_->port()), -1);
}

TEST_F(TcpProxyTest, ControlsFromManyThreadsWhileTrafficFlows) {
  const std::string payload = RandomBytes(1 << 20, 11);
  int fd = Client();
  std::thread writer([&] { SendAll(fd, payload); });
  std::vector<std::thread> controllers;
  for (int t = 0; t < 4; ++t) {
    controllers.emplace_back([&, t] {
      for (int i = 0; i < 50; ++i) {
        if ((i + t) % 2 == 0) {
          proxy_->Stall();
        } else {
          proxy_->Resume();
        }
        proxy_->SetDelay(milliseconds(0));
        (void)proxy_->bytes(Dir::kUpstream);
      }
    });
  }
  for (auto& c : controllers) c.join();
  proxy_->Resume();
  ReadResult r = ReadUpTo(fd, payload.size(), kDeadline);
  writer.join();
  EXPECT_EQ(r.end, End::kComplete);
  EXPECT_TRUE(r.data == payload);
  EXPECT_EQ(proxy_->cuts(), 0u);
}

}  // namespace
}  // namespace fieldsync::testing
