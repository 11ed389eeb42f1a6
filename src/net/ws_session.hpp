// A WebSocket session: one per connection, on its context's thread, owning its wire protocol's session (protocol v1's
// signaling::Session at /ws).
#pragma once

#include <boost/asio/io_context.hpp>
#include <boost/asio/ip/tcp.hpp>
#include <boost/beast/core/basic_stream.hpp>
#include <boost/beast/http/message.hpp>
#include <boost/beast/http/string_body.hpp>
#include <boost/beast/ssl/ssl_stream.hpp>
#include <memory>

#include "net/server_state.hpp"

namespace sb::net {

// A connection's executor: its I/O context's own. Each context is run by exactly one thread (net/io_pool.hpp),
// so a connection's handlers never run concurrently, and need no strand (no lock, no second queue). Naming
// the type (rather than any_io_executor) lets Asio dispatch each handler without the type-erased executor.
using Executor = boost::asio::io_context::executor_type;
using Socket = boost::asio::basic_stream_socket<boost::asio::ip::tcp, Executor>;
// HTTP runs on a basic_stream for its per-request timeouts. A plain WebSocket takes the bare socket out of it
// (it keeps its own time: handshake timeout in Beast, pings and idle timeout in WsSession's timer), so its
// reads and writes carry no per-operation timer.
using PlainStream = boost::beast::basic_stream<boost::asio::ip::tcp, Executor>;
using TlsStream = boost::beast::ssl_stream<PlainStream>;

// Takes over `stream` after an HTTP upgrade request for `endpoint` (one of state->ws_endpoints) from `remote`,
// and answers the WebSocket handshake. Defined in ws_session.cpp, so Beast's WebSocket templates are compiled
// once.
void start_ws_session(PlainStream&& stream, boost::beast::http::request<boost::beast::http::string_body> request,
                      std::shared_ptr<ServerState> state, const WsEndpoint& endpoint, util::IpAddress remote);
void start_ws_session(TlsStream&& stream, boost::beast::http::request<boost::beast::http::string_body> request,
                      std::shared_ptr<ServerState> state, const WsEndpoint& endpoint, util::IpAddress remote);

}  // namespace sb::net
