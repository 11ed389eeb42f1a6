#include "net/stun_tcp.hpp"

#include <boost/asio/ip/tcp.hpp>
#include <boost/asio/ip/v6_only.hpp>
#include <boost/asio/read.hpp>
#include <boost/asio/ssl/stream.hpp>
#include <boost/asio/steady_timer.hpp>
#include <boost/asio/write.hpp>

#include <cstring>
#include <future>
#include <stdexcept>

#include "stun/framing.hpp"
#include "util/per_ip.hpp"

namespace sb::net {

namespace asio = boost::asio;
using tcp = asio::ip::tcp;

namespace {

tcp::endpoint to_endpoint(const stun::TransportAddress& a) {
  const auto ip = a.ip_bytes();
  if (a.is_v4()) return {asio::ip::address_v4({ip[0], ip[1], ip[2], ip[3]}), a.port};
  return {asio::ip::address_v6(a.ip.bytes), a.port};
}

stun::TransportAddress from_endpoint(const tcp::endpoint& e) {
  auto addr = e.address();
  if (addr.is_v6() && addr.to_v6().is_v4_mapped()) addr = asio::ip::make_address_v4(asio::ip::v4_mapped, addr.to_v6());
  if (addr.is_v4()) return stun::TransportAddress::v4(addr.to_v4().to_uint(), e.port());
  const auto b = addr.to_v6().to_bytes();
  std::array<std::uint8_t, 16> ip{};
  std::copy(b.begin(), b.end(), ip.begin());
  return stun::TransportAddress::v6(ip, e.port());
}

}  // namespace

namespace {
struct Closable {
  virtual ~Closable() = default;
  virtual void close() = 0;
};
}  // namespace

util::IpAddress to_ip(const tcp::endpoint& e) {
  return from_endpoint(e).ip;
}

struct StunStreamServer::Shared {
  Shared(const stun::ServiceConfig& cfg, const StunStreamOptions& o, std::atomic<std::size_t>& c,
         sb::metrics::Registry& r)
      : metrics(r),
        service(cfg, metrics),
        options(o),
        connections(c),
        per_ip(o.connections_per_ip),
        refused(r.counter("signalbox_stun_connections_refused_total",
                          "STUN TCP/TLS connections closed at accept: over the per-IP or the total limit.")),
        backoffs(r.counter("signalbox_stun_accept_backoffs_total",
                           "Times a STUN TCP/TLS listener paused because accept() found no free descriptor.")) {}
  stun::Metrics metrics;
  stun::BindingService service;
  const StunStreamOptions& options;
  std::atomic<std::size_t>& connections;
  // Each acceptor with the timer it waits on when accept() finds no free descriptor. The timer is made up
  // front: a process out of descriptors may be out of memory too (ENOBUFS, ENOMEM).
  struct Listener {
    Listener(tcp::acceptor a, bool t) : acceptor(std::move(a)), backoff(acceptor.get_executor()), tls(t) {}
    tcp::acceptor acceptor;
    asio::steady_timer backoff;
    bool tls;
  };
  std::vector<std::unique_ptr<Listener>> listeners;
  std::vector<std::weak_ptr<Closable>> sessions;  // to close them on stop(); pruned on accept
  util::PerIpCounter per_ip;
  sb::metrics::Counter& refused;   // at accept: over max_connections or connections_per_ip
  sb::metrics::Counter& backoffs;  // accept() found no free descriptor
  bool stopping = false;
};

namespace {

// One connection. Stream is tcp::socket or asio::ssl::stream<tcp::socket>.
template <class Stream>
class Session final : public Closable, public std::enable_shared_from_this<Session<Stream>> {
 public:
  Session(Stream stream, std::shared_ptr<StunStreamServer::Shared> shared, stun::Transport transport,
          util::IpAddress ip)
      : stream_(std::move(stream)),
        shared_(std::move(shared)),
        timer_(stream_.get_executor()),
        transport_(transport),
        ip_(ip),
        in_(shared_->options.max_frame) {
    shared_->connections.fetch_add(1, std::memory_order_relaxed);
  }
  ~Session() override {
    shared_->connections.fetch_sub(1, std::memory_order_relaxed);
    shared_->per_ip.release(ip_);
  }

  void start(const stun::TransportAddress& peer, const stun::TransportAddress& local) {
    peer_ = peer;
    local_ = local;
    if constexpr (std::is_same_v<Stream, tcp::socket>) {
      arm_timer(shared_->options.first_request_timeout);
      read();
    } else {
      arm_timer(shared_->options.handshake_timeout);
      stream_.async_handshake(asio::ssl::stream_base::server,
                              [self = this->shared_from_this()](const boost::system::error_code& ec) {
                                if (ec) return self->close();
                                self->arm_timer(self->shared_->options.first_request_timeout);
                                self->read();
                              });
    }
  }

