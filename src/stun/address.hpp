// Transport addresses as STUN carries them: an IP family, the address bytes and a port. Pure values:
// src/net converts them to and from sockaddr. Shared by STUN, TURN and the listeners.
#pragma once

#include <array>
#include <cstddef>
#include <cstdint>
#include <functional>
#include <optional>
#include <span>
#include <string>
#include <string_view>

#include "util/address.hpp"

namespace sb::stun {

// Address family field of the address attributes (RFC 8489 §14.1).
enum class Family : std::uint8_t { kIPv4 = 0x01, kIPv6 = 0x02 };

// The transport a request arrived on; the service answers on the same one.
enum class Transport : std::uint8_t { kUdp, kTcp, kTls };
std::string_view to_string(Transport t);

// An IP address and a port. The IP is util::IpAddress (IPv4 as ::ffff:a.b.c.d), the project's one IP
// type; the family follows from it.
struct TransportAddress {
  util::IpAddress ip = util::IpAddress::from_v4(0u);  // default: 0.0.0.0
  std::uint16_t port = 0;                             // host byte order

  static constexpr TransportAddress v4(std::array<std::uint8_t, 4> ip, std::uint16_t port) {
    return {util::IpAddress::from_v4(ip), port};
  }
  static constexpr TransportAddress v4(std::uint32_t ip_host_order, std::uint16_t port) {
    return {util::IpAddress::from_v4(ip_host_order), port};
  }
  static constexpr TransportAddress v6(const std::array<std::uint8_t, 16>& ip, std::uint16_t port) {
    return {util::IpAddress::from_v6(ip), port};
  }

  // "1.2.3.4:5" or "[::1]:5" (IPv6 literals only, no names). nullopt when malformed.
  static std::optional<TransportAddress> parse(std::string_view text);

  Family family() const { return ip.is_v4() ? Family::kIPv4 : Family::kIPv6; }
  bool is_v4() const { return ip.is_v4(); }
  std::size_t ip_size() const { return is_v4() ? 4 : 16; }
  // The address bytes as STUN and the kernel carry them: 4 for IPv4, 16 for IPv6.
  std::span<const std::uint8_t> ip_bytes() const { return ip.wire_bytes(); }
  std::string ip_string() const { return ip.to_string(); }  // "1.2.3.4" or "::1"
  std::string to_string() const;                            // "1.2.3.4:5" or "[::1]:5"

  bool operator==(const TransportAddress&) const = default;
};

// For unordered containers keyed by address (TURN 5-tuples, rate limiters).
struct TransportAddressHash {
  std::size_t operator()(const TransportAddress& a) const noexcept;
};

}  // namespace sb::stun
