// STUN messages (RFC 8489 §5, §6): the 20-byte header, transaction ids, and two message types.
//
//  * MessageView — a parsed, NON-owning view of bytes somebody else owns (a receive buffer). Parsing
//    allocates nothing: attributes are indexed in a fixed-capacity array inside the view. Every span or
//    string_view obtained from a view points into those bytes and is valid only while they are alive
//    and unmodified.
//  * Message — an owning byte buffer that is built by a chain of setters
//        Message(kBindingSuccess, tid).add(XorMappedAddress{addr}).add(Software{"x"}).add_fingerprint();
//    and that can be viewed (view()) or decoded from bytes (Message::decode, which copies). Views and
//    attribute spans of a Message are valid until the Message is modified, moved-from or destroyed.
//    reset() keeps the buffer's capacity, so a Message reused per worker builds without allocating.
//
// Attribute types live in attributes.hpp; their value codecs in attr_*.hpp and integrity.hpp. Each
// attribute value type A provides
//     static constexpr std::uint16_t kType;
//     void encode(Message& m) const;                                  // appends one attribute
//     static Result<A> decode(const MessageView& m, AttributeView a);  // a.type == kType
// so that Message::add(a) and MessageView::get<A>() work for every attribute.
#pragma once

#include <array>
#include <cstddef>
#include <cstdint>
#include <optional>
#include <span>
#include <string_view>
#include <vector>

#include "stun/result.hpp"

namespace sb::stun {

inline constexpr std::uint32_t kMagicCookie = 0x2112A442;  // RFC 8489 §5
inline constexpr std::size_t kHeaderSize = 20;
inline constexpr std::size_t kAttributeHeaderSize = 4;
inline constexpr std::size_t kMaxMessageSize = kHeaderSize + 0xFFFF;  // 16-bit length field
inline constexpr std::size_t kAttributeCapacity = 48;                // hard cap of ParseLimits::max_attributes

// RFC 8489 §18.2 and RFC 8656 §17 / RFC 6062 method registry.
enum class Method : std::uint16_t {
  kBinding = 0x001,
  kAllocate = 0x003,
  kRefresh = 0x004,
  kSend = 0x006,
  kData = 0x007,
  kCreatePermission = 0x008,
  kChannelBind = 0x009,
  kConnect = 0x00A,
  kConnectionBind = 0x00B,
  kConnectionAttempt = 0x00C,
};

// RFC 8489 §5: C1 C0 bits.
enum class Class : std::uint8_t { kRequest = 0, kIndication = 1, kSuccess = 2, kError = 3 };

// The 14-bit message type: method bits interleaved with the class bits (RFC 8489 §5, Figure 3).
struct MessageType {
  Method method = Method::kBinding;
  Class cls = Class::kRequest;

  constexpr std::uint16_t encode() const {
    const auto m = static_cast<std::uint16_t>(method);
    const auto c = static_cast<std::uint16_t>(cls);
    return static_cast<std::uint16_t>((m & 0x000F) | ((m & 0x0070) << 1) | ((m & 0x0F80) << 2) |
                                      ((c & 0x1) << 4) | ((c & 0x2) << 7));
  }
  static constexpr MessageType decode(std::uint16_t t) {
    const auto m = static_cast<std::uint16_t>((t & 0x000F) | ((t >> 1) & 0x0070) | ((t >> 2) & 0x0F80));
    const auto c = static_cast<std::uint8_t>(((t >> 4) & 0x1) | ((t >> 7) & 0x2));
    return MessageType{static_cast<Method>(m), static_cast<Class>(c)};
  }
  constexpr bool operator==(const MessageType&) const = default;
};

inline constexpr MessageType kBindingRequest{Method::kBinding, Class::kRequest};
inline constexpr MessageType kBindingIndication{Method::kBinding, Class::kIndication};
inline constexpr MessageType kBindingSuccess{Method::kBinding, Class::kSuccess};
inline constexpr MessageType kBindingError{Method::kBinding, Class::kError};

// 96-bit transaction id (RFC 8489 §5). Random ones come from util::random_bytes.
struct TransactionId {
  std::array<std::uint8_t, 12> bytes{};
  static TransactionId random();  // CSPRNG
  bool operator==(const TransactionId&) const = default;
};

// One attribute inside a message: its type and its value (without padding). `value` points into the
// message bytes; see the lifetime rules at the top of this file.
struct AttributeView {
  std::uint16_t type = 0;
  std::span<const std::uint8_t> value;
  std::size_t offset = 0;  // of the attribute header, from the start of the message
};

struct ParseLimits {
  std::size_t max_message_size = kMaxMessageSize;
  std::size_t max_attributes = 32;  // <= kAttributeCapacity
};

// Cheap pre-check before a full parse (RFC 8489 §6.3 and RFC 7983 demultiplexing): first two bits zero,
// magic cookie present, length a multiple of 4 and equal to size - 20.
bool looks_like_stun(std::span<const std::uint8_t> bytes);

class MessageView {
 public:
  MessageView() = default;

  // Validates the header and indexes the attributes (RFC 8489 §6.3): length field matches the byte
  // count, attributes fit, padding bytes are skipped whatever they contain (§14). Attributes after
  // MESSAGE-INTEGRITY are ignored except MESSAGE-INTEGRITY-SHA256 and FINGERPRINT; after
  // MESSAGE-INTEGRITY-SHA256 only FINGERPRINT counts (§14.5, §14.6); anything after FINGERPRINT is an
  // error (§14.7). Does not verify integrity or fingerprint: see integrity.hpp. Allocates nothing.
  static Result<MessageView> parse(std::span<const std::uint8_t> bytes, const ParseLimits& limits = {});

