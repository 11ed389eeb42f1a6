#include "net/http_session.hpp"

#include <boost/asio/post.hpp>
#include <boost/beast/core.hpp>
#include <boost/beast/core/detect_ssl.hpp>
#include <boost/beast/http.hpp>
#include <boost/beast/websocket/rfc6455.hpp>
#include <optional>
#include <type_traits>
#include <unistd.h>
#include <utility>
#include <spdlog/spdlog.h>

#include "net/ws_session.hpp"

namespace sb::net {
namespace {

namespace asio = boost::asio;
namespace beast = boost::beast;
namespace http = beast::http;

http::response<http::string_body> to_beast(HttpResponse r, const http::request<http::string_body>& req) {
  http::response<http::string_body> res{static_cast<http::status>(r.status), req.version()};
  res.set(http::field::server, "signalbox");
  res.set(http::field::content_type, r.content_type);
  for (auto& [k, v] : r.headers) res.set(k, v);
  res.keep_alive(req.keep_alive());
  res.body() = std::move(r.body);
  res.prepare_payload();
  if (req.method() == http::verb::head) res.body().clear();  // Content-Length stays that of the GET
  return res;
}

// HTTP/1.1 over `Stream` (a plain or a TLS stream). Templates are instantiated only in this file.
template <class Stream>
class HttpSession final : public std::enable_shared_from_this<HttpSession<Stream>> {
 public:
  HttpSession(Stream&& stream, beast::flat_buffer&& buffer, std::shared_ptr<ServerState> state, bool secure)
      : stream_(std::move(stream)), buffer_(std::move(buffer)), state_(std::move(state)), secure_(secure) {}

  void run() { do_read(); }

 private:
  void do_read() {
    parser_.emplace();
    parser_->header_limit(state_->http.max_header_bytes);
    parser_->body_limit(state_->http.max_body_bytes);
    beast::get_lowest_layer(stream_).expires_after(state_->http.request_timeout);
    http::async_read(stream_, buffer_, *parser_,
                     beast::bind_front_handler(&HttpSession::on_read, this->shared_from_this()));
  }

  void on_read(beast::error_code ec, std::size_t) {
    if (ec) {
      if (ec != http::error::end_of_stream && ec != beast::error::timeout) spdlog::debug("http: {}", ec.message());
      return do_shutdown();
    }
    auto req = parser_->release();
    parser_.reset();
    const auto target = req.target();
    const auto* endpoint = beast::websocket::is_upgrade(req)
                               ? state_->ws_endpoint(target.substr(0, target.find('?')))
                               : nullptr;
    if (endpoint != nullptr) {
      const auto remote = remote_ip();
      if (auto refusal = check_upgrade(req, remote)) {  // access control: before any WebSocket exists
        req.keep_alive(false);
        send(std::move(*refusal), req);
        return;
      }
      // The WebSocket takes the stream; this object, its parser and its buffer go away with it.
      if (!move_home(req, *endpoint, remote)) {
        start_ws_session(std::move(stream_), std::move(req), state_, *endpoint, remote);
      }
      return;
    }
    respond(req);
  }

  util::IpAddress remote_ip() {
    beast::error_code ec;
    auto ep = beast::get_lowest_layer(stream_).socket().remote_endpoint(ec);
    return ec ? util::IpAddress{} : to_ip(ep.address());
  }

  std::optional<HttpResponse> check_upgrade(const http::request<http::string_body>& req, util::IpAddress remote) {
    if (!state_->check_upgrade) return std::nullopt;
    const auto field = [&](http::field f) {
      auto it = req.find(f);
      return it == req.end() ? std::string_view() : std::string_view(it->value().data(), it->value().size());
    };
    return state_->check_upgrade(WsUpgrade{std::string_view(req.target().data(), req.target().size()), remote,
                                           field(http::field::user_agent),
                                           field(http::field::sec_websocket_protocol), nullptr});
  }

  void respond(const http::request<http::string_body>& req) {
    HttpRequest hr;
    hr.method = std::string(req.method_string());
    hr.target = std::string(req.target());
    hr.remote = remote_ip();
    hr.secure = secure_;
    hr.authorization = std::string(req[http::field::authorization]);
    hr.body = req.body();
    HttpResponse r;
    if (beast::websocket::is_upgrade(req)) {
      r = HttpResponse{404, "text/plain; charset=utf-8", "WebSocket endpoint is /ws\n", {}};
    } else {
      r = state_->handler->handle(hr);
    }
    send(std::move(r), req);
  }

  void send(HttpResponse r, const http::request<http::string_body>& req) {
    response_.emplace(to_beast(std::move(r), req));
    http::async_write(stream_, *response_,
                      beast::bind_front_handler(&HttpSession::on_write, this->shared_from_this()));
  }

  void on_write(beast::error_code ec, std::size_t) {
    const bool keep_alive = response_ && response_->keep_alive();
    response_.reset();
    if (ec || !keep_alive) return do_shutdown();
    do_read();
  }

