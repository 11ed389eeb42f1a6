#include "stun/address.hpp"

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
  const auto ip = util::parse_ip(host);
  // An IPv6 literal must be bracketed (its colons would read as the port's).
  if (!ip || (host.find(':') != std::string_view::npos && text.front() != '[')) return std::nullopt;
  return TransportAddress{*ip, static_cast<std::uint16_t>(port)};
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
  for (const std::uint8_t b : a.ip_bytes()) mix(b);
  mix(static_cast<std::uint8_t>(a.family()));
  mix(static_cast<std::uint8_t>(a.port >> 8));
  mix(static_cast<std::uint8_t>(a.port));
  return static_cast<std::size_t>(h);
}

}  // namespace sb::stun
