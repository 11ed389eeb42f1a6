// signalbox-client's state machine: the WebSocket to signalbox, one PeerSession, stdin, timers.
//
// Event loop: one Asio io_context, run by main() on one thread. Everything in this class runs there:
// Beast's completions, timers, signals and stdin are Asio-native, and webrtcbin's callbacks are posted
// to it by PeerSession. Asio was chosen over a GLib main loop because the WebSocket (Boost.Beast) needs an
// io_context anyway, while webrtcbin needs no application main loop (it runs its own threads); one loop
// means one owner thread for all client state, with no locks.
#pragma once

#include <boost/asio/io_context.hpp>
#include <boost/asio/posix/stream_descriptor.hpp>
#include <boost/asio/signal_set.hpp>
#include <boost/asio/steady_timer.hpp>
#include <boost/asio/streambuf.hpp>
#include <chrono>
#include <cstdint>
#include <deque>
#include <memory>
#include <optional>
#include <random>
#include <string>
#include <string_view>
#include <utility>

#include "client/exit_codes.hpp"
#include "client/options.hpp"
#include "client/peer_session.hpp"
#include "client/ws_connection.hpp"
#include "signaling/protocol.hpp"

namespace sb::client {

// connecting → joining → waiting_for_peer ⇄ negotiating → connected → (peer left) waiting_for_peer;
// in a room, a lost signaling connection → reconnecting → (resumed) the state it was in, or joining when the
// resume is refused; any state → leaving → done.
enum class State { connecting, joining, waiting_for_peer, negotiating, connected, reconnecting, leaving, done };
std::string_view to_string(State s);

class Client {
 public:
  Client(boost::asio::io_context& io, ClientOptions options);
  ~Client();
  Client(const Client&) = delete;
  Client& operator=(const Client&) = delete;

  void start();
  ExitCode exit_code() const { return exit_code_; }

 private:
  // Signaling connection.
  void connect();
  void on_ws_open();
  void on_ws_text(const std::string& text);
  void on_ws_closed(const std::string& why);
  void send(const signaling::ClientMessage& m);

  // One handler per server message type (docs/signaling-protocol.md).
  void handle(const signaling::msg::Joined& m);
  void handle(const signaling::msg::PeerJoined& m);
  void handle(const signaling::msg::PeerLeft& m);
  void handle(const signaling::msg::RelayedOffer& m);
  void handle(const signaling::msg::RelayedAnswer& m);
  void handle(const signaling::msg::RelayedCandidate& m);
  void handle(const signaling::msg::Pong& m);
  void handle(const signaling::msg::Error& m);
  void handle(const signaling::msg::Drain& m);
  void handle(const signaling::msg::Resumed& m);
  void handle(const signaling::msg::PeerReconnecting& m);
  void handle(const signaling::msg::PeerResumed& m);

  // Session resume (client_resume.cpp; docs/signaling-protocol.md, "Resume").
  bool in_room() const { return joined_ || ticket_.has_value(); }
  void on_numbered(std::uint64_t seq);
  void send_ack();
  void send_text(const std::string& text);
  void keep_relayed(const std::string& text);
  void lost_connection(const std::string& why);
  void schedule_connect(std::chrono::milliseconds delay);
  void on_resume_refused(const signaling::msg::Error& m);
  void after_resume();
  void watch_media();
  bool try_renew_peer(const char* why);
  void wait_renew_signal();
  std::chrono::milliseconds retry_delay(std::uint32_t attempt) const;

  // The peer connection: one per call, or several in a row when the media path broke (peer_renewal.hpp).
  void start_peer(const std::string& peer_id, bool offerer);
  bool make_peer(bool offerer);
  void renew_peer(bool offerer, std::string_view why);
  void end_peer();
  PeerSession::Events peer_events();
  void on_ice_state(GstWebRTCICEConnectionState s);
  void on_remote_description_set();
  bool from_current_peer(const std::string& from) const;

  // Progress, stats, stdin (client_io.cpp).
  void start_timers();
  void on_tick();
  void print_stats(const StatsSample& s);
  bool goal_met() const;
  std::string goal_progress() const;
  void read_stdin();
  void read_next_line();
  void on_stdin_line(std::string line);

  void set_state(State s);
  void finish(ExitCode code, const std::string& reason);
  void shutdown_now();

  boost::asio::io_context& io_;
  ClientOptions options_;
  signaling::Limits limits_;
  State state_ = State::connecting;
  ExitCode exit_code_ = ExitCode::ok;

  std::shared_ptr<WsConnection> ws_;
  bool ws_open_ = false;
  bool joined_ = false;
  std::uint32_t connect_attempt_ = 0;
  signaling::msg::Joined joined_info_;

  std::shared_ptr<PeerSession> peer_;
  std::shared_ptr<MediaCounters> call_counters_;  // decoded media of the call, across its peer connections
  std::string peer_id_;
  bool offerer_ = false;
  bool ice_connected_ = false;

  // Resume: the ticket of the session, the last numbered message received (and acknowledged), and the
  // relayed messages sent (numbered), to send again what the server had not read when the connection died.
  std::optional<signaling::ResumeTicket> ticket_;
  bool resuming_ = false;
  std::uint64_t last_seq_ = 0;
  std::uint64_t acked_seq_ = 0;
  std::uint64_t sent_count_ = 0;
  std::deque<std::pair<std::uint64_t, std::string>> sent_;
  // Media watch: the offerer makes a new peer connection when nothing was decoded for --media-timeout while
  // connected (or ICE failed), at most kMaxRenewals in a row.
  std::uint64_t media_seen_ = 0;
  std::chrono::steady_clock::time_point media_at_{};
  std::chrono::steady_clock::time_point renewed_at_{};
  unsigned renewals_ = 0;

  boost::asio::signal_set signals_;
  boost::asio::signal_set renew_signal_;  // SIGUSR1: a new peer connection now (the side that offered)
  boost::asio::steady_timer retry_timer_;
  boost::asio::steady_timer ice_timer_;
  boost::asio::steady_timer deadline_timer_;  // --timeout / --duration
  boost::asio::steady_timer tick_timer_;
  boost::asio::steady_timer leave_timer_;     // bounds the goodbye
  boost::asio::steady_timer ack_timer_;       // acknowledges numbered messages within a second
  boost::asio::posix::stream_descriptor stdin_;
  boost::asio::streambuf stdin_buffer_;

  std::uint64_t last_frames_printed_ = 0;
  std::uint64_t last_audio_printed_ = 0;
  unsigned ticks_ = 0;
  std::optional<StatsSample> last_stats_;
  std::chrono::steady_clock::time_point last_stats_at_;
};

}  // namespace sb::client
