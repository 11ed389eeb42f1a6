// One accepted TCP connection before it becomes a WebSocket: TLS detection (when TLS is configured),
// then HTTP/1.1 requests until an upgrade to /ws hands the stream to a WsSession.
#pragma once

#include <boost/asio/ip/tcp.hpp>
#include <memory>

#include "net/server_state.hpp"

namespace sb::net {

// Starts serving `socket` (whose executor is its own strand).
void start_connection(boost::asio::ip::tcp::socket socket, std::shared_ptr<ServerState> state);

}  // namespace sb::net
