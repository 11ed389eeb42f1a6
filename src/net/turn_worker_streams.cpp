// TurnWorker's TCP/TLS side (RFC 8656 §3.1): accepting with a per-IP cap and a backoff when descriptors
// run out, reading each connection within a per-wake frame budget, and closing connections that never
// finish their TLS handshake, never send a valid request, idle without an allocation, or stall mid-frame.
#include <netinet/in.h>
#include <netinet/tcp.h>
#include <sys/epoll.h>
#include <unistd.h>

#include <cerrno>

#include "net/turn_worker.hpp"
#include "turn/peer_policy.hpp"

namespace sb::net {

const char* to_string(StreamClose r) {
  switch (r) {
    case StreamClose::kHandshakeTimeout: return "tls_handshake_timeout";
    case StreamClose::kFirstRequestTimeout: return "first_request_timeout";
    case StreamClose::kIdleTimeout: return "idle_timeout";
    case StreamClose::kFrameTimeout: return "frame_timeout";
    case StreamClose::kPerIpLimit: return "per_ip_limit";
    case StreamClose::kConnectionLimit: return "connection_limit";
    case StreamClose::kCount: break;
  }
  return "unknown";
}

namespace {

bool out_of_descriptors(int e) { return e == EMFILE || e == ENFILE || e == ENOBUFS || e == ENOMEM; }

}  // namespace

void TurnWorker::on_accept(Listen& l, bool tls) {
  for (int i = 0; i < 64 && !l.paused; ++i) {
    if (!accept_one(l, tls)) return;
  }
}

bool TurnWorker::accept_one(Listen& l, bool tls) {
  sockaddr_storage ss{};
  socklen_t len = sizeof ss;
  const int fd = ::accept4(l.fd, reinterpret_cast<sockaddr*>(&ss), &len, SOCK_NONBLOCK | SOCK_CLOEXEC);
  if (fd < 0) {
    if (out_of_descriptors(errno)) pause_accepting(l);
    return errno == EINTR || errno == ECONNABORTED;  // those: try the next one
  }
  const turn::FiveTuple tuple{from_sockaddr(ss), l.address, tls ? stun::Transport::kTls : stun::Transport::kTcp};
  auto refuse = [&](StreamClose why) {
    net_metrics_.closed[static_cast<std::size_t>(why)]->inc();
    ::close(fd);  // over a limit: refuse rather than queue
    return true;
  };
  if (streams_.size() >= options_.max_connections) return refuse(StreamClose::kConnectionLimit);
  const auto ip = turn::canonical_peer_ip(tuple.client);
  if (options_.connections_per_ip && !options_.connections_per_ip->try_acquire(ip)) {
    return refuse(StreamClose::kPerIpLimit);
  }
  const int one = 1;
  ::setsockopt(fd, IPPROTO_TCP, TCP_NODELAY, &one, sizeof one);
  auto stream = std::make_unique<TurnStream>(fd, tls ? options_.tls_ctx : nullptr, tuple, options_.max_frame,
                                             options_.stream_output_bytes, rfc5766_channels_);
  if (!watch(fd, Kind::kStream, EPOLLIN | EPOLLRDHUP)) {  // the unique_ptr closes fd
    if (options_.connections_per_ip) options_.connections_per_ip->release(ip);
    return true;
  }
  stream_by_tuple_[tuple] = fd;
  StreamSlot& slot = streams_[fd];
  slot.stream = std::move(stream);
  slot.counted = options_.connections_per_ip != nullptr;
  slot.ready = slot.last_valid = now_.mono;
  net_metrics_.connections.set(static_cast<std::int64_t>(streams_.size()));
  return true;
}

// Level-triggered epoll reports a listener with a pending connection on every round; with no descriptor
// to accept it into, that is a busy loop. Stop watching it for a while instead.
void TurnWorker::pause_accepting(Listen& l) {
  epoll_event ev{};
  ev.data.u64 = tag(Kind::kTcpListen, l.fd);
  ::epoll_ctl(epoll_fd_, EPOLL_CTL_MOD, l.fd, &ev);
  l.paused = true;
  accept_resume_ = now_.mono + options_.accept_backoff;
  net_metrics_.accept_backoffs.inc();
}

void TurnWorker::resume_accepting() {
  if (accept_resume_ == util::TimePoint{} || now_.mono < accept_resume_) return;
  accept_resume_ = {};
  for (auto* v : {&tcp_, &tls_}) {
    for (auto& l : *v) {
      if (!l.paused) continue;
      epoll_event ev{};
      ev.events = EPOLLIN;
      ev.data.u64 = tag(v == &tcp_ ? Kind::kTcpListen : Kind::kTlsListen, l.fd);
      ::epoll_ctl(epoll_fd_, EPOLL_CTL_MOD, l.fd, &ev);
      l.paused = false;
    }
  }
}

void TurnWorker::on_stream(int fd, std::uint32_t events) {
  const auto it = streams_.find(fd);
  if (it == streams_.end()) return;
  StreamSlot& slot = it->second;
  auto status = TurnStream::Status::kOpen;
  if (events & (EPOLLIN | EPOLLRDHUP | EPOLLHUP | EPOLLERR)) {
    const bool was_ready = slot.stream->handshake_done();
    slot.frames = 0;
    status = slot.stream->on_readable([&](std::span<const std::uint8_t> f) { return on_stream_frame(slot, f); },
                                      options_.frames_per_wake);
    after_read(slot, was_ready);
    if (slot.stream->has_more() && !slot.pending) {
      slot.pending = true;
      pending_streams_.push_back(fd);
    }
  }
  if (status == TurnStream::Status::kOpen && (events & EPOLLOUT)) status = slot.stream->on_writable();
  if (status == TurnStream::Status::kClosed) {
    close_stream(fd);
    return;
  }
  update_stream_interest(fd, slot);
}

// Connections that had more than their budget get another turn each round, after every socket epoll
// reported (their bytes may sit in the deframer or inside OpenSSL, where epoll does not see them).
void TurnWorker::run_pending_streams() {
  if (pending_streams_.empty()) return;
  pending_now_.swap(pending_streams_);
  for (const int fd : pending_now_) {
    const auto it = streams_.find(fd);
    if (it == streams_.end()) continue;
    it->second.pending = false;
    on_stream(fd, EPOLLIN);
  }
  pending_now_.clear();
}

// What the read did to the connection's clocks: TLS ready, and whether a frame is left half-received.
void TurnWorker::after_read(StreamSlot& slot, bool was_ready) {
  if (!was_ready && slot.stream->handshake_done()) slot.ready = slot.last_valid = now_.mono;
  if (slot.stream->buffered() == 0) {
    slot.frame_since = {};
  } else if (slot.frames > 0 || slot.frame_since == util::TimePoint{}) {
    slot.frame_since = now_.mono;  // a new frame started (or the old one completed and another began)
  }
}

bool TurnWorker::on_stream_frame(StreamSlot& slot, std::span<const std::uint8_t> frame) {
  ++slot.frames;
  const auto& tuple = slot.stream->tuple();
  bool valid = false;
  if (const auto b = answer_binding(frame, tuple, &slot); b != BindingAnswer::kNotBinding) {
    if (b == BindingAnswer::kClose) return false;
    valid = b == BindingAnswer::kAnswered;
  } else {
    const turn::Output o = core_->on_client_packet(tuple, frame, now_, response_);
    if (o.action == turn::Action::kClose && o.client == tuple) return false;
    valid = o.action != turn::Action::kNone || o.drop == turn::DropReason::kNone;
    if (o.action == turn::Action::kToClient && o.client == tuple) {
      slot.stream->send(o.bytes);
    } else {
      deliver(o);  // SendBatch copies, so kToPeer bytes may point into the stream's buffer
    }
  }
  if (valid) {
    slot.valid_seen = true;
    slot.last_valid = now_.mono;
  }
  return true;
}

std::optional<StreamClose> TurnWorker::overdue(const StreamSlot& slot) const {
  const auto now = now_.mono;
  if (!slot.stream->handshake_done()) {
    if (now - slot.ready >= options_.tls_handshake_timeout) return StreamClose::kHandshakeTimeout;
    return std::nullopt;
  }
  if (slot.frame_since != util::TimePoint{} && now - slot.frame_since >= options_.frame_timeout) {
    return StreamClose::kFrameTimeout;
  }
  if (!slot.valid_seen) {
    if (now - slot.ready >= options_.first_request_timeout) return StreamClose::kFirstRequestTimeout;
    return std::nullopt;
  }
  if (now - slot.last_valid < options_.idle_timeout) return std::nullopt;
  if (core_ && core_->has_allocation(slot.stream->tuple(), now)) return std::nullopt;
  return StreamClose::kIdleTimeout;
}

void TurnWorker::expire_streams() {
  for (const auto& [fd, slot] : streams_) {
    if (const auto why = overdue(slot)) overdue_.emplace_back(fd, *why);
  }
  for (const auto& [fd, why] : overdue_) {
    net_metrics_.closed[static_cast<std::size_t>(why)]->inc();  // counted before the client sees it
    close_stream(fd);
  }
  overdue_.clear();
}

void TurnWorker::update_stream_interest(int fd, StreamSlot& slot) {
  const bool want = slot.stream->wants_write();
  if (want == slot.watching_out) return;
  epoll_event ev{};
  ev.events = EPOLLIN | EPOLLRDHUP | (want ? EPOLLOUT : 0u);
  ev.data.u64 = tag(Kind::kStream, fd);
  ::epoll_ctl(epoll_fd_, EPOLL_CTL_MOD, fd, &ev);
  slot.watching_out = want;
}

void TurnWorker::close_stream(int fd) {
  const auto it = streams_.find(fd);
  if (it == streams_.end()) return;
  const turn::FiveTuple tuple = it->second.stream->tuple();
  if (core_) core_->on_client_closed(tuple);  // RFC 8656 §3.1: the allocation ends with its connection
  if (it->second.counted) options_.connections_per_ip->release(turn::canonical_peer_ip(tuple.client));
  stream_by_tuple_.erase(tuple);
  closed_stream_drops_ += it->second.stream->dropped();
  streams_.erase(it);  // closes the fd, which also removes it from the epoll set
  net_metrics_.connections.set(static_cast<std::int64_t>(streams_.size()));
}

}  // namespace sb::net
