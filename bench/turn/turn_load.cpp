// TURN load generator (bench, not a test). N clients, each its own UDP socket (its own 5-tuple), allocate
// a relay on the server under test, permit one far peer and bind a channel to it; then messages go
// client → relay → peer → relay → client at a paced total rate, with sendmmsg/recvmmsg on every socket.
// The far peer is an echo inside this process. Prints one `result ...` line of key=value pairs.
//
//   turn_load --server 127.0.0.1:3478 --user u --password p --clients 10 --rate 100000 --size 100
//             --seconds 5 [--send] [--secret S] [--peer 127.0.0.1]
//   turn_load --server ... --allocations 10000 --hold 10     (allocation rate and memory: prints
//             `allocated ...` then holds the allocations for --hold seconds)
#include <netinet/in.h>
#include <sys/epoll.h>
#include <sys/resource.h>
#include <sys/socket.h>
#include <unistd.h>

#include <algorithm>
#include <array>
#include <atomic>
#include <chrono>
#include <cstdio>
#include <cstring>
#include <string>
#include <thread>
#include <vector>

#include "stun/attr_address.hpp"
#include "stun/attr_error.hpp"
#include "stun/attr_text.hpp"
#include "stun/attr_turn.hpp"
#include "stun/integrity.hpp"
#include "turn/auth.hpp"

namespace {

using Clock = std::chrono::steady_clock;
using sb::stun::TransportAddress;

struct Options {
  std::string server = "127.0.0.1:3478";
  std::string peer_ip = "127.0.0.1";
  std::string user = "user", password = "password", secret;
  int clients = 10;
  double rate = 10000;  // messages per second, all clients together; 0 = as fast as possible
  int size = 100;
  double seconds = 5;
  bool send_indications = false;
  int allocations = 0;
  double hold = 0;
};

std::int64_t now_ns() {
  return std::chrono::duration_cast<std::chrono::nanoseconds>(Clock::now().time_since_epoch()).count();
}

sockaddr_in to_sin(const TransportAddress& a) {
  sockaddr_in s{};
  s.sin_family = AF_INET;
  s.sin_port = htons(a.port);
  std::memcpy(&s.sin_addr, a.ip_bytes().data(), 4);
  return s;
}

int udp_socket(const TransportAddress& bind_to, const TransportAddress* connect_to) {
  const int fd = ::socket(AF_INET, SOCK_DGRAM, 0);
  const int buf = 4 << 20;
  ::setsockopt(fd, SOL_SOCKET, SO_RCVBUF, &buf, sizeof buf);
  ::setsockopt(fd, SOL_SOCKET, SO_SNDBUF, &buf, sizeof buf);
  sockaddr_in b = to_sin(bind_to);
  ::bind(fd, reinterpret_cast<sockaddr*>(&b), sizeof b);
  if (connect_to) {
    sockaddr_in c = to_sin(*connect_to);
    ::connect(fd, reinterpret_cast<sockaddr*>(&c), sizeof c);
  }
  return fd;
}

TransportAddress bound(int fd) {
  sockaddr_in s{};
  socklen_t len = sizeof s;
  ::getsockname(fd, reinterpret_cast<sockaddr*>(&s), &len);
  return TransportAddress::v4(ntohl(s.sin_addr.s_addr), ntohs(s.sin_port));
}

// One client's control-plane conversation (long-term credentials, RFC 8489 §9.2).
struct Client {
  int fd = -1;
  std::string user, password, realm, nonce;
  TransportAddress relayed;
  std::uint16_t channel = 0x4000;

  std::optional<sb::stun::Message> transact(sb::stun::Message& m, bool sign) {
    if (sign) {
      m.add(sb::stun::Username{user}).add(sb::stun::Realm{realm}).add(sb::stun::Nonce{nonce});
      m.add_message_integrity(sb::stun::long_term_key_md5(user, realm, password));
    }
    for (int attempt = 0; attempt < 8; ++attempt) {  // generous: the servers share 2 cores with us
      ::send(fd, m.bytes().data(), m.size(), 0);
      timeval tv{0, 500000};
      ::setsockopt(fd, SOL_SOCKET, SO_RCVTIMEO, &tv, sizeof tv);
      std::array<std::uint8_t, 2048> buf{};
      for (;;) {
        const ssize_t n = ::recv(fd, buf.data(), buf.size(), 0);
        if (n <= 0) break;
        auto r = sb::stun::Message::decode(std::span(buf.data(), static_cast<std::size_t>(n)));
        if (r && r->transaction_id() == m.transaction_id()) return std::move(r.value());
      }
    }
    return std::nullopt;
  }

