#include "tests/testing/tcp_proxy.h"

#include <arpa/inet.h>
#include <errno.h>
#include <netinet/in.h>
#include <netinet/tcp.h>
#include <poll.h>
#include <sys/eventfd.h>
#include <sys/socket.h>
#include <unistd.h>

#include <algorithm>
#include <cstring>
#include <deque>
#include <optional>

#include "absl/strings/str_cat.h"

namespace fieldsync::testing {

using Clock = std::chrono::steady_clock;

namespace {

constexpr size_t kReadChunk = 64 * 1024;

// Closes with SO_LINGER 0, so the peer gets a RST instead of a FIN.
void CloseAbruptly(int fd) {
  if (fd < 0) return;
  linger lg{1, 0};
  setsockopt(fd, SOL_SOCKET, SO_LINGER, &lg, sizeof(lg));
  close(fd);
}

}  // namespace

struct TcpProxy::Conn {
  struct Chunk {
    Clock::time_point at;  // not forwarded before this
    std::string data;
    size_t off = 0;
  };
  // One direction: read from fd[src], write to fd[1 - src].
  struct Flow {
    std::deque<Chunk> queue;
    size_t buffered = 0;
    bool read_eof = false;    // the source sent FIN
    bool write_shut = false;  // FIN passed on to the destination
  };
  int fd[2] = {-1, -1};  // [0] client side, [1] target side
  bool connecting = true;
  Flow flow[2];  // indexed by Direction: kUpstream reads fd[0], kDownstream reads fd[1]
  bool dead = false;
};

struct TcpProxy::State {
  Options options;
  int listen_fd = -1;
  sockaddr_in target{};
  std::vector<std::unique_ptr<Conn>> conns;
  bool quit = false;
  bool stalled = false;
  bool refusing = false;
  std::chrono::milliseconds delay{0};
  std::optional<uint64_t> cut_budget;  // bytes left before a cut, if armed
  Direction cut_dir = Direction::kUpstream;
};

absl::StatusOr<std::unique_ptr<TcpProxy>> TcpProxy::Start(const std::string& target_host,
                                                          int target_port) {
  return Start(target_host, target_port, Options{});
}

absl::StatusOr<std::unique_ptr<TcpProxy>> TcpProxy::Start(const std::string& target_host,
                                                          int target_port, Options options) {
  std::unique_ptr<TcpProxy> p(new TcpProxy());
  p->state_ = std::make_unique<State>();
  State& st = *p->state_;
  st.options = options;
  st.target.sin_family = AF_INET;
  st.target.sin_port = htons(static_cast<uint16_t>(target_port));
  if (inet_pton(AF_INET, target_host.c_str(), &st.target.sin_addr) != 1) {
    return absl::InvalidArgumentError(
        absl::StrCat("target host must be an IPv4 literal, got '", target_host, "'"));
  }
  st.listen_fd = socket(AF_INET, SOCK_STREAM | SOCK_CLOEXEC | SOCK_NONBLOCK, 0);
  if (st.listen_fd < 0) return absl::UnavailableError(absl::StrCat("socket: ", strerror(errno)));
  sockaddr_in addr{};
  addr.sin_family = AF_INET;
  addr.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
  addr.sin_port = 0;
  socklen_t len = sizeof(addr);
  if (bind(st.listen_fd, reinterpret_cast<sockaddr*>(&addr), sizeof(addr)) != 0 ||
      listen(st.listen_fd, 128) != 0 ||
      getsockname(st.listen_fd, reinterpret_cast<sockaddr*>(&addr), &len) != 0) {
    const int err = errno;
    close(st.listen_fd);
    return absl::UnavailableError(absl::StrCat("bind/listen on 127.0.0.1:0: ", strerror(err)));
  }
  p->port_ = ntohs(addr.sin_port);
  p->wake_fd_ = eventfd(0, EFD_NONBLOCK | EFD_CLOEXEC);
  if (p->wake_fd_ < 0) {
    close(st.listen_fd);
    return absl::UnavailableError(absl::StrCat("eventfd: ", strerror(errno)));
  }
  p->thread_ = std::thread([raw = p.get()] { raw->Loop(); });
  return p;
}

TcpProxy::~TcpProxy() { Stop(); }

void TcpProxy::Stop() {
  if (!thread_.joinable()) return;
  RunInLoop([this] { state_->quit = true; });
  thread_.join();
  close(state_->listen_fd);
  close(wake_fd_);
}

void TcpProxy::RunInLoop(std::function<void()> fn) {
  std::unique_lock<std::mutex> l(mu_);
  if (stopped_) return;
  tasks_.push_back(std::move(fn));
  const uint64_t seq = ++task_seq_;
  uint64_t one = 1;
  (void)!write(wake_fd_, &one, sizeof(one));
  cv_.wait(l, [&] { return done_seq_ >= seq || stopped_; });
}

void TcpProxy::Notify() {
  // Taking the lock orders the counter updates before a waiter's predicate check.
  { std::lock_guard<std::mutex> l(mu_); }
  cv_.notify_all();
}

bool TcpProxy::WaitFor(const std::function<bool()>& pred, std::chrono::milliseconds timeout) {
  std::unique_lock<std::mutex> l(mu_);
  return cv_.wait_for(l, timeout, pred);
}

void TcpProxy::Cut() {
  RunInLoop([this] {
    cuts_++;
    for (auto& c : state_->conns) {
      CloseAbruptly(c->fd[0]);
      CloseAbruptly(c->fd[1]);
      c->fd[0] = c->fd[1] = -1;
      c->dead = true;
    }
    const int n = static_cast<int>(state_->conns.size());
    state_->conns.clear();
    open_ -= n;
  });
  Notify();
}

void TcpProxy::CutAfterBytes(uint64_t n, Direction dir) {
  RunInLoop([this, n, dir] {
    state_->cut_budget = n;
    state_->cut_dir = dir;
  });
}

void TcpProxy::Stall() {
  RunInLoop([this] { state_->stalled = true; });
}

void TcpProxy::Resume() {
  RunInLoop([this] { state_->stalled = false; });
}

void TcpProxy::SetDelay(std::chrono::milliseconds delay) {
  RunInLoop([this, delay] { state_->delay = delay; });
}

void TcpProxy::Refuse(bool on) {
  RunInLoop([this, on] { state_->refusing = on; });
}

uint64_t TcpProxy::bytes(Direction dir) const { return bytes_[static_cast<int>(dir)].load(); }

bool TcpProxy::WaitForBytes(Direction dir, uint64_t at_least, std::chrono::milliseconds timeout) {
  return WaitFor([&] { return bytes(dir) >= at_least; }, timeout);
}

bool TcpProxy::WaitForAccepted(uint64_t at_least, std::chrono::milliseconds timeout) {
  return WaitFor([&] { return accepted_.load() >= at_least; }, timeout);
}

bool TcpProxy::WaitForOpen(int exactly, std::chrono::milliseconds timeout) {
  return WaitFor([&] { return open_.load() == exactly; }, timeout);
}

void TcpProxy::Loop() {
  State& st = *state_;
  std::vector<pollfd> pfds;
  // For each conn, the index of its two pollfds in pfds (or -1).
  std::vector<std::pair<int, int>> slots;

  auto kill_conn = [&](Conn& c, bool abrupt) {
    for (int& fd : c.fd) {
      if (fd < 0) continue;
      if (abrupt) {
        CloseAbruptly(fd);
      } else {
        close(fd);
      }
      fd = -1;
    }
    c.dead = true;
  };
  auto cut_all = [&] {
    cuts_++;  // before the peers can see the reset
    for (auto& c : st.conns) kill_conn(*c, /*abrupt=*/true);
    st.cut_budget.reset();
  };

  while (true) {
    const auto now = Clock::now();
    pfds.clear();
    slots.clear();
    pfds.push_back({wake_fd_, POLLIN, 0});
    pfds.push_back({st.listen_fd, POLLIN, 0});
    std::optional<Clock::time_point> next_due;
    for (auto& cp : st.conns) {
      Conn& c = *cp;
      short ev[2] = {0, 0};
      if (c.connecting) {
        ev[1] = POLLOUT;
      } else if (!st.stalled) {
        for (int d = 0; d < 2; ++d) {
          const int src = d, dst = 1 - d;
          Conn::Flow& f = c.flow[d];
          if (!f.read_eof && f.buffered < st.options.max_buffered_bytes) ev[src] |= POLLIN;
          if (!f.queue.empty()) {
            if (f.queue.front().at <= now) {
              ev[dst] |= POLLOUT;
            } else if (!next_due || f.queue.front().at < *next_due) {
              next_due = f.queue.front().at;
            }
          }
        }
      }
      std::pair<int, int> slot{-1, -1};
      // Sockets are always polled (errors and hang-ups are reported even with no events);
      // a stalled socket that hangs up is handled below without spinning.
      slot.first = static_cast<int>(pfds.size());
      pfds.push_back({c.fd[0], ev[0], 0});
      slot.second = static_cast<int>(pfds.size());
      pfds.push_back({c.fd[1], ev[1], 0});
      slots.push_back(slot);
    }
    int timeout_ms = -1;
    if (next_due) {
      timeout_ms =
          static_cast<int>(std::chrono::ceil<std::chrono::milliseconds>(*next_due - now).count());
      timeout_ms = std::max(timeout_ms, 0);
    }
    const int rc = poll(pfds.data(), pfds.size(), timeout_ms);
    if (rc < 0 && errno != EINTR) break;

    // Controls first, so a Cut() applies before any further byte moves.
    if (pfds[0].revents & POLLIN) {
      uint64_t v;
      (void)!read(wake_fd_, &v, sizeof(v));
      std::vector<std::function<void()>> tasks;
      uint64_t seq;
      {
        std::lock_guard<std::mutex> l(mu_);
        tasks.swap(tasks_);
        seq = task_seq_;
      }
      for (auto& t : tasks) t();
      {
        std::lock_guard<std::mutex> l(mu_);
        done_seq_ = std::max(done_seq_, seq);
      }
      cv_.notify_all();
      if (st.quit) break;
      // A task may have replaced the connection list (Cut): the poll results are stale.
      continue;
    }

    for (size_t i = 0; i < st.conns.size(); ++i) {
      Conn& c = *st.conns[i];
      if (c.dead) continue;
      const short re[2] = {pfds[slots[i].first].revents, pfds[slots[i].second].revents};
      if (c.connecting) {
        if (re[1] & (POLLOUT | POLLERR | POLLHUP)) {
          int err = 0;
          socklen_t len = sizeof(err);
          getsockopt(c.fd[1], SOL_SOCKET, SO_ERROR, &err, &len);
          if (err != 0) {
            kill_conn(c, /*abrupt=*/true);
          } else {
            c.connecting = false;
          }
        } else if (re[0] & (POLLERR | POLLHUP)) {
          kill_conn(c, /*abrupt=*/true);
        }
        continue;
      }
      // Writes first (frees buffer space), then reads.
      for (int d = 0; d < 2 && !c.dead; ++d) {
        const int dst = 1 - d;
        Conn::Flow& f = c.flow[d];
        if (!(re[dst] & POLLOUT)) continue;
        while (!f.queue.empty() && f.queue.front().at <= Clock::now()) {
          Conn::Chunk& ch = f.queue.front();
          size_t want = ch.data.size() - ch.off;
          const bool budgeted = st.cut_budget && static_cast<int>(st.cut_dir) == d;
          if (budgeted) want = std::min<uint64_t>(want, *st.cut_budget);
          ssize_t n = want == 0 ? 0 : send(c.fd[dst], ch.data.data() + ch.off, want, MSG_NOSIGNAL);
          if (n < 0) {
            if (errno != EAGAIN && errno != EWOULDBLOCK) kill_conn(c, /*abrupt=*/true);
            break;
          }
          ch.off += n;
          f.buffered -= n;
          bytes_[d] += n;
          if (budgeted) {
            *st.cut_budget -= n;
            if (*st.cut_budget == 0) {
              cut_all();
              break;
            }
          }
          if (ch.off < ch.data.size()) break;  // kernel buffer full
          f.queue.pop_front();
        }
      }
      for (int d = 0; d < 2 && !c.dead; ++d) {
        const int src = d;
        Conn::Flow& f = c.flow[d];
        if (!(re[src] & (POLLIN | POLLHUP | POLLERR))) continue;
        if (st.stalled || f.read_eof || f.buffered >= st.options.max_buffered_bytes) {
          // Not reading: only an error or hang-up gets here. The connection is gone.
          if (re[src] & (POLLERR | POLLHUP)) kill_conn(c, /*abrupt=*/true);
          continue;
        }
        std::string buf(kReadChunk, '\0');
        ssize_t n = recv(c.fd[src], buf.data(), buf.size(), 0);
        if (n > 0) {
          buf.resize(n);
          f.buffered += n;
          f.queue.push_back({Clock::now() + st.delay, std::move(buf), 0});
        } else if (n == 0) {
          f.read_eof = true;
        } else if (errno != EAGAIN && errno != EWOULDBLOCK) {
          // The peer reset: pass the reset on.
          kill_conn(c, /*abrupt=*/true);
        }
      }
      // A FIN passes on once everything before it has been forwarded.
      for (int d = 0; d < 2 && !c.dead; ++d) {
        Conn::Flow& f = c.flow[d];
        if (f.read_eof && f.queue.empty() && !f.write_shut) {
          shutdown(c.fd[1 - d], SHUT_WR);
          f.write_shut = true;
        }
      }
      if (!c.dead && c.flow[0].write_shut && c.flow[1].write_shut) {
        kill_conn(c, /*abrupt=*/false);
      }
    }

    if (pfds[1].revents & POLLIN) {
      while (true) {
        int fd = accept4(st.listen_fd, nullptr, nullptr, SOCK_NONBLOCK | SOCK_CLOEXEC);
        if (fd < 0) break;
        accepted_++;
        int live = 0;
        for (auto& c : st.conns) live += c->dead ? 0 : 1;
        if (st.refusing || live >= st.options.max_connections) {
          refused_++;
          close(fd);
          continue;
        }
        int one = 1;
        setsockopt(fd, IPPROTO_TCP, TCP_NODELAY, &one, sizeof(one));
        auto c = std::make_unique<Conn>();
        c->fd[0] = fd;
        c->fd[1] = socket(AF_INET, SOCK_STREAM | SOCK_CLOEXEC | SOCK_NONBLOCK, 0);
        if (c->fd[1] < 0) {
          CloseAbruptly(fd);
          continue;
        }
        setsockopt(c->fd[1], IPPROTO_TCP, TCP_NODELAY, &one, sizeof(one));
        const int r =
            connect(c->fd[1], reinterpret_cast<const sockaddr*>(&st.target), sizeof(st.target));
        if (r == 0) {
          c->connecting = false;
        } else if (errno != EINPROGRESS) {
          CloseAbruptly(c->fd[1]);
          CloseAbruptly(fd);
          continue;
        }
        open_++;
        st.conns.push_back(std::move(c));
      }
    }

    // Drop closed connections.
    const size_t before = st.conns.size();
    st.conns.erase(std::remove_if(st.conns.begin(), st.conns.end(),
                                  [](const std::unique_ptr<Conn>& c) { return c->dead; }),
                   st.conns.end());
    open_ -= static_cast<int>(before - st.conns.size());
    Notify();
  }
  for (auto& c : st.conns) kill_conn(*c, /*abrupt=*/true);
  open_ -= static_cast<int>(st.conns.size());
  st.conns.clear();
  {
    std::lock_guard<std::mutex> l(mu_);
    stopped_ = true;  // later controls return at once
  }
  cv_.notify_all();
}

}  // namespace fieldsync::testing
