// A blocking WebSocket test client (Boost.Beast) with bounded waits: every call returns or fails within
// its timeout. Incoming messages are read on an IoThread and queued, so `receive(timeout)` either returns
// the next message or reports a timeout without disturbing the connection.
//
// Reading modes:
//  - ReadMode::continuous: a read is always pending (WebSocket pings are answered, close frames seen).
//  - ReadMode::on_demand: the socket is read only while `receive` wants a message. A client that stops
//    calling `receive` neither answers pings nor drains its socket: a silent or stuck peer.
//
// Thread-safety: one test thread per client; calls must not be made from the IoThread itself.
#pragma once

#include <chrono>
#include <cstdint>
#include <memory>
#include <nlohmann/json.hpp>
#include <optional>
#include <string>
#include <string_view>

#include "common/io_thread.hpp"

namespace sb::itest {

using std::chrono::milliseconds;

enum class ReadMode { continuous, on_demand };

struct WsOptions {
  bool tls = false;  // wss:// without certificate verification (self-signed test servers)
  ReadMode read_mode = ReadMode::continuous;
  std::string target = "/ws";
  int receive_buffer_bytes = 0;  // SO_RCVBUF set before connecting; 0 = kernel default
  milliseconds timeout{5000};    // connect + handshake, each send, close
  std::string subprotocols = {};  // Sec-WebSocket-Protocol to offer; "" = none
};

// Thrown when connecting or the handshake fails.
struct WsError : std::runtime_error {
  using std::runtime_error::runtime_error;
};

class WsClient {
 public:
  // Connects and completes the WebSocket handshake, or throws WsError. With `io` null the client runs its
  // own IoThread; pass a shared one when opening hundreds of clients.
  WsClient(const std::string& host, std::uint16_t port, WsOptions options = {},
           std::shared_ptr<IoThread> io = nullptr);
  ~WsClient();  // closes the socket (no close handshake) and waits for pending handlers
  WsClient(const WsClient&) = delete;
  WsClient& operator=(const WsClient&) = delete;

  // Sends one text frame; false when the connection failed or the send did not finish within the timeout.
  bool send(std::string_view text);
  bool send_json(const nlohmann::json& message) { return send(message.dump()); }

  // The next message, or nullopt when none arrived within `timeout` or the connection closed.
  std::optional<std::string> receive(milliseconds timeout);
  // As receive(), parsed; a message that is not JSON becomes {"type":"<not json>","raw":...}.
  std::optional<nlohmann::json> receive_json(milliseconds timeout);

  // Waits until the connection has ended (close frame or error); true if it did within `timeout`.
  // An on_demand client reads continuously from then on (to reach the close frame); the messages read
  // stay available to receive().
  bool wait_closed(milliseconds timeout);
  bool closed() const;
  // The close code the server sent, once the connection ended with a close frame.
  std::optional<std::uint16_t> close_code() const;
  std::string close_reason() const;
  std::string last_error() const;  // the error that ended the connection, for failure messages
  std::string subprotocol() const;  // Sec-WebSocket-Protocol of the server's handshake answer; "" = none

  // Starts the closing handshake with `code` and waits for it to finish (bounded by the timeout).
  void close(std::uint16_t code = 1000);

  struct Impl;

 private:
  std::shared_ptr<IoThread> io_;
  std::shared_ptr<Impl> impl_;
  WsOptions options_;
};

}  // namespace sb::itest
