// Textual endpoints and CIDR ranges as they appear in configuration. No sockets: the net layer turns a
// HostPort into a socket address; the TURN peer policy and the admin allow-list match addresses against Cidr.
#pragma once

#include <array>
#include <cstdint>
#include <optional>
#include <span>
#include <string>
#include <string_view>

namespace sb::util {

// "HOST:PORT", "[V6]:PORT". Host may be a name ("localhost"), an IPv4 or an IPv6 literal.
struct HostPort {
  std::string host;
  std::uint16_t port = 0;
  std::string to_string() const;  // brackets IPv6 literals again
};
std::optional<HostPort> parse_host_port(std::string_view text);

// An advertised address: "HOST:PORT" or "[V6]:PORT" as above, or a host alone: "HOST", "V6", "[V6]".
// The host comes without brackets. Empty text gives nullopt.
struct HostOptionalPort {
  std::string host;
  std::optional<std::uint16_t> port;
};
std::optional<HostOptionalPort> parse_host_optional_port(std::string_view text);

// "SCHEME://HOST[:PORT][/PATH][?QUERY]" with HOST a name, an IPv4 or a [IPv6] literal (kept without brackets).
// No user info, no fragment. nullopt for anything else, or a port of 0.
struct Url {
  std::string scheme;                 // lower case as written, e.g. "https"
  std::string host;
  std::optional<std::uint16_t> port;  // nullopt: the scheme's default
  std::string target;                 // path and query as written ("/a?b"); "" when absent
};
std::optional<Url> parse_url(std::string_view text);

// An IP address as 16 bytes; IPv4 is kept as an IPv4-mapped IPv6 address (::ffff:a.b.c.d) so one
// matcher serves both families. The project's one IP type: stun::TransportAddress (an IP and a port, as
// STUN and the sockets carry it) is built on it.
struct IpAddress {
  std::array<std::uint8_t, 16> bytes{};

  static constexpr IpAddress from_v4(std::array<std::uint8_t, 4> b) {
    return IpAddress{{0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0xff, 0xff, b[0], b[1], b[2], b[3]}};
  }
  static constexpr IpAddress from_v4(std::uint32_t host_order) {
    return from_v4({static_cast<std::uint8_t>(host_order >> 24), static_cast<std::uint8_t>(host_order >> 16),
                    static_cast<std::uint8_t>(host_order >> 8), static_cast<std::uint8_t>(host_order)});
  }
  static constexpr IpAddress from_v6(const std::array<std::uint8_t, 16>& b) { return IpAddress{b}; }

  constexpr bool is_v4() const {  // the IPv4-mapped form
    for (int i = 0; i < 10; ++i) {
      if (bytes[i] != 0) return false;
    }
    return bytes[10] == 0xff && bytes[11] == 0xff;
  }
  // 0.0.0.0 or :: (a wildcard listener).
  constexpr bool is_unspecified() const {
    for (std::size_t i = is_v4() ? 12 : 0; i < 16; ++i) {
      if (bytes[i] != 0) return false;
    }
    return true;
  }
  // 127.0.0.0/8 or ::1.
  constexpr bool is_loopback() const {
    if (is_v4()) return bytes[12] == 127;
    for (int i = 0; i < 15; ++i) {
      if (bytes[i] != 0) return false;
    }
    return bytes[15] == 1;
  }
  // The address as the wire and the kernel carry it: 4 bytes for IPv4, else 16.
  std::span<const std::uint8_t> wire_bytes() const {
    return is_v4() ? std::span<const std::uint8_t>(bytes.data() + 12, 4) : std::span<const std::uint8_t>(bytes);
  }
  std::span<std::uint8_t> wire_bytes() {
    return is_v4() ? std::span<std::uint8_t>(bytes.data() + 12, 4) : std::span<std::uint8_t>(bytes);
  }
  std::string to_string() const;
  bool operator==(const IpAddress&) const = default;
};
std::optional<IpAddress> parse_ip(std::string_view text);

// "10.0.0.0/8", "fe80::/10", or a bare address (a /32 or /128).
struct Cidr {
  IpAddress network;
  unsigned prefix_len = 0;  // counted on the 128-bit form: an IPv4 /8 is stored as /104
  bool contains(const IpAddress& a) const;
  std::string to_string() const;
};
std::optional<Cidr> parse_cidr(std::string_view text);

}  // namespace sb::util
