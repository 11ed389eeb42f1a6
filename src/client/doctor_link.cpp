#include "client/doctor_link.hpp"

#include <boost/asio/connect.hpp>
#include <boost/asio/post.hpp>
#include <boost/asio/ssl.hpp>
#include <boost/asio/steady_timer.hpp>
#include <boost/asio/write.hpp>
#include <deque>

#include "stun/framing.hpp"

namespace sb::client::doctor {
namespace {

namespace asio = boost::asio;
using tcp = asio::ip::tcp;
using udp = asio::ip::udp;
using error_code = boost::system::error_code;

constexpr std::size_t kMaxFrame = stun::kMaxMessageSize;

class UdpLink final : public StunLink {
 public:
  explicit UdpLink(asio::io_context& io) : socket_(io) {}
  Kind kind() const override { return Kind::udp; }

  std::string open(const Endpoint& server, const std::string&, Clock::duration) override {
    error_code ec;
    socket_.open(server.protocol(), ec);
    if (!ec) socket_.bind(Endpoint(server.protocol(), 0), ec);
    return ec ? "cannot open a UDP socket: " + ec.message() : "";
  }

  void send(std::vector<std::uint8_t> bytes, const Endpoint& to) override {
    auto b = std::make_shared<std::vector<std::uint8_t>>(std::move(bytes));
    socket_.async_send_to(asio::buffer(*b), to, [b](error_code, std::size_t) {});  // lost like any datagram
  }

  void async_next(Handler h) override {
    socket_.async_receive_from(asio::buffer(buf_), from_, [this, h = std::move(h)](error_code ec, std::size_t n) mutable {
      if (ec) return h(std::nullopt, from_);
      auto m = stun::Message::decode(std::span(buf_.data(), n));
      if (!m) return async_next(std::move(h));  // not STUN: keep listening
      h(std::move(m.value()), from_);
    });
  }

  void cancel() override {
    error_code ec;
    socket_.cancel(ec);
  }

  Endpoint local_endpoint() const override {
    error_code ec;
    return socket_.local_endpoint(ec);
  }

 private:
  udp::socket socket_;
  std::array<std::uint8_t, 4096> buf_{};
  Endpoint from_;
};

// TCP or TLS: `Stream` is tcp::socket or asio::ssl::stream<tcp::socket>.
template <class Stream>
class StreamLink final : public StunLink {
 public:
  static constexpr bool kTls = !std::is_same_v<Stream, tcp::socket>;

  StreamLink(asio::io_context& io, std::shared_ptr<asio::ssl::context> tls) : io_(io), tls_(std::move(tls)), stream_(make(io)) {}
  Kind kind() const override { return kTls ? Kind::tls : Kind::tcp; }

  std::string open(const Endpoint& server, const std::string& server_name, Clock::duration timeout) override {
    server_ = server;
    auto state = std::make_shared<std::optional<error_code>>();
    lowest().async_connect(tcp::endpoint(server.address(), server.port()), [state](error_code ec) { *state = ec; });
    if (!finish(*state, timeout)) return "no TCP connection within the time limit";
    if (**state) return "TCP connection failed: " + (*state)->message();
    if constexpr (kTls) {
      SSL_set_tlsext_host_name(stream_.native_handle(), server_name.c_str());
      stream_.set_verify_callback(asio::ssl::host_name_verification(server_name));
      auto hs = std::make_shared<std::optional<error_code>>();
      stream_.async_handshake(asio::ssl::stream_base::client, [hs](error_code ec) { *hs = ec; });
      if (!finish(*hs, timeout)) return "no TLS handshake within the time limit";
      if (**hs) return "TLS handshake failed: " + (*hs)->message();
    }
    return "";
  }

  void send(std::vector<std::uint8_t> bytes, const Endpoint&) override {
    queue_.push_back(std::move(bytes));
    if (queue_.size() == 1) write_next();
  }

  void async_next(Handler h) override {
    const auto f = stun::next_stream_frame(buffered_, kMaxFrame);
    if (f.kind == stun::FrameKind::kInvalid) return asio::post(io_, [this, h] { h(std::nullopt, server_); });
    if (f.kind != stun::FrameKind::kNeedMore) {
      auto m = f.kind == stun::FrameKind::kStun ? stun::Message::decode(std::span(buffered_.data(), f.size))
                                                 : stun::Result<stun::Message>(stun::Error::kNotStun);
      buffered_.erase(buffered_.begin(), buffered_.begin() + static_cast<std::ptrdiff_t>(f.size));
      if (!m) return async_next(std::move(h));  // ChannelData (never bound) or an odd frame: skip it
      return asio::post(io_, [this, h, msg = std::move(m.value())]() mutable { h(std::move(msg), server_); });
    }
    stream_.async_read_some(asio::buffer(chunk_), [this, h = std::move(h)](error_code ec, std::size_t n) mutable {
      if (ec) return h(std::nullopt, server_);
      buffered_.insert(buffered_.end(), chunk_.begin(), chunk_.begin() + static_cast<std::ptrdiff_t>(n));
      async_next(std::move(h));
    });
  }

  void cancel() override {
    error_code ec;
    lowest().cancel(ec);
  }

  Endpoint local_endpoint() const override {
    error_code ec;
    const auto e = const_cast<StreamLink*>(this)->lowest().local_endpoint(ec);
    return Endpoint(e.address(), e.port());
  }

  ~StreamLink() override {
    error_code ec;
    lowest().close(ec);
  }

