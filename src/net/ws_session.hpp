// The /ws WebSocket session: one per connection, on its own strand, owning a signaling::Session.
#pragma once

#include <boost/beast/core/tcp_stream.hpp>
#include <boost/beast/http/message.hpp>
#include <boost/beast/http/string_body.hpp>
#include <boost/beast/ssl/ssl_stream.hpp>
#include <memory>

#include "net/server_state.hpp"

namespace sb::net {

using PlainStream = boost::beast::tcp_stream;
using TlsStream = boost::beast::ssl_stream<boost::beast::tcp_stream>;

// Takes over `stream` after an HTTP upgrade request and answers the WebSocket handshake. Defined (and
// instantiated for PlainStream and TlsStream) in ws_session.cpp, so Beast's WebSocket templates are
// compiled once.
template <class Stream>
void start_ws_session(Stream&& stream, boost::beast::http::request<boost::beast::http::string_body> request,
                      std::shared_ptr<ServerState> state);

}  // namespace sb::net
