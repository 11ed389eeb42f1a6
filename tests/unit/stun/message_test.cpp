// Codec rules beyond the RFC 5769 vectors: malformed input, the attributes-after-integrity rules,
// unknown attributes, padding, and a round trip of every attribute type.
#include <gtest/gtest.h>

#include <vector>

#include "rfc5769_vectors.hpp"
#include "stun/attr_address.hpp"
#include "stun/attr_error.hpp"
#include "stun/attr_ice.hpp"
#include "stun/attr_nat.hpp"
#include "stun/attr_text.hpp"
#include "stun/attr_turn.hpp"
#include "stun/integrity.hpp"
#include "stun/message.hpp"

namespace sb::stun {
namespace {

using Bytes = std::vector<std::uint8_t>;

Bytes bytes_of(const Message& m) { return Bytes(m.bytes().begin(), m.bytes().end()); }

TransactionId fixed_id() {
  TransactionId id;
  for (std::size_t i = 0; i < id.bytes.size(); ++i) id.bytes[i] = static_cast<std::uint8_t>(i + 1);
  return id;
}

Bytes simple_request() {
  return bytes_of(Message(kBindingRequest, fixed_id()).add(Software{"x"}).add_fingerprint());
}

TEST(MessageType, EncodesMethodAndClassBits) {
  EXPECT_EQ(kBindingRequest.encode(), 0x0001);
  EXPECT_EQ(kBindingSuccess.encode(), 0x0101);
  EXPECT_EQ(kBindingError.encode(), 0x0111);
  EXPECT_EQ(kBindingIndication.encode(), 0x0011);
  EXPECT_EQ((MessageType{Method::kAllocate, Class::kRequest}.encode()), 0x0003);
  EXPECT_EQ((MessageType{Method::kSend, Class::kIndication}.encode()), 0x0016);
  EXPECT_EQ((MessageType{Method::kData, Class::kIndication}.encode()), 0x0017);
  for (std::uint16_t t = 0; t < 0x4000; ++t) EXPECT_EQ(MessageType::decode(t).encode(), t);
}

TEST(MessageParse, RejectsShortInput) {
  Bytes b = simple_request();
  b.resize(19);
  EXPECT_EQ(MessageView::parse(b).error(), Error::kTooShort);
  EXPECT_EQ(MessageView::parse({}).error(), Error::kTooShort);
}

TEST(MessageParse, RejectsBadMagicCookie) {
  Bytes b = simple_request();
  b[4] ^= 0x01;
  EXPECT_EQ(MessageView::parse(b).error(), Error::kBadMagicCookie);
  EXPECT_FALSE(looks_like_stun(b));
}

TEST(MessageParse, RejectsNonZeroTopBits) {
  Bytes b = simple_request();
  b[0] |= 0x80;
  EXPECT_EQ(MessageView::parse(b).error(), Error::kNotStun);
}

TEST(MessageParse, RejectsLengthMismatch) {
  Bytes b = simple_request();
  b.push_back(0);  // datagram longer than the header says
  EXPECT_EQ(MessageView::parse(b).error(), Error::kBadLength);
  b = simple_request();
  b[3] += 4;  // header says more than there is
  EXPECT_EQ(MessageView::parse(b).error(), Error::kBadLength);
  b = simple_request();
  b[3] += 2;  // not a multiple of 4
  b.push_back(0);
  b.push_back(0);
  EXPECT_EQ(MessageView::parse(b).error(), Error::kBadLength);
}

TEST(MessageParse, RejectsTruncatedAttribute) {
  Bytes b = bytes_of(Message(kBindingRequest, fixed_id()).add(Software{"abcd"}));
  b[22] = 0;
  b[23] = 9;  // attribute claims 9 bytes (12 padded) but 4 remain
  EXPECT_EQ(MessageView::parse(b).error(), Error::kTruncatedAttribute);
  // An attribute header cut in half.
  Bytes c = bytes_of(Message(kBindingRequest, fixed_id()));
  c.insert(c.end(), {0x80, 0x22, 0x00, 0x00});
  c[3] = 4;
  c.resize(22);
  c[3] = 2;
  EXPECT_NE(MessageView::parse(c).error(), Error::kOk);
}

TEST(MessageParse, RejectsTooManyAttributes) {
  Message m(kBindingRequest, fixed_id());
  for (int i = 0; i < 40; ++i) m.add(Software{"s"});
  EXPECT_EQ(MessageView::parse(m.bytes()).error(), Error::kTooManyAttributes);
  EXPECT_TRUE(MessageView::parse(m.bytes(), ParseLimits{kMaxMessageSize, 40}).ok());
}

TEST(MessageParse, RejectsOverSizeLimit) {
  Message m(kBindingRequest, fixed_id());
  m.add(Padding{1000});
  EXPECT_EQ(MessageView::parse(m.bytes(), ParseLimits{500, 32}).error(), Error::kTooLarge);
}

TEST(MessageParse, NonZeroPaddingIsAccepted) {
  Message m(kBindingRequest, fixed_id());
  m.set_padding_byte(0xAB).add(Username{"abc"}).add(Software{"q"});
  const auto v = MessageView::parse(m.bytes());
  ASSERT_TRUE(v.ok());
  EXPECT_EQ(m.bytes()[20 + 4 + 3], 0xAB);
  EXPECT_EQ(v->get<Username>()->value, "abc");
  EXPECT_EQ(v->get<Software>()->value, "q");
}

TEST(MessageParse, AttributesAfterIntegrityAreIgnoredExceptSha256AndFingerprint) {
  const std::array<std::uint8_t, 4> key{1, 2, 3, 4};
  Message m(kBindingRequest, fixed_id());
  m.add(Username{"u"}).add_message_integrity(key);
  m.add(Software{"after-mi"}).add_message_integrity_sha256(key).add(Realm{"after-sha"}).add_fingerprint();
  const auto v = MessageView::parse(m.bytes());
  ASSERT_TRUE(v.ok());
  EXPECT_FALSE(v->has(attr::kSoftware));
  EXPECT_FALSE(v->has(attr::kRealm));
  EXPECT_TRUE(v->message_integrity().has_value());
  EXPECT_TRUE(v->message_integrity_sha256().has_value());
  EXPECT_TRUE(verify_fingerprint(*v));
  EXPECT_EQ(v->attribute_count(), 4u);
  // MI covers only what precedes it, so the ignored attributes do not break it.
  EXPECT_TRUE(verify_message_integrity(*v, key));
  EXPECT_TRUE(verify_message_integrity_sha256(*v, key));
}

TEST(MessageParse, NothingMayFollowFingerprint) {
  Message m(kBindingRequest, fixed_id());
  m.add_fingerprint().add(Software{"late"});
  EXPECT_EQ(MessageView::parse(m.bytes()).error(), Error::kAttributeAfterFingerprint);
}

TEST(Integrity, BadFingerprintAndBadIntegrityAreDetected) {
  const std::array<std::uint8_t, 3> key{9, 9, 9};
  Message m(kBindingRequest, fixed_id());
  m.add(Username{"user"}).add_message_integrity(key).add_fingerprint();
  Bytes b = bytes_of(m);
  ASSERT_TRUE(verify_fingerprint(*MessageView::parse(b)));
  b.back() ^= 1;  // corrupt the CRC
  EXPECT_FALSE(verify_fingerprint(*MessageView::parse(b)));
  b = bytes_of(m);
  b[25] ^= 1;  // corrupt the username: both checks fail
  const auto v = MessageView::parse(b);
  ASSERT_TRUE(v.ok());
  EXPECT_FALSE(verify_message_integrity(*v, key));
  EXPECT_FALSE(verify_fingerprint(*v));
  EXPECT_FALSE(verify_message_integrity(*MessageView::parse(simple_request()), key));  // missing
}

TEST(Integrity, Sha256AndLongTermKeys) {
  const auto k = long_term_key_sha256("user", "realm", "pass");
  Message m(kBindingRequest, fixed_id());
  m.add(Username{"user"}).add_message_integrity_sha256(k);
  EXPECT_TRUE(verify_message_integrity_sha256(m.view(), k));
  EXPECT_FALSE(verify_message_integrity_sha256(m.view(), long_term_key_sha256("user", "realm", "other")));
  // MD5("user:realm:pass"), computed independently with `printf user:realm:pass | md5sum`.
  const auto md5 = long_term_key_md5("user", "realm", "pass");
  EXPECT_EQ(md5[0], 0x84);
  EXPECT_EQ(md5[15], 0xeb);
}

TEST(Integrity, Crc32MatchesTheStandardCheckValue) {
  const std::string_view s = "123456789";
  EXPECT_EQ(crc32({reinterpret_cast<const std::uint8_t*>(s.data()), s.size()}), 0xCBF43926u);
}

TEST(UnknownAttributes, ComprehensionRequiredUnknownsAreCollected) {
  Message m(kBindingRequest, fixed_id());
  const std::array<std::uint8_t, 4> v{};
  m.add_raw(0x7777, v).add_raw(0xC057, v).add(Software{"ok"}).add_raw(0x0030, v);
  UnknownAttributes u;
  EXPECT_EQ(find_unknown_comprehension_required(m.view(), u), 2u);
  ASSERT_EQ(u.count, 2u);
  EXPECT_EQ(u.types[0], 0x7777);
  EXPECT_EQ(u.types[1], 0x0030);
  Message resp;
  start_error_response(resp, m.view(), code::kUnknownAttribute).add(u);
  const auto r = resp.view();
  EXPECT_EQ(r.type(), kBindingError);
  EXPECT_EQ(r.transaction_id(), fixed_id());
  EXPECT_EQ(r.get<ErrorCode>()->code, 420);
  EXPECT_EQ(r.get<ErrorCode>()->reason, "Unknown Attribute");
  EXPECT_EQ(r.get<UnknownAttributes>()->count, 2u);
}

TEST(Attributes, EveryTypeRoundTrips) {
  const auto v4 = *TransportAddress::parse("203.0.113.7:4000");
  const auto v6 = *TransportAddress::parse("[2001:db8::5]:65535");
  const std::array<std::uint8_t, 5> payload{1, 2, 3, 4, 5};
  Message m(MessageType{Method::kAllocate, Class::kRequest}, fixed_id());
  m.add(MappedAddress{v4}).add(XorMappedAddress{v6}).add(XorPeerAddress{v4}).add(XorRelayedAddress{v6})
      .add(AlternateServer{v6}).add(ResponseOrigin{v4}).add(OtherAddress{v6})
      .add(ChannelNumber{0x4001}).add(Lifetime{600}).add(Data{payload}).add(Nonce{"n"}).add(Realm{"r"})
      .add(RequestedAddressFamily{Family::kIPv6}).add(AdditionalAddressFamily{Family::kIPv6})
      .add(EvenPort{true}).add(RequestedTransport{}).add(DontFragment{})
      .add(ReservationToken{{1, 2, 3, 4, 5, 6, 7, 8}}).add(ChangeRequest{true, false}).add(ResponsePort{9})
      .add(CacheTimeout{30}).add(Priority{7}).add(UseCandidate{}).add(IceControlling{42})
      .add(AddressErrorCode{Family::kIPv6, 440, {}}).add(Icmp{3, 1, 99}).add(ConnectionId{77})
      .add(Userhash::compute("u", "r")).add(PasswordAlgorithm{PasswordAlgorithmId::kSha256})
      .add(ErrorCode{438, "Stale Nonce"});
  ASSERT_TRUE(m.ok());
  const MessageView v = m.view();
  EXPECT_EQ(v.attribute_count(), 30u);
  EXPECT_EQ(v.get<MappedAddress>()->address, v4);
  EXPECT_EQ(v.get<XorMappedAddress>()->address, v6);
  EXPECT_EQ(v.get<XorPeerAddress>()->address, v4);
  EXPECT_EQ(v.get<XorRelayedAddress>()->address, v6);
  EXPECT_EQ(v.get<AlternateServer>()->address, v6);
  EXPECT_EQ(v.get<ResponseOrigin>()->address, v4);
  EXPECT_EQ(v.get<OtherAddress>()->address, v6);
  EXPECT_EQ(v.get<ChannelNumber>()->number, 0x4001);
  EXPECT_EQ(v.get<Lifetime>()->seconds, 600u);
  EXPECT_TRUE(std::ranges::equal(v.get<Data>()->value, payload));
  EXPECT_EQ(v.get<RequestedAddressFamily>()->family, Family::kIPv6);
  EXPECT_EQ(v.get<AdditionalAddressFamily>()->family, Family::kIPv6);
  EXPECT_TRUE(v.get<EvenPort>()->reserve_next);
  EXPECT_EQ(v.get<RequestedTransport>()->protocol, 17);
  EXPECT_TRUE(v.get<DontFragment>().ok());
  EXPECT_EQ(v.get<ReservationToken>()->token[7], 8);
  EXPECT_TRUE(v.get<ChangeRequest>()->change_ip);
  EXPECT_FALSE(v.get<ChangeRequest>()->change_port);
  EXPECT_EQ(v.get<ResponsePort>()->port, 9);
  EXPECT_EQ(v.get<CacheTimeout>()->seconds, 30u);
  EXPECT_EQ(v.get<Priority>()->value, 7u);
  EXPECT_TRUE(v.get<UseCandidate>().ok());
  EXPECT_EQ(v.get<IceControlling>()->tie_breaker, 42u);
  EXPECT_EQ(v.get<AddressErrorCode>()->code, 440);
  EXPECT_EQ(v.get<Icmp>()->error_data, 99u);
  EXPECT_EQ(v.get<ConnectionId>()->id, 77u);
  EXPECT_EQ(v.get<Userhash>()->hash, Userhash::compute("u", "r").hash);
  EXPECT_EQ(v.get<PasswordAlgorithm>()->algorithm, PasswordAlgorithmId::kSha256);
  EXPECT_EQ(v.get<ErrorCode>()->code, 438);
  EXPECT_EQ(v.get<Software>().error(), Error::kMissingAttribute);
  for (std::size_t i = 0; i < v.attribute_count(); ++i) EXPECT_TRUE(attr::is_known(v.attribute(i).type));
}

TEST(Attributes, MalformedValuesAreRejected) {
  Message m(kBindingRequest, fixed_id());
  const std::array<std::uint8_t, 8> bad_family{0, 3, 0, 1, 1, 2, 3, 4};
  const std::array<std::uint8_t, 7> short_v4{0, 1, 0, 1, 1, 2, 3};
  const std::array<std::uint8_t, 4> bad_error{0, 0, 7, 1};
  m.add_raw(attr::kXorMappedAddress, bad_family).add_raw(attr::kMappedAddress, short_v4)
      .add_raw(attr::kErrorCode, bad_error).add_raw(attr::kLifetime, short_v4);
  const MessageView v = m.view();
  EXPECT_EQ(v.get<XorMappedAddress>().error(), Error::kBadAttributeValue);
  EXPECT_EQ(v.get<MappedAddress>().error(), Error::kBadAttributeValue);
  EXPECT_EQ(v.get<ErrorCode>().error(), Error::kBadAttributeValue);
  EXPECT_EQ(v.get<Lifetime>().error(), Error::kBadAttributeValue);
}

TEST(MessageBuild, OverlongTextAndOversizeMessagesFail) {
  Message m(kBindingRequest, fixed_id());
  m.add(Software{std::string(800, 'a')});
  EXPECT_FALSE(m.ok());
  Message big(kBindingRequest, fixed_id());
  const std::vector<std::uint8_t> chunk(40000, 1);
  big.add(Data{chunk}).add(Data{chunk});
  EXPECT_EQ(big.error(), Error::kBufferFull);
}

TEST(MessageBuild, DecodeCopiesAndResetKeepsWorking) {
  const Bytes b = test::kSampleRequest;
  auto m = Message::decode(b);
  ASSERT_TRUE(m.ok());
  EXPECT_EQ(bytes_of(*m), b);
  EXPECT_EQ(m->type(), kBindingRequest);
  Message r;
  r.reset(kBindingSuccess, m->transaction_id()).add(Software{"a"});
  r.reset(kBindingSuccess, m->transaction_id());
  EXPECT_EQ(r.size(), kHeaderSize);
  EXPECT_EQ(Message::decode(Bytes(10, 0)).error(), Error::kTooShort);
}

TEST(TransportAddressText, ParsesAndPrints) {
  EXPECT_EQ(TransportAddress::parse("1.2.3.4:5")->to_string(), "1.2.3.4:5");
  EXPECT_EQ(TransportAddress::parse("[::1]:3478")->to_string(), "[::1]:3478");
  EXPECT_FALSE(TransportAddress::parse("1.2.3.4"));
  EXPECT_FALSE(TransportAddress::parse("1.2.3.4:70000"));
  EXPECT_FALSE(TransportAddress::parse("::1:5"));
  EXPECT_FALSE(TransportAddress::parse("host:5"));
  EXPECT_EQ(TransportAddress::v4(0x7f000001, 9), *TransportAddress::parse("127.0.0.1:9"));
}

// TransportAddress is util::IpAddress and a port: one IPv4 form everywhere (::ffff:a.b.c.d inside, 4 bytes
// on the wire), so an address from a socket, from text and from a STUN attribute compare equal.
TEST(TransportAddressText, BuiltOnUtilIpAddress) {
  const auto v4 = *TransportAddress::parse("192.0.2.9:7");
  EXPECT_EQ(v4.ip, *util::parse_ip("192.0.2.9"));
  EXPECT_EQ(v4, (TransportAddress{*util::parse_ip("::ffff:192.0.2.9"), 7}));
  EXPECT_EQ(v4.family(), Family::kIPv4);
  ASSERT_EQ(v4.ip_bytes().size(), 4u);
  EXPECT_EQ(v4.ip_bytes()[0], 192);
  EXPECT_EQ(v4.ip_bytes()[3], 9);
  const auto v6 = *TransportAddress::parse("[2001:db8::1]:7");
  EXPECT_EQ(v6.family(), Family::kIPv6);
  EXPECT_EQ(v6.ip_bytes().size(), 16u);
  EXPECT_EQ(TransportAddress{}.to_string(), "0.0.0.0:0");  // the default is IPv4's wildcard, as before
  EXPECT_TRUE(TransportAddress{}.ip.is_unspecified());
  EXPECT_TRUE(TransportAddress::parse("[::]:1")->ip.is_unspecified());
  EXPECT_FALSE(v4.ip.is_unspecified());
  EXPECT_TRUE(TransportAddress::parse("127.8.0.1:1")->ip.is_loopback());
  EXPECT_TRUE(TransportAddress::parse("[::1]:1")->ip.is_loopback());
  EXPECT_FALSE(v6.ip.is_loopback());
  EXPECT_EQ(TransportAddressHash{}(v4), TransportAddressHash{}(TransportAddress::v4({192, 0, 2, 9}, 7)));
}

}  // namespace
}  // namespace sb::stun