  static bool success(const std::optional<sb::stun::Message>& m) {
    return m && m->view().message_class() == sb::stun::Class::kSuccess;
  }

  bool allocate() {
    using namespace sb::stun;
    Message first({Method::kAllocate, Class::kRequest}, TransactionId::random());
    first.add(RequestedTransport{});
    auto c = transact(first, false);
    if (!c) return false;
    const auto v = c->view();
    auto r = v.get<Realm>();
    auto n = v.get<Nonce>();
    if (!r || !n) return success(c);
    realm = std::string(r->value);
    nonce = std::string(n->value);
    Message second({Method::kAllocate, Class::kRequest}, TransactionId::random());
    second.add(RequestedTransport{});
    auto a = transact(second, true);
    if (!success(a)) return false;
    if (auto x = a->view().get<XorRelayedAddress>()) relayed = x->address;
    return true;
  }

  bool permit(const TransportAddress& peer, bool bind_channel) {
    using namespace sb::stun;
    Message m({bind_channel ? Method::kChannelBind : Method::kCreatePermission, Class::kRequest},
              TransactionId::random());
    if (bind_channel) m.add(ChannelNumber{channel});
    m.add(XorPeerAddress{peer});
    return success(transact(m, true));
  }
};

// Far peer: echoes every datagram back to the relay address it came from.
void echo_peer(int fd, std::atomic<bool>& stop) {
  constexpr int kBatch = 64;
  std::vector<std::array<std::uint8_t, 2048>> bufs(kBatch);
  std::array<iovec, kBatch> iov{};
  std::array<sockaddr_in, kBatch> addr{};
  std::array<mmsghdr, kBatch> msgs{};
  timeval tv{0, 100000};
  ::setsockopt(fd, SOL_SOCKET, SO_RCVTIMEO, &tv, sizeof tv);
  while (!stop.load(std::memory_order_relaxed)) {
    for (int i = 0; i < kBatch; ++i) {
      iov[i] = {bufs[i].data(), bufs[i].size()};
      msgs[i].msg_hdr = msghdr{&addr[i], sizeof(sockaddr_in), &iov[i], 1, nullptr, 0, 0};
    }
    const int n = ::recvmmsg(fd, msgs.data(), kBatch, MSG_WAITFORONE, nullptr);
    if (n <= 0) continue;
    for (int i = 0; i < n; ++i) iov[i].iov_len = msgs[i].msg_len;
    ::sendmmsg(fd, msgs.data(), static_cast<unsigned>(n), 0);
  }
}

struct Stats {
  std::atomic<std::uint64_t> received{0};
  std::atomic<std::uint64_t> rtt_sum_ns{0};
  std::array<std::atomic<std::uint64_t>, 2000> rtt_hist{};  // 50 µs buckets up to 100 ms
};

// The payload carries the send time, so the receiver can compute the round trip.
std::span<const std::uint8_t> payload_of(std::span<const std::uint8_t> b, bool indication) {
  if (!indication) {
    if (b.size() < 4 || (b[0] & 0xC0) != 0x40) return {};
    const std::size_t len = (std::size_t{b[2]} << 8) | b[3];
    return b.size() >= 4 + len ? b.subspan(4, len) : std::span<const std::uint8_t>{};
  }
  auto v = sb::stun::MessageView::parse(b);
  if (!v) return {};
  auto d = v->get<sb::stun::Data>();
  return d ? d->value : std::span<const std::uint8_t>{};
}

void receiver(const std::vector<Client>& clients, bool indication, Stats& stats, std::atomic<bool>& stop) {
  const int ep = ::epoll_create1(0);
  for (std::size_t i = 0; i < clients.size(); ++i) {
    epoll_event ev{EPOLLIN, {.u64 = i}};
    ::epoll_ctl(ep, EPOLL_CTL_ADD, clients[i].fd, &ev);
  }
  constexpr int kBatch = 64;
  std::vector<std::array<std::uint8_t, 2048>> bufs(kBatch);
  std::array<iovec, kBatch> iov{};
  std::array<mmsghdr, kBatch> msgs{};
  epoll_event events[64];
  while (!stop.load(std::memory_order_relaxed)) {
    const int ne = ::epoll_wait(ep, events, 64, 100);
    for (int e = 0; e < ne; ++e) {
      const int fd = clients[events[e].data.u64].fd;
      for (int i = 0; i < kBatch; ++i) {
        iov[i] = {bufs[i].data(), bufs[i].size()};
        msgs[i].msg_hdr = msghdr{nullptr, 0, &iov[i], 1, nullptr, 0, 0};
      }
      const int n = ::recvmmsg(fd, msgs.data(), kBatch, MSG_DONTWAIT, nullptr);
      const std::int64_t t = now_ns();
      for (int i = 0; i < n; ++i) {
        auto p = payload_of(std::span(bufs[i].data(), msgs[i].msg_len), indication);
        if (p.size() < 8) continue;
        std::int64_t sent = 0;
        std::memcpy(&sent, p.data(), 8);
        const auto rtt = static_cast<std::uint64_t>(std::max<std::int64_t>(0, t - sent));
        stats.received.fetch_add(1, std::memory_order_relaxed);
        stats.rtt_sum_ns.fetch_add(rtt, std::memory_order_relaxed);
        stats.rtt_hist[std::min<std::uint64_t>(rtt / 50000, stats.rtt_hist.size() - 1)].fetch_add(1);
      }
    }
  }
  ::close(ep);
}

// Builds one message (ChannelData or Send indication) around a payload whose first 8 bytes are patched
// with the send time just before sending.
std::vector<std::uint8_t> make_template(const Client& c, const TransportAddress& peer, int size, bool indication,
                                        std::size_t& time_offset) {
  std::vector<std::uint8_t> payload(static_cast<std::size_t>(std::max(size, 8)), 0xAB);
  if (!indication) {
    std::vector<std::uint8_t> m(4 + payload.size());
    m[0] = static_cast<std::uint8_t>(c.channel >> 8);
    m[1] = static_cast<std::uint8_t>(c.channel);
    m[2] = static_cast<std::uint8_t>(payload.size() >> 8);
    m[3] = static_cast<std::uint8_t>(payload.size());
    std::copy(payload.begin(), payload.end(), m.begin() + 4);
    time_offset = 4;
    return m;
  }
  using namespace sb::stun;
  Message m({Method::kSend, Class::kIndication}, TransactionId::random());
  m.add(XorPeerAddress{peer}).add(Data{payload});
  std::vector<std::uint8_t> out(m.bytes().begin(), m.bytes().end());
  time_offset = out.size() - payload.size() - ((4 - payload.size() % 4) % 4);
  return out;
}

Options parse(int argc, char** argv) {
  Options o;
  for (int i = 1; i + 1 < argc || (i < argc && std::string(argv[i]) == "--send"); ++i) {
    const std::string k = argv[i];
    if (k == "--send") { o.send_indications = true; continue; }
    const std::string v = argv[++i];
    if (k == "--server") o.server = v;
    else if (k == "--peer") o.peer_ip = v;
    else if (k == "--user") o.user = v;
    else if (k == "--password") o.password = v;
    else if (k == "--secret") o.secret = v;
    else if (k == "--clients") o.clients = std::stoi(v);
    else if (k == "--rate") o.rate = std::stod(v);
    else if (k == "--size") o.size = std::stoi(v);
    else if (k == "--seconds") o.seconds = std::stod(v);
    else if (k == "--allocations") o.allocations = std::stoi(v);
    else if (k == "--hold") o.hold = std::stod(v);
    else { std::fprintf(stderr, "unknown option %s\n", k.c_str()); std::exit(2); }
  }
  return o;
}

void credentials_for(Client& c, const Options& o, int index) {
  if (o.secret.empty()) {
    c.user = o.user;
    c.password = o.password;
    return;
  }
  const auto cred = sb::turn::mint_rest_credential(o.secret, o.user + std::to_string(index),
                                                   std::time(nullptr), 3600);
  c.user = cred.username;
  c.password = cred.password;
}

// Clients whose allocation failed (no answer in time) are left out and counted in `failed`.
std::vector<Client> setup_clients(const Options& o, int count, const TransportAddress& server,
                                  const TransportAddress* peer, bool bind_channel, int& failed) {
  std::vector<Client> clients(static_cast<std::size_t>(count));
  const auto local = *TransportAddress::parse("127.0.0.1:0");
  for (int i = 0; i < count; ++i) {
    auto& c = clients[static_cast<std::size_t>(i)];
    c.fd = udp_socket(local, &server);
    credentials_for(c, o, i);
    if (!c.allocate() || (peer && !c.permit(*peer, bind_channel))) {
      ::close(c.fd);
      c.fd = -1;
      ++failed;
    }
  }
  std::erase_if(clients, [](const Client& c) { return c.fd < 0; });
  return clients;
}

int allocation_bench(const Options& o, const TransportAddress& server) {
  const auto t0 = Clock::now();
  int failed = 0;
  auto clients = setup_clients(o, o.allocations, server, nullptr, false, failed);
  const double secs = std::chrono::duration<double>(Clock::now() - t0).count();
  std::printf("allocated allocations=%zu failed=%d seconds=%.3f allocations_per_s=%.0f\n", clients.size(), failed,
              secs, static_cast<double>(clients.size()) / secs);
  std::fflush(stdout);
  std::this_thread::sleep_for(std::chrono::duration<double>(o.hold));
  for (auto& c : clients) ::close(c.fd);
  return 0;
}

void pace_and_send(const Options& o, std::vector<Client>& clients, const std::vector<std::vector<std::uint8_t>>& tmpl,
                   std::size_t time_offset, std::uint64_t& sent) {
  constexpr int kBurst = 16;
  std::vector<std::vector<std::uint8_t>> bufs(kBurst);
  std::array<iovec, kBurst> iov{};
  std::array<mmsghdr, kBurst> msgs{};
  const auto start = Clock::now();
  const auto end = start + std::chrono::duration<double>(o.seconds);
  std::size_t next = 0;
  while (Clock::now() < end) {
    const double elapsed = std::chrono::duration<double>(Clock::now() - start).count();
    const auto due = o.rate > 0 ? static_cast<std::uint64_t>(elapsed * o.rate) : sent + kBurst;
    if (sent >= due) {
      std::this_thread::sleep_for(std::chrono::microseconds(100));
      continue;
    }
    const auto i = next++ % clients.size();
    const int k = static_cast<int>(std::min<std::uint64_t>(kBurst, due - sent));
    const std::int64_t t = now_ns();
    for (int j = 0; j < k; ++j) {
      bufs[j] = tmpl[i];
      std::memcpy(bufs[j].data() + time_offset, &t, 8);
      iov[j] = {bufs[j].data(), bufs[j].size()};
      msgs[j].msg_hdr = msghdr{nullptr, 0, &iov[j], 1, nullptr, 0, 0};
    }
    const int n = ::sendmmsg(clients[i].fd, msgs.data(), static_cast<unsigned>(k), 0);
    sent += static_cast<std::uint64_t>(std::max(n, 0));
  }
}

double percentile(const Stats& s, double q) {
  std::uint64_t total = 0;
  for (const auto& b : s.rtt_hist) total += b.load();
  std::uint64_t acc = 0;
  for (std::size_t i = 0; i < s.rtt_hist.size(); ++i) {
    acc += s.rtt_hist[i].load();
    if (total > 0 && acc >= q * total) return (i + 1) * 0.05;
  }
  return 0;
}

}  // namespace

