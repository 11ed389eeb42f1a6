#include "stun/message.hpp"

#include <algorithm>
#include <cstring>

#include "stun/attributes.hpp"
#include "util/random.hpp"

namespace sb::stun {

std::string_view to_string(Error e) {
  switch (e) {
    case Error::kOk: return "ok";
    case Error::kTooShort: return "too short";
    case Error::kNotStun: return "not STUN";
    case Error::kBadMagicCookie: return "bad magic cookie";
    case Error::kBadLength: return "bad length";
    case Error::kTooLarge: return "too large";
    case Error::kTruncatedAttribute: return "truncated attribute";
    case Error::kTooManyAttributes: return "too many attributes";
    case Error::kAttributeAfterFingerprint: return "attribute after FINGERPRINT";
    case Error::kBadAttributeValue: return "bad attribute value";
    case Error::kMissingAttribute: return "missing attribute";
    case Error::kBufferFull: return "message too large";
  }
  return "unknown";
}

TransactionId TransactionId::random() {
  TransactionId id;
  util::random_bytes(id.bytes);
  return id;
}

namespace {
constexpr std::size_t padded(std::size_t n) { return (n + 3) & ~std::size_t{3}; }

// RFC 8489 §6.3: the header checks, in the order the fields appear.
Error check_header(std::span<const std::uint8_t> b, const ParseLimits& limits) {
  if (b.size() < kHeaderSize) return Error::kTooShort;
  if ((b[0] & 0xC0) != 0) return Error::kNotStun;
  if (load_u32(b.data() + 4) != kMagicCookie) return Error::kBadMagicCookie;
  if (b.size() > limits.max_message_size) return Error::kTooLarge;
  const std::size_t length = load_u16(b.data() + 2);
  if (length % 4 != 0 || length + kHeaderSize != b.size()) return Error::kBadLength;
  return Error::kOk;
}
}  // namespace

bool looks_like_stun(std::span<const std::uint8_t> b) {
  return check_header(b, ParseLimits{}) == Error::kOk;
}

Result<MessageView> MessageView::parse(std::span<const std::uint8_t> bytes, const ParseLimits& limits) {
  if (const Error e = check_header(bytes, limits); e != Error::kOk) return e;
  MessageView v;
  v.bytes_ = bytes;
  v.raw_type_ = load_u16(bytes.data());
  std::memcpy(v.transaction_id_.bytes.data(), bytes.data() + 8, 12);
  if (const Error e = v.index_attributes(limits); e != Error::kOk) return e;
  return v;
}

bool MessageView::add_entry(std::uint16_t type, std::uint16_t length, std::size_t offset,
                            const ParseLimits& limits) {
  if (count_ >= std::min(limits.max_attributes, kAttributeCapacity)) return false;
  entries_[count_++] = Entry{type, length, static_cast<std::uint32_t>(offset)};
  return true;
}

// Walks the attributes once. `after_mi` / `after_mi256` implement the "ignore what follows" rules of
// RFC 8489 §14.5 and §14.6; nothing may follow FINGERPRINT (§14.7).
Error MessageView::index_attributes(const ParseLimits& limits) {
  std::size_t pos = kHeaderSize;
  bool after_mi = false;
  bool after_mi256 = false;
  while (pos < bytes_.size()) {
    if (fp_index_ != kNone) return Error::kAttributeAfterFingerprint;
    if (bytes_.size() - pos < kAttributeHeaderSize) return Error::kTruncatedAttribute;
    const std::uint16_t type = load_u16(bytes_.data() + pos);
    const std::uint16_t length = load_u16(bytes_.data() + pos + 2);
    const std::size_t value_pos = pos + kAttributeHeaderSize;
    // RFC 8489 §14: every value is padded to 4 bytes (whatever the padding bytes hold), so the padded
    // end must fit inside the length the header announced.
    if (padded(length) > bytes_.size() - value_pos) return Error::kTruncatedAttribute;
    const bool counted = type == attr::kFingerprint ||
                         (type == attr::kMessageIntegritySha256 && !after_mi256) ||
                         (!after_mi && !after_mi256);
    if (counted) {
      if (!add_entry(type, length, pos, limits)) return Error::kTooManyAttributes;
      const auto index = static_cast<std::uint8_t>(count_ - 1);
      if (type == attr::kMessageIntegrity && !after_mi) {
        mi_index_ = index;
        after_mi = true;
      } else if (type == attr::kMessageIntegritySha256) {
        mi256_index_ = index;
        after_mi256 = true;
      } else if (type == attr::kFingerprint) {
        fp_index_ = index;
      }
    }
    pos = value_pos + padded(length);
  }
  return Error::kOk;
}

AttributeView MessageView::attribute(std::size_t i) const {
  const Entry& e = entries_[i];
  return AttributeView{e.type, bytes_.subspan(e.offset + kAttributeHeaderSize, e.length), e.offset};
}

std::optional<AttributeView> MessageView::find(std::uint16_t type) const {
  for (std::size_t i = 0; i < count_; ++i) {
    if (entries_[i].type == type) return attribute(i);
  }
  return std::nullopt;
}

std::optional<AttributeView> MessageView::find_index(std::uint8_t i) const {
  if (i == kNone) return std::nullopt;
  return attribute(i);
}

Message& Message::reset(MessageType type, const TransactionId& id) {
  buffer_.assign(kHeaderSize, 0);
  store_u16(buffer_.data(), type.encode());
  store_u32(buffer_.data() + 4, kMagicCookie);
  std::memcpy(buffer_.data() + 8, id.bytes.data(), id.bytes.size());
  error_ = Error::kOk;
  padding_byte_ = 0;
  return *this;
}

Result<Message> Message::decode(std::span<const std::uint8_t> bytes, const ParseLimits& limits) {
  const auto v = MessageView::parse(bytes, limits);
  if (!v) return v.error();
  Message m;
  m.buffer_.assign(bytes.begin(), bytes.end());
  return m;
}

void Message::set_length(std::size_t attribute_bytes) {
  store_u16(buffer_.data() + 2, static_cast<std::uint16_t>(attribute_bytes));
}

std::span<std::uint8_t> Message::append_attribute(std::uint16_t type, std::size_t length) {
  if (!ok()) return {};
  const std::size_t start = buffer_.size();
  const std::size_t total = kAttributeHeaderSize + padded(length);
  if (length > 0xFFFF || start + total > kMaxMessageSize) {
    error_ = Error::kBufferFull;
    return {};
  }
  buffer_.resize(start + total, 0);
  std::fill(buffer_.begin() + static_cast<std::ptrdiff_t>(start + kAttributeHeaderSize + length), buffer_.end(),
            padding_byte_);
  store_u16(buffer_.data() + start, type);
  store_u16(buffer_.data() + start + 2, static_cast<std::uint16_t>(length));
  set_length(buffer_.size() - kHeaderSize);
  return {buffer_.data() + start + kAttributeHeaderSize, length};
}

Message& Message::add_raw(std::uint16_t type, std::span<const std::uint8_t> value) {
  auto out = append_attribute(type, value.size());
  if (!value.empty() && out.size() == value.size()) std::memcpy(out.data(), value.data(), value.size());
  return *this;
}

MessageType Message::type() const { return MessageType::decode(load_u16(buffer_.data())); }

TransactionId Message::transaction_id() const {
  TransactionId id;
  std::memcpy(id.bytes.data(), buffer_.data() + 8, id.bytes.size());
  return id;
}

MessageView Message::view() const {
  auto v = MessageView::parse(buffer_, ParseLimits{kMaxMessageSize, kAttributeCapacity});
  return v ? *v : MessageView{};
}

}  // namespace sb::stun
