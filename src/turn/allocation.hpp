// One allocation's state (RFC 8656 §3, §9, §12): relayed addresses, permissions and channel bindings.
// Owned by exactly one TurnCore (shard) and touched only from its thread. Permissions and channels are
// small flat vectors reserved to their quota when the allocation is created, so installing or looking
// them up never allocates on the data path; their sizes are bounded by the per-allocation quotas.
#pragma once

#include <array>
#include <cstddef>
#include <cstdint>
#include <string>
#include <vector>

#include "stun/message.hpp"
#include "turn/types.hpp"
#include "util/token_bucket.hpp"

namespace sb::turn {

// RFC 8656 §9: a permission is for an IP address only (any port).
struct Permission {
  util::IpAddress ip;
  util::TimePoint expires{};
};

// RFC 8656 §12: channel number ↔ peer transport address, both directions unique within the allocation.
struct ChannelBinding {
  std::uint16_t number = 0;
  TransportAddress peer;
  util::TimePoint expires{};   // binding usable until then
  util::TimePoint cooldown{};  // after expiry: number and peer stay reserved until then (§12)
  bool local = false;          // the peer is a relayed address of this server (Action::kToLocalRelay)
};

struct Allocation {
  FiveTuple client;
  std::string username;    // as authenticated; later requests must use the same (else 441)
  std::string quota_user;  // what TurnShared's per-user quota counts
  stun::TransactionId allocate_tid;  // to answer a retransmitted Allocate again (RFC 8656 §7.2)
  std::array<RelayEndpoint, 2> relays{};  // [0] and optionally [1] (dual-stack, RFC 8656 §7.2)
  std::size_t relay_count = 0;
  util::TimePoint expires{};
  std::uint32_t lifetime_s = 0;  // last granted lifetime, for retransmitted Allocate answers
  std::array<std::uint8_t, 8> reservation_token{};  // EVEN-PORT R=1 answer, for retransmissions
  bool has_reservation = false;
  std::vector<Permission> permissions;   // capacity = max_permissions_per_allocation
  std::vector<ChannelBinding> channels;  // capacity = max_channels_per_allocation
  util::TokenBucket bandwidth;  // bytes, with TurnConfig::bandwidth_spec() (RFC 8656 §7.2 leaves it to us)
  std::uint64_t packets_to_peer = 0, bytes_to_peer = 0, packets_to_client = 0, bytes_to_client = 0;

  // The relay socket for a peer of `f`, or nullptr (→ 443 Peer Address Family Mismatch).
  const RelayEndpoint* relay_for(Family f) const;
  bool has_family(Family f) const { return relay_for(f) != nullptr; }
  // Unexpired permission for `peer`'s IP, or nullptr.
  Permission* permission_for(const TransportAddress& peer, util::TimePoint now);
  // Binding (expired or not) by number / by peer, or nullptr.
  ChannelBinding* channel_by_number(std::uint16_t n);
  ChannelBinding* channel_by_peer(const TransportAddress& peer);
};

}  // namespace sb::turn
