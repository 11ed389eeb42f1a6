// The real `signalbox` answering STUN: raw UDP/TCP clients with exact mapped-address checks, coturn's
// turnutils_stunclient and turnutils_natdiscovery (RFC 5780), malformed input, metrics, and iceServers.
// Every test runs twice: STUN inside TURN's shared front end (the default) and STUN alone (--no-turn).
#include <arpa/inet.h>
#include <gtest/gtest.h>
#include <openssl/ssl.h>
#include <poll.h>
#include <sys/socket.h>
#include <sys/time.h>
#include <unistd.h>

#include <chrono>
#include <memory>
#include <optional>
#include <string>
#include <vector>

#include "common/http_get.hpp"
#include "common/json_util.hpp"
#include "common/ports.hpp"
#include "common/process.hpp"
#include "common/server_process.hpp"
#include "common/ws_client.hpp"
#include "stun/attr_address.hpp"
#include "stun/attr_error.hpp"
#include "stun/attr_text.hpp"
#include "stun/integrity.hpp"
#include "stun/message.hpp"
#include "unit/stun/rfc5769_vectors.hpp"

namespace sb::itest {
namespace {

using namespace std::chrono_literals;
using stun::TransportAddress;

// A connected-less socket bound to `local` (port 0); closed on destruction.
class Socket {
 public:
  Socket(const TransportAddress& local, int type) {
    fd_ = ::socket(local.is_v4() ? AF_INET : AF_INET6, type, 0);
    sockaddr_storage ss{};
    ::bind(fd_, reinterpret_cast<sockaddr*>(&ss), fill(local, ss));
  }
  ~Socket() { ::close(fd_); }
  int fd() const { return fd_; }
  TransportAddress local() const {
    sockaddr_storage ss{};
    socklen_t len = sizeof ss;
    ::getsockname(fd_, reinterpret_cast<sockaddr*>(&ss), &len);
    return from(ss);
  }
  static socklen_t fill(const TransportAddress& a, sockaddr_storage& ss) {
    ss = {};
    if (a.is_v4()) {
      auto& s = reinterpret_cast<sockaddr_in&>(ss);
      s.sin_family = AF_INET;
      s.sin_port = htons(a.port);
      std::memcpy(&s.sin_addr, a.ip_bytes().data(), 4);
      return sizeof s;
    }
    auto& s = reinterpret_cast<sockaddr_in6&>(ss);
    s.sin6_family = AF_INET6;
    s.sin6_port = htons(a.port);
    std::memcpy(&s.sin6_addr, a.ip.bytes.data(), 16);
    return sizeof s;
  }
  static TransportAddress from(const sockaddr_storage& ss) {
    if (ss.ss_family == AF_INET) {
      const auto& s = reinterpret_cast<const sockaddr_in&>(ss);
      return TransportAddress::v4(ntohl(s.sin_addr.s_addr), ntohs(s.sin_port));
    }
    const auto& s = reinterpret_cast<const sockaddr_in6&>(ss);
    std::array<std::uint8_t, 16> ip{};
    std::memcpy(ip.data(), &s.sin6_addr, 16);
    return TransportAddress::v6(ip, ntohs(s.sin6_port));
  }

