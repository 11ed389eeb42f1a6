// NAT behaviour discovery attributes (RFC 5780 §7). RESPONSE-ORIGIN and OTHER-ADDRESS are plain address
// attributes (attr_address.hpp).
#pragma once

#include <cstdint>

#include "stun/attributes.hpp"
#include "stun/message.hpp"

namespace sb::stun {

// CHANGE-REQUEST (RFC 5780 §7.2): 32 bits, A = 0x4 change IP, B = 0x2 change port.
struct ChangeRequest {
  static constexpr std::uint16_t kType = attr::kChangeRequest;
  bool change_ip = false;
  bool change_port = false;
  void encode(Message& m) const;
  static Result<ChangeRequest> decode(const MessageView& m, AttributeView a);
};

// RESPONSE-PORT (RFC 5780 §7.5): 16-bit port + 16 bits padding.
struct ResponsePort {
  static constexpr std::uint16_t kType = attr::kResponsePort;
  std::uint16_t port = 0;
  void encode(Message& m) const;
  static Result<ResponsePort> decode(const MessageView& m, AttributeView a);
};

// PADDING (RFC 5780 §7.6): opaque filler to test fragmentation; only its length matters.
struct Padding {
  static constexpr std::uint16_t kType = attr::kPadding;
  std::uint16_t length = 0;
  void encode(Message& m) const { m.append_attribute(kType, length); }
  static Result<Padding> decode(const MessageView&, AttributeView a) {
    return Padding{static_cast<std::uint16_t>(a.value.size())};
  }
};

// CACHE-TIMEOUT (RFC 5780 §7.7): seconds a NAT binding is expected to last.
struct CacheTimeout {
  static constexpr std::uint16_t kType = attr::kCacheTimeout;
  std::uint32_t seconds = 0;
  void encode(Message& m) const;
  static Result<CacheTimeout> decode(const MessageView& m, AttributeView a);
};

}  // namespace sb::stun
