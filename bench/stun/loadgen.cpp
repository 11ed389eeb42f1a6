// STUN Binding load generator: sends Binding requests over UDP with sendmmsg from several sockets (so
// SO_REUSEPORT spreads them over the server's workers), receives answers with recvmmsg, and reports
// answered requests per second, loss, round-trip percentiles and, given the server's PID, the server's CPU
// time per answered request (utime + stime from /proc/<pid>/stat).
//
//   stun_loadgen --target 127.0.0.1:3478 --rate 100000 --seconds 3 [--server-pid N] [--sockets 8]
//   stun_loadgen --target ... --rate 0 --window 256       (saturation: closed loop, `window` in flight)
//
// Prints one line of key=value pairs. A request's transaction id carries its sequence number, so any
// answer with that id counts (a Binding success from a STUN server, or the request itself from an echo).
#include <arpa/inet.h>
#include <poll.h>
#include <sys/socket.h>
#include <unistd.h>

#include <algorithm>
#include <chrono>
#include <cinttypes>
#include <cstdio>
#include <cstring>
#include <fstream>
#include <sstream>
#include <string>
#include <vector>

namespace {

using Clock = std::chrono::steady_clock;
constexpr std::size_t kBatch = 64;
constexpr std::uint32_t kTag = 0x5342'4C47;  // "SBLG" in the last 4 id bytes

struct Options {
  std::string host = "127.0.0.1";
  int port = 3478;
  double rate = 100000;  // requests per second; 0 = saturation (closed loop)
  double seconds = 3;
  int sockets = 8;
  std::size_t window = 256;  // in flight per socket in saturation mode
  int server_pid = 0;
};

bool parse_args(int argc, char** argv, Options& o) {
  for (int i = 1; i + 1 < argc; i += 2) {
    const std::string k = argv[i], v = argv[i + 1];
    if (k == "--target") {
      const auto colon = v.rfind(':');
      o.host = v.substr(0, colon);
      o.port = std::stoi(v.substr(colon + 1));
    } else if (k == "--rate") {
      o.rate = std::stod(v);
    } else if (k == "--seconds") {
      o.seconds = std::stod(v);
    } else if (k == "--sockets") {
      o.sockets = std::max(1, std::stoi(v));
    } else if (k == "--window") {
      o.window = static_cast<std::size_t>(std::max(1, std::stoi(v)));
    } else if (k == "--server-pid") {
      o.server_pid = std::stoi(v);
    } else {
      return false;
    }
  }
  return true;
}

// utime + stime of a process in clock ticks; -1 when unreadable.
long long cpu_ticks(int pid) {
  if (pid <= 0) return -1;
  std::ifstream f("/proc/" + std::to_string(pid) + "/stat");
  std::string s((std::istreambuf_iterator<char>(f)), std::istreambuf_iterator<char>());
  const auto close = s.rfind(')');
  if (close == std::string::npos) return -1;
  std::istringstream rest(s.substr(close + 2));
  std::string field;
  long long utime = 0, stime = 0;
  for (int i = 3; i <= 15 && rest >> field; ++i) {
    if (i == 14) utime = std::stoll(field);
    if (i == 15) stime = std::stoll(field);
  }
  return utime + stime;
}

struct Stats {
  std::uint64_t sent = 0, answered = 0, late = 0;
  std::vector<std::uint32_t> rtt_us;
};

class Generator {
 public:
  explicit Generator(const Options& o) : o_(o), sent_at_(kRing) {
    sockaddr_in a{};
    a.sin_family = AF_INET;
    a.sin_port = htons(static_cast<std::uint16_t>(o.port));
    ::inet_pton(AF_INET, o.host.c_str(), &a.sin_addr);
    target_ = a;
    for (int i = 0; i < o.sockets; ++i) {
      const int fd = ::socket(AF_INET, SOCK_DGRAM | SOCK_NONBLOCK, 0);
      int buf = 8 << 20;
      ::setsockopt(fd, SOL_SOCKET, SO_RCVBUF, &buf, sizeof buf);
      ::setsockopt(fd, SOL_SOCKET, SO_SNDBUF, &buf, sizeof buf);
      ::connect(fd, reinterpret_cast<sockaddr*>(&target_), sizeof target_);
      fds_.push_back(fd);
    }
    out_.resize(kBatch * 20);
    in_.resize(kBatch * 2048);
    stats_.rtt_us.reserve(1 << 22);
  }
  ~Generator() {
    for (int fd : fds_) ::close(fd);
  }

