// CreatePermission (RFC 8656 §9.2) and ChannelBind (RFC 8656 §11.2, §12).
#include <cstring>

#include "stun/attr_address.hpp"
#include "stun/attr_error.hpp"
#include "stun/attr_turn.hpp"
#include "turn/channel_data.hpp"
#include "turn/core_internal.hpp"

namespace sb::turn {
namespace {

constexpr std::size_t kMaxPeersPerRequest = 16;  // bounded by ParseLimits anyway; keeps this on the stack

// Checks a peer address against the allocation and the policy: 0 when fine, else the error code.
// A peer at one of this server's relayed IPs is another allocation here (two relay-only clients): it is
// let through although the policy denies the server's own addresses, because its data is handed over
// inside the server and never reaches another port of that address. ChannelBind names a port, which
// must then be a relay port (`port_matters`); a permission is for the IP only (RFC 8656 §9).
std::uint16_t check_peer(const Allocation& a, const TransportAddress& peer, bool port_matters, Metrics& metrics,
                         const TurnShared& shared) {
  if (!a.has_family(peer.family())) return stun::code::kPeerAddressFamilyMismatch;  // RFC 8656 §9.2
  const auto& cfg = shared.config();
  if (shared.is_relayed_ip(peer) && (!port_matters || (peer.port >= cfg.min_port && peer.port <= cfg.max_port))) {
    return 0;
  }
  if (shared.peer_policy().allowed(peer)) return 0;
  metrics.denied_peers.inc_single_writer();
  return stun::code::kForbidden;
}

// Installs or refreshes the permission for `peer`'s IP. False when a new one would exceed the quota.
bool install_permission(Allocation& a, const TransportAddress& peer, util::TimePoint expires,
                        std::uint32_t max_permissions, util::TimePoint now, Metrics& metrics) {
  for (auto& p : a.permissions) {
    if (p.ip == peer.ip) {
      p.expires = expires;
      return true;
    }
  }
  // Reuse an expired slot before growing (tick() may not have swept it yet).
  for (auto& p : a.permissions) {
    if (p.expires <= now) {
      p = Permission{peer.ip, expires};
      metrics.permissions_created.inc_single_writer();
      return true;
    }
  }
  if (a.permissions.size() >= max_permissions) return false;
  a.permissions.push_back(Permission{peer.ip, expires});
  metrics.permissions_created.inc_single_writer();
  return true;
}

std::size_t new_permissions_needed(Allocation& a, std::span<const TransportAddress> peers, util::TimePoint now) {
  std::size_t needed = 0;
  for (std::size_t i = 0; i < peers.size(); ++i) {
    bool seen = a.permission_for(peers[i], now) != nullptr;
    for (std::size_t k = 0; k < i && !seen; ++k) {
      seen = peers[k].ip == peers[i].ip;
    }
    if (!seen) ++needed;
  }
  return needed;
}

std::size_t free_permission_slots(const Allocation& a, std::uint32_t max, util::TimePoint now) {
  std::size_t expired = 0;
  for (const auto& p : a.permissions) expired += p.expires <= now ? 1 : 0;
  return max - a.permissions.size() + expired;
}

}  // namespace

Output CoreHandlers::create_permission(TurnCore& c, Request& r) {
  Output answer;
  Allocation* a = owned(c, r, answer);
  if (a == nullptr) return answer;
  // Every XOR-PEER-ADDRESS is checked before any is installed: the request succeeds or fails whole.
  std::array<TransportAddress, kMaxPeersPerRequest> peers{};
  std::size_t count = 0;
  for (std::size_t i = 0; i < r.msg.attribute_count(); ++i) {
    const auto attr = r.msg.attribute(i);
    if (attr.type != stun::attr::kXorPeerAddress) continue;
    const auto peer = stun::decode_xor_address(attr.value, r.msg.transaction_id());
    if (!peer || count == peers.size()) return error(c, r, stun::code::kBadRequest);
    if (const auto code = check_peer(*a, *peer, false, c.metrics_, c.shared_); code != 0) return error(c, r, code);
    peers[count++] = *peer;
  }
  if (count == 0) return error(c, r, stun::code::kBadRequest);
  const std::span<const TransportAddress> list(peers.data(), count);
  const auto max = c.config_.max_permissions_per_allocation;
  if (new_permissions_needed(*a, list, r.now.mono) > free_permission_slots(*a, max, r.now.mono)) {
    return error(c, r, stun::code::kInsufficientCapacity);
  }
  const auto expires = r.now.mono + c.config_.permission_lifetime;
  for (const auto& peer : list) install_permission(*a, peer, expires, max, r.now.mono, c.metrics_);
  stun::start_success_response(c.response_, r.msg);
  return reply(c, r);
}

Output CoreHandlers::channel_bind(TurnCore& c, Request& r) {
  Output answer;
  Allocation* a = owned(c, r, answer);
  if (a == nullptr) return answer;
  const auto number = r.msg.get<stun::ChannelNumber>();
  const auto peer = r.msg.get<stun::XorPeerAddress>();
  if (!number || !peer || !is_valid_channel(number->number, c.config_.rfc5766_channels)) {
    return error(c, r, stun::code::kBadRequest);
  }
  if (const auto code = check_peer(*a, peer->address, true, c.metrics_, c.shared_); code != 0) {
    return error(c, r, code);
  }
  const auto now = r.now.mono;
  // RFC 8656 §12: a number stays with its peer and a peer with its number, for the binding's lifetime
  // and the cooldown after it; rebinding the same pair just refreshes it.
  ChannelBinding* by_number = a->channel_by_number(number->number);
  ChannelBinding* by_peer = a->channel_by_peer(peer->address);
  if ((by_number != nullptr && by_number->cooldown > now && !(by_number->peer == peer->address)) ||
      (by_peer != nullptr && by_peer->cooldown > now && by_peer->number != number->number)) {
    return error(c, r, stun::code::kBadRequest);
  }
  ChannelBinding* slot = by_number != nullptr ? by_number : by_peer;
  if (by_number != nullptr && by_peer != nullptr && by_number != by_peer) {
    *by_peer = ChannelBinding{};  // both past their cooldown: the old pairing is forgotten
    by_peer->expires = by_peer->cooldown = now;
  }
  if (slot == nullptr) {
    for (auto& ch : a->channels) {
      if (ch.cooldown <= now) slot = &ch;  // past its cooldown: free to reuse
    }
  }
  if (slot == nullptr && a->channels.size() >= c.config_.max_channels_per_allocation) {
    return error(c, r, stun::code::kInsufficientCapacity);
  }
  // The binding installs or refreshes the peer's permission (RFC 8656 §11.2).
  const auto perm_expires = now + c.config_.permission_lifetime;
  if (!install_permission(*a, peer->address, perm_expires, c.config_.max_permissions_per_allocation, now,
                          c.metrics_)) {
    return error(c, r, stun::code::kInsufficientCapacity);
  }
  const bool fresh = slot == nullptr || slot->expires <= now;
  if (slot == nullptr) slot = &a->channels.emplace_back();
  slot->number = number->number;
  slot->peer = peer->address;
  slot->local = c.shared_.is_relayed_ip(peer->address);  // the data path then asks the RelayDirectory
  slot->expires = now + c.config_.channel_lifetime;
  slot->cooldown = slot->expires + c.config_.channel_cooldown;
  if (fresh) c.metrics_.channels_bound.inc_single_writer();
  stun::start_success_response(c.response_, r.msg);
  return reply(c, r);
}

}  // namespace sb::turn
