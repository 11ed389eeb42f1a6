// State every TURN shard shares: configuration, credential source, peer policy, nonce secret, the
// global quotas and the relay port registry. One TurnShared per server; one TurnCore per worker refers
// to it. Everything here is either immutable after construction or behind this class's own mutex, and
// is touched on the control path only (authentication reads immutable state; quotas and ports lock on
// Allocate and deallocation) — never per relayed packet.
#pragma once

#include <cstdint>
#include <memory>
#include <mutex>
#include <string>
#include <string_view>
#include <unordered_map>
#include <vector>

#include "turn/auth.hpp"
#include "turn/config.hpp"
#include "turn/peer_policy.hpp"
#include "turn/relay.hpp"
#include "util/per_ip.hpp"

namespace sb::turn {

class TurnShared {
 public:
  // `config` must validate(). `nonce_secret` empty → random (nonces then do not survive a restart,
  // which only costs clients one 438 round trip). Throws std::invalid_argument on a bad config.
  TurnShared(TurnConfig config, std::shared_ptr<const CredentialSource> credentials,
             std::shared_ptr<const PeerPolicy> peer_policy, std::vector<std::uint8_t> nonce_secret = {});

  const TurnConfig& config() const { return config_; }
  const CredentialSource& credentials() const { return *credentials_; }
  const PeerPolicy& peer_policy() const { return *peer_policy_; }
  const NonceCodec& nonces() const { return nonces_; }
  PortRegistry& ports() { return ports_; }
  RelayDirectory& relays() { return relays_; }
  const RelayDirectory& relays() const { return relays_; }
  // Whether `peer`'s IP is one of config().relayed_ips (same family, same bytes).
  bool is_relayed_ip(const TransportAddress& peer) const;

  // Global allocation quotas (RFC 8656 §7.2 step 9 → 486): in total, per user, per client IP (IPv6: /64).
  // acquire is all-or-nothing.
  Quota acquire_allocation(std::string_view user, const TransportAddress& client);
  void release_allocation(std::string_view user, const TransportAddress& client);
  std::uint32_t allocations() const;
  std::uint32_t allocations_of(std::string_view user) const;

 private:
  TurnConfig config_;
  std::shared_ptr<const CredentialSource> credentials_;
  std::shared_ptr<const PeerPolicy> peer_policy_;
  NonceCodec nonces_;
  PortRegistry ports_;
  RelayDirectory relays_;

  mutable std::mutex mu_;
  std::uint32_t total_ = 0;                                  // guarded by mu_
  std::unordered_map<std::string, std::uint32_t> per_user_;  // guarded by mu_
  util::PerIpCounter per_ip_;
};

}  // namespace sb::turn
