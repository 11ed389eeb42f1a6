#include "common/ws_client.hpp"

#include <boost/asio/ip/tcp.hpp>
#include <boost/asio/post.hpp>
#include <boost/asio/ssl.hpp>
#include <boost/beast/core.hpp>
#include <boost/beast/ssl.hpp>
#include <boost/beast/websocket.hpp>
#include <boost/beast/websocket/ssl.hpp>
#include <condition_variable>
#include <deque>
#include <functional>
#include <future>
#include <mutex>

namespace sb::itest {

namespace net = boost::asio;
namespace beast = boost::beast;
namespace websocket = beast::websocket;
namespace ssl = net::ssl;
using tcp = net::ip::tcp;
using beast::error_code;

// Shared state of one connection. Fields under `mu` are read by the test thread; the rest belong to the
// IoThread (the only thread that touches the socket).
struct WsClient::Impl : std::enable_shared_from_this<WsClient::Impl> {
  explicit Impl(WsOptions o) : options(std::move(o)) {}
  virtual ~Impl() = default;

  virtual void start_connect(tcp::endpoint ep, std::function<void(std::string)> done) = 0;
  virtual void start_read() = 0;
  virtual void start_write() = 0;
  virtual void start_close(std::uint16_t code, std::function<void()> done) = 0;
  virtual void shutdown() = 0;

  void push_message(std::string text) {
    std::lock_guard lock(mu);
    inbox.push_back(std::move(text));
    cv.notify_all();
  }
  void mark_ended(const error_code& ec, std::optional<websocket::close_reason> reason) {
    std::lock_guard lock(mu);
    if (ended) return;
    ended = true;
    error = ec.message();
    // A close frame may arrive and the TCP teardown after it fail (e.g. a reset), so the reason counts
    // whenever the peer sent one.
    if (reason && (ec == websocket::error::closed || reason->code != websocket::close_code::none)) {
      close_code = static_cast<std::uint16_t>(reason->code);
      close_text = std::string(reason->reason.data(), reason->reason.size());
    }
    cv.notify_all();
  }
  bool is_ended() {
    std::lock_guard lock(mu);
    return ended;
  }
  void fail_outbox() {
    for (auto& [text, done] : outbox) done->set_value(false);
    outbox.clear();
  }

  const WsOptions options;
  mutable std::mutex mu;
  std::condition_variable cv;
  std::deque<std::string> inbox;
  bool ended = false;
  std::optional<std::uint16_t> close_code;
  std::string subprotocol;  // from the handshake answer
  std::string close_text;
  std::string error;

  // IoThread only.
  bool read_pending = false;
  bool draining = false;  // on_demand client waiting for the end: keep reading
  bool writing = false;
  std::deque<std::pair<std::string, std::shared_ptr<std::promise<bool>>>> outbox;
};

namespace {

template <class NextLayer>
class StreamImpl final : public WsClient::Impl {
 public:
  StreamImpl(net::io_context& ioc, WsOptions o, ssl::context* tls) : Impl(std::move(o)), ws_(make(ioc, tls)) {}

  void start_connect(tcp::endpoint ep, std::function<void(std::string)> done) override {
    auto& lowest = beast::get_lowest_layer(ws_);
    error_code ec;
    lowest.socket().open(ep.protocol(), ec);
    if (!ec && options.receive_buffer_bytes > 0) {
      lowest.socket().set_option(net::socket_base::receive_buffer_size(options.receive_buffer_bytes), ec);
    }
    if (ec) return done("socket: " + ec.message());
    lowest.expires_after(options.timeout);
    lowest.async_connect(ep, [self = self(), ep, done](error_code ec) {
      if (ec) return done("connect: " + ec.message());
      self->after_connect(ep, done);
    });
  }

  void start_read() override {
    if (read_pending || is_ended()) return;
    read_pending = true;
    ws_.async_read(buffer_, [self = self()](error_code ec, std::size_t) { self->on_read(ec); });
  }

  void start_write() override {
    if (writing || outbox.empty()) return;
    writing = true;
    // The frame being written leaves the queue, so fail_outbox() never touches it.
    in_flight_ = std::move(outbox.front());
    outbox.pop_front();
    ws_.text(true);
    ws_.async_write(net::buffer(in_flight_.first), [self = self()](error_code ec, std::size_t) {
      self->writing = false;
      auto done = std::move(self->in_flight_.second);
      done->set_value(!ec);
      if (ec) return self->fail_outbox();
      self->start_write();
    });
  }

