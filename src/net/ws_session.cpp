#include "net/ws_session.hpp"

#include <boost/asio/post.hpp>
#include <boost/asio/write.hpp>
#include <boost/beast/websocket.hpp>
#include <boost/beast/websocket/ssl.hpp>
#include <algorithm>
#include <optional>
#include <type_traits>
#include <spdlog/spdlog.h>
#include <vector>

#include "net/ws_buffers.hpp"
#include "ws/frame.hpp"
#include "ws/subprotocol.hpp"

namespace sb::net {
namespace {

namespace asio = boost::asio;
namespace beast = boost::beast;
namespace websocket = beast::websocket;
using signaling::LeaveReason;
using Clock = std::chrono::steady_clock;
using Timer = asio::basic_waitable_timer<Clock, asio::wait_traits<Clock>, Executor>;

// The TCP socket under a stream (the socket itself, or the one under TLS), and its close without ceremony.
Socket& tcp_socket(Socket& s) { return s; }
Socket& tcp_socket(TlsStream& s) { return beast::get_lowest_layer(s).socket(); }
void close_socket(Socket& socket) {
  beast::error_code ignored;
  socket.shutdown(asio::ip::tcp::socket::shutdown_both, ignored);
  socket.close(ignored);
}

// Owns the connection, its framing, its write queue and its wire protocol's session. Beast answers the
// handshake; every frame after it goes through ws::Reader and ws::write_header over the bare stream. Every
// member is touched only on the stream's thread: the router's deliveries (Member) and the shutdown's close
// (Closable) post onto it; the session's own writes (PeerLink) are made there. `Stream` is Socket (plain) or
// TlsStream.
template <class Stream>
class WsSession final : public signaling::PeerLink,
                        public signaling::Member,
                        public Closable,
                        public std::enable_shared_from_this<WsSession<Stream>> {
 public:
  WsSession(Stream&& stream, std::shared_ptr<ServerState> state)
      : stream_(std::move(stream)), timer_(stream_.get_executor()), state_(std::move(state)),
        reader_(state_->ws.max_message_bytes),
        scratch_(&asio::use_service<ReadScratch>(stream_.get_executor().context())) {}

  ~WsSession() override { state_->remove(this); }

  void run(beast::http::request<beast::http::string_body> request, const WsEndpoint& endpoint,
           util::IpAddress remote);

  // signaling::Member
  void deliver(signaling::Event event) override {
    // An event this connection's own session caused (the answer to its join, an undeliverable relay) waits
    // until that session call has returned; anything else is posted.
    if (stream_.get_executor().running_in_this_thread() && in_session_) {  // in_session_ is the thread's
      own_events_.push_back(std::move(event));
      return;
    }
    asio::post(stream_.get_executor(), [self = this->shared_from_this(), ev = std::move(event)]() mutable {
      self->call_session([&](signaling::WireSession& s) { s.on_event(ev); });
    });
  }
  // signaling::PeerLink: called by the session, on the connection's thread.
  void send(std::shared_ptr<const std::string> frame) override { enqueue(std::move(frame), 0); }
  void send_numbered(std::shared_ptr<const std::string> frame, std::uint64_t seq) override {
    enqueue(std::move(frame), seq);
  }
  void close(std::uint16_t code, std::string reason) override { begin_close(code, std::move(reason)); }
  // Closable
  void close_async(std::uint16_t code, std::string reason) override {
    asio::post(stream_.get_executor(), [self = this->shared_from_this(), code, r = std::move(reason)]() mutable {
      self->begin_close(code, std::move(r));
    });
  }

 private:
  using Outgoing = OutgoingFrame;
  static constexpr std::size_t kMaxBatch = 32;  // frames per gathered write

  void on_accept(beast::error_code ec);
  void do_read();
  void on_read(beast::error_code ec, std::size_t bytes);
  void on_readable(beast::error_code ec);
  void parse_bytes(std::span<char> bytes, bool own);
  bool on_frame(const ws::Event& ev);  // false: stop parsing
  template <class F>
  void call_session(F&& f);
  void enqueue(std::shared_ptr<const std::string> frame, std::uint64_t seq);
  void push(ws::Opcode op, std::shared_ptr<const std::string> payload, std::uint64_t seq);
  void do_write();
  void on_write(beast::error_code ec, std::size_t);
  void begin_close(std::uint16_t code, std::string reason);
  // Queues a close frame with `payload` (code and reason, or nothing) and starts the close deadline.
  void queue_close(std::string payload);
  // How the connection is ending, for finish(): lost unless the server closed it or the peer said goodbye.
  bool lost() const { return !(closed_by_us_ || goodbye_); }
  void fail(std::uint16_t code, std::string_view why);
  void arm_timer();
  void on_timer();
  void cut();  // closes the TCP connection without ceremony
  // `lost`: the connection broke without a goodbye (a session that can resume is kept for it).
  void finish(LeaveReason reason, bool lost);
  void drop_queue();
  void read_next();

  const WsOptions& opt() const { return state_->ws; }

  Stream stream_;
  std::unique_ptr<websocket::stream<Stream&>> handshake_;  // Beast answers the upgrade; gone after it
  Timer timer_;                                            // pings, idle timeout, close deadline
  std::shared_ptr<ServerState> state_;
  static constexpr bool kPlain = std::is_same_v<Stream, Socket>;
  ws::Reader reader_;
  ReadScratch* scratch_;  // the context's shared receive buffer (plain connections)
  ReadBuffer rbuf_;       // what this connection must keep: a partial frame, frames held while paused; TLS
  std::size_t want_ = 0;  // bytes the frame being received needs in all (Reader's `need`)
  std::unique_ptr<signaling::WireSession> session_;  // made before the handshake; used once it is done
  bool accepted_ = false;                            // the handshake is done
  bool reading_ = false;                             // a read is in flight
  bool in_session_ = false;                          // inside a call into session_
  bool overflowed_ = false;                          // the send queue overflowed inside a session call
  std::vector<signaling::Event> own_events_;         // see deliver()

  // Send queue: frames wait in queue_; a write takes them (up to kMaxBatch) into inflight_, which nothing
  // touches until it completes, so the buffers it points at stay put. Vectors are smaller than an (always
  // allocated) std::deque when idle.
  std::vector<Outgoing> queue_;
  std::vector<Outgoing> inflight_;
  std::vector<asio::const_buffer> gather_;  // inflight_ as buffers
  std::size_t queued_bytes_ = 0;            // in both
  bool writing_ = false;

  Clock::time_point last_heard_{};
  Clock::time_point next_ping_{};
  Clock::time_point close_deadline_ = Clock::time_point::max();
  // Before admission (with access control): a deadline, a smaller frame limit, one message at a time.
  bool pre_admission_ = false;
  bool read_paused_ = false;  // a join is being decided: the next frame waits
  Clock::time_point admit_by_ = Clock::time_point::max();
  Clock::time_point timer_at_ = Clock::time_point::max();  // what the timer waits for now
  bool closing_ = false;          // a close frame is queued (after the frames before it): ours or our echo
  bool close_sent_ = false;       // ... and written
  bool close_received_ = false;   // the peer's close frame has arrived
  bool closed_by_us_ = false;     // the server began the close: a goodbye
  bool failed_ = false;           // we failed the connection (bad frame): no need to wait for the peer's close
  bool goodbye_ = false;          // the peer's close said goodbye (1000, 1001, none), or it sent a frame too big
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
                          &stream_.get_executor().context()};
  session_ = endpoint.make(upgrade, *this, this->weak_from_this());
  // A client that offers subprotocols fails the handshake unless the answer names one of them (RFC 6455
  // §4.1); the endpoint's own is named, never anything else the client offered (such as a token).
  const bool echo = !endpoint.subprotocol.empty() && ws::offers_subprotocol(upgrade.subprotocols, endpoint.subprotocol);
  if constexpr (std::is_same_v<Stream, TlsStream>) {
    beast::get_lowest_layer(stream_).expires_never();  // the WebSocket keeps its own time
  }
  handshake_ = std::make_unique<websocket::stream<Stream&>>(stream_);
  websocket::stream_base::timeout t{};
  t.handshake_timeout = opt().handshake_timeout;
  t.idle_timeout = websocket::stream_base::none();
  t.keep_alive_pings = false;
  handshake_->set_option(t);
  handshake_->set_option(
      websocket::stream_base::decorator([echo, name = endpoint.subprotocol](websocket::response_type& res) {
        res.set(beast::http::field::server, "signalbox");
        if (echo) res.set(beast::http::field::sec_websocket_protocol, name);
      }));
  handshake_->async_accept(request, beast::bind_front_handler(&WsSession::on_accept, this->shared_from_this()));
}

template <class Stream>
void WsSession<Stream>::on_accept(beast::error_code ec) {
  handshake_.reset();
  if (ec) {
    spdlog::debug("ws: handshake failed: {}", ec.message());
    return;
  }
  state_->add(this, this->weak_from_this());
  auto& counters = *state_->counters;
  counters.connections_total.inc();
  const auto open = counters.connections.add(1);
  accepted_ = true;
  if constexpr (kPlain) {
    beast::error_code ignored;
    stream_.non_blocking(true, ignored);  // read_some after a readiness wait must not block (on_readable)
  }
  last_heard_ = Clock::now();
  next_ping_ = last_heard_ + opt().ping_interval;
  // A protocol that access control does not gate is admitted from the start (wire_session.hpp).
  if (opt().admission_deadline.count() > 0 && session_ && !session_->admitted()) {
    pre_admission_ = true;
    admit_by_ = last_heard_ + opt().admission_deadline;
    reader_.set_max_message(opt().pre_admission_message_bytes);
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

// A plain connection that holds no partial frame waits until its socket is readable and then reads into its
// context's shared buffer; otherwise (a partial frame, or TLS, whose records need a buffer of their own) it
// reads into its own.
template <class Stream>
void WsSession<Stream>::do_read() {
  if (reading_ || finished_ || close_received_ || failed_) return;
  reading_ = true;
  if constexpr (kPlain) {
    if (rbuf_.empty()) {
      stream_.async_wait(Socket::wait_read, beast::bind_front_handler(&WsSession::on_readable, this->shared_from_this()));
      return;
    }
  }
  stream_.async_read_some(rbuf_.space(want_),
                          beast::bind_front_handler(&WsSession::on_read, this->shared_from_this()));
}

template <class Stream>
void WsSession<Stream>::on_readable(beast::error_code ec) {
  std::size_t bytes = 0;
  std::span<char> scratch;
  if constexpr (kPlain) {
    if (!ec) {
      scratch = scratch_->bytes();
      bytes = stream_.read_some(asio::buffer(scratch.data(), scratch.size()), ec);
      if (ec == asio::error::would_block || ec == asio::error::try_again) {
        reading_ = false;
        do_read();
        return;
      }
    }
  }
  reading_ = false;
  if (ec) {
    finish(leave_reason_, lost());
    return;
  }
  last_heard_ = Clock::now();
  parse_bytes(scratch.first(bytes), false);
}

template <class Stream>
void WsSession<Stream>::on_read(beast::error_code ec, std::size_t bytes) {
  reading_ = false;
  if (ec) {
    // A goodbye: a close we began, a frame too big, or the client's close with 1000, 1001 or no code (those
    // end in finish() before this read fails). Anything else (a reset, an end without a close frame) is a
    // lost connection.
    finish(leave_reason_, lost());
    return;
  }
  last_heard_ = Clock::now();  // any frame, control frames included, proves the peer alive
  rbuf_.filled(bytes);
  parse_bytes(rbuf_.bytes(0), true);
}

// Hands every complete frame in `bytes` (the connection's own buffer, or else its context's shared one) to
// on_frame, unless reads are paused (before admission, while a join is decided) or the connection is ending;
// keeps what is left in its own buffer; then reads on.
template <class Stream>
void WsSession<Stream>::parse_bytes(std::span<char> bytes, bool own) {
  std::size_t off = 0;
  while (!finished_ && !read_paused_ && !close_received_ && !failed_) {
    const ws::Event ev = reader_.next(bytes.subspan(off));
    off += ev.consumed;
    if (ev.kind == ws::Event::Kind::need_more) {
      want_ = ev.need > ev.consumed ? ev.need - ev.consumed : 0;  // from the frame's start, which moves to 0
      break;
    }
    if (!on_frame(ev)) break;
  }
  if (own) {
    rbuf_.consume(off);
  } else if (off < bytes.size() && !finished_ && !failed_) {
    rbuf_.append(bytes.subspan(off));  // the shared buffer is the next reader's
  }
  if constexpr (kPlain) rbuf_.release();  // an idle plain connection holds no buffer
  if (!read_paused_) do_read();
}

template <class Stream>
bool WsSession<Stream>::on_frame(const ws::Event& ev) {
  using Kind = ws::Event::Kind;
  switch (ev.kind) {
    case Kind::message:
      // Binary frames are handled like text: the JSON parser rejects anything that is not a UTF-8 object.
      if (closing_) return true;  // after our close, the peer's frames are read only to find its close
      call_session([&](signaling::WireSession& s) { s.on_text(ev.payload); });
      if (pre_admission_) read_next();
      return true;
    case Kind::ping:
      // Answered unless the queue is already at its limit (a ping flood does not grow it).
      if (!closing_ && queue_.size() + inflight_.size() < opt().send_queue_messages) {
        push(ws::Opcode::pong, std::make_shared<const std::string>(ev.payload), 0);
      }
      return true;
    case Kind::pong:
    case Kind::need_more:
      return true;
    case Kind::close: {
      close_received_ = true;
      goodbye_ = ev.code == ws::close_code::normal || ev.code == ws::close_code::going_away ||
                 ev.code == ws::close_code::none;
      if (close_sent_) {  // the answer to ours: the handshake is complete
        finish(leave_reason_, lost());
      } else if (!closing_) {  // echo it (RFC 6455 §5.5.1), then the server closes the TCP connection
        drop_queue();
        queue_close(ev.code == ws::close_code::none ? std::string() : ws::close_payload(ev.code, ""));
      }
      return false;
    }
    case Kind::error:
      fail(ev.code, ev.payload);
      return false;
  }
  return false;
}

// Fails the connection for a bad frame (RFC 6455 §7.1.7): our close with the frame's code, then the TCP close,
// without waiting for the peer's.
template <class Stream>
void WsSession<Stream>::fail(std::uint16_t code, std::string_view why) {
  spdlog::debug("ws: failing the connection ({}): {}", code, why);
  failed_ = true;
  if (code == ws::close_code::too_big) {
    state_->counters->closed_too_big_total.inc();
    goodbye_ = true;  // as the client's own goodbye: it sent what the server said it would refuse
  }
  if (close_sent_) {
    cut();
  } else if (!closing_) {
    drop_queue();
    queue_close(ws::close_payload(code, code == ws::close_code::too_big ? "message too big" : "protocol error"));
  }
}

// Reads the next frame; before admission, only once the join before it has been decided (docs/auth.md: one
// message at a time). Admission lifts the pre-admission limits.
template <class Stream>
void WsSession<Stream>::read_next() {
  if (finished_) return;
  if (pre_admission_ && session_->admitted()) {
    pre_admission_ = false;
    admit_by_ = Clock::time_point::max();
    reader_.set_max_message(opt().max_message_bytes);
  }
  const bool was_paused = read_paused_;
  read_paused_ = pre_admission_ && session_->deciding();
  if (was_paused && !read_paused_) parse_bytes(rbuf_.bytes(0), true);  // frames that came meanwhile, then a read
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
  const std::size_t queued = queue_.size() + inflight_.size();
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
  push(ws::Opcode::text, std::move(frame), seq);
}

template <class Stream>
void WsSession<Stream>::push(ws::Opcode op, std::shared_ptr<const std::string> payload, std::uint64_t seq) {
  Outgoing& out = queue_.emplace_back();
  std::size_t bytes = payload->size();
  if (seq != 0) {
    out.prefix.emplace(seq);
    bytes = out.prefix->view().size() + signaling::after_brace(*payload).size();
  }
  out.op = op;
  out.header_bytes = static_cast<std::uint8_t>(ws::write_header(out.header, op, bytes));
  queued_bytes_ += payload->size();
  out.payload = std::move(payload);
  if (!writing_) do_write();
}

// Writes the queued frames (up to kMaxBatch) with one gathered write.
template <class Stream>
void WsSession<Stream>::do_write() {
  if (queue_.empty()) {
    if (queue_.capacity() > 16) queue_.shrink_to_fit();
    return;
  }
  writing_ = true;
  if (queue_.size() <= kMaxBatch) {
    std::swap(queue_, inflight_);
  } else {
    const auto end = queue_.begin() + kMaxBatch;
    inflight_.assign(std::make_move_iterator(queue_.begin()), std::make_move_iterator(end));
    queue_.erase(queue_.begin(), end);
  }
  gather_.clear();
  for (const Outgoing& out : inflight_) {
    gather_.push_back(asio::buffer(out.header, out.header_bytes));
    if (out.prefix) {
      gather_.push_back(asio::buffer(out.prefix->view()));
      gather_.push_back(asio::buffer(signaling::after_brace(*out.payload)));
    } else if (!out.payload->empty()) {
      gather_.push_back(asio::buffer(*out.payload));
    }
  }
  asio::async_write(stream_, BufferView{gather_.data(), gather_.size()}, beast::bind_front_handler(&WsSession::on_write, this->shared_from_this()));
}

template <class Stream>
void WsSession<Stream>::on_write(beast::error_code ec, std::size_t) {
  writing_ = false;
  bool wrote_close = false;
  for (const Outgoing& out : inflight_) {
    wrote_close = wrote_close || out.op == ws::Opcode::close;
    queued_bytes_ -= out.payload->size();
  }
  inflight_.clear();
  if (inflight_.capacity() > 16) inflight_.shrink_to_fit();
  if (gather_.capacity() > 16) gather_.shrink_to_fit();
  if (ec) {
    drop_queue();
    cut();
    return;
  }
  if (wrote_close) {
    close_sent_ = true;
    // The handshake is complete when the peer's close came first; a failed connection does not wait for it.
    if (close_received_ || failed_) {
      finish(leave_reason_, lost());
      return;
    }
  }
  do_write();
}

template <class Stream>
void WsSession<Stream>::drop_queue() {
  // The frames being written stay (the write still reads from them); the rest go.
  for (const Outgoing& out : queue_) queued_bytes_ -= out.payload->size();
  queue_.clear();
}

template <class Stream>
void WsSession<Stream>::begin_close(std::uint16_t code, std::string reason) {
  if (closing_ || finished_) return;
  closed_by_us_ = true;
  queue_close(ws::close_payload(code, reason));
}

template <class Stream>
void WsSession<Stream>::queue_close(std::string payload) {
  closing_ = true;
  close_deadline_ = Clock::now() + opt().close_timeout;
  arm_timer();
  // Sent after the frames already queued (RFC 6455 §5.5: ws::close_payload keeps a reason to 123 bytes).
  push(ws::Opcode::close, std::make_shared<const std::string>(std::move(payload)), 0);
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
    if (!closing_) push(ws::Opcode::ping, std::make_shared<const std::string>(), 0);
  }
  arm_timer();
}

template <class Stream>
void WsSession<Stream>::cut() {
  close_socket(tcp_socket(stream_));  // a pending read fails → finish()
  if (!reading_ && accepted_) finish(leave_reason_, lost());
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
  close_socket(tcp_socket(stream_));
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
