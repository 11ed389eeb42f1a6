#include "client/ws_connection.hpp"

#include <boost/asio/ip/tcp.hpp>
#include <boost/asio/ssl.hpp>
#include <boost/beast/core.hpp>
#include <boost/beast/ssl.hpp>
#include <boost/beast/websocket.hpp>
#include <boost/beast/websocket/ssl.hpp>
#include <deque>
#include <type_traits>

namespace sb::client {
namespace {

namespace asio = boost::asio;
namespace beast = boost::beast;
namespace websocket = beast::websocket;
using tcp = asio::ip::tcp;
using TlsStream = beast::ssl_stream<beast::tcp_stream>;

// One implementation for both schemes; `Next` is beast::tcp_stream (ws) or TlsStream (wss).
// All members are touched only from the io_context's thread (single-threaded client loop).
template <class Next>
class WsConnectionImpl final : public WsConnection, public std::enable_shared_from_this<WsConnectionImpl<Next>> {
 public:
  static constexpr bool kTls = std::is_same_v<Next, TlsStream>;

  WsConnectionImpl(asio::io_context& io, ServerUrl url, WsSettings settings, Handlers handlers,
                   std::shared_ptr<asio::ssl::context> tls)
      : url_(std::move(url)),
        settings_(settings),
        handlers_(std::move(handlers)),
        tls_(std::move(tls)),
        resolver_(io),
        ws_(make_stream(io)) {}

  void start() override {
    resolver_.async_resolve(url_.host, url_.port, [self = this->shared_from_this()](auto ec, auto results) {
      self->on_resolve(ec, results);
    });
  }

  bool send(std::string text) override {
    if (!open_ || closing_ || queue_.size() >= settings_.max_queue) return false;
    queue_.push_back(std::move(text));
    if (queue_.size() == 1) write_next();
    return true;
  }

  void close() override {
    if (!open_ || closing_) return;
    closing_ = true;
    if (queue_.empty()) send_close();
  }

  void abort() override {
    handlers_ = {};
    open_ = false;
    resolver_.cancel();
    beast::error_code ec;
    beast::get_lowest_layer(ws_).socket().close(ec);
  }

 private:
  websocket::stream<Next> make_stream(asio::io_context& io) {
    if constexpr (kTls) {
      return websocket::stream<Next>(io, *tls_);
    } else {
      return websocket::stream<Next>(io);
    }
  }

  void on_resolve(beast::error_code ec, const tcp::resolver::results_type& results) {
    if (ec) return fail("cannot resolve " + url_.host + ": " + ec.message());
    beast::get_lowest_layer(ws_).expires_after(settings_.connect_timeout);
    beast::get_lowest_layer(ws_).async_connect(
        results, [self = this->shared_from_this()](auto ec2, auto) { self->on_connect(ec2); });
  }

  void on_connect(beast::error_code ec) {
    if (ec) return fail("cannot connect to " + url_.host + ":" + url_.port + ": " + ec.message());
    if constexpr (kTls) {
      // SNI, then RFC 6125 host name check on the certificate.
      if (!SSL_set_tlsext_host_name(ws_.next_layer().native_handle(), url_.host.c_str()))
        return fail("cannot set TLS server name");
      if (settings_.verify_certificate) {
        ws_.next_layer().set_verify_mode(asio::ssl::verify_peer);
        ws_.next_layer().set_verify_callback(asio::ssl::host_name_verification(url_.host));
      }
      ws_.next_layer().async_handshake(asio::ssl::stream_base::client,
                                       [self = this->shared_from_this()](auto ec2) { self->on_tls(ec2); });
    } else {
      on_tls({});
    }
  }

  void on_tls(beast::error_code ec) {
    if (ec) return fail("TLS handshake with " + url_.host + " failed: " + ec.message());
    beast::get_lowest_layer(ws_).expires_never();
    websocket::stream_base::timeout t = websocket::stream_base::timeout::suggested(beast::role_type::client);
    t.handshake_timeout = settings_.connect_timeout;
    // Beast pings at half the idle timeout and gives up when nothing at all came back within it: a half-open
    // connection (the network went away) is noticed within the timeout, not after minutes of TCP retries.
    t.idle_timeout = settings_.idle_timeout;
    t.keep_alive_pings = true;
    ws_.set_option(t);
    ws_.read_message_max(settings_.max_message_bytes);
    ws_.text(true);
    std::string host = url_.host + ":" + url_.port;
    ws_.async_handshake(host, url_.target,
                        [self = this->shared_from_this()](auto ec2) { self->on_handshake(ec2); });
  }

  void on_handshake(beast::error_code ec) {
    if (ec) return fail("WebSocket handshake with " + url_.host + url_.target + " failed: " + ec.message());
    open_ = true;
    if (handlers_.on_open) handlers_.on_open();
    read_next();
  }

  void read_next() {
    ws_.async_read(buffer_, [self = this->shared_from_this()](auto ec, std::size_t) { self->on_read(ec); });
  }

  void on_read(beast::error_code ec) {
    if (ec) {
      std::string why = ec == websocket::error::closed
                            ? "server closed the connection (code " + std::to_string(ws_.reason().code) + ")"
                            : "connection lost: " + ec.message();
      return fail(why);
    }
    std::string text = beast::buffers_to_string(buffer_.data());
    buffer_.consume(buffer_.size());
    if (handlers_.on_text) handlers_.on_text(std::move(text));
    if (open_) read_next();
  }

  void write_next() {
    ws_.async_write(asio::buffer(queue_.front()),
                    [self = this->shared_from_this()](auto ec, std::size_t) { self->on_write(ec); });
  }

  void on_write(beast::error_code ec) {
    if (ec) return fail("write failed: " + ec.message());
    queue_.pop_front();
    if (!queue_.empty()) return write_next();
    if (closing_) send_close();
  }

  void send_close() {
    ws_.async_close(websocket::close_code::normal,
                    [self = this->shared_from_this()](auto) { self->fail("closed by client"); });
  }

  // Reports the end once; later completions (the read loop seeing the close) are ignored.
  void fail(std::string why) {
    open_ = false;
    queue_.clear();
    auto h = std::move(handlers_.on_closed);
    handlers_ = {};
    if (h) h(std::move(why));
  }

  ServerUrl url_;
  WsSettings settings_;
  Handlers handlers_;
  std::shared_ptr<asio::ssl::context> tls_;  // declared before ws_: the stream refers to it
  tcp::resolver resolver_;
  websocket::stream<Next> ws_;
  beast::flat_buffer buffer_;
  std::deque<std::string> queue_;  // bounded by settings_.max_queue
  bool open_ = false;
  bool closing_ = false;
};

}  // namespace

std::shared_ptr<WsConnection> make_ws_connection(asio::io_context& io, const ServerUrl& url,
                                                 const WsSettings& settings, WsConnection::Handlers handlers) {
  if (!url.tls) {
    return std::make_shared<WsConnectionImpl<beast::tcp_stream>>(io, url, settings, std::move(handlers),
                                                                 nullptr);
  }
  auto ctx = std::make_shared<asio::ssl::context>(asio::ssl::context::tls_client);
  ctx->set_default_verify_paths();
  ctx->set_verify_mode(settings.verify_certificate ? asio::ssl::verify_peer : asio::ssl::verify_none);
  return std::make_shared<WsConnectionImpl<TlsStream>>(io, url, settings, std::move(handlers), std::move(ctx));
}

}  // namespace sb::client
