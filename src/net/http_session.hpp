// One accepted TCP connection before it becomes a WebSocket: TLS detection (when TLS is configured),
// then HTTP/1.1 requests until an upgrade to /ws hands the stream to a WsSession.
#pragma once

#include <memory>

#include "net/server_state.hpp"
#include "net/ws_session.hpp"

namespace sb::net {

// Starts serving `socket` (whose executor is its context's: one thread runs it).
void start_connection(Socket socket, std::shared_ptr<ServerState> state);

// A client's address as util knows it (IPv4-mapped IPv6 reduced to IPv4).
util::IpAddress to_ip(const boost::asio::ip::address& a);

}  // namespace sb::net
