// Value types shared by the TURN core and the network side that drives it (RFC 8656).
//
// The core never touches sockets, threads or clocks. The network side (src/net) hands it
//   * the client's 5-tuple (FiveTuple) and the bytes of one datagram / one de-framed stream frame,
//   * the relay socket a peer datagram arrived on (RelayId) and the peer's address,
//   * the current time (Now),
// and gets back an Output saying what to send where. Output spans point either into the caller's own
// input buffer (zero copy, client → peer) or into the caller-provided output buffer; they are valid
// until the caller reuses those buffers.
#pragma once

#include <cstddef>
#include <cstdint>
#include <span>

#include "stun/address.hpp"
#include "util/clock.hpp"

namespace sb::turn {

using stun::Family;
using stun::Transport;
using stun::TransportAddress;

// The 5-tuple of RFC 8656 §2: client address, server address, transport. For TCP/TLS it names one
// connection; the network side gives each accepted connection its own (remote, local) pair anyway.
struct FiveTuple {
  TransportAddress client;  // the client's source address as seen by the server (the NAT's mapping)
  TransportAddress server;  // the server's local address the request arrived on
  Transport transport = Transport::kUdp;
  bool operator==(const FiveTuple&) const = default;
};

struct FiveTupleHash {
  std::size_t operator()(const FiveTuple& t) const noexcept;
};

// Time as the core sees it. `mono` drives every lifetime (allocations, permissions, channels, rate
// limits); `unix_seconds` is wall-clock time for nonces and TURN REST credential expiry, which must
// agree across restarts and with the credential minter. Build it once per batch: Now::from(clock).
struct Now {
  util::TimePoint mono{};
  std::int64_t unix_seconds = 0;
  static Now from(const util::Clock& c) { return Now{c.now(), c.unix_seconds()}; }
};

// Identifies one relay socket. Chosen by the network side's RelayBinder (e.g. a worker-local index or
// the fd); the core only stores it and hands it back in Output::relay.
using RelayId = std::uint32_t;

// A bound relay socket: the relayed transport address clients learn (XOR-RELAYED-ADDRESS) and its id.
struct RelayEndpoint {
  RelayId id = 0;
  TransportAddress address;
};

enum class Action : std::uint8_t {
  kNone,      // nothing to send (a dropped packet: see Output::drop; or an indication fully handled)
  kToClient,  // send Output::bytes to Output::client (on its transport; for TCP/TLS: that connection)
  kToPeer,    // send Output::bytes as one UDP datagram from relay socket Output::relay to Output::peer
  kClose,     // TCP/TLS only: close the connection Output::client (unrecoverable framing error)
  // The peer is another allocation of this server (relay-to-relay, e.g. two relay-only clients): hand
  // Output::bytes to shard Output::shard as a datagram that arrived on its relay socket Output::relay
  // (relayed port Output::relay_port) from Output::peer, the sender's relayed address. Never sent
  // through the kernel, so no hairpin is needed behind a 1:1 NAT (--turn-external-address).
  kToLocalRelay,
};

// Why a packet was dropped; each is counted in turn::Metrics::drops.
enum class DropReason : std::uint8_t {
  kNone = 0,
  kMalformed,          // not STUN / not ChannelData / failed to parse / bad FINGERPRINT
  kNoAllocation,       // indication / ChannelData / peer datagram without a matching allocation
  kNoPermission,       // no (unexpired) permission for the peer's IP (RFC 8656 §10.2, §11.5)
  kNoChannel,          // ChannelData on a channel that is not bound (RFC 8656 §12.4)
  kPeerDenied,         // Send indication to a peer the PeerPolicy denies
  kBandwidth,          // allocation over its bandwidth cap
  kServerBandwidth,    // the shard over its share of the server-wide bandwidth cap
  kRateLimited,        // a 401 answer suppressed by the per-source limiter
  kBufferTooSmall,     // caller's output buffer cannot hold the answer
  kUnexpectedMessage,  // a response/indication type the server does not accept from clients
  kNoRelayedPeer,      // to one of our relayed addresses where no allocation lives (or not a relay port)
  kCount
};

// Authentication failures (RFC 8489 §9.2.4), each counted in turn::Metrics::auth_failures.
enum class AuthFailure : std::uint8_t {
  kNone = 0,
  kNoCredentials,     // first request without MESSAGE-INTEGRITY → 401 (the normal challenge)
  kMissingAttribute,  // MESSAGE-INTEGRITY without USERNAME/REALM/NONCE → 400
  kWrongRealm,        // REALM differs from ours → 401
  kStaleNonce,        // expired nonce → 438
  kBadNonce,          // forged / other client's nonce → 438 with a fresh one
  kUnknownUser,       // no key for USERNAME → 401
  kExpired,           // TURN REST username whose expiry has passed → 401
  kBadIntegrity,      // MESSAGE-INTEGRITY(-SHA256) does not verify → 401
  kWrongUser,         // valid credentials, but not the ones that created the allocation → 441
  kCount
};

// Outcome of an allocation quota check (RFC 8656 §7.2 step 9: anything but kOk → 486).
enum class Quota : std::uint8_t { kOk, kUserFull, kTotalFull, kIpFull, kCount };

struct Output {
  Action action = Action::kNone;
  std::span<const std::uint8_t> bytes;  // what to send (kToClient, kToPeer)
  FiveTuple client;                     // kToClient, kClose
  RelayId relay = 0;                    // kToPeer: send from this relay socket; kToLocalRelay: to this one
  TransportAddress peer;                // kToPeer: destination; kToLocalRelay: source (sender's relay)
  DropReason drop = DropReason::kNone;  // kNone action: why, when something was dropped
  std::uint32_t shard = 0;              // kToLocalRelay: the shard that owns Output::relay
  std::uint16_t relay_port = 0;         // kToLocalRelay: its relayed port (checked by the owner)
};

}  // namespace sb::turn
