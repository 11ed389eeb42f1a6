#include "client/client.hpp"

#include <fmt/format.h>
#include <ifaddrs.h>
#include <net/if.h>
#include <spdlog/spdlog.h>

#include <boost/asio/post.hpp>
#include <cmath>
#include <csignal>
#include <cstdio>
#include <random>

#include "client/peer_renewal.hpp"
#include "client/progress.hpp"
#include "util/random.hpp"

namespace sb::client {
namespace {

namespace asio = boost::asio;
namespace msg = signaling::msg;
using std::chrono::duration_cast;
using std::chrono::milliseconds;

milliseconds seconds_to_ms(double s) { return milliseconds(static_cast<std::int64_t>(std::llround(s * 1000))); }

// True when no interface other than loopback is up with an address: libnice would gather nothing.
bool loopback_only_host() {
  ifaddrs* list = nullptr;
  if (getifaddrs(&list) != 0) return false;
  bool other = false;
  for (ifaddrs* i = list; i; i = i->ifa_next) {
    if (!i->ifa_addr || !(i->ifa_flags & IFF_UP) || (i->ifa_flags & IFF_LOOPBACK)) continue;
    if (i->ifa_addr->sa_family == AF_INET || i->ifa_addr->sa_family == AF_INET6) other = true;
  }
  freeifaddrs(list);
  return !other;
}

std::string_view ice_state_name(GstWebRTCICEConnectionState s) {
  switch (s) {
    case GST_WEBRTC_ICE_CONNECTION_STATE_NEW: return "new";
    case GST_WEBRTC_ICE_CONNECTION_STATE_CHECKING: return "checking";
    case GST_WEBRTC_ICE_CONNECTION_STATE_CONNECTED: return "connected";
    case GST_WEBRTC_ICE_CONNECTION_STATE_COMPLETED: return "completed";
    case GST_WEBRTC_ICE_CONNECTION_STATE_FAILED: return "failed";
    case GST_WEBRTC_ICE_CONNECTION_STATE_DISCONNECTED: return "disconnected";
    case GST_WEBRTC_ICE_CONNECTION_STATE_CLOSED: return "closed";
  }
  return "unknown";
}

}  // namespace

std::string_view to_string(State s) {
  switch (s) {
    case State::connecting: return "connecting";
    case State::joining: return "joining";
    case State::waiting_for_peer: return "waiting-for-peer";
    case State::negotiating: return "negotiating";
    case State::connected: return "connected";
    case State::reconnecting: return "reconnecting";
    case State::leaving: return "leaving";
    case State::done: return "done";
  }
  return "unknown";
}

Client::Client(asio::io_context& io, ClientOptions options)
    : io_(io),
      options_(std::move(options)),
      signals_(io, SIGINT, SIGTERM),
      renew_signal_(io, SIGUSR1),
      retry_timer_(io),
      ice_timer_(io),
      deadline_timer_(io),
      tick_timer_(io),
      leave_timer_(io),
      ack_timer_(io),
      stdin_(io),
      stdin_buffer_(options_.max_message_bytes) {
  limits_.max_sdp_bytes = options_.max_message_bytes;
}

Client::~Client() = default;

void Client::start() {
  signals_.async_wait([this](auto ec, int sig) {
    if (!ec) finish(ExitCode::ok, fmt::format("signal {}", sig == SIGINT ? "SIGINT" : "SIGTERM"));
  });
  EncodeSettings enc{options_.width, options_.height, options_.fps, options_.video_kbps};
  if (auto error = check_capture_devices(options_.video_source, options_.audio_source, enc); !error.empty())
    return finish(ExitCode::no_device, "no camera or microphone: " + error);
  wait_renew_signal();
  start_timers();
  read_stdin();
  set_state(State::connecting);
  connect();
}

void Client::connect() {
  WsSettings ws;
  ws.connect_timeout = seconds_to_ms(options_.connect_timeout_s);
  ws.idle_timeout = seconds_to_ms(options_.keepalive_s);
  ws.max_queue = options_.max_send_queue;
  ws.max_message_bytes = options_.max_message_bytes;
  ws.verify_certificate = !options_.insecure;
  WsConnection::Handlers h;
  h.on_open = [this] { on_ws_open(); };
  h.on_text = [this](std::string t) { on_ws_text(t); };
  h.on_closed = [this](std::string why) { on_ws_closed(why); };
  // The room in the URL, as the web client sends it: the server places the room's members on one I/O thread.
  // --room is validated to [A-Za-z0-9_.-], so it needs no escaping. A URL with its own query is left alone.
  ServerUrl url = options_.server_url;
  if (url.target.find('?') == std::string::npos) url.target += "?room=" + options_.room;
  ws_ = make_ws_connection(io_, url, ws, std::move(h));
  ws_->start();
}

void Client::on_ws_open() {
  ws_open_ = true;
  connect_attempt_ = 0;
  emit("connected {}", options_.server);
  if (ticket_) {
    // The session outlived the connection: take it back (docs/signaling-protocol.md, "Resume").
    resuming_ = true;
    emit("resuming {} seq={}", ticket_->session, last_seq_);
    send(msg::Resume{ticket_->session, ticket_->secret, last_seq_});
    return;
  }
  set_state(State::joining);
  send(msg::Join{options_.room, options_.name, /*resume=*/true, options_.token});
}

void Client::on_ws_closed(const std::string& why) {
  bool was_open = ws_open_;
  ws_open_ = false;
  resuming_ = false;
  if (state_ == State::leaving || state_ == State::done) return shutdown_now();
  if (was_open && in_room()) return lost_connection(why);
  joined_ = false;
  if (was_open) return finish(ExitCode::server_unreachable, "lost the signaling connection: " + why);
  if (connect_attempt_ >= options_.connect_retries) {
    return finish(ExitCode::server_unreachable,
                  fmt::format("server {} unreachable after {} attempts: {}", options_.server, connect_attempt_ + 1, why));
  }
  const auto delay = retry_delay(connect_attempt_);
  ++connect_attempt_;
  spdlog::warn("connect attempt {} failed ({}); retrying in {} ms", connect_attempt_, why, delay.count());
  emit("connect-retry {} {:.2f}", connect_attempt_, static_cast<double>(delay.count()) / 1000);
  schedule_connect(delay);
}

void Client::on_ws_text(const std::string& text) {
  std::uint64_t seq = 0;
  auto parsed = signaling::parse_server_message(text, limits_, &seq);
  if (auto* err = std::get_if<signaling::ProtocolError>(&parsed)) {
    spdlog::warn("ignoring a bad message from the server: {} ({})", err->message, signaling::to_string(err->code));
    return;
  }
  if (seq != 0) {
    if (seq <= last_seq_) return;  // had it already (the server never sends one twice; be safe)
    on_numbered(seq);
  }
  std::visit([this](const auto& m) { handle(m); }, std::get<signaling::ServerMessage>(parsed));
}

void Client::send(const signaling::ClientMessage& m) {
  const bool relayed = std::holds_alternative<msg::Offer>(m) || std::holds_alternative<msg::Answer>(m) ||
                       std::holds_alternative<msg::Candidate>(m);
  std::string text = signaling::serialize(m);
  if (relayed && ticket_) {
    keep_relayed(text);  // goes out again after a resume if the server did not read it
    if (resuming_) return;
  }
  send_text(text);
}

void Client::send_text(const std::string& text) {
  if (!ws_ || !ws_open_) return;
  if (!ws_->send(text)) spdlog::warn("signaling send queue full; dropped a message");
}

void Client::handle(const msg::Joined& m) {
  joined_ = true;
  joined_info_ = m;
  ticket_ = m.resume;
  last_seq_ = acked_seq_ = sent_count_ = 0;
  sent_.clear();
  if (peer_) {
    // A fresh join after a refused resume: the old call is gone for the peer, and so is this side's.
    end_peer();
  }
  emit("joined {} {} peers={}", m.id, m.room, m.peers.size());
  if (m.peers.empty()) return set_state(State::waiting_for_peer);
  if (m.peers.size() > 1) spdlog::warn("{} peers in the room; this client connects to the first only", m.peers.size());
  start_peer(m.peers.front().id, /*offerer=*/true);  // the newcomer offers
}

void Client::handle(const msg::PeerJoined& m) {
  emit("peer-joined {}", m.id);
  if (peer_) return spdlog::info("already connected to {}; ignoring {}", peer_id_, m.id);
  // Fresh TURN credentials (ours from `joined` may have expired while we waited alone).
  if (!m.ice_servers.empty()) joined_info_.ice_servers = m.ice_servers;
  start_peer(m.id, /*offerer=*/false);  // wait for the newcomer's offer
}

void Client::handle(const msg::PeerLeft& m) {
  emit("peer-left {} {}", m.id, signaling::to_string(m.reason));
  if (m.id != peer_id_) return;
  end_peer();
  set_state(State::waiting_for_peer);
}

void Client::handle(const msg::RelayedOffer& m) {
  if (!peer_) start_peer(m.from, /*offerer=*/false);
  if (!peer_ || !from_current_peer(m.from)) return;
  // The peer made a new peer connection (its media path broke): answer it with a new one here too.
  if (starts_new_session(peer_->remote_session_id(), sdp_session_id(m.sdp))) renew_peer(/*offerer=*/false, "new-session");
  if (peer_) peer_->apply_remote_description(/*is_offer=*/true, m.sdp);
}

void Client::handle(const msg::RelayedAnswer& m) {
  if (!peer_ || !from_current_peer(m.from)) return;
  peer_->apply_remote_description(/*is_offer=*/false, m.sdp);
}

void Client::handle(const msg::RelayedCandidate& m) {
  if (!peer_ || !from_current_peer(m.from)) return;
  peer_->add_remote_candidate(m.candidate);
}

void Client::handle(const msg::Pong&) {}

void Client::handle(const msg::Error& m) {
  std::string code(signaling::to_string(m.code));
  emit("error {} {}", code, m.ref);
  if (m.ref == "resume") return on_resume_refused(m);
  if (m.ref != "join" || joined_) return spdlog::warn("server error {}: {}", code, m.message);
  if (m.code == signaling::ErrorCode::room_full || m.code == signaling::ErrorCode::server_full)
    return finish(ExitCode::room_full, fmt::format("cannot join room {}: {} ({})", options_.room, m.message, code));
  finish(ExitCode::rejected, fmt::format("join rejected: {} ({})", m.message, code));
}

// The server is going away (docs/signaling-protocol.md, `drain`); its close follows. Connect again at once (a load
// balancer sends the new connection to another node), with 100-300 ms of jitter to spread a drained node's clients
// out. A resumable session resumes there: a drained cluster node parks it and hands it over to the node the resume
// reaches, so the call goes on (docs/cluster.md). A single server ends it, so the resume is refused and the client
// joins afresh and negotiates the call again, as without a ticket.
void Client::handle(const msg::Drain&) {
  emit("drain");
  spdlog::info("the server is shutting down; reconnecting{}", ticket_ ? " to resume the session" : "");
  // Not from inside the connection's own read handler: abort() drops its handlers.
  asio::post(io_, [this] {
    if (state_ == State::leaving || state_ == State::done || !ws_) return;
    ws_->abort();  // no handler runs for it any more; the next connect() replaces it
    ws_open_ = false;
    resuming_ = false;
    ack_timer_.cancel();
    connect_attempt_ = 0;
    if (ticket_) {
      set_state(State::reconnecting);  // the call and what it sent stay: the resume takes them up
    } else {
      end_peer();
      joined_ = false;
      sent_.clear();
      set_state(State::connecting);
    }
    schedule_connect(std::chrono::milliseconds(util::random_uniform(100, 300)));
  });
}

bool Client::from_current_peer(const std::string& from) const {
  if (from == peer_id_) return true;
  spdlog::warn("ignoring a message from {}: connected to {}", from, peer_id_);
  return false;
}

void Client::start_peer(const std::string& peer_id, bool offerer) {
  call_counters_ = std::make_shared<MediaCounters>();
  media_seen_ = 0;
  renewals_ = 0;
  peer_id_ = peer_id;
  if (!make_peer(offerer)) return;
  emit("peer {} {}", peer_id, offerer ? "offerer" : "answerer");
  set_state(State::negotiating);
}

// A peer connection for the call with peer_id_ (the first one, or a new one: client_resume.cpp).
bool Client::make_peer(bool offerer) {
  PeerConfig cfg;
  cfg.video = options_.video_source;
  cfg.audio = options_.audio_source;
  cfg.sink = options_.sink_spec;
  cfg.encode = {options_.width, options_.height, options_.fps, options_.video_kbps};
  cfg.ice_servers = to_gst_ice_servers(joined_info_.ice_servers);
  for (const auto& s : cfg.ice_servers.skipped) spdlog::warn("ICE server not used: {}", s);
  cfg.offerer = offerer;
  cfg.relay_only = options_.relay_only;
  cfg.add_loopback = options_.loopback_mode == LoopbackMode::on ||
                     (options_.loopback_mode == LoopbackMode::automatic && loopback_only_host());
  cfg.max_pending_candidates = options_.max_pending_candidates;
  cfg.relay_candidate_delay = seconds_to_ms(options_.relay_candidate_delay_s);
  cfg.counters = call_counters_;
  PeerSession::StartError error;
  peer_ = PeerSession::start(io_.get_executor(), std::move(cfg), peer_events(), &error);
  if (!peer_) {
    finish(error.no_device ? ExitCode::no_device : ExitCode::internal_error, error.message);
    return false;
  }
  offerer_ = offerer;
  ice_connected_ = false;
  return true;
}

void Client::end_peer() {
  ice_timer_.cancel();
  if (peer_) peer_->stop();
  peer_.reset();
  peer_id_.clear();
  ice_connected_ = false;
}

PeerSession::Events Client::peer_events() {
  PeerSession::Events e;
  e.on_local_description = [this](bool is_offer, std::string sdp) {
    emit("local-description {}", is_offer ? "offer" : "answer");
    if (is_offer) send(msg::Offer{peer_id_, std::move(sdp)});
    else send(msg::Answer{peer_id_, std::move(sdp)});
  };
  e.on_local_candidate = [this](std::optional<signaling::IceCandidate> c) {
    send(msg::Candidate{peer_id_, std::move(c)});
  };
  e.on_remote_description_set = [this] { on_remote_description_set(); };
  e.on_ice_state = [this](GstWebRTCICEConnectionState s) { on_ice_state(s); };
  e.on_remote_track = [](std::string kind) { emit("remote-track {}", kind); };
  e.on_channel_open = [] { emit("datachannel-open"); };
  e.on_channel_message = [](std::string text) { emit("datachannel-message {}", text); };
  e.on_error = [this](std::string error) { finish(ExitCode::internal_error, "media pipeline: " + error); };
  return e;
}

void Client::on_remote_description_set() {
  ice_timer_.expires_after(seconds_to_ms(options_.ice_timeout_s));
  ice_timer_.async_wait([this](auto ec) {
    if (ec || ice_connected_ || !peer_) return;
    finish(ExitCode::ice_failed, fmt::format("ICE did not connect within {}s{}; candidate types tried: {}",
                                             options_.ice_timeout_s, options_.relay_only ? " (relay only)" : "",
                                             peer_->candidate_types().describe()));
  });
}

void Client::on_ice_state(GstWebRTCICEConnectionState s) {
  emit("ice-state {}", ice_state_name(s));
  if (s == GST_WEBRTC_ICE_CONNECTION_STATE_CONNECTED || s == GST_WEBRTC_ICE_CONNECTION_STATE_COMPLETED) {
    ice_connected_ = true;
    ice_timer_.cancel();
    media_at_ = std::chrono::steady_clock::now();  // the media watch starts from here
    if (state_ == State::negotiating) set_state(State::connected);
  } else if (s == GST_WEBRTC_ICE_CONNECTION_STATE_FAILED && peer_) {
    if (ice_connected_ && ticket_) {
      // A call that was up: the path broke. The offerer makes a new peer connection (its answer starts the
      // --ice-timeout); otherwise either side gives up only if ICE is not back within --ice-timeout.
      ice_connected_ = false;
      if (!try_renew_peer("ice-failed")) on_remote_description_set();
      return;
    }
    finish(ExitCode::ice_failed, fmt::format("ICE failed{}; candidate types tried: {}",
                                             options_.relay_only ? " (relay only)" : "",
                                             peer_->candidate_types().describe()));
  }
}

void Client::set_state(State s) {
  if (s == state_ && s != State::connecting) return;
  state_ = s;
  emit("state {}", to_string(s));
}

void Client::finish(ExitCode code, const std::string& reason) {
  if (state_ == State::leaving || state_ == State::done) return;
  exit_code_ = code;
  if (code == ExitCode::ok) spdlog::info("{}", reason);
  else spdlog::error("{}", reason);
  emit("exit {} {}", static_cast<int>(code), to_string(code));
  set_state(State::leaving);
  end_peer();
  if (!ws_open_) return shutdown_now();
  if (joined_) send(msg::Bye{});
  ws_->close();  // bye is written first; on_ws_closed then shuts down
  leave_timer_.expires_after(milliseconds(1500));
  leave_timer_.async_wait([this](auto ec) {
    if (!ec) shutdown_now();
  });
}

void Client::shutdown_now() {
  if (state_ == State::done) return;
  state_ = State::done;
  end_peer();
  if (ws_) ws_->abort();
  boost::system::error_code ec;
  signals_.cancel(ec);
  renew_signal_.cancel(ec);
  stdin_.close(ec);
  for (auto* t : {&retry_timer_, &ice_timer_, &deadline_timer_, &tick_timer_, &leave_timer_, &ack_timer_}) t->cancel();
  io_.stop();
}

}  // namespace sb::client
