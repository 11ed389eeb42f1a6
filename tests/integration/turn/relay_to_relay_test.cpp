// Relay-to-relay on one server with the DEFAULT peer policy (issue 10): two clients that can only relay
// both allocate on the same signalbox and send to each other's relayed address, which is the server's
// own address. The core hands such data from one allocation to the other inside the server, so it
// works without --allow-peer, behind a 1:1 NAT (--turn-external-address, an IP no interface has), over
// IPv6, and between allocations on different workers; the server's own address stays unreachable at
// every port that is not a live relay port.
#include <gtest/gtest.h>

#include <poll.h>
#include <sys/socket.h>
#include <unistd.h>

#include <cstring>
#include <memory>
#include <string>
#include <thread>
#include <vector>

#include "common/process.hpp"
#include "common/host_address.hpp"
#include "common/http_get.hpp"
#include "common/json_util.hpp"
#include "common/server_process.hpp"
#include "net/socket_address.hpp"
#include "stun/attr_turn.hpp"
#include "turn_probe.hpp"

namespace sb::itest {
namespace {

using namespace std::chrono_literals;

constexpr const char* kUser = "alice";
constexpr const char* kPassword = "wonderland";
// This host's non-loopback addresses (192.0.2.2 and fd00::2 on the dev machine).
// (Functions: host_address() throws when there is none, which must fail a test, not the test binary.)
std::string relay_v4() { return host_address(); }
std::string relay_v6() { return host_address(true); }

ServerOptions server(std::vector<std::string> extra) {
  ServerOptions o;
  o.args = {"--listen", "127.0.0.1:0", "--stun-listen", "127.0.0.1:0", "--turn-user",
            std::string(kUser) + ":" + kPassword, "--turn-threads", "2", "--log-level", "warn"};
  o.args.insert(o.args.end(), extra.begin(), extra.end());
  return o;
}

stun::TransportAddress turn_address(const ServerProcess& s) {
  const auto& l = s.listener("turn-udp");
  return *stun::TransportAddress::parse(l.host + ":" + std::to_string(l.port));
}

Metrics metrics(const ServerProcess& s) {
  const auto& l = s.listener("http");
  return parse_prometheus(http_get(l.host, l.port, "/metrics").body);
}

double value(const Metrics& m, const char* name, std::map<std::string, std::string> labels = {}) {
  return metric(m, name, labels).value_or(-1);
}

// A UDP socket bound to `ip` (port 0), standing for another service on the server's own address.
struct UdpListener {
  int fd = -1;
  stun::TransportAddress address;
  explicit UdpListener(const stun::TransportAddress& ip) {
    std::string error;
    fd = net::open_udp_socket(ip, net::UdpSocketOptions{.nonblocking = false}, error);
    EXPECT_GE(fd, 0) << error;
    address = net::bound_address(fd);
  }
  ~UdpListener() { ::close(fd); }
  bool got_anything(std::chrono::milliseconds wait) const {
    pollfd p{fd, POLLIN, 0};
    return ::poll(&p, 1, static_cast<int>(wait.count())) > 0;
  }
  void send_to(const stun::TransportAddress& to, const std::string& data) const {
    sockaddr_storage ss{};
    const socklen_t len = net::to_sockaddr(to, ss);
    ::sendto(fd, data.data(), data.size(), 0, reinterpret_cast<sockaddr*>(&ss), len);
  }
};

// Two probes that allocated and permitted each other's relayed address of `family`.
struct Pair {
  std::unique_ptr<TurnProbe> a, b;
  stun::TransportAddress ra, rb;
};

stun::TransportAddress of_family(const TurnProbe& p, stun::Family f) {
  for (const auto& r : p.relayed_all()) {
    if (r.family() == f) return r;
  }
  ADD_FAILURE() << "no relayed address of that family";
  return {};
}

Pair make_pair(const ServerProcess& s, stun::Family family, bool dual) {
  Pair p{std::make_unique<TurnProbe>(turn_address(s)), std::make_unique<TurnProbe>(turn_address(s)), {}, {}};
  auto extra = [dual](stun::Message& m) {
    if (dual) m.add(stun::AdditionalAddressFamily{stun::Family::kIPv6});
  };
  EXPECT_EQ(p.a->allocate(kUser, kPassword, extra), 200) << s.output();
  EXPECT_EQ(p.b->allocate(kUser, kPassword, extra), 200) << s.output();
  p.ra = of_family(*p.a, family);
  p.rb = of_family(*p.b, family);
  EXPECT_EQ(p.a->create_permission(p.rb), 200) << s.output();
  EXPECT_EQ(p.b->create_permission(p.ra), 200) << s.output();
  return p;
}

// Data both ways, as Send/Data indications and as ChannelData; each side sees the other's relayed address.
void expect_relayed_both_ways(Pair& p, const std::string& tag) {
  p.a->send_indication(p.rb, "from-a-" + tag);
  auto got = p.b->receive(3s);
  ASSERT_TRUE(got) << tag;
  EXPECT_EQ(got->data, "from-a-" + tag);
  EXPECT_EQ(got->peer, p.ra);
  ASSERT_EQ(p.b->channel_bind(0x4001, p.ra), 200);
  p.b->send_channel_data(0x4001, "from-b-" + tag);
  got = p.a->receive(3s);
  ASSERT_TRUE(got) << tag;
  EXPECT_EQ(got->data, "from-b-" + tag);
  EXPECT_EQ(got->peer, p.rb);
}

TEST(TurnRelayToRelay, TwoAllocationsReachEachOtherWithTheDefaultPolicy) {
  ServerProcess s(server({"--turn-relay-address", relay_v4()}));
  // Several pairs: with two workers, some pairs have their allocations on different workers.
  for (int i = 0; i < 6; ++i) {
    Pair p = make_pair(s, stun::Family::kIPv4, false);
    EXPECT_EQ(p.ra.ip_string(), relay_v4());
    expect_relayed_both_ways(p, std::to_string(i));
    EXPECT_EQ(p.a->refresh(0), 200);  // within --turn-user-quota
    EXPECT_EQ(p.b->refresh(0), 200);
  }
  const auto m = metrics(s);
  EXPECT_EQ(value(m, "signalbox_turn_local_relay_packets_total"), 12);
  EXPECT_EQ(value(m, "signalbox_turn_relayed_packets_total", {{"direction", "peer_to_client"}}), 12);
  EXPECT_EQ(value(m, "signalbox_turn_denied_peers_total"), 0);
}

TEST(TurnRelayToRelay, OwnAddressStaysDeniedAtEveryOtherPort) {
  ServerProcess s(server({"--turn-relay-address", relay_v4(), "--turn-min-port", "49152"}));
  Pair p = make_pair(s, stun::Family::kIPv4, false);
  // Another service on the server's own address, below the relay range and inside it (not a relay).
  UdpListener other(*stun::TransportAddress::parse(relay_v4() + ":0"));
  p.a->send_indication(other.address, "must-not-arrive");
  auto outside = other.address;
  outside.port = 3478;
  EXPECT_EQ(p.a->channel_bind(0x4002, outside), 403);  // not a relay port
  EXPECT_FALSE(other.got_anything(500ms));
  // Loopback and the HTTP port's address stay denied, as every own address that is not a relayed one.
  EXPECT_EQ(p.a->create_permission(*stun::TransportAddress::parse("127.0.0.1:" + std::to_string(s.port("http")))),
            403);
  // A relay port whose allocation is gone: nothing is sent anywhere.
  ASSERT_EQ(p.b->refresh(0), 200);
  p.a->send_indication(p.rb, "to-a-gone-allocation");
  EXPECT_FALSE(p.b->receive(300ms));
  const auto m = metrics(s);
  EXPECT_GE(value(m, "signalbox_turn_dropped_packets_total", {{"reason", "no_relayed_peer"}}), 2);
  EXPECT_EQ(value(m, "signalbox_turn_local_relay_packets_total"), 0);
}

// Behind a 1:1 NAT the relayed address is the external IP, which no interface has: through the kernel the
// data would need a hairpin on the NAT. Handed over inside the server, it arrives.
TEST(TurnRelayToRelay, ExternalAddressBehindOneToOneNat) {
  ServerProcess s(server({"--turn-relay-address", relay_v4(), "--turn-external-address", "203.0.113.9"}));
  Pair p = make_pair(s, stun::Family::kIPv4, false);
  EXPECT_EQ(p.ra.ip_string(), "203.0.113.9");
  expect_relayed_both_ways(p, "nat");
  // The external address is the server's own: no other port of it is a peer.
  EXPECT_EQ(p.a->channel_bind(0x4003, *stun::TransportAddress::parse("203.0.113.9:8080")), 403);
}

// An IPv6 relay address (it used to be unreachable: "::1" + ":0" did not parse), dual-stack allocations
// (RFC 8656 §7.2 ADDITIONAL-ADDRESS-FAMILY) and relaying over IPv6 between two of them.
TEST(TurnRelayToRelay, DualStackAllocationsRelayOverIpv6) {
  ServerProcess s(server({"--turn-relay-address", relay_v4(), "--turn-relay-address", relay_v6()}));
  Pair p = make_pair(s, stun::Family::kIPv6, true);
  ASSERT_EQ(p.a->relayed_all().size(), 2u);
  EXPECT_EQ(of_family(*p.a, stun::Family::kIPv4).ip_string(), relay_v4());
  EXPECT_EQ(p.ra.ip_string(), relay_v6());
  expect_relayed_both_ways(p, "v6");
  // The IPv6 relay socket is bound and read: a datagram sent to it through the kernel from the server's own
  // IPv6 address (another process on this host) is dropped as a denied peer, although a's permission for
  // b's relayed IP covers that IP: relayed data between allocations never comes through the kernel.
  UdpListener stranger(*stun::TransportAddress::parse("[" + relay_v6() + "]:0"));
  const auto before = value(metrics(s), "signalbox_turn_dropped_packets_total", {{"reason", "peer_denied"}});
  bool counted = false;
  for (int i = 0; i < 40 && !counted; ++i) {
    stranger.send_to(p.ra, "from-another-process");
    counted = value(metrics(s), "signalbox_turn_dropped_packets_total", {{"reason", "peer_denied"}}) > before;
    if (!counted) std::this_thread::sleep_for(100ms);
  }
  EXPECT_TRUE(counted) << s.output();
  EXPECT_FALSE(p.a->receive(200ms));
  // An IPv6-only allocation (REQUESTED-ADDRESS-FAMILY) works as well.
  TurnProbe only6(turn_address(s));
  EXPECT_EQ(only6.allocate(kUser, kPassword,
                           [](stun::Message& m) { m.add(stun::RequestedAddressFamily{stun::Family::kIPv6}); }),
            200);
  EXPECT_EQ(only6.relayed().ip_string(), relay_v6());
}

bool have_uclient() { return ::access("/usr/bin/turnutils_uclient", X_OK) == 0; }

// coturn's uclient in client-to-client mode (-y): its sessions relay to each other's relayed addresses
// on the same server, over UDP and TCP, IPv4 and IPv6 relays. Default policy.
TEST(TurnRelayToRelay, CoturnUclientClientToClient) {
  ASSERT_TRUE(have_uclient()) << "coturn's turnutils_uclient is not installed (Debian package coturn)";
  ServerProcess s(server({"--turn-relay-address", relay_v4(), "--turn-relay-address", relay_v6()}));
  struct Case {
    std::vector<std::string> flags;
    std::string port;
  };
  const std::vector<Case> cases = {{{}, "turn-udp"}, {{"-t"}, "turn-tcp"}, {{"-x"}, "turn-udp"}};
  for (const auto& c : cases) {
    std::vector<std::string> argv = {"turnutils_uclient", "-y", "-c", "-n", "20", "-m", "2", "-l", "100", "-z", "5",
                                     "-u", kUser, "-w", kPassword, "-p", std::to_string(s.port(c.port))};
    argv.insert(argv.end(), c.flags.begin(), c.flags.end());
    argv.push_back("127.0.0.1");
    Process uclient(argv);
    const auto code = uclient.wait_code(40s);
    ASSERT_TRUE(code.has_value()) << uclient.output();
    EXPECT_EQ(*code, 0) << uclient.output();
    EXPECT_NE(uclient.output().find("Total lost packets 0 (0.000000%)"), std::string::npos) << uclient.output();
  }
  EXPECT_EQ(value(metrics(s), "signalbox_turn_denied_peers_total"), 0);
  EXPECT_GE(value(metrics(s), "signalbox_turn_local_relay_packets_total"), 120);
}

}  // namespace
}  // namespace sb::itest