 private:
  int fd_ = -1;
};

// Reads at most `max` bytes that arrive within `timeout`; empty on timeout or EOF.
std::vector<std::uint8_t> receive(int fd, std::chrono::milliseconds timeout, std::size_t max = 2048) {
  pollfd p{fd, POLLIN, 0};
  if (::poll(&p, 1, static_cast<int>(timeout.count())) <= 0) return {};
  std::vector<std::uint8_t> buf(max);
  const ssize_t n = ::recv(fd, buf.data(), buf.size(), 0);
  buf.resize(n > 0 ? static_cast<std::size_t>(n) : 0);
  return buf;
}

// Reads exactly `n` bytes from a stream within `timeout`; fewer on timeout or EOF.
std::vector<std::uint8_t> receive_exact(int fd, std::size_t n, std::chrono::milliseconds timeout) {
  std::vector<std::uint8_t> out;
  const auto end = std::chrono::steady_clock::now() + timeout;
  while (out.size() < n && std::chrono::steady_clock::now() < end) {
    const auto left = std::chrono::duration_cast<std::chrono::milliseconds>(end - std::chrono::steady_clock::now());
    auto chunk = receive(fd, left, n - out.size());
    if (chunk.empty()) break;
    out.insert(out.end(), chunk.begin(), chunk.end());
  }
  return out;
}

void send_to(int fd, std::span<const std::uint8_t> bytes, const TransportAddress& to) {
  sockaddr_storage ss{};
  const socklen_t len = Socket::fill(to, ss);
  ::sendto(fd, bytes.data(), bytes.size(), 0, reinterpret_cast<sockaddr*>(&ss), len);
}

struct Mode {
  const char* name;
  std::vector<std::string> extra_args;
};

class StunIntegration : public ::testing::TestWithParam<Mode> {
 protected:
  ServerOptions options(std::vector<std::string> args) const {
    ServerOptions o;
    o.args = {"--listen", "127.0.0.1:0"};
    o.args.insert(o.args.end(), args.begin(), args.end());
    o.args.insert(o.args.end(), GetParam().extra_args.begin(), GetParam().extra_args.end());
    return o;
  }
  std::unique_ptr<ServerProcess> start(std::vector<std::string> args) const {
    return std::make_unique<ServerProcess>(options(std::move(args)));
  }
  static TransportAddress address_of(const ServerProcess& s, const std::string& proto, const std::string& host) {
    for (const auto& l : s.listeners()) {
      if (l.proto == proto && l.host == host) {
        return *TransportAddress::parse((host.find(':') != std::string::npos ? "[" + host + "]" : host) + ":" +
                                        std::to_string(l.port));
      }
    }
    throw std::runtime_error("no listener " + proto + " " + host + "\n" + s.output());
  }
};

TEST_P(StunIntegration, UdpBindingReturnsTheExactMappedAddressOverIPv4AndIPv6) {
  auto server = start({"--stun-listen", "127.0.0.1:0", "--stun-listen", "[::1]:0"});
  for (const std::string host : {"127.0.0.1", "::1"}) {
    const TransportAddress target = address_of(*server, "stun-udp", host);
    Socket client(host == "::1" ? *TransportAddress::parse("[::1]:0") : *TransportAddress::parse("127.0.0.1:0"),
                  SOCK_DGRAM);
    stun::Message req(stun::kBindingRequest, stun::TransactionId::random());
    req.add_fingerprint();
    send_to(client.fd(), req.bytes(), target);
    const auto reply = receive(client.fd(), 3s);
    const auto v = stun::MessageView::parse(reply);
    ASSERT_TRUE(v.ok()) << host << ": no or bad reply\n" << server->output();
    EXPECT_EQ(v->type(), stun::kBindingSuccess);
    EXPECT_EQ(v->transaction_id(), req.transaction_id());
    EXPECT_EQ(v->get<stun::XorMappedAddress>()->address, client.local()) << host;
    EXPECT_TRUE(stun::verify_fingerprint(*v));
    EXPECT_FALSE(v->has(stun::attr::kSoftware));  // off by default
  }
}

TEST_P(StunIntegration, CoturnStunClientGetsItsReflexiveAddress) {
  auto server = start({"--stun-listen", "127.0.0.1:0"});
  const auto port = std::to_string(server->port("stun-udp"));
  Process tool({"turnutils_stunclient", "-p", port, "127.0.0.1"});
  const auto code = tool.wait_code(10s);
  ASSERT_TRUE(code.has_value()) << "timed out\n" << tool.output();
  EXPECT_EQ(*code, 0) << tool.output();
  EXPECT_NE(tool.output().find("UDP reflexive addr: 127.0.0.1:"), std::string::npos) << tool.output();
}

TEST_P(StunIntegration, TcpFramingPipeliningAndMalformedFrameClosesOnlyThatConnection) {
  auto server = start({"--stun-listen", "127.0.0.1:0", "--stun-software", "signalbox-test"});
  const TransportAddress target = address_of(*server, "stun-tcp", "127.0.0.1");
  Socket good(*TransportAddress::parse("127.0.0.1:0"), SOCK_STREAM);
  sockaddr_storage ss{};
  ASSERT_EQ(::connect(good.fd(), reinterpret_cast<sockaddr*>(&ss), Socket::fill(target, ss)), 0);
  // Two requests in one write: the RFC 5769 sample request (written by the RFC, not by us) and our own.
  std::vector<std::uint8_t> both = stun::test::kSampleRequest;
  stun::Message own(stun::kBindingRequest, stun::TransactionId::random());
  both.insert(both.end(), own.bytes().begin(), own.bytes().end());
  ASSERT_EQ(::send(good.fd(), both.data(), both.size(), 0), static_cast<ssize_t>(both.size()));
  for (int i = 0; i < 2; ++i) {
    const auto header = receive_exact(good.fd(), stun::kHeaderSize, 3s);
    ASSERT_EQ(header.size(), stun::kHeaderSize) << server->output();
    auto body = receive_exact(good.fd(), stun::load_u16(header.data() + 2), 3s);
    std::vector<std::uint8_t> msg = header;
    msg.insert(msg.end(), body.begin(), body.end());
    const auto v = stun::MessageView::parse(msg);
    ASSERT_TRUE(v.ok());
    EXPECT_EQ(v->type(), stun::kBindingSuccess);
    EXPECT_EQ(v->get<stun::XorMappedAddress>()->address, good.local());
    // --stun-software is set, but Binding is unauthenticated: SOFTWARE would only add reflected bytes.
    EXPECT_FALSE(v->has(stun::attr::kSoftware));
    EXPECT_EQ(v->has(stun::attr::kFingerprint), i == 0);  // only the RFC request carried FINGERPRINT
  }
  Socket bad(*TransportAddress::parse("127.0.0.1:0"), SOCK_STREAM);
  ASSERT_EQ(::connect(bad.fd(), reinterpret_cast<sockaddr*>(&ss), Socket::fill(target, ss)), 0);
  const std::string junk = "POST / HTTP/1.1\r\n\r\n";
  ::send(bad.fd(), junk.data(), junk.size(), 0);
  pollfd p{bad.fd(), POLLIN, 0};
  ASSERT_EQ(::poll(&p, 1, 3000), 1);
  char c;
  EXPECT_LE(::recv(bad.fd(), &c, 1, 0), 0) << "malformed frame must close the connection";
  // The first connection still works.
  ASSERT_EQ(::send(good.fd(), own.bytes().data(), own.size(), 0), static_cast<ssize_t>(own.size()));
  EXPECT_GE(receive_exact(good.fd(), stun::kHeaderSize, 3s).size(), stun::kHeaderSize);
}

// RFC 8489 §6.2.3 (STUN over TLS, port 5349): a Binding request over TLS gets the client's own TCP address,
// and a client that does not speak TLS is closed without harming the TLS client.
TEST_P(StunIntegration, TlsBindingReturnsTheMappedAddressAndPlainTextIsRefused) {
  auto server = start({"--stun-listen", "127.0.0.1:0", "--stun-tls-listen", "127.0.0.1:0", "--self-signed",
                       "--stun-software", "signalbox-test"});
  const bool turn_front_end = GetParam().extra_args.empty();
  const TransportAddress target = address_of(*server, turn_front_end ? "turn-tls" : "stun-tls", "127.0.0.1");
  sockaddr_storage ss{};

  Socket plain(*TransportAddress::parse("127.0.0.1:0"), SOCK_STREAM);
  ASSERT_EQ(::connect(plain.fd(), reinterpret_cast<sockaddr*>(&ss), Socket::fill(target, ss)), 0);
  stun::Message req(stun::kBindingRequest, stun::TransactionId::random());
  ASSERT_EQ(::send(plain.fd(), req.bytes().data(), req.size(), 0), static_cast<ssize_t>(req.size()));
  pollfd p{plain.fd(), POLLIN, 0};
  ASSERT_EQ(::poll(&p, 1, 5000), 1);
  std::uint8_t buf[512];
  const ssize_t n = ::recv(plain.fd(), buf, sizeof buf, 0);
  EXPECT_TRUE(n <= 0 || buf[0] == 0x15) << "plain STUN on the TLS port must get a TLS alert or a close, got " << n
                                         << " bytes";

  Socket tcp(*TransportAddress::parse("127.0.0.1:0"), SOCK_STREAM);
  ASSERT_EQ(::connect(tcp.fd(), reinterpret_cast<sockaddr*>(&ss), Socket::fill(target, ss)), 0);
  const timeval tv{5, 0};  // bounds every blocking TLS read and write below
  ::setsockopt(tcp.fd(), SOL_SOCKET, SO_RCVTIMEO, &tv, sizeof tv);
  ::setsockopt(tcp.fd(), SOL_SOCKET, SO_SNDTIMEO, &tv, sizeof tv);
  std::unique_ptr<SSL_CTX, decltype(&SSL_CTX_free)> ctx(SSL_CTX_new(TLS_client_method()), SSL_CTX_free);
  ASSERT_TRUE(ctx);
  SSL_CTX_set_verify(ctx.get(), SSL_VERIFY_NONE, nullptr);  // --self-signed: nothing to verify against
  std::unique_ptr<SSL, decltype(&SSL_free)> ssl(SSL_new(ctx.get()), SSL_free);
  SSL_set_fd(ssl.get(), tcp.fd());
  ASSERT_EQ(SSL_connect(ssl.get()), 1) << "TLS handshake failed\n" << server->output();
  ASSERT_EQ(SSL_write(ssl.get(), req.bytes().data(), static_cast<int>(req.size())), static_cast<int>(req.size()));
  std::vector<std::uint8_t> msg;
  while (msg.size() < stun::kHeaderSize ||
         msg.size() < stun::kHeaderSize + stun::load_u16(msg.data() + 2)) {
    const int got = SSL_read(ssl.get(), buf, sizeof buf);
    ASSERT_GT(got, 0) << "no Binding response over TLS\n" << server->output();
    msg.insert(msg.end(), buf, buf + got);
  }
  const auto v = stun::MessageView::parse(msg);
  ASSERT_TRUE(v.ok());
  EXPECT_EQ(v->type(), stun::kBindingSuccess);
  EXPECT_EQ(v->transaction_id(), req.view().transaction_id());
  EXPECT_EQ(v->get<stun::XorMappedAddress>()->address, tcp.local());
}

// The UDP workers share their port through SO_REUSEPORT; a second server on the same port must not join
// that group silently (the kernel would split the clients between the two), but refuse to start.
TEST_P(StunIntegration, SecondServerOnTheSameUdpPortRefusesToStart) {
  auto first = start({"--stun-listen", "127.0.0.1:0"});
  const std::string proto = GetParam().extra_args.empty() ? "turn-udp" : "stun-udp";
  const TransportAddress taken = address_of(*first, proto, "127.0.0.1");
  std::string error;
  try {
    auto second = start({"--stun-listen", taken.to_string()});
    ADD_FAILURE() << "a second signalbox started on " << taken.to_string() << "\n" << second->output();
  } catch (const std::runtime_error& e) {
    error = e.what();
  }
  EXPECT_NE(error.find("another process holds it"), std::string::npos) << error;
  // The first server still answers.
  Socket client(*TransportAddress::parse("127.0.0.1:0"), SOCK_DGRAM);
  stun::Message req(stun::kBindingRequest, stun::TransactionId::random());
  send_to(client.fd(), req.bytes(), taken);
  EXPECT_FALSE(receive(client.fd(), 3s).empty()) << first->output();
}

TEST_P(StunIntegration, MalformedDatagramsAreDroppedAndCounted) {
  auto server = start({"--stun-listen", "127.0.0.1:0"});
  const TransportAddress target = address_of(*server, "stun-udp", "127.0.0.1");
  Socket client(*TransportAddress::parse("127.0.0.1:0"), SOCK_DGRAM);
  std::vector<std::uint8_t> junk(40, 0);  // zero magic cookie
  send_to(client.fd(), junk, target);
  EXPECT_TRUE(receive(client.fd(), 300ms).empty()) << "a malformed datagram got an answer";
  stun::Message req(stun::kBindingRequest, stun::TransactionId::random());
  send_to(client.fd(), req.bytes(), target);
  EXPECT_FALSE(receive(client.fd(), 3s).empty());
  const auto m = http_get("127.0.0.1", server->port("http"), "/metrics");
  ASSERT_EQ(m.status, 200) << m.error;
  const auto metrics = parse_prometheus(m.body);
  // STUN alone counts it as a malformed STUN drop; TURN's front end hands what is not a Binding request to
  // the TURN core, which counts it among its own drops.
  const double dropped = metric(metrics, "signalbox_stun_dropped_total", {{"reason", "malformed"}}).value_or(0) +
                         metric(metrics, "signalbox_turn_dropped_packets_total").value_or(0);
  EXPECT_GE(dropped, 1) << m.body;
  EXPECT_GE(metric(metrics, "signalbox_stun_requests_total").value_or(0), 1) << m.body;
  EXPECT_GE(metric(metrics, "signalbox_stun_responses_total").value_or(0), 1) << m.body;
}

// The shared port with TURN off answers what a STUN-only server answers: Binding, and nothing for TURN's
// methods (counted as unhandled); with TURN on, an Allocate without credentials draws 401.
TEST_P(StunIntegration, AllocateIsAnsweredOnlyWhenTurnRuns) {
  auto server = start({"--stun-listen", "127.0.0.1:0"});
  const bool turn = GetParam().extra_args.empty();
  const TransportAddress target = address_of(*server, "stun-udp", "127.0.0.1");
  Socket client(*TransportAddress::parse("127.0.0.1:0"), SOCK_DGRAM);
  const stun::Message allocate(stun::MessageType{stun::Method::kAllocate, stun::Class::kRequest},
                               stun::TransactionId::random());
  const stun::Message binding(stun::kBindingRequest, stun::TransactionId::random());
  send_to(client.fd(), allocate.bytes(), target);
  send_to(client.fd(), binding.bytes(), target);  // same 4-tuple, same worker: answered after the Allocate
  const auto first = receive(client.fd(), 3s);
  const auto v = stun::MessageView::parse(first);
  ASSERT_TRUE(v.ok()) << server->output();
  if (turn) {
    EXPECT_EQ(v->transaction_id(), allocate.transaction_id());
    EXPECT_EQ(v->get<stun::ErrorCode>()->code, 401);
    return;
  }
  EXPECT_EQ(v->transaction_id(), binding.transaction_id()) << "the Allocate got an answer without TURN";
  EXPECT_EQ(v->type(), stun::kBindingSuccess);
  const auto m = http_get("127.0.0.1", server->port("http"), "/metrics");
  ASSERT_EQ(m.status, 200) << m.error;
  const auto metrics = parse_prometheus(m.body);
  EXPECT_EQ(metric(metrics, "signalbox_stun_dropped_total", {{"reason", "unhandled"}}).value_or(-1), 1) << m.body;
}

TEST_P(StunIntegration, JoinedIceServersListTheStunServer) {
  auto server = start({"--stun-listen", "127.0.0.1:0", "--stun-public-address", "203.0.113.7:3478"});
  WsClient ws("127.0.0.1", server->port("http"));
  ASSERT_TRUE(ws.send_json({{"type", "join"}, {"room", "stun-test"}}));
  std::optional<json> joined;
  for (int i = 0; i < 5 && !joined; ++i) {
    auto msg = ws.receive_json(3s);
    if (!msg) break;
    if (type_of(*msg) == "joined") joined = msg;
  }
  ASSERT_TRUE(joined.has_value()) << server->output();
  bool found = false;
  for (const auto& s : (*joined)["iceServers"]) {
    for (const auto& u : s["urls"]) found = found || u == "stun:203.0.113.7:3478";
  }
  EXPECT_TRUE(found) << joined->dump();
}

TEST_P(StunIntegration, CoturnNatDiscoveryCompletesMappingAndFilteringTests) {
  // The alternate address needs ports known in advance (free on both addresses, for UDP and TCP).
  std::uint16_t p1 = 0, p2 = 0;
  auto server = start_on_free_ports(2, {"127.0.0.1", "127.0.0.2"}, [&](const std::vector<std::uint16_t>& ports) {
    p1 = ports[0];
    p2 = ports[1];
    return options({"--stun-listen", "127.0.0.1:" + std::to_string(p1), "--stun-alt-address",
                    "127.0.0.2:" + std::to_string(p2)});
  });
  const std::string local_port = std::to_string(free_port());
  Process tool({"turnutils_natdiscovery", "-m", "-f", "-L", "127.0.0.1", "-l", local_port, "-p", std::to_string(p1),
                "127.0.0.1"});
  const auto code = tool.wait_code(20s);
  const std::string out = tool.output();
  ASSERT_TRUE(code.has_value()) << "timed out\n" << out << server->output();
  EXPECT_EQ(*code, 0) << out;
  EXPECT_NE(out.find("UDP reflexive addr: 127.0.0.1:" + local_port), std::string::npos) << out;
  EXPECT_NE(out.find("Other addr: : 127.0.0.2:" + std::to_string(p2)), std::string::npos) << out;
  EXPECT_NE(out.find("Response origin: : 127.0.0.2:" + std::to_string(p2)), std::string::npos) << out;
  EXPECT_NE(out.find("NAT with Endpoint Independent Mapping!"), std::string::npos) << out;
  EXPECT_NE(out.find("NAT with Endpoint Independent Filtering!"), std::string::npos) << out;
}

// --no-stun with TURN on: no STUN listeners, but a Binding request on the TURN port is still answered (ICE
// asks its TURN server for the server-reflexive address), by the one Binding service the STUN ports use.
TEST(StunOffTurnOn, BindingOnTheTurnPortIsAnsweredByTheSameService) {
  ServerOptions o;
  o.args = {"--listen", "127.0.0.1:0", "--stun-listen", "127.0.0.1:0", "--no-stun"};
  ServerProcess server(o);
  std::optional<TransportAddress> target;
  for (const auto& l : server.listeners()) {
    EXPECT_NE(l.proto.rfind("stun-", 0), 0u) << "a STUN listener with --no-stun: " << l.proto;
    if (l.proto == "turn-udp" && !target) target = TransportAddress::parse("127.0.0.1:" + std::to_string(l.port));
  }
  ASSERT_TRUE(target) << server.output();
  Socket client(*TransportAddress::parse("127.0.0.1:0"), SOCK_DGRAM);
  const stun::Message req(stun::kBindingRequest, stun::TransactionId::random());
  send_to(client.fd(), req.bytes(), *target);
  const auto bytes = receive(client.fd(), 3s);
  const auto v = stun::MessageView::parse(bytes);
  ASSERT_TRUE(v.ok()) << server.output();
  EXPECT_EQ(v->type(), stun::kBindingSuccess);
  EXPECT_EQ(v->transaction_id(), req.transaction_id());
  EXPECT_EQ(v->get<stun::XorMappedAddress>()->address, client.local());
  const auto m = http_get("127.0.0.1", server.port("http"), "/metrics");
  ASSERT_EQ(m.status, 200) << m.error;
  EXPECT_EQ(metric(parse_prometheus(m.body), "signalbox_stun_responses_total").value_or(0), 1) << m.body;
}

INSTANTIATE_TEST_SUITE_P(FrontEnds, StunIntegration,
                         ::testing::Values(Mode{"turn_front_end", {}}, Mode{"stun_only", {"--no-turn"}}),
                         [](const auto& info) { return std::string(info.param.name); });

}  // namespace
}  // namespace sb::itest
