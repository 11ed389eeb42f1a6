#include "turn/relay.hpp"

#include <cstring>

#include "util/random.hpp"

namespace sb::turn {

PortRegistry::PortRegistry(std::uint16_t min_port, std::uint16_t max_port) : min_port_(min_port), max_port_(max_port) {}

bool PortRegistry::is_free(std::size_t fi, std::uint32_t port, bool reserve_next) const {
  if (port < min_port_ || port > max_port_ || used_[fi].test(port)) return false;
  return !reserve_next || (port + 1 <= max_port_ && !used_[fi].test(port + 1));
}

std::optional<std::uint16_t> PortRegistry::acquire(Family family, bool even, bool reserve_next) {
  const std::size_t fi = index(family);
  const std::uint32_t span = std::uint32_t{max_port_} - min_port_ + 1;
  // RFC 8656 §7.2 / RFC 6056: a random starting point, then a linear probe from it, so every free port
  // is reachable and the choice is unpredictable.
  const auto start = static_cast<std::uint32_t>(util::random_uniform(0, span - 1));
  std::lock_guard lock(mu_);
  for (std::uint32_t i = 0; i < span; ++i) {
    const std::uint32_t port = min_port_ + (start + i) % span;
    if (even && port % 2 != 0) continue;
    if (!is_free(fi, port, reserve_next)) continue;
    used_[fi].set(port);
    ++used_count_[fi];
    if (reserve_next) {
      used_[fi].set(port + 1);
      ++used_count_[fi];
    }
    return static_cast<std::uint16_t>(port);
  }
  return std::nullopt;
}

void PortRegistry::release(Family family, std::uint16_t port) {
  const std::size_t fi = index(family);
  std::lock_guard lock(mu_);
  if (used_[fi].test(port)) {
    used_[fi].reset(port);
    --used_count_[fi];
  }
}

ReservationTokenBytes PortRegistry::reserve(Family family, std::uint16_t port, util::TimePoint expires) {
  ReservationTokenBytes token{};
  std::lock_guard lock(mu_);
  do {
    util::random_bytes(token);
  } while (reservations_.count(token) != 0);
  reservations_[token] = Reservation{family, port, expires};
  return token;
}

std::optional<std::pair<Family, std::uint16_t>> PortRegistry::redeem(const ReservationTokenBytes& token,
                                                                     util::TimePoint now) {
  std::lock_guard lock(mu_);
  const auto it = reservations_.find(token);
  if (it == reservations_.end()) return std::nullopt;
  const Reservation r = it->second;
  reservations_.erase(it);
  if (r.expires <= now) {
    const std::size_t fi = index(r.family);
    used_[fi].reset(r.port);
    --used_count_[fi];
    return std::nullopt;
  }
  return std::make_pair(r.family, r.port);
}

std::size_t PortRegistry::sweep(util::TimePoint now) {
  std::lock_guard lock(mu_);
  std::size_t n = 0;
  for (auto it = reservations_.begin(); it != reservations_.end();) {
    if (it->second.expires <= now) {
      const std::size_t fi = index(it->second.family);
      used_[fi].reset(it->second.port);
      --used_count_[fi];
      it = reservations_.erase(it);
      ++n;
    } else {
      ++it;
    }
  }
  return n;
}

std::size_t PortRegistry::used(Family family) const {
  std::lock_guard lock(mu_);
  return used_count_[index(family)];
}

std::size_t PortRegistry::TokenHash::operator()(const ReservationTokenBytes& t) const noexcept {
  std::uint64_t v = 0;
  std::memcpy(&v, t.data(), sizeof v);  // the token is CSPRNG output: already uniform
  return static_cast<std::size_t>(v);
}

RelayDirectory::RelayDirectory(std::uint16_t min_port, std::uint16_t max_port)
    : min_port_(min_port),
      span_(max_port >= min_port ? std::size_t{max_port} - min_port + 1 : 0),
      owners_(new std::atomic<std::uint64_t>[2 * span_]) {
  for (std::size_t i = 0; i < 2 * span_; ++i) owners_[i].store(0, std::memory_order_relaxed);
}

std::optional<std::size_t> RelayDirectory::slot(Family f, std::uint16_t port) const {
  if (port < min_port_ || port - std::size_t{min_port_} >= span_) return std::nullopt;
  return (f == Family::kIPv4 ? 0 : span_) + (port - min_port_);
}

void RelayDirectory::add(Family family, std::uint16_t port, Owner owner) {
  const std::uint64_t v = (std::uint64_t{1} << 63) | (std::uint64_t{owner.shard & 0x7FFFFFFFu} << 32) | owner.relay;
  if (const auto i = slot(family, port)) owners_[*i].store(v, std::memory_order_release);
}

void RelayDirectory::remove(Family family, std::uint16_t port) {
  if (const auto i = slot(family, port)) owners_[*i].store(0, std::memory_order_release);
}

std::optional<RelayDirectory::Owner> RelayDirectory::find(Family family, std::uint16_t port) const {
  const auto i = slot(family, port);
  if (!i) return std::nullopt;
  const std::uint64_t v = owners_[*i].load(std::memory_order_acquire);
  if (v == 0) return std::nullopt;
  return Owner{static_cast<std::uint32_t>((v >> 32) & 0x7FFFFFFFu), static_cast<RelayId>(v & 0xFFFFFFFFu)};
}

}  // namespace sb::turn
