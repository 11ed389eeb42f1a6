#include "stun/address.hpp"

#include <arpa/inet.h>

#include <charconv>
#include <cstring>

namespace sb::stun {

std::string_view to_string(Transport t) {
  switch (t) {
    case Transport::kUdp: return "udp";
    case Transport::kTcp: return "tcp";
    case Transport::kTls: return "tls";
  }
  return "unknown";
}

TransportAddress TransportAddress::v4(std::array<std::uint8_t, 4> ip, std::uint16_t port) {
  TransportAddress a;
  a.family = Family::kIPv4;
  std::memcpy(a.ip.data(), ip.data(), 4);
  a.port = port;
  return a;
}

TransportAddress TransportAddress::v4(std::uint32_t ip_host_order, std::uint16_t port) {
  return v4({static_cast<std::uint8_t>(ip_host_order >> 24), static_cast<std::uint8_t>(ip_host_order >> 16),
             static_cast<std::uint8_t>(ip_host_order >> 8), static_cast<std::uint8_t>(ip_host_order)},
            port);
}

TransportAddress TransportAddress::v6(const std::array<std::uint8_t, 16>& ip, std::uint16_t port) {
  TransportAddress a;
  a.family = Family::kIPv6;
  a.ip = ip;
  a.port = port;
  return a;
}

std::optional<TransportAddress> TransportAddress::parse(std::string_view text) {
  std::string_view host;
  std::string_view port_text;
  if (!text.empty() && text.front() == '[') {
    const auto close = text.find(']');
    if (close == std::string_view::npos || close + 1 >= text.size() || text[close + 1] != ':') {
      return std::nullopt;
    }
    host = text.substr(1, close - 1);
    port_text = text.substr(close + 2);
  } else {
    const auto colon = text.rfind(':');
    if (colon == std::string_view::npos || text.find(':') != colon) return std::nullopt;
    host = text.substr(0, colon);
    port_text = text.substr(colon + 1);
  }
  unsigned port = 0;
  const auto [end, ec] = std::from_chars(port_text.data(), port_text.data() + port_text.size(), port);
  if (ec != std::errc{} || end != port_text.data() + port_text.size() || port > 0xFFFF || port_text.empty()) {
    return std::nullopt;
  }
  const std::string host_z(host);
  TransportAddress a;
  a.port = static_cast<std::uint16_t>(port);
  if (inet_pton(AF_INET, host_z.c_str(), a.ip.data()) == 1) {
    a.family = Family::kIPv4;
    return a;
  }
  if (text.front() == '[' && inet_pton(AF_INET6, host_z.c_str(), a.ip.data()) == 1) {
    a.family = Family::kIPv6;
    return a;
  }
  return std::nullopt;
}

std::string TransportAddress::ip_string() const {
  char buf[INET6_ADDRSTRLEN] = {};
  inet_ntop(is_v4() ? AF_INET : AF_INET6, ip.data(), buf, sizeof buf);
  return buf;
}

std::string TransportAddress::to_string() const {
  const std::string p = std::to_string(port);
  return is_v4() ? ip_string() + ":" + p : "[" + ip_string() + "]:" + p;
}

std::size_t TransportAddressHash::operator()(const TransportAddress& a) const noexcept {
  // FNV-1a over the significant bytes; inputs are attacker-chosen, but keys are bounded per table and
  // per-source state is rate-limited by callers.
  std::uint64_t h = 1469598103934665603ULL;
  auto mix = [&h](std::uint8_t b) { h = (h ^ b) * 1099511628211ULL; };
  mix(static_cast<std::uint8_t>(a.family));
  for (std::size_t i = 0; i < a.ip_size(); ++i) mix(a.ip[i]);
  mix(static_cast<std::uint8_t>(a.port >> 8));
  mix(static_cast<std::uint8_t>(a.port));
  return static_cast<std::size_t>(h);
}

}  // namespace sb::stun
