// The native doctor's data test through the relay (docs/doctor.md). Allocation A sends a paced stream of
// probes through the relay to a far end, which echoes each one back to A's relayed address: what arrives at
// the far end gives loss and throughput, the echoes the round trip. The far end is
//   * this device's own UDP socket at its public address (relay-to-device): the data leaves the relay's port
//     for the outside, as in a call with a peer behind another network; used where UDP works and the relay
//     may send to this device's address;
//   * otherwise a second allocation B (relay-to-relay), the path of two users who both need the relay.
// A probe is itself a STUN Binding indication (its transaction id carries a sequence number), so the same
// links read it whether it arrives raw on the socket or inside a Data indication.
#include "client/doctor_media.hpp"

#include <algorithm>
#include <boost/asio/steady_timer.hpp>
#include <cstring>

#include "stun/attr_nat.hpp"

namespace sb::client::doctor {
namespace {

namespace asio = boost::asio;
using sb::doctor::Status;

constexpr std::uint32_t kPackets = 200;
constexpr std::size_t kPayload = 1000;  // bytes: 200 packets every 10 ms is 800 kbit/s for 2 s
constexpr auto kInterval = std::chrono::milliseconds(10);
constexpr auto kGrace = std::chrono::seconds(1);  // after the last packet, for stragglers and echoes
constexpr std::uint32_t kHello = 0xFFFFFFFF;      // the device's first probe, which opens its NAT
constexpr std::array<std::uint8_t, 4> kMagic = {'s', 'b', 'd', 'r'};

std::vector<std::uint8_t> probe(std::uint32_t seq) {
  stun::TransactionId id = stun::TransactionId::random();
  std::copy(kMagic.begin(), kMagic.end(), id.bytes.begin());
  stun::store_u32(id.bytes.data() + 4, seq);
  stun::Message m(stun::kBindingIndication, id);
  m.add(stun::Padding{static_cast<std::uint16_t>(kPayload - stun::kHeaderSize - stun::kAttributeHeaderSize)});
  return {m.bytes().begin(), m.bytes().end()};
}

std::optional<std::uint32_t> seq_of(const stun::Message& m) {
  const auto& id = m.transaction_id().bytes;
  if (m.type() != stun::kBindingIndication || !std::equal(kMagic.begin(), kMagic.end(), id.begin())) return std::nullopt;
  return stun::load_u32(id.data() + 4);
}

// The probe inside a message received on a link: raw (relay-to-device) or in a Data indication from `peer`.
std::optional<stun::Message> probe_in(const stun::Message& m, const std::optional<stun::TransportAddress>& peer) {
  if (!peer) return seq_of(m) ? std::optional<stun::Message>(m) : std::nullopt;
  const auto d = sb::doctor::read_data_indication(m.view());
  if (!d || !(d->peer == *peer)) return std::nullopt;
  auto inner = stun::Message::decode(d->data);
  if (!inner || !seq_of(*inner)) return std::nullopt;
  return std::move(inner.value());
}

// The far end: its link, the relay peer its probes come from (nullopt: they come raw), how it echoes.
struct Far {
  StunLink* link;
  std::optional<stun::TransportAddress> from;
  std::function<void(const std::vector<std::uint8_t>&)> echo;
};

struct Run {
  std::vector<Clock::time_point> sent_at;
  std::uint32_t received = 0;  // at the far end
  Clock::time_point first_sent, last_received;
  std::vector<double> rtts;  // echoes back at A
  bool stopping = false;
  int pending = 0;  // receive loops still armed
};

void far_loop(std::shared_ptr<Run> run, const Far& far) {
  ++run->pending;
  far.link->async_next([run, &far](std::optional<stun::Message> m, Endpoint) {
    --run->pending;
    if (!m) return;
    if (auto p = probe_in(*m, far.from); p && *seq_of(*p) < kPackets) {
      ++run->received;
      run->last_received = Clock::now();
      far.echo({p->bytes().begin(), p->bytes().end()});
    }
    if (!run->stopping) far_loop(run, far);
  });
}

// A: echoes come back as Data indications from the far end's address `from`.
void return_loop(std::shared_ptr<Run> run, Allocation& a, stun::TransportAddress from) {
  ++run->pending;
  a.link->async_next([run, &a, from](std::optional<stun::Message> m, Endpoint) {
    --run->pending;
    if (!m) return;
    if (auto p = probe_in(*m, from); p && *seq_of(*p) < run->sent_at.size()) {
      run->rtts.push_back(std::chrono::duration<double, std::milli>(Clock::now() - run->sent_at[*seq_of(*p)]).count());
    }
    if (!run->stopping) return_loop(run, a, from);
  });
}

void send_loop(std::shared_ptr<Run> run, std::shared_ptr<asio::steady_timer> timer, Allocation& a,
               stun::TransportAddress to) {
  if (run->sent_at.empty()) run->first_sent = Clock::now();
  const auto m = sb::doctor::send_indication(to, probe(static_cast<std::uint32_t>(run->sent_at.size())));
  run->sent_at.push_back(Clock::now());
  a.link->send({m.bytes().begin(), m.bytes().end()}, a.server);
  if (run->sent_at.size() >= kPackets) return;
  timer->expires_at(timer->expiry() + kInterval);
  timer->async_wait([run, timer, &a, to](boost::system::error_code ec) {
    if (!ec) send_loop(run, timer, a, to);
  });
}

// Sends from A to `to` (the far end as the relay sees it) and measures what arrives and comes back.
sb::doctor::MediaCheck measure(Env& env, Allocation& a, const Far& far, stun::TransportAddress to) {
  sb::doctor::MediaCheck out;
  auto run = std::make_shared<Run>();
  far_loop(run, far);
  return_loop(run, a, to);
  auto timer = std::make_shared<asio::steady_timer>(env.io, Clock::now());
  send_loop(run, timer, a, to);
  run_until(env.io, [&] { return run->sent_at.size() >= kPackets && run->rtts.size() >= kPackets; },
            kInterval * kPackets + kGrace);
  run->stopping = true;
  timer->cancel();
  a.link->cancel();
  far.link->cancel();
  run_until(env.io, [&] { return run->pending == 0; }, std::chrono::seconds(2));
  out.sent = static_cast<std::uint32_t>(run->sent_at.size());
  out.received = std::min(run->received, out.sent);
  out.loss_percent = out.sent ? 100.0 * (out.sent - out.received) / out.sent : 100.0;
  const double s = std::chrono::duration<double>(run->last_received - run->first_sent).count();
  if (out.received > 0 && s > 0) out.throughput_kbps = out.received * kPayload * 8 / s / 1000;
  if (!run->rtts.empty()) {
    std::sort(run->rtts.begin(), run->rtts.end());
    out.rtt_ms = run->rtts[run->rtts.size() / 2];
  }
  // Media "flows" when most of it arrives: a call survives a few percent of loss, not half.
  out.status = out.sent > 0 && out.received * 5 >= out.sent * 4 ? Status::pass : Status::fail;
  return out;
}

sb::doctor::MediaCheck refused(int code, const std::string& what) {
  sb::doctor::MediaCheck out;
  out.status = Status::fail;
  out.code = std::max(code, 0);
  out.error = code == -1 ? sb::doctor::TurnError::unreachable : sb::doctor::turn_error_of(code);
  out.detail = what + ": " + (code == -1 ? std::string("no answer") : std::to_string(code));
  return out;
}

// RFC 8656 §9: each side permits the other's relayed address. 403: the peer policy refuses it.
sb::doctor::MediaCheck relay_to_relay(Env& env, const Offer& offer, Allocation& a, StunLink::Kind kind) {
  Allocation b = allocate(env, offer, kind);
  if (b.code != 0) return refused(b.code, "a second allocation");
  int code = turn_request(env, a, [&] { return sb::doctor::create_permission_request(b.relayed); });
  if (code == 0) code = turn_request(env, b, [&] { return sb::doctor::create_permission_request(a.relayed); });
  sb::doctor::MediaCheck out;
  if (code != 0) {
    out = refused(code, "CreatePermission for the other relayed address");
  } else {
    Far far{b.link.get(), a.relayed, [&](const std::vector<std::uint8_t>& p) {
              const auto m = sb::doctor::send_indication(a.relayed, p);
              b.link->send({m.bytes().begin(), m.bytes().end()}, b.server);
            }};
    out = measure(env, a, far, b.relayed);
  }
  turn_request(env, b, [] { return sb::doctor::refresh_request(0); });
  return out;
}

// The device's own socket: its public address from STUN, a permission for it, then its first probe tells A
// the address the relay sees it at (a symmetric NAT picks a new port towards the relay).
sb::doctor::MediaCheck relay_to_device(Env& env, const Offer& offer, Allocation& a) {
  std::string why;
  const auto stun_server = resolve_url(env, offer.stun, why);
  auto s = make_link(env.io, StunLink::Kind::udp);
  if (!stun_server || !s->open(*stun_server, "", env.step).empty()) return refused(-1, "STUN");
  const auto mapped = transact(env.io, *s, sb::doctor::binding_request(), *stun_server, env.step);
  const auto public_address = mapped ? sb::doctor::mapped_address(mapped->view()) : std::nullopt;
  if (!public_address) return refused(-1, "STUN for this device's public address");
  if (int code = turn_request(env, a, [&] { return sb::doctor::create_permission_request(*public_address); }); code != 0) {
    return refused(code, "CreatePermission for this device's public address");
  }
  std::optional<stun::TransportAddress> seen;
  for (int i = 0; i < 6 && !seen; ++i) {
    s->send(probe(kHello), to_endpoint(a.relayed));
    if (auto m = next_message(env.io, *a.link, std::chrono::milliseconds(500))) {
      if (auto d = sb::doctor::read_data_indication(m->view())) seen = d->peer;
    }
  }
  if (!seen) return refused(-1, "this device's first probe to its relayed address");
  Far far{s.get(), std::nullopt, [&](const std::vector<std::uint8_t>& p) { s->send(p, to_endpoint(a.relayed)); }};
  return measure(env, a, far, *seen);
}

}  // namespace

sb::doctor::MediaCheck check_media(Env& env, const Offer& offer, const sb::doctor::Facts& facts) {
  sb::doctor::MediaCheck out;
  StunLink::Kind kind;
  if (facts.turn_udp.status == Status::pass) kind = StunLink::Kind::udp;
  else if (facts.turn_tcp.status == Status::pass) kind = StunLink::Kind::tcp;
  else if (facts.turn_tls.status == Status::pass) kind = StunLink::Kind::tls;
  else {
    out.detail = "no relay to test";
    return out;
  }
  const std::string transport = kind == StunLink::Kind::udp ? "udp" : kind == StunLink::Kind::tcp ? "tcp" : "tls";
  const bool to_device = facts.stun.status == Status::pass && offer.relay_to_device != false;
  Allocation a = allocate(env, offer, kind);
  if (a.code != 0) {
    out = refused(a.code, "the allocation");
  } else {
    out = to_device ? relay_to_device(env, offer, a) : relay_to_relay(env, offer, a, kind);
    turn_request(env, a, [] { return sb::doctor::refresh_request(0); });
  }
  out.transport = transport;
  out.path = to_device ? "relay-to-device" : "relay-to-relay";
  return out;
}

}  // namespace sb::client::doctor
