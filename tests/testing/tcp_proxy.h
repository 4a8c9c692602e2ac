// A fault-injecting TCP proxy for tests: listens on 127.0.0.1 (port 0) and forwards every
// accepted connection to a target, with controls to cut, stall, delay or refuse the traffic
// mid-stream. Tests point a client at proxy.target() instead of the server.
//
// One event-loop thread serves every connection (poll(2), non-blocking sockets), so the thread
// count is bounded whatever the clients do. Every control is applied on that thread before the
// call returns: after Cut() returns, every connection that existed is closed.
//
// Thread safety: every public method may be called from any thread.
#ifndef FIELDSYNC_TESTS_TESTING_TCP_PROXY_H_
#define FIELDSYNC_TESTS_TESTING_TCP_PROXY_H_

#include <atomic>
#include <chrono>
#include <condition_variable>
#include <cstdint>
#include <functional>
#include <memory>
#include <mutex>
#include <string>
#include <thread>
#include <vector>

#include "absl/status/statusor.h"

namespace fieldsync::testing {

class TcpProxy {
 public:
  // client -> target is kUpstream; target -> client is kDownstream.
  enum class Direction { kUpstream = 0, kDownstream = 1 };

  struct Options {
    // Connections beyond this are accepted and closed at once (counted in refused()).
    int max_connections = 64;
    // Bytes buffered per direction per connection before the proxy stops reading that side.
    size_t max_buffered_bytes = 1 << 20;
  };

  // Starts a proxy on 127.0.0.1:0 forwarding to `target_host`:`target_port` (IPv4 literal).
  // UNAVAILABLE if no socket can be bound or the loop thread cannot start.
  static absl::StatusOr<std::unique_ptr<TcpProxy>> Start(const std::string& target_host,
                                                         int target_port);
  static absl::StatusOr<std::unique_ptr<TcpProxy>> Start(const std::string& target_host,
                                                         int target_port, Options options);
  // Stops the loop thread and closes every socket (Stop()).
  ~TcpProxy();
  TcpProxy(const TcpProxy&) = delete;
  TcpProxy& operator=(const TcpProxy&) = delete;

  int port() const { return port_; }
  // "127.0.0.1:<port>", for a gRPC channel.
  std::string target() const { return "127.0.0.1:" + std::to_string(port_); }

  // Closes every current connection on both sides abruptly (RST: SO_LINGER 0). Data buffered
  // in the proxy is dropped. New connections are served as usual afterwards.
  void Cut();
  // After `n` more bytes have been forwarded in `dir` (summed over connections, counted from
  // this call), forwards nothing more and cuts every connection as Cut() does. Exactly `n`
  // bytes get through. One-shot; a later call replaces an armed one. n = 0 cuts at the next
  // byte in that direction.
  void CutAfterBytes(uint64_t n, Direction dir);
  // Stops forwarding in both directions without closing anything; bytes keep arriving in the
  // kernel buffers and the proxy's own. New connections are accepted and connected but carry
  // nothing. Resume() forwards everything held, in order.
  void Stall();
  void Resume();
  // Holds every chunk read for `ms` before forwarding it (0 = forward at once). Applies to
  // chunks read after the call.
  void SetDelay(std::chrono::milliseconds delay);
  // While on, accepted connections are closed at once without connecting to the target.
  void Refuse(bool on = true);

  // Counters (monotonic, whole lifetime).
  uint64_t bytes(Direction dir) const;
  uint64_t connections_accepted() const { return accepted_.load(); }
  uint64_t connections_refused() const { return refused_.load(); }
  uint64_t cuts() const { return cuts_.load(); }
  int open_connections() const { return open_.load(); }

  // Wait (condition variable, no sleep) until the condition holds or `timeout` passes; return
  // whether it holds.
  bool WaitForBytes(Direction dir, uint64_t at_least, std::chrono::milliseconds timeout);
  bool WaitForAccepted(uint64_t at_least, std::chrono::milliseconds timeout);
  bool WaitForOpen(int exactly, std::chrono::milliseconds timeout);

  // Stops the loop thread and closes every socket. Idempotent.
  void Stop();

 private:
  struct Conn;
  struct State;
  TcpProxy() = default;
  void Loop();
  // Runs `fn` on the loop thread and waits until it has run (or the loop stopped).
  void RunInLoop(std::function<void()> fn);
  bool WaitFor(const std::function<bool()>& pred, std::chrono::milliseconds timeout);
  void Notify();

  int port_ = 0;
  std::unique_ptr<State> state_;  // touched only by the loop thread (and Start/Stop)
  std::thread thread_;

  std::atomic<uint64_t> bytes_[2] = {0, 0};
  std::atomic<uint64_t> accepted_{0};
  std::atomic<uint64_t> refused_{0};
  std::atomic<uint64_t> cuts_{0};
  std::atomic<int> open_{0};

  std::mutex mu_;  // guards tasks_, stopped_, task_seq_/done_seq_; pairs with cv_
  std::condition_variable cv_;
  std::vector<std::function<void()>> tasks_;
  uint64_t task_seq_ = 0;
  uint64_t done_seq_ = 0;
  bool stopped_ = false;
  int wake_fd_ = -1;  // eventfd that interrupts poll()
};

}  // namespace fieldsync::testing

#endif  // FIELDSYNC_TESTS_TESTING_TCP_PROXY_H_