  // A plain WebSocket that names its room (`/ws?room=NAME`) moves to the room's home context before its
  // handshake, so the members of a room share an I/O thread. True when it moved (and started there). Nothing
  // moves over TLS (the TLS state is not detached from its stream), or with bytes read past the request.
  bool move_home(http::request<http::string_body>& req, const WsEndpoint& endpoint, util::IpAddress remote) {
    if constexpr (!std::is_same_v<Stream, PlainStream>) {
      return false;
    } else {
      const std::string_view room = room_hint(std::string_view(req.target().data(), req.target().size()));
      if (state_->pool == nullptr || state_->pool->size() < 2 || room.empty() || buffer_.size() != 0) return false;
      auto& home = state_->pool->home(room);
      if (&stream_.get_executor().context() == &home) return false;
      beast::error_code ec;
      const auto protocol = stream_.socket().local_endpoint(ec).protocol();
      if (ec) return false;
      stream_.expires_never();
      const auto fd = stream_.socket().release(ec);
      if (ec) return false;
      Socket moved(home.get_executor());
      moved.assign(protocol, fd, ec);
      if (ec) {
        ::close(fd);
        return true;  // nothing left to serve
      }
      auto start = std::make_shared<std::pair<Socket, http::request<http::string_body>>>(std::move(moved),
                                                                                          std::move(req));
      state_->counters->connections_moved_total.inc();
      asio::post(start->first.get_executor(), [start, state = state_, &endpoint, remote] {
        start_ws_session(PlainStream(std::move(start->first)), std::move(start->second), state, endpoint, remote);
      });
      return true;
    }
  }

  void do_shutdown();

  Stream stream_;
  beast::flat_buffer buffer_;
  std::optional<http::request_parser<http::string_body>> parser_;
  std::optional<http::response<http::string_body>> response_;
  std::shared_ptr<ServerState> state_;
  bool secure_;
};

template <>
void HttpSession<PlainStream>::do_shutdown() {
  beast::error_code ec;
  stream_.socket().shutdown(asio::ip::tcp::socket::shutdown_send, ec);
}

template <>
void HttpSession<TlsStream>::do_shutdown() {
  beast::get_lowest_layer(stream_).expires_after(std::chrono::seconds(5));
  stream_.async_shutdown([self = shared_from_this()](beast::error_code) {});
}

// Peeks at the first bytes to tell a TLS ClientHello from plain HTTP, so one port serves both.
class DetectSession final : public std::enable_shared_from_this<DetectSession> {
 public:
  DetectSession(Socket&& socket, std::shared_ptr<ServerState> state)
      : stream_(std::move(socket)), state_(std::move(state)) {}

  void run() {
    stream_.expires_after(state_->http.request_timeout);
    beast::async_detect_ssl(stream_, buffer_,
                            beast::bind_front_handler(&DetectSession::on_detect, shared_from_this()));
  }

 private:
  void on_detect(beast::error_code ec, bool is_tls) {
    if (ec) return;
    if (!is_tls) {
      std::make_shared<HttpSession<PlainStream>>(std::move(stream_), std::move(buffer_), state_, false)->run();
      return;
    }
    tls_.emplace(std::move(stream_), *state_->tls);
    // The bytes detect_ssl read belong to the handshake.
    tls_->async_handshake(asio::ssl::stream_base::server, buffer_.data(),
                          beast::bind_front_handler(&DetectSession::on_handshake, shared_from_this()));
  }

  void on_handshake(beast::error_code ec, std::size_t used) {
    if (ec) {
      spdlog::debug("tls: handshake failed: {}", ec.message());
      return;
    }
    buffer_.consume(used);
    std::make_shared<HttpSession<TlsStream>>(std::move(*tls_), std::move(buffer_), state_, true)->run();
  }

  PlainStream stream_;
  std::optional<TlsStream> tls_;
  beast::flat_buffer buffer_;
  std::shared_ptr<ServerState> state_;
};

}  // namespace

util::IpAddress to_ip(const asio::ip::address& a) {
  if (a.is_v4()) return util::IpAddress::from_v4(a.to_v4().to_uint());
  auto v6 = a.to_v6();
  if (v6.is_v4_mapped()) return util::IpAddress::from_v4(asio::ip::make_address_v4(asio::ip::v4_mapped, v6).to_uint());
  return util::IpAddress::from_v6(v6.to_bytes());
}

void start_connection(Socket socket, std::shared_ptr<ServerState> state) {
  if (state->tls) {
    std::make_shared<DetectSession>(std::move(socket), std::move(state))->run();
  } else {
    std::make_shared<HttpSession<PlainStream>>(PlainStream(std::move(socket)), beast::flat_buffer{},
                                               std::move(state), false)
        ->run();
  }
}

}  // namespace sb::net
