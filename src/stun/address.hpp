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

namespace sb::stun {

// Address family field of the address attributes (RFC 8489 §14.1).
enum class Family : std::uint8_t { kIPv4 = 0x01, kIPv6 = 0x02 };

// The transport a request arrived on; the service answers on the same one.
enum class Transport : std::uint8_t { kUdp, kTcp, kTls };
std::string_view to_string(Transport t);

struct TransportAddress {
  Family family = Family::kIPv4;
  std::array<std::uint8_t, 16> ip{};  // network byte order; IPv4 uses the first 4 bytes, the rest stay 0
  std::uint16_t port = 0;             // host byte order

  static TransportAddress v4(std::array<std::uint8_t, 4> ip, std::uint16_t port);
  static TransportAddress v4(std::uint32_t ip_host_order, std::uint16_t port);
  static TransportAddress v6(const std::array<std::uint8_t, 16>& ip, std::uint16_t port);

  // "1.2.3.4:5" or "[::1]:5" (IPv6 literals only, no names). nullopt when malformed.
  static std::optional<TransportAddress> parse(std::string_view text);

  std::size_t ip_size() const { return family == Family::kIPv4 ? 4 : 16; }
  std::span<const std::uint8_t> ip_bytes() const { return {ip.data(), ip_size()}; }
  bool is_v4() const { return family == Family::kIPv4; }
  std::string ip_string() const;  // "1.2.3.4" or "::1"
  std::string to_string() const;  // "1.2.3.4:5" or "[::1]:5"

  bool operator==(const TransportAddress&) const = default;
};

// For unordered containers keyed by address (TURN 5-tuples, rate limiters).
struct TransportAddressHash {
  std::size_t operator()(const TransportAddress& a) const noexcept;
};

}  // namespace sb::stun