  void start_close(std::uint16_t code, std::function<void()> done) override {
    if (is_ended() || !ws_.is_open()) return done();
    ws_.async_close(websocket::close_reason(code), [self = self(), done](error_code ec) {
      if (ec) self->mark_ended(ec, std::nullopt);
      done();
    });
  }

  void shutdown() override {
    error_code ignored;
    beast::get_lowest_layer(ws_).socket().close(ignored);
    beast::get_lowest_layer(ws_).cancel();
  }

 private:
  static websocket::stream<NextLayer> make(net::io_context& ioc, ssl::context* tls) {
    if constexpr (std::is_same_v<NextLayer, beast::tcp_stream>) {
      return websocket::stream<NextLayer>(ioc);
    } else {
      return websocket::stream<NextLayer>(ioc, *tls);
    }
  }

  std::shared_ptr<StreamImpl> self() { return std::static_pointer_cast<StreamImpl>(shared_from_this()); }

  void after_connect(tcp::endpoint ep, std::function<void(std::string)> done) {
    if constexpr (std::is_same_v<NextLayer, beast::tcp_stream>) {
      websocket_handshake(ep, done);
    } else {
      ws_.next_layer().async_handshake(ssl::stream_base::client, [self = self(), ep, done](error_code ec) {
        if (ec) return done("tls handshake: " + ec.message());
        self->websocket_handshake(ep, done);
      });
    }
  }

  void websocket_handshake(tcp::endpoint ep, std::function<void(std::string)> done) {
    beast::get_lowest_layer(ws_).expires_never();
    websocket::stream_base::timeout t{};
    t.handshake_timeout = options.timeout;
    t.idle_timeout = websocket::stream_base::none();
    t.keep_alive_pings = false;
    ws_.set_option(t);
    ws_.auto_fragment(false);
    ws_.set_option(websocket::stream_base::decorator([offer = options.subprotocols](websocket::request_type& req) {
      req.set(beast::http::field::user_agent, "signalbox-itest");
      if (!offer.empty()) req.set(beast::http::field::sec_websocket_protocol, offer);
    }));
    std::string host = ep.address().to_string() + ":" + std::to_string(ep.port());
    auto res = std::make_shared<websocket::response_type>();
    ws_.async_handshake(*res, host, options.target, [self = self(), res, done](error_code ec) {
      {
        std::lock_guard lock(self->mu);
        self->subprotocol = std::string((*res)[beast::http::field::sec_websocket_protocol]);
      }
      if (!ec) return done(std::string());
      // A refused upgrade: its status and signalbox's error code say why (e.g. "HTTP 401 token-expired").
      done("websocket handshake: " + ec.message() + " (HTTP " + std::to_string(res->result_int()) + " " +
           std::string((*res)["X-Signalbox-Error"]) + ")");
    });
  }

  void on_read(error_code ec) {
    read_pending = false;
    if (ec) {
      mark_ended(ec, ws_.reason());
      fail_outbox();
      return;
    }
    push_message(beast::buffers_to_string(buffer_.data()));
    buffer_.consume(buffer_.size());
    if (options.read_mode == ReadMode::continuous || draining) start_read();
  }

