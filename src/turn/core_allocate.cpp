// Allocate (RFC 8656 §7.2, RFC 6156 / RFC 8656 dual allocation) and Refresh (RFC 8656 §8.2).
#include <optional>

#include "stun/attr_address.hpp"
#include "stun/attr_error.hpp"
#include "stun/attr_turn.hpp"
#include "turn/core_internal.hpp"

namespace sb::turn {
namespace {

using stun::code::kAddressFamilyNotSupported;
using stun::code::kBadRequest;
using stun::code::kInsufficientCapacity;

// What an Allocate request asks for, after steps 3-7 of RFC 8656 §7.2 have validated it.
struct AllocateAsk {
  std::array<Family, 2> families{Family::kIPv4, Family::kIPv6};
  std::size_t family_count = 1;
  std::uint16_t v6_error = 0;  // dual request without IPv6: ADDRESS-ERROR-CODE 440 (not offered) / 508
  bool even_port = false;
  bool reserve_next = false;
  std::optional<stun::ReservationToken> token;
};

// Steps 3-7. Returns 0 and fills `ask`, or the error code to answer.
std::uint16_t parse_allocate(const stun::MessageView& m, const RelayBinder& binder, AllocateAsk& ask) {
  // Step 3: REQUESTED-TRANSPORT must be present; only UDP relaying is offered (442 otherwise).
  const auto transport = m.get<stun::RequestedTransport>();
  if (!transport) return kBadRequest;
  if (transport->protocol != stun::RequestedTransport::kUdp) return stun::code::kUnsupportedTransportProtocol;
  // Step 4: DONT-FRAGMENT is accepted (the relay never fragments on its own).
  const bool has_rt = m.has(stun::attr::kReservationToken);
  const bool has_even = m.has(stun::attr::kEvenPort);
  const bool has_raf = m.has(stun::attr::kRequestedAddressFamily);
  const bool has_aaf = m.has(stun::attr::kAdditionalAddressFamily);
  // Step 5: RESERVATION-TOKEN excludes EVEN-PORT and REQUESTED-ADDRESS-FAMILY (the token fixes both).
  if (has_rt && (has_even || has_raf)) return kBadRequest;
  // Step 6/7: ADDITIONAL-ADDRESS-FAMILY excludes REQUESTED-ADDRESS-FAMILY and EVEN-PORT.
  if (has_aaf && (has_raf || has_even || has_rt)) return kBadRequest;
  if (has_rt) {
    const auto t = m.get<stun::ReservationToken>();
    if (!t) return kBadRequest;
    ask.token = *t;
    return 0;
  }
  if (has_even) {
    const auto e = m.get<stun::EvenPort>();
    if (!e) return kBadRequest;
    ask.even_port = true;
    ask.reserve_next = e->reserve_next;
  }
  if (has_raf) {
    const auto f = m.get<stun::RequestedAddressFamily>();
    if (!f) return kAddressFamilyNotSupported;  // unknown family value
    if (!binder.has_family(f->family)) return kAddressFamilyNotSupported;
    ask.families[0] = f->family;
    return 0;
  }
  if (!binder.has_family(Family::kIPv4)) {
    if (!has_aaf) return kAddressFamilyNotSupported;
  }
  if (has_aaf) {
    const auto f = m.get<stun::AdditionalAddressFamily>();
    if (!f || f->family != Family::kIPv6) return kBadRequest;  // only IPv6 may be "additional"
    if (!binder.has_family(Family::kIPv4)) return kAddressFamilyNotSupported;
    if (binder.has_family(Family::kIPv6)) {
      ask.family_count = 2;
    } else {
      ask.v6_error = kAddressFamilyNotSupported;
    }
  }
  return 0;
}

}  // namespace

std::chrono::seconds CoreHandlers::granted_lifetime(const TurnConfig& cfg, const stun::MessageView& m) {
  const auto requested = m.get<stun::Lifetime>();
  if (!requested) return cfg.default_lifetime;
  const std::chrono::seconds asked{requested->seconds};
  return std::max(cfg.default_lifetime, std::min(asked, cfg.max_lifetime));
}

// Binds one relay socket of `family` on a fresh random port (or the reserved `port`), giving up after
// max_bind_attempts ports. nullopt → 508.
static std::optional<RelayEndpoint> bind_relay(TurnShared& shared, RelayBinder& binder, Family family,
                                               const AllocateAsk& ask, std::optional<std::uint16_t> reserved,
                                               std::optional<std::uint16_t>& next_port) {
  if (reserved) {
    auto ep = binder.bind(family, *reserved);
    if (!ep) shared.ports().release(family, *reserved);
    return ep;
  }
  for (std::uint32_t i = 0; i < shared.config().max_bind_attempts; ++i) {
    const auto port = shared.ports().acquire(family, ask.even_port, ask.reserve_next);
    if (!port) return std::nullopt;
    if (auto ep = binder.bind(family, *port)) {
      if (ask.reserve_next) next_port = static_cast<std::uint16_t>(*port + 1);
      return ep;
    }
    shared.ports().release(family, *port);
    if (ask.reserve_next) shared.ports().release(family, static_cast<std::uint16_t>(*port + 1));
  }
  return std::nullopt;
}

static void add_allocate_success(stun::Message& m, const stun::MessageView& req, const Allocation& a,
                                 std::uint16_t v6_error) {
  stun::start_success_response(m, req);
  for (std::size_t i = 0; i < a.relay_count; ++i) m.add(stun::XorRelayedAddress{a.relays[i].address});
  // RFC 8656 §7.2: a dual allocation that got only IPv4 says why IPv6 is missing.
  if (v6_error != 0) m.add(stun::AddressErrorCode{Family::kIPv6, v6_error, {}});
  m.add(stun::Lifetime{a.lifetime_s});
  if (a.has_reservation) m.add(stun::ReservationToken{a.reservation_token});
  m.add(stun::XorMappedAddress{a.client.client});
}

// Binds the relay socket(s) the request asks for into `a` (RFC 8656 §7.2 step 10). False → 508, with
// everything bound so far undone. In a dual allocation an IPv6 failure only costs the IPv6 relay:
// the answer then carries ADDRESS-ERROR-CODE 508 for it.
static bool bind_relays(TurnShared& shared, RelayBinder& binder, AllocateAsk& ask,
                        std::optional<std::uint16_t> reserved, Allocation& a, std::optional<std::uint16_t>& next_port) {
  for (std::size_t i = 0; i < ask.family_count; ++i) {
    auto ep = bind_relay(shared, binder, ask.families[i], ask, i == 0 ? reserved : std::nullopt, next_port);
    if (ep) {
      a.relays[a.relay_count++] = *ep;
      continue;
    }
    if (i == 1) {
      ask.v6_error = kInsufficientCapacity;
      break;
    }
    if (next_port) shared.ports().release(ask.families[0], *next_port);
    next_port.reset();
    return false;
  }
  return true;
}

static void init_allocation(Allocation& a, const TurnConfig& cfg, const CoreHandlers::Request& r) {
  const auto lifetime = CoreHandlers::granted_lifetime(cfg, r.msg);
  a.client = r.from;
  a.username = std::string(r.username);
  a.quota_user = std::string(r.quota_user);
  a.allocate_tid = r.msg.transaction_id();
  a.lifetime_s = static_cast<std::uint32_t>(lifetime.count());
  a.expires = r.now.mono + lifetime;
  // Built now so that installing permissions/channels and every packet afterwards allocate nothing.
  a.permissions.reserve(cfg.max_permissions_per_allocation);
  a.channels.reserve(cfg.max_channels_per_allocation);
  (void)a.bandwidth.available(r.now.mono, cfg.bandwidth_spec());  // starts full now
}

Output CoreHandlers::allocate(TurnCore& c, Request& r) {
  // Step 2: one allocation per 5-tuple; a retransmitted request gets the same answer again.
  if (Allocation* existing = c.find(r.from); existing != nullptr && existing->expires > r.now.mono) {
    if (existing->allocate_tid == r.msg.transaction_id() && existing->username == r.username) {
      add_allocate_success(c.response_, r.msg, *existing, 0);
      return reply(c, r);
    }
    return error(c, r, stun::code::kAllocationMismatch);
  } else if (existing != nullptr) {
    c.destroy(c.by_tuple_.find(r.from));
    c.metrics_.allocations_expired.inc_single_writer();
  }
  AllocateAsk ask;
  if (const auto code = parse_allocate(r.msg, c.binder_, ask); code != 0) return error(c, r, code);
  // The token's port was reserved by an earlier EVEN-PORT R=1 Allocate (any shard); 508 when unknown.
  std::optional<std::uint16_t> reserved;
  if (ask.token) {
    const auto t = c.shared_.ports().redeem(ask.token->token, r.now.mono);
    if (!t) return error(c, r, kInsufficientCapacity);
    ask.families[0] = t->first;
    reserved = t->second;
  }
  // Step 9: quotas (486) before any port is touched.
  if (const auto q = c.shared_.acquire_allocation(r.quota_user, r.from.client); q != Quota::kOk) {
    if (reserved) c.shared_.ports().release(ask.families[0], *reserved);
    c.metrics_.quota_refused(q);
    return error(c, r, stun::code::kAllocationQuotaReached);
  }
  auto a = std::make_unique<Allocation>();
  std::optional<std::uint16_t> next_port;
  if (!bind_relays(c.shared_, c.binder_, ask, reserved, *a, next_port)) {
    c.shared_.release_allocation(r.quota_user, r.from.client);
    return error(c, r, kInsufficientCapacity);
  }
  if (next_port) {
    a->reservation_token =
        c.shared_.ports().reserve(ask.families[0], *next_port, r.now.mono + c.config_.reservation_lifetime);
    a->has_reservation = true;
  }
  init_allocation(*a, c.config_, r);
  Allocation& ref = *a;
  for (std::size_t i = 0; i < ref.relay_count; ++i) {
    c.by_relay_[ref.relays[i].id] = &ref;
    c.shared_.relays().add(ref.relays[i].address.family(), ref.relays[i].address.port, {c.shard_, ref.relays[i].id});
  }
  c.by_tuple_[r.from] = std::move(a);
  c.metrics_.allocations_created.inc_single_writer();
  add_allocate_success(c.response_, r.msg, ref, ask.v6_error);
  return reply(c, r);
}

Output CoreHandlers::refresh(TurnCore& c, Request& r) {
  Output answer;
  Allocation* a = owned(c, r, answer);
  if (a == nullptr) return answer;
  // RFC 8656 §8.2: a REQUESTED-ADDRESS-FAMILY the allocation has no relay for → 443.
  if (const auto f = r.msg.get<stun::RequestedAddressFamily>(); f && !a->has_family(f->family)) {
    return error(c, r, stun::code::kPeerAddressFamilyMismatch);
  }
  const auto requested = r.msg.get<stun::Lifetime>();
  if (requested && requested->seconds == 0) {
    c.destroy(c.by_tuple_.find(r.from));
    c.metrics_.allocations_deleted.inc_single_writer();
    stun::start_success_response(c.response_, r.msg).add(stun::Lifetime{0});
    return reply(c, r);
  }
  const auto lifetime = granted_lifetime(c.config_, r.msg);
  a->lifetime_s = static_cast<std::uint32_t>(lifetime.count());
  a->expires = r.now.mono + lifetime;
  stun::start_success_response(c.response_, r.msg).add(stun::Lifetime{a->lifetime_s});
  return reply(c, r);
}

}  // namespace sb::turn
