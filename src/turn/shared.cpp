#include "turn/shared.hpp"

#include <cstring>
#include <stdexcept>

namespace sb::turn {

TurnShared::TurnShared(TurnConfig config, std::shared_ptr<const CredentialSource> credentials,
                       std::shared_ptr<const PeerPolicy> peer_policy, std::vector<std::uint8_t> nonce_secret)
    : config_(std::move(config)),
      credentials_(std::move(credentials)),
      peer_policy_(std::move(peer_policy)),
      nonces_(std::move(nonce_secret), config_.nonce_lifetime.count()),
      ports_(config_.min_port, config_.max_port),
      relays_(config_.min_port, config_.max_port),
      per_ip_(config_.max_allocations_per_ip) {
  if (const auto err = config_.validate(); !err.empty()) throw std::invalid_argument(err);
  if (!credentials_ || !peer_policy_) throw std::invalid_argument("TURN needs a credential source and a peer policy");
}

bool TurnShared::is_relayed_ip(const TransportAddress& peer) const {
  for (const auto& r : config_.relayed_ips) {
    if (r.ip == peer.ip) return true;
  }
  return false;
}

Quota TurnShared::acquire_allocation(std::string_view user, const TransportAddress& client) {
  std::lock_guard lock(mu_);
  if (total_ >= config_.max_allocations) return Quota::kTotalFull;
  auto& n = per_user_[std::string(user)];
  if (n >= config_.max_allocations_per_user) {
    if (n == 0) per_user_.erase(std::string(user));
    return Quota::kUserFull;
  }
  if (!per_ip_.try_acquire(canonical_peer_ip(client))) {
    if (n == 0) per_user_.erase(std::string(user));
    return Quota::kIpFull;
  }
  ++n;
  ++total_;
  return Quota::kOk;
}

void TurnShared::release_allocation(std::string_view user, const TransportAddress& client) {
  per_ip_.release(canonical_peer_ip(client));
  std::lock_guard lock(mu_);
  const auto it = per_user_.find(std::string(user));
  if (it == per_user_.end()) return;
  if (--it->second == 0) per_user_.erase(it);
  if (total_ > 0) --total_;
}

std::uint32_t TurnShared::allocations() const {
  std::lock_guard lock(mu_);
  return total_;
}

std::uint32_t TurnShared::allocations_of(std::string_view user) const {
  std::lock_guard lock(mu_);
  const auto it = per_user_.find(std::string(user));
  return it == per_user_.end() ? 0 : it->second;
}

}  // namespace sb::turn
