// TURN over TCP/TLS under abuse (issue 10): connections that never finish a TLS handshake, never send a
// valid request, idle without an allocation, or stall mid-frame are closed; one client IP gets a bounded
// number of connections; a listener out of descriptors backs off instead of spinning; and connections
// that flood requests do not starve the worker's UDP clients.
#include <gtest/gtest.h>

#include <netinet/in.h>
#include <poll.h>
#include <sys/socket.h>
#include <unistd.h>

#include <atomic>
#include <fstream>
#include <memory>
#include <sstream>
#include <string>
#include <thread>
#include <vector>

#include "common/host_address.hpp"
#include "common/http_get.hpp"
#include "common/json_util.hpp"
#include "common/server_process.hpp"
#include "net/socket_address.hpp"
#include "turn_probe.hpp"

namespace sb::itest {
namespace {

using namespace std::chrono_literals;
using Clock = std::chrono::steady_clock;

constexpr const char* kUser = "alice";
constexpr const char* kPassword = "wonderland";

ServerOptions server(std::vector<std::string> extra, std::string binary = signalbox_path()) {
  ServerOptions o;
  o.binary = std::move(binary);
  o.args = {"--listen", "127.0.0.1:0", "--stun-listen", "127.0.0.1:0", "--turn-user",
            std::string(kUser) + ":" + kPassword, "--turn-relay-address", host_address(), "--log-level", "warn"};
  o.args.insert(o.args.end(), extra.begin(), extra.end());
  return o;
}

stun::TransportAddress address(const ServerProcess& s, const char* proto) {
  const auto& l = s.listener(proto);
  return *stun::TransportAddress::parse(l.host + ":" + std::to_string(l.port));
}

Metrics metrics(const ServerProcess& s) {
  bool tls = false;
  for (const auto& l : s.listeners()) tls = tls || l.proto == "https";
  const auto& l = s.listener(tls ? "https" : "http");
  return parse_prometheus(http_get(l.host, l.port, "/metrics", tls).body);
}

double closed(const ServerProcess& s, const char* reason) {
  return metric(metrics(s), "signalbox_turn_connections_closed_total", {{"reason", reason}}).value_or(-1);
}

// How long until the server closes `p`'s connection (nullopt: still open after `limit`).
std::optional<double> seconds_until_closed(TurnProbe& p, std::chrono::milliseconds limit) {
  const auto t0 = Clock::now();
  if (!p.closed_by_server(limit)) return std::nullopt;
  return std::chrono::duration<double>(Clock::now() - t0).count();
}

TEST(TurnTcpTimeouts, SilentStalledAndIdleConnectionsAreClosed) {
  // The stalled connection sent no valid request either: its frame deadline (1 s) comes before its first-request
  // deadline (2 s), so it is counted as what it is.
  ServerProcess s(server({"--stun-tls-listen", "127.0.0.1:0", "--self-signed", "--turn-tcp-first-request-timeout",
                          "2", "--turn-tcp-idle-timeout", "2", "--turn-tcp-frame-timeout", "1",
                          "--turn-tls-handshake-timeout", "1"}));
  const auto tcp = address(s, "turn-tcp");
  TurnProbe silent(tcp, true), stalled(tcp, true), idle(tcp, true), allocated(tcp, true);
  TurnProbe no_handshake(address(s, "turn-tls"), true);
  const std::uint8_t half_header[10] = {0x00, 0x01, 0x00, 0x00, 0x21, 0x12, 0xA4, 0x42, 0x01, 0x02};
  ASSERT_EQ(::send(stalled.fd(), half_header, sizeof half_header, 0), 10);
  ASSERT_TRUE(idle.binding());
  ASSERT_EQ(allocated.allocate(kUser, kPassword), 200) << s.output();
  // Nothing valid within 2 s, half a frame for 1 s, no TLS handshake within 1 s: closed (checked twice a second).
  EXPECT_LE(seconds_until_closed(silent, 5s).value_or(99), 4);
  EXPECT_LE(seconds_until_closed(stalled, 5s).value_or(99), 3);
  EXPECT_LE(seconds_until_closed(no_handshake, 5s).value_or(99), 3);
  // A valid request, then 2 s of nothing without an allocation: closed; with one, the connection stays.
  EXPECT_LE(seconds_until_closed(idle, 6s).value_or(99), 4);
  EXPECT_FALSE(allocated.closed_by_server(500ms)) << "a connection with a live allocation is not idle";
  ASSERT_EQ(allocated.refresh(0), 200);
  EXPECT_LE(seconds_until_closed(allocated, 6s).value_or(99), 4);
  EXPECT_EQ(closed(s, "first_request_timeout"), 1);
  EXPECT_EQ(closed(s, "frame_timeout"), 1);
  EXPECT_EQ(closed(s, "tls_handshake_timeout"), 1);
  EXPECT_EQ(closed(s, "idle_timeout"), 2);
}

// With --no-turn, the same front end with TURN off keeps the same deadlines and the same cap per client IP,
// counted under STUN's names.
TEST(TurnTcpTimeouts, StunOwnListenerWithoutTurn) {
  ServerProcess s(server({"--no-turn", "--turn-tcp-first-request-timeout", "1", "--turn-tcp-idle-timeout", "1",
                          "--turn-tcp-connections-per-ip", "3"}));
  const auto tcp = address(s, "stun-tcp");
  TurnProbe silent(tcp, true), stalled(tcp, true), served(tcp, true);
  const std::uint8_t half_header[10] = {0x00, 0x01, 0x00, 0x00, 0x21, 0x12, 0xA4, 0x42, 0x01, 0x02};
  ASSERT_EQ(::send(stalled.fd(), half_header, sizeof half_header, 0), 10);
  ASSERT_TRUE(served.binding());
  TurnProbe over_limit(tcp, true);
  EXPECT_TRUE(over_limit.closed_by_server(2s));
  EXPECT_LE(seconds_until_closed(silent, 5s).value_or(99), 3);
  EXPECT_LE(seconds_until_closed(stalled, 5s).value_or(99), 3);
  EXPECT_LE(seconds_until_closed(served, 5s).value_or(99), 3);
  EXPECT_EQ(metric(metrics(s), "signalbox_stun_connections_refused_total").value_or(-1), 1);
}

TEST(TurnTcpLimits, ConnectionsPerClientIp) {
  ServerProcess s(server({"--turn-tcp-connections-per-ip", "5", "--turn-threads", "2"}));
  const auto tcp = address(s, "turn-tcp");
  std::vector<std::unique_ptr<TurnProbe>> probes;
  for (int i = 0; i < 8; ++i) probes.push_back(std::make_unique<TurnProbe>(tcp, true));
  int answered = 0, refused = 0;
  for (auto& p : probes) {
    if (p->binding()) {
      ++answered;
    } else if (p->closed_by_server(1s)) {
      ++refused;
    }
  }
  EXPECT_EQ(answered, 5);
  EXPECT_EQ(refused, 3);
  EXPECT_EQ(closed(s, "per_ip_limit"), 3);
  // A closed connection gives its slot back once the server has seen it close (bounded wait: a connection
  // opened before the workers read the closes is still refused).
  probes.clear();
  bool served_again = false;
  for (const auto until = Clock::now() + 3s; !served_again && Clock::now() < until;) {
    TurnProbe again(tcp, true);
    served_again = again.binding();
  }
  EXPECT_TRUE(served_again);
}

long cpu_ticks(pid_t pid) {
  std::ifstream f("/proc/" + std::to_string(pid) + "/stat");
  std::string text((std::istreambuf_iterator<char>(f)), std::istreambuf_iterator<char>());
  std::istringstream rest(text.substr(text.rfind(')') + 2));
  std::string field;
  long utime = 0, stime = 0;
  for (int i = 3; i <= 15 && rest >> field; ++i) {
    if (i == 14) utime = std::stol(field);
    if (i == 15) stime = std::stol(field);
  }
  return utime + stime;
}

// 400 idle connections under a 300-descriptor limit used to leave /healthz unanswered, Allocate at 508,
// the worker spinning at 100% on accept() and every connection open after 39 s. The same for TURN's front
// end and for the STUN server alone (--no-turn).
void expect_backs_off_and_recovers(bool turn) {
  ASSERT_EQ(::access("/usr/bin/prlimit", X_OK), 0) << "prlimit (util-linux) is needed";
  std::vector<std::string> args = {"--turn-threads", "1", "--threads", "1", "--turn-tcp-first-request-timeout", "3",
                                   "--turn-tcp-connections-per-ip", "0"};
  if (!turn) args.push_back("--no-turn");
  ServerOptions o = server(args, "/usr/bin/prlimit");
  o.args.insert(o.args.begin(), {"--nofile=300:300", signalbox_path()});
  ServerProcess s(o);
  const auto tcp = address(s, turn ? "turn-tcp" : "stun-tcp");
  // First one connection served and one closed at its deadline, while descriptors are free. (Under UBSan the
  // first call of a kind on a polymorphic object has its vtable checked through pipe(), which fails with
  // EMFILE and is reported as an invalid vptr, ending the server: a report about the sanitizer, not the code.)
  {
    TurnProbe served(tcp, true), silent(tcp, true);
    ASSERT_TRUE(served.binding());
    ASSERT_TRUE(silent.closed_by_server(6s));
  }
  std::vector<std::unique_ptr<TurnProbe>> idle;
  for (int i = 0; i < 400; ++i) idle.push_back(std::make_unique<TurnProbe>(tcp, true));
  // While the descriptors are gone, the listener waits instead of spinning on a failing accept().
  std::this_thread::sleep_for(300ms);
  const long ticks0 = cpu_ticks(s.pid());
  std::this_thread::sleep_for(1500ms);
  const double busy = static_cast<double>(cpu_ticks(s.pid()) - ticks0) / static_cast<double>(::sysconf(_SC_CLK_TCK));
  // (A spinning loop, even on a loaded machine, took 0.4 s here; a waiting one takes none.)
  EXPECT_LT(busy, 0.15) << "CPU seconds in 1.5 s with accept() failing";
  // The silent connections are closed after their deadline (those waiting in the backlog once they got a
  // descriptor), and the server serves again.
  const auto deadline = Clock::now() + 20s;
  int closed_by_server = 0;
  for (auto& p : idle) {
    const auto left = std::chrono::duration_cast<std::chrono::milliseconds>(deadline - Clock::now());
    closed_by_server += left.count() > 0 && p->closed_by_server(left);
  }
  EXPECT_EQ(closed_by_server, 400);
  if (turn) {
    EXPECT_EQ(closed(s, "first_request_timeout"), 401);  // with the first silent one
  }
  const char* backoffs = turn ? "signalbox_turn_accept_backoffs_total" : "signalbox_stun_accept_backoffs_total";
  EXPECT_GE(metric(metrics(s), backoffs).value_or(0), 1);
  const auto& l = s.listener("http");
  EXPECT_EQ(http_get(l.host, l.port, "/healthz", false, 2s).status, 200) << s.output();
  if (turn) {
    TurnProbe fresh(address(s, "turn-udp"));
    EXPECT_EQ(fresh.allocate(kUser, kPassword), 200);
  } else {
    TurnProbe fresh(tcp, true);
    EXPECT_TRUE(fresh.binding());
  }
}

TEST(TurnTcpLimits, OutOfDescriptorsBacksOffAndRecovers) { expect_backs_off_and_recovers(true); }
TEST(TurnTcpLimits, StunListenerOutOfDescriptorsBacksOffAndRecovers) { expect_backs_off_and_recovers(false); }

// Two TCP clients flooding Binding requests used to take the worker for themselves: 0 of 12 UDP Bindings
// answered within 250 ms. Each connection now gets a budget of frames per wake, as UDP sockets do.
TEST(TurnTcpFairness, FloodingConnectionsDoNotStarveUdpClients) {
  ServerProcess s(server({"--turn-threads", "1"}));
  const auto tcp = address(s, "turn-tcp");
  std::vector<std::uint8_t> flood;
  for (int i = 0; i < 3000; ++i) {
    stun::Message m(stun::kBindingRequest, stun::TransactionId::random());
    flood.insert(flood.end(), m.bytes().begin(), m.bytes().end());
  }
  std::atomic<bool> stop{false};
  std::vector<std::unique_ptr<TurnProbe>> flooders;
  std::vector<std::thread> threads;
  for (int i = 0; i < 2; ++i) {
    flooders.push_back(std::make_unique<TurnProbe>(tcp, true));
    threads.emplace_back([fd = flooders.back()->fd(), &flood, &stop] {
      while (!stop.load()) {
        if (::send(fd, flood.data(), flood.size(), MSG_NOSIGNAL) <= 0) break;
      }
    });
  }
  std::this_thread::sleep_for(300ms);  // the flood is on
  TurnProbe udp(address(s, "turn-udp"));
  int in_time = 0;
  for (int i = 0; i < 12; ++i) {
    const auto t0 = Clock::now();
    if (udp.binding() && Clock::now() - t0 < 250ms) ++in_time;
    std::this_thread::sleep_for(50ms);
  }
  stop = true;
  for (auto& p : flooders) ::shutdown(p->fd(), SHUT_RDWR);
  for (auto& t : threads) t.join();
  EXPECT_GE(in_time, 10) << "UDP Bindings answered within 250 ms while two TCP clients flood";
}

}  // namespace
}  // namespace sb::itest
