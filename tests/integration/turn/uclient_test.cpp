// signalbox's TURN relay against clients nobody here wrote: coturn's turnutils_uclient relaying through
// signalbox to turnutils_peer (a UDP echo), over UDP, TCP and TLS, with channels and with Send
// indications, with static and with TURN REST credentials. Every message must come back, and signalbox's
// /metrics must count exactly what uclient sent and received. Negative cases use a small probe client
// built on the project's STUN codec, which can tell 401 from 403.
#include <gtest/gtest.h>

#include <unistd.h>

#include <regex>
#include <string>
#include <vector>

#include "common/ports.hpp"
#include "common/process.hpp"
#include "common/host_address.hpp"
#include "common/http_get.hpp"
#include "common/json_util.hpp"
#include "common/server_process.hpp"
#include "turn_probe.hpp"

namespace sb::itest {
namespace {

using namespace std::chrono_literals;

constexpr const char* kUser = "alice";
constexpr const char* kPassword = "wonderland";
constexpr const char* kSecret = "rest-api-secret";

bool have_coturn_tools() {
  return ::access("/usr/bin/turnutils_uclient", X_OK) == 0 && ::access("/usr/bin/turnutils_peer", X_OK) == 0;
}

std::vector<std::string> server_args(bool allow_loopback) {
  std::vector<std::string> a = {"--listen", "127.0.0.1:0", "--stun-listen", "127.0.0.1:0", "--stun-tls-listen",
                                "127.0.0.1:0", "--self-signed", "--turn-user", std::string(kUser) + ":" + kPassword,
                                "--turn-secret", kSecret, "--turn-threads", "2", "--log-level", "warn"};
  // turnutils_peer runs on loopback, which the relay never sends to by default: the relaying tests allow
  // it. The others keep the default policy, with a relay address that is not loopback (with relay IP
  // 127.0.0.1, permissions for 127.0.0.1 would be for other allocations of this server).
  if (allow_loopback) {
    a.insert(a.end(), {"--allow-peer", "127.0.0.1"});
  } else {
    a.insert(a.end(), {"--turn-relay-address", host_address()});
  }
  return a;
}

struct UclientResult {
  std::optional<int> exit_code;
  long sent = -1;
  long received = -1;
  long lost = -1;
  std::string output;
};

UclientResult parse_uclient(std::optional<int> code, std::string output) {
  UclientResult r{code, -1, -1, -1, std::move(output)};
  static const std::regex totals(R"(tot_send_msgs=(\d+), tot_recv_msgs=(\d+)\s*\n)");
  for (auto it = std::sregex_iterator(r.output.begin(), r.output.end(), totals); it != std::sregex_iterator(); ++it) {
    r.sent = std::stol((*it)[1]);
    r.received = std::stol((*it)[2]);
  }
  std::smatch m;
  if (std::regex_search(r.output, m, std::regex(R"(Total lost packets (\d+))"))) r.lost = std::stol(m[1]);
  return r;
}

class TurnUclient : public ::testing::Test {
 protected:
  void SetUp() override {
    // A missing dependency fails the suite: scripts/setup installs Debian's coturn, which brings turnutils.
    ASSERT_TRUE(have_coturn_tools()) << "coturn's turnutils are not installed (Debian package coturn)";
    ServerOptions options;
    options.args = server_args(true);
    server_ = std::make_unique<ServerProcess>(options);
    peer_port_ = free_port();
    peer_ = std::make_unique<Process>(std::vector<std::string>{"turnutils_peer", "-L", "127.0.0.1", "-p",
                                                              std::to_string(peer_port_)});
  }

  // 2 sessions x 20 messages of 100 bytes, no RTCP sessions (-c): 40 messages each way.
  UclientResult uclient(std::vector<std::string> flags, std::uint16_t port) {
    std::vector<std::string> argv = {"turnutils_uclient", "-c", "-n", "20", "-m", "2", "-l", "100", "-z", "5",
                                     "-e", "127.0.0.1", "-r", std::to_string(peer_port_), "-p", std::to_string(port)};
    argv.insert(argv.end(), flags.begin(), flags.end());
    argv.push_back("127.0.0.1");
    Process c(argv);
    auto code = c.wait_code(40s);
    return parse_uclient(code, c.output());
  }

  Metrics metrics() {
    const bool tls = has("https");
    const auto& l = server_->listener(tls ? "https" : "http");
    auto r = http_get(l.host, l.port, "/metrics", tls);
    EXPECT_EQ(r.status, 200) << r.error;
    return parse_prometheus(r.body);
  }

  bool has(std::string_view proto) const {
    for (const auto& l : server_->listeners()) {
      if (l.proto == proto) return true;
    }
    return false;
  }

  // All messages came back, and the server counted exactly them, in both directions.
  void expect_all_relayed(const UclientResult& r) {
    ASSERT_TRUE(r.exit_code.has_value()) << "uclient timed out\n" << r.output;
    EXPECT_EQ(*r.exit_code, 0) << r.output;
    EXPECT_EQ(r.sent, 40) << r.output;
    EXPECT_EQ(r.received, 40) << r.output;
    EXPECT_EQ(r.lost, 0) << r.output;
    const auto m = metrics();
    EXPECT_EQ(metric(m, "signalbox_turn_relayed_packets_total", {{"direction", "client_to_peer"}}), r.sent);
    EXPECT_EQ(metric(m, "signalbox_turn_relayed_packets_total", {{"direction", "peer_to_client"}}), r.received);
    EXPECT_EQ(metric(m, "signalbox_turn_relayed_bytes_total", {{"direction", "client_to_peer"}}), r.sent * 100);
    // uclient makes more than one allocation per session (it tests Refresh 0 on the way); at least one each.
    EXPECT_GE(metric(m, "signalbox_turn_allocations_created_total").value_or(0), 2);
  }

