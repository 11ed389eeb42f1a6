#include "turn/core.hpp"

#include <algorithm>
#include <cstring>

#include "stun/attr_address.hpp"
#include "stun/attr_error.hpp"
#include "stun/attr_text.hpp"
#include "stun/integrity.hpp"
#include "turn/channel_data.hpp"
#include "turn/core_internal.hpp"
#include "util/random.hpp"

namespace sb::turn {

namespace {

std::uint64_t word(const std::array<std::uint8_t, 16>& ip, std::size_t at) {
  std::uint64_t w = 0;
  std::memcpy(&w, ip.data() + at, sizeof w);
  return w;
}

}  // namespace

// Runs once per client packet, so it works on 64-bit words rather than bytes. The keys that exist in
// the table are bounded by the allocation quotas, which bounds what colliding keys could cost.
std::size_t FiveTupleHash::operator()(const FiveTuple& t) const noexcept {
  const std::uint64_t meta = (std::uint64_t{t.client.port} << 32) | (std::uint64_t{t.server.port} << 16) |
                             static_cast<std::uint64_t>(t.transport);  // the family is in the IP bytes
  std::uint64_t h = util::splitmix64(meta ^ word(t.client.ip.bytes, 0));
  h = util::splitmix64(h ^ word(t.client.ip.bytes, 8));
  h = util::splitmix64(h ^ word(t.server.ip.bytes, 0) ^ (word(t.server.ip.bytes, 8) * 0x9E3779B97F4A7C15ULL));
  return static_cast<std::size_t>(h);
}

TurnCore::TurnCore(TurnShared& shared, RelayBinder& binder, sb::metrics::Registry& registry, std::uint32_t shard,
                   std::uint32_t shard_count)
    : shared_(shared),
      config_(shared.config()),
      binder_(binder),
      shard_(shard),
      metrics_(registry),
      bandwidth_(config_.bandwidth_spec()),
      limiter_({config_.unauthorized_rate, std::max<double>(1, config_.unauthorized_burst)}, config_.rate_limit_buckets) {
  util::random_bytes(indication_prefix_);
  const double share = static_cast<double>(config_.total_bandwidth_bytes_per_s) / std::max(1u, shard_count);
  server_bandwidth_spec_ = {share, share};  // 0: unlimited
}

DropReason TurnCore::take_bandwidth(Allocation& a, std::size_t bytes, util::TimePoint now) {
  const auto n = static_cast<double>(bytes);
  if (!a.bandwidth.take(n, now, bandwidth_)) return DropReason::kBandwidth;
  if (!server_bandwidth_.take(n, now, server_bandwidth_spec_)) return DropReason::kServerBandwidth;
  return DropReason::kNone;
}

TurnCore::~TurnCore() {
  while (!by_tuple_.empty()) destroy(by_tuple_.begin());
}

Output TurnCore::drop(DropReason r) {
  metrics_.drop(r);
  Output o;
  o.drop = r;
  return o;
}

Output TurnCore::on_client_packet(const FiveTuple& from, std::span<const std::uint8_t> packet, const Now& now,
                                  std::span<std::uint8_t> out) {
  // RFC 7983 demultiplexing: 0x40-0x4F ChannelData, 0x00-0x03 STUN (first two bits zero).
  if (!packet.empty() && is_channel_data_first_byte(packet[0], config_.rfc5766_channels)) {
    return handle_channel_data(from, packet, now.mono);
  }
  return handle_stun(from, packet, now, out);
}

Output TurnCore::handle_stun(const FiveTuple& from, std::span<const std::uint8_t> packet, const Now& now,
                             std::span<std::uint8_t> out) {
  const bool stream = from.transport != Transport::kUdp;
  stun::ParseLimits limits;
  limits.max_message_size = config_.max_message_size;
  const auto parsed = stun::MessageView::parse(packet, limits);
  // Over UDP a malformed datagram is dropped; on a stream the framing is lost, so the connection goes.
  if (!parsed || (parsed->fingerprint() && !stun::verify_fingerprint(*parsed))) {
    Output o = drop(DropReason::kMalformed);
    if (stream) {
      o.action = Action::kClose;
      o.client = from;
    }
    return o;
  }
  const stun::MessageView& m = *parsed;
  if (m.message_class() == stun::Class::kIndication) {
    if (m.method() == stun::Method::kSend) return handle_send(from, m, now.mono);
    if (m.method() == stun::Method::kBinding) return {};  // keepalive (RFC 8489 §6.3.2)
    return drop(DropReason::kUnexpectedMessage);
  }
  if (m.message_class() != stun::Class::kRequest) return drop(DropReason::kUnexpectedMessage);
  // Binding is answered in front of the core, by stun::BindingService (net/turn_worker.cpp): never here.
  if (m.method() == stun::Method::kBinding) return drop(DropReason::kUnexpectedMessage);
  metrics_.requests.inc_single_writer();
  Request r{from, m, now, out, false, {}, {}, {}, false};
  const auto method = m.method();
  const bool known = method == stun::Method::kAllocate || method == stun::Method::kRefresh ||
                     method == stun::Method::kCreatePermission || method == stun::Method::kChannelBind;
  if (!known) return CoreHandlers::error(*this, r, stun::code::kBadRequest);  // RFC 8489 §6.3.1
  Output answer;
  if (!CoreHandlers::authenticate(*this, r, answer)) return answer;
  stun::UnknownAttributes unknown;
  if (stun::find_unknown_comprehension_required(m, unknown) > 0) {
    stun::start_error_response(response_, m, stun::code::kUnknownAttribute).add(unknown);
    metrics_.error_responses.inc_single_writer();
    return CoreHandlers::reply(*this, r);
  }
  switch (method) {
    case stun::Method::kAllocate: return CoreHandlers::allocate(*this, r);
    case stun::Method::kRefresh: return CoreHandlers::refresh(*this, r);
    case stun::Method::kCreatePermission: return CoreHandlers::create_permission(*this, r);
    default: return CoreHandlers::channel_bind(*this, r);
  }
}

Allocation* TurnCore::find(const FiveTuple& t) {
  const auto it = by_tuple_.find(t);
  return it == by_tuple_.end() ? nullptr : it->second.get();
}

bool TurnCore::has_allocation(const FiveTuple& t, util::TimePoint now) const {
  const auto it = by_tuple_.find(t);
  return it != by_tuple_.end() && it->second->expires > now;
}

void TurnCore::destroy(std::unordered_map<FiveTuple, std::unique_ptr<Allocation>, FiveTupleHash>::iterator it) {
  Allocation& a = *it->second;
  for (std::size_t i = 0; i < a.relay_count; ++i) {
    shared_.relays().remove(a.relays[i].address.family(), a.relays[i].address.port);
    by_relay_.erase(a.relays[i].id);
    binder_.close(a.relays[i]);
    shared_.ports().release(a.relays[i].address.family(), a.relays[i].address.port);
  }
  shared_.release_allocation(a.quota_user, a.client.client);
  by_tuple_.erase(it);
}

void TurnCore::on_client_closed(const FiveTuple& from) {
  const auto it = by_tuple_.find(from);
  if (it == by_tuple_.end()) return;
  destroy(it);
  metrics_.allocations_deleted.inc_single_writer();
}

std::size_t TurnCore::tick(const Now& now) {
  std::size_t removed = 0;
  for (auto it = by_tuple_.begin(); it != by_tuple_.end();) {
    Allocation& a = *it->second;
    if (a.expires <= now.mono) {
      auto next = std::next(it);
      destroy(it);
      metrics_.allocations_expired.inc_single_writer();
      ++removed;
      it = next;
      continue;
    }
    const auto perms_before = a.permissions.size();
    std::erase_if(a.permissions, [&](const Permission& p) { return p.expires <= now.mono; });
    metrics_.permissions_expired.inc_single_writer(perms_before - a.permissions.size());
    // A channel is unusable after `expires` but keeps its number and peer until `cooldown` (§12).
    const auto channels_before = a.channels.size();
    std::erase_if(a.channels, [&](const ChannelBinding& c) { return c.cooldown <= now.mono; });
    metrics_.channels_expired.inc_single_writer(channels_before - a.channels.size());
    ++it;
  }
  shared_.ports().sweep(now.mono);
  return removed;
}

std::size_t TurnCore::permission_count() const {
  std::size_t n = 0;
  for (const auto& [t, a] : by_tuple_) n += a->permissions.size();
  return n;
}

std::size_t TurnCore::channel_count() const {
  std::size_t n = 0;
  for (const auto& [t, a] : by_tuple_) n += a->channels.size();
  return n;
}

std::vector<AllocationInfo> TurnCore::snapshot(util::TimePoint now) const {
  std::vector<AllocationInfo> v;
  v.reserve(by_tuple_.size());
  for (const auto& [t, a] : by_tuple_) {
    AllocationInfo i;
    i.username = a->username;
    i.client = a->client;
    for (std::size_t k = 0; k < a->relay_count; ++k) i.relayed.push_back(a->relays[k].address);
    i.lifetime_left_s = std::chrono::duration_cast<std::chrono::seconds>(a->expires - now).count();
    for (const auto& p : a->permissions) {
      if (p.expires <= now) continue;
      i.permissions.push_back(TransportAddress{p.ip, 0});
    }
    for (const auto& c : a->channels) {
      if (c.expires > now) i.channels.emplace_back(c.number, c.peer);
    }
    i.packets_to_peer = a->packets_to_peer;
    i.bytes_to_peer = a->bytes_to_peer;
    i.packets_to_client = a->packets_to_client;
    i.bytes_to_client = a->bytes_to_client;
    v.push_back(std::move(i));
  }
  return v;
}

}  // namespace sb::turn
