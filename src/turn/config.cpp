#include "turn/config.hpp"

#include <sstream>

namespace sb::turn {

std::string TurnConfig::validate() const {
  std::ostringstream e;
  if (realm.empty() || realm.size() > 762) e << "turn realm must be 1..762 bytes\n";
  if (software.size() > 762) e << "turn software must be at most 762 bytes\n";
  if (default_lifetime.count() < 1) e << "turn default lifetime must be positive\n";
  if (max_lifetime < default_lifetime) e << "turn max lifetime must be >= the default lifetime\n";
  if (permission_lifetime.count() < 1) e << "turn permission lifetime must be positive\n";
  if (channel_lifetime.count() < 1) e << "turn channel lifetime must be positive\n";
  if (channel_cooldown.count() < 0) e << "turn channel cooldown must not be negative\n";
  if (reservation_lifetime.count() < 1) e << "turn reservation lifetime must be positive\n";
  if (nonce_lifetime.count() < 1) e << "turn nonce lifetime must be positive\n";
  if (max_allocations < 1) e << "turn max allocations must be at least 1\n";
  if (max_allocations_per_user < 1) e << "turn max allocations per user must be at least 1\n";
  if (max_permissions_per_allocation < 1 || max_permissions_per_allocation > 4096) {
    e << "turn max permissions per allocation must be 1..4096\n";
  }
  if (max_channels_per_allocation < 1 || max_channels_per_allocation > 4096) {
    e << "turn max channels per allocation must be 1..4096\n";
  }
  if (min_port == 0 || min_port > max_port) e << "turn relay port range must satisfy 1 <= min <= max\n";
  if (relayed_ips.size() > 2 || (relayed_ips.size() == 2 && relayed_ips[0].family() == relayed_ips[1].family())) {
    e << "turn relayed IPs: at most one per family\n";
  }
  if (max_bind_attempts < 1) e << "turn max bind attempts must be at least 1\n";
  if (unauthorized_rate < 0) e << "turn unauthorized rate must not be negative\n";
  if (rate_limit_buckets < 1 || rate_limit_buckets > (1u << 24)) e << "turn rate limit buckets must be 1..2^24\n";
  if (max_message_size < 548 || max_message_size > 65535 + 20) {
    e << "turn max message size must be 548..65555 bytes\n";
  }
  return e.str();
}

}  // namespace sb::turn
