// The Binding service core: bytes and addresses in, response bytes out, no sockets.
#include <gtest/gtest.h>

#include <algorithm>

#include <vector>

#include "rfc5769_vectors.hpp"
#include "stun/attr_address.hpp"
#include "stun/attr_error.hpp"
#include "stun/attr_nat.hpp"
#include "stun/attr_text.hpp"
#include "stun/integrity.hpp"
#include "stun/service.hpp"

namespace sb::stun {
namespace {

const TransportAddress kClient = *TransportAddress::parse("198.51.100.9:40000");
const TransportAddress kLocal = *TransportAddress::parse("127.0.0.1:3478");
const TransportAddress kAlt = *TransportAddress::parse("127.0.0.2:3479");

struct Fixture {
  explicit Fixture(ServiceConfig cfg = {}) : metrics(registry), service(cfg, metrics) {}
  Outcome run(std::span<const std::uint8_t> bytes, Transport t = Transport::kUdp,
              TransportAddress local = kLocal, TransportAddress source = kClient) {
    return service.handle(Packet{bytes, source, local, t}, reply);
  }
  MessageView response() const { return *MessageView::parse(reply.bytes); }
  sb::metrics::Registry registry;
  Metrics metrics;
  BindingService service;
  Reply reply;
};

Message binding_request(bool fingerprint = false) {
  Message m(kBindingRequest, TransactionId::random());
  if (fingerprint) m.add_fingerprint();
  return m;
}

TEST(BindingService, AnswersWithXorMappedAddress) {
  Fixture f;
  const Message req = binding_request();
  ASSERT_EQ(f.run(req.bytes()).action, Action::kReply);
  const MessageView r = f.response();
  EXPECT_EQ(r.type(), kBindingSuccess);
  EXPECT_EQ(r.transaction_id(), req.transaction_id());
  EXPECT_EQ(r.get<XorMappedAddress>()->address, kClient);
  EXPECT_FALSE(r.has(attr::kFingerprint));
  EXPECT_FALSE(r.has(attr::kSoftware));  // off by default
  EXPECT_FALSE(r.has(attr::kOtherAddress));
  EXPECT_EQ(f.reply.to, kClient);
  EXPECT_EQ(f.reply.from, kLocal);
  EXPECT_EQ(f.metrics.requests.value(), 1u);
  EXPECT_EQ(f.metrics.responses.value(), 1u);
}

// RFC 5389 §12.2: an RFC 3489 request (no magic cookie; libnice sends these) gets MAPPED-ADDRESS and its
// whole 128-bit transaction id back.
TEST(BindingService, ClassicRfc3489RequestGetsMappedAddress) {
  Fixture f;
  std::vector<std::uint8_t> req(20);
  req[1] = 0x01;  // Binding request, length 0
  for (std::size_t i = 4; i < 20; ++i) req[i] = static_cast<std::uint8_t>(0xA0 + i);
  ASSERT_EQ(f.run(req).action, Action::kReply);
  const auto& r = f.reply.bytes;
  ASSERT_EQ(r.size(), 32u);
  EXPECT_EQ(load_u16(r.data()), kBindingSuccess.encode());
  EXPECT_EQ(load_u16(r.data() + 2), 12u);
  EXPECT_TRUE(std::equal(req.begin() + 4, req.end(), r.begin() + 4));
  EXPECT_EQ(load_u16(r.data() + 20), attr::kMappedAddress);
  EXPECT_EQ(load_u16(r.data() + 22), 8u);
  EXPECT_EQ(r[25], 0x01);  // IPv4
  EXPECT_EQ(load_u16(r.data() + 26), 40000u);
  EXPECT_EQ(r[28], 198);
  EXPECT_EQ(r[31], 9);
  EXPECT_EQ(f.reply.to, kClient);
  EXPECT_EQ(f.metrics.responses.value(), 1u);

  // A classic request whose length field lies is still dropped.
  req[3] = 4;
  EXPECT_EQ(f.run(req).action, Action::kDrop);
}

TEST(BindingService, IPv6ClientAndFingerprint) {
  Fixture f;
  const auto v6 = *TransportAddress::parse("[2001:db8::1]:5000");
  const Message req = binding_request(true);
  ASSERT_EQ(f.run(req.bytes(), Transport::kTcp, kLocal, v6).action, Action::kReply);
  const MessageView r = f.response();
  EXPECT_EQ(r.get<XorMappedAddress>()->address, v6);
  EXPECT_FALSE(r.has(attr::kSoftware));  // Binding is unauthenticated: never SOFTWARE (issue 10)
  EXPECT_TRUE(verify_fingerprint(r));
}

TEST(BindingService, RFC5769SampleRequestIsAnswered) {
  Fixture f;
  ASSERT_EQ(f.run(test::kSampleRequest).action, Action::kReply);
  EXPECT_TRUE(verify_fingerprint(f.response()));
}

TEST(BindingService, MalformedInputIsDroppedAndCounted) {
  Fixture f;
  std::vector<std::uint8_t> junk(28, 0x00);
  EXPECT_EQ(f.run(junk).action, Action::kDrop);  // no magic cookie
  EXPECT_EQ(f.run({}).action, Action::kDrop);
  const std::vector<std::uint8_t> http{'P', 'O', 'S', 'T', ' '};  // 'G' would be ChannelData (0x40-0x4F)
  EXPECT_EQ(f.run(http).reason, DropReason::kMalformed);
  EXPECT_EQ(f.metrics.dropped(DropReason::kMalformed), 3u);
  EXPECT_EQ(f.metrics.requests.value(), 0u);
}

TEST(BindingService, BadFingerprintIsDropped) {
  Fixture f;
  Message req = binding_request(true);
  std::vector<std::uint8_t> b(req.bytes().begin(), req.bytes().end());
  b.back() ^= 0xFF;
  const Outcome o = f.run(b);
  EXPECT_EQ(o.action, Action::kDrop);
  EXPECT_EQ(o.reason, DropReason::kBadFingerprint);
}

TEST(BindingService, UnknownComprehensionRequiredGets420) {
  Fixture f;
  Message req = binding_request();
  const std::array<std::uint8_t, 4> v{};
  req.add_raw(0x0031, v).add_raw(0xC001, v).add_fingerprint();
  ASSERT_EQ(f.run(req.bytes()).action, Action::kReply);
  const MessageView r = f.response();
  EXPECT_EQ(r.type(), kBindingError);
  EXPECT_EQ(r.get<ErrorCode>()->code, 420);
  const auto u = r.get<UnknownAttributes>();
  ASSERT_TRUE(u.ok());
  ASSERT_EQ(u->count, 1u);
  EXPECT_EQ(u->types[0], 0x0031);
  EXPECT_TRUE(verify_fingerprint(r));
  EXPECT_EQ(f.metrics.errors.value(), 1u);
}

// Every answer goes to whatever source address a datagram claims, so its size against the request's is
// the amplification a spoofer gets; docs/turn.md ("Answer sizes") lists these figures.
TEST(BindingService, AnswerSizesAreTheDocumentedOnes) {
  Fixture f;
  auto size_of = [&](std::span<const std::uint8_t> req, TransportAddress source = kClient) {
    return f.run(req, Transport::kUdp, kLocal, source).action == Action::kReply ? f.reply.bytes.size() : 0;
  };
  EXPECT_EQ(size_of(binding_request().bytes()), 32u);        // 20 in: 1.6x
  EXPECT_EQ(size_of(binding_request(true).bytes()), 40u);    // 28 in (FINGERPRINT): 1.43x
  EXPECT_EQ(size_of(binding_request().bytes(), *TransportAddress::parse("[2001:db8::1]:5000")), 44u);  // 2.2x
  std::vector<std::uint8_t> classic(20);
  classic[1] = 0x01;
  EXPECT_EQ(size_of(classic), 32u);  // RFC 3489 request, MAPPED-ADDRESS
  Message unknown = binding_request();
  unknown.add_raw(0x0031, {});
  EXPECT_EQ(unknown.size(), 24u);
  EXPECT_EQ(size_of(unknown.bytes()), 56u);  // 420 with UNKNOWN-ATTRIBUTES: 2.33x, the largest ratio
}

TEST(BindingService, ChangeRequestWithoutDiscoveryGets420) {
  Fixture f;
  Message req = binding_request();
  req.add(ChangeRequest{true, true});
  ASSERT_EQ(f.run(req.bytes()).action, Action::kReply);
  EXPECT_EQ(f.response().get<ErrorCode>()->code, 420);
  EXPECT_EQ(f.response().get<UnknownAttributes>()->types[0], attr::kChangeRequest);
}

TEST(BindingService, IndicationsAndResponsesAndOtherMethods) {
  Fixture f;
  const Message ind(kBindingIndication, TransactionId::random());
  EXPECT_EQ(f.run(ind.bytes()).action, Action::kNone);
  EXPECT_EQ(f.metrics.indications.value(), 1u);
  const Message resp(kBindingSuccess, TransactionId::random());
  EXPECT_EQ(f.run(resp.bytes()).reason, DropReason::kUnexpectedClass);
  const Message alloc(MessageType{Method::kAllocate, Class::kRequest}, TransactionId::random());
  EXPECT_EQ(f.run(alloc.bytes()).action, Action::kPassOn);
  const std::vector<std::uint8_t> channel_data{0x40, 0x00, 0x00, 0x01, 0xAA, 0, 0, 0};
  EXPECT_EQ(f.run(channel_data).action, Action::kPassOn);
}

ServiceConfig discovery_config() {
  ServiceConfig cfg;
  cfg.primary = kLocal;
  cfg.alternate = kAlt;
  return cfg;
}

TEST(BindingService, Rfc5780OtherAddressAndResponseOrigin) {
  Fixture f(discovery_config());
  ASSERT_EQ(f.run(binding_request().bytes()).action, Action::kReply);
  const MessageView r = f.response();
  EXPECT_EQ(r.get<OtherAddress>()->address, kAlt);
  EXPECT_EQ(r.get<ResponseOrigin>()->address, kLocal);
  EXPECT_EQ(r.get<MappedAddress>()->address, kClient);
  EXPECT_EQ(f.reply.from, kLocal);
}

TEST(BindingService, Rfc5780ChangeRequestPicksTheOtherAddress) {
  Fixture f(discovery_config());
  Message req = binding_request();
  req.add(ChangeRequest{true, true});
  ASSERT_EQ(f.run(req.bytes()).action, Action::kReply);
  EXPECT_EQ(f.reply.from, kAlt);
  EXPECT_EQ(f.response().get<ResponseOrigin>()->address, kAlt);

  Message port_only = binding_request();
  port_only.add(ChangeRequest{false, true});
  ASSERT_EQ(f.run(port_only.bytes()).action, Action::kReply);
  EXPECT_EQ(f.reply.from, *TransportAddress::parse("127.0.0.1:3479"));

  // Arriving on IP2:P1, "change IP" goes back to IP1:P1, and OTHER-ADDRESS is IP1:P2.
  const auto ip2p1 = *TransportAddress::parse("127.0.0.2:3478");
  Message ip_only = binding_request();
  ip_only.add(ChangeRequest{true, false});
  ASSERT_EQ(f.run(ip_only.bytes(), Transport::kUdp, ip2p1).action, Action::kReply);
  EXPECT_EQ(f.reply.from, kLocal);
  EXPECT_EQ(f.response().get<OtherAddress>()->address, *TransportAddress::parse("127.0.0.1:3479"));
}

TEST(BindingService, Rfc5780ResponsePortAndTcpChangeRequest) {
  Fixture f(discovery_config());
  Message req = binding_request();
  req.add(ResponsePort{5555});
  ASSERT_EQ(f.run(req.bytes()).action, Action::kReply);
  EXPECT_EQ(f.reply.to.port, 5555);
  EXPECT_EQ(f.reply.to.ip, kClient.ip);
  Message change = binding_request();
  change.add(ChangeRequest{true, false});
  ASSERT_EQ(f.run(change.bytes(), Transport::kTcp).action, Action::kReply);
  EXPECT_EQ(f.response().get<ErrorCode>()->code, 400);
}

TEST(ServiceConfig, ValidateCatchesBadDiscoveryAddresses) {
  EXPECT_EQ(ServiceConfig{}.validate(), "");
  EXPECT_EQ(discovery_config().validate(), "");
  ServiceConfig same_ip = discovery_config();
  same_ip.alternate = *TransportAddress::parse("127.0.0.1:3479");
  EXPECT_NE(same_ip.validate(), "");
  ServiceConfig wildcard = discovery_config();
  wildcard.primary = *TransportAddress::parse("0.0.0.0:3478");
  EXPECT_NE(wildcard.validate(), "");
  ServiceConfig only_one;
  only_one.alternate = kAlt;
  EXPECT_NE(only_one.validate(), "");
}

}  // namespace
}  // namespace sb::stun
