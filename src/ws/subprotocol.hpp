// The one part of the WebSocket handshake that Beast leaves to the server: which subprotocol to answer with.
#pragma once

#include <string_view>

namespace sb::ws {

// Whether a Sec-WebSocket-Protocol list ("a, b") names `name`. A client that offers subprotocols fails the
// handshake unless the answer names one of them (RFC 6455 §4.1); the server answers only with its own.
bool offers_subprotocol(std::string_view list, std::string_view name);

}  // namespace sb::ws
