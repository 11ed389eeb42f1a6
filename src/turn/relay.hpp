// Relay sockets: the core decides WHICH port (CSPRNG within the configured range, EVEN-PORT rules,
// reservations), the network side BINDS it. PortRegistry is the shared bookkeeping; RelayBinder is the
// interface src/net implements.
#pragma once

#include <array>
#include <atomic>
#include <bitset>
#include <cstdint>
#include <memory>
#include <mutex>
#include <optional>
#include <unordered_map>

#include "turn/types.hpp"

namespace sb::turn {

// Implemented by the network side, ONE PER SHARD (worker). Called only from that shard's thread, only on
// the control path (Allocate, Refresh 0, expiry, TCP close), never per packet.
class RelayBinder {
 public:
  virtual ~RelayBinder() = default;
  // Whether the server has a relay address of this family (false → 440 for that family).
  virtual bool has_family(Family family) const = 0;
  // Opens a UDP socket bound to (this server's relay IP of `family`, `port`) and registers it with the
  // worker that owns this shard, so datagrams arriving on it are passed to that TurnCore's
  // on_peer_datagram() with the returned id. nullopt when the port cannot be bound (EADDRINUSE, ...):
  // the core then tries another port.
  virtual std::optional<RelayEndpoint> bind(Family family, std::uint16_t port) = 0;
  // Closes a socket bind() returned. The core never uses `relay.id` again afterwards.
  virtual void close(const RelayEndpoint& relay) = 0;
};

using ReservationTokenBytes = std::array<std::uint8_t, 8>;

// Which relay ports are in use or reserved, per family, for all shards. Thread-safe (one mutex, touched
// only on allocate/deallocate).
class PortRegistry {
 public:
  PortRegistry(std::uint16_t min_port, std::uint16_t max_port);

  // Picks a free port uniformly at random (CSPRNG) in the range and marks it used. `even`: an even port;
  // `reserve_next`: also port+1 free and marked used (EVEN-PORT R=1, RFC 8656 §7.2). nullopt when none.
  std::optional<std::uint16_t> acquire(Family family, bool even, bool reserve_next);
  void release(Family family, std::uint16_t port);

  // Reservation of a port already marked used (the +1 of an R=1 request) under a fresh CSPRNG token.
  ReservationTokenBytes reserve(Family family, std::uint16_t port, util::TimePoint expires);
  // Takes the reservation for `token` (the port stays marked used and now belongs to the caller);
  // nullopt when unknown or expired.
  std::optional<std::pair<Family, std::uint16_t>> redeem(const ReservationTokenBytes& token, util::TimePoint now);
  // Releases the ports of expired reservations. Returns how many.
  std::size_t sweep(util::TimePoint now);

  std::size_t used(Family family) const;

 private:
  struct Reservation {
    Family family;
    std::uint16_t port;
    util::TimePoint expires;
  };
  struct TokenHash {
    std::size_t operator()(const ReservationTokenBytes& t) const noexcept;
  };
  static std::size_t index(Family f) { return f == Family::kIPv4 ? 0 : 1; }
  bool is_free(std::size_t fi, std::uint32_t port, bool reserve_next) const;

  std::uint16_t min_port_;
  std::uint16_t max_port_;
  mutable std::mutex mu_;
  std::array<std::bitset<65536>, 2> used_;              // guarded by mu_
  std::array<std::size_t, 2> used_count_{};             // guarded by mu_
  std::unordered_map<ReservationTokenBytes, Reservation, TokenHash> reservations_;  // guarded by mu_
};

// Which shard owns each live relayed port, for relay-to-relay between two allocations of this server
// (Action::kToLocalRelay). Written by the owning shard on Allocate and deallocation, read by any shard per
// relayed packet to a local relay: one relaxed atomic per (family, port), no lock. A stale read (the
// allocation is going away) is caught by the owner, which checks the relay id against the port.
class RelayDirectory {
 public:
  // Relayed ports are within [min_port, max_port] (TurnConfig); others are never found.
  RelayDirectory(std::uint16_t min_port, std::uint16_t max_port);
  struct Owner {
    std::uint32_t shard = 0;
    RelayId relay = 0;
  };
  void add(Family family, std::uint16_t port, Owner owner);
  void remove(Family family, std::uint16_t port);
  std::optional<Owner> find(Family family, std::uint16_t port) const;

 private:
  std::optional<std::size_t> slot(Family f, std::uint16_t port) const;
  std::uint16_t min_port_;
  std::size_t span_;  // ports in the range
  std::unique_ptr<std::atomic<std::uint64_t>[]> owners_;  // 0 = none, else 1 << 63 | shard << 32 | relay
};

}  // namespace sb::turn
