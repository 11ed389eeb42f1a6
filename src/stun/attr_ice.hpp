// ICE connectivity-check attributes (RFC 8445 §7.1, §16.1). The STUN server only parses these (a browser's
// Binding request to a STUN server normally carries none); they are here so ICE traffic decodes.
#pragma once

#include <cstdint>

#include "stun/attributes.hpp"
#include "stun/message.hpp"

namespace sb::stun {

// PRIORITY (RFC 8445 §7.1.1): 32 bits.
struct Priority {
  static constexpr std::uint16_t kType = attr::kPriority;
  std::uint32_t value = 0;
  void encode(Message& m) const;
  static Result<Priority> decode(const MessageView& m, AttributeView a);
};

// USE-CANDIDATE (RFC 8445 §7.1.2): no value.
struct UseCandidate {
  static constexpr std::uint16_t kType = attr::kUseCandidate;
  void encode(Message& m) const { m.append_attribute(kType, 0); }
  static Result<UseCandidate> decode(const MessageView& m, AttributeView a);
};

// ICE-CONTROLLED / ICE-CONTROLLING (RFC 8445 §7.1.3): 64-bit tie-breaker.
template <std::uint16_t Type>
struct IceRoleAttribute {
  static constexpr std::uint16_t kType = Type;
  std::uint64_t tie_breaker = 0;
  void encode(Message& m) const {
    auto v = m.append_attribute(kType, 8);
    if (v.size() == 8) {
      store_u32(v.data(), static_cast<std::uint32_t>(tie_breaker >> 32));
      store_u32(v.data() + 4, static_cast<std::uint32_t>(tie_breaker));
    }
  }
  static Result<IceRoleAttribute> decode(const MessageView&, AttributeView a) {
    if (a.value.size() != 8) return Error::kBadAttributeValue;
    return IceRoleAttribute{(std::uint64_t{load_u32(a.value.data())} << 32) | load_u32(a.value.data() + 4)};
  }
};
using IceControlled = IceRoleAttribute<attr::kIceControlled>;
using IceControlling = IceRoleAttribute<attr::kIceControlling>;

}  // namespace sb::stun
