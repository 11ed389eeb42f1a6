// Client: session resume (docs/signaling-protocol.md, "Resume") and a new peer connection when the media path
// broke.
//
// A lost signaling connection does not end the call: the client reconnects with backoff and jitter and sends
// `resume`; the server writes again what the old connection lost and reports how many relayed messages it had
// read, and the client sends the rest again. A refused resume falls back to a fresh join (and a fresh call).
// Media flows peer to peer meanwhile; when it stopped too (a new network), the side that offered makes a new peer
// connection, and the other side answers it with a new one (peer_renewal.hpp says why not an ICE restart).
#include <fmt/format.h>
#include <spdlog/spdlog.h>

#include <algorithm>
#include <cmath>

#include "client/client.hpp"
#include "client/peer_renewal.hpp"
#include "client/progress.hpp"
#include "util/random.hpp"

namespace sb::client {
namespace {

namespace msg = signaling::msg;
using std::chrono::milliseconds;

constexpr std::uint64_t kAckEvery = 16;        // acknowledge after this many numbered messages...
constexpr milliseconds kAckAfter{1000};        // ...or this long after the first one not yet acknowledged
constexpr std::size_t kKeptSent = 512;         // relayed messages kept to send again after a resume
constexpr RecoveryLimits kRenewLimits{5, milliseconds(5000)};  // in a row without media coming back; spacing

}  // namespace

std::chrono::milliseconds Client::retry_delay(std::uint32_t attempt) const {
  // Exponential backoff (initial, 2x, 4x ... capped) with ±20 % jitter, so that clients a server dropped
  // together do not all come back in the same millisecond.
  const double base = std::min(options_.backoff_max_s, options_.backoff_initial_s * std::pow(2.0, attempt));
  const double jitter = 0.8 + 0.4 * static_cast<double>(util::random_uniform(0, 1000)) / 1000;
  return milliseconds(static_cast<std::int64_t>(std::llround(base * jitter * 1000)));
}

void Client::schedule_connect(std::chrono::milliseconds delay) {
  retry_timer_.expires_after(delay);
  retry_timer_.async_wait([this](auto ec) {
    if (!ec && (state_ == State::connecting || state_ == State::reconnecting)) connect();
  });
}

void Client::lost_connection(const std::string& why) {
  ack_timer_.cancel();
  set_state(State::reconnecting);
  const auto delay = retry_delay(0);
  spdlog::warn("lost the signaling connection ({}); reconnecting in {} ms{}", why, delay.count(),
               ticket_ ? " to resume the session" : "");
  emit("reconnecting {:.2f}", static_cast<double>(delay.count()) / 1000);
  if (!ticket_) joined_ = false;  // a server without resume: join afresh
  schedule_connect(delay);
}

void Client::on_numbered(std::uint64_t seq) {
  last_seq_ = seq;
  if (last_seq_ - acked_seq_ >= kAckEvery) return send_ack();
  if (ack_timer_.expiry() > std::chrono::steady_clock::now()) return;  // one is due already
  ack_timer_.expires_after(kAckAfter);
  ack_timer_.async_wait([this](auto ec) {
    if (!ec) send_ack();
  });
}

void Client::send_ack() {
  ack_timer_.cancel();
  if (!ws_open_ || resuming_ || last_seq_ == acked_seq_) return;
  send(msg::Ack{last_seq_});
  acked_seq_ = last_seq_;
}

void Client::keep_relayed(const std::string& text) {
  sent_.emplace_back(++sent_count_, text);
  if (sent_.size() > kKeptSent) sent_.pop_front();
}

void Client::handle(const msg::Resumed& m) {
  resuming_ = false;
  joined_ = true;
  ticket_ = m.resume;
  // Fresh TURN credentials for an ICE restart; the call itself is untouched.
  joined_info_.ice_servers = m.ice_servers;
  std::size_t again = 0;
  for (const auto& [n, text] : sent_) {
    if (n <= m.received) continue;
    send_text(text);
    ++again;
  }
  emit("resumed {} {} received={} sent-again={}", m.id, m.room, m.received, again);
  after_resume();
}

void Client::after_resume() {
  if (!peer_) return set_state(State::waiting_for_peer);
  set_state(ice_connected_ ? State::connected : State::negotiating);
  // If the media stopped as well, the media watch makes a new peer connection on its next tick.
}

void Client::on_resume_refused(const msg::Error& m) {
  emit("resume-refused {}", m.reason.empty() ? std::string(signaling::to_string(m.code)) : m.reason);
  spdlog::warn("the server refused to resume the session ({}): {}; joining again", m.reason, m.message);
  ticket_.reset();
  resuming_ = false;
  joined_ = false;
  sent_.clear();
  set_state(State::joining);
  send(msg::Join{options_.room, options_.name, /*resume=*/true, options_.token});
}

void Client::handle(const msg::PeerReconnecting& m) {
  emit("peer-reconnecting {}", m.id);
}

void Client::handle(const msg::PeerResumed& m) {
  emit("peer-resumed {}", m.id);
}

// Called every tick. libnice (under webrtcbin 1.22) does no consent freshness checks (RFC 7675), so a path
// that broke leaves ICE "connected": the sign is that nothing is decoded any more. The side that offered then
// makes a new peer connection (peer_renewal.hpp), at most kRenewLimits.max_in_a_row times in a row,
// kRenewLimits.spacing apart; the other side answers it with a new one.
void Client::watch_media() {
  if (!peer_ || !ice_connected_ || options_.media_timeout_s <= 0) return;
  const auto now = std::chrono::steady_clock::now();
  const auto& c = peer_->counters();
  const std::uint64_t seen = c.video_frames.load() + c.audio_buffers.load();
  if (seen != media_seen_) {
    media_seen_ = seen;
    media_at_ = now;
    renewals_ = 0;
    return;
  }
  const bool stalled = now - media_at_ >= milliseconds(static_cast<std::int64_t>(options_.media_timeout_s * 1000));
  if (stalled && (peer_->remote_sends_video() || peer_->remote_sends_audio())) try_renew_peer("no-media");
}

// While signaling is down the renewal waits: its offer could not go out, and the peer may be moving too.
bool Client::try_renew_peer(const char* why) {
  if (!peer_) return false;
  const auto now = std::chrono::steady_clock::now();
  const RecoveryInput in{offerer_, ws_open_ && state_ != State::reconnecting && !resuming_, renewals_,
                         std::chrono::duration_cast<milliseconds>(now - renewed_at_)};
  const RecoveryStep step = next_recovery_step(in, kRenewLimits);
  if (step != RecoveryStep::renew) {
    spdlog::debug("{}: no new peer connection now ({})", why, to_string(step));
    return false;
  }
  spdlog::info("{}: a new peer connection ({} in a row): libnice cannot gather again on the old one", why,
               renewals_ + 1);
  renew_peer(/*offerer=*/true, why);
  return true;
}

// Replaces the call's peer connection: a new webrtcbin, so a new libnice stream that gathers afresh and a new DTLS
// certificate. As the offerer it sends an offer with a new o= session id; as the answerer it answers one.
void Client::renew_peer(bool offerer, std::string_view why) {
  ice_timer_.cancel();
  if (peer_) peer_->stop();
  peer_.reset();
  ++renewals_;
  renewed_at_ = media_at_ = std::chrono::steady_clock::now();
  emit("new-peer-connection {} {}", renewals_, why);
  if (make_peer(offerer)) set_state(State::negotiating);
}

// SIGUSR1 asks for a new peer connection at once (e.g. from a hook that knows the network changed; the tests use
// it): on the side that offered, whatever the media watch thinks; the other side waits for the new offer.
void Client::wait_renew_signal() {
  renew_signal_.async_wait([this](const boost::system::error_code& ec, int) {
    if (ec) return;
    if (peer_ && offerer_ && state_ != State::leaving && state_ != State::done) renew_peer(/*offerer=*/true, "signal");
    else spdlog::info("SIGUSR1: only the side that offered makes a new peer connection");
    wait_renew_signal();
  });
}

}  // namespace sb::client