 private:
  Stream make(asio::io_context& io) {
    if constexpr (kTls) {
      return Stream(io, *tls_);
    } else {
      return Stream(io);
    }
  }
  tcp::socket& lowest() {
    if constexpr (kTls) {
      return stream_.next_layer();
    } else {
      return stream_;
    }
  }
  // Runs the context until the operation recorded its result or `timeout` passed (then cancels it).
  bool finish(const std::optional<error_code>& result, Clock::duration timeout) {
    if (run_until(io_, [&] { return result.has_value(); }, timeout)) return true;
    cancel();
    run_until(io_, [&] { return result.has_value(); }, std::chrono::seconds(2));
    return false;
  }
  void write_next() {
    asio::async_write(stream_, asio::buffer(queue_.front()), [this](error_code ec, std::size_t) {
      if (ec) {
        queue_.clear();
        return;
      }
      queue_.pop_front();
      if (!queue_.empty()) write_next();
    });
  }

  asio::io_context& io_;
  std::shared_ptr<asio::ssl::context> tls_;  // declared before stream_: the TLS stream refers to it
  Stream stream_;
  Endpoint server_;
  std::vector<std::uint8_t> buffered_;
  std::array<std::uint8_t, 4096> chunk_{};
  std::deque<std::vector<std::uint8_t>> queue_;  // writes in order, one at a time
};

}  // namespace

stun::TransportAddress to_transport(const Endpoint& e) {
  const auto a = e.address();
  if (a.is_v4()) return stun::TransportAddress::v4(a.to_v4().to_uint(), e.port());
  if (a.to_v6().is_v4_mapped()) {
    return stun::TransportAddress::v4(asio::ip::make_address_v4(asio::ip::v4_mapped, a.to_v6()).to_uint(), e.port());
  }
  return stun::TransportAddress::v6(a.to_v6().to_bytes(), e.port());
}

Endpoint to_endpoint(const stun::TransportAddress& a) {
  if (a.is_v4()) {
    const auto ip = a.ip_bytes();
    return Endpoint(asio::ip::address_v4({ip[0], ip[1], ip[2], ip[3]}), a.port);
  }
  return Endpoint(asio::ip::address_v6(a.ip.bytes), a.port);
}

std::unique_ptr<StunLink> make_link(asio::io_context& io, StunLink::Kind kind, std::shared_ptr<asio::ssl::context> tls) {
  switch (kind) {
    case StunLink::Kind::udp: return std::make_unique<UdpLink>(io);
    case StunLink::Kind::tcp: return std::make_unique<StreamLink<tcp::socket>>(io, nullptr);
    case StunLink::Kind::tls: return std::make_unique<StreamLink<asio::ssl::stream<tcp::socket>>>(io, std::move(tls));
  }
  return nullptr;
}

bool run_until(asio::io_context& io, const std::function<bool()>& done, Clock::duration timeout) {
  const auto deadline = Clock::now() + timeout;
  while (!done()) {
    const auto now = Clock::now();
    if (now >= deadline) return false;
    if (io.stopped()) io.restart();
    if (io.run_one_for(deadline - now) == 0 && io.stopped()) return done();  // nothing left that could finish it
  }
  return true;
}

std::optional<stun::Message> next_message(asio::io_context& io, StunLink& link, Clock::duration timeout,
                                          Endpoint* from) {
  struct State {
    bool fired = false;
    std::optional<stun::Message> message;
    Endpoint from;
  };
  auto st = std::make_shared<State>();
  link.async_next([st](std::optional<stun::Message> m, Endpoint f) {
    st->fired = true;
    st->message = std::move(m);
    st->from = f;
  });
  if (!run_until(io, [&] { return st->fired; }, timeout)) {
    link.cancel();
    run_until(io, [&] { return st->fired; }, std::chrono::seconds(2));
    return std::nullopt;
  }
  if (from) *from = st->from;
  return std::move(st->message);
}

std::optional<stun::Message> transact(asio::io_context& io, StunLink& link, const stun::Message& request,
                                      const Endpoint& to, Clock::duration timeout, double* rtt_ms, Endpoint* from) {
  const auto start = Clock::now();
  const auto deadline = start + timeout;
  const bool udp = link.kind() == StunLink::Kind::udp;
  // Retransmission times after the first send (UDP only).
  const std::array<Clock::duration, 2> resend = {std::chrono::milliseconds(500), std::chrono::milliseconds(1500)};
  std::size_t sent = 0;
  auto last_send = start;
  const std::vector<std::uint8_t> bytes(request.bytes().begin(), request.bytes().end());
  link.send(bytes, to);
  for (;;) {
    auto until = deadline;
    if (udp && sent < resend.size()) until = std::min(until, start + resend[sent]);
    const auto now = Clock::now();
    if (now >= deadline) return std::nullopt;
    Endpoint f;
    auto m = next_message(io, link, until - now, &f);
    if (m && m->transaction_id() == request.transaction_id()) {
      if (rtt_ms) *rtt_ms = std::chrono::duration<double, std::milli>(Clock::now() - last_send).count();
      if (from) *from = f;
      return m;
    }
    if (!m && !udp && Clock::now() < until) return std::nullopt;  // the stream failed
    if (udp && sent < resend.size() && Clock::now() >= start + resend[sent]) {
      ++sent;
      last_send = Clock::now();
      link.send(bytes, to);
    }
  }
}

}  // namespace sb::client::doctor
