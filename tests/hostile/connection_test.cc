// Half-open and abandoned connections: raw TCP connections that never speak HTTP/2 (or stop
// after a few bytes) are closed after --handshake-timeout-ms; an HTTP/2 connection with no
// call is closed after --max-connection-idle-ms. Short timeouts keep the test fast.
#include <arpa/inet.h>
#include <netinet/in.h>
#include <poll.h>
#include <sys/socket.h>
#include <unistd.h>

#include <chrono>
#include <iostream>
#include <string>
#include <vector>

#include "gtest/gtest.h"
#include "tests/testing/server_process.h"
#include "tests/testing/server_test.h"

namespace fieldsync::testing {
namespace {

int Connect(int port) {
  int fd = socket(AF_INET, SOCK_STREAM, 0);
  sockaddr_in addr{};
  addr.sin_family = AF_INET;
  addr.sin_port = htons(static_cast<uint16_t>(port));
  addr.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
  EXPECT_EQ(connect(fd, reinterpret_cast<sockaddr*>(&addr), sizeof(addr)), 0);
  return fd;
}

// Reads and drops whatever the server sends until it closes the connection (true), or
// `deadline` passes (false).
bool ClosedByServerBefore(int fd, std::chrono::steady_clock::time_point deadline) {
  char buf[4096];
  while (true) {
    const auto left = std::chrono::duration_cast<std::chrono::milliseconds>(
        deadline - std::chrono::steady_clock::now());
    if (left.count() <= 0) return false;
    pollfd p{fd, POLLIN, 0};
    if (poll(&p, 1, static_cast<int>(left.count())) <= 0) continue;
    const ssize_t n = read(fd, buf, sizeof(buf));
    if (n <= 0) return true;  // EOF or reset
  }
}

// The HTTP/2 client preface and an empty SETTINGS frame: a connection ready for calls.
const std::string kPreface = std::string("PRI * HTTP/2.0\r\n\r\nSM\r\n\r\n") +
                             std::string("\x00\x00\x00\x04\x00\x00\x00\x00\x00", 9);

class ConnectionTest : public ServerTest {
 protected:
  void StartServer(const std::vector<std::string>& flags) {
    server_ = std::make_unique<ServerProcess>(dir_.Sub("db"), flags);
    ASSERT_TRUE(server_->Start()) << server_->log();
  }
};

TEST_F(ConnectionTest, ConnectionsThatNeverSpeakHttp2AreClosedAfterTheHandshakeTimeout) {
  StartServer({"--handshake-timeout-ms", "300"});
  std::vector<int> fds;
  for (int i = 0; i < 40; ++i) {
    int fd = Connect(server_->port());
    // Silent ones, and ones that send a first few bytes of the preface and stop.
    if (i % 2 == 1) {
      EXPECT_EQ(write(fd, kPreface.data(), 10), 10);
    }
    fds.push_back(fd);
  }
  const auto started = std::chrono::steady_clock::now();
  // Generous for a loaded CI machine; without the timeout gRPC would wait 120 s.
  const auto deadline = started + std::chrono::seconds(10);
  for (int fd : fds) {
    EXPECT_TRUE(ClosedByServerBefore(fd, deadline)) << "connection " << fd << " still open";
    close(fd);
  }
  std::cout << "40 silent connections closed after "
            << std::chrono::duration_cast<std::chrono::milliseconds>(
                   std::chrono::steady_clock::now() - started)
                   .count()
            << " ms\n";
}

TEST_F(ConnectionTest, AnHttp2ConnectionWithoutCallsIsClosedWhenIdle) {
  StartServer({"--max-connection-idle-ms", "500"});
  int fd = Connect(server_->port());
  ASSERT_EQ(write(fd, kPreface.data(), kPreface.size()), static_cast<ssize_t>(kPreface.size()));
  EXPECT_TRUE(
      ClosedByServerBefore(fd, std::chrono::steady_clock::now() + std::chrono::seconds(10)));
  close(fd);
}

}  // namespace
}  // namespace fieldsync::testing
