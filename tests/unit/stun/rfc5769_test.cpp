// RFC 5769 test vectors: parse, verify MESSAGE-INTEGRITY and FINGERPRINT, then build the same message
// with the codec and compare byte for byte.
#include <gtest/gtest.h>

#include <string>
#include <vector>

#include "stun/attr_address.hpp"
#include "stun/attr_ice.hpp"
#include "stun/attr_text.hpp"
#include "stun/integrity.hpp"
#include "stun/message.hpp"
#include "rfc5769_vectors.hpp"

namespace sb::stun {
namespace {

using test::kSampleIPv4Response;
using test::kSampleIPv6Response;
using test::kSampleLongTermRequest;
using test::kSampleRequest;

std::span<const std::uint8_t> as_bytes(std::string_view s) {
  return {reinterpret_cast<const std::uint8_t*>(s.data()), s.size()};
}

constexpr std::string_view kShortTermPassword = "VOkJxbRl1RmTxUk/WvJxBt";

TransactionId id_of(const std::vector<std::uint8_t>& v) {
  TransactionId id;
  std::copy(v.begin() + 8, v.begin() + 20, id.bytes.begin());
  return id;
}

TEST(Rfc5769, SampleRequestParsesAndVerifies) {
  const auto m = MessageView::parse(kSampleRequest);
  ASSERT_TRUE(m.ok()) << to_string(m.error());
  EXPECT_EQ(m->type(), kBindingRequest);
  EXPECT_EQ(m->attribute_count(), 6u);
  EXPECT_EQ(m->get<Software>()->value, "STUN test client");
  EXPECT_EQ(m->get<Priority>()->value, 0x6e0001ffu);
  EXPECT_EQ(m->get<IceControlled>()->tie_breaker, 0x932ff9b151263b36ull);
  EXPECT_EQ(m->get<Username>()->value, "evtj:h6vY");  // padding 0x20 0x20 0x20 skipped
  EXPECT_TRUE(verify_message_integrity(*m, as_bytes(kShortTermPassword)));
  EXPECT_TRUE(verify_fingerprint(*m));
  EXPECT_FALSE(verify_message_integrity(*m, as_bytes("wrong password")));
}

TEST(Rfc5769, SampleRequestEncodesToSameBytes) {
  Message out(kBindingRequest, id_of(kSampleRequest));
  out.set_padding_byte(0x20)
      .add(Software{"STUN test client"})
      .add(Priority{0x6e0001ff})
      .add(IceControlled{0x932ff9b151263b36ull})
      .add(Username{"evtj:h6vY"})
      .add_message_integrity(as_bytes(kShortTermPassword))
      .add_fingerprint();
  ASSERT_TRUE(out.ok());
  EXPECT_EQ(std::vector<std::uint8_t>(out.bytes().begin(), out.bytes().end()), kSampleRequest);
}

TEST(Rfc5769, SampleIPv4ResponseParsesAndVerifies) {
  const auto m = MessageView::parse(kSampleIPv4Response);
  ASSERT_TRUE(m.ok()) << to_string(m.error());
  EXPECT_EQ(m->type(), kBindingSuccess);
  EXPECT_EQ(m->get<Software>()->value, "test vector");
  const auto xma = m->get<XorMappedAddress>();
  ASSERT_TRUE(xma.ok());
  EXPECT_EQ(xma->address, *TransportAddress::parse("192.0.2.1:32853"));
  EXPECT_TRUE(verify_message_integrity(*m, as_bytes(kShortTermPassword)));
  EXPECT_TRUE(verify_fingerprint(*m));
}

TEST(Rfc5769, SampleIPv4ResponseEncodesToSameBytes) {
  Message out(kBindingSuccess, id_of(kSampleIPv4Response));
  out.set_padding_byte(0x20)
      .add(Software{"test vector"})
      .add(XorMappedAddress{*TransportAddress::parse("192.0.2.1:32853")})
      .add_message_integrity(as_bytes(kShortTermPassword))
      .add_fingerprint();
  ASSERT_TRUE(out.ok());
  EXPECT_EQ(std::vector<std::uint8_t>(out.bytes().begin(), out.bytes().end()), kSampleIPv4Response);
}

TEST(Rfc5769, SampleIPv6ResponseParsesAndVerifies) {
  const auto m = MessageView::parse(kSampleIPv6Response);
  ASSERT_TRUE(m.ok()) << to_string(m.error());
  const auto xma = m->get<XorMappedAddress>();
  ASSERT_TRUE(xma.ok());
  EXPECT_EQ(xma->address, *TransportAddress::parse("[2001:db8:1234:5678:11:2233:4455:6677]:32853"));
  EXPECT_EQ(xma->address.to_string(), "[2001:db8:1234:5678:11:2233:4455:6677]:32853");
  EXPECT_TRUE(verify_message_integrity(*m, as_bytes(kShortTermPassword)));
  EXPECT_TRUE(verify_fingerprint(*m));
}

TEST(Rfc5769, SampleIPv6ResponseEncodesToSameBytes) {
  Message out(kBindingSuccess, id_of(kSampleIPv6Response));
  out.set_padding_byte(0x20)
      .add(Software{"test vector"})
      .add(XorMappedAddress{*TransportAddress::parse("[2001:db8:1234:5678:11:2233:4455:6677]:32853")})
      .add_message_integrity(as_bytes(kShortTermPassword))
      .add_fingerprint();
  ASSERT_TRUE(out.ok());
  EXPECT_EQ(std::vector<std::uint8_t>(out.bytes().begin(), out.bytes().end()), kSampleIPv6Response);
}

constexpr std::string_view kUsername = "\xe3\x83\x9e\xe3\x83\x88\xe3\x83\xaa\xe3\x83\x83\xe3\x82\xaf\xe3\x82\xb9";
constexpr std::string_view kNonce = "f//499k954d6OL34oL9FSTvy64sA";

TEST(Rfc5769, LongTermRequestParsesAndVerifies) {
  const auto m = MessageView::parse(kSampleLongTermRequest);
  ASSERT_TRUE(m.ok()) << to_string(m.error());
  EXPECT_EQ(m->get<Username>()->value, kUsername);
  EXPECT_EQ(m->get<Nonce>()->value, kNonce);
  EXPECT_EQ(m->get<Realm>()->value, "example.org");
  EXPECT_FALSE(m->fingerprint().has_value());
  const auto key = long_term_key_md5(kUsername, "example.org", "TheMatrIX");
  EXPECT_TRUE(verify_message_integrity(*m, key));
  EXPECT_FALSE(verify_fingerprint(*m));
}

TEST(Rfc5769, LongTermRequestEncodesToSameBytes) {
  const auto key = long_term_key_md5(kUsername, "example.org", "TheMatrIX");
  Message out(kBindingRequest, id_of(kSampleLongTermRequest));
  out.add(Username{kUsername}).add(Nonce{kNonce}).add(Realm{"example.org"}).add_message_integrity(key);
  ASSERT_TRUE(out.ok());
  EXPECT_EQ(std::vector<std::uint8_t>(out.bytes().begin(), out.bytes().end()), kSampleLongTermRequest);
}

}  // namespace
}  // namespace sb::stun
