#include "turn/peer_policy.hpp"

#include <algorithm>
#include <cstring>

namespace sb::turn {
namespace {

// RFC 8656 §21.3 and the list; RFC 6890 special-purpose registries for the why of each.
constexpr const char* kBuiltinDeny[] = {
    "0.0.0.0/8",        // "this network" (RFC 6890)
    "10.0.0.0/8",       // private (RFC 1918)
    "100.64.0.0/10",    // carrier-grade NAT (RFC 6598)
    "127.0.0.0/8",      // loopback
    "169.254.0.0/16",   // link-local
    "172.16.0.0/12",    // private
    "192.0.0.0/24",     // IETF protocol assignments (RFC 6890): DS-Lite B4/AFTR, NAT64 discovery, ...
    "192.168.0.0/16",   // private
    "198.18.0.0/15",    // benchmarking (RFC 2544): test networks inside labs and data centres
    "224.0.0.0/4",      // multicast
    "240.0.0.0/4",      // reserved + limited broadcast
    "::/128",           // unspecified
    "::1/128",          // loopback
    "100::/64",         // discard-only (RFC 6666)
    "2001::/32",        // Teredo (RFC 4380): embeds an IPv4 server and client address
    "fc00::/7",         // unique local
    "fe80::/10",        // link-local
    "fec0::/10",        // site-local (deprecated by RFC 3879, still routed inside some sites)
    "ff00::/8",         // multicast (a UDP relay must never fan out)
    "64:ff9b::/96",     // NAT64 well-known prefix (RFC 6052): would reach IPv4 behind the translator
    "64:ff9b:1::/48",   // NAT64 local-use prefix (RFC 8215)
    "2002::/16",        // 6to4 (RFC 3056): embeds an IPv4 address
};

bool all_zero(const std::uint8_t* p, std::size_t n) {
  return std::all_of(p, p + n, [](std::uint8_t b) { return b == 0; });
}

}  // namespace

util::IpAddress canonical_peer_ip(const stun::TransportAddress& a) {
  if (a.is_v4()) return a.ip;
  std::array<std::uint8_t, 16> b = a.ip.bytes;
  // ::a.b.c.d (RFC 4291 §2.5.5.1, deprecated but routable by some stacks); :: and ::1 keep their own rules.
  const bool compatible = all_zero(b.data(), 12) && !(all_zero(b.data() + 12, 3) && b[15] <= 1);
  // ::ffff:0:a.b.c.d (RFC 2765 IPv4-translated) carries an IPv4 address the same way.
  const bool translated = all_zero(b.data(), 8) && b[8] == 0xFF && b[9] == 0xFF && b[10] == 0 && b[11] == 0;
  if (compatible || translated) {
    std::memset(b.data(), 0, 10);
    b[10] = b[11] = 0xFF;  // → IPv4-mapped, util's IPv4 form
  }
  return util::IpAddress::from_v6(b);
}

DefaultPeerPolicy::DefaultPeerPolicy(std::vector<util::Cidr> allow, std::vector<util::Cidr> deny,
                                     std::vector<util::IpAddress> own_addresses)
    : allow_(std::move(allow)), own_(std::move(own_addresses)) {
  for (const char* text : kBuiltinDeny) deny_.push_back(*util::parse_cidr(text));
  deny_.insert(deny_.end(), deny.begin(), deny.end());
  for (auto& a : own_) a = canonical_peer_ip({a, 0});  // own addresses compare in canonical form too
}

std::optional<DefaultPeerPolicy> DefaultPeerPolicy::from_strings(const std::vector<std::string>& allow,
                                                                 const std::vector<std::string>& deny,
                                                                 std::vector<util::IpAddress> own_addresses,
                                                                 std::string& error) {
  std::vector<util::Cidr> a, d;
  for (const auto& s : allow) {
    const auto c = util::parse_cidr(s);
    if (!c) return error = "bad allow-peer CIDR '" + s + "'", std::nullopt;
    a.push_back(*c);
  }
  for (const auto& s : deny) {
    const auto c = util::parse_cidr(s);
    if (!c) return error = "bad deny-peer CIDR '" + s + "'", std::nullopt;
    d.push_back(*c);
  }
  return DefaultPeerPolicy(std::move(a), std::move(d), std::move(own_addresses));
}

bool DefaultPeerPolicy::allowed(const stun::TransportAddress& peer) const {
  const util::IpAddress ip = canonical_peer_ip(peer);
  for (const auto& c : allow_) {
    if (c.contains(ip)) return true;
  }
  for (const auto& c : deny_) {
    if (c.contains(ip)) return false;
  }
  return std::find(own_.begin(), own_.end(), ip) == own_.end();
}

}  // namespace sb::turn