  void close() override {
    timer_.cancel();
    boost::system::error_code ignored;
    lowest().shutdown(tcp::socket::shutdown_both, ignored);
    lowest().close(ignored);
  }

 private:
  tcp::socket& lowest() {
    if constexpr (std::is_same_v<Stream, tcp::socket>) {
      return stream_;
    } else {
      return stream_.next_layer();
    }
  }

  // Only complete requests push the deadline back: bytes trickled into a frame that never completes do not.
  void arm_timer(std::chrono::milliseconds after) {
    timer_.expires_after(after);
    timer_.async_wait([weak = this->weak_from_this()](const boost::system::error_code& ec) {
      if (ec) return;
      if (auto self = weak.lock()) self->close();
    });
  }

  void read() {
    stream_.async_read_some(asio::buffer(in_.data() + used_, in_.size() - used_),
                            [self = this->shared_from_this()](const boost::system::error_code& ec, std::size_t n) {
                              if (ec) return self->close();
                              self->used_ += n;
                              self->on_data();
                            });
  }

  // Answers every complete frame in the buffer, then writes the answers (or reads on when there are none).
  void on_data() {
    std::size_t pos = 0;
    out_.clear();
    while (true) {
      const auto frame = stun::next_stream_frame({in_.data() + pos, used_ - pos}, shared_->options.max_frame);
      if (frame.kind == stun::FrameKind::kNeedMore) break;
      if (frame.kind == stun::FrameKind::kInvalid) {
        shared_->metrics.drop(stun::DropReason::kMalformed);
        return close();
      }
      if (!answer({in_.data() + pos, frame.size}, frame.kind)) return close();
      pos += frame.size;
      arm_timer(shared_->options.idle_timeout);
    }
    std::memmove(in_.data(), in_.data() + pos, used_ - pos);
    used_ -= pos;
    if (out_.empty()) return read();
    asio::async_write(stream_, asio::buffer(out_),
                      [self = this->shared_from_this()](const boost::system::error_code& ec, std::size_t) {
                        if (ec) return self->close();
                        self->read();
                      });
  }

  // False when the connection must close (RFC 8489 §6.3: a malformed message on a stream).
  bool answer(std::span<const std::uint8_t> frame, stun::FrameKind kind) {
    if (kind == stun::FrameKind::kChannelData) {
      shared_->metrics.drop(stun::DropReason::kUnhandled);
      return true;
    }
    stun::Reply reply;
    const auto o = shared_->service.handle(stun::Packet{frame, peer_, local_, transport_}, reply);
    if (o.action == stun::Action::kReply) out_.insert(out_.end(), reply.bytes.begin(), reply.bytes.end());
    if (o.action == stun::Action::kPassOn) shared_->metrics.drop(stun::DropReason::kUnhandled);
    return !(o.action == stun::Action::kDrop && o.reason != stun::DropReason::kUnexpectedClass);
  }

