#include "net/turn_worker.hpp"

#include <netinet/in.h>
#include <netinet/tcp.h>
#include <sys/epoll.h>
#include <sys/socket.h>
#include <sys/eventfd.h>
#include <unistd.h>

#include <algorithm>
#include <cerrno>
#include <cstring>
#include <stdexcept>

#include "stun/message.hpp"

namespace sb::net {

namespace {

constexpr int kMaxEvents = 64;
constexpr int kBatchesPerWake = 8;  // recvmmsg rounds per ready socket before giving others a turn
constexpr auto kTickPeriod = std::chrono::milliseconds(500);

// RFC 7983 §7 / RFC 8489 §6: a Binding request is STUN (first two bits 0) with method Binding, class
// request. Everything else on the shared port is TURN.
bool is_binding_request(std::span<const std::uint8_t> b) {
  if (b.size() < stun::kHeaderSize || (b[0] & 0xC0) != 0) return false;
  return stun::MessageType::decode(stun::load_u16(b.data())) == stun::kBindingRequest;
}

}  // namespace

std::uint64_t TurnWorker::tag(Kind kind, int fd) {
  return (static_cast<std::uint64_t>(kind) << 32) | static_cast<std::uint32_t>(fd);
}

// With TURN off the front end keeps the names STUN's own TCP/TLS listeners had (issue 12).
TurnWorker::NetMetrics::NetMetrics(metrics::Registry& r, metrics::Registry& unexported, stun::Metrics* stun_only)
    : allocations((stun_only ? unexported : r).gauge("signalbox_turn_allocations", "Live TURN allocations.")),
      permissions((stun_only ? unexported : r).gauge("signalbox_turn_permissions", "Live TURN permissions.")),
      channels((stun_only ? unexported : r).gauge("signalbox_turn_channels", "Live TURN channel bindings.")),
      connections((stun_only ? unexported : r)
                      .gauge("signalbox_turn_connections", "Open TURN TCP/TLS client connections.")),
      closed((stun_only ? unexported : r)
                 .counter_family<StreamClose, static_cast<std::size_t>(StreamClose::kCount)>(
                     "signalbox_turn_connections_closed_total",
                     "TURN TCP/TLS connections the server closed or refused, by reason.", "reason",
                     [](StreamClose c) { return to_string(c); })),
      accept_backoffs(
          stun_only
              ? r.counter("signalbox_stun_accept_backoffs_total",
                          "Times a STUN TCP/TLS listener paused because accept() found no free descriptor.")
              : r.counter("signalbox_turn_accept_backoffs_total",
                          "Times a TURN TCP/TLS listener paused because accept() found no free descriptor.")),
      send_drops(stun_only ? *stun_only->drops[static_cast<std::size_t>(stun::DropReason::kSendFailed)]
                           : r.counter("signalbox_turn_send_drops_total",
                                       "Packets the kernel refused or a full TCP/TLS output buffer dropped.")) {
  if (!stun_only) return;
  auto& refused = r.counter("signalbox_stun_connections_refused_total",
                            "STUN TCP/TLS connections closed at accept: over the per-IP or the total limit.");
  closed[static_cast<std::size_t>(StreamClose::kPerIpLimit)] = &refused;
  closed[static_cast<std::size_t>(StreamClose::kConnectionLimit)] = &refused;
}

// With TURN off, ChannelData is framed as RFC 8656 has it (0x4000-0x4FFF), as stun::next_stream_frame does.
TurnWorker::TurnWorker(const TurnWorkerOptions& options, turn::TurnShared* shared, const util::Clock& clock,
                       metrics::Registry& registry, std::uint32_t index, std::uint32_t count)
    : options_(options),
      clock_(clock),
      rfc5766_channels_(shared && shared->config().rfc5766_channels),
      stun_metrics_(options.stun ? std::make_optional<stun::Metrics>(registry) : std::nullopt),
      net_metrics_(registry, unexported_, shared || !stun_metrics_ ? nullptr : &*stun_metrics_),
      index_(index),
      response_(4096) {
  if (!shared && !options_.stun) throw std::invalid_argument("front end worker: neither TURN nor STUN to serve");
  if (options_.stun) stun_ = std::make_unique<stun::BindingService>(*options_.stun, *stun_metrics_);
  epoll_fd_ = ::epoll_create1(EPOLL_CLOEXEC);
  wake_fd_ = ::eventfd(0, EFD_NONBLOCK | EFD_CLOEXEC);
  watch(wake_fd_, Kind::kWake, EPOLLIN);
  if (shared) core_ = std::make_unique<turn::TurnCore>(*shared, *this, registry, index_, count);
}

TurnWorker::~TurnWorker() {
  core_.reset();  // closes the relay sockets through close()
  streams_.clear();
  for (auto* v : {&udp_, &tcp_, &tls_}) {
    for (auto& l : *v) ::close(l.fd);
  }
  ::close(wake_fd_);
  ::close(epoll_fd_);
}

bool TurnWorker::watch(int fd, Kind kind, std::uint32_t events) {
  epoll_event ev{};
  ev.events = events;
  ev.data.u64 = tag(kind, fd);
  return ::epoll_ctl(epoll_fd_, EPOLL_CTL_ADD, fd, &ev) == 0;
}

std::string TurnWorker::open_listeners(std::vector<stun::TransportAddress>& addrs, Kind kind,
                                       std::vector<Listen>& out) {
  for (auto& a : addrs) {
    std::string error;
    const int fd = kind == Kind::kUdpListen
                       ? open_udp_socket(a, UdpSocketOptions{.reuse_port = true, .nonblocking = !blocking_udp_}, error)
                       : open_tcp_socket(a, TcpSocketOptions{.reuse_port = true, .nonblocking = true, .listen_backlog = 1024},
                                         error);
    if (fd < 0) return error;
    if (a.port == 0) a.port = bound_address(fd).port;
    out.push_back(Listen{fd, a});
    if (!blocking_udp_) watch(fd, kind, EPOLLIN);
  }
  return {};
}

std::string TurnWorker::open(std::vector<stun::TransportAddress>& udp, std::vector<stun::TransportAddress>& tcp,
                             std::vector<stun::TransportAddress>& tls) {
  if (epoll_fd_ < 0 || wake_fd_ < 0) return std::string("epoll/eventfd: ") + std::strerror(errno);
  blocking_udp_ = !core_ && udp.size() == 1 && tcp.empty() && (tls.empty() || !options_.tls_ctx);
  if (auto e = open_listeners(udp, Kind::kUdpListen, udp_); !e.empty()) return e;
  if (auto e = open_listeners(tcp, Kind::kTcpListen, tcp_); !e.empty()) return e;
  if (options_.tls_ctx) {
    if (auto e = open_listeners(tls, Kind::kTlsListen, tls_); !e.empty()) return e;
  }
  if (blocking_udp_) {
    // Wakes run_blocking_udp() for its tick (and posted tasks) when no datagram comes.
    const timeval timeout{0, static_cast<suseconds_t>(std::chrono::microseconds(kTickPeriod).count())};
    if (::setsockopt(udp_[0].fd, SOL_SOCKET, SO_RCVTIMEO, &timeout, sizeof timeout) != 0) {
      return std::string("SO_RCVTIMEO: ") + std::strerror(errno);
    }
  }
  return {};
}

void TurnWorker::wake() {
  const std::uint64_t one = 1;
  [[maybe_unused]] auto n = ::write(wake_fd_, &one, sizeof one);
}

void TurnWorker::stop() {
  stopping_.store(true);
  wake();
  // A receive blocked on a UDP socket returns at once after a shutdown, even on an unconnected socket.
  if (blocking_udp_) ::shutdown(udp_[0].fd, SHUT_RD);
}

void TurnWorker::post(std::function<void()> task) {
  {
    std::lock_guard lock(posted_mu_);
    posted_.push_back(std::move(task));
  }
  wake();
}

// The next tick, sooner while a listener backs off, at once while connections have frames left.
int TurnWorker::wait_timeout_ms() const {
  if (!pending_streams_.empty()) return 0;
  auto wait = kTickPeriod - (now_.mono - last_tick_);
  if (accept_resume_ != util::TimePoint{}) wait = std::min<util::Duration>(wait, accept_resume_ - now_.mono);
  return static_cast<int>(std::clamp<std::int64_t>(std::chrono::ceil<std::chrono::milliseconds>(wait).count(), 0,
                                                   kTickPeriod.count()));
}

void TurnWorker::run() {
  if (blocking_udp_) return run_blocking_udp();
  epoll_event events[kMaxEvents];
  now_ = turn::Now::from(clock_);
  last_tick_ = now_.mono;
  while (!stopping_.load(std::memory_order_relaxed)) {
    const int n = ::epoll_wait(epoll_fd_, events, kMaxEvents, wait_timeout_ms());
    now_ = turn::Now::from(clock_);
    for (int i = 0; i < n; ++i) handle_event(events[i].data.u64, events[i].events);
    run_pending_streams();
    resume_accepting();
    end_of_round();
    if (now_.mono - last_tick_ >= kTickPeriod) tick();
  }
  run_posted();  // nobody waits forever on a task posted during shutdown
}

void TurnWorker::handle_event(std::uint64_t data, std::uint32_t events) {
  const auto kind = static_cast<Kind>(data >> 32);
  const int fd = static_cast<int>(data & 0xFFFFFFFFu);
  switch (kind) {
    case Kind::kWake: {
      std::uint64_t v = 0;
      [[maybe_unused]] auto r = ::read(wake_fd_, &v, sizeof v);
      run_posted();
      drain_inbox();
      break;
    }
    case Kind::kUdpListen:
      for (const auto& l : udp_) {
        if (l.fd == fd) on_udp_listen(l);
      }
      break;
    case Kind::kTcpListen:
    case Kind::kTlsListen:
      for (auto& l : kind == Kind::kTcpListen ? tcp_ : tls_) {
        if (l.fd == fd) on_accept(l, kind == Kind::kTlsListen);
      }
      break;
    case Kind::kRelay:
      on_relay(fd);
      break;
    case Kind::kStream:
      on_stream(fd, events);
      break;
  }
}

// The loop of a worker whose only socket is one UDP listener (STUN alone): recvmmsg sleeps until a datagram
// comes, the receive timeout (the tick) passes, or stop() shuts the socket down. Nothing else is watched.
void TurnWorker::run_blocking_udp() {
  const Listen& l = udp_[0];
  now_ = turn::Now::from(clock_);
  last_tick_ = now_.mono;
  while (!stopping_.load(std::memory_order_relaxed)) {
    const std::size_t n = client_in_.receive(l.fd, true);
    now_ = turn::Now::from(clock_);
    on_udp_batch(l, n);
    if (now_.mono - last_tick_ >= kTickPeriod) {
      tick();
      run_posted();
    }
  }
  run_posted();
}

void TurnWorker::on_udp_listen(const Listen& l) {
  for (int round = 0; round < kBatchesPerWake; ++round) {
    const std::size_t n = client_in_.receive(l.fd);
    on_udp_batch(l, n);
    if (n < RecvBatch::kBatch) break;
  }
}

void TurnWorker::on_udp_batch(const Listen& l, std::size_t n) {
  for (std::size_t i = 0; i < n; ++i) {
    if (!client_in_.truncated(i)) {
      on_client_datagram(l, client_in_.at(i));
    } else if (!core_) {
      stun_metrics_->drop(stun::DropReason::kTooLarge);  // what STUN alone counts; TURN drops it unseen
    }
  }
  // SendBatch copied every payload, so the next receive may reuse the buffers; sending now keeps
  // latency low without giving up the batch.
  peer_out_.flush();
  client_out_.flush();
}

void TurnWorker::on_client_datagram(const Listen& l, const Datagram& d) {
  const turn::FiveTuple tuple{d.from, l.address, stun::Transport::kUdp};
  if (answer_binding(d.bytes, tuple, nullptr) != BindingAnswer::kNotBinding) return;
  deliver(core_->on_client_packet(tuple, d.bytes, now_, response_));
}

TurnWorker::BindingAnswer TurnWorker::answer_binding(std::span<const std::uint8_t> bytes,
                                                     const turn::FiveTuple& tuple, StreamSlot* stream) {
  if (!stun_ || (core_ && !is_binding_request(bytes))) return BindingAnswer::kNotBinding;
  stun::Reply reply;
  const auto outcome = stun_->handle(stun::Packet{bytes, tuple.client, tuple.server, tuple.transport}, reply);
  switch (outcome.action) {
    case stun::Action::kReply:
      break;
    case stun::Action::kNone:
      return BindingAnswer::kAnswered;
    case stun::Action::kPassOn:
      if (core_) return BindingAnswer::kNotBinding;
      stun_metrics_->drop(stun::DropReason::kUnhandled);  // TURN is off: no answer, as from any STUN server
      return BindingAnswer::kDropped;
    case stun::Action::kDrop: {
      const bool close = !core_ && stream && outcome.reason != stun::DropReason::kUnexpectedClass;
      return close ? BindingAnswer::kClose : BindingAnswer::kDropped;
    }
  }
  if (stream) {
    stream->stream->send(reply.bytes);
    return BindingAnswer::kAnswered;
  }
  // RFC 5780 may ask for the answer from another of our addresses.
  if (const Listen* l = udp_listener(reply.from)) {
    client_out_.push(l->fd, reply.to, reply.bytes);
    return BindingAnswer::kAnswered;
  }
  stun_metrics_->drop(stun::DropReason::kSendFailed);
  return BindingAnswer::kDropped;
}

const TurnWorker::Listen* TurnWorker::udp_listener(const stun::TransportAddress& address) const {
  for (const auto& l : udp_) {
    if (l.address == address) return &l;
  }
  for (const TurnWorker* w : workers_) {
    for (const auto& l : w->udp_) {
      if (l.address == address) return &l;
    }
  }
  return nullptr;
}

void TurnWorker::on_relay(int fd) {
  for (int round = 0; round < kBatchesPerWake; ++round) {
    const std::size_t n = peer_in_.receive(fd);
    for (std::size_t i = 0; i < n; ++i) {
      if (peer_in_.truncated(i)) continue;
      const Datagram d = peer_in_.at(i);
      deliver(core_->on_peer_datagram(static_cast<turn::RelayId>(fd), d.from, peer_in_.buffer(i),
                                      d.bytes.size(), now_.mono));
    }
    client_out_.flush();
    if (n < RecvBatch::kBatch) break;
  }
}

void TurnWorker::deliver(const turn::Output& o) {
  switch (o.action) {
    case turn::Action::kToPeer:
      if (relay_fds_.count(static_cast<int>(o.relay)) != 0) {
        peer_out_.push(static_cast<int>(o.relay), o.peer, o.bytes);
      }
      break;
    case turn::Action::kToClient:
      to_client(o.client, o.bytes);
      break;
    case turn::Action::kToLocalRelay:
      to_local_relay(o);
      break;
    case turn::Action::kClose:
      if (auto it = stream_by_tuple_.find(o.client); it != stream_by_tuple_.end()) close_stream(it->second);
      break;
    case turn::Action::kNone:
      break;
  }
}

// Relay-to-relay: the owner's core takes the datagram as if it had arrived on its relay socket. This
// worker's own allocations are reached at once; another worker's through its inbox.
void TurnWorker::to_local_relay(const turn::Output& o) {
  if (o.shard == index_ || o.shard >= workers_.size()) {
    if (o.shard != index_ || o.bytes.size() > LocalRelayInbox::kMaxPayload) {
      ++local_drops_;
      return;
    }
    std::memcpy(local_.buffer.data() + turn::kPeerHeadroom, o.bytes.data(), o.bytes.size());
    deliver(core_->on_local_relay_datagram(o.relay, o.relay_port, o.peer, local_.span(), o.bytes.size(), now_.mono));
    return;
  }
  TurnWorker& owner = *workers_[o.shard];
  switch (owner.inbox_.push(o)) {
    case LocalRelayInbox::Push::kQueuedWake: owner.wake(); break;
    case LocalRelayInbox::Push::kQueued: break;
    default: ++local_drops_; break;
  }
}

void TurnWorker::drain_inbox() {
  inbox_.drain([this](LocalRelayInbox::Datagram& d) {
    deliver(core_->on_local_relay_datagram(d.relay, d.port, d.from, d.span(), d.size, now_.mono));
  });
}

void TurnWorker::to_client(const turn::FiveTuple& client, std::span<const std::uint8_t> bytes) {
  if (client.transport == stun::Transport::kUdp) {
    for (const auto& l : udp_) {
      if (l.address == client.server) {
        client_out_.push(l.fd, client.client, bytes);
        return;
      }
    }
    return;
  }
  const auto it = stream_by_tuple_.find(client);
  if (it == stream_by_tuple_.end()) return;
  auto& slot = streams_[it->second];
  slot.stream->send(bytes);
  if (!slot.dirty) {
    slot.dirty = true;
    dirty_streams_.push_back(it->second);
  }
}

void TurnWorker::end_of_round() {
  peer_out_.flush();
  client_out_.flush();
  for (const int fd : dirty_streams_) {
    const auto it = streams_.find(fd);
    if (it == streams_.end()) continue;
    it->second.dirty = false;
    if (it->second.stream->on_writable() == TurnStream::Status::kClosed) {
      close_stream(fd);
    } else {
      update_stream_interest(fd, it->second);
    }
  }
  dirty_streams_.clear();
}

// ---- relay sockets (RelayBinder) ----

bool TurnWorker::has_family(turn::Family family) const {
  return family == turn::Family::kIPv4 ? options_.relay_v4.has_value() : options_.relay_v6.has_value();
}

std::optional<turn::RelayEndpoint> TurnWorker::bind(turn::Family family, std::uint16_t port) {
  const bool v4 = family == turn::Family::kIPv4;
  const auto& local = v4 ? options_.relay_v4 : options_.relay_v6;
  if (!local) return std::nullopt;
  stun::TransportAddress addr = *local;
  addr.port = port;
  std::string error;
  const int fd = open_udp_socket(addr, UdpSocketOptions{}, error);
  if (fd < 0) return std::nullopt;
  if (!watch(fd, Kind::kRelay, EPOLLIN)) {
    ::close(fd);
    return std::nullopt;
  }
  relay_fds_[fd] = 1;
  const auto& external = v4 ? options_.external_v4 : options_.external_v6;
  stun::TransportAddress advertised = external ? *external : addr;
  advertised.port = port;
  return turn::RelayEndpoint{static_cast<turn::RelayId>(fd), advertised};
}

void TurnWorker::close(const turn::RelayEndpoint& relay) {
  const int fd = static_cast<int>(relay.id);
  if (relay_fds_.erase(fd) == 0) return;
  ::close(fd);
}

// ---- timers and posted tasks ----

void TurnWorker::tick() {
  last_tick_ = now_.mono;
  if (core_) core_->tick(now_);
  expire_streams();
  if (core_) {
    net_metrics_.allocations.set(static_cast<std::int64_t>(core_->allocation_count()));
    net_metrics_.permissions.set(static_cast<std::int64_t>(core_->permission_count()));
    net_metrics_.channels.set(static_cast<std::int64_t>(core_->channel_count()));
  }
  std::uint64_t dropped = client_out_.dropped() + peer_out_.dropped() + local_drops_ + closed_stream_drops_;
  for (const auto& [fd, slot] : streams_) dropped += slot.stream->dropped();
  net_metrics_.send_drops.inc_single_writer(dropped - send_drops_counted_);  // `dropped` never decreases
  send_drops_counted_ = dropped;
}

void TurnWorker::run_posted() {
  std::vector<std::function<void()>> tasks;
  {
    std::lock_guard lock(posted_mu_);
    tasks.swap(posted_);
  }
  for (auto& t : tasks) t();
}

}  // namespace sb::net
