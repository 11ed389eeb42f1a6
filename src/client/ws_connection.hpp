// The client's WebSocket to signalbox (Boost.Beast, ws:// and wss://). Runs on the client's io_context
// and calls its handlers there, never from another thread.
#pragma once

#include <boost/asio/io_context.hpp>
#include <chrono>
#include <cstddef>
#include <functional>
#include <memory>
#include <string>

#include "client/options.hpp"

namespace sb::client {

struct WsSettings {
  std::chrono::milliseconds connect_timeout{5000};  // resolve + TCP + TLS + WebSocket handshake
  std::chrono::milliseconds idle_timeout{10000};    // nothing heard this long: the connection is dead
  std::size_t max_queue = 256;                      // frames waiting to be written
  std::size_t max_message_bytes = 64 * 1024;        // largest frame read
  bool verify_certificate = true;                   // wss only
};

class WsConnection {
 public:
  struct Handlers {
    std::function<void()> on_open;                     // handshake done
    std::function<void(std::string text)> on_text;     // one text frame
    std::function<void(std::string reason)> on_closed;  // connect failed or connection ended
  };
  virtual ~WsConnection() = default;
  // Resolve, connect, TLS (wss), WebSocket handshake. Then exactly one of on_open / on_closed.
  virtual void start() = 0;
  // Queues a text frame. False (and nothing queued) when the queue is full or the connection is not open.
  virtual bool send(std::string text) = 0;
  // Writes what is queued, then a close frame (1000); on_closed follows.
  virtual void close() = 0;
  // Drops the connection now; no handler is called afterwards.
  virtual void abort() = 0;
};

std::shared_ptr<WsConnection> make_ws_connection(boost::asio::io_context& io, const ServerUrl& url,
                                                 const WsSettings& settings, WsConnection::Handlers handlers);

}  // namespace sb::client