  Stream stream_;
  std::shared_ptr<StunStreamServer::Shared> shared_;
  asio::steady_timer timer_;
  stun::Transport transport_;
  util::IpAddress ip_;  // holds one of per_ip's counts
  stun::TransportAddress peer_, local_;
  std::vector<std::uint8_t> in_;
  std::size_t used_ = 0;
  std::vector<std::uint8_t> out_;
};

using Listener = StunStreamServer::Shared::Listener;
void accept_loop(Listener& listener, std::shared_ptr<StunStreamServer::Shared> shared);

void on_accept(tcp::acceptor& acceptor, std::shared_ptr<StunStreamServer::Shared> shared, bool tls,
               tcp::socket socket) {
  boost::system::error_code ec;
  const auto peer = socket.remote_endpoint(ec);
  const auto local = socket.local_endpoint(ec);
  if (ec) return;  // the socket closes
  const util::IpAddress ip = to_ip(peer);
  if (shared->connections.load() >= shared->options.max_connections || !shared->per_ip.try_acquire(ip)) {
    shared->refused.inc();
    return;
  }
  std::erase_if(shared->sessions, [](const std::weak_ptr<Closable>& w) { return w.expired(); });
  if (tls) {
    using S = Session<asio::ssl::stream<tcp::socket>>;
    auto s = std::make_shared<S>(asio::ssl::stream<tcp::socket>(std::move(socket), *shared->options.tls), shared,
                                 stun::Transport::kTls, ip);
    shared->sessions.push_back(s);
    s->start(from_endpoint(peer), from_endpoint(local));
  } else {
    auto s = std::make_shared<Session<tcp::socket>>(std::move(socket), shared, stun::Transport::kTcp, ip);
    shared->sessions.push_back(s);
    s->start(from_endpoint(peer), from_endpoint(local));
  }
  (void)acceptor;
}

void accept_loop(Listener& listener, std::shared_ptr<StunStreamServer::Shared> shared) {
  listener.acceptor.async_accept([&listener, shared](const boost::system::error_code& ec, tcp::socket socket) {
    if (shared->stopping) return;
    if (!ec) on_accept(listener.acceptor, shared, listener.tls, std::move(socket));
    const bool out_of_descriptors = ec == asio::error::no_descriptors || ec == asio::error::no_buffer_space ||
                                    ec == asio::error::no_memory || ec.value() == ENFILE;
    if (!out_of_descriptors) return accept_loop(listener, shared);
    // Accepting again at once would fail again at once: wait for descriptors to come back.
    shared->backoffs.inc();
    listener.backoff.expires_after(shared->options.accept_backoff);
    listener.backoff.async_wait([&listener, shared](const boost::system::error_code&) {
      if (!shared->stopping) accept_loop(listener, shared);
    });
  });
}

tcp::acceptor open_acceptor(asio::io_context& io, const stun::TransportAddress& a) {
  const auto ep = to_endpoint(a);
  tcp::acceptor acc(io);
  boost::system::error_code ec;
  acc.open(ep.protocol(), ec);
  if (!ec && ep.address().is_v6()) acc.set_option(asio::ip::v6_only(true), ec);
  if (!ec) acc.set_option(tcp::acceptor::reuse_address(true), ec);
  if (!ec) acc.bind(ep, ec);
  if (!ec) acc.listen(asio::socket_base::max_listen_connections, ec);
  if (ec) throw std::runtime_error("listen tcp " + a.to_string() + ": " + ec.message());
  return acc;
}

}  // namespace

std::string StunStreamOptions::validate() const {
  std::string errs;
  if (max_frame < 20 || max_frame > stun::kMaxMessageSize) errs += "stun stream max frame must be 20..65555\n";
  if (max_connections == 0) errs += "stun stream max connections must be at least 1\n";
  if (idle_timeout.count() <= 0 || handshake_timeout.count() <= 0 || first_request_timeout.count() <= 0) {
    errs += "stun stream timeouts must be positive\n";
  }
  return errs;
}

StunStreamServer::StunStreamServer(StunStreamOptions options, stun::ServiceConfig service,
                                   metrics::Registry& registry)
    : options_(std::move(options)) {
  if (const std::string e = options_.validate() + service.validate(); !e.empty()) throw std::runtime_error(e);
  shared_ = std::make_shared<Shared>(service, options_, connections_, registry);
  for (const auto& a : options_.tcp_listen) {
    auto& l = shared_->listeners.emplace_back(std::make_unique<Listener>(open_acceptor(io_, a), false));
    bound_tcp_.push_back(from_endpoint(l->acceptor.local_endpoint()));
    accept_loop(*l, shared_);
  }
  if (!options_.tls) return;
  for (const auto& a : options_.tls_listen) {
    auto& l = shared_->listeners.emplace_back(std::make_unique<Listener>(open_acceptor(io_, a), true));
    bound_tls_.push_back(from_endpoint(l->acceptor.local_endpoint()));
    accept_loop(*l, shared_);
  }
}

StunStreamServer::~StunStreamServer() { stop(); }

void StunStreamServer::start() {
  if (thread_.joinable()) return;
  thread_ = std::thread([this] { io_.run(); });
}

void StunStreamServer::request_stop() {
  if (stop_requested_.exchange(true)) return;
  // Closing the sockets makes pending operations complete with errors; the sessions then go away.
  asio::post(io_, [shared = shared_, closed = closed_] {
    shared->stopping = true;
    for (auto& l : shared->listeners) {
      boost::system::error_code ignored;
      l->acceptor.close(ignored);
      l->backoff.cancel();
    }
    for (auto& w : shared->sessions) {
      if (auto s = w.lock()) s->close();
    }
    closed->set_value();
  });
}

void StunStreamServer::stop() {
  request_stop();
  if (!thread_.joinable()) return;
  closed_->get_future().wait_for(std::chrono::seconds(2));  // io_.stop() bounds a slow peer
  io_.stop();
  thread_.join();
}

}  // namespace sb::net
