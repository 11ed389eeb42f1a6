#include "net/ws_session.hpp"

#include <boost/asio/dispatch.hpp>
#include <boost/asio/post.hpp>
#include <boost/asio/steady_timer.hpp>
#include <boost/beast/core/flat_buffer.hpp>
#include <boost/beast/websocket.hpp>
#include <boost/beast/websocket/ssl.hpp>
#include <algorithm>
#include <array>
#include <optional>
#include <type_traits>
#include <spdlog/spdlog.h>
#include <vector>

namespace sb::net {
namespace {

namespace asio = boost::asio;
namespace beast = boost::beast;
namespace websocket = beast::websocket;
using signaling::LeaveReason;
using Clock = std::chrono::steady_clock;
using Timer = asio::basic_waitable_timer<Clock, asio::wait_traits<Clock>, Strand>;

// Whether a Sec-WebSocket-Protocol list ("a, b") names `name`.
bool offers_subprotocol(std::string_view list, std::string_view name) {
  while (!list.empty()) {
    const auto comma = list.find(',');
    std::string_view item = list.substr(0, comma);
    while (!item.empty() && item.front() == ' ') item.remove_prefix(1);
    while (!item.empty() && item.back() == ' ') item.remove_suffix(1);
    if (item == name) return true;
    if (comma == std::string_view::npos) break;
    list.remove_prefix(comma + 1);
  }
  return false;
}

// The TCP socket under a WebSocket's next layer (the socket itself, or the one under TLS).
Socket& tcp_socket(Socket& s) { return s; }
Socket& tcp_socket(TlsStream& s) { return beast::get_lowest_layer(s).socket(); }

// Owns the WebSocket, its write queue and its wire protocol's session. Every member is touched only on the
// stream's strand: the router's deliveries (Member) and the shutdown's close (Closable) post onto it; the
// session's own writes (PeerLink) are made there. `Stream` is Socket (plain) or TlsStream.
template <class Stream>
class WsSession final : public signaling::PeerLink,
                        public signaling::Member,
                        public Closable,
                        public std::enable_shared_from_this<WsSession<Stream>> {
 public:
  WsSession(Stream&& stream, std::shared_ptr<ServerState> state)
      : ws_(std::move(stream)), timer_(ws_.get_executor()), state_(std::move(state)) {}

  ~WsSession() override { state_->remove(this); }

  void run(beast::http::request<beast::http::string_body> request, const WsEndpoint& endpoint,
           util::IpAddress remote);

  // signaling::Member
  void deliver(signaling::Event event) override {
    // An event this connection's own session caused (the answer to its join, an undeliverable relay) waits
    // until that session call has returned; anything else is posted.
    if (ws_.get_executor().running_in_this_thread() && in_session_) {  // in_session_ is the strand's
      own_events_.push_back(std::move(event));
      return;
    }
    asio::post(ws_.get_executor(), [self = this->shared_from_this(), ev = std::move(event)]() mutable {
      self->call_session([&](signaling::WireSession& s) { s.on_event(ev); });
    });
  }
  // signaling::PeerLink: called by the session, on the strand.
  void send(std::shared_ptr<const std::string> frame) override { enqueue(std::move(frame), 0); }
  void send_numbered(std::shared_ptr<const std::string> frame, std::uint64_t seq) override {
    enqueue(std::move(frame), seq);
  }
  void close(std::uint16_t code, std::string reason) override { begin_close(code, std::move(reason)); }
  // Closable
  void close_async(std::uint16_t code, std::string reason) override {
    asio::post(ws_.get_executor(), [self = this->shared_from_this(), code, r = std::move(reason)]() mutable {
      self->begin_close(code, std::move(r));
    });
  }

 private:
  void on_accept(beast::error_code ec);
  void do_read();
  void on_read(beast::error_code ec, std::size_t bytes);
  template <class F>
  void call_session(F&& f);
  void enqueue(std::shared_ptr<const std::string> frame, std::uint64_t seq);
  void do_write();
  void on_write(beast::error_code ec, std::size_t);
  void begin_close(std::uint16_t code, std::string reason);
  void send_close();
  void arm_timer();
  void on_timer();
  void cut();  // closes the TCP connection without ceremony
  // `lost`: the connection broke without a goodbye (a session that can resume is kept for it).
  void finish(LeaveReason reason, bool lost);
  void drop_queue();
  void read_next();

  const WsOptions& opt() const { return state_->ws; }

  websocket::stream<Stream> ws_;
  static constexpr std::size_t kKeptReadBuffer = 8 * 1024;
  beast::flat_buffer read_buffer_;  // emptied after every message; released when over kKeptReadBuffer
  Timer timer_;                     // pings, idle timeout, close deadline
  std::shared_ptr<ServerState> state_;
  std::unique_ptr<signaling::WireSession> session_;  // made before the handshake; used once it is done
  bool accepted_ = false;                            // the handshake is done
  bool in_session_ = false;                          // inside a call into session_
  bool overflowed_ = false;                          // the send queue overflowed inside a session call
  std::vector<signaling::Event> own_events_;         // see deliver()

  // Send queue: a vector with a moving head is smaller than an (always allocated) std::deque when idle. A
  // frame with a seq (a resumable session's) is written as SeqPrefix + the frame after its brace.
  struct Outgoing {
    std::shared_ptr<const std::string> frame;
    std::uint64_t seq = 0;
  };
  std::vector<Outgoing> queue_;
  std::optional<signaling::SeqPrefix> prefix_;  // of the frame being written
  std::size_t queue_head_ = 0;
  std::size_t queued_bytes_ = 0;
  bool writing_ = false;

  Clock::time_point last_heard_{};
  Clock::time_point next_ping_{};
  Clock::time_point close_deadline_ = Clock::time_point::max();
  // Before admission (with access control): a deadline, a smaller frame limit, one message at a time.
  bool pre_admission_ = false;
  bool read_paused_ = false;  // a join is being decided: the next frame waits
  Clock::time_point admit_by_ = Clock::time_point::max();
  Clock::time_point timer_at_ = Clock::time_point::max();  // what the timer waits for now
  std::optional<websocket::close_reason> pending_close_;  // sent once the queue drains
  bool closing_ = false;
  bool close_sent_ = false;
  bool pinging_ = false;
  bool finished_ = false;
  LeaveReason leave_reason_ = LeaveReason::disconnect;
};

template <class Stream>
void WsSession<Stream>::run(beast::http::request<beast::http::string_body> request, const WsEndpoint& endpoint,
                            util::IpAddress remote) {
  const auto field = [&](beast::http::field f) {
    auto it = request.find(f);
    return it == request.end() ? std::string_view() : std::string_view(it->value().data(), it->value().size());
  };
  const WsUpgrade upgrade{std::string_view(request.target().data(), request.target().size()), remote,
                          field(beast::http::field::user_agent), field(beast::http::field::sec_websocket_protocol),
                          &ws_.get_executor().get_inner_executor().context()};
  session_ = endpoint.make(upgrade, *this, this->weak_from_this());
  // A client that offers subprotocols fails the handshake unless the answer names one of them (RFC 6455
  // §4.1); the endpoint's own is named, never anything else the client offered (such as a token).
  const bool echo = !endpoint.subprotocol.empty() && offers_subprotocol(upgrade.subprotocols, endpoint.subprotocol);
  if constexpr (std::is_same_v<Stream, TlsStream>) {
    beast::get_lowest_layer(ws_).expires_never();  // the WebSocket keeps its own time
  }
  websocket::stream_base::timeout t{};
  t.handshake_timeout = opt().handshake_timeout;
  t.idle_timeout = websocket::stream_base::none();  // our timer does pings and idle detection
  t.keep_alive_pings = false;
  ws_.set_option(t);
  ws_.read_message_max(opt().max_message_bytes);
  ws_.auto_fragment(false);
  ws_.set_option(websocket::stream_base::decorator([echo, name = endpoint.subprotocol](websocket::response_type& res) {
    res.set(beast::http::field::server, "signalbox");
    if (echo) res.set(beast::http::field::sec_websocket_protocol, name);
  }));
  // Any frame, control frames included, proves the peer alive.
  ws_.control_callback([this](websocket::frame_type, beast::string_view) { last_heard_ = Clock::now(); });
  ws_.async_accept(request, beast::bind_front_handler(&WsSession::on_accept, this->shared_from_this()));
}

template <class Stream>
void WsSession<Stream>::on_accept(beast::error_code ec) {
  if (ec) {
    spdlog::debug("ws: handshake failed: {}", ec.message());
    return;
  }
  state_->add(this, this->weak_from_this());
  auto& counters = *state_->counters;
  counters.connections_total.inc();
  const auto open = counters.connections.add(1);
  accepted_ = true;
  last_heard_ = Clock::now();
  next_ping_ = last_heard_ + opt().ping_interval;
  // A protocol that access control does not gate is admitted from the start (wire_session.hpp).
  if (opt().admission_deadline.count() > 0 && session_ && !session_->admitted()) {
    pre_admission_ = true;
    admit_by_ = last_heard_ + opt().admission_deadline;
    ws_.read_message_max(opt().pre_admission_message_bytes);
  }
  call_session([](signaling::WireSession& s) { s.on_open(); });
  do_read();
  arm_timer();
  if (static_cast<std::size_t>(open) > opt().max_connections) {
    counters.count_error(signaling::ErrorCode::server_full);
    enqueue(std::make_shared<const std::string>(signaling::serialize(signaling::ServerMessage{
        signaling::msg::Error{signaling::ErrorCode::server_full, "the server's connection limit is reached", "", ""}})),
            0);
    begin_close(signaling::close_code::try_again_later, "server full");
  }
}

template <class Stream>
void WsSession<Stream>::do_read() {
  ws_.async_read(read_buffer_, beast::bind_front_handler(&WsSession::on_read, this->shared_from_this()));
}

template <class Stream>
void WsSession<Stream>::on_read(beast::error_code ec, std::size_t) {
  if (ec) {
    if (ec == websocket::error::message_too_big) {
      // Beast has already sent close 1009 (RFC 6455 §7.4.1).
      state_->counters->closed_too_big_total.inc();
    }
    // A goodbye: a close we began, a frame too big, or the client's close with 1000, 1001 or no code. Anything
    // else (a reset, an end without a close frame, a client's other code such as 4001) is a lost connection.
    const auto code = ws_.reason().code;
    const bool goodbye = closing_ || ec == websocket::error::message_too_big ||
                         (ec == websocket::error::closed &&
                          (code == websocket::close_code::normal || code == websocket::close_code::going_away ||
                           code == websocket::close_code::none));
    finish(leave_reason_, !goodbye);
    return;
  }
  last_heard_ = Clock::now();
  const auto data = read_buffer_.cdata();
  // Binary frames are handled like text: the JSON parser rejects anything that is not a UTF-8 object.
  call_session([&](signaling::WireSession& s) {
    s.on_text(std::string_view(static_cast<const char*>(data.data()), data.size()));
  });
  read_buffer_.clear();
  // Keep room for a typical SDP, so a busy session does not allocate per message; release anything bigger
  // at once, so a session that once carried a large frame does not keep it while idle.
  if (read_buffer_.capacity() > kKeptReadBuffer) read_buffer_.shrink_to_fit();
  read_next();
}

// Reads the next frame; before admission, only once the join before it has been decided (docs/auth.md: one
// message at a time). Admission lifts the pre-admission limits.
template <class Stream>
void WsSession<Stream>::read_next() {
  if (finished_) return;
  if (pre_admission_ && session_->admitted()) {
    pre_admission_ = false;
    admit_by_ = Clock::time_point::max();
    ws_.read_message_max(opt().max_message_bytes);
  }
  read_paused_ = pre_admission_ && session_->deciding();
  if (!read_paused_) do_read();
}

// Runs one call into the session, then the events that call caused for this same connection, in order; then,
// if a write overflowed the queue meanwhile, tells the session it is dropped (never from inside its own call).
template <class Stream>
template <class F>
void WsSession<Stream>::call_session(F&& f) {
  if (!session_ || !accepted_ || finished_) return;
  in_session_ = true;
  f(*session_);
  for (std::size_t i = 0; i < own_events_.size(); ++i) {
    signaling::Event ev = std::move(own_events_[i]);
    session_->on_event(ev);
  }
  own_events_.clear();
  in_session_ = false;
  // The call may have given the session an earlier deadline of its own (PeerJS: a first held message).
  if (auto d = session_->next_deadline(); d && *d < timer_at_ && !finished_) arm_timer();
  if (overflowed_) {
    overflowed_ = false;
    session_->on_closed(LeaveReason::dropped);  // tell the peers now, not at the TCP close
  }
  if (read_paused_) read_next();  // the event may have decided the join the reads waited for
}

template <class Stream>
void WsSession<Stream>::enqueue(std::shared_ptr<const std::string> frame, std::uint64_t seq) {
  if (closing_ || finished_) return;
  const std::size_t queued = queue_.size() - queue_head_;
  if (queued + 1 > opt().send_queue_messages || queued_bytes_ + frame->size() > opt().send_queue_bytes) {
    // A slow or stuck reader: drop it rather than let it hold memory or block its peers.
    state_->counters->closed_overflow_total.inc();
    leave_reason_ = LeaveReason::dropped;
    if (in_session_) {
      overflowed_ = true;
    } else if (session_) {
      session_->on_closed(LeaveReason::dropped);
    }
    drop_queue();
    begin_close(signaling::close_code::send_queue_overflow, "send queue overflow");
    return;
  }
  queued_bytes_ += frame->size();
  queue_.push_back(Outgoing{std::move(frame), seq});
  if (!writing_) do_write();
}

template <class Stream>
void WsSession<Stream>::do_write() {
  if (queue_head_ == queue_.size()) {
    queue_.clear();
    if (queue_.capacity() > 16) queue_.shrink_to_fit();
    queue_head_ = 0;
    if (pending_close_) send_close();
    return;
  }
  writing_ = true;
  ws_.text(true);
  const Outgoing& out = queue_[queue_head_];
  auto done = beast::bind_front_handler(&WsSession::on_write, this->shared_from_this());
  if (out.seq == 0) {
    ws_.async_write(asio::buffer(*out.frame), std::move(done));
    return;
  }
  // One WebSocket message from two buffers: the shared frame is not copied to number it.
  prefix_.emplace(out.seq);
  const std::array<asio::const_buffer, 2> pieces{asio::buffer(prefix_->view()),
                                                 asio::buffer(signaling::after_brace(*out.frame))};
  ws_.async_write(pieces, std::move(done));
}

template <class Stream>
void WsSession<Stream>::on_write(beast::error_code ec, std::size_t) {
  writing_ = false;
  if (queue_head_ < queue_.size()) {
    queued_bytes_ -= queue_[queue_head_].frame->size();
    queue_[queue_head_].frame.reset();
    ++queue_head_;
  }
  if (ec) {
    drop_queue();
    cut();
    return;
  }
  do_write();
}

template <class Stream>
void WsSession<Stream>::drop_queue() {
  // Keep the frame being written (Beast still reads from it); drop the rest.
  const std::size_t keep = writing_ ? 1 : 0;
  for (std::size_t i = queue_head_ + keep; i < queue_.size(); ++i) queued_bytes_ -= queue_[i].frame->size();
  queue_.resize(queue_head_ + keep);
}

template <class Stream>
void WsSession<Stream>::begin_close(std::uint16_t code, std::string reason) {
  if (closing_ || finished_) return;
  closing_ = true;
  websocket::close_reason cr;
  cr.code = code;
  cr.reason = std::move(reason);  // RFC 6455 §5.5: at most 123 bytes; ours are short literals
  pending_close_ = std::move(cr);
  close_deadline_ = Clock::now() + opt().close_timeout;
  arm_timer();
  if (!writing_) do_write();  // sends the close at once when nothing is queued
}

template <class Stream>
void WsSession<Stream>::send_close() {
  if (close_sent_) return;
  close_sent_ = true;
  auto reason = *pending_close_;
  pending_close_.reset();
  // After the close handshake Beast tears the connection down and the pending read ends; finish() runs there.
  ws_.async_close(reason, [self = this->shared_from_this()](beast::error_code ec) {
    if (ec) self->cut();
  });
}

template <class Stream>
void WsSession<Stream>::arm_timer() {
  if (finished_) return;
  auto next = std::min(next_ping_, last_heard_ + opt().idle_timeout);
  next = std::min({next, close_deadline_, admit_by_});
  if (session_ && accepted_) {
    if (auto d = session_->next_deadline()) next = std::min(next, *d);
  }
  timer_at_ = next;
  timer_.expires_at(next);
  timer_.async_wait([self = this->shared_from_this()](beast::error_code ec) {
    if (!ec) self->on_timer();
  });
}

template <class Stream>
void WsSession<Stream>::on_timer() {
  if (finished_) return;
  const auto now = Clock::now();
  if (now >= close_deadline_) {
    cut();
    return;
  }
  if (!closing_ && now >= admit_by_) {
    admit_by_ = Clock::time_point::max();
    call_session([](signaling::WireSession& s) { s.on_admission_deadline(); });  // refuses and closes
  }
  if (!closing_ && now >= last_heard_ + opt().idle_timeout) {
    state_->counters->closed_timeout_total.inc();
    leave_reason_ = LeaveReason::timeout;
    cut();  // a silent peer would not finish a close handshake either
    return;
  }
  if (auto d = session_ && accepted_ ? session_->next_deadline() : std::nullopt; d && now >= *d) {
    call_session([&](signaling::WireSession& s) { s.on_timer(now); });
    if (finished_) return;
  }
  if (now >= next_ping_) {
    next_ping_ = now + opt().ping_interval;
    if (!pinging_ && !closing_) {
      pinging_ = true;
      ws_.async_ping({}, [self = this->shared_from_this()](beast::error_code) { self->pinging_ = false; });
    }
  }
  arm_timer();
}

template <class Stream>
void WsSession<Stream>::cut() {
  beast::error_code ignored;
  auto& socket = tcp_socket(ws_.next_layer());
  socket.shutdown(asio::ip::tcp::socket::shutdown_both, ignored);
  socket.close(ignored);  // the pending read fails → finish()
}

template <class Stream>
void WsSession<Stream>::finish(LeaveReason reason, bool lost) {
  if (finished_) return;
  finished_ = true;
  if (session_ && accepted_) {
    if (lost) {
      session_->on_lost(reason);
    } else {
      session_->on_closed(reason);
    }
    state_->counters->connections.sub(1);
  }
  timer_.cancel();
  drop_queue();
  state_->remove(this);
  if (!close_sent_) cut();
}

}  // namespace

void start_ws_session(PlainStream&& stream, beast::http::request<beast::http::string_body> request,
                      std::shared_ptr<ServerState> state, const WsEndpoint& endpoint, util::IpAddress remote) {
  stream.expires_never();
  std::make_shared<WsSession<Socket>>(stream.release_socket(), std::move(state))
      ->run(std::move(request), endpoint, remote);
}

void start_ws_session(TlsStream&& stream, beast::http::request<beast::http::string_body> request,
                      std::shared_ptr<ServerState> state, const WsEndpoint& endpoint, util::IpAddress remote) {
  std::make_shared<WsSession<TlsStream>>(std::move(stream), std::move(state))
      ->run(std::move(request), endpoint, remote);
}

}  // namespace sb::net