  Stats run();

 private:
  static constexpr std::size_t kRing = 1 << 22;  // sequence numbers remembered for RTT
  void send_batch(int fd, std::size_t n, Clock::time_point now);
  void drain(int fd, Clock::time_point now);

  const Options& o_;
  sockaddr_in target_{};
  std::vector<int> fds_;
  std::vector<std::uint8_t> out_, in_;
  std::vector<Clock::time_point> sent_at_;
  std::vector<std::size_t> in_flight_ = std::vector<std::size_t>(64, 0);
  std::uint64_t seq_ = 0;
  Stats stats_;
};

// A 20-byte Binding request whose transaction id is (seq, tag).
void Generator::send_batch(int fd, std::size_t n, Clock::time_point now) {
  mmsghdr msgs[kBatch] = {};
  iovec iov[kBatch];
  for (std::size_t i = 0; i < n; ++i) {
    std::uint8_t* p = out_.data() + i * 20;
    const std::uint8_t header[8] = {0x00, 0x01, 0x00, 0x00, 0x21, 0x12, 0xA4, 0x42};
    std::memcpy(p, header, 8);
    const std::uint64_t s = seq_++;
    std::memcpy(p + 8, &s, 8);
    std::memcpy(p + 16, &kTag, 4);
    sent_at_[s % kRing] = now;
    iov[i] = {p, 20};
    msgs[i].msg_hdr.msg_iov = &iov[i];
    msgs[i].msg_hdr.msg_iovlen = 1;
  }
  const int r = ::sendmmsg(fd, msgs, static_cast<unsigned>(n), 0);
  const std::size_t ok = r > 0 ? static_cast<std::size_t>(r) : 0;
  stats_.sent += ok;
  seq_ -= (n - ok);  // unsent ids are reused
}

void Generator::drain(int fd, Clock::time_point now) {
  mmsghdr msgs[kBatch] = {};
  iovec iov[kBatch];
  for (std::size_t i = 0; i < kBatch; ++i) {
    iov[i] = {in_.data() + i * 2048, 2048};
    msgs[i].msg_hdr.msg_iov = &iov[i];
    msgs[i].msg_hdr.msg_iovlen = 1;
  }
  while (true) {
    const int n = ::recvmmsg(fd, msgs, kBatch, MSG_DONTWAIT, nullptr);
    if (n <= 0) return;
    for (int i = 0; i < n; ++i) {
      const std::uint8_t* p = in_.data() + static_cast<std::size_t>(i) * 2048;
      std::uint32_t tag = 0;
      std::uint64_t s = 0;
      if (msgs[i].msg_len < 20) continue;
      std::memcpy(&tag, p + 16, 4);
      std::memcpy(&s, p + 8, 8);
      if (tag != kTag || s >= seq_) continue;
      ++stats_.answered;
      const auto rtt = std::chrono::duration_cast<std::chrono::microseconds>(now - sent_at_[s % kRing]).count();
      if (stats_.rtt_us.size() < stats_.rtt_us.capacity()) stats_.rtt_us.push_back(static_cast<std::uint32_t>(rtt));
    }
    if (static_cast<std::size_t>(n) < kBatch) return;
  }
}

Stats Generator::run() {
  const auto start = Clock::now();
  const auto end = start + std::chrono::duration_cast<Clock::duration>(std::chrono::duration<double>(o_.seconds));
  std::size_t next_fd = 0;
  double owed = 0;
  auto last = start;
  while (true) {
    const auto now = Clock::now();
    if (now >= end) break;
    std::size_t to_send;
    if (o_.rate > 0) {
      owed += std::chrono::duration<double>(now - last).count() * o_.rate;
      last = now;
      to_send = static_cast<std::size_t>(owed);
      owed -= static_cast<double>(to_send);
    } else {
      const std::uint64_t outstanding = stats_.sent - stats_.answered;
      const std::uint64_t cap = o_.window * fds_.size();
      to_send = outstanding < cap ? static_cast<std::size_t>(cap - outstanding) : 0;
    }
    while (to_send > 0) {
      const std::size_t n = std::min(to_send, kBatch);
      send_batch(fds_[next_fd], n, now);
      next_fd = (next_fd + 1) % fds_.size();
      to_send -= n;
    }
    for (int fd : fds_) drain(fd, Clock::now());
    if (o_.rate <= 0 && stats_.sent - stats_.answered >= o_.window * fds_.size()) {
      // Saturation mode: a window stuck on lost requests would stall; release it after 50 ms of silence.
      std::vector<pollfd> p;
      for (int fd : fds_) p.push_back({fd, POLLIN, 0});
      if (::poll(p.data(), p.size(), 50) == 0) stats_.sent = stats_.answered;  // forget the lost ones
    }
  }
  // Collect stragglers for 200 ms (they count: the server answered).
  const auto tail_end = Clock::now() + std::chrono::milliseconds(200);
  while (Clock::now() < tail_end) {
    std::vector<pollfd> p;
    for (int fd : fds_) p.push_back({fd, POLLIN, 0});
    if (::poll(p.data(), p.size(), 20) > 0) {
      for (int fd : fds_) drain(fd, Clock::now());
    }
  }
  return stats_;
}

}  // namespace

