// Configuration of the TURN core. src/server maps its option table onto this struct (one name per
// option across CLI, TOML and environment is the server's job); the core only reads it.
#pragma once

#include <chrono>
#include <cstdint>
#include <string>
#include <vector>

#include "turn/types.hpp"
#include "util/token_bucket.hpp"

namespace sb::turn {

struct TurnConfig {
  // Long-term credential realm (RFC 8489 §9.2). Sent in every 401/438.
  std::string realm = "signalbox";
  // SOFTWARE attribute in authenticated responses (never in unauthenticated ones); empty = not sent.
  std::string software;

  // Lifetimes (RFC 8656 §3.2, §7.2, §9, §12).
  std::chrono::seconds default_lifetime{600};
  std::chrono::seconds max_lifetime{3600};
  std::chrono::seconds permission_lifetime{300};
  std::chrono::seconds channel_lifetime{600};
  // After a channel binding expires, neither its number nor its peer may be bound to something else
  // for this long (RFC 8656 §12: "MUST NOT be rebound ... for 5 minutes").
  std::chrono::seconds channel_cooldown{300};
  // How long the second port of an EVEN-PORT R=1 request stays reserved (RFC 8656 §7.2, "about 30 s").
  std::chrono::seconds reservation_lifetime{30};
  // A nonce is accepted for this long after it was minted; then 438 (RFC 8489 §9.2.4).
  std::chrono::seconds nonce_lifetime{600};

  // Quotas (RFC 8656 §7.2 486; §9, §11 508).
  std::uint32_t max_allocations = 10000;           // in total, all shards
  std::uint32_t max_allocations_per_user = 10;     // per authenticated user (REST: the part after ':')
  // Per client IP (IPv6: per /64), whatever the credentials: one source cannot hold the server's relay
  // ports by minting or sharing many usernames. 0 = no limit.
  std::uint32_t max_allocations_per_ip = 512;
  std::uint32_t max_permissions_per_allocation = 32;
  std::uint32_t max_channels_per_allocation = 32;
  // Bytes per second per allocation, both directions together; 0 = no cap. Burst = one second's worth
  // unless bandwidth_burst_bytes is set. 2,000,000 B/s = 16 Mbit/s: a 1080p call in both directions
  // (2 x 2.5-6 Mbit/s) stays below it.
  std::uint64_t bandwidth_bytes_per_s = 2'000'000;
  std::uint64_t bandwidth_burst_bytes = 0;
  // Bytes per second relayed by the whole server, both directions; 0 = no cap. Each of the N shards
  // gets 1/N of it (no lock per packet), so one heavy client is held to its shard's share.
  std::uint64_t total_bandwidth_bytes_per_s = 0;
  util::RateSpec bandwidth_spec() const {
    const auto burst = bandwidth_burst_bytes > 0 ? bandwidth_burst_bytes : bandwidth_bytes_per_s;
    return {static_cast<double>(bandwidth_bytes_per_s), static_cast<double>(burst)};
  }

  // The IPs clients see in XOR-RELAYED-ADDRESS (the external address behind a 1:1 NAT), at most one per
  // family; ports are ignored. A peer at one of them is another allocation of this server: it is let
  // through the peer policy (which denies the server's own addresses) on relay ports only, and its data
  // is handed over inside the server (Action::kToLocalRelay), never sent to the server's own address.
  std::vector<TransportAddress> relayed_ips;

  // Relay ports, chosen uniformly at random by the CSPRNG within [min_port, max_port] (RFC 8656 §7.2).
  std::uint16_t min_port = 49152;
  std::uint16_t max_port = 65535;
  // How many random ports to try binding before answering 508.
  std::uint32_t max_bind_attempts = 16;

  // Unauthenticated error answers (401, 438, 400) per source IP (hashed buckets, fixed memory): token
  // bucket refill/s and burst.
  double unauthorized_rate = 20;
  std::uint32_t unauthorized_burst = 40;
  std::uint32_t rate_limit_buckets = 4096;  // table size (power of two)

  // TURN REST API (draft-uberti-behave-turn-rest): username = "<expiry unix seconds><sep><user>".
  char rest_separator = ':';

  // [extension for interop] Accept channel numbers 0x4000-0x7FFF (RFC 5766 §11) instead of RFC 8656's
  // 0x4000-0x4FFF, as coturn does: older clients (turnutils_uclient) bind channels above 0x4FFF.
  bool rfc5766_channels = false;

  // Largest STUN message or ChannelData frame accepted from a client (and stream buffer size).
  std::uint32_t max_message_size = 4096;

  // Returns "" when usable, else every problem found, one per line.
  std::string validate() const;
};

}  // namespace sb::turn
