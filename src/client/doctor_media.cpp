// The native doctor's media test (docs/doctor.md): two TURN allocations of this device on the server,
// permissions for each other's relayed address, then a paced stream of Send indications from A to B's
// relayed address, each echoed by B back to A's. What arrives at B gives loss and throughput; the echoes
// give the round trip. This is the path two users who both need the relay take (relay to relay), and it
// is what the page measures with two peer connections forced to relay.
#include "client/doctor_media.hpp"

#include <algorithm>
#include <boost/asio/steady_timer.hpp>

namespace sb::client::doctor {
namespace {

namespace asio = boost::asio;
using sb::doctor::Status;

constexpr std::uint32_t kPackets = 200;
constexpr std::size_t kPayload = 1000;  // bytes: 200 packets every 10 ms is 800 kbit/s for 2 s
constexpr auto kInterval = std::chrono::milliseconds(10);
constexpr auto kGrace = std::chrono::seconds(1);  // after the last packet, for stragglers and echoes

struct Run {
  std::vector<Clock::time_point> sent_at;
  std::uint32_t received = 0;  // at B
  Clock::time_point first_sent, last_received;
  std::vector<double> rtts;  // echoes back at A
  bool stopping = false;
  int pending = 0;  // receive loops still armed
};

std::uint32_t seq_of(std::span<const std::uint8_t> d) {
  return d.size() >= 4 ? stun::load_u32(d.data()) : UINT32_MAX;
}

// B: every Data indication from A's relayed address is counted and echoed back to it.
void echo_loop(std::shared_ptr<Run> run, Allocation& b, stun::TransportAddress a_relayed) {
  ++run->pending;
  b.link->async_next([run, &b, a_relayed](std::optional<stun::Message> m, Endpoint) {
    --run->pending;
    if (!m) return;
    if (auto d = sb::doctor::read_data_indication(m->view()); d && d->peer == a_relayed) {
      ++run->received;
      run->last_received = Clock::now();
      const auto echo = sb::doctor::send_indication(a_relayed, d->data);
      b.link->send({echo.bytes().begin(), echo.bytes().end()}, b.server);
    }
    if (!run->stopping) echo_loop(run, b, a_relayed);
  });
}

// A: echoes that come back give the round trip of their sequence number.
void return_loop(std::shared_ptr<Run> run, Allocation& a) {
  ++run->pending;
  a.link->async_next([run, &a](std::optional<stun::Message> m, Endpoint) {
    --run->pending;
    if (!m) return;
    if (auto d = sb::doctor::read_data_indication(m->view())) {
      const auto seq = seq_of(d->data);
      if (seq < run->sent_at.size()) {
        run->rtts.push_back(std::chrono::duration<double, std::milli>(Clock::now() - run->sent_at[seq]).count());
      }
    }
    if (!run->stopping) return_loop(run, a);
  });
}

void send_loop(std::shared_ptr<Run> run, std::shared_ptr<asio::steady_timer> timer, Allocation& a,
               stun::TransportAddress to) {
  std::vector<std::uint8_t> payload(kPayload, 0);
  stun::store_u32(payload.data(), static_cast<std::uint32_t>(run->sent_at.size()));
  if (run->sent_at.empty()) run->first_sent = Clock::now();
  run->sent_at.push_back(Clock::now());
  const auto m = sb::doctor::send_indication(to, payload);
  a.link->send({m.bytes().begin(), m.bytes().end()}, a.server);
  if (run->sent_at.size() >= kPackets) return;
  timer->expires_at(timer->expiry() + kInterval);
  timer->async_wait([run, timer, &a, to](boost::system::error_code ec) {
    if (!ec) send_loop(run, timer, a, to);
  });
}

sb::doctor::MediaCheck measure(Env& env, Allocation& a, Allocation& b) {
  sb::doctor::MediaCheck out;
  auto run = std::make_shared<Run>();
  echo_loop(run, b, a.relayed);
  return_loop(run, a);
  auto timer = std::make_shared<asio::steady_timer>(env.io, Clock::now());
  send_loop(run, timer, a, b.relayed);
  const auto budget = kInterval * kPackets + kGrace;
  run_until(env.io, [&] { return run->sent_at.size() >= kPackets && run->rtts.size() >= kPackets; }, budget);
  run->stopping = true;
  timer->cancel();
  a.link->cancel();
  b.link->cancel();
  run_until(env.io, [&] { return run->pending == 0; }, std::chrono::seconds(2));
  out.sent = static_cast<std::uint32_t>(run->sent_at.size());
  out.received = run->received;
  out.loss_percent = out.sent ? 100.0 * (out.sent - std::min(out.received, out.sent)) / out.sent : 100.0;
  if (out.received > 0) {
    const double s = std::chrono::duration<double>(run->last_received - run->first_sent).count();
    if (s > 0) out.throughput_kbps = out.received * kPayload * 8 / s / 1000;
  }
  if (!run->rtts.empty()) {
    std::sort(run->rtts.begin(), run->rtts.end());
    out.rtt_ms = run->rtts[run->rtts.size() / 2];
  }
  // Media "flows" when most of it arrives: a call survives a few percent of loss, not half.
  out.status = out.sent > 0 && out.received * 5 >= out.sent * 4 ? Status::pass : Status::fail;
  return out;
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
  out.transport = kind == StunLink::Kind::udp ? "udp" : kind == StunLink::Kind::tcp ? "tcp" : "tls";
  Allocation a = allocate(env, offer, kind);
  Allocation b = allocate(env, offer, kind);
  if (a.code != 0 || b.code != 0) {
    out.status = Status::fail;
    out.detail = "a second allocation failed (" + std::to_string(a.code != 0 ? a.code : b.code) + ")";
    return out;
  }
  // RFC 8656 §9: each side permits the other's relayed address. 403: the peer policy refuses it.
  const int pa = turn_request(env, a, [&] { return sb::doctor::create_permission_request(b.relayed); });
  const int pb = pa == 0 ? turn_request(env, b, [&] { return sb::doctor::create_permission_request(a.relayed); }) : pa;
  if (pa != 0 || pb != 0) {
    const int code = pa != 0 ? pa : pb;
    out.status = Status::fail;
    out.code = std::max(code, 0);
    out.error = code == -1 ? sb::doctor::TurnError::unreachable : sb::doctor::turn_error_of(code);
    out.detail = "CreatePermission for the other relayed address: " + (code == -1 ? std::string("no answer") : std::to_string(code));
  } else {
    auto measured = measure(env, a, b);
    measured.transport = out.transport;
    out = measured;
  }
  for (Allocation* x : {&a, &b}) turn_request(env, *x, [] { return sb::doctor::refresh_request(0); });
  return out;
}

}  // namespace sb::client::doctor
