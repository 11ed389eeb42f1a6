#include "turn/allocation.hpp"

#include <algorithm>
#include <cstring>

namespace sb::turn {

const RelayEndpoint* Allocation::relay_for(Family f) const {
  for (std::size_t i = 0; i < relay_count; ++i) {
    if (relays[i].address.family() == f) return &relays[i];
  }
  return nullptr;
}

Permission* Allocation::permission_for(const TransportAddress& peer, util::TimePoint now) {
  for (auto& p : permissions) {
    if (p.expires > now && p.ip == peer.ip) {
      return &p;
    }
  }
  return nullptr;
}

ChannelBinding* Allocation::channel_by_number(std::uint16_t n) {
  for (auto& c : channels) {
    if (c.number == n) return &c;
  }
  return nullptr;
}

ChannelBinding* Allocation::channel_by_peer(const TransportAddress& peer) {
  for (auto& c : channels) {
    if (c.peer == peer) return &c;
  }
  return nullptr;
}

}  // namespace sb::turn
