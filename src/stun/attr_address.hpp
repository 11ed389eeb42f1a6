// Address attributes. Two wire forms share every type here:
//  * plain (RFC 8489 §14.1): 0x00, family, port, address;
//  * XOR'd (RFC 8489 §14.2): port XOR the top 16 bits of the magic cookie, IPv4 address XOR the cookie,
//    IPv6 address XOR (cookie || transaction id). The transaction id comes from the message.
// Plain:  MAPPED-ADDRESS (§14.1), ALTERNATE-SERVER (§14.15), RESPONSE-ORIGIN and OTHER-ADDRESS
//         (RFC 5780 §7.3, §7.4).
// XOR'd:  XOR-MAPPED-ADDRESS (§14.2), XOR-PEER-ADDRESS and XOR-RELAYED-ADDRESS (RFC 8656 §18.3, §18.5).
#pragma once

#include <cstdint>
#include <span>

#include "stun/address.hpp"
#include "stun/attributes.hpp"
#include "stun/message.hpp"

namespace sb::stun {

// Value codecs, usable on their own (e.g. for several XOR-PEER-ADDRESS attributes in one message).
// decode_*: Error::kBadAttributeValue for a wrong size or an unknown family.
Result<TransportAddress> decode_plain_address(std::span<const std::uint8_t> value);
Result<TransportAddress> decode_xor_address(std::span<const std::uint8_t> value, const TransactionId& id);
void encode_plain_address(Message& m, std::uint16_t type, const TransportAddress& a);
void encode_xor_address(Message& m, std::uint16_t type, const TransportAddress& a);

template <std::uint16_t Type>
struct PlainAddressAttribute {
  static constexpr std::uint16_t kType = Type;
  TransportAddress address;

  void encode(Message& m) const { encode_plain_address(m, kType, address); }
  static Result<PlainAddressAttribute> decode(const MessageView&, AttributeView a) {
    auto r = decode_plain_address(a.value);
    if (!r) return r.error();
    return PlainAddressAttribute{*r};
  }
};

template <std::uint16_t Type>
struct XorAddressAttribute {
  static constexpr std::uint16_t kType = Type;
  TransportAddress address;

  void encode(Message& m) const { encode_xor_address(m, kType, address); }
  static Result<XorAddressAttribute> decode(const MessageView& m, AttributeView a) {
    auto r = decode_xor_address(a.value, m.transaction_id());
    if (!r) return r.error();
    return XorAddressAttribute{*r};
  }
};

using MappedAddress = PlainAddressAttribute<attr::kMappedAddress>;
using AlternateServer = PlainAddressAttribute<attr::kAlternateServer>;
using ResponseOrigin = PlainAddressAttribute<attr::kResponseOrigin>;
using OtherAddress = PlainAddressAttribute<attr::kOtherAddress>;
using XorMappedAddress = XorAddressAttribute<attr::kXorMappedAddress>;
using XorPeerAddress = XorAddressAttribute<attr::kXorPeerAddress>;
using XorRelayedAddress = XorAddressAttribute<attr::kXorRelayedAddress>;

}  // namespace sb::stun
