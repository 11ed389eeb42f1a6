#include "net/http_server.hpp"

#include <boost/asio/ip/tcp.hpp>
#include <boost/asio/ip/v6_only.hpp>
#include <boost/asio/post.hpp>
#include <boost/asio/steady_timer.hpp>
#include <boost/asio/strand.hpp>
#include <spdlog/spdlog.h>
#include <stdexcept>

#include "net/http_session.hpp"

namespace sb::net {

namespace asio = boost::asio;
using asio::ip::tcp;

// Accept loop. Every accepted socket goes to one of the pool's contexts (each run by one thread).
class Listener : public std::enable_shared_from_this<Listener> {
 public:
  Listener(asio::io_context& ioc, std::shared_ptr<ServerState> state)
      : ioc_(ioc), acceptor_(asio::make_strand(ioc)), retry_(acceptor_.get_executor()), state_(std::move(state)) {}

  tcp::endpoint open(const tcp::endpoint& ep) {
    acceptor_.open(ep.protocol());
    acceptor_.set_option(asio::socket_base::reuse_address(true));
    if (ep.address().is_v6()) acceptor_.set_option(asio::ip::v6_only(true));
    acceptor_.bind(ep);
    acceptor_.listen(asio::socket_base::max_listen_connections);
    return acceptor_.local_endpoint();
  }

  void start() { asio::post(acceptor_.get_executor(), [self = shared_from_this()] { self->do_accept(); }); }

  void stop() {
    asio::post(acceptor_.get_executor(), [self = shared_from_this()] {
      self->stopped_ = true;
      boost::system::error_code ignored;
      self->acceptor_.close(ignored);
      self->retry_.cancel();
    });
  }

 private:
  void do_accept() {
    if (stopped_) return;
    // Each connection goes to the next I/O thread's context (the acceptor's own without a pool).
    auto& ctx = state_->pool != nullptr ? state_->pool->next() : ioc_;
    acceptor_.async_accept(ctx.get_executor(), [self = shared_from_this()](boost::system::error_code ec,
                                                                             Socket socket) {
      self->on_accept(ec, std::move(socket));
    });
  }

  void on_accept(boost::system::error_code ec, Socket socket) {
    if (stopped_ || ec == asio::error::operation_aborted) return;
    if (ec) {
      // Typically EMFILE: back off briefly instead of spinning on a failing accept.
      spdlog::warn("accept: {}", ec.message());
      retry_.expires_after(std::chrono::milliseconds(100));
      retry_.async_wait([self = shared_from_this()](boost::system::error_code e) {
        if (!e) self->do_accept();
      });
      return;
    }
    boost::system::error_code ignored;
    socket.set_option(tcp::no_delay(true), ignored);  // signaling is small, latency-bound messages
    if (auto state = hold_slot(socket)) start_connection(std::move(socket), std::move(state));
    do_accept();
  }

  // One of the client IP's connection slots for this connection, or null (and the socket closed) when it has
  // none left. The slot lives in what the connection's sessions hold anyway: their ServerState pointer is,
  // for this connection, an alias of the shared state that also owns the slot, so the slot is given back
  // when the last session of the connection (HTTP, then WebSocket) lets go of it.
  std::shared_ptr<ServerState> hold_slot(Socket& socket) {
    boost::system::error_code ec;
    const auto remote = socket.remote_endpoint(ec);
    if (ec) return nullptr;
    const util::IpAddress ip = to_ip(remote.address());
    if (!state_->connections_per_ip->try_acquire(ip)) {
      socket.close(ec);  // refused (and counted) rather than queued
      return nullptr;
    }
    struct Hold {
      Hold(std::shared_ptr<ServerState> s, util::IpAddress a) : state(std::move(s)), ip(a) {}
      Hold(const Hold&) = delete;
      Hold& operator=(const Hold&) = delete;
      ~Hold() { state->connections_per_ip->release(ip); }
      std::shared_ptr<ServerState> state;
      util::IpAddress ip;
    };
    auto hold = std::make_shared<Hold>(state_, ip);
    return std::shared_ptr<ServerState>(hold, hold->state.get());
  }

  asio::io_context& ioc_;
  tcp::acceptor acceptor_;
  asio::steady_timer retry_;
  std::shared_ptr<ServerState> state_;
  bool stopped_ = false;  // on the acceptor's strand
};

HttpServer::HttpServer(asio::io_context& ioc, std::shared_ptr<ServerState> state)
    : ioc_(ioc), state_(std::move(state)) {}

HttpServer::~HttpServer() {
  if (listener_) listener_->stop();
}

tcp::endpoint HttpServer::listen(const std::string& host, std::uint16_t port) {
  boost::system::error_code ec;
  auto addr = asio::ip::make_address(host, ec);
  tcp::endpoint ep;
  if (!ec) {
    ep = tcp::endpoint(addr, port);
  } else {
    tcp::resolver resolver(ioc_);
    auto results = resolver.resolve(host, std::to_string(port), ec);
    if (ec || results.empty()) throw std::runtime_error("cannot resolve listen host '" + host + "'");
    ep = results.begin()->endpoint();
  }
  listener_ = std::make_shared<Listener>(ioc_, state_);
  return listener_->open(ep);
}

void HttpServer::start() {
  if (listener_) listener_->start();
}

void HttpServer::shutdown(std::uint16_t code, const std::string& reason) {
  if (listener_) listener_->stop();
  state_->close_all(code, reason);
}

}  // namespace sb::net
