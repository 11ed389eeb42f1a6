// Which peers a TURN allocation may reach (RFC 8656 §21.3 "Relaying to internal hosts"). Injected into
// the core so deployments can replace it; DefaultPeerPolicy is safe by default: no private, loopback,
// link-local, multicast, reserved, NAT64 or 6to4 destination, and none of the server's own addresses,
// unless an explicit allow rule says so.
#pragma once

#include <optional>
#include <string>
#include <vector>

#include "stun/address.hpp"
#include "util/address.hpp"

namespace sb::turn {

class PeerPolicy {
 public:
  virtual ~PeerPolicy() = default;
  // True when data may be relayed to `peer`. Called on CreatePermission/ChannelBind (403 when false)
  // and on Send indications (dropped when false); must be thread-safe and must not allocate.
  virtual bool allowed(const stun::TransportAddress& peer) const = 0;
};

// Reduces IPv4-mapped (::ffff:a.b.c.d) and IPv4-compatible (::a.b.c.d, except :: and ::1) IPv6 forms
// to the IPv4 address they carry, so one rule covers every spelling of an address. Returned in the
// util::IpAddress form (IPv4 as IPv4-mapped).
util::IpAddress canonical_peer_ip(const stun::TransportAddress& a);

// Order of judgement (allow wins):
//   1. an `allow` CIDR contains the address        → allowed
//   2. a built-in range, a `deny` CIDR, or one of the server's own addresses contains it → denied
//   3. otherwise                                  → allowed
// Built-in ranges: 0.0.0.0/8 10/8 100.64/10 127/8 169.254/16 172.16/12 192.0.0/24 192.168/16 198.18/15
// 224/4 240/4 (incl. 255.255.255.255), ::/128 ::1/128 100::/64 2001::/32 fc00::/7 fe80::/10 fec0::/10
// ff00::/8 64:ff9b::/96 64:ff9b:1::/48 2002::/16.
class DefaultPeerPolicy final : public PeerPolicy {
 public:
  DefaultPeerPolicy() : DefaultPeerPolicy({}, {}, {}) {}
  DefaultPeerPolicy(std::vector<util::Cidr> allow, std::vector<util::Cidr> deny,
                    std::vector<util::IpAddress> own_addresses);
  // Parses the CIDR texts; returns nullopt and sets `error` on the first bad one.
  static std::optional<DefaultPeerPolicy> from_strings(const std::vector<std::string>& allow,
                                                       const std::vector<std::string>& deny,
                                                       std::vector<util::IpAddress> own_addresses,
                                                       std::string& error);

  bool allowed(const stun::TransportAddress& peer) const override;

 private:
  std::vector<util::Cidr> allow_;
  std::vector<util::Cidr> deny_;  // built-ins first, then configured
  std::vector<util::IpAddress> own_;
};

}  // namespace sb::turn
