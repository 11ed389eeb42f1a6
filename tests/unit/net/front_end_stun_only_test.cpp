// The STUN/TURN front end with TURN off (net::TurnService without a turn::TurnShared: `--no-turn`), in this
// process over loopback: Binding over UDP and TCP with the exact mapped address; TURN methods and ChannelData
// get no answer and are counted as STUN's "unhandled" drops; a malformed message on TCP closes only that
// connection; RFC 5780 CHANGE-REQUEST is answered from the other address and port (UDP) or refused with 400
// (TCP); and the metrics are STUN's own names, never signalbox_turn_*.
#include <gtest/gtest.h>
#include <netinet/in.h>
#include <sys/socket.h>
#include <sys/time.h>
#include <unistd.h>

#include <cerrno>
#include <chrono>
#include <cstdint>
#include <memory>
#include <stdexcept>
#include <string>
#include <vector>

#include "common/ports.hpp"
#include "net/socket_address.hpp"
#include "net/turn_service.hpp"
#include "stun/attr_address.hpp"
#include "stun/attr_error.hpp"
#include "stun/attr_nat.hpp"
#include "stun/integrity.hpp"
#include "stun/message.hpp"
#include "util/clock.hpp"
#include "util/metrics.hpp"

namespace sb::net {
namespace {

using Bytes = std::vector<std::uint8_t>;
using stun::TransportAddress;

TransportAddress at(const std::string& text) {
  return *TransportAddress::parse(text);
}

// A client socket bound to 127.0.0.1 on a port of the kernel's choice (connected to `server` for TCP); every
// receive gives up after 2 s.
class Client {
 public:
  Client(int type, const TransportAddress& server) : stream_(type == SOCK_STREAM), server_(server) {
    fd_ = ::socket(AF_INET, type, 0);
    sockaddr_storage ss{};
    socklen_t len = to_sockaddr(at("127.0.0.1:0"), ss);
    if (fd_ < 0 || ::bind(fd_, reinterpret_cast<sockaddr*>(&ss), len) != 0)
      throw std::runtime_error("bind failed");
    const timeval two_seconds{2, 0};
    ::setsockopt(fd_, SOL_SOCKET, SO_RCVTIMEO, &two_seconds, sizeof two_seconds);
    len = to_sockaddr(server, ss);
    if (stream_ && ::connect(fd_, reinterpret_cast<sockaddr*>(&ss), len) != 0) {
      throw std::runtime_error("connect failed");
    }
    local_ = bound_address(fd_);
  }
  ~Client() { ::close(fd_); }
  Client(const Client&) = delete;
  Client& operator=(const Client&) = delete;
  const TransportAddress& local() const { return local_; }

  void send(const Bytes& b) const {
    sockaddr_storage ss{};
    const socklen_t len = stream_ ? 0 : to_sockaddr(server_, ss);
    const auto* to = stream_ ? nullptr : reinterpret_cast<const sockaddr*>(&ss);
    ASSERT_EQ(::sendto(fd_, b.data(), b.size(), MSG_NOSIGNAL, to, len), static_cast<ssize_t>(b.size()));
  }
  // The next datagram and who sent it (empty when none came).
  Bytes datagram(TransportAddress* from = nullptr) const {
    Bytes b(4096);
    sockaddr_storage ss{};
    socklen_t len = sizeof ss;
    const ssize_t n = ::recvfrom(fd_, b.data(), b.size(), 0, reinterpret_cast<sockaddr*>(&ss), &len);
    b.resize(n > 0 ? static_cast<std::size_t>(n) : 0);
    if (from && n > 0) *from = from_sockaddr(ss);
    return b;
  }
  // The next STUN message on a stream (empty when none came whole).
  Bytes message() const {
    Bytes b(stun::kHeaderSize);
    if (::recv(fd_, b.data(), b.size(), MSG_WAITALL) != static_cast<ssize_t>(b.size())) return {};
    b.resize(stun::kHeaderSize + stun::load_u16(b.data() + 2));
    const std::size_t body = b.size() - stun::kHeaderSize;
    if (body > 0 &&
        ::recv(fd_, b.data() + stun::kHeaderSize, body, MSG_WAITALL) != static_cast<ssize_t>(body)) {
      return {};
    }
    return b;
  }
  // True when the server closed the stream (EOF or reset) rather than nothing coming.
  bool closed_by_server() const {
    std::uint8_t c = 0;
    const ssize_t n = ::recv(fd_, &c, 1, 0);
    return n == 0 || (n < 0 && errno != EAGAIN && errno != EWOULDBLOCK);
  }

