// Text and opaque-bytes attributes. Decoded values are views into the message bytes (see message.hpp
// for their lifetime). Length limits are the RFCs' and are checked on decode and on encode:
//   USERNAME          RFC 8489 §14.3   UTF-8, < 513 bytes
//   REALM             RFC 8489 §14.9   quoted-string, < 763 bytes (128 characters)
//   NONCE             RFC 8489 §14.10  < 763 bytes (128 characters)
//   SOFTWARE          RFC 8489 §14.14  < 763 bytes (128 characters)
//   ALTERNATE-DOMAIN  RFC 8489 §14.16  < 256 bytes
//   DATA              RFC 8656 §18.4   any length (bounded by the message)
// An encode whose value is too long marks the Message failed (kBadAttributeValue) rather than
// producing a message peers would reject.
#pragma once

#include <cstddef>
#include <cstdint>
#include <span>
#include <string_view>

#include "stun/attributes.hpp"
#include "stun/message.hpp"

namespace sb::stun {

// Appends `text` as attribute `type`; fails the Message when longer than `max_bytes`.
void encode_text(Message& m, std::uint16_t type, std::string_view text, std::size_t max_bytes);
Result<std::string_view> decode_text(std::span<const std::uint8_t> value, std::size_t max_bytes);

template <std::uint16_t Type, std::size_t MaxBytes>
struct TextAttribute {
  static constexpr std::uint16_t kType = Type;
  static constexpr std::size_t kMaxBytes = MaxBytes;
  std::string_view value;

  void encode(Message& m) const { encode_text(m, kType, value, kMaxBytes); }
  static Result<TextAttribute> decode(const MessageView&, AttributeView a) {
    auto r = decode_text(a.value, kMaxBytes);
    if (!r) return r.error();
    return TextAttribute{*r};
  }
};

using Username = TextAttribute<attr::kUsername, 512>;
using Realm = TextAttribute<attr::kRealm, 762>;
using Nonce = TextAttribute<attr::kNonce, 762>;
using Software = TextAttribute<attr::kSoftware, 762>;
using AlternateDomain = TextAttribute<attr::kAlternateDomain, 255>;

// DATA (RFC 8656 §18.4): the application payload of Send and Data indications.
struct Data {
  static constexpr std::uint16_t kType = attr::kData;
  std::span<const std::uint8_t> value;

  void encode(Message& m) const { m.add_raw(kType, value); }
  static Result<Data> decode(const MessageView&, AttributeView a) { return Data{a.value}; }
};

}  // namespace sb::stun
