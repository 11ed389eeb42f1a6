// The relay data path (RFC 8656 §10 Send/Data indications, §12 ChannelData). Nothing here allocates:
// lookups go through the hash maps and the flat per-allocation vectors built when the allocation and
// its permissions/channels were created, and outputs are spans of the caller's buffers.
#include <cstring>

#include "stun/attr_address.hpp"
#include "stun/attr_text.hpp"
#include "stun/attributes.hpp"
#include "turn/channel_data.hpp"
#include "turn/core.hpp"

namespace sb::turn {
namespace {

// Writes XOR-PEER-ADDRESS (RFC 8489 §14.2 encoding) at `p`; returns its size with header.
std::size_t put_xor_peer(std::uint8_t* p, const TransportAddress& peer, const std::uint8_t* tid) {
  const std::size_t ip_size = peer.ip_size();
  stun::store_u16(p, stun::attr::kXorPeerAddress);
  stun::store_u16(p + 2, static_cast<std::uint16_t>(4 + ip_size));
  p[4] = 0;
  p[5] = static_cast<std::uint8_t>(peer.family());
  stun::store_u16(p + 6, static_cast<std::uint16_t>(peer.port ^ (stun::kMagicCookie >> 16)));
  std::uint8_t mask[16];
  stun::store_u32(mask, stun::kMagicCookie);
  std::memcpy(mask + 4, tid, 12);
  const auto ip = peer.ip_bytes();
  for (std::size_t i = 0; i < ip_size; ++i) p[8 + i] = ip[i] ^ mask[i];
  return 8 + ip_size;
}

}  // namespace

Output TurnCore::relay_to(Allocation& a, const RelayEndpoint& relay, const TransportAddress& peer,
                          std::span<const std::uint8_t> payload, bool local, util::TimePoint now) {
  Output o;
  const auto owner = local ? shared_.relays().find(peer.family(), peer.port) : std::nullopt;
  if (owner) {
    o.action = Action::kToLocalRelay;
    o.shard = owner->shard;
    o.relay = owner->relay;
    o.relay_port = peer.port;
    o.peer = relay.address;  // the receiver sees the sender's relayed address, as it would on the wire
  } else {
    // Any other port of a relayed IP is the server's own address (signaling, STUN/TURN, admin, or another
    // process's port in the relay range): only an explicit allow rule lets data go there.
    if (local && !shared_.peer_policy().allowed(peer)) return drop(DropReason::kNoRelayedPeer);
    o.action = Action::kToPeer;
    o.relay = relay.id;
    o.peer = peer;
  }
  if (const auto why = take_bandwidth(a, payload.size(), now); why != DropReason::kNone) return drop(why);
  ++a.packets_to_peer;
  a.bytes_to_peer += payload.size();
  metrics_.packets_client_to_peer.inc_single_writer();
  metrics_.bytes_client_to_peer.inc_single_writer(payload.size());
  if (owner) metrics_.packets_to_local_relay.inc_single_writer();
  o.bytes = payload;
  return o;
}

Output TurnCore::handle_channel_data(const FiveTuple& from, std::span<const std::uint8_t> packet,
                                     util::TimePoint now) {
  const auto cd = parse_channel_data(packet, config_.rfc5766_channels);
  if (!cd) return drop(DropReason::kMalformed);
  Allocation* a = find(from);
  if (a == nullptr || a->expires <= now) return drop(DropReason::kNoAllocation);
  const ChannelBinding* ch = a->channel_by_number(cd->channel);
  if (ch == nullptr || ch->expires <= now) return drop(DropReason::kNoChannel);
  const RelayEndpoint* relay = a->relay_for(ch->peer.family());
  if (relay == nullptr) return drop(DropReason::kNoChannel);
  Output o = relay_to(*a, *relay, ch->peer, cd->data, ch->local, now);
  if (o.action != Action::kNone) metrics_.channel_data_to_peer.inc_single_writer();
  return o;
}

Output TurnCore::handle_send(const FiveTuple& from, const stun::MessageView& m, util::TimePoint now) {
  Allocation* a = find(from);
  if (a == nullptr || a->expires <= now) return drop(DropReason::kNoAllocation);
  // RFC 8656 §10.2: no XOR-PEER-ADDRESS or DATA → discard; no permission → discard.
  const auto peer = m.get<stun::XorPeerAddress>();
  const auto data = m.get<stun::Data>();
  if (!peer || !data) return drop(DropReason::kMalformed);
  const RelayEndpoint* relay = a->relay_for(peer->address.family());
  // Permissions are only ever installed for peers the policy allows (CreatePermission/ChannelBind
  // answer 403 otherwise), so the policy is consulted only to tell a denied peer from an unpermitted one.
  const bool local = shared_.is_relayed_ip(peer->address);
  if (relay == nullptr || a->permission_for(peer->address, now) == nullptr) {
    if (!local && !shared_.peer_policy().allowed(peer->address)) {
      metrics_.denied_peers.inc_single_writer();
      return drop(DropReason::kPeerDenied);
    }
    return drop(DropReason::kNoPermission);
  }
  return relay_to(*a, *relay, peer->address, data->value, local, now);
}

Output TurnCore::on_local_relay_datagram(RelayId relay, std::uint16_t port, const TransportAddress& from,
                                         std::span<std::uint8_t> buffer, std::size_t payload_size,
                                         util::TimePoint now) {
  const auto it = by_relay_.find(relay);
  const RelayEndpoint* mine = it == by_relay_.end() ? nullptr : it->second->relay_for(from.family());
  if (mine == nullptr || mine->id != relay || mine->address.port != port) return drop(DropReason::kNoRelayedPeer);
  return peer_to_client(relay, from, buffer, payload_size, now);
}

Output TurnCore::on_peer_datagram(RelayId relay, const TransportAddress& peer, std::span<std::uint8_t> buffer,
                                  std::size_t payload_size, util::TimePoint now) {
  // Our relayed IPs only ever speak through on_local_relay_datagram: whatever else sends from them (another
  // process on this host) is one of the server's own addresses, which the policy denies.
  if (shared_.is_relayed_ip(peer) && !shared_.peer_policy().allowed(peer)) {
    metrics_.denied_peers.inc_single_writer();
    return drop(DropReason::kPeerDenied);
  }
  return peer_to_client(relay, peer, buffer, payload_size, now);
}

Output TurnCore::peer_to_client(RelayId relay, const TransportAddress& peer, std::span<std::uint8_t> buffer,
                                std::size_t payload_size, util::TimePoint now) {
  if (buffer.size() < kPeerHeadroom + payload_size + kPeerTailroom || payload_size > 0xFFFF) {
    return drop(DropReason::kBufferTooSmall);
  }
  const auto it = by_relay_.find(relay);
  if (it == by_relay_.end() || it->second->expires <= now) return drop(DropReason::kNoAllocation);
  Allocation& a = *it->second;
  // RFC 8656 §11.5 (Data indications) / §12.6 (ChannelData): only from peers with a permission.
  if (a.permission_for(peer, now) == nullptr) return drop(DropReason::kNoPermission);
  if (const auto why = take_bandwidth(a, payload_size, now); why != DropReason::kNone) return drop(why);
  const bool stream = a.client.transport != Transport::kUdp;
  std::span<const std::uint8_t> framed;
  const ChannelBinding* ch = a.channel_by_peer(peer);
  if (ch != nullptr && ch->expires > now) {
    framed = frame_channel_data_in_place(ch->number, buffer, kPeerHeadroom, payload_size, stream);
    metrics_.channel_data_to_client.inc_single_writer();
  } else {
    // Data indication: header, XOR-PEER-ADDRESS, DATA, padding — built backwards from the payload.
    const std::size_t addr_size = 8 + peer.ip_size();
    const std::size_t padded = (payload_size + 3) & ~std::size_t{3};
    const std::size_t start = kPeerHeadroom - stun::kAttributeHeaderSize - addr_size - stun::kHeaderSize;
    std::uint8_t* p = buffer.data() + start;
    stun::store_u16(p, stun::MessageType{stun::Method::kData, stun::Class::kIndication}.encode());
    stun::store_u16(p + 2, static_cast<std::uint16_t>(addr_size + stun::kAttributeHeaderSize + padded));
    stun::store_u32(p + 4, stun::kMagicCookie);
    // Indications need unique, not secret, transaction ids (RFC 8489 §6): a random prefix and a counter.
    std::memcpy(p + 8, indication_prefix_.data(), 4);
    const std::uint64_t n = ++indication_counter_;
    for (int i = 0; i < 8; ++i) p[12 + i] = static_cast<std::uint8_t>(n >> (56 - 8 * i));
    put_xor_peer(p + stun::kHeaderSize, peer, p + 8);
    std::uint8_t* d = p + stun::kHeaderSize + addr_size;
    stun::store_u16(d, stun::attr::kData);
    stun::store_u16(d + 2, static_cast<std::uint16_t>(payload_size));
    std::memset(buffer.data() + kPeerHeadroom + payload_size, 0, padded - payload_size);
    framed = std::span<const std::uint8_t>(p, stun::kHeaderSize + addr_size + stun::kAttributeHeaderSize + padded);
  }
  ++a.packets_to_client;
  a.bytes_to_client += payload_size;
  metrics_.packets_peer_to_client.inc_single_writer();
  metrics_.bytes_peer_to_client.inc_single_writer(payload_size);
  Output o;
  o.action = Action::kToClient;
  o.client = a.client;
  o.bytes = framed;
  return o;
}

}  // namespace sb::turn