 private:
  int fd_ = -1;
  bool stream_;
  TransportAddress server_, local_;
};

Bytes bytes_of(const stun::Message& m) {
  return Bytes(m.bytes().begin(), m.bytes().end());
}

stun::Message request(stun::Method method) {
  return stun::Message(stun::MessageType{method, stun::Class::kRequest}, stun::TransactionId::random());
}

// The front end with TURN off on `listen` (UDP and TCP), one worker; stopped on destruction.
struct StunOnly {
  explicit StunOnly(std::vector<TransportAddress> listen, stun::ServiceConfig stun = {}) {
    TurnServiceOptions o;
    o.threads = 1;
    o.worker.udp_listen = listen;
    o.worker.tcp_listen = listen;
    o.worker.stun = stun;
    service = std::make_unique<TurnService>(o, nullptr, std::make_shared<util::SteadyClock>(), registry);
    service->start();
  }
  ~StunOnly() { service->stop(); }
  TransportAddress address(const std::string& scheme) const {
    for (const auto& [s, a] : service->listening()) {
      if (s == scheme) return a;
    }
    throw std::runtime_error("no " + scheme + " listener");
  }
  bool renders(const std::string& line) const {
    return registry.render().find(line + "\n") != std::string::npos;
  }

  metrics::Registry registry;
  std::unique_ptr<TurnService> service;
};

TEST(FrontEndStunOnly, UdpBindingIsAnsweredAndTurnMethodsAndChannelDataAreUnansweredAndCounted) {
  StunOnly s({at("127.0.0.1:0")});
  Client c(SOCK_DGRAM, s.address("stun-udp"));
  // An Allocate, a ChannelData message and a datagram over the receive buffer first: the Binding request
  // after them comes from the same 4-tuple, so the same worker answers it after it has dealt with them.
  c.send(bytes_of(request(stun::Method::kAllocate)));
  c.send(Bytes{0x40, 0x00, 0x00, 0x04, 1, 2, 3, 4});
  c.send(Bytes(3000, 0));
  stun::Message binding = request(stun::Method::kBinding);
  binding.add_fingerprint();
  c.send(bytes_of(binding));
  const Bytes reply = c.datagram();
  const auto v = stun::MessageView::parse(reply);
  ASSERT_TRUE(v.ok()) << "no or bad answer";
  EXPECT_EQ(v->type(), stun::kBindingSuccess);
  EXPECT_EQ(v->transaction_id(), binding.transaction_id()) << "the Allocate got an answer";
  EXPECT_EQ(v->get<stun::XorMappedAddress>()->address, c.local());
  EXPECT_TRUE(stun::verify_fingerprint(*v));
  EXPECT_TRUE(s.renders(R"(signalbox_stun_dropped_total{reason="unhandled"} 2)")) << s.registry.render();
  EXPECT_TRUE(s.renders(R"(signalbox_stun_dropped_total{reason="too_large"} 1)")) << s.registry.render();
  EXPECT_TRUE(s.renders("signalbox_stun_requests_total 1"));
  EXPECT_TRUE(s.renders("signalbox_stun_responses_total 1"));
}

TEST(FrontEndStunOnly, TcpBindingIsAnsweredAndAMalformedMessageClosesOnlyItsConnection) {
  StunOnly s({at("127.0.0.1:0")});
  const TransportAddress tcp = s.address("stun-tcp");
  Client good(SOCK_STREAM, tcp), bad(SOCK_STREAM, tcp);
  // An Allocate and a Binding request in one write: the Allocate is dropped, the connection stays.
  Bytes both = bytes_of(request(stun::Method::kAllocate));
  const stun::Message binding = request(stun::Method::kBinding);
  both.insert(both.end(), binding.bytes().begin(), binding.bytes().end());
  good.send(both);
  const Bytes reply = good.message();
  const auto v = stun::MessageView::parse(reply);
  ASSERT_TRUE(v.ok()) << "no or bad answer";
  EXPECT_EQ(v->transaction_id(), binding.transaction_id()) << "the Allocate got an answer";
  EXPECT_EQ(v->get<stun::XorMappedAddress>()->address, good.local());
  // A well-framed Binding request whose FINGERPRINT is wrong: RFC 8489 §7.3, and on a stream the end of it.
  stun::Message wrong = request(stun::Method::kBinding);
  wrong.add_fingerprint();
  Bytes broken = bytes_of(wrong);
  broken.back() ^= 0xFF;
  bad.send(broken);
  EXPECT_TRUE(bad.closed_by_server());
  EXPECT_TRUE(s.renders(R"(signalbox_stun_dropped_total{reason="bad_fingerprint"} 1)"))
      << s.registry.render();
  good.send(bytes_of(binding));
  EXPECT_FALSE(good.message().empty()) << "the other connection still works";
  EXPECT_TRUE(s.renders(R"(signalbox_stun_dropped_total{reason="unhandled"} 1)")) << s.registry.render();
}

TEST(FrontEndStunOnly, ChangeRequestIsAnsweredFromTheOtherAddressOverUdpAndRefusedOverTcp) {
  // RFC 5780 needs both addresses with their ports known in advance (IP1:P1 and IP2:P2).
  std::unique_ptr<StunOnly> s;
  TransportAddress primary, alternate;
  for (int attempt = 0; !s && attempt < 5; ++attempt) {
    const auto ports = itest::free_ports(2, {"127.0.0.1", "127.0.0.2"});
    primary = at("127.0.0.1:" + std::to_string(ports[0]));
    alternate = at("127.0.0.2:" + std::to_string(ports[1]));
    try {
      s = std::make_unique<StunOnly>(std::vector{primary}, stun::ServiceConfig{primary, alternate, {}});
    } catch (const std::runtime_error&) {  // taken between the pick and the bind: pick again
    }
  }
  ASSERT_TRUE(s) << "no free ports";
  std::vector<std::pair<std::string, TransportAddress>> expected = {
      {"stun-udp", primary},
      {"stun-udp-alt", TransportAddress{primary.ip, alternate.port}},
      {"stun-udp-alt", TransportAddress{alternate.ip, primary.port}},
      {"stun-udp-alt", alternate},
      {"stun-tcp", primary}};
  EXPECT_EQ(s->service->listening(), expected);

  Client udp(SOCK_DGRAM, primary);
  for (const auto& [change_ip, change_port] :
       {std::pair{true, true}, std::pair{false, true}, std::pair{true, false}}) {
    stun::Message m = request(stun::Method::kBinding);
    m.add(stun::ChangeRequest{change_ip, change_port});
    udp.send(bytes_of(m));
    TransportAddress from;
    const Bytes reply = udp.datagram(&from);
    const auto v = stun::MessageView::parse(reply);
    ASSERT_TRUE(v.ok()) << "no answer to CHANGE-REQUEST " << change_ip << change_port;
    const TransportAddress origin{change_ip ? alternate.ip : primary.ip,
                                  change_port ? alternate.port : primary.port};
    EXPECT_EQ(from, origin);
    EXPECT_EQ(v->get<stun::ResponseOrigin>()->address, origin);
    EXPECT_EQ(v->get<stun::OtherAddress>()->address, alternate);
    EXPECT_EQ(v->get<stun::XorMappedAddress>()->address, udp.local());
  }
  Client tcp(SOCK_STREAM, primary);
  stun::Message m = request(stun::Method::kBinding);
  m.add(stun::ChangeRequest{true, true});
  tcp.send(bytes_of(m));
  const Bytes reply = tcp.message();
  const auto v = stun::MessageView::parse(reply);
  ASSERT_TRUE(v.ok()) << "no answer over TCP";
  EXPECT_EQ(v->type(), stun::kBindingError);
  EXPECT_EQ(v->get<stun::ErrorCode>()->code, 400);
}

TEST(FrontEndStunOnly, ExportsStunNamesOnlyAndNoAllocations) {
  StunOnly s({at("127.0.0.1:0")});
  const std::string text = s.registry.render();
  EXPECT_EQ(text.find("signalbox_turn_"), std::string::npos) << text;
  EXPECT_TRUE(s.renders("signalbox_stun_connections_refused_total 0")) << text;
  EXPECT_TRUE(s.renders("signalbox_stun_accept_backoffs_total 0")) << text;
  EXPECT_TRUE(s.renders(R"(signalbox_stun_dropped_total{reason="send_failed"} 0)")) << text;
  EXPECT_EQ(s.service->allocations_json(), "[]\n");
}

TEST(FrontEndStunOnly, NeitherTurnNorStunIsAStartUpError) {
  TurnServiceOptions o;
  metrics::Registry r;
  EXPECT_THROW(TurnService(o, nullptr, std::make_shared<util::SteadyClock>(), r), std::runtime_error);
}

}  // namespace
}  // namespace sb::net
