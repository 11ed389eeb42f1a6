// The TURN server core (RFC 8656, RFC 6156 for IPv6): allocations, permissions, channels, auth and the
// relay data path, with no sockets, no threads and no clock of its own.
//
// ── How the network side drives it ──────────────────────────────────────────────────────────────────
// * One TurnShared per server; one TurnCore ("shard") per worker thread, each with its own RelayBinder.
//   With SO_REUSEPORT the kernel sends a client's 4-tuple to the same worker every time, so the worker
//   that received an Allocate owns that allocation, its relay socket(s) and all its packets: no lock per
//   packet. A TurnCore is NOT thread-safe; call it only from its worker. Its metrics() may be read from
//   any thread.
// * Client → server (UDP datagram, or each frame a StreamDeframer yields on TCP/TLS):
//       Output o = core.on_client_packet(tuple, bytes, Now::from(clock), out_buffer);
//   STUN requests get kToClient (the response, written into out_buffer, which should hold >= 1500
//   bytes); Send indications and ChannelData get kToPeer whose `bytes` point INTO `bytes` (zero copy):
//   send them from relay socket o.relay to o.peer. kNone = nothing to send (o.drop says why, if
//   dropped). kClose = close that TCP/TLS connection. A packet from a 5-tuple that is not the owner of
//   an allocation is simply handled as "no allocation" (437 / drop); the kernel's hashing makes that rare.
// * Peer → relay socket (a UDP datagram on a socket the RelayBinder bound for this core):
//       receive the payload at offset kPeerHeadroom of a buffer with kPeerTailroom spare bytes after it;
//       Output o = core.on_peer_datagram(relay_id, peer_addr, buffer, payload_size, now.mono);
//   `peer_addr` is in the relay socket's family (an IPv4 peer as IPv4, never as ::ffff:a.b.c.d).
//   kToClient: send o.bytes (a span of `buffer`: the core writes the ChannelData or Data-indication
//   header in front of the payload and padding after it, so nothing is copied) to o.client.
// * Relay-to-relay (kToLocalRelay from on_client_packet: the peer is one of this server's relayed
//   addresses): copy o.bytes to offset kPeerHeadroom of a buffer as above and give it to shard o.shard
//   (post it to that worker when it is another one):
//       Output r = core.on_local_relay_datagram(o.relay, o.relay_port, o.peer, buffer, size, now.mono);
// * TCP/TLS connection closed → on_client_closed(tuple): its allocation is deleted (RFC 8656 §3.1).
// * About once a second → tick(now): expires allocations, permissions, channels and reservations,
//   closing relay sockets through the RelayBinder. Packets also check expiry times themselves, so tick's
//   period only bounds how long an expired allocation's socket and quota linger.
// * Admin endpoint → snapshot(now) on each worker (post it to the worker), concatenate.
// The relay hot paths (ChannelData and Send in, peer datagrams out) allocate nothing on the heap.
#pragma once

#include <cstddef>
#include <cstdint>
#include <memory>
#include <span>
#include <string>
#include <unordered_map>
#include <vector>

#include "stun/message.hpp"
#include "turn/allocation.hpp"
#include "turn/metrics.hpp"
#include "util/token_bucket.hpp"
#include "turn/relay.hpp"
#include "turn/shared.hpp"
#include "turn/types.hpp"

namespace sb::turn {

// Room the caller leaves around a peer datagram's payload for in-place framing: a Data indication's
// header (20) + XOR-PEER-ADDRESS for IPv6 (4 + 20) + DATA's attribute header (4); the tail holds up to 3
// bytes of padding.
inline constexpr std::size_t kPeerHeadroom = 48;
inline constexpr std::size_t kPeerTailroom = 4;

// One live allocation as the admin endpoint shows it.
struct AllocationInfo {
  std::string username;
  FiveTuple client;
  std::vector<TransportAddress> relayed;
  std::int64_t lifetime_left_s = 0;
  std::vector<TransportAddress> permissions;  // peer IPs (port 0)
  std::vector<std::pair<std::uint16_t, TransportAddress>> channels;
  std::uint64_t packets_to_peer = 0, bytes_to_peer = 0, packets_to_client = 0, bytes_to_client = 0;
};

class TurnCore {
 public:
  // `shard`: this core's index among the server's `shard_count` cores (what kToLocalRelay outputs name;
  // each gets 1/shard_count of TurnConfig::total_bandwidth_bytes_per_s).
  // The core registers its shard of the TURN metrics (turn::Metrics) in `registry`.
  TurnCore(TurnShared& shared, RelayBinder& binder, sb::metrics::Registry& registry, std::uint32_t shard = 0,
           std::uint32_t shard_count = 1);
  ~TurnCore();  // closes every relay socket it still owns and releases its quotas
  TurnCore(const TurnCore&) = delete;
  TurnCore& operator=(const TurnCore&) = delete;

