#include "stun/attr_address.hpp"

#include <cstring>

namespace sb::stun {

namespace {
// RFC 8489 §14.1: reserved byte, family, port, then 4 or 16 address bytes.
Result<TransportAddress> read_address(std::span<const std::uint8_t> v) {
  if (v.size() < 4) return Error::kBadAttributeValue;
  const bool v4 = v[1] == static_cast<std::uint8_t>(Family::kIPv4) && v.size() == 8;
  if (!v4 && !(v[1] == static_cast<std::uint8_t>(Family::kIPv6) && v.size() == 20)) return Error::kBadAttributeValue;
  TransportAddress a;
  if (!v4) a.ip = util::IpAddress{};
  a.port = load_u16(v.data() + 2);
  const auto ip = a.ip.wire_bytes();
  std::memcpy(ip.data(), v.data() + 4, ip.size());
  return a;
}

void write_address(std::span<std::uint8_t> out, const TransportAddress& a) {
  out[0] = 0;
  out[1] = static_cast<std::uint8_t>(a.family());
  store_u16(out.data() + 2, a.port);
  std::memcpy(out.data() + 4, a.ip_bytes().data(), a.ip_size());
}

// XOR is its own inverse: the same function encodes and decodes (RFC 8489 §14.2).
TransportAddress apply_xor(TransportAddress a, const TransactionId& id) {
  std::uint8_t mask[16];
  store_u32(mask, kMagicCookie);
  std::memcpy(mask + 4, id.bytes.data(), id.bytes.size());
  a.port ^= static_cast<std::uint16_t>(kMagicCookie >> 16);
  const auto ip = a.ip.wire_bytes();
  for (std::size_t i = 0; i < ip.size(); ++i) ip[i] ^= mask[i];
  return a;
}

TransactionId id_of(const Message& m) { return m.transaction_id(); }
}  // namespace

Result<TransportAddress> decode_plain_address(std::span<const std::uint8_t> value) {
  return read_address(value);
}

Result<TransportAddress> decode_xor_address(std::span<const std::uint8_t> value, const TransactionId& id) {
  auto r = read_address(value);
  if (!r) return r.error();
  return apply_xor(*r, id);
}

void encode_plain_address(Message& m, std::uint16_t type, const TransportAddress& a) {
  auto out = m.append_attribute(type, 4 + a.ip_size());
  if (!out.empty()) write_address(out, a);
}

void encode_xor_address(Message& m, std::uint16_t type, const TransportAddress& a) {
  const TransportAddress x = apply_xor(a, id_of(m));
  auto out = m.append_attribute(type, 4 + a.ip_size());
  if (!out.empty()) write_address(out, x);
}

}  // namespace sb::stun