  std::uint16_t raw_type() const { return raw_type_; }
  MessageType type() const { return MessageType::decode(raw_type_); }
  Method method() const { return type().method; }
  Class message_class() const { return type().cls; }
  const TransactionId& transaction_id() const { return transaction_id_; }
  std::span<const std::uint8_t> bytes() const { return bytes_; }

  // The attributes that count (see parse), in wire order.
  std::size_t attribute_count() const { return count_; }
  AttributeView attribute(std::size_t i) const;
  // First counted attribute of this type (RFC 8489 §14: later duplicates may be ignored).
  std::optional<AttributeView> find(std::uint16_t type) const;
  bool has(std::uint16_t type) const { return find(type).has_value(); }

  // Decodes attribute A; Error::kMissingAttribute when absent.
  template <class A>
  Result<A> get() const {
    const auto a = find(A::kType);
    if (!a) return Error::kMissingAttribute;
    return A::decode(*this, *a);
  }

  // Positions of the integrity attributes, for integrity.hpp.
  std::optional<AttributeView> message_integrity() const { return find_index(mi_index_); }
  std::optional<AttributeView> message_integrity_sha256() const { return find_index(mi256_index_); }
  std::optional<AttributeView> fingerprint() const { return find_index(fp_index_); }

 private:
  struct Entry {
    std::uint16_t type;
    std::uint16_t length;
    std::uint32_t offset;  // of the attribute header
  };
  static constexpr std::uint8_t kNone = 0xFF;
  std::optional<AttributeView> find_index(std::uint8_t i) const;
  Error index_attributes(const ParseLimits& limits);
  bool add_entry(std::uint16_t type, std::uint16_t length, std::size_t offset, const ParseLimits& limits);

  std::span<const std::uint8_t> bytes_;
  TransactionId transaction_id_;
  std::uint16_t raw_type_ = 0;
  std::uint8_t count_ = 0;
  std::uint8_t mi_index_ = kNone;
  std::uint8_t mi256_index_ = kNone;
  std::uint8_t fp_index_ = kNone;
  std::array<Entry, kAttributeCapacity> entries_{};
};

class Message {
 public:
  Message() { reset(kBindingRequest, TransactionId{}); }
  Message(MessageType type, const TransactionId& id) { reset(type, id); }

  // Starts a new message with no attributes and zero padding; keeps the buffer's capacity.
  Message& reset(MessageType type, const TransactionId& id);

  // Parses `bytes` (see MessageView::parse) and keeps a copy.
  static Result<Message> decode(std::span<const std::uint8_t> bytes, const ParseLimits& limits = {});

  // Appends attribute `a` (see the contract at the top of this file).
  template <class A>
  Message& add(const A& a) {
    a.encode(*this);
    return *this;
  }
  // The byte written into padding by later appends. RFC 8489 §14 lets senders put anything there; 0 by
  // default, 0x20 reproduces the RFC 5769 test vectors byte for byte.
  Message& set_padding_byte(std::uint8_t b) {
    padding_byte_ = b;
    return *this;
  }
  // Appends a raw attribute.
  Message& add_raw(std::uint16_t type, std::span<const std::uint8_t> value);
  // For attribute encoders: appends a header for `length` bytes plus padding, updates the message
  // length, and returns the value region to fill. Empty span (and ok() == false) when the message would
  // exceed kMaxMessageSize. The span is valid until the next modification.
  std::span<std::uint8_t> append_attribute(std::uint16_t type, std::size_t length);

  // integrity.hpp implements these three (RFC 8489 §14.5, §14.6, §14.7). Add them last, in this order.
  Message& add_message_integrity(std::span<const std::uint8_t> key);
  Message& add_message_integrity_sha256(std::span<const std::uint8_t> key);
  Message& add_fingerprint();

  // For attribute encoders: marks the message failed (e.g. a value over its RFC length limit).
  void fail(Error e) {
    if (ok()) error_ = e;
  }
  // False when some add() did not fit or was invalid; the message is then unusable.
  bool ok() const { return error_ == Error::kOk; }
  Error error() const { return error_; }

  MessageType type() const;
  TransactionId transaction_id() const;
  std::span<const std::uint8_t> bytes() const { return buffer_; }
  std::size_t size() const { return buffer_.size(); }
  // Parses this message's own bytes; valid until this Message changes.
  MessageView view() const;

 private:
  void set_length(std::size_t attribute_bytes);
  std::vector<std::uint8_t> buffer_;
  Error error_ = Error::kOk;
  std::uint8_t padding_byte_ = 0;
};

// Big-endian helpers shared by the attribute codecs.
inline std::uint16_t load_u16(const std::uint8_t* p) { return static_cast<std::uint16_t>((p[0] << 8) | p[1]); }
inline std::uint32_t load_u32(const std::uint8_t* p) {
  return (std::uint32_t{p[0]} << 24) | (std::uint32_t{p[1]} << 16) | (std::uint32_t{p[2]} << 8) | p[3];
}
inline void store_u16(std::uint8_t* p, std::uint16_t v) {
  p[0] = static_cast<std::uint8_t>(v >> 8);
  p[1] = static_cast<std::uint8_t>(v);
}
inline void store_u32(std::uint8_t* p, std::uint32_t v) {
  p[0] = static_cast<std::uint8_t>(v >> 24);
  p[1] = static_cast<std::uint8_t>(v >> 16);
  p[2] = static_cast<std::uint8_t>(v >> 8);
  p[3] = static_cast<std::uint8_t>(v);
}

}  // namespace sb::stun