  Output on_client_packet(const FiveTuple& from, std::span<const std::uint8_t> packet, const Now& now,
                          std::span<std::uint8_t> out);
  Output on_peer_datagram(RelayId relay, const TransportAddress& peer, std::span<std::uint8_t> buffer,
                          std::size_t payload_size, util::TimePoint now);
  // A datagram another allocation of this server relayed to relay socket `relay` (relayed port `port`),
  // from its relayed address `from`: handled as on_peer_datagram, once `relay` is checked to still be
  // the socket of `port` (the sender looked it up without a lock).
  Output on_local_relay_datagram(RelayId relay, std::uint16_t port, const TransportAddress& from,
                                 std::span<std::uint8_t> buffer, std::size_t payload_size, util::TimePoint now);
  void on_client_closed(const FiveTuple& from);
  // Returns the number of allocations removed.
  std::size_t tick(const Now& now);

  std::vector<AllocationInfo> snapshot(util::TimePoint now) const;
  const Metrics& metrics() const { return metrics_; }
  std::size_t allocation_count() const { return by_tuple_.size(); }
  // Whether an unexpired allocation lives on this 5-tuple (for the network side's idle timeouts).
  bool has_allocation(const FiveTuple& t, util::TimePoint now) const;
  std::size_t permission_count() const;
  std::size_t channel_count() const;

 private:
  struct Request;  // one request being handled (core_internal.hpp)
  friend struct CoreHandlers;

  // Dispatch (core.cpp)
  Output handle_stun(const FiveTuple& from, std::span<const std::uint8_t> packet, const Now& now,
                     std::span<std::uint8_t> out);
  Output handle_channel_data(const FiveTuple& from, std::span<const std::uint8_t> packet, util::TimePoint now);
  Output handle_send(const FiveTuple& from, const stun::MessageView& m, util::TimePoint now);
  // Client → peer (core_datapath.cpp): kToLocalRelay when `local` (the peer's IP is a relayed IP of ours)
  // and an allocation owns its port, else kToPeer where the policy allows.
  Output relay_to(Allocation& a, const RelayEndpoint& relay, const TransportAddress& peer,
                  std::span<const std::uint8_t> payload, bool local, util::TimePoint now);
  // Peer → client framing, for both peer entry points (core_datapath.cpp).
  Output peer_to_client(RelayId relay, const TransportAddress& peer, std::span<std::uint8_t> buffer,
                        std::size_t payload_size, util::TimePoint now);
  Output drop(DropReason r);
  // Takes `bytes` from the allocation's and this shard's bandwidth buckets; kNone when both had them.
  DropReason take_bandwidth(Allocation& a, std::size_t bytes, util::TimePoint now);

  // Allocation lifecycle (core.cpp)
  Allocation* find(const FiveTuple& t);
  void destroy(std::unordered_map<FiveTuple, std::unique_ptr<Allocation>, FiveTupleHash>::iterator it);

  TurnShared& shared_;
  const TurnConfig& config_;
  RelayBinder& binder_;
  std::uint32_t shard_;
  Metrics metrics_;  // this shard's counters, registered in the registry given
  const util::RateSpec bandwidth_;         // per allocation, from config_
  util::KeyedBuckets limiter_;             // unauthenticated answers per source IP
  util::RateSpec server_bandwidth_spec_;  // this shard's share of the server-wide cap
  util::TokenBucket server_bandwidth_;
  stun::Message response_;  // reused for every response (keeps its capacity)
  std::uint64_t indication_counter_ = 0;
  std::array<std::uint8_t, 4> indication_prefix_{};
  std::unordered_map<FiveTuple, std::unique_ptr<Allocation>, FiveTupleHash> by_tuple_;
  std::unordered_map<RelayId, Allocation*> by_relay_;
};

}  // namespace sb::turn
