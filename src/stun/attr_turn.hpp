// TURN attributes (RFC 8656 §18, RFC 6062 §6.2). The address ones (XOR-PEER-ADDRESS,
// XOR-RELAYED-ADDRESS) are in attr_address.hpp, DATA in attr_text.hpp.
#pragma once

#include <array>
#include <cstdint>

#include "stun/address.hpp"
#include "stun/attributes.hpp"
#include "stun/message.hpp"

namespace sb::stun {

// CHANNEL-NUMBER (RFC 8656 §18.1): 16-bit number + 16 bits RFFU. Range checks (0x4000-0x4FFF, §12) are
// the TURN server's: decode accepts any number.
struct ChannelNumber {
  static constexpr std::uint16_t kType = attr::kChannelNumber;
  std::uint16_t number = 0;
  void encode(Message& m) const;
  static Result<ChannelNumber> decode(const MessageView& m, AttributeView a);
};

// LIFETIME (RFC 8656 §18.2): seconds.
struct Lifetime {
  static constexpr std::uint16_t kType = attr::kLifetime;
  std::uint32_t seconds = 0;
  void encode(Message& m) const;
  static Result<Lifetime> decode(const MessageView& m, AttributeView a);
};

// REQUESTED-ADDRESS-FAMILY (RFC 8656 §18.6): family + 24 bits RFFU. Unknown family → kBadAttributeValue
// (the server answers 440).
struct RequestedAddressFamily {
  static constexpr std::uint16_t kType = attr::kRequestedAddressFamily;
  Family family = Family::kIPv4;
  void encode(Message& m) const;
  static Result<RequestedAddressFamily> decode(const MessageView& m, AttributeView a);
};

// ADDITIONAL-ADDRESS-FAMILY (RFC 8656 §18.11): same layout; only IPv6 is valid in a request.
struct AdditionalAddressFamily {
  static constexpr std::uint16_t kType = attr::kAdditionalAddressFamily;
  Family family = Family::kIPv6;
  void encode(Message& m) const;
  static Result<AdditionalAddressFamily> decode(const MessageView& m, AttributeView a);
};

// EVEN-PORT (RFC 8656 §18.7): one byte, top bit R = also reserve the next port. Padded to 4.
struct EvenPort {
  static constexpr std::uint16_t kType = attr::kEvenPort;
  bool reserve_next = false;
  void encode(Message& m) const;
  static Result<EvenPort> decode(const MessageView& m, AttributeView a);
};

// REQUESTED-TRANSPORT (RFC 8656 §18.8): IANA protocol number (17 = UDP, 6 = TCP for RFC 6062) + RFFU.
struct RequestedTransport {
  static constexpr std::uint16_t kType = attr::kRequestedTransport;
  static constexpr std::uint8_t kUdp = 17;
  static constexpr std::uint8_t kTcp = 6;
  std::uint8_t protocol = kUdp;
  void encode(Message& m) const;
  static Result<RequestedTransport> decode(const MessageView& m, AttributeView a);
};

// DONT-FRAGMENT (RFC 8656 §18.9): no value.
struct DontFragment {
  static constexpr std::uint16_t kType = attr::kDontFragment;
  void encode(Message& m) const { m.append_attribute(kType, 0); }
  static Result<DontFragment> decode(const MessageView& m, AttributeView a);
};

// RESERVATION-TOKEN (RFC 8656 §18.10): 8 opaque bytes.
struct ReservationToken {
  static constexpr std::uint16_t kType = attr::kReservationToken;
  std::array<std::uint8_t, 8> token{};
  void encode(Message& m) const { m.add_raw(kType, token); }
  static Result<ReservationToken> decode(const MessageView& m, AttributeView a);
};

// ADDRESS-ERROR-CODE (RFC 8656 §18.12): family, then an ERROR-CODE-shaped code and reason, for the
// address family that could not be allocated in a dual allocation.
struct AddressErrorCode {
  static constexpr std::uint16_t kType = attr::kAddressErrorCode;
  Family family = Family::kIPv4;
  std::uint16_t code = 0;
  std::string_view reason;  // empty → default reason
  void encode(Message& m) const;
  static Result<AddressErrorCode> decode(const MessageView& m, AttributeView a);
};

// ICMP (RFC 8656 §18.13): 2 bytes reserved, type, code, 4 bytes error data; in Data indications.
struct Icmp {
  static constexpr std::uint16_t kType = attr::kIcmp;
  std::uint8_t icmp_type = 0;
  std::uint8_t icmp_code = 0;
  std::uint32_t error_data = 0;
  void encode(Message& m) const;
  static Result<Icmp> decode(const MessageView& m, AttributeView a);
};

// CONNECTION-ID (RFC 6062 §6.2.1): 32-bit id of a TCP peer connection.
struct ConnectionId {
  static constexpr std::uint16_t kType = attr::kConnectionId;
  std::uint32_t id = 0;
  void encode(Message& m) const;
  static Result<ConnectionId> decode(const MessageView& m, AttributeView a);
};

}  // namespace sb::stun