int main(int argc, char** argv) {
  const Options o = parse(argc, argv);
  rlimit lim{};
  ::getrlimit(RLIMIT_NOFILE, &lim);
  lim.rlim_cur = lim.rlim_max;
  ::setrlimit(RLIMIT_NOFILE, &lim);
  const auto server = TransportAddress::parse(o.server);
  if (!server) return 2;
  if (o.allocations > 0) return allocation_bench(o, *server);

  const int peer_fd = udp_socket(*TransportAddress::parse(o.peer_ip + ":0"), nullptr);
  const TransportAddress peer = bound(peer_fd);
  int failed = 0;
  auto clients = setup_clients(o, o.clients, *server, &peer, !o.send_indications, failed);
  if (clients.empty()) return 1;
  std::vector<std::vector<std::uint8_t>> tmpl;
  std::size_t time_offset = 0;
  for (const auto& c : clients) tmpl.push_back(make_template(c, peer, o.size, o.send_indications, time_offset));

  std::atomic<bool> stop_peer{false}, stop_rx{false};
  Stats stats;
  std::thread echo([&] { echo_peer(peer_fd, stop_peer); });
  std::thread rx([&] { receiver(clients, o.send_indications, stats, stop_rx); });
  std::uint64_t sent = 0;
  const auto t0 = Clock::now();
  pace_and_send(o, clients, tmpl, time_offset, sent);
  const double secs = std::chrono::duration<double>(Clock::now() - t0).count();
  std::this_thread::sleep_for(std::chrono::milliseconds(500));  // drain what is in flight
  stop_rx = true;
  stop_peer = true;
  rx.join();
  echo.join();
  const std::uint64_t received = stats.received.load();
  std::printf("result sent=%llu received=%llu loss_pct=%.4f offered_per_s=%.0f received_per_s=%.0f "
              "rtt_mean_ms=%.3f rtt_p99_ms=%.2f\n",
              static_cast<unsigned long long>(sent), static_cast<unsigned long long>(received),
              sent ? 100.0 * (1.0 - static_cast<double>(received) / static_cast<double>(sent)) : 0.0, sent / secs,
              received / secs, received ? stats.rtt_sum_ns.load() / 1e6 / static_cast<double>(received) : 0.0,
              percentile(stats, 0.99));
  return 0;
}
