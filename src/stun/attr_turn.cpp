#include "stun/attr_turn.hpp"

#include <cstring>

#include "stun/attr_error.hpp"

namespace sb::stun {

namespace {
void put_u32(Message& m, std::uint16_t type, std::uint32_t v) {
  auto out = m.append_attribute(type, 4);
  if (out.size() == 4) store_u32(out.data(), v);
}
Result<std::uint32_t> get_u32(AttributeView a) {
  if (a.value.size() != 4) return Error::kBadAttributeValue;
  return load_u32(a.value.data());
}
// Family byte followed by 3 RFFU bytes (RFC 8656 §18.6, §18.11).
void put_family(Message& m, std::uint16_t type, Family f) {
  auto out = m.append_attribute(type, 4);
  if (out.size() == 4) out[0] = static_cast<std::uint8_t>(f);
}
Result<Family> get_family(AttributeView a) {
  if (a.value.size() != 4) return Error::kBadAttributeValue;
  if (a.value[0] == 0x01) return Family::kIPv4;
  if (a.value[0] == 0x02) return Family::kIPv6;
  return Error::kBadAttributeValue;
}
}  // namespace

void ChannelNumber::encode(Message& m) const { put_u32(m, kType, std::uint32_t{number} << 16); }
Result<ChannelNumber> ChannelNumber::decode(const MessageView&, AttributeView a) {
  auto v = get_u32(a);
  if (!v) return v.error();
  return ChannelNumber{static_cast<std::uint16_t>(*v >> 16)};
}

void Lifetime::encode(Message& m) const { put_u32(m, kType, seconds); }
Result<Lifetime> Lifetime::decode(const MessageView&, AttributeView a) {
  auto v = get_u32(a);
  if (!v) return v.error();
  return Lifetime{*v};
}

void RequestedAddressFamily::encode(Message& m) const { put_family(m, kType, family); }
Result<RequestedAddressFamily> RequestedAddressFamily::decode(const MessageView&, AttributeView a) {
  auto f = get_family(a);
  if (!f) return f.error();
  return RequestedAddressFamily{*f};
}

void AdditionalAddressFamily::encode(Message& m) const { put_family(m, kType, family); }
Result<AdditionalAddressFamily> AdditionalAddressFamily::decode(const MessageView&, AttributeView a) {
  auto f = get_family(a);
  if (!f) return f.error();
  return AdditionalAddressFamily{*f};
}

void EvenPort::encode(Message& m) const {
  auto out = m.append_attribute(kType, 1);
  if (out.size() == 1) out[0] = reserve_next ? 0x80 : 0x00;
}
Result<EvenPort> EvenPort::decode(const MessageView&, AttributeView a) {
  if (a.value.size() != 1) return Error::kBadAttributeValue;
  return EvenPort{(a.value[0] & 0x80) != 0};
}

void RequestedTransport::encode(Message& m) const { put_u32(m, kType, std::uint32_t{protocol} << 24); }
Result<RequestedTransport> RequestedTransport::decode(const MessageView&, AttributeView a) {
  auto v = get_u32(a);
  if (!v) return v.error();
  return RequestedTransport{static_cast<std::uint8_t>(*v >> 24)};
}

Result<DontFragment> DontFragment::decode(const MessageView&, AttributeView a) {
  if (!a.value.empty()) return Error::kBadAttributeValue;
  return DontFragment{};
}

Result<ReservationToken> ReservationToken::decode(const MessageView&, AttributeView a) {
  if (a.value.size() != 8) return Error::kBadAttributeValue;
  ReservationToken t;
  std::memcpy(t.token.data(), a.value.data(), 8);
  return t;
}

// RFC 8656 §18.12: family (8 bits), 13 zero bits, class (3 bits), number (8 bits), reason.
void AddressErrorCode::encode(Message& m) const {
  const std::string_view r = reason.empty() ? default_reason(code) : reason;
  auto out = m.append_attribute(kType, 4 + r.size());
  if (out.empty()) return;
  out[0] = static_cast<std::uint8_t>(family);
  out[2] = static_cast<std::uint8_t>(code / 100);
  out[3] = static_cast<std::uint8_t>(code % 100);
  if (!r.empty()) std::memcpy(out.data() + 4, r.data(), r.size());
}
Result<AddressErrorCode> AddressErrorCode::decode(const MessageView&, AttributeView a) {
  if (a.value.size() < 4 || (a.value[0] != 1 && a.value[0] != 2)) return Error::kBadAttributeValue;
  const unsigned cls = a.value[2] & 0x07;
  if (cls < 3 || cls > 6 || a.value[3] > 99) return Error::kBadAttributeValue;
  AddressErrorCode e;
  e.family = static_cast<Family>(a.value[0]);
  e.code = static_cast<std::uint16_t>(cls * 100 + a.value[3]);
  e.reason = std::string_view(reinterpret_cast<const char*>(a.value.data() + 4), a.value.size() - 4);
  return e;
}

// RFC 8656 §18.13: 9 reserved bits, ICMP type (7 bits), code (8 bits), error data (32 bits).
void Icmp::encode(Message& m) const {
  auto out = m.append_attribute(kType, 8);
  if (out.size() != 8) return;
  out[2] = static_cast<std::uint8_t>(icmp_type & 0x7F);
  out[3] = icmp_code;
  store_u32(out.data() + 4, error_data);
}
Result<Icmp> Icmp::decode(const MessageView&, AttributeView a) {
  if (a.value.size() != 8) return Error::kBadAttributeValue;
  return Icmp{static_cast<std::uint8_t>(a.value[2] & 0x7F), a.value[3], load_u32(a.value.data() + 4)};
}

void ConnectionId::encode(Message& m) const { put_u32(m, kType, id); }
Result<ConnectionId> ConnectionId::decode(const MessageView&, AttributeView a) {
  auto v = get_u32(a);
  if (!v) return v.error();
  return ConnectionId{*v};
}

}  // namespace sb::stun
