// The HTTP + WebSocket server on one port: a listener that accepts TCP connections, each on one I/O thread's context,
// and hands them to http_session / ws_session. Plain and TLS on the same port when a TLS context is set.
#pragma once

#include <boost/asio/io_context.hpp>
#include <boost/asio/ip/tcp.hpp>
#include <memory>
#include <string>

#include "net/server_state.hpp"

namespace sb::net {

class Listener;

class HttpServer {
 public:
  HttpServer(boost::asio::io_context& ioc, std::shared_ptr<ServerState> state);
  ~HttpServer();

  // Binds and listens on host:port (host may be a name; port 0 picks a free port). Returns the bound
  // endpoint. Throws std::system_error (e.g. address in use) or std::runtime_error (unresolvable host).
  boost::asio::ip::tcp::endpoint listen(const std::string& host, std::uint16_t port);
  void start();  // begins accepting
  // Stops accepting and closes every WebSocket with `code` (1001 at shutdown). Thread-safe.
  void shutdown(std::uint16_t code, const std::string& reason);
  std::size_t websocket_count() const { return state_->session_count(); }
  const std::shared_ptr<ServerState>& state() const { return state_; }

 private:
  boost::asio::io_context& ioc_;
  std::shared_ptr<ServerState> state_;
  std::shared_ptr<Listener> listener_;
};

}  // namespace sb::net