  std::unique_ptr<ServerProcess> server_;
  std::unique_ptr<Process> peer_;
  std::uint16_t peer_port_ = 0;
};

TEST_F(TurnUclient, UdpChannels) {
  expect_all_relayed(uclient({"-u", kUser, "-w", kPassword}, server_->port("turn-udp")));
}

TEST_F(TurnUclient, UdpSendIndications) {
  expect_all_relayed(uclient({"-s", "-u", kUser, "-w", kPassword}, server_->port("turn-udp")));
}

TEST_F(TurnUclient, UdpRestSecret) {
  expect_all_relayed(uclient({"-W", kSecret, "-u", "bob"}, server_->port("turn-udp")));
}

TEST_F(TurnUclient, TcpChannels) {
  expect_all_relayed(uclient({"-t", "-u", kUser, "-w", kPassword}, server_->port("turn-tcp")));
}

TEST_F(TurnUclient, TcpSendIndicationsRestSecret) {
  expect_all_relayed(uclient({"-t", "-s", "-W", kSecret, "-u", "carol"}, server_->port("turn-tcp")));
}

TEST_F(TurnUclient, TlsChannels) {
  expect_all_relayed(uclient({"-t", "-S", "-u", kUser, "-w", kPassword}, server_->port("turn-tls")));
}

TEST_F(TurnUclient, WrongPasswordNeverAllocates) {
  // uclient gives up ("Cannot complete Allocation") ...
  auto r = uclient({"-u", kUser, "-w", "not-the-password"}, server_->port("turn-udp"));
  ASSERT_TRUE(r.exit_code.has_value()) << r.output;
  EXPECT_NE(*r.exit_code, 0) << r.output;
  EXPECT_NE(r.output.find("Cannot complete Allocation"), std::string::npos) << r.output;
  // ... because every answer is 401 (RFC 8489 §9.2.4), and no relay was ever opened.
  const auto& l = server_->listener("turn-udp");
  TurnProbe probe(*stun::TransportAddress::parse(l.host + ":" + std::to_string(l.port)));
  EXPECT_EQ(probe.allocate(kUser, "not-the-password"), 401);
  const auto m = metrics();
  EXPECT_EQ(metric(m, "signalbox_turn_allocations_created_total"), 0);
  EXPECT_EQ(metric(m, "signalbox_turn_allocations"), 0);
  EXPECT_GE(metric(m, "signalbox_turn_auth_failures_total", {{"reason", "bad_integrity"}}).value_or(0), 1);
}

// Without --allow-peer, loopback is one of the ranges the relay never sends to (RFC 8656 §21.3): 403.
TEST(TurnPeerPolicy, LoopbackPeerWithoutAllowRuleIsForbidden) {
  ServerOptions options;
  options.args = server_args(false);
  ServerProcess server(options);
  const auto& l = server.listener("turn-udp");
  TurnProbe probe(*stun::TransportAddress::parse(l.host + ":" + std::to_string(l.port)));
  ASSERT_EQ(probe.allocate(kUser, kPassword), 200) << server.output();
  EXPECT_NE(probe.relayed().port, 0);
  EXPECT_EQ(probe.create_permission(*stun::TransportAddress::parse("127.0.0.1:9")), 403);
  EXPECT_EQ(probe.create_permission(*stun::TransportAddress::parse("10.1.2.3:9")), 403);
  std::string proto = "http";
  for (const auto& x : server.listeners()) {
    if (x.proto == "https") proto = "https";
  }
  const auto& h = server.listener(proto);
  const auto m = parse_prometheus(http_get(h.host, h.port, "/metrics", proto == "https").body);
  EXPECT_EQ(metric(m, "signalbox_turn_denied_peers_total"), 2);
  EXPECT_EQ(metric(m, "signalbox_turn_permissions_created_total"), 0);
}

// Issue 10: the --stun-public-address host is one of the server's own addresses (clients reach the server
// there, so the relay must not send to it), like the interface and external addresses.
TEST(TurnPeerPolicy, PublicAddressIsAnOwnAddress) {
  ServerOptions options;
  options.args = server_args(false);
  options.args.insert(options.args.end(), {"--stun-public-address", "203.0.113.77:3478"});
  ServerProcess server(options);
  const auto& l = server.listener("turn-udp");
  TurnProbe probe(*stun::TransportAddress::parse(l.host + ":" + std::to_string(l.port)));
  ASSERT_EQ(probe.allocate(kUser, kPassword), 200) << server.output();
  EXPECT_EQ(probe.create_permission(*stun::TransportAddress::parse("203.0.113.77:3478")), 403);
  EXPECT_EQ(probe.create_permission(*stun::TransportAddress::parse("203.0.113.78:3478")), 200);
}

}  // namespace
}  // namespace sb::itest