  websocket::stream<NextLayer> ws_;
  beast::flat_buffer buffer_;
  std::pair<std::string, std::shared_ptr<std::promise<bool>>> in_flight_;
};

// Runs `fn` on the IoThread and waits for it to call its completion, bounded by `timeout`.
template <class T, class Fn>
std::optional<T> run_on(IoThread& io, milliseconds timeout, Fn fn) {
  auto promise = std::make_shared<std::promise<T>>();
  auto future = promise->get_future();
  net::post(io.context(), [promise, fn = std::move(fn)]() mutable {
    fn([promise](T value) { promise->set_value(std::move(value)); });
  });
  if (future.wait_for(timeout) != std::future_status::ready) return std::nullopt;
  return future.get();
}

}  // namespace

WsClient::WsClient(const std::string& host, std::uint16_t port, WsOptions options, std::shared_ptr<IoThread> io)
    : io_(io ? std::move(io) : std::make_shared<IoThread>()), options_(std::move(options)) {
  static ssl::context tls_context = [] {
    ssl::context ctx(ssl::context::tls_client);
    ctx.set_verify_mode(ssl::verify_none);  // test servers use throwaway self-signed certificates
    return ctx;
  }();
  if (options_.tls) {
    impl_ = std::make_shared<StreamImpl<beast::ssl_stream<beast::tcp_stream>>>(io_->context(), options_,
                                                                               &tls_context);
  } else {
    impl_ = std::make_shared<StreamImpl<beast::tcp_stream>>(io_->context(), options_, nullptr);
  }
  tcp::endpoint ep(net::ip::make_address(host), port);
  auto impl = impl_;
  auto err = run_on<std::string>(*io_, options_.timeout + milliseconds(1000), [impl, ep](auto done) {
    impl->start_connect(ep, [impl, done](std::string e) {
      if (e.empty() && impl->options.read_mode == ReadMode::continuous) impl->start_read();
      done(std::move(e));
    });
  });
  if (!err || !err->empty()) {
    std::string what = err ? *err : "timed out";
    throw WsError("ws://" + host + ":" + std::to_string(port) + options_.target + ": " + what);
  }
}

WsClient::~WsClient() {
  auto impl = impl_;
  run_on<bool>(*io_, milliseconds(2000), [impl](auto done) {
    impl->shutdown();
    done(true);
  });
}

bool WsClient::send(std::string_view text) {
  auto promise = std::make_shared<std::promise<bool>>();
  auto future = promise->get_future();
  net::post(io_->context(), [impl = impl_, promise, text = std::string(text)]() mutable {
    if (impl->is_ended()) return promise->set_value(false);
    impl->outbox.emplace_back(std::move(text), promise);
    impl->start_write();
  });
  return future.wait_for(options_.timeout) == std::future_status::ready && future.get();
}

std::optional<std::string> WsClient::receive(milliseconds timeout) {
  {
    std::lock_guard lock(impl_->mu);
    if (!impl_->inbox.empty()) {
      std::string m = std::move(impl_->inbox.front());
      impl_->inbox.pop_front();
      return m;
    }
  }
  if (options_.read_mode == ReadMode::on_demand) {
    net::post(io_->context(), [impl = impl_] { impl->start_read(); });
  }
  std::unique_lock lock(impl_->mu);
  if (!impl_->cv.wait_for(lock, timeout, [&] { return !impl_->inbox.empty() || impl_->ended; })) {
    return std::nullopt;
  }
  if (impl_->inbox.empty()) return std::nullopt;
  std::string m = std::move(impl_->inbox.front());
  impl_->inbox.pop_front();
  return m;
}

std::optional<nlohmann::json> WsClient::receive_json(milliseconds timeout) {
  auto text = receive(timeout);
  if (!text) return std::nullopt;
  auto j = nlohmann::json::parse(*text, nullptr, false);
  if (j.is_discarded()) return nlohmann::json{{"type", "<not json>"}, {"raw", *text}};
  return j;
}

bool WsClient::wait_closed(milliseconds timeout) {
  if (options_.read_mode == ReadMode::on_demand) {
    net::post(io_->context(), [impl = impl_] {
      impl->draining = true;
      impl->start_read();
    });
  }
  std::unique_lock lock(impl_->mu);
  return impl_->cv.wait_for(lock, timeout, [&] { return impl_->ended; });
}

bool WsClient::closed() const {
  std::lock_guard lock(impl_->mu);
  return impl_->ended;
}

std::string WsClient::subprotocol() const {
  std::lock_guard lock(impl_->mu);
  return impl_->subprotocol;
}

std::optional<std::uint16_t> WsClient::close_code() const {
  std::lock_guard lock(impl_->mu);
  return impl_->close_code;
}

std::string WsClient::close_reason() const {
  std::lock_guard lock(impl_->mu);
  return impl_->close_text;
}

std::string WsClient::last_error() const {
  std::lock_guard lock(impl_->mu);
  return impl_->error;
}

void WsClient::close(std::uint16_t code) {
  auto impl = impl_;
  run_on<bool>(*io_, options_.timeout, [impl, code](auto done) {
    impl->start_close(code, [done] { done(true); });
  });
}

}  // namespace sb::itest
