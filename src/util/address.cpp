#include "util/address.hpp"

#include <arpa/inet.h>

#include <charconv>
#include <cstring>

namespace sb::util {

namespace {

std::optional<unsigned> parse_uint(std::string_view s, unsigned max) {
  unsigned v = 0;
  auto [p, ec] = std::from_chars(s.data(), s.data() + s.size(), v);
  if (ec != std::errc{} || p != s.data() + s.size() || v > max || s.empty()) return std::nullopt;
  return v;
}
}  // namespace

std::string HostPort::to_string() const {
  if (host.find(':') != std::string::npos) return "[" + host + "]:" + std::to_string(port);
  return host + ":" + std::to_string(port);
}

std::optional<HostPort> parse_host_port(std::string_view text) {
  HostPort hp;
  std::string_view port_text;
  if (!text.empty() && text.front() == '[') {
    auto close = text.find(']');
    if (close == std::string_view::npos || close + 1 >= text.size() || text[close + 1] != ':') return std::nullopt;
    hp.host = std::string(text.substr(1, close - 1));
    port_text = text.substr(close + 2);
    if (!parse_ip(hp.host)) return std::nullopt;
  } else {
    auto colon = text.rfind(':');
    if (colon == std::string_view::npos || text.find(':') != colon) return std::nullopt;
    hp.host = std::string(text.substr(0, colon));
    port_text = text.substr(colon + 1);
  }
  if (hp.host.empty()) return std::nullopt;
  auto port = parse_uint(port_text, 65535);
  if (!port) return std::nullopt;
  hp.port = static_cast<std::uint16_t>(*port);
  return hp;
}

std::optional<HostOptionalPort> parse_host_optional_port(std::string_view text) {
  if (auto hp = parse_host_port(text)) return HostOptionalPort{std::move(hp->host), hp->port};
  if (text.size() > 2 && text.front() == '[' && text.back() == ']') text = text.substr(1, text.size() - 2);
  if (text.empty() || text.front() == '[' || text.back() == ']') return std::nullopt;
  // A colon left over is only allowed inside an IPv6 literal ("host:", "h:99999" are mistakes).
  if (text.find(':') != std::string_view::npos && !parse_ip(text)) return std::nullopt;
  return HostOptionalPort{std::string(text), std::nullopt};
}

std::optional<Url> parse_url(std::string_view text) {
  const auto sep = text.find("://");
  if (sep == std::string_view::npos || sep == 0) return std::nullopt;
  Url u;
  u.scheme = std::string(text.substr(0, sep));
  for (char c : u.scheme) {
    if (!((c >= 'a' && c <= 'z') || (c >= '0' && c <= '9') || c == '+' || c == '-' || c == '.')) return std::nullopt;
  }
  const std::string_view rest = text.substr(sep + 3);
  const auto end = rest.find_first_of("/?");
  const std::string_view authority = rest.substr(0, end);
  if (authority.find('@') != std::string_view::npos || rest.find('#') != std::string_view::npos) return std::nullopt;
  auto hp = parse_host_optional_port(authority);
  if (!hp || (hp->port && *hp->port == 0)) return std::nullopt;
  u.host = std::move(hp->host);
  u.port = hp->port;
  if (end != std::string_view::npos) u.target = (rest[end] == '?' ? "/" : "") + std::string(rest.substr(end));
  return u;
}

std::string IpAddress::to_string() const {
  char buf[INET6_ADDRSTRLEN] = {};
  if (is_v4()) {
    inet_ntop(AF_INET, bytes.data() + 12, buf, sizeof buf);
  } else {
    inet_ntop(AF_INET6, bytes.data(), buf, sizeof buf);
  }
  return buf;
}

std::optional<IpAddress> parse_ip(std::string_view text) {
  std::string s(text);
  IpAddress a;
  in_addr v4{};
  if (inet_pton(AF_INET, s.c_str(), &v4) == 1) return IpAddress::from_v4(ntohl(v4.s_addr));
  if (inet_pton(AF_INET6, s.c_str(), a.bytes.data()) == 1) return a;
  return std::nullopt;
}

bool Cidr::contains(const IpAddress& a) const {
  unsigned full = prefix_len / 8, rest = prefix_len % 8;
  if (std::memcmp(a.bytes.data(), network.bytes.data(), full) != 0) return false;
  if (rest == 0) return true;
  const std::uint8_t mask = static_cast<std::uint8_t>(0xff << (8 - rest));
  return (a.bytes[full] & mask) == (network.bytes[full] & mask);
}

std::string Cidr::to_string() const {
  unsigned len = network.is_v4() && prefix_len >= 96 ? prefix_len - 96 : prefix_len;
  return network.to_string() + "/" + std::to_string(len);
}

std::optional<Cidr> parse_cidr(std::string_view text) {
  auto slash = text.find('/');
  auto ip = parse_ip(text.substr(0, slash));
  if (!ip) return std::nullopt;
  Cidr c{*ip, 128};
  const bool v4 = ip->is_v4() && text.substr(0, slash).find(':') == std::string_view::npos;
  if (slash != std::string_view::npos) {
    auto len = parse_uint(text.substr(slash + 1), v4 ? 32 : 128);
    if (!len) return std::nullopt;
    c.prefix_len = v4 ? *len + 96 : *len;
  }
  // Clear host bits so to_string() shows the network.
  for (unsigned bit = c.prefix_len; bit < 128; ++bit) c.network.bytes[bit / 8] &= static_cast<std::uint8_t>(~(0x80 >> (bit % 8)));
  return c;
}

}  // namespace sb::util