int main(int argc, char** argv) {
  Options o;
  if (!parse_args(argc, argv, o)) {
    std::fprintf(stderr, "usage: stun_loadgen --target IP:PORT [--rate R|0] [--seconds S] [--sockets N] "
                         "[--window W] [--server-pid PID]\n");
    return 2;
  }
  Generator g(o);
  const long long cpu0 = cpu_ticks(o.server_pid);
  const auto t0 = Clock::now();
  Stats s = g.run();
  const double elapsed = std::chrono::duration<double>(Clock::now() - t0).count() - 0.2;
  const long long cpu1 = cpu_ticks(o.server_pid);
  std::sort(s.rtt_us.begin(), s.rtt_us.end());
  auto pct = [&](double q) { return s.rtt_us.empty() ? 0u : s.rtt_us[static_cast<std::size_t>(q * (s.rtt_us.size() - 1))]; };
  const double loss = s.sent == 0 ? 0 : 1.0 - static_cast<double>(s.answered) / static_cast<double>(s.sent);
  const double cpu_us = cpu0 >= 0 && cpu1 >= 0 ? static_cast<double>(cpu1 - cpu0) * 1e6 / static_cast<double>(sysconf(_SC_CLK_TCK)) : -1;
  std::printf("offered=%.0f sent=%" PRIu64 " sent_per_s=%.0f answered=%" PRIu64 " answered_per_s=%.0f loss=%.6f "
              "p50_us=%u p99_us=%u "
              "server_cpu_us=%.0f cpu_us_per_answer=%.3f\n",
              o.rate, s.sent, static_cast<double>(s.sent) / elapsed, s.answered, static_cast<double>(s.answered) / elapsed, o.rate > 0 ? loss : 0.0,
              pct(0.5), pct(0.99), cpu_us, s.answered > 0 && cpu_us >= 0 ? cpu_us / static_cast<double>(s.answered) : -1);
  return 0;
}
